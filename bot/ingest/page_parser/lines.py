"""The first step: refuse text that is no page, and read the page into lines with their layout."""

from __future__ import annotations

from bot.ingest.page_parser.model import Line, PageParseError
from bot.ingest.page_parser.patterns import (
    CJK,
    CONTROL,
    MAX_GAP_SHARE_FOR_ARTICLE_GAPS,
    MIN_CJK_SHARE,
    MIN_INDENTED_SHARE,
)
from bot.ingest.page_parser.shapes import is_heading_like, is_latin_line


def check_usable(text: str) -> None:
    """Refuse empty and binary-looking input with a message that says which."""
    visible = [char for char in text if not char.isspace()]
    if not visible:
        raise PageParseError("page text is empty")
    if len(CONTROL.findall(text)) > max(2, len(visible) // 100):
        raise PageParseError("page text contains control or undecodable characters: not text")
    # English box lines (countdowns, mastheads) are page furniture, not a sign of binary input.
    chinese_lines = [line for line in text.splitlines() if not is_latin_line(line.strip())]
    visible = [char for line in chinese_lines for char in line if not char.isspace()] or visible
    # CJK is weighed against letters only: digits and punctuation (dates, page codes, score
    # tables) say nothing about the language, and a nearly empty advert page of a bilingual paper
    # ("P04 | BUSINESS", a date, 广告) is all dates and codes.
    cjk = sum(1 for char in visible if CJK.match(char))
    letters = sum(1 for char in visible if char.isalpha() and not CJK.match(char))
    cjk_share = cjk / (cjk + letters) if cjk else 0.0
    if cjk_share < MIN_CJK_SHARE:
        raise PageParseError(
            f"page text is not Chinese newspaper text: only {cjk_share:.0%} CJK characters"
        )


def input_lines(text: str) -> list[str]:
    """The page's lines as `--explain` numbers them (line breaks normalised, BOM dropped)."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_lines(text: str) -> list[Line]:
    """Non-empty lines with their indentation and whether a blank line came before them."""
    lines: list[Line] = []
    gap = False
    for number, raw in enumerate(input_lines(text), start=1):
        stripped = raw.strip()
        if not stripped:
            gap = True
            continue
        indented = raw[:1] in ("\u3000", " ", "\xa0", "\t")
        lines.append(Line(stripped, (number,), indented=indented, gap_before=gap and bool(lines)))
        gap = False
    return lines


def layout_signals(lines: list[Line]) -> tuple[bool, bool]:
    """(blank lines separate articles, indentation marks paragraphs) for this page."""
    if len(lines) < 2:
        return False, False
    gap_share = sum(line.gap_before for line in lines[1:]) / (len(lines) - 1)
    body = [line for line in lines if not is_heading_like(line.text)]
    indented_share = sum(line.indented for line in body) / len(body) if body else 0.0
    return gap_share < MAX_GAP_SHARE_FOR_ARTICLE_GAPS, indented_share >= MIN_INDENTED_SHARE
