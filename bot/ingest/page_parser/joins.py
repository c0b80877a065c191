"""Column breaks: glue the pieces of a paragraph a column cut, drop the fragments cuts duplicate.

A block that ends mid-sentence was cut by a column break and continues in the next block: it
ends on a comma, inside a quotation, on a word that needs what follows ("是", "必须"), or inside
a word (checked with jieba's dictionary). Jump lines ("（下转第二版）") end a story's piece.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from itertools import pairwise

import jieba

from bot.ingest.page_parser.lines import layout_signals
from bot.ingest.page_parser.model import Line, Trace
from bot.ingest.page_parser.patterns import (
    CJK,
    CLOSING_BRACKETS,
    COLUMN_TAG,
    COMMAS,
    CONTINUATION_END,
    CONTINUATION_START,
    DOCUMENT_TITLE,
    EDITOR_CREDIT,
    FORUM_AUTHOR,
    KICKER_DASHES,
    MAX_COLUMN_CHARS,
    MAX_CUT_WORD_CHARS,
    MAX_DUPLICATE_FRAGMENT_CHARS,
    MIN_COLUMN_CHARS,
    MIN_COLUMN_EVIDENCE,
    MIN_COLUMN_SHARE,
    MIN_CUT_EVIDENCE,
    MIN_CUT_LEAD,
    MIN_CUT_SHARE,
    NUMBER_UNITS,
    PAGE_CREDIT,
    PAGE_REFERENCE,
    SPACED_PHRASES,
    SUBTITLE_DASHES,
    TIME_OPENING,
    WORD_WINDOW_CHARS,
)
from bot.ingest.page_parser.shapes import (
    ends_sentence,
    has_open_bracket,
    is_byline_line,
    is_byline_or_dateline,
    is_drawing_credit,
    is_heading_like,
    is_standalone_credit,
    is_tagged_title,
    opens_with_a_time,
)


def column_width(lines: list[Line]) -> int | None:
    """The page's column width in characters, when column breaks show it.

    A column ends where a line does, so the first piece of a paragraph a column break cut holds
    whole lines: its length is a multiple of the width less the two-character indent. The width
    that most unfinished blocks fit is the page's, when enough of them fit it.
    """
    lengths = [
        len(line.text)
        for line, following in pairwise(lines)
        if not ends_sentence(line.text) and not is_byline_or_dateline(following.text)
    ]
    best_count, best = _widths_by_fit(lengths)[0]
    enough = max(MIN_COLUMN_EVIDENCE, MIN_COLUMN_SHARE * len(lengths))
    return best if best_count >= enough else _width_of_certain_cuts(lines)


def _width_of_certain_cuts(lines: list[Line]) -> int | None:
    """The column width shown by the blocks that were certainly cut (ending on a comma, inside
    a word or a quotation, on a word needing more): headlines do not muddle them as they do
    the unfinished blocks above, so on a page full of headings the width still shows. One width
    must fit at least half of them, and twice as many as any other width."""
    lengths = [
        len(line.text)
        for line, following in pairwise(lines)
        if not ends_sentence(line.text)
        and not is_byline_or_dateline(following.text)
        and _certainly_cut(line.text, following.text)
    ]
    (best_count, best), (second_count, _) = _widths_by_fit(lengths)[:2]
    enough = max(MIN_CUT_EVIDENCE, MIN_CUT_SHARE * len(lengths), MIN_CUT_LEAD * second_count)
    return best if best_count >= enough else None


def _widths_by_fit(lengths: list[int]) -> list[tuple[int, int]]:
    """Every column width with how many of ``lengths`` fill whole lines of it, as (count,
    width), best first: both width guesses weigh the same evidence, the wider on a tie."""
    return sorted(
        (
            (sum(1 for length in lengths if _fills_whole_lines(length, width)), width)
            for width in range(MIN_COLUMN_CHARS, MAX_COLUMN_CHARS + 1)
        ),
        reverse=True,
    )


def _certainly_cut(before: str, after: str) -> bool:
    """A block a column break cut for certain: it ends on a comma, inside an open quotation
    or bracket, on a word that needs what follows, or inside a word."""
    return (
        before[-1] in COMMAS
        or has_open_bracket(before)
        or bool(CONTINUATION_END.search(before))
        or cuts_a_word(before, after)
    )


def join_column_breaks(lines: list[Line], trace: Trace) -> list[Line]:
    """Glue blocks split by column breaks and drop the fragments those breaks duplicated."""
    gaps_separate_articles, indentation_marks_body = layout_signals(lines)
    # Web text has no column breaks; only PDF blocks show the column width.
    pdf_blocks = not (gaps_separate_articles or indentation_marks_body)
    width = column_width(lines) if pdf_blocks else None
    joined: list[Line] = []
    for index, line in enumerate(lines):
        if joined and is_duplicate_fragment(joined[-1], line):
            trace.update(dict.fromkeys(line.sources, "dropped"))
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        column = width if len(joined) > 1 and not _set_as_headline(joined) else None
        heading = bool(joined) and _stands_as_a_heading(joined)
        if joined and not heading and continues(joined[-1], line, following, column):
            previous = joined[-1]
            joined[-1] = Line(
                previous.text + line.text,
                previous.sources + line.sources,
                previous.indented,
                previous.gap_before,
                ends_on_pointer=line.ends_on_pointer,
            )
            trace.update(dict.fromkeys(line.sources, "continuation"))
            continue
        joined.append(
            Line(
                line.text,
                line.sources,
                line.indented,
                line.gap_before,
                line.is_teaser_label,
                line.is_jump,
                after_rule=line.after_rule,
                ends_on_pointer=line.ends_on_pointer,
            )
        )
    return _drop_jump_lines(joined, trace)


def _set_as_headline(joined: list[Line]) -> bool:
    """The last block is a headline however whole its lines look: it sits under a kicker ending
    with —— ("…引起热烈反响——" / "让奋斗成为人生底色"), ends with a column tag ("…与日俱增
    （大使随笔）") or follows what ends a piece (a jump line, a page pointer, the editors'
    credit). The page's first block is its headline too; an author line ("（英国）拉尔夫·
    马丁") and a document's title ("…关于…的决定") are no cut pieces whatever their length."""
    last = joined[-1].text
    if len(joined) < 2 or _ends_a_piece(joined[-2]):
        return True
    if FORUM_AUTHOR.match(last) or DOCUMENT_TITLE.search(last):
        return True
    return bool(KICKER_DASHES.search(joined[-2].text)) or bool(COLUMN_TAG.search(last))


def _stands_as_a_heading(joined: list[Line]) -> bool:
    """A heading-like block right after what ends a piece is the next piece's headline, and so
    is one of two phrases set apart by a space ("稻谷飘香  丰收在望": running text has no space
    between Chinese words): it is never the first piece of a cut paragraph ("（下转第20版）" /
    "晾禾把" / "10月24日，…"), whatever word it ends on."""
    last = joined[-1].text
    if not is_heading_like(last):
        return False
    return bool(SPACED_PHRASES.search(last)) or (len(joined) > 1 and _ends_a_piece(joined[-2]))


def _ends_a_piece(block: Line) -> bool:
    """A jump line, a page pointer, a closing line in brackets ("（本报布鲁塞尔10月29日电）"),
    a cartoon's credit ("曹 一图 于 石文"), the editors' or the page's credit ("本版摄影：…") ends
    a piece: the block after one opens something, it is not the rest of a cut paragraph. (A
    picture credit does not: one may stand between two paragraphs of a story.)"""
    text = block.text
    if block.is_jump or PAGE_REFERENCE.match(text) or re.match(CLOSING_BRACKETS, text):
        return True
    if is_drawing_credit(text):
        return True
    return bool(EDITOR_CREDIT.match(text) or PAGE_CREDIT.match(text))


def _drop_jump_lines(lines: list[Line], trace: Trace) -> list[Line]:
    """Jump lines have marked where a story's piece ends (the block before one is body text, not
    a headline); they are furniture."""
    kept: list[Line] = []
    for line in lines:
        if line.is_jump:
            if kept:
                kept[-1].before_jump = True
            trace.update(dict.fromkeys(line.sources, "dropped"))
            continue
        kept.append(line)
    return kept


def is_duplicate_fragment(previous: Line, block: Line) -> bool:
    """A short block repeating the end of the block before it ("…萧山经验。" then "经验。")."""
    text = block.text
    return (
        len(text) <= MAX_DUPLICATE_FRAGMENT_CHARS
        and len(text) < len(previous.text)
        and previous.text.endswith(text)
        and not is_heading_like(text)
    )


def continues(
    previous: Line, block: Line, following: Line | None, width: int | None = None
) -> bool:
    """Whether ``block`` is the rest of a sentence a column break cut at the end of ``previous``."""
    before, after = previous.text, block.text
    if _cannot_continue(previous, block):
        return False
    if width and _whole_lines_run_on(before, after, following, width):
        return True
    if before[-1].isdigit() and (after[0].isdigit() or after[0] in NUMBER_UNITS):
        return True
    if has_open_bracket(before) or CONTINUATION_START.match(after):
        return True
    if CONTINUATION_END.search(before) or cuts_a_word(before, after):
        return True
    if _stands_alone(before):
        return False
    # A finished-looking body block followed by a headline that opens an article stays apart.
    next_opens_article = following is not None and (
        is_byline_or_dateline(following.text) or bool(SUBTITLE_DASHES.match(following.text))
    )
    return not (is_heading_like(after) and next_opens_article)


def _whole_lines_run_on(before: str, after: str, following: Line | None, width: int) -> bool:
    """A block of whole column lines runs on into the next block, unless that one is a headline
    line: heading-like, or right over a byline or dateline (a deck "听取…，要求…"), which is
    never a paragraph's rest."""
    heads_a_story = following is not None and is_byline_or_dateline(following.text)
    return _fills_whole_lines(len(before), width) and not (is_heading_like(after) or heads_a_story)


def _stands_alone(text: str) -> bool:
    """A heading-like block ends where it is, unless it opens with a time ("2018年10月，首届"):
    then it is a paragraph's first piece."""
    return is_heading_like(text) and not opens_with_a_time(text)


def _cannot_continue(previous: Line, block: Line) -> bool:
    """Boundaries no column break makes: after a finished sentence, at a 导读 label, a jump
    line or a cut rule, after a byline or a picture credit, before a dateline, around a subtitle
    or kicker dash."""
    before, after = previous.text, block.text
    if previous.is_teaser_label or block.is_teaser_label or previous.is_jump or block.is_jump:
        return True
    if block.after_rule:  # a cut rule stood between them
        return True
    if ends_sentence(before) or is_byline_line(before) or is_byline_or_dateline(after):
        return True
    if is_standalone_credit(before):  # "人民视觉" | "地点：…": a credit is a whole block
        return True
    if previous.ends_on_pointer:  # a teaser ends on its pointer ("… >>8版", "… B2" in a box)
        return True
    if is_tagged_title(after) or _opens_with_a_time(before, after):
        return True
    # A dash inside an open quotation ("主题为“新时代、新期待——") leads on within it.
    kicker_dash = bool(KICKER_DASHES.search(before)) and not has_open_bracket(before)
    return bool(SUBTITLE_DASHES.match(after)) or kicker_dash


# Words that lead to a time: "截至" | "10月底".
TIME_PREPOSITIONS = ("截至", "截止", "直到", "到", "至", "自", "始于")


def _opens_with_a_time(before: str, after: str) -> bool:
    """A block that opens with when ("2019年6月29日，", "近年来，", "如今，") starts a paragraph
    after a whole word: the line above is a heading or a paragraph of its own, unless a column
    break cut a word, a number or a phrase that needs what follows ("截至" | "10月底")."""
    if not TIME_OPENING.match(after):
        return False
    if before[-1].isdigit() or has_open_bracket(before) or CONTINUATION_END.search(before):
        return False
    return not (before.endswith(TIME_PREPOSITIONS) or cuts_a_word(before, after))


def _fills_whole_lines(length: int, width: int) -> bool:
    """A block of ``length`` characters is whole column lines ``width`` wide, the first
    indented by two characters: what a column break leaves."""
    return length >= width - 2 and (length + 2) % width == 0


@cache
def segmenter() -> jieba.Tokenizer:
    """jieba's dictionary, loaded once and quietly (it logs its start-up otherwise)."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def cuts_a_word(before: str, after: str) -> bool:
    """Whether the boundary between two blocks falls inside a word ("中国特" | "色社会主义").

    Headlines and paragraphs end on a word boundary; a column break ends the column wherever
    the line is full. A word counts when the first block holds only its first character or a
    piece that is no word ("人民法" | "院"): a whole word before the boundary ("示范" | "区",
    "中国" | "人民") can end a headline.
    """
    left, right = before[-WORD_WINDOW_CHARS:], after[: 2 * WORD_WINDOW_CHARS]
    if not (CJK.match(left[-1:]) and CJK.match(right[:1])):
        return False
    tokenizer = segmenter()
    position = 0
    for word in tokenizer.cut(left + right, HMM=False):
        start, position = position, position + len(word)
        if start < len(left) < position:
            head = left[start:]
            return len(word) <= MAX_CUT_WORD_CHARS and (
                len(head) == 1 or head not in tokenizer.FREQ or not tokenizer.FREQ[head]
            )
    return False
