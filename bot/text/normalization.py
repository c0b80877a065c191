"""One normal form for matching, shared by the search index and the search query.

Readers type simplified or traditional characters, full-width or ASCII punctuation, upper or lower
case Latin; the printed article may use any of them. Both sides are folded the same way (NFKC,
traditional → simplified character by character, Latin lower-cased) so they meet. Display text is
never altered: the folded form is only used to build the index and to locate matches.

Traditional → simplified is done per character with a table built once from OpenCC ``t2s``. OpenCC's
phrase-level conversion would be slightly better Chinese, but it depends on the neighbouring
characters, so a query could fold differently from the same characters inside an article; a
per-character table is length-preserving and folds a substring exactly as it folds the whole text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# CJK Unified Ideographs (+ extension A), compatibility ideographs: the characters OpenCC may fold.
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))

# A run of "word" characters: letters and digits of any script, not the underscore. Everything else
# (spaces, punctuation, symbols, emoji, control characters) separates runs and is never indexed.
WORD_RUN = re.compile(r"[^\W_]+")

# Invisible format characters (soft hyphen, zero-width space/joiners, direction marks, BOM) are
# dropped so "经\u200b开" still reads as 经开 on both sides.
_INVISIBLE_FORMAT = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


@cache
def _traditional_to_simplified_table() -> dict[int, str]:
    """Code point → simplified character, for every Han character OpenCC t2s changes on its own."""
    import opencc

    converter = opencc.OpenCC("t2s")
    chars = [chr(cp) for start, end in _HAN_RANGES for cp in range(start, end + 1)]
    # One character per line so OpenCC cannot join neighbours into a phrase.
    converted = converter.convert("\n".join(chars)).split("\n")
    table: dict[int, str] = {}
    if len(converted) != len(chars):  # pragma: no cover - OpenCC kept lines one to one when built
        converted = [converter.convert(c) for c in chars]
    for original, simplified in zip(chars, converted, strict=True):
        if simplified != original and len(simplified) == 1:
            table[ord(original)] = simplified
    return table


@cache
def _traditional_chars() -> re.Pattern[str]:
    """Any character the table changes. ``str.translate`` looks every character up, a third of
    the cost of folding an article; the regex finds (almost always) none far faster."""
    table = _traditional_to_simplified_table()
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(table)) + "]")


def normalize_for_matching(text: str) -> str:
    """The folded form of ``text`` used for indexing and for queries (never for display)."""
    folded = unicodedata.normalize("NFKC", _INVISIBLE_FORMAT.sub("", text))
    if _traditional_chars().search(folded):
        folded = folded.translate(_traditional_to_simplified_table())
    return folded.lower()


@cache
def _length_changing() -> re.Pattern[str]:
    """Runs of characters whose folded form is not exactly one character (…, ㈱, ligatures,
    invisible marks), plus anything outside the Basic Multilingual Plane to be safe."""
    changing = [
        chr(cp)
        for cp in range(0x10000)
        if not 0xD800 <= cp <= 0xDFFF and len(normalize_for_matching(chr(cp))) != 1
    ]
    return re.compile("[" + "".join(re.escape(c) for c in changing) + "\U00010000-\U0010ffff]+")


def _fold_each(text: str, start: int, pieces: list[str], origin: list[int]) -> None:
    for index, char in enumerate(text, start):
        piece = normalize_for_matching(char)
        pieces.append(piece)
        origin.extend([index] * len(piece))


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded form plus, for each folded character, the index of the original it came from.

    Used to put match marks on the original display text. When folding kept the length (the usual
    case for Chinese text) the mapping is the identity and costs nothing extra; otherwise only the
    characters whose fold changes length (e.g. "……" → "......") are folded one by one.
    """
    folded = normalize_for_matching(text)
    if len(folded) == len(text):
        return folded, list(range(len(text)))
    pieces: list[str] = []
    origin: list[int] = []
    position = 0
    for match in _length_changing().finditer(text):
        _fold_between(text, position, match.start(), pieces, origin)
        _fold_each(match.group(), match.start(), pieces, origin)
        position = match.end()
    _fold_between(text, position, len(text), pieces, origin)
    return "".join(pieces), origin


def _fold_between(text: str, start: int, end: int, pieces: list[str], origin: list[int]) -> None:
    """Fold ``text[start:end]`` as a whole when that keeps its length (composition may not)."""
    if start >= end:
        return
    segment = text[start:end]
    folded = normalize_for_matching(segment)
    if len(folded) == len(segment):
        pieces.append(folded)
        origin.extend(range(start, end))
    else:
        _fold_each(segment, start, pieces, origin)


@cache
def _folds_to() -> dict[str, str]:
    """Folded character → every BMP character that folds to exactly it (itself included)."""
    sources: dict[str, list[str]] = {}
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        char = chr(cp)
        folded = normalize_for_matching(char)
        if len(folded) == 1:
            sources.setdefault(folded, []).append(char)
    return {folded: "".join(chars) for folded, chars in sources.items()}


def fold_sources(folded_char: str) -> str:
    """Every character that folds to exactly ``folded_char`` (itself included)."""
    return _folds_to().get(folded_char, folded_char)


@cache
def unfolding_pattern(folded: str) -> re.Pattern[str]:
    """A regex finding, in unfolded text, the characters that fold one by one to ``folded``
    ("台风" finds 台风, 颱風, 臺風…; "abc" finds ABC, ａｂｃ): a match can be located without
    folding the text. Folds that change length (㈱ → (株)) are not covered."""
    table = _folds_to()
    parts = []
    for char in folded:
        sources = table.get(char, char)
        parts.append(re.escape(sources) if len(sources) == 1 else f"[{re.escape(sources)}]")
    return re.compile("".join(parts))


def word_runs(folded: str) -> list[str]:
    """Maximal runs of letters/digits in already folded text; the units the index is built from."""
    return WORD_RUN.findall(folded)
