"""Where an article's section comes from: what the page or source says first, the model last.

A paper states the section of most pages in the page ear ("第02版：要闻", "经济新闻",
"社会·民生"); a feed may carry a category; an operator may configure a section for a file, a
JSONL line or a polled source, or map page numbers to sections for a paper
(NEWSBRIEF_SECTION_PAGES = "1-2:时政,3:经济"). Precedence, most specific first:

1. ``source`` — a section stated for this file, line or source (``ingest --section``, a JSONL
   ``section``, ``sources add --section``): configuration states what the source is, so it is
   recorded as the source's word, not as an operator's correction;
2. ``page`` — the page ear names a section;
3. ``source`` — the feed or JSONL line carries a category that names one;
4. ``source`` — the page map setting covers the page number (a standing setting, less specific
   than the page's own ear, which is why the ear wins);
5. ``model`` — the classifier, with its confidence.

``operator`` is kept for corrections made after the fact (``section-set``, the bot's 版块
button, `storage.articles.ArticleRepository.set_section`): only those are training labels
(``sections export-labels``), and only those outlive a source's edit of the item.
Only ``model`` choices carry a confidence; the others are what someone wrote down.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.config import SettingsError
from bot.text.sections import (
    DEFAULT_SECTION,
    SECTIONS,
    load_model,
    resolve_section_name,
    section_scores,
)

SECTION_SOURCES: tuple[str, ...] = ("operator", "page", "source", "model")

# Words a page ear or a feed category uses, by section. Matched against the whole ear, after
# the page number and separators are removed, so a headline that mentions 经济 is never an ear.
_EAR_WORD_LISTS: Mapping[str, str] = {
    "时政": "要闻 时政 政务 国际 军事 综合新闻 国内 时事 评论 观点 党建 两岸",
    "经济": "经济 财经 产经 金融 三农 农业 农村 楼市 房产 汽车 商业 市场 产业",
    "社会": "社会 民生 法治 城事 本地 城市 社区 健康 生活 公益 政法",
    "科教": "科技 教育 科教 科学 校园 创新",
    "文体": "文化 体育 文体 副刊 旅游 文旅 娱乐 文艺 读书 亚运",
    "应急": "应急 防汛 气象 天气 防灾",
}
EAR_WORDS: Mapping[str, str] = {
    word: section for section, words in _EAR_WORD_LISTS.items() for word in words.split()
}
# "第02版：要闻" / "02版 经济" / "A3 社会·民生": a page number, then the ear.
NUMBERED_EAR = re.compile(
    r"^第?\s*[A-Za-z]?[0-9０-９一二三四五六七八九十]{1,3}\s*版\s*[：:·\s]\s*(?P<ear>\S.{0,15})$"
)
EAR_SUFFIXES = re.compile(r"(?:新闻|专版|周刊|版|频道|观察|视点)$")
EAR_SEPARATORS = re.compile(r"[·•・\s/|、]+")
EAR_LINES = 6
EAR_MAX_CHARS = 12


@dataclass(frozen=True)
class SectionChoice:
    """The section filed, who or what decided it, and the model's confidence when it did."""

    section: str
    source: str
    confidence: float | None = None


def ear_section(ear: str) -> str | None:
    """The section an ear or category names ("要闻", "社会·民生", "Sports"), or None.

    Every part must be an ear word, and all the named sections must agree.
    """
    text = EAR_SUFFIXES.sub("", ear.strip()) or ear.strip()
    parts = [part for part in EAR_SEPARATORS.split(text) if part]
    if not parts:
        return None
    named = set()
    for part in parts:
        part = EAR_SUFFIXES.sub("", part) or part
        section = EAR_WORDS.get(part) or resolve_section_name(part)
        if section is None:
            return None
        named.add(section)
    return named.pop() if len(named) == 1 else None


def page_ear_section(page_text: str) -> str | None:
    """The section the page ear states, from the first few non-blank lines of the page.

    A numbered ear ("第02版：要闻") is read wherever it is among them; a bare ear ("经济新闻",
    "社会·民生") only when the line is short and consists of ear words alone.
    """
    lines = [line.strip() for line in page_text.splitlines() if line.strip()][:EAR_LINES]
    for line in lines:
        numbered = NUMBERED_EAR.match(line)
        if numbered:
            section = ear_section(numbered.group("ear"))
            if section is not None:
                return section
        elif len(line) <= EAR_MAX_CHARS:
            section = ear_section(line)
            if section is not None:
                return section
    return None


SECTION_PAGES_SETTING = "NEWSBRIEF_SECTION_PAGES"
PAGE_MAP_EXAMPLE = "1-2:时政,3:经济"


class PageMapError(ValueError):
    """NEWSBRIEF_SECTION_PAGES is not a list of "PAGES:SECTION" entries."""


def parse_page_map(text: str) -> dict[int, str]:
    """ "1-2:时政,3:经济" -> {1: 时政, 2: 时政, 3: 经济}; an empty setting is an empty map.

    Pages are 1-999 ("3" or "3-5", first ≤ last); a section is any name `/section` accepts.
    """
    pages: dict[int, str] = {}
    for entry in filter(None, (part.strip() for part in re.split(r"[,，;；]", text))):
        span, sep, name = entry.partition(":") if ":" in entry else entry.partition("：")
        if not sep:
            raise PageMapError(f"entry {entry!r} has no section (expected e.g. {PAGE_MAP_EXAMPLE})")
        match = re.fullmatch(r"\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?", span)
        first = int(match.group(1)) if match else 0
        last = int(match.group(2) or first) if match else 0
        if match is None or first < 1 or last < first:
            raise PageMapError(
                f"bad page range {span.strip()!r} in {entry!r} (a page 1-999 or FIRST-LAST)"
            )
        section = resolve_section_name(name)
        if section is None:
            raise PageMapError(
                f"unknown section {name.strip()!r} in {entry!r} (one of {' '.join(SECTIONS)})"
            )
        for page in range(first, last + 1):
            pages[page] = section
    return pages


def section_pages_setting(raw: str) -> dict[int, str]:
    """The page map setting, checked at start-up: SettingsError naming the variable, so `run` and
    every command stop with one line (exit 2) instead of failing at the first ingest."""
    try:
        return parse_page_map(raw)
    except PageMapError as exc:
        raise SettingsError(f"{SECTION_PAGES_SETTING}={raw!r}: {exc}") from exc


def describe_page_map(pages: Mapping[int, str]) -> str:
    """{1: 时政, 2: 时政, 3: 经济} -> "1-2 时政, 3 经济" (runs of pages under one section)."""
    runs: list[tuple[int, int, str]] = []
    for page in sorted(pages):
        if runs and runs[-1][1] == page - 1 and runs[-1][2] == pages[page]:
            runs[-1] = (runs[-1][0], page, pages[page])
        else:
            runs.append((page, page, pages[page]))
    return ", ".join(f"{a}-{b} {s}" if a != b else f"{a} {s}" for a, b, s in runs)


def model_choice(title: str, paragraphs: Sequence[str] = ()) -> SectionChoice:
    """The classifier's section with a softmax confidence over the six section scores
    (scaled, since the scores are per-feature means: a ranking aid, not a calibrated
    probability)."""
    if not title.strip() and not any(p.strip() for p in paragraphs):
        return SectionChoice(DEFAULT_SECTION, "model", 0.0)
    model = load_model()
    scores = section_scores(title, paragraphs, model)
    best = max(SECTIONS, key=lambda section: scores[section])
    top = scores[best]
    weights = {s: math.exp(model.confidence_scale * (v - top)) for s, v in scores.items()}
    return SectionChoice(best, "model", round(weights[best] / sum(weights.values()), 3))


def choose_section(
    title: str,
    paragraphs: Sequence[str] = (),
    *,
    stated_section: str | None = None,
    page_ear: str | None = None,
    category: str | None = None,
    page: int | None = None,
    page_map: Mapping[int, str] | None = None,
) -> SectionChoice:
    """The section by the precedence in this module's docstring."""
    if stated_section:
        section = resolve_section_name(stated_section)
        if section is not None:
            return SectionChoice(section, "source")
    if page_ear:
        return SectionChoice(page_ear, "page")
    if category:
        section = ear_section(category)
        if section is not None:
            return SectionChoice(section, "source")
    if page is not None and page_map and page in page_map:
        return SectionChoice(page_map[page], "source")
    return model_choice(title, paragraphs)
