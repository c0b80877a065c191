"""What the page parser hands out (articles, pages, line labels) and the lines it passes along."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

ArticleKind = Literal["article", "photo", "teaser"]
# What one input line of a page turned out to be (`newsbrief parse --explain`).
Label = Literal[
    "ear",  # page furniture: a page ear, a countdown box, a masthead line
    "kicker",  # 引题 over a title
    "title",  # 主题: opens an article, picture or teaser
    "subtitle",  # 副题 under a title
    "byline",  # a reporter line of its own under the headline
    "subhead",  # a section head inside an article
    "body",  # a paragraph (or its first piece when a column break cut it)
    "continuation",  # the rest of a paragraph a column break cut: joined to the line before
    "credit",  # a picture credit, sign-off or source note
    "dropped",  # a duplicated fragment, a jump line, a 导读 label or a page pointer
]
LABELS: tuple[Label, ...] = (
    "ear",
    "kicker",
    "title",
    "subtitle",
    "byline",
    "subhead",
    "body",
    "continuation",
    "credit",
    "dropped",
)


class PageParseError(ValueError):
    """The text is not a newspaper page this parser can read (empty, binary, no article)."""


@dataclass(frozen=True)
class ParsedArticle:
    """One article, picture or teaser of a page, as the `parse --json` contract describes it."""

    kind: ArticleKind
    title: str
    kicker: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    reporters: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = ()
    subheads: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The article shape of `newsbrief parse --json` (docs/cli.md)."""
        return {
            "kind": self.kind,
            "kicker": self.kicker,
            "title": self.title,
            "subtitle": self.subtitle,
            "byline": self.byline,
            "reporters": list(self.reporters),
            "paragraphs": list(self.paragraphs),
            "subheads": list(self.subheads),
        }


@dataclass(frozen=True)
class ParsedPage:
    """All articles of one page with the edition they belong to."""

    edition: date
    articles: tuple[ParsedArticle, ...]
    paper: str | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, object]:
        """The page shape of `newsbrief parse --json`."""
        return {
            "date": self.edition.isoformat(),
            "paper": self.paper,
            "page": self.page,
            "articles": [article.to_dict() for article in self.articles],
        }


@dataclass(frozen=True)
class ExplainedLine:
    """One non-empty input line (numbered from 1) and the label the parser gave it."""

    number: int
    text: str
    label: Label


@dataclass
class Line:
    """One block of the page: its text, the layout around it that carries meaning, and the input
    lines (numbered from 1) it was made of, so each can be explained."""

    text: str
    sources: tuple[int, ...] = ()
    indented: bool = False
    gap_before: bool = False
    is_teaser_label: bool = False
    is_jump: bool = False
    before_jump: bool = False
    # A cut rule ("★", "————") stood between this line and the one before: a story ended there.
    after_rule: bool = False
    # The line ends on a page pointer as a teaser does ("… >>8版"; "… B2" only beside another
    # pointer: furniture.page_pointer), so no column break runs it on into the next.
    ends_on_pointer: bool = False


# Labels given to input lines while the page is read, by input line number.
Trace = dict[int, Label]
