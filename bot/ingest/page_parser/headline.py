"""A headline group's lines: which is the 引题 kicker, the 主题 title and the 副题 subtitle.

Papers mark them: a kicker may end with ——, a subtitle starts with ——; otherwise the first line
is the title unless it reads as a kicker over the second (it ends with "强调", the second carries
a column tag or is set in two parallel halves) — never over a second line marked as a subtitle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.ingest.page_parser.patterns import (
    COLUMN_TAG,
    KICKER_DASHES,
    KICKER_ENDINGS,
    PARALLEL_HALVES,
    SUBTITLE_DASHES,
)

# A title this short over a long second line is the title, and the second line its deck.
MAX_SHORT_TITLE_CHARS = 4
HeadRole = Literal["kicker", "title", "subtitle"]


@dataclass(frozen=True)
class HeadLine:
    """One line of a headline group: its role and its text without the dashes marking it."""

    role: HeadRole
    text: str


def head_roles(group: list[str]) -> list[HeadLine]:
    """The role of each line of a headline group, in order (one entry per line)."""
    texts, kicker, title, subtitles = _marked_roles(group)
    if title is None:
        # Only dashed lines: the first subtitle, else the kicker, is the title.
        if subtitles:
            title = subtitles.pop(0)
        else:
            title, kicker = kicker, None
    assert title is not None  # a group has a line, and its first line is a kicker or a title
    if (kicker is None and subtitles and not SUBTITLE_DASHES.match(group[subtitles[0]])
            and reads_as_kicker(texts[title], texts[subtitles[0]])):
        kicker, title = title, subtitles.pop(0)
    roles: dict[int, HeadRole] = dict.fromkeys(subtitles, "subtitle")
    roles[title] = "title"
    if kicker is not None:
        roles[kicker] = "kicker"
    return [HeadLine(roles[position], texts[position]) for position in range(len(group))]


def _marked_roles(group: list[str]) -> tuple[list[str], int | None, int | None, list[int]]:
    """(texts without their dashes, kicker, title, subtitles) as the dashes mark them: the first
    line is the title or a dashed kicker; every line after the title is a subtitle."""
    texts = list(group)
    kicker: int | None = None
    title: int | None = None
    subtitles: list[int] = []
    for position, line in enumerate(group):
        if SUBTITLE_DASHES.match(line) and (title is not None or kicker is not None):
            subtitles.append(position)
            texts[position] = SUBTITLE_DASHES.sub("", line)
        elif KICKER_DASHES.search(line) and title is None and kicker is None:
            kicker = position
            texts[position] = KICKER_DASHES.sub("", line)
        elif title is not None:
            subtitles.append(position)
        else:
            title = position
    return texts, kicker, title, subtitles


def reads_as_kicker(first: str, second: str) -> bool:
    """Whether the first of two headline lines is the 引题 above the title, not the title."""
    if first.endswith(KICKER_ENDINGS):
        return True
    if COLUMN_TAG.search(second) and not COLUMN_TAG.search(first):
        return True
    # A single short title ("稻香") over a long deck set in two halves is the title.
    short_title = len(first) <= MAX_SHORT_TITLE_CHARS
    return bool(PARALLEL_HALVES.match(second)) and not (PARALLEL_HALVES.match(first) or short_title)
