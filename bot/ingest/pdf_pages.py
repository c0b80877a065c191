"""PDF newspaper pages → page text the page parser reads, through pdfplumber (MIT).

A PDF-to-text tool reading a three-column page line by line across the page interleaves the
columns. Here the characters are grouped into line pieces per column, the page is cut into bands at
pieces wider than a column (a headline across the page), and each band is read column by column,
top to bottom. Blocks are separated by blank lines, as the page parser expects: a change of font
size (a headline over body text), a vertical gap, or an indented first line starts a new block.

Font size also gives a headline's levels, which the text alone cannot: in a run of display lines
(larger than the body text), the largest is the 主题 title, a smaller line above it the 引题
kicker and a smaller line below it the 副题 subtitle. They are marked the way papers mark them and
the page parser reads them — a kicker ends with "——", a subtitle starts with it — unless already
marked; the parser drops the dashes from what it stores.
"""

from __future__ import annotations

import hashlib
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from bot.ingest.page_parser.furniture import is_furniture_seed, is_zone_ear
from bot.ingest.page_parser.patterns import KICKER_DASHES, SUBTITLE_DASHES
from bot.ingest.source_files import SourceText, UnusableInputError

PDF_MAGIC = b"%PDF-"
PDF_SUFFIX = ".pdf"
MAX_PDF_BYTES = 20 * 1024 * 1024  # an e-paper page with its images; the text is far smaller
MAX_PDF_PAGES = 4  # one newspaper page per file (a front page may come with its jump page)
GAP_FACTOR = 1.5  # a gap between two characters wider than this many sizes splits columns
LINE_GAP_FACTOR = 0.8  # a vertical gap larger than this many sizes (beyond the line) ends a block
INDENT_FACTOR = 1.5  # a line starting this many sizes right of its column starts a paragraph
SIZE_TOLERANCE = 0.5
WIDE_FACTOR = 1.6  # a piece wider than this many column widths spans columns
HEADLINE_FACTOR = 1.3  # this much larger than the body text: a headline line
DECK_FACTOR = 1.15  # a kicker or subtitle beside a headline may be set a little smaller
FULL_LINE_SHARE = 0.93  # a line this wide ran out of room: the next line goes on with it
MIN_COLUMN_SHARE = 0.05  # a column's left edge starts at least this share of a band's pieces
BAND_GAP_FACTOR = 1.2  # white space this many body sizes high across the page separates stories


class PdfPageError(UnusableInputError):
    """A PDF that yields no page text (damaged, encrypted, scanned images without text)."""


@dataclass
class _Piece:
    """A run of characters on one baseline within one column."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


def is_pdf(content_type: str | None, body: bytes) -> bool:
    return content_type == "application/pdf" or body[:1024].lstrip().startswith(PDF_MAGIC)


def pdf_page_text(data: bytes, source: str) -> str:
    """The text of the PDF's pages in reading order, blocks separated by blank lines."""
    if not data[:1024].lstrip().startswith(PDF_MAGIC):
        raise PdfPageError(source, "not a PDF file")
    pages: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PDF_PAGES:
                raise PdfPageError(
                    source, f"{len(pdf.pages)} pages; a page file holds at most {MAX_PDF_PAGES}"
                )
            for page in pdf.pages:
                pages.append(_page_text(page.chars))
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise PdfPageError(source, f"the PDF cannot be read ({type(exc).__name__})") from exc
    text = "\n\n\n".join(p for p in pages if p.strip())
    if not text.strip():
        raise PdfPageError(source, "the PDF has no text layer (a scan?); run OCR first")
    return text


def _page_text(chars: Sequence[dict[str, object]]) -> str:
    pieces = _pieces(chars)
    if not pieces:
        return ""
    body_size = statistics.median(p.size for p in pieces)
    column_width = _column_width(pieces, body_size)
    text_width = max(p.x1 for p in pieces) - min(p.x0 for p in pieces)
    blocks: list[tuple[str, float]] = []
    for band in _bands(pieces, column_width, body_size):
        for column in _columns(band, body_size):
            blocks.extend(_blocks(column, body_size, text_width))
    return "\n\n".join(_headline_levels(blocks, body_size)) + "\n"


def _headline_levels(blocks: Sequence[tuple[str, float]], body_size: float) -> list[str]:
    """Block texts, with the kicker and subtitle lines of each headline group dash-marked by
    their size against the group's title (see the module's docstring)."""
    texts = [text for text, _ in blocks]
    start = 0
    while start < len(blocks):
        end = start
        while end < len(blocks) and blocks[end][1] > body_size * DECK_FACTOR:
            end += 1
        run = range(start, end)
        if end > start and any(blocks[i][1] > body_size * HEADLINE_FACTOR for i in run):
            largest = max(blocks[i][1] for i in run)
            titles = [i for i in run if blocks[i][1] >= largest - SIZE_TOLERANCE]
            for i in run:
                text = texts[i]
                if (SUBTITLE_DASHES.match(text) or KICKER_DASHES.search(text)
                        or is_furniture_seed(text) or is_zone_ear(text)):
                    continue  # marked already, or a page ear / box line set large
                if i < titles[0]:
                    texts[i] = f"{text}——"
                elif i > titles[-1]:
                    texts[i] = f"——{text}"
        start = max(end, start + 1)
    return texts


def _pieces(chars: Sequence[dict[str, object]]) -> list[_Piece]:
    """Characters → pieces: same baseline and size, no wide horizontal gap. Spaces drawn as
    characters (the two after a dateline) stay inside a piece but never start one."""
    glyphs = sorted(
        (c for c in chars if str(c.get("text", ""))),
        key=lambda c: (round(float(c["bottom"])), float(c["x0"])),  # type: ignore[arg-type]
    )
    pieces: list[_Piece] = []
    for glyph in glyphs:
        text = str(glyph["text"])
        x0, x1 = float(glyph["x0"]), float(glyph["x1"])  # type: ignore[arg-type]
        top, bottom = float(glyph["top"]), float(glyph["bottom"])  # type: ignore[arg-type]
        size = float(glyph.get("size") or bottom - top)  # type: ignore[arg-type]
        last = pieces[-1] if pieces else None
        if (
            last is not None
            and abs(last.bottom - bottom) <= size * 0.3
            and abs(last.size - size) <= SIZE_TOLERANCE
            and -size * 0.1 <= x0 - last.x1 <= size * GAP_FACTOR  # float noise: a hair
        ):
            gap = x0 - last.x1
            spaced = gap > size * 0.25 and (last.text[-1].isascii() or text.isascii())
            joiner = " " if spaced else ""
            last.text += joiner + text
            last.x1 = x1
            continue
        if not text.isspace():
            pieces.append(_Piece(text, x0, x1, top, bottom, size))
    for piece in pieces:
        piece.text = piece.text.rstrip()
    return pieces


def _column_width(pieces: Sequence[_Piece], body_size: float) -> float:
    body = [p.x1 - p.x0 for p in pieces if abs(p.size - body_size) <= SIZE_TOLERANCE]
    return max(body) if body else max(p.x1 - p.x0 for p in pieces)


def _bands(pieces: Sequence[_Piece], column_width: float, body_size: float) -> list[list[_Piece]]:
    """Cut the page into horizontal bands read one after another: at pieces spanning columns (a
    headline across the page: those lines make a band of their own), and at white space running
    across the whole width (the gap between two stories set one above the other)."""
    text_width = max(p.x1 for p in pieces) - min(p.x0 for p in pieces)
    bands: list[tuple[bool, list[_Piece]]] = []
    bottom = 0.0
    for piece in sorted(pieces, key=lambda p: (p.top, p.x0)):
        above = bands[-1][1][-1] if bands else None
        wide = piece.x1 - piece.x0 > column_width * WIDE_FACTOR or (
            # the short last line of a headline that ran the full width goes with it
            above is not None and bands[-1][0] and abs(above.size - piece.size) <= SIZE_TOLERANCE
            and above.x1 - above.x0 >= text_width * FULL_LINE_SHARE
            and piece.top - above.bottom <= piece.size * LINE_GAP_FACTOR
        )
        if not bands or bands[-1][0] != wide or piece.top - bottom > body_size * BAND_GAP_FACTOR:
            bands.append((wide, []))
            bottom = piece.bottom
        bands[-1][1].append(piece)
        bottom = max(bottom, piece.bottom)
    return [band for _, band in bands]


def _columns(band: Sequence[_Piece], body_size: float) -> list[list[_Piece]]:
    """The band's pieces grouped by left edge into columns, left to right, each top-down.

    A column is a left edge where several lines start (an indented first line counts with its
    column). A piece starting anywhere else — the rest of a line after a wide space — belongs to
    the column to its left."""
    clusters: list[list[float]] = []
    for x0 in sorted(p.x0 for p in band):
        if not clusters or x0 - clusters[-1][0] > body_size * (INDENT_FACTOR + 2):
            clusters.append([x0])
        else:
            clusters[-1].append(x0)
    support = max(2, round(len(band) * MIN_COLUMN_SHARE))
    lefts = [c[0] for c in clusters if len(c) >= support] or [clusters[0][0]]
    columns: list[list[_Piece]] = [[] for _ in lefts]
    for piece in band:
        index = max((i for i, left in enumerate(lefts) if left <= piece.x0 + 0.5), default=0)
        columns[index].append(piece)
    return [sorted(c, key=lambda p: p.top) for c in columns if c]


def _blocks(
    column: Sequence[_Piece], body_size: float, text_width: float
) -> list[tuple[str, float]]:
    """The column's blocks in order, each with the size of its first line."""
    left = min(p.x0 for p in column)
    blocks: list[list[str]] = []
    sizes: list[float] = []
    previous: _Piece | None = None
    for piece in column:
        same_line = previous is not None and abs(piece.bottom - previous.bottom) <= piece.size * 0.3
        wrapped_headline = previous is not None and (
            piece.size > body_size * HEADLINE_FACTOR
            and abs(piece.size - previous.size) <= SIZE_TOLERANCE
            and previous.x1 - previous.x0 >= text_width * FULL_LINE_SHARE
            and piece.top - previous.bottom <= piece.size * LINE_GAP_FACTOR
        )
        new_block = previous is None or (not same_line and not wrapped_headline and (
            piece.size > body_size * HEADLINE_FACTOR  # a headline line stands alone unless the
            # one above it ran the full width (a headline too long for one line)
            or abs(piece.size - previous.size) > SIZE_TOLERANCE
            or piece.top - previous.bottom > piece.size * LINE_GAP_FACTOR
            or piece.x0 - left >= piece.size * INDENT_FACTOR
        ))
        if new_block:
            blocks.append([piece.text])
            sizes.append(piece.size)
        else:
            # Latin words broken across lines were set apart by a space; digits never are.
            words = _latin(blocks[-1][-1][-1:]) and _latin(piece.text[:1])
            joiner = " " if words or same_line else ""
            blocks[-1].append(joiner + piece.text)
        previous = piece
    joined = [("".join(lines).strip(), size) for lines, size in zip(blocks, sizes, strict=True)]
    return [(text, size) for text, size in joined if text]


def _latin(char: str) -> bool:
    return char.isascii() and char.isalpha()


def pdf_source_text(name: str, raw: bytes, source: str | None = None) -> SourceText:
    """A PDF page file (ingest, the drop folder, an admin upload) as page text to parse."""
    source = source or name
    if len(raw) > MAX_PDF_BYTES:
        raise PdfPageError(
            source, f"{len(raw) / 1_048_576:.1f} MB is too large for one PDF page "
            f"(limit {MAX_PDF_BYTES / 1_048_576:.0f} MB)",
        )
    text = pdf_page_text(raw, source)
    return SourceText(name=name, text=text, encoding="pdf",
                      sha256=hashlib.sha256(raw).hexdigest(), size=len(raw))


def read_pdf_source(path: Path) -> SourceText:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PdfPageError(str(path), f"cannot read the file ({exc.strerror})") from exc
    return pdf_source_text(path.name, raw, str(path))


def is_pdf_name(name: str) -> bool:
    return name.lower().endswith(PDF_SUFFIX)
