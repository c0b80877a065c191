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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.text.relative_time import PAPER_TZ, ResolvedTime, find_time_phrases

RESPONSE = "response"
WARNING = "warning"
TYPHOON = "typhoon"

# Response levels: Ⅰ is the most severe. Warning colours in rising severity; a numbered warning
# (海南 issues 台风四级预警) maps level Ⅳ to blue and Ⅰ to red.
LEVEL_BY_WORD: dict[str, str] = {
    "I": "I", "II": "II", "III": "III", "IV": "IV",
    "一": "I", "二": "II", "三": "III", "四": "IV",
    "1": "I", "2": "II", "3": "III", "4": "IV",
}
COLOUR_BY_WORD: dict[str, str] = {"蓝": "blue", "黄": "yellow", "橙": "orange", "红": "red"}
COLOUR_BY_LEVEL: dict[str, str] = {"IV": "blue", "III": "yellow", "II": "orange", "I": "red"}

_LEVEL = r"(?:IV|I{1,3}|[一二三四1-4](?=级))"
_LEVEL_RE = re.compile(rf"(?P<lvl>{_LEVEL})级?")
_COLOUR_RE = re.compile(r"(?P<colour>[蓝黄橙红])色")
_WARNING_LEVEL_RE = re.compile(rf"(?P<lvl>{_LEVEL})级")

# Hazards named in a response's name, in the order they are tried. Any 台 or 风 in a response name
# makes it a typhoon/wind response (防台风, 防汛防台风, 防风, 防台), except thunderstorm gusts and
# storm surges, which are their own hazards.
DISASTER_RELIEF_RE = re.compile(r"救灾")
TYPHOON_RESPONSE_RE = re.compile(r"台|热带气旋|(?<![大])风(?!暴潮)")
RESPONSE_HAZARD_TERMS: tuple[tuple[str, str], ...] = (
    (r"雷雨大风|强对流", "convective"),
    (r"风暴潮", "storm_surge"),
    (r"海浪", "wave"),
    (r"大风", "wind"),
    (r"防汛|防洪|洪水|洪涝|防凌", "flood"),
    (r"暴雨", "rainstorm"),
    (r"暴雪|雪灾", "snowstorm"),
    (r"高温", "heat"),
    (r"抗旱|干旱|旱灾", "drought"),
    (r"地震|抗震", "earthquake"),
    (r"地质灾害|滑坡|崩塌|泥石流", "geologic"),
    (r"山洪", "flash_flood"),
    (r"寒潮|低温|冰冻|雨雪", "cold_wave"),
    (r"森林火|草原火", "wildfire"),
)
# Hazards named in a warning ("暴雨橙色预警", "红色山洪灾害气象预警").
WARNING_HAZARD_TERMS: tuple[tuple[str, str], ...] = (
    (r"台风", TYPHOON),
    (r"暴雨", "rainstorm"),
    (r"暴雪", "snowstorm"),
    (r"寒潮", "cold_wave"),
    (r"风暴潮", "storm_surge"),
    (r"海浪", "wave"),
    (r"大风", "wind"),
    (r"高温", "heat"),
    (r"强对流|雷雨大风|雷电|冰雹", "convective"),
    (r"山洪", "flash_flood"),
    (r"洪水", "flood"),
    (r"地质灾害", "geologic"),
    (r"干旱", "drought"),
    (r"大雾", "fog"),
    (r"霾", "haze"),
    (r"道路结冰", "ice"),
    (r"森林火险|草原火险", "wildfire"),
    (r"沙尘", "sandstorm"),
    (r"低温|霜冻", "cold_wave"),
)
# Words that give a nameless response ("中国红十字会启动二级应急响应") its hazard from context.
CONTEXT_HAZARD_TERMS: tuple[tuple[str, str], ...] = (
    (r"台风|热带气旋|防台", TYPHOON),
    (r"地震|抗震|震区|震中", "earthquake"),
    (r"地质灾害|滑坡|崩塌|泥石流", "geologic"),
    (r"防汛|洪水|洪涝|汛情|防洪", "flood"),
    (r"暴雨|强降雨|降雨|降水", "rainstorm"),
    (r"干旱|旱情|抗旱", "drought"),
    (r"高温", "heat"),
)

# Verbs, longest first within each action so "升级发布" wins over "发布".
ACTION_VERBS: dict[str, str] = {
    "升级发布": "raise", "提升至": "raise", "提升到": "raise", "提升为": "raise",
    "提高至": "raise", "提高到": "raise", "提高为": "raise", "升级为": "raise",
    "上调至": "raise", "上调为": "raise", "升为": "raise", "升至": "raise", "提升": "raise",
    "降级为": "lower", "降低为": "lower", "降低至": "lower", "降低到": "lower",
    "下调为": "lower", "下调至": "lower", "下调到": "lower", "调低至": "lower",
    "调低为": "lower", "降为": "lower", "降至": "lower", "降低": "lower", "下调": "lower",
    "调整为": "adjust", "调整至": "adjust", "调整到": "adjust",
    "继续维持": "maintain", "继续发布": "maintain", "继续执行": "maintain",
    "继续实施": "maintain", "仍维持": "maintain", "维持": "maintain", "继续": "maintain",
    "停止发布": "end", "解除": "end", "终止": "end", "结束": "end", "撤销": "end",
    "取消": "end",
    "启动": "start", "发布": "start", "启用": "start", "进入": "start",
}
_VERB_ALTERNATION = "|".join(sorted(ACTION_VERBS, key=len, reverse=True))
# "重庆连续第五天发布高温红色预警" continues a warning already in force.
_REPEATED_ISSUE = r"连续(?:第?[0-9一二三四五六七八九十]+天)?发布"
# A verb right before the named response, allowing "针对浙江、福建的" and "国家" in between.
BEFORE_VERB_RE = re.compile(
    rf"(?P<verb>{_REPEATED_ISSUE}|{_VERB_ALTERNATION})了?"
    r"(?:(?:针对|对)[^,;:。]{1,40}?的?|[^,;:。]{1,16}?的)?(?:国家|全市|全省|全区|全县)?$"
)
# A verb after the named response: "将防汛Ⅲ级应急响应提升为Ⅰ级", "由Ⅲ级提升为Ⅱ级".
_CHANGE_VERBS = "|".join(
    sorted((v for v, a in ACTION_VERBS.items() if a in {"raise", "lower", "adjust"}),
        key=len, reverse=True)
)
AFTER_CHANGE_RE = re.compile(
    rf"^(?:状态|级别)?(?:(?:由|从){_LEVEL}级?)?(?P<verb>{_CHANGE_VERBS})(?P<lvl>{_LEVEL})级?"
)
AFTER_WARNING_CHANGE_RE = re.compile(
    rf"^(?:级别)?(?P<verb>{_CHANGE_VERBS})(?P<colour>[蓝黄橙红])色"
)
AFTER_END_RE = re.compile(r"^(?:已经|已)?(?:于[^,;:。]{0,16}?)?(?P<verb>终止|解除|结束)")

# A "响应" that is about readiness in general, not a response being declared.
NOT_A_RESPONSE_AFTER_RE = re.compile(
    r"^(?:机制|能力|速度|联动|工作状态|体系|预案|意识|水平|时间|队伍|工作|程序|演练|流程|"
    r"处置|准备|要求|期间|状态下|级别的)"
)
NOT_A_WARNING_AFTER_RE = re.compile(
    r"^(?:信息|机制|工作|能力|服务|平台|系统|小程序|单|响应|发布|体系|监测|预报|范围|区域)"
)
# Where a response or warning name starts, scanning back from its anchor.
NAME_STOP_RE = re.compile(
    rf"[,;:。、的!?()\s]|将|把|{_VERB_ALTERNATION}|执行|进入|实施|针对|了|已|于|"
    r"处于|陆续|先后|同时|并"
)
# "台风、强降雨二级防御响应" is one response covering two hazards: a bare hazard word before 、
# stays in the name.
_LISTED_HAZARD_RE = re.compile(r"(?:台风|强降雨|暴雨|洪水|防汛|防台风|地质灾害|大风|高温)、$")
NAME_WINDOW = 24

# The clause is not reporting a current action: drills, instructions, conditions, past years.
NOT_CURRENT_RE = re.compile(r"演练|演习|模拟")
INSTRUCTION_RE = re.compile(r"要求|指导|督促|部署|责成|提醒|指示|视情|适时|可能|拟|如遇|一旦|若")
FUTURE_RE = re.compile(r"(?:将|拟|准备|计划|或将|可能|预计|随时|将于[^,;:。]{0,12}?)$")
PAST_RE = re.compile(r"去年|前年|往年|曾经|曾|历史上|以往|当年|那年")
_YEAR_RE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})年")

# Every mention is found from a "响应" or "预警" anchor. NFKC yields 响 or 预 only from those very
# characters (no other code point decomposes to them and neither is a composite; a test checks
# every code point), so text without either cannot state an alert.
ANCHOR_CHARS = ("响", "预")
ANCHORS = ("响应", "预警")

CLAUSE_SPLIT_RE = re.compile(r"[,;:!?。\s]")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[。!?;])|\n")
SENTENCE_ENDS = ("。", "!", "?", ";", "”", ")", ":")
HEADING_MAX_CHARS = 40

# The subject of a clause ends where time, disposal words or the object begin.
SUBJECT_CUT_RE = re.compile(
    r"今天|昨天|今日|昨日|明天|今早|今晨|昨晚|今晚|今年|本月|当天|当日|日前|近日|近期|"
    r"[0-9]+月|[0-9]+日|[0-9]+时|上午|下午|中午|凌晨|早晨|夜间|傍晚|"
    r"将|把|针对|于|已|决定|也|均|全部|陆续|先后|同步|迅速|立即|紧急|及时|分别|再次|正式|"
    r"仍|率先|第一时间|连夜|连续|随即|(?<![应针面])对|(?<=..)在|[(\"“]|" + _VERB_ALTERNATION
)
LEADING_NOISE_RE = re.compile(
    r"^(?:此外|另外|与此同时|同时|其中|目前|当前|随后|截至目前|并且|并|还|而|今天起|今起)"
)
LEADING_TIME_RE = re.compile(
    r"^(?:今天|昨天|今日|昨日|今早|今晨|昨晚|今晚|当天|当日|日前|近日|近期|"
    r"[0-9]+月[0-9]+日|[0-9]+日|[0-9]+时(?:[0-9]+分)?|上午|下午|中午|凌晨|早晨|夜间|傍晚|晚上|"
    r"\([^)]{0,12}\)|起|左右|前后)"
)
NOT_A_SUBJECT_START_RE = re.compile(r"^(?:受|随着|为|在|根据|按照|鉴于|经|据|预计|从|自)")
AUTHORITY_HINT_RE = re.compile(
    r"防指|防总|指挥部|办公室|气象台|气象局|水利|委员会|委|部|局|厅|会|政府|中心|集团|"
    r"当地|各地|等地|地市|全省|全市|全区|我区|我市|我县|[省市区县州旗]"
)
MAX_SUBJECT_CHARS = 40
MAX_EARLIER_SUBJECT_CHARS = 20

# Home-region words: the paper's own district or city.
HOME_AUTHORITY_RE = re.compile(r"^(?:我|全)?(?:区|市|县)(?!场|域|民|内|外)")
PROVINCES: dict[str, str] = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市",
    "河北": "河北省", "山西": "山西省", "辽宁": "辽宁省", "吉林": "吉林省",
    "黑龙江": "黑龙江省", "江苏": "江苏省", "浙江": "浙江省", "安徽": "安徽省",
    "福建": "福建省", "江西": "江西省", "山东": "山东省", "河南": "河南省",
    "湖北": "湖北省", "湖南": "湖南省", "广东": "广东省", "海南": "海南省",
    "四川": "四川省", "贵州": "贵州省", "云南": "云南省", "陕西": "陕西省",
    "甘肃": "甘肃省", "青海": "青海省", "台湾": "台湾省",
    "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区", "澳门": "澳门特别行政区",
}
TARGET_RE = re.compile(r"(?:针对|对)(?P<places>[^,;:。]{1,40}?)(?:的|启动|发布|维持)")
_PROVINCE_RE = re.compile("|".join(sorted(PROVINCES, key=len, reverse=True)))
_CITY_RE = re.compile(r"[\u4e00-\u9fff]{2,4}?[市县]")

# Other names for the same authority, so a headline and its body are recognised as one event.
AUTHORITY_ALIASES: dict[str, str] = {
    "国家防汛抗旱总指挥部": "国家防总",
    "国家防汛抗旱总指挥部办公室": "国家防总办公室",
    "国家防灾减灾救灾委员会": "国家防减救灾委",
    "国家减灾委": "国家防减救灾委",
}

STORM_RE = re.compile(
    r"(?:第(?P<number>[0-9]{1,2}|[一二三四五六七八九十]{1,3})号)?(?P<kind>超强台风|强台风|台风|强热带风暴|热带风暴)?"
    r"[“\"「『](?P<name>[\u4e00-\u9fff]{2,5})[”\"」』]"
)
IMPACT_CAUSE_RE = re.compile(r"受.{0,24}?影响|预计")
IMPACT_EFFECT_RE = re.compile(
    r"将(?:有|出现|迎来|遭受|带来|产生)|风雨|降雨|暴雨|大风|风力|大到暴雨|风暴潮|降水"
)
PLACE_IN_NAME_RE = re.compile(
    r"(?P<place>[\u4e00-\u9fff]{2,10}?)(?=防|抗|洪水|救灾|地震|地质|气象|暴雨|水旱|干旱)"
)
DAY_WORD_RE = re.compile(r"[日天号晨晚夜早月]|昨|今|明|前")


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
    named = [part for part in parts if _response_hazard(part) or _LEVEL_RE.search(part)]
    if len(named) < 2:
        parts = [name]
    found: list[tuple[str | None, str | None]] = []
    for part in parts:
        level_match = _LEVEL_RE.search(part)
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
        if match.group(0) == "、" and _LISTED_HAZARD_RE.search(text, start, match.end()):
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
    return all(int(year) == edition.year for year in _YEAR_RE.findall(text[:verb_start]))


def _verb_before(text: str, name_start: int) -> tuple[str, int] | None:
    clause_start = _clause_start(text, name_start)
    match = BEFORE_VERB_RE.search(text, clause_start, name_start)
    if not match:
        return None
    verb = match.group("verb")
    action = "maintain" if verb.startswith("连续") else ACTION_VERBS[verb]
    return action, match.start()


_COORDINATION_RE = re.compile(
    r"^(?:、|和|及|以及|与|并)(?:(?:针对|对)[^,;:。]{1,40}?的)?(?:国家)?$"
)
_LEVEL_AFTER_NAME_RE = re.compile(rf"^(?:至|为|到)(?P<lvl>{_LEVEL})级?")
# "启动防台风应急响应Ⅳ级", "应急响应级别为Ⅲ级": the level written after the name.
_LEVEL_TRAILING_RE = re.compile(rf"^(?:级别为?|等级为?)?(?P<lvl>{_LEVEL})级")


def _response_candidates(text: str) -> list[_Mention]:
    """Responses named in ``text``; action None where no verb of their own is written."""
    mentions: list[_Mention] = []
    for match in re.finditer(r"响应", text):
        anchor, anchor_end = match.start(), match.end()
        if NOT_A_RESPONSE_AFTER_RE.match(text, anchor_end):
            continue
        head = anchor - 2 if text[max(0, anchor - 2):anchor] in {"应急", "防御"} else anchor
        name_start = _name_start(text, head)
        hazards = _response_hazards(text[name_start:head])
        if head == anchor and not any(h or lvl for h, lvl in hazards):
            continue  # a bare "响应" ("强响应", "联动响应") names nothing
        after = text[anchor_end:]
        change = AFTER_CHANGE_RE.match(after)
        ending = AFTER_END_RE.match(after)
        before = _verb_before(text, name_start)
        action: str | None = None
        verb_start = name_start
        if change:
            action = ACTION_VERBS[change.group("verb")]
            hazards = [(hazard, _level(change.group("lvl"))) for hazard, _ in hazards]
            verb_start = anchor_end + change.start("verb")
        elif ending:
            action, verb_start = "end", anchor_end + ending.start("verb")
        elif before:
            action, verb_start = before
            # "提升琼粤桂防汛防台风应急响应至三级": the new level follows the name.
            target = _LEVEL_AFTER_NAME_RE.match(after)
            trailing = _LEVEL_TRAILING_RE.match(after)
            if target and action in {"raise", "lower", "adjust"}:
                hazards = [(hazard, _level(target.group("lvl"))) for hazard, _ in hazards]
            elif trailing and all(level is None for _, level in hazards):
                hazards = [(hazard, _level(trailing.group("lvl"))) for hazard, _ in hazards]
        for hazard, level in hazards:
            mentions.append(
                _Mention(hazard, RESPONSE, action, level, verb_start, name_start, anchor_end)
            )
    return mentions


def _warning_parts(name: str) -> list[tuple[str | None, str | None]]:
    """(hazard, colour) per warning a name joins: "海浪橙色和风暴潮黄色", "暴雨和强对流蓝色"."""
    parts = [part for part in re.split(r"和|及|与", name) if part]
    found: list[tuple[str | None, str | None]] = []
    for part in parts:
        colour_match = _COLOUR_RE.search(part)
        colour = COLOUR_BY_WORD[colour_match.group("colour")] if colour_match else None
        if colour is None:
            level_match = _WARNING_LEVEL_RE.search(part)
            if level_match:
                colour = COLOUR_BY_LEVEL[LEVEL_BY_WORD[level_match.group("lvl")]]
        found.append((_first_term(part, WARNING_HAZARD_TERMS), colour))
    # A colour written once for several hazards belongs to all of them.
    for index in range(len(found) - 2, -1, -1):
        hazard, colour = found[index]
        if colour is None:
            found[index] = (hazard, found[index + 1][1])
    return [(hazard, colour) for hazard, colour in found if hazard or colour]


def _warning_candidates(text: str) -> list[_Mention]:
    """Warnings named in ``text``; action None where no verb of their own is written."""
    mentions: list[_Mention] = []
    for match in re.finditer(r"预警(?:信号)?", text):
        anchor, anchor_end = match.start(), match.end()
        if NOT_A_WARNING_AFTER_RE.match(text, anchor_end):
            continue
        name_start = _name_start(text, anchor)
        parts = _warning_parts(text[name_start:anchor])
        after = text[anchor_end:]
        change = AFTER_WARNING_CHANGE_RE.match(after)
        ending = AFTER_END_RE.match(after)
        before = _verb_before(text, name_start)
        action: str | None = None
        verb_start = name_start
        if change:
            action = ACTION_VERBS[change.group("verb")]
            colour = COLOUR_BY_WORD[change.group("colour")]
            parts = [(hazard, colour) for hazard, _ in parts]
            verb_start = anchor_end + change.start("verb")
        elif ending:
            action, verb_start = "end", anchor_end + ending.start("verb")
        elif before:
            action, verb_start = before
        if action == "end" and not parts:
            hazard = _first_term(text[name_start:anchor], WARNING_HAZARD_TERMS)
            parts = [(hazard, None)]
        for hazard, colour in parts:
            if hazard is None or (colour is None and action != "end"):
                continue  # "发布预警信息", "风暴潮预警": no hazard and colour to act on
            mentions.append(
                _Mention(hazard, WARNING, action, colour, verb_start, name_start, anchor_end)
            )
    return mentions


def _find_mentions(text: str) -> list[_Mention]:
    """Responses and warnings with an action, in reading order.

    A name with no verb of its own shares the verb of the one it is listed with:
    "升级发布台风一级预警、防汛防风一级应急响应", "维持…Ⅱ级应急响应以及对山西…的Ⅲ级应急响应".
    """
    candidates = sorted(
        _response_candidates(text) + _warning_candidates(text),
        key=lambda mention: (mention.name_start, mention.anchor_end),
    )
    found: list[_Mention] = []
    for mention in candidates:
        previous = found[-1] if found else None
        if mention.action is None:
            gap = text[previous.anchor_end:mention.name_start] if previous else ""
            if previous is None or not _COORDINATION_RE.match(gap):
                continue
            inherited_hazard = previous.hazard if previous.kind == mention.kind else None
            mention = replace(
                mention,
                action=previous.action,
                verb_start=previous.verb_start,
                hazard=mention.hazard or inherited_hazard,
            )
        if mention.hazard is None and mention.level is None:
            continue
        found.append(mention)
    return found


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
        provinces = list(dict.fromkeys(PROVINCES[p] for p in _PROVINCE_RE.findall(text)))
        if provinces:
            return "、".join(provinces)
    city = _CITY_RE.search(authority)
    if city:
        return city.group(0)
    if authority in {"当地", "各地"} or not target:
        province = _PROVINCE_RE.search(sentence)
        if province:
            return PROVINCES[province.group(0)]
    return None


def _effective_time(
    text: str, segment_start: int, verb_start: int, edition: date, tz: ZoneInfo
) -> datetime | None:
    """The instant stated in the clause of the action: a date phrase, then a clock phrase."""
    # A clause that is only a time ("今天,", "24日,", "从昨晚开始,") belongs to the next clause.
    while segment_start > 0:
        previous_start = _clause_start(text, segment_start - 1)
        leftover = text[previous_start:segment_start - 1]
        phrases = find_time_phrases(leftover, edition, tz)
        for start, end, _ in reversed(phrases):
            leftover = leftover[:start] + leftover[end:]
        if not phrases or re.sub(r"[()从自起开始以来]", "", leftover).strip():
            break
        segment_start = previous_start
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
    if clock is not None and day is not None and clock is not day:
        return datetime.combine(day.start.date(), clock.start.timetz())
    if clock is not None:
        return clock.start
    return day.start if day is not None else None


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
    registry = _storm_registry(sentences)
    events: list[tuple[AlertEvent, bool]] = []
    last_authority: str | None = None
    main_storm = _main_storm(sentences, registry)
    context_so_far = ""
    for sentence in sentences:
        text = sentence.text
        names_here = _storm_names_in(text, registry)
        for mention in _find_mentions(text):
            clause_start = _clause_start(text, mention.verb_start)
            if not _is_current(text, mention, edition):
                continue
            subject_at = _subject(text, min(mention.verb_start, mention.name_start))
            named_place = _place_in_name(text, mention)
            if subject_at is not None:
                authority, segment_start = subject_at
            elif named_place is not None:
                authority, segment_start = named_place, clause_start
            elif last_authority is not None:
                authority, segment_start = last_authority, clause_start
            else:
                continue
            hazard = mention.hazard or _context_hazard(
                authority, text[:mention.name_start], text, context_so_far
            )
            if hazard is None:
                continue
            storm = _storm_for(hazard, names_here, main_storm, registry, edition)
            # The time stands before the verb: "区防指昨日20时启动…", "…应急响应于昨日18时解除".
            when = _effective_time(text, segment_start, mention.verb_start, edition, tz)
            event = AlertEvent(
                hazard=hazard,
                kind=mention.kind,
                action=mention.action,
                level=mention.level,
                storm=storm,
                authority=authority,
                region=_region(authority, text[segment_start:mention.anchor_end], text,
                               home_region),
                effective_at=when or datetime.combine(edition, time(0), tz),
                summary=sentence.original,
                impact=None,
                time_stated=when is not None,
            )
            events.append((event, sentence.is_title))
            last_authority = authority
        context_so_far += text
    merged = _merge_repetitions(events)
    return [replace(e, impact=_impact(sentences, e.storm)) for e in merged]


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
