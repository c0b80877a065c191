"""The last step: labelled lines become articles (headline, byline, paragraphs, subheads).

The labeller decides what each line is; the assembler only files it: a line marked as opening an
article starts one, headline lines fill its kicker/title/subtitle, a byline line its byline, body
lines its paragraphs (the first may carry the dateline byline, a picture's its credit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.ingest.page_parser.model import ArticleKind, Label, ParsedArticle
from bot.ingest.page_parser.patterns import (
    DATELINE,
    DATELINE_PREFIX,
    NAME,
    NOT_A_NAME,
    PHOTO_CREDIT,
    REPORTER_ROLE,
    SPACED_NAME,
)
from bot.ingest.page_parser.shapes import is_standalone_credit


@dataclass(frozen=True)
class LabelledLine:
    """A line of the page with its label; ``opens`` names the kind of piece it starts, if any."""

    text: str
    label: Label
    opens: ArticleKind | None = None


@dataclass
class Draft:
    """An article being assembled while the page is read top to bottom."""

    kind: ArticleKind
    kicker: str | None = None
    title: str = ""
    subtitles: list[str] = field(default_factory=list)
    byline: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    subheads: list[str] = field(default_factory=list)


class PageAssembler:
    """Files labelled lines into drafts, in reading order; the labeller asks it what came last."""

    def __init__(self) -> None:
        self.drafts: list[Draft] = []
        self.current: Draft | None = None

    def add(self, line: LabelledLine) -> None:
        if line.opens is not None:
            self._open(line)
        elif line.label == "dropped":
            return
        elif line.label in ("kicker", "title", "subtitle") and self.current is not None:
            _set_head_line(self.current, line)
        elif line.label == "byline" and self.current is not None:
            self.current.byline = line.text
        elif line.label == "subhead" and self.current is not None:
            self.current.paragraphs.append(line.text)
            self.current.subheads.append(line.text)
        else:
            if self.current is None:
                self.current = Draft("article")
                self.drafts.append(self.current)
            add_body_line(self.current, line.text)

    def close(self) -> None:
        """What follows belongs to no article yet (after a 导读 label or a teaser's pointer)."""
        self.current = None

    def _open(self, line: LabelledLine) -> None:
        assert line.opens is not None
        draft = Draft(line.opens)
        _set_head_line(draft, line)
        self.drafts.append(draft)
        # A teaser points elsewhere: what follows it belongs to no article yet.
        self.current = None if line.opens == "teaser" else draft

    def articles(self) -> list[ParsedArticle]:
        return [finish(draft) for draft in self.drafts]

    @property
    def last_paragraph(self) -> str | None:
        """The last paragraph of the article being read, if there is one."""
        if self.current is None or not self.current.paragraphs:
            return None
        return self.current.paragraphs[-1]


def _set_head_line(draft: Draft, line: LabelledLine) -> None:
    if line.label == "kicker":
        draft.kicker = line.text
    elif line.label == "title":
        draft.title = line.text
    else:
        draft.subtitles.append(line.text)


def add_body_line(draft: Draft, text: str) -> None:
    """Add a paragraph; the first one may carry the dateline byline or, for a photo, the credit."""
    if not draft.paragraphs and draft.byline is None:
        dateline = DATELINE.match(text)
        if dateline and dateline.end() < len(text):
            draft.byline = clean_byline(dateline.group(0))
            text = text[dateline.end() :]
    if draft.kind == "photo" and draft.byline is None:
        if is_standalone_credit(text):
            draft.byline = clean_byline(text)
            return
        credit = PHOTO_CREDIT.search(text)
        if credit:
            draft.byline = clean_byline(credit.group("credit"))
            text = text[: credit.start()].rstrip()
    draft.paragraphs.append(text)


def clean_byline(text: str) -> str:
    """Drop the ■ marker and collapse layout whitespace (tabs, no-break and ideographic spaces)."""
    text = re.sub(r"^[■□◎●▲◆]\s*", "", text.strip())
    return re.sub(r"[\s\u3000\xa0]+", " ", text)


def reporters(byline: str | None) -> tuple[str, ...]:
    """Names in a byline: what is left once the dateline, roles and brackets are taken out."""
    if not byline:
        return ()
    text = DATELINE_PREFIX.sub(" ", byline)
    # The bracket after a picture credit names the agency: "杨梅清摄（影像中国）".
    text = re.sub(r"摄(?:影报道)?[（(][^（）()]*[）)]", "摄", text)
    text = SPACED_NAME.sub(r"\1\2", REPORTER_ROLE.sub(" ", text))
    names: list[str] = []
    for token in re.split(r"[\s、，,（）()／/：:]+", text):
        name = token[:-1] if len(token) > 2 and token.endswith("摄") else token
        if re.fullmatch(NAME, name) and not NOT_A_NAME.search(name) and name not in names:
            names.append(name)
    return tuple(names)


def finish(draft: Draft) -> ParsedArticle:
    return ParsedArticle(
        kind=draft.kind,
        kicker=draft.kicker,
        title=draft.title,
        subtitle="\n".join(draft.subtitles) if draft.subtitles else None,
        byline=draft.byline,
        reporters=reporters(draft.byline),
        paragraphs=tuple(draft.paragraphs),
        subheads=tuple(draft.subheads),
    )
