"""Measure the page parser on People's Daily pages it was not written from.

Run by hand: /tmp/venv/bin/python tests/quality/page_parser_eval.py [--pages N] [--seed S]

The corpus (../shared/data/corpora/rmrb-2019-10) holds 488 pages of web text: a headline block of
unindented lines (the crawler's `title` is its first line), indented paragraphs, a blank line
between articles, no PDF artefacts. The parser reads PDF-to-text output, so each page is measured
in three layouts that carry the same articles:

* web: the page text as stored;
* pdf: every line stripped of indentation and set off by blank lines, as a PDF-to-text tool
  leaves blocks (no blank-line or indentation cues left);
* pdf-broken: the pdf layout with column breaks (a third of the body paragraphs — lines ending a
  sentence; section heads and credit lines stand on lines of their own — cut once at the
  end of one of their lines, set 11-16 characters wide with a 2-character indent by the rules of
  Chinese line breaking: no closing mark starts a line, no opening mark ends one, no digit or Latin
  run is split; never right after a full stop, which no reader could tell from a paragraph end),
  a duplicated trailing fragment after one paragraph in twenty, and page furniture (a page ear
  on top, a countdown box with English lines at the end).

Figures: headline precision/recall (a parsed article's first headline line — kicker, else title —
against the crawler's title) and the share of the corpus paragraphs reproduced exactly (a first
paragraph counts when byline + paragraph give it back, since the dateline lead moves to the byline;
a picture's credit line counts when it is the photo's byline).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CORPUS = SHARED_DATA / "corpora" / "rmrb-2019-10"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.ingest.page_parser import PageParseError, parse_page  # noqa: E402

SPLIT_SHARE = 1 / 3
DUPLICATE_SHARE = 1 / 20
# Body columns of a broadsheet hold about this many characters a line (one width a page).
MIN_LINE_CHARS = 11
MAX_LINE_CHARS = 16
PARAGRAPH_INDENT_CHARS = 2
PARAGRAPH_END = "。！？!?…”’）)"
SENTENCE_FINAL = "。！？!?…；;：:”"
# Line-breaking rules of Chinese typesetting (禁则): marks that never start or end a line.
LINE_START_FORBIDDEN = "，。、；：？！,.;:?!”’）》」』〕】…—%‰·"
LINE_END_FORBIDDEN = "“‘（《「『〔【"
# Digits and Latin letters are set as unbreakable words.
_UNBREAKABLE = re.compile(r"[0-9A-Za-z０-９.．]")
PAGE_EAR = "今日16版"
COUNTDOWN_BOX = (
    "杭州第19届亚运会\nThe 19th Asian Games\n倒计时 54 天\n"
    "To the Opening Ceremony of Hangzhou Asian Games\n54 Days"
)
LAYOUTS = ("web", "pdf", "pdf-broken")


@dataclass(frozen=True)
class CorpusArticle:
    """An article as the corpus knows it: its crawler title and its body paragraphs."""

    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class CorpusPage:
    edition: date
    page: int
    text: str
    articles: tuple[CorpusArticle, ...]


@dataclass
class Score:
    """Counts behind the figures, summed over pages."""

    pages: int = 0
    refused: int = 0
    titles_expected: int = 0
    titles_parsed: int = 0
    titles_matched_expected: int = 0
    titles_matched_parsed: int = 0
    paragraphs_expected: int = 0
    paragraphs_reproduced: int = 0

    @property
    def title_precision(self) -> float:
        return self.titles_matched_parsed / self.titles_parsed if self.titles_parsed else 0.0

    @property
    def title_recall(self) -> float:
        return self.titles_matched_expected / self.titles_expected if self.titles_expected else 0.0

    @property
    def paragraphs_exact(self) -> float:
        if not self.paragraphs_expected:
            return 0.0
        return self.paragraphs_reproduced / self.paragraphs_expected


def load_pages(corpus: Path = CORPUS) -> list[CorpusPage]:
    """The corpus pages with the articles each one holds, in page order."""
    by_page: dict[tuple[str, int], list[CorpusArticle]] = defaultdict(list)
    with (corpus / "articles.jsonl").open(encoding="utf-8") as articles:
        for line in articles:
            record = json.loads(line)
            lines = [entry.strip() for entry in record["text"].split("\n") if entry.strip()]
            body_start = next(
                (
                    index
                    for index, entry in enumerate(record["text"].strip("\n").split("\n"))
                    if entry[:1] in ("\u3000", " ", "\xa0")
                ),
                None,
            )
            head_lines = _head_line_count(record["text"], body_start)
            by_page[(record["date"], int(record["page"]))].append(
                CorpusArticle(record["title"].strip(), tuple(lines[head_lines:]))
            )
    pages: list[CorpusPage] = []
    with (corpus / "pages.jsonl").open(encoding="utf-8") as stored:
        for line in stored:
            record = json.loads(line)
            edition = datetime.strptime(record["date"], "%Y%m%d").date()
            key = (record["date"], int(record["page"]))
            pages.append(CorpusPage(edition, key[1], record["text"], tuple(by_page[key])))
    return pages


def _head_line_count(text: str, body_start: int | None) -> int:
    """How many non-empty unindented lines open the article (its headline block)."""
    raw_lines = text.strip("\n").split("\n")
    stop = len(raw_lines) if body_start is None else body_start
    return sum(1 for entry in raw_lines[:stop] if entry.strip())


def pdf_layout(text: str) -> str:
    """Every line on its own block, indentation gone: what a PDF-to-text tool leaves."""
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip()) + "\n"


def _line_ends(paragraph: str, line_chars: int) -> list[int]:
    """Where the lines of a paragraph set in a column ``line_chars`` wide end.

    The first line is indented by two characters. Chinese line breaking (禁则) puts no closing
    mark (，。”）…) at the start of a line (it hangs at the end of the line before) and no opening
    mark (“《（) at the end of one, and keeps a run of digits or Latin letters ("2019", "GDP",
    "9.26") and a —— or …… pair together.
    """
    ends: list[int] = []
    end = line_chars - PARAGRAPH_INDENT_CHARS
    while end < len(paragraph):
        cut = end
        while cut < len(paragraph) and paragraph[cut] in LINE_START_FORBIDDEN:
            cut += 1
        while 1 < cut < len(paragraph) and _breaks_a_rule(paragraph, cut):
            cut -= 1
        if 0 < cut < len(paragraph) and not _breaks_a_rule(paragraph, cut):
            ends.append(cut)
        end += line_chars
    return ends


def _breaks_a_rule(paragraph: str, cut: int) -> bool:
    """Whether a line ending before ``paragraph[cut]`` breaks a rule of Chinese line breaking."""
    before, after = paragraph[cut - 1], paragraph[cut]
    return (
        after in LINE_START_FORBIDDEN
        or before in LINE_END_FORBIDDEN
        or bool(_UNBREAKABLE.match(before) and _UNBREAKABLE.match(after))
    )


def _split_point(paragraph: str, rng: random.Random, line_chars: int) -> int | None:
    """Where a column break cuts a paragraph: at the end of one of its lines, since a column
    ends where a line does. A cut right after a full stop is left out: no reader could tell it
    from a paragraph end."""
    candidates = [
        cut for cut in _line_ends(paragraph, line_chars) if paragraph[cut - 1] not in SENTENCE_FINAL
    ]
    return rng.choice(candidates) if candidates else None


def broken_pdf_layout(text: str, rng: random.Random) -> str:
    """The pdf layout with column breaks, duplicated fragments and page furniture."""
    blocks: list[str] = [PAGE_EAR]
    line_chars = rng.randint(MIN_LINE_CHARS, MAX_LINE_CHARS)
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        is_body = raw[:1] in ("\u3000", " ", "\xa0")
        # Section heads and credit lines are set on lines of their own: only paragraphs (ending
        # a sentence) run on from one column into the next.
        is_paragraph = is_body and line[-1] in PARAGRAPH_END
        cut = is_paragraph and rng.random() < SPLIT_SHARE
        split = _split_point(line, rng, line_chars) if cut else None
        if split is not None:
            blocks.extend([line[:split], line[split:]])
        else:
            blocks.append(line)
        if is_body and line[-1] in "。！？" and rng.random() < DUPLICATE_SHARE:
            blocks.append(line[-rng.randint(2, 6) :])
    blocks.append(COUNTDOWN_BOX)
    return "\n\n".join(blocks) + "\n"


def _headline_key(text: str) -> str:
    """A headline line without the —— marks a kicker or subtitle carries."""
    return text.strip().strip("—").strip()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def score_page(page: CorpusPage, text: str, score: Score) -> None:
    """Add one parse of one page (in some layout) to the score."""
    score.pages += 1
    expected_titles = Counter(
        _headline_key(article.title) for article in page.articles if article.title
    )
    expected_paragraphs = Counter(p for article in page.articles for p in article.paragraphs)
    score.titles_expected += sum(expected_titles.values())
    score.paragraphs_expected += sum(expected_paragraphs.values())
    try:
        parsed = parse_page(text, page.edition, paper="人民日报", page=page.page)
    except PageParseError:
        score.refused += 1
        return
    parsed_titles = Counter(
        _headline_key(article.kicker or article.title)
        for article in parsed.articles
        if article.title and article.kind != "teaser"
    )
    score.titles_parsed += sum(parsed_titles.values())
    matched = sum((parsed_titles & expected_titles).values())
    score.titles_matched_expected += matched
    score.titles_matched_parsed += matched
    produced = Counter(p for article in parsed.articles for p in article.paragraphs)
    with_byline = Counter(
        _squeeze((article.byline or "") + article.paragraphs[0])
        for article in parsed.articles
        if article.byline and article.paragraphs
    )
    # A picture's credit line ("杨梅清摄（影像中国）") is the photo's byline in the parse.
    with_byline.update(
        _squeeze(article.byline)
        for article in parsed.articles
        if article.kind == "photo" and article.byline
    )
    for paragraph, count in expected_paragraphs.items():
        exact = min(count, produced[paragraph])
        produced[paragraph] -= exact
        rest = count - exact
        squeezed = _squeeze(paragraph)
        via_byline = min(rest, with_byline[squeezed])
        with_byline[squeezed] -= via_byline
        score.paragraphs_reproduced += exact + via_byline


def evaluate(pages: Iterable[CorpusPage], seed: int = 20191001) -> dict[str, Score]:
    """Scores per layout over the given pages; the broken layout is reproducible from the seed."""
    rng = random.Random(seed)
    scores = {layout: Score() for layout in LAYOUTS}
    for page in pages:
        score_page(page, page.text, scores["web"])
        score_page(page, pdf_layout(page.text), scores["pdf"])
        score_page(page, broken_pdf_layout(page.text, rng), scores["pdf-broken"])
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=0, help="measure only the first N pages")
    parser.add_argument("--seed", type=int, default=20191001)
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 0
    pages = load_pages()
    if args.pages:
        pages = pages[: args.pages]
    scores = evaluate(pages, seed=args.seed)
    print("| layout | pages | refused | headline precision | headline recall | paragraphs exact |")
    print("|---|---|---|---|---|---|")
    for layout, score in scores.items():
        print(
            f"| {layout} | {score.pages} | {score.refused} | {score.title_precision:.1%} | "
            f"{score.title_recall:.1%} | {score.paragraphs_exact:.1%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
