"""What a reader sees of an HTML message, as text: the HTML → text conversions, in one place.

:func:`plain_text` is the message as Telegram stores it: used for the sender's plain-text fallback
(when Telegram cannot parse a part's HTML), to tell whether an edit would change anything, and by
``newsbrief chat`` to record messages. :func:`html_to_terminal` is how ``newsbrief chat`` shows
one (bold, italics and link targets kept).
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


class _TerminalText(HTMLParser):
    """Telegram HTML → terminal text: bold as ANSI bold (or 【】 when not a terminal)."""

    def __init__(self, color: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.color = color
        self.pieces: list[str] = []
        self._links: list[str | None] = []
        self._bold_starts: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("b", "strong"):
            self._bold_starts.append(len(self.pieces))
            self.pieces.append("\x1b[1m" if self.color else "【")
        elif tag in ("i", "em") and self.color:
            self.pieces.append("\x1b[3m")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong"):
            start = self._bold_starts.pop() if self._bold_starts else None
            inner = "".join(self.pieces[start + 1 :]) if start is not None else ""
            if not self.color and inner.startswith("【") and inner.endswith("】"):
                self.pieces[start] = ""  # already bracketed: don't show 【【经济】】
                return
            self.pieces.append("\x1b[22m" if self.color else "】")
        elif tag in ("i", "em") and self.color:
            self.pieces.append("\x1b[23m")
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href:
                self.pieces.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def html_to_terminal(markup: str, *, color: bool = False) -> str:
    """Telegram HTML as the terminal shows it (bold, italics, link targets)."""
    parser = _TerminalText(color)
    parser.feed(markup)
    parser.close()
    return "".join(parser.pieces).strip()
