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


def normalize_for_matching(text: str) -> str:
    """The folded form of ``text`` used for indexing and for queries (never for display)."""
    folded = unicodedata.normalize("NFKC", _INVISIBLE_FORMAT.sub("", text))
    return folded.translate(_traditional_to_simplified_table()).lower()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded form plus, for each folded character, the index of the original it came from.

    Used to put match marks on the original display text. When folding kept the length (the usual
    case for Chinese text) the mapping is the identity and costs nothing extra.
    """
    folded = normalize_for_matching(text)
    if len(folded) == len(text):
        return folded, list(range(len(text)))
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = normalize_for_matching(char)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), origin


def word_runs(folded: str) -> list[str]:
    """Maximal runs of letters/digits in already folded text; the units the index is built from."""
    return WORD_RUN.findall(folded)
