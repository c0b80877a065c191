"""What a reader sees of an HTML message, as plain text: the one HTML → text conversion.

Used for the sender's plain-text fallback (when Telegram cannot parse a part's HTML), to tell
whether an edit would change anything, and by ``newsbrief chat`` to record messages as Telegram
stores them.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def plain_text(markup: str) -> str:
    """Tags gone, entities decoded, ends trimmed — as Telegram stores a message's text."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return "".join(parser.pieces).strip()
