"""Measure the PDF page reader on People's Daily pages it was not written from.

Run by hand: nice /tmp/venv/bin/python tests/quality/pdf_reader_eval.py [--set held-out|dev]

Each corpus page (../shared/data/corpora/rmrb-2019-10; ``dev``: every 40th page, which the
reader was tuned on; ``held-out``: every 4th from the third, disjoint from dev and never looked
at) is set as a real PDF with reportlab and the CID font STSong-Light, the way e-paper pages are
set: each story a headline block across the page (16 pt, wrapped) over its body flowing through
three columns of 10 pt text (16 characters a line, first lines indented two characters, columns
of equal height, so paragraphs are cut at column ends), a blank gap between stories. The PDF goes
through ``bot.ingest.pdf_pages.pdf_page_text`` and then the page parser, and is scored exactly as
``page_parser_eval.py`` scores text (headline precision/recall, paragraphs exact).

The baseline measured in the same run is the ``pdf`` layout of page_parser_eval: the same page
text as an ideal PDF-to-text tool would give it (every block set off, no column cuts). The reader
loses nothing when its figures match that row; the gap is what layout reading costs.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.ingest.pdf_pages import PdfPageError, pdf_page_text  # noqa: E402
from tests.quality.page_parser_eval import (  # noqa: E402
    CORPUS,
    CorpusArticle,
    CorpusPage,
    Score,
    load_pages,
    pdf_layout,
    score_page,
)

FONT = "STSong-Light"
WIDTH = 595
MARGIN = 40
COLUMNS = 3
COLUMN_GAP = 15
BODY_SIZE = 10
LINE_STEP = 15
HEAD_SIZE = 16
HEAD_STEP = 24
STORY_GAP = 30
INDENT = "\u3000\u3000"


def _stories(text: str) -> list[tuple[list[str], list[str]]]:
    """Web text → stories: (headline lines, body paragraphs); indented lines are paragraphs."""
    stories: list[tuple[list[str], list[str]]] = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        head = [line.strip() for line in lines if line[:1] not in ("\u3000", " ", "\xa0")]
        body = [line.strip() for line in lines if line[:1] in ("\u3000", " ", "\xa0")]
        if body and head and lines[0][:1] in ("\u3000", " ", "\xa0"):
            body, head = [line.strip() for line in lines], []
        stories.append((head, body))
    return stories


def _wrap(text: str, chars: int) -> list[str]:
    return [text[i : i + chars] for i in range(0, len(text), chars)] or [""]


# reportlab's STSong-Light encoding drops U+00B7 and U+00A0; it sets U+30FB, which reads back as
# U+00B7. Non-breaking spaces (after datelines) become plain spaces on both sides of the score.
DRAWN = str.maketrans({"·": "・"})


def drawable(page: CorpusPage) -> CorpusPage:
    """The page with U+00A0 as a plain space in its text and its expected articles."""
    def fix(text: str) -> str:
        return text.replace("\xa0", " ")

    articles = tuple(
        CorpusArticle(fix(a.title), tuple(fix(p) for p in a.paragraphs)) for a in page.articles
    )
    return CorpusPage(page.edition, page.page, fix(page.text), articles)


def render_pdf(page: CorpusPage) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    column_width = (WIDTH - 2 * MARGIN - (COLUMNS - 1) * COLUMN_GAP) / COLUMNS
    per_line = int(column_width // BODY_SIZE)
    head_chars = int((WIDTH - 2 * MARGIN) // HEAD_SIZE)
    laid: list[tuple[list[str], list[tuple[str, bool]]]] = []
    height = 2 * MARGIN
    for head, body in _stories(page.text):
        head_lines = [piece for line in head for piece in _wrap(line, head_chars)]
        body_lines: list[tuple[str, bool]] = []
        for paragraph in body:
            wrapped = _wrap(INDENT + paragraph, per_line)
            body_lines += [(line, index == 0) for index, line in enumerate(wrapped)]
        laid.append((head_lines, body_lines))
        height += (len(head_lines) * HEAD_STEP + math.ceil(len(body_lines) / COLUMNS) * LINE_STEP
                   + STORY_GAP)
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=(WIDTH, min(height, 14000)))
    y = min(height, 14000) - MARGIN
    for head_lines, body_lines in laid:
        sheet.setFont(FONT, HEAD_SIZE)
        for line in head_lines:
            y -= HEAD_STEP
            sheet.drawString(MARGIN, y, line.translate(DRAWN))
        rows = math.ceil(len(body_lines) / COLUMNS)
        sheet.setFont(FONT, BODY_SIZE)
        for index, (line, first) in enumerate(body_lines):
            column, row = divmod(index, rows)
            x = MARGIN + column * (column_width + COLUMN_GAP)
            text = line
            if first:
                text = line.lstrip("\u3000")
                x += (len(line) - len(text)) * BODY_SIZE
            sheet.drawString(x, y - (row + 1) * LINE_STEP, text.translate(DRAWN))
        y -= rows * LINE_STEP + STORY_GAP
    sheet.save()
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("held-out", "dev"), default="held-out",
                        help="dev: every 40th page (looked at while writing the reader); "
                        "held-out: every 4th page from the third on (never looked at)")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 0
    corpus = load_pages()
    chosen = corpus[::40] if args.set == "dev" else corpus[2::4]
    pages = [drawable(page) for page in chosen]
    baseline, reader = Score(), Score()
    unreadable = 0
    started = time.perf_counter()
    for page in pages:
        score_page(page, pdf_layout(page.text), baseline)
        try:
            text = pdf_page_text(render_pdf(page), f"{page.edition}-{page.page}.pdf")
        except PdfPageError:
            unreadable += 1
            continue
        score_page(page, text, reader)
    took = time.perf_counter() - started
    print(f"{len(pages)} pages, {unreadable} unreadable, {took:.0f} s")
    print("| input | pages | refused | headline precision | headline recall | paragraphs exact |")
    print("|---|---|---|---|---|---|")
    for name, score in (("pdf text (baseline)", baseline), ("real PDF → reader", reader)):
        print(f"| {name} | {score.pages} | {score.refused} | {score.title_precision:.1%} | "
              f"{score.title_recall:.1%} | {score.paragraphs_exact:.1%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
