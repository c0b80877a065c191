"""Fitting text into Telegram messages: length as Telegram counts it, and cuts at good places.

Long text is split on the plain text, before any tag is added, at ≤ :data:`TELEGRAM_TEXT_LIMIT`
UTF-16 code units (what Telegram counts after parsing entities): at paragraph, then sentence
(。！？；), then comma boundaries, then anywhere. Tags are added after the cut, so they never count
and never break.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.render.i18n import Html, escape

TELEGRAM_TEXT_LIMIT = 4096  # UTF-16 code units of a message's text after entity parsing

# Where a long paragraph may be cut, best first; closing quotes and brackets stay with the
# sentence they close.
SENTENCE_BREAK = re.compile(r"[。！？；!?;…]+[”’」』）)\]]*")
CLAUSE_BREAK = re.compile(r"[，、,：:]+[”’」』）)\]]*|\s+")


@dataclass(frozen=True)
class Span:
    text: str
    style: str = ""  # "" plain, "b" bold, "i" italic


@dataclass(frozen=True)
class Block:
    """A paragraph-like unit: messages are cut between blocks before they are cut inside one."""

    spans: tuple[Span, ...]

    @classmethod
    def of(cls, text: str, style: str = "") -> Block:
        return cls((Span(text, style),))

    @property
    def length(self) -> int:
        return sum(utf16_len(span.text) for span in self.spans)


# --- splitting --------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _cut_after(text: str, pattern: re.Pattern[str]) -> list[str]:
    pieces, start = [], 0
    for match in pattern.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _hard_cut(text: str, limit: int) -> list[str]:
    pieces, current, used = [], [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > limit:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """One paragraph → pieces of ≤ ``limit`` units: sentences, then clauses, then anywhere."""
    if utf16_len(text) <= limit:
        return [text]
    return _pack_units(text, limit, (SENTENCE_BREAK, CLAUSE_BREAK))


def _pack_units(text: str, limit: int, levels: Sequence[re.Pattern[str]]) -> list[str]:
    if not levels:
        return _hard_cut(text, limit)
    units: list[str] = []
    for unit in _cut_after(text, levels[0]):
        if utf16_len(unit) > limit:
            units.extend(_pack_units(unit, limit, levels[1:]))
        else:
            units.append(unit)
    pieces: list[str] = []
    current, used = "", 0
    for unit in units:
        size = utf16_len(unit)
        if current and used + size > limit:
            pieces.append(current)
            current, used = "", 0
        current += unit
        used += size
    if current:
        pieces.append(current)
    return pieces


def _split_block(block: Block, limit: int) -> list[Block]:
    if block.length <= limit:
        return [block]
    result: list[Block] = []
    for span in block.spans:
        if span.text.strip():
            result.extend(Block.of(piece, span.style) for piece in split_text(span.text, limit))
    return result


def pack_blocks(
    blocks: Iterable[Block], limit: int = TELEGRAM_TEXT_LIMIT, separator: str = "\n\n"
) -> list[list[Block]]:
    """Group blocks into messages of ≤ ``limit`` units, cutting oversized blocks first."""
    gap = utf16_len(separator)
    messages: list[list[Block]] = []
    current: list[Block] = []
    used = 0
    for original in blocks:
        for block in _split_block(original, limit):
            size = block.length
            if current and used + gap + size > limit:
                messages.append(current)
                current, used = [], 0
            used += size + (gap if current else 0)
            current.append(block)
    if current:
        messages.append(current)
    return messages


def blocks_to_html(blocks: Sequence[Block], separator: str = "\n\n") -> Html:
    """Escape every span and add its tags (after splitting, so tags never count or break)."""
    rendered = []
    for block in blocks:
        pieces = []
        for span in block.spans:
            text = escape(span.text)
            pieces.append(f"<{span.style}>{text}</{span.style}>" if span.style else text)
        rendered.append("".join(pieces))
    return Html(separator.join(rendered))


def clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, for lists and button labels."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
