"""Find the alert events an article reports: emergency responses and weather warnings.

Chinese emergency notices follow a small grammar: an authority (区防指, 国家防总, 中央气象台 …), an
action verb (启动, 提升至, 维持, 解除 …) and a named response ("防台风Ⅳ级应急响应") or warning
("台风橙色预警"). Rather than matching whole sentences, every "响应" and "预警" is taken as an
anchor; the words just before it name the hazard and level, the verb before or after it gives the
action, and the clause's subject is the authority. This keeps the rules about the notice language
itself, so they carry over from 新闻联播 transcripts to a local paper's page.

Decisions worth knowing:

* Text is NFKC-normalised first so Ⅳ, ⅠⅤ, full-width digits and punctuation all read as ASCII.
* A response whose name contains 台/风 (防台风, 防汛防台风, 防风, 防热带气旋) is a typhoon
  response; 防汛/防洪/洪水防御 alone is a flood response, and so on. A response that names no
  hazard but states a level takes its hazard from the authority or surrounding text.
* A mention with no action verb ("根据防台风Ⅳ级应急响应要求"), a drill (演练/演习), an
  instruction (要求…启动) or a past year's event is not an alert.
* ``effective_at`` is the time phrase of the clause that states the action, resolved by
  :mod:`bot.text.relative_time`. When the text states no time it falls back to local midnight of the
  edition date and ``time_stated`` is False.
* The title usually repeats the body's event, and 快讯 headlines repeat the item after them; the
  repetition is merged into the body's event, which carries the time.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts.lexicon import (
    ACTION_VERBS,
    AFTER_CHANGE_RE,
    AFTER_END_RE,
    AFTER_WARNING_CHANGE_RE,
    ANCHOR_CHARS,
    ANCHORS,
    AUTHORITY_ALIASES,
    AUTHORITY_HINT_RE,
    BEFORE_VERB_RE,
    CITY_RE,
    CLAUSE_SPLIT_RE,
    COLOUR_BY_LEVEL,
    COLOUR_BY_WORD,
    COLOUR_RE,
    CONTEXT_HAZARD_TERMS,
    COORDINATION_RE,
    DAY_WORD_RE,
    DISASTER_RELIEF_RE,
    FUTURE_RE,
    HEADING_MAX_CHARS,
    HOME_AUTHORITY_RE,
    IMPACT_CAUSE_RE,
    IMPACT_EFFECT_RE,
    INSTRUCTION_RE,
    LEADING_NOISE_RE,
    LEADING_TIME_RE,
    LEVEL_AFTER_NAME_RE,
    LEVEL_BY_WORD,
    LEVEL_RE,
    LEVEL_TRAILING_RE,
    LISTED_HAZARD_RE,
    MAX_EARLIER_SUBJECT_CHARS,
    MAX_SUBJECT_CHARS,
    NAME_STOP_RE,
    NAME_WINDOW,
    NOT_A_RESPONSE_AFTER_RE,
    NOT_A_SUBJECT_START_RE,
    NOT_A_WARNING_AFTER_RE,
    NOT_CURRENT_RE,
    PAST_RE,
    PLACE_IN_NAME_RE,
    PLACEHOLDER_AUTHORITY_RE,
    PROVINCE_RE,
    PROVINCES,
    RESPONSE,
    RESPONSE_HAZARD_TERMS,
    SENTENCE_ENDS,
    SENTENCE_SPLIT_RE,
    STORM_RE,
    SUBJECT_CUT_RE,
    TARGET_RE,
    TYPHOON,
    TYPHOON_RESPONSE_RE,
    WARNING,
    WARNING_HAZARD_TERMS,
    WARNING_LEVEL_RE,
    YEAR_RE,
)
from bot.text.relative_time import PAPER_TZ, ResolvedTime, find_time_phrases


@dataclass(frozen=True)
class Storm:
    """A named tropical cyclone: 今年第6号台风“卡努” is (2023, 6, "卡努")."""

    year: int
    number: int | None
    name: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "number": self.number, "name": self.name}


@dataclass(frozen=True)
class AlertEvent:
    """One action on one emergency response or warning, as the article states it."""

    hazard: str
    kind: str
    action: str
    level: str | None
    storm: Storm | None
    authority: str
    region: str | None
    effective_at: datetime
    summary: str
    impact: str | None
    time_stated: bool
    # Whom a notice names: ``authority`` as written unless that is a placeholder (其他区, 各地).
    issuer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `alerts --json` shape of docs/cli.md (storage adds id and article_id)."""
        return {
            "hazard": self.hazard,
            "kind": self.kind,
            "action": self.action,
            "level": self.level,
            "storm": self.storm.to_dict() if self.storm else None,
            "authority": self.authority,
            "region": self.region,
            "effective_at": self.effective_at.isoformat(),
            "summary": self.summary,
            "impact": self.impact,
            "time_stated": self.time_stated,
            "issuer": self.issuer,
        }

    def dedupe_key(self) -> tuple[Any, ...]:
        """The same event reported twice (two articles, two editions) has the same key."""
        storm_key = None
        if self.storm is not None:
            storm_key = (self.storm.year, self.storm.number or self.storm.name)
        return (
            self.hazard,
            canonical_authority(self.authority),
            storm_key,
            self.level,
            self.action,
            self.effective_at.isoformat(),
        )


def canonical_authority(authority: str) -> str:
    """One spelling per authority, so 国家防汛抗旱总指挥部 and 国家防总 compare equal."""
    compact = re.sub(r"\s+", "", authority)
    for full, short in AUTHORITY_ALIASES.items():
        compact = compact.replace(full, short)
    return compact


@dataclass(frozen=True)
class _Sentence:
    """A sentence as written (for summaries) and as analysed (NFKC)."""

    original: str
    text: str
    offset: int  # position of the sentence in the item's analysed text
    is_title: bool


@dataclass(frozen=True)
class _Mention:
    """A response or warning found in a sentence, before it becomes an event."""

    hazard: str | None
    kind: str
    action: str | None
    level: str | None
    verb_start: int
    name_start: int
    anchor_end: int


def normalise(text: str) -> str:
    """NFKC, and "Ⅰ Ⅴ" written with a space joined into "IV"."""
    folded = unicodedata.normalize("NFKC", text)
    folded = re.sub(r"(?<=[IV]) (?=[IV])", "", folded)
    # "Ⅳ级(蓝色)应急响应": the colour restates the level.
    return re.sub(r"\((?:[蓝黄橙红]色)\)", "", folded)


def _split_sentences(title: str, paragraphs: Sequence[str]) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    offset = 0
    blocks = [(title, True)] + [(paragraph, False) for paragraph in paragraphs]
    for block, is_title in blocks:
        for piece in SENTENCE_SPLIT_RE.split(block or ""):
            original = piece.strip()
            if not original:
                continue
            text = normalise(original)
            # A short line with no closing punctuation is a headline (快讯 items, subheads): it
            # restates the text under it, like the title does.
            is_heading = len(text) <= HEADING_MAX_CHARS and not text.endswith(SENTENCE_ENDS)
            sentences.append(_Sentence(original, text, offset, is_title or is_heading))
            offset += len(text) + 1
    return sentences


def _level(word: str | None) -> str | None:
    return LEVEL_BY_WORD.get(word) if word else None


def _response_hazards(name: str) -> list[tuple[str | None, str | None]]:
    """(hazard, level) for each response a name joins with 和/及 ("防台风和防汛")."""
    name = name.replace("、", "")
    parts = [part for part in re.split(r"和|及|与", name) if part]
    named = [part for part in parts if _response_hazard(part) or LEVEL_RE.search(part)]
    if len(named) < 2:
        parts = [name]
    found: list[tuple[str | None, str | None]] = []
    for part in parts:
        level_match = LEVEL_RE.search(part)
        level = _level(level_match.group("lvl")) if level_match else None
        found.append((_response_hazard(part), level))
    return found


def _response_hazard(name: str) -> str | None:
    if DISASTER_RELIEF_RE.search(name):
        return "disaster_relief"
    if TYPHOON_RESPONSE_RE.search(name) and not re.search(r"雷雨大风|大风", name):
        return TYPHOON
    return _first_term(name, RESPONSE_HAZARD_TERMS)


def _first_term(text: str, terms: tuple[tuple[str, str], ...]) -> str | None:
    """The hazard whose word comes first in ``text``."""
    best: tuple[int, str] | None = None
    for pattern, hazard in terms:
        match = re.search(pattern, text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), hazard)
    return best[1] if best else None


def _last_term(text: str, terms: tuple[tuple[str, str], ...]) -> str | None:
    """The hazard whose word comes last in ``text`` (the nearest one before a mention)."""
    best: tuple[int, str] | None = None
    for pattern, hazard in terms:
        for match in re.finditer(pattern, text):
            if best is None or match.start() > best[0]:
                best = (match.start(), hazard)
    return best[1] if best else None


def _name_start(text: str, anchor: int) -> int:
    """Where the name of the response or warning ending at ``anchor`` begins."""
    window_start = max(0, anchor - NAME_WINDOW)
    start = window_start
    for match in NAME_STOP_RE.finditer(text, window_start, anchor):
        if match.group(0) == "、" and LISTED_HAZARD_RE.search(text, start, match.end()):
            continue
        start = match.end()
    return start


def _clause_start(text: str, position: int) -> int:
    start = 0
    for match in CLAUSE_SPLIT_RE.finditer(text, 0, position):
        start = match.end()
    return start


def _is_current(text: str, mention: _Mention, edition: date) -> bool:
    """False for drills, instructions, plans and earlier years' events."""
    verb_start = min(mention.verb_start, mention.name_start)
    before = text[_clause_start(text, verb_start):verb_start]
    if NOT_CURRENT_RE.search(text) or INSTRUCTION_RE.search(before):
        return False
    if PAST_RE.search(text[:verb_start]):
        return False
    # "将启动" is a plan; "将防汛Ⅲ级应急响应提升至Ⅰ级" is 将 marking the object.
    if mention.verb_start <= mention.name_start and FUTURE_RE.search(text[:verb_start]):
        return False
    return all(int(year) == edition.year for year in YEAR_RE.findall(text[:verb_start]))


def _verb_before(text: str, name_start: int) -> tuple[str, int] | None:
    clause_start = _clause_start(text, name_start)
    match = BEFORE_VERB_RE.search(text, clause_start, name_start)
    if not match:
        return None
    verb = match.group("verb")
    action = "maintain" if verb.startswith("连续") else ACTION_VERBS[verb]
    return action, match.start()


Parts = list[tuple[str | None, str | None]]  # (hazard, level or colour) per name joined by 和


@dataclass(frozen=True)
class _Action:
    """The action stated around a name, where its verb starts, and how it was found."""

    action: str | None
    verb_start: int
    source: str  # "after" (a change verb follows), "end", "before" or "none"


class _CandidateFinder(ABC):
    """The shared skeleton of the response and warning finders.

    Every anchor ("响应", "预警") not followed by a non-alert word names something; the name runs
    back to a stop word; the action is a change verb after it, an ending after it, or a verb
    before it. Subclasses say what a name holds and which mentions are worth keeping.
    """

    kind: str
    anchor_re: re.Pattern[str]
    not_after_re: re.Pattern[str]
    change_re: re.Pattern[str]

    def find(self, text: str) -> list[_Mention]:
        mentions: list[_Mention] = []
        for match in self.anchor_re.finditer(text):
            anchor, anchor_end = match.start(), match.end()
            if self.not_after_re.match(text, anchor_end):
                continue
            name_end = self.name_end(text, anchor)
            name_start = _name_start(text, name_end)
            parts = self.parts(text[name_start:name_end])
            if not self.names_something(parts, bare=name_end == anchor):
                continue
            found = self._action(text, name_start, anchor_end)
            parts = self.refine(parts, text, found, name_start, anchor, anchor_end)
            mentions.extend(
                _Mention(hazard, self.kind, found.action, value, found.verb_start, name_start,
                         anchor_end)
                for hazard, value in parts
                if self.keep(hazard, value, found.action)
            )
        return mentions

    def _action(self, text: str, name_start: int, anchor_end: int) -> _Action:
        after = text[anchor_end:]
        change = self.change_re.match(after)
        if change:
            return _Action(ACTION_VERBS[change.group("verb")],
                           anchor_end + change.start("verb"), "after")
        ending = AFTER_END_RE.match(after)
        if ending:
            return _Action("end", anchor_end + ending.start("verb"), "end")
        before = _verb_before(text, name_start)
        if before:
            return _Action(before[0], before[1], "before")
        return _Action(None, name_start, "none")

    def name_end(self, text: str, anchor: int) -> int:
        """Where the name ends (the anchor itself unless a suffix such as 应急 precedes it)."""
        return anchor

    @abstractmethod
    def parts(self, name: str) -> Parts:
        """(hazard, level) for each response or warning the name joins."""

    def names_something(self, parts: Parts, *, bare: bool) -> bool:
        return True

    @abstractmethod
    def refine(
        self, parts: Parts, text: str, found: _Action, name_start: int, anchor: int,
        anchor_end: int,
    ) -> Parts:
        """The parts once the action is known (a change verb carries the new level)."""

    def keep(self, hazard: str | None, value: str | None, action: str | None) -> bool:
        return True


class _ResponseFinder(_CandidateFinder):
    """Responses ("防台风Ⅳ级应急响应"); action None where no verb of their own is written."""

    kind = RESPONSE
    anchor_re = re.compile(r"响应")
    not_after_re = NOT_A_RESPONSE_AFTER_RE
    change_re = AFTER_CHANGE_RE

    def name_end(self, text: str, anchor: int) -> int:
        return anchor - 2 if text[max(0, anchor - 2):anchor] in {"应急", "防御"} else anchor

    def parts(self, name: str) -> Parts:
        return _response_hazards(name)

    def names_something(self, parts: Parts, *, bare: bool) -> bool:
        # A bare "响应" ("强响应", "联动响应") names nothing.
        return not bare or any(hazard or level for hazard, level in parts)

    def refine(
        self, parts: Parts, text: str, found: _Action, name_start: int, anchor: int,
        anchor_end: int,
    ) -> Parts:
        after = text[anchor_end:]
        if found.source == "after":
            change = self.change_re.match(after)
            level = _level(change.group("lvl")) if change else None
            return [(hazard, level) for hazard, _ in parts]
        if found.source != "before":
            return parts
        # "提升琼粤桂防汛防台风应急响应至三级": the new level follows the name.
        target = LEVEL_AFTER_NAME_RE.match(after)
        trailing = LEVEL_TRAILING_RE.match(after)
        if target and found.action in {"raise", "lower", "adjust"}:
            return [(hazard, _level(target.group("lvl"))) for hazard, _ in parts]
        if trailing and all(level is None for _, level in parts):
            return [(hazard, _level(trailing.group("lvl"))) for hazard, _ in parts]
        return parts


class _WarningFinder(_CandidateFinder):
    """Warnings ("台风橙色预警"); action None where no verb of their own is written."""

    kind = WARNING
    anchor_re = re.compile(r"预警(?:信号)?")
    not_after_re = NOT_A_WARNING_AFTER_RE
    change_re = AFTER_WARNING_CHANGE_RE

    def parts(self, name: str) -> Parts:
        return _warning_parts(name)

    def refine(
        self, parts: Parts, text: str, found: _Action, name_start: int, anchor: int,
        anchor_end: int,
    ) -> Parts:
        if found.source == "after":
            change = self.change_re.match(text[anchor_end:])
            colour = COLOUR_BY_WORD[change.group("colour")] if change else None
            parts = [(hazard, colour) for hazard, _ in parts]
        if found.action == "end" and not parts:
            return [(_first_term(text[name_start:anchor], WARNING_HAZARD_TERMS), None)]
        return parts

    def keep(self, hazard: str | None, value: str | None, action: str | None) -> bool:
        # "发布预警信息", "风暴潮预警": no hazard and colour to act on.
        return hazard is not None and (value is not None or action == "end")


_FINDERS: tuple[_CandidateFinder, ...] = (_ResponseFinder(), _WarningFinder())


def _warning_parts(name: str) -> list[tuple[str | None, str | None]]:
    """(hazard, colour) per warning a name joins: "海浪橙色和风暴潮黄色", "暴雨和强对流蓝色"."""
    parts = [part for part in re.split(r"和|及|与", name) if part]
    found: list[tuple[str | None, str | None]] = []
    for part in parts:
        colour_match = COLOUR_RE.search(part)
        colour = COLOUR_BY_WORD[colour_match.group("colour")] if colour_match else None
        if colour is None:
            level_match = WARNING_LEVEL_RE.search(part)
            if level_match:
                colour = COLOUR_BY_LEVEL[LEVEL_BY_WORD[level_match.group("lvl")]]
        found.append((_first_term(part, WARNING_HAZARD_TERMS), colour))
    # A colour written once for several hazards belongs to all of them.
    for index in range(len(found) - 2, -1, -1):
        hazard, colour = found[index]
        if colour is None:
            found[index] = (hazard, found[index + 1][1])
    return [(hazard, colour) for hazard, colour in found if hazard or colour]


def _find_mentions(text: str) -> list[_Mention]:
    """Responses and warnings with an action, in reading order.

    A name with no verb of its own shares the verb of the one it is listed with:
    "升级发布台风一级预警、防汛防风一级应急响应", "维持…Ⅱ级应急响应以及对山西…的Ⅲ级应急响应".
    """
    candidates = sorted(
        (mention for finder in _FINDERS for mention in finder.find(text)),
        key=lambda mention: (mention.name_start, mention.anchor_end),
    )
    found: list[_Mention] = []
    for candidate in candidates:
        mention = _with_action(text, candidate, found[-1] if found else None)
        if mention is not None and (mention.hazard is not None or mention.level is not None):
            found.append(mention)
    return found


def _with_action(text: str, mention: _Mention, previous: _Mention | None) -> _Mention | None:
    """The mention with its own action, or the action of the one it is listed after (joined by
    、/和/及); None when it has neither."""
    if mention.action is not None:
        return mention
    if previous is None or not COORDINATION_RE.match(text[previous.anchor_end:mention.name_start]):
        return None
    inherited_hazard = previous.hazard if previous.kind == mention.kind else None
    return replace(
        mention,
        action=previous.action,
        verb_start=previous.verb_start,
        hazard=mention.hazard or inherited_hazard,
    )


def _clean_subject(text: str) -> tuple[str, bool]:
    """The authority at the head of a clause ("国家防总今天将…" → "国家防总"), and whether
    anything followed it (a clause that is all subject is more likely a statement of fact)."""
    text = text.strip()
    while True:
        stripped = LEADING_TIME_RE.sub("", LEADING_NOISE_RE.sub("", text)).lstrip()
        if stripped == text:
            break
        text = stripped
    if NOT_A_SUBJECT_START_RE.match(text):
        return "", False
    cut = SUBJECT_CUT_RE.search(text)
    subject = text[: cut.start()] if cut else text
    return subject.strip(" 、"), cut is not None


def _subject(text: str, verb_start: int) -> tuple[str, int] | None:
    """The authority of the verb at ``verb_start`` and where its clause begins, if stated here."""
    clause_start = _clause_start(text, verb_start)
    subject, _ = _clean_subject(text[clause_start:verb_start])
    if subject and len(subject) <= MAX_SUBJECT_CHARS and "“" not in subject:
        return subject, clause_start
    # "国家减灾委、应急管理部针对河北严重洪涝灾害,于今天将…": the subject opens an earlier clause.
    clause_ends = [m.start() for m in CLAUSE_SPLIT_RE.finditer(text, 0, clause_start)]
    boundaries = [0] + [end + 1 for end in clause_ends]
    for start, end in reversed(list(zip(boundaries, clause_ends, strict=False))):
        clause = text[start:end]
        if re.search(r"响应|预警", clause):
            break
        subject, followed = _clean_subject(clause)
        if (
            followed
            and subject
            and len(subject) <= MAX_EARLIER_SUBJECT_CHARS
            and AUTHORITY_HINT_RE.search(subject)
            and "“" not in subject
        ):
            return subject, start
    return None


def _region(
    authority: str, scope: str, sentence: str, home_region: str | None
) -> str | None:
    """The place the event covers: home region for 我区/区防指, else the provinces named."""
    if HOME_AUTHORITY_RE.search(authority):
        return home_region
    # The last "针对X的" before the name is this event's ("…和针对湖南的防汛Ⅳ级应急响应").
    targets = list(TARGET_RE.finditer(scope))
    target = targets[-1] if targets else None
    for text in ([target.group("places")] if target else []) + [authority]:
        provinces = list(dict.fromkeys(PROVINCES[p] for p in PROVINCE_RE.findall(text)))
        if provinces:
            return "、".join(provinces)
    city = CITY_RE.search(authority)
    if city:
        return city.group(0)
    if authority in {"当地", "各地"} or not target:
        province = PROVINCE_RE.search(sentence)
        if province:
            return PROVINCES[province.group(0)]
    return None


def _effective_time(
    text: str, segment_start: int, verb_start: int, edition: date, tz: ZoneInfo
) -> datetime | None:
    """The instant stated in the clause of the action: a date phrase, then a clock phrase."""
    segment_start = _time_clause_start(text, segment_start, edition, tz)
    day, clock = _day_and_clock(text, segment_start, verb_start, edition, tz)
    if clock is not None and day is not None and clock is not day:
        return datetime.combine(day.start.date(), clock.start.timetz())
    if clock is not None:
        return clock.start
    return day.start if day is not None else None


def _time_clause_start(text: str, segment_start: int, edition: date, tz: ZoneInfo) -> int:
    """A clause that is only a time ("今天,", "24日,", "从昨晚开始,") belongs to the next clause:
    move the start back over such clauses."""
    while segment_start > 0:
        previous_start = _clause_start(text, segment_start - 1)
        leftover = text[previous_start:segment_start - 1]
        phrases = find_time_phrases(leftover, edition, tz)
        for start, end, _ in reversed(phrases):
            leftover = leftover[:start] + leftover[end:]
        if not phrases or re.sub(r"[()从自起开始以来]", "", leftover).strip():
            break
        segment_start = previous_start
    return segment_start


def _day_and_clock(
    text: str, segment_start: int, verb_start: int, edition: date, tz: ZoneInfo
) -> tuple[ResolvedTime | None, ResolvedTime | None]:
    """The last day phrase and the last clock phrase before the verb."""
    day: ResolvedTime | None = None
    clock: ResolvedTime | None = None
    previous_end = -1
    for start, end, phrase in find_time_phrases(text[segment_start:verb_start], edition, tz):
        # "昨晚(7月28日)": the bracketed date restates the phrase before it.
        if start > 0 and text[segment_start + start - 1] == "(" and previous_end == start - 1:
            previous_end = end
            continue
        previous_end = end
        if DAY_WORD_RE.search(phrase.text):
            day, clock = phrase, (phrase if phrase.has_clock else None)
        elif phrase.has_clock:
            clock = phrase
    return day, clock


def _storm_registry(sentences: Sequence[_Sentence]) -> dict[str, int | None]:
    """Every storm named in the item, with its number when one is written anywhere."""
    numbers: dict[str, int | None] = {}
    for sentence in sentences:
        for match in STORM_RE.finditer(sentence.text):
            if not (match.group("number") or match.group("kind")):
                continue
            name = match.group("name")
            number = _storm_number(match.group("number"))
            if numbers.get(name) is None:
                numbers[name] = number
    return numbers


def _storm_number(written: str | None) -> int | None:
    """"6" or "六" or "十二" as an int."""
    if not written:
        return None
    if written.isdigit():
        return int(written)
    digits = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    tens, _, units = written.rpartition("十")
    if "十" not in written:
        return digits.get(written)
    return (digits.get(tens, 1) if tens else 1) * 10 + digits.get(units, 0)


def _main_storm(sentences: Sequence[_Sentence], registry: dict[str, int | None]) -> str | None:
    """The storm the item is about: the one named most often, the first named on a tie."""
    text = "".join(sentence.text for sentence in sentences)
    counts = {name: text.count(name) for name in registry}
    return max(registry, key=lambda name: (counts[name], -text.find(name)), default=None)


def _storm_names_in(text: str, registry: dict[str, int | None]) -> list[str]:
    found = [(text.find(name), name) for name in registry if name in text]
    return [name for _, name in sorted(found)]


def _impact(sentences: Sequence[_Sentence], storm: Storm | None) -> str | None:
    """The sentence forecasting what the hazard will bring ("受“卡努”环流影响,我区…将有…")."""
    candidates = [
        s for s in sentences
        if IMPACT_CAUSE_RE.search(s.text) and IMPACT_EFFECT_RE.search(s.text)
        and not re.search(r"响应|预警", s.text) and not s.is_title
    ]
    if storm is not None and storm.name:
        named = [s for s in candidates if storm.name in s.text]
        if named:
            return named[0].original
    return candidates[0].original if candidates else None


def detect_alerts(
    title: str,
    paragraphs: Sequence[str],
    edition: date,
    *,
    home_region: str | None = None,
    tz: ZoneInfo = PAPER_TZ,
) -> list[AlertEvent]:
    """Every alert event the article states, in reading order, repetitions merged.

    ``home_region`` is the paper's own district or city ("萧山区"): what 我区, 区防指 and 全区
    refer to. ``edition`` anchors relative dates ("昨日20时30分") and gives storms their year.
    """
    # Most articles name no response or warning: skip the analysis where none can be found
    # (ingest runs this on every article), first on the raw text, then on the analysed one.
    if not any(char in block for block in (title, *paragraphs) if block for char in ANCHOR_CHARS):
        return []
    sentences = _split_sentences(title, paragraphs)
    if not any(anchor in sentence.text for sentence in sentences for anchor in ANCHORS):
        return []
    article = _Article(edition, tz, home_region, _storm_registry(sentences))
    article = replace(article, main_storm=_main_storm(sentences, article.registry))
    events: list[tuple[AlertEvent, bool]] = []
    last_authority: str | None = None
    context_so_far = ""
    for sentence in sentences:
        names_here = _storm_names_in(sentence.text, article.registry)
        for mention in _find_mentions(sentence.text):
            if not _is_current(sentence.text, mention, edition):
                continue
            event = _event(article, sentence, mention, names_here, last_authority,
                           context_so_far)
            if event is not None:
                events.append((event, sentence.is_title))
                last_authority = event.authority
        context_so_far += sentence.text
    merged = _merge_repetitions(events)
    return [replace(e, impact=_impact(sentences, e.storm)) for e in merged]


@dataclass(frozen=True)
class _Article:
    """What every mention in one article shares: its date, zone, home region and storms."""

    edition: date
    tz: ZoneInfo
    home_region: str | None
    registry: dict[str, int | None]
    main_storm: str | None = None


def _event(
    article: _Article,
    sentence: _Sentence,
    mention: _Mention,
    names_here: list[str],
    last_authority: str | None,
    context_so_far: str,
) -> AlertEvent | None:
    """The event a current mention states, or None when no authority or hazard can be found."""
    text = sentence.text
    found = _authority(text, mention, last_authority)
    if found is None:
        return None
    authority, segment_start = found
    hazard = mention.hazard or _context_hazard(
        authority, text[:mention.name_start], text, context_so_far
    )
    if hazard is None:
        return None
    storm = _storm_for(hazard, names_here, article.main_storm, article.registry, article.edition)
    # The time stands before the verb: "区防指昨日20时启动…", "…应急响应于昨日18时解除".
    when = _effective_time(text, segment_start, mention.verb_start, article.edition, article.tz)
    region = _region(authority, text[segment_start:mention.anchor_end], text, article.home_region)
    return AlertEvent(
        hazard=hazard,
        kind=mention.kind,
        action=mention.action,
        level=mention.level,
        storm=storm,
        authority=authority,
        region=region,
        effective_at=when or datetime.combine(article.edition, time(0), article.tz),
        summary=sentence.original,
        impact=None,
        time_stated=when is not None,
        issuer=_issuer(authority, region),
    )


def _authority(
    text: str, mention: _Mention, last_authority: str | None
) -> tuple[str, int] | None:
    """Who acts and where the clause stating it starts: the clause's subject, else the place
    opening the response's name, else the authority of the previous event."""
    subject_at = _subject(text, min(mention.verb_start, mention.name_start))
    if subject_at is not None:
        return subject_at
    clause_start = _clause_start(text, mention.verb_start)
    named_place = _place_in_name(text, mention)
    if named_place is not None:
        return named_place, clause_start
    if last_authority is not None:
        return last_authority, clause_start
    return None


def _issuer(authority: str, region: str | None) -> str | None:
    """The authority a notice names: a placeholder ("其他区", "各地", "有关部门") is no
    authority, so the nearest named place stands for it, or nobody is named."""
    if not PLACEHOLDER_AUTHORITY_RE.match(authority):
        return authority
    if region is None or PLACEHOLDER_AUTHORITY_RE.match(region):
        return None
    return region


def _place_in_name(text: str, mention: _Mention) -> str | None:
    """The place that opens a response acting as the subject: "我区防台风Ⅳ级应急响应于…解除"."""
    if mention.verb_start <= mention.name_start:
        return None
    place = PLACE_IN_NAME_RE.match(text, mention.name_start, mention.anchor_end)
    return place.group("place") if place else None


def _context_hazard(authority: str, before: str, sentence: str, earlier: str) -> str | None:
    """The hazard of a response that names none: its authority, then the nearest words before."""
    return (
        _first_term(authority, CONTEXT_HAZARD_TERMS)
        or _last_term(before, CONTEXT_HAZARD_TERMS)
        or _first_term(sentence, CONTEXT_HAZARD_TERMS)
        or _last_term(earlier, CONTEXT_HAZARD_TERMS)
    )


def _storm_for(
    hazard: str,
    names_here: list[str],
    main_storm: str | None,
    registry: dict[str, int | None],
    edition: date,
) -> Storm | None:
    """Typhoon events take the storm the item is about; others only a storm named alongside."""
    name = names_here[0] if names_here else None
    if name is None and hazard == TYPHOON:
        name = main_storm
    if name is None:
        return None
    return Storm(year=edition.year, number=registry.get(name), name=name)


def _same_event(first: AlertEvent, second: AlertEvent) -> bool:
    """Two mentions of one event: same action on the same thing, times and places compatible."""
    if (first.hazard, first.kind, first.action, first.level) != (
        second.hazard, second.kind, second.action, second.level
    ):
        return False
    if canonical_authority(first.authority) != canonical_authority(second.authority):
        return False
    if first.time_stated and second.time_stated and first.effective_at != second.effective_at:
        return False
    return first.region is None or second.region is None or first.region == second.region


def _merge_repetitions(events: Sequence[tuple[AlertEvent, bool]]) -> list[AlertEvent]:
    """Drop a title's or headline's restatement of an event the body reports in full."""
    body = [event for event, is_title in events if not is_title]
    kept: list[AlertEvent] = []
    for event, is_title in events:
        if is_title:
            # The title repeats the body's event in fewer words ("我区启动…" for "区防指决定…",
            # "发布" for "升级发布", "解除…应急响应" without the level the body names), so only
            # what is acted on has to agree.
            if any(
                (b.hazard, b.kind) == (event.hazard, event.kind)
                and (event.level is None or b.level == event.level)
                for b in body
            ):
                continue
            kept.append(event)
            continue
        duplicate = next((k for k in kept if _same_event(k, event)), None)
        if duplicate is None:
            kept.append(event)
        elif event.time_stated and not duplicate.time_stated:
            kept[kept.index(duplicate)] = event
    return kept
