"""Page furniture: page ears, countdown boxes and English box lines are no part of any article."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.ingest.page_parser.model import Line, Trace
from bot.ingest.page_parser.patterns import (
    ADVERT_LABEL,
    BARE_PAGE_NUMBER,
    BOX_LABEL,
    COLUMN_LABEL,
    COMMAS,
    COUNTDOWN,
    COUNTDOWN_CAPTION,
    COUNTDOWN_WORDS,
    DATE_IN_FIGURES,
    DAYS_ALONE,
    DOCUMENT_TITLE,
    EAR_REST_PUNCTUATION,
    EAR_ZONE_LINES,
    EDITOR_CREDIT,
    EVENT_DAY_ALONE,
    FURNITURE_NUMBER,
    FURNITURE_QUANTITY,
    FURNITURE_WORDS,
    JUMP_LINE,
    LEADING_PAGE_REFERENCE,
    MASTHEAD_EAR,
    MASTHEAD_STACK_LINE,
    MAX_EAR_REST_CHARS,
    MAX_NUMBERED_EAR_CHARS,
    MAX_NUMBERED_EAR_REST_CHARS,
    MAX_QUANTITY_EAR_CHARS,
    MAX_QUANTITY_EAR_REST_CHARS,
    MAX_TEASER_LABEL_CHARS,
    PAGE_CODE_ALONE,
    PAGE_EAR,
    PAPER_NAME_EAR,
    PIECE_LABEL,
    QUANTITY_EAR_KIND,
    QUOTE_LINE,
    RULE_LINE,
    SECTION_EAR,
    SECTION_NAME,
    SENTENCE_MARKS,
    STAFF_EAR,
    STAFF_LIST,
    TEASER_LABEL,
    TRAILING_PAGE_REFERENCE,
)
from bot.ingest.page_parser.shapes import (
    is_byline_or_dateline,
    is_heading_like,
    is_latin_line,
    is_standalone_credit,
)

# A caption over a countdown box ("杭州第19届亚运会") is this short.
MAX_BOX_CAPTION_CHARS = 20
# A countdown line is this short, and holds no sentence.
MAX_COUNTDOWN_CHARS = 30
BRACKET = re.compile(r"[（）()]")
# A story's part is labelled in a word ("【点评】"); a column is named in more.
MAX_PART_LABEL_CHARS = 2
# A front page's masthead stacks its lines among this many first lines of the page.
MASTHEAD_LINES = 5
# An ear printed at both the head and the foot is among this many lines of each.
REPEATED_EAR_ZONE_LINES = 3
# A countdown names its event when this much is left of it without the counting words:
# "距北京冬奥会开幕还有 100 天" does, "距开幕 10 天" and "离开幕还有 200 天" do not.
MIN_EVENT_NAME_CHARS = 2


def is_furniture_seed(text: str) -> bool:
    """Furniture wherever it stands: a box's English or countdown line, a page ear, the page's
    staff listed on a line, a market box's quote."""
    if is_latin_line(text) or is_countdown(text) or PAGE_EAR.match(text):
        return True
    return bool(STAFF_LIST.match(text) or QUOTE_LINE.match(text))


def is_countdown(text: str) -> bool:
    """A countdown line of a box ("倒计时 54 天", "距北京冬奥会开幕还有 100 天"): short and no
    sentence. A paragraph telling of one ("…举行军运会倒计时1天专题新闻发布会。") is text."""
    return (
        len(text) <= MAX_COUNTDOWN_CHARS
        and not SENTENCE_MARKS.search(text)
        and bool(COUNTDOWN.search(text))
    )


def drop_furniture(lines: list[Line], trace: Trace) -> list[Line]:
    """Remove countdown boxes, page ears, English box lines and cut rules; mark 导读 labels,
    jump lines and the line after a cut rule (a story ended at the rule).

    A countdown box is a cluster of English lines and a "倒计时 N 天" line, usually under a short
    Chinese caption ("杭州第19届亚运会"): that caption goes with the box.
    """
    seeds = [is_furniture_seed(line.text) for line in lines]
    _mark_split_countdowns(lines, seeds)
    _mark_zone_ears(lines, seeds)
    _mark_section_names(lines, seeds)
    drop = list(seeds)
    for index, line in enumerate(lines):
        if not seeds[index] and index + 1 < len(lines) and seeds[index + 1]:
            drop[index] = _is_box_caption(line, lines[index + 1])
    kept: list[Line] = []
    after_rule = False
    for index, (line, dropped) in enumerate(zip(lines, drop, strict=True)):
        if dropped or RULE_LINE.match(line.text) or _is_column_label(lines, index):
            trace.update(dict.fromkeys(line.sources, "ear"))
            # A cut rule, or the editors' credit closing a section, ends the story above.
            after_rule = after_rule or not dropped or bool(EDITOR_CREDIT.match(line.text))
            continue
        if TEASER_LABEL.match(line.text) or _labels_teasers(lines, index):
            line.is_teaser_label = True
        line.is_jump = bool(JUMP_LINE.match(line.text))
        line.ends_on_pointer = page_pointer(lines, index) is not None
        line.after_rule, after_rule = after_rule and bool(kept), False
        kept.append(line)
    return kept


def _mark_split_countdowns(lines: list[Line], seeds: list[bool]) -> None:
    """A countdown box may set its count under its caption ("杭州亚运会倒计时" over "1075天"):
    a number of days alone under a line ending on 倒计时 is the box, caption and count; so is
    an event's day in figures ("第2天") under a short caption, the box counting up."""
    for index in range(1, len(lines)):
        text, caption = lines[index].text, lines[index - 1].text
        counted = DAYS_ALONE.match(text) and COUNTDOWN_CAPTION.match(caption)
        counted_up = EVENT_DAY_ALONE.match(text) and _is_box_caption_text(caption)
        if counted or counted_up:
            seeds[index - 1] = seeds[index] = True


def _labels_teasers(lines: list[Line], index: int) -> bool:
    """A short heading right over a teaser that points to its page ("本期看点" over "金秋时节
    农事忙 >>8版"): the label of a 导读 box, whatever its words. A teaser is a heading once its
    pointer is gone; a summary ending in one ("…一派繁忙景象。（详见第3版）") is no teaser, and
    the short headline over it is that story's title."""
    text = lines[index].text
    if len(text) > MAX_TEASER_LABEL_CHARS or index + 1 >= len(lines):
        return False
    teaser = teaser_title(lines, index + 1)
    return bool(teaser) and is_heading_like(teaser) and is_heading_like(text)


def page_pointer(lines: Sequence[Line], index: int) -> re.Match[str] | None:
    """The page pointer a line ends on ("…（详见第8版）", "… >>8版", "… B2"), if any. A lettered
    page's code after a space is also how a real headline may end ("…奔赴 G20", "…热爱 F1"), so
    it points to a page only beside another line ending on a pointer: a 导读 box's teasers."""
    pointed = TRAILING_PAGE_REFERENCE.search(lines[index].text)
    if pointed is None or pointed.group("lettered") is None:
        return pointed
    beside = (near for near in (index - 1, index + 1) if 0 <= near < len(lines))
    if any(TRAILING_PAGE_REFERENCE.search(lines[near].text) for near in beside):
        return pointed
    return None


def teaser_title(lines: Sequence[Line], index: int) -> str | None:
    """A teaser's words without the page pointer it carries at its end ("… >>8版", "… ③") or,
    in a box of such lines, at its head ("A2 …", "5版 …"); None when the line points nowhere."""
    text = lines[index].text
    trailing = page_pointer(lines, index)
    if trailing is not None:
        return text[: trailing.start()]
    leading = LEADING_PAGE_REFERENCE.match(text)
    beside = (near for near in (index - 1, index + 1) if 0 <= near < len(lines))
    if leading and any(LEADING_PAGE_REFERENCE.match(lines[near].text) for near in beside):
        return text[leading.end() :]
    return None


def _is_column_label(lines: list[Line], index: int) -> bool:
    """A column's name set in marks over a story's head ("【乡村振兴进行时】", "◆聚焦进博会◆"):
    told by its enclosing marks, not its wording. Like a cut rule it ends the story above and
    is no part of the headline under it. A box label ("【相关新闻】") heads its box instead."""
    text = lines[index].text
    if not COLUMN_LABEL.match(text) or BOX_LABEL.match(text) or index + 1 >= len(lines):
        return False
    following = lines[index + 1].text
    if not is_heading_like(following):
        return False
    # A part's label inside a story ("【点评】", "【故事】": a word between its marks) over a
    # paragraph a column cut ("知识有力量，能帮助孩子们走出"): a clause under a word, not a
    # headline under a column's name.
    part = len(re.sub(r"\W", "", text)) <= MAX_PART_LABEL_CHARS
    return not (part and any(comma in following for comma in COMMAS))


def _mark_zone_ears(lines: list[Line], seeds: list[bool]) -> None:
    """Mark bare page numbers and section ears ("第16版", "要闻 4") at the top or bottom of the
    page: the first or last line, or a line next to an ear there (ears stack: "第16版" over
    "要闻 4"). Elsewhere such a line is a page pointer or a heading. A short line printed both
    at the top and at the bottom is an ear there whatever its words."""
    repeated = _printed_at_top_and_bottom(lines)
    _mark_masthead(lines, seeds)
    # Ears stack wherever a PDF tool leaves them: the paper's name next to an ear is one.
    beside_an_ear = [
        index
        for index, line in enumerate(lines)
        if MASTHEAD_EAR.match(line.text)
        and any(seeds[near] for near in (index - 1, index + 1) if 0 <= near < len(lines))
    ]
    for index in beside_an_ear:
        seeds[index] = True
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        previous: int | None = None
        for count, index in enumerate(order):
            if count >= EAR_ZONE_LINES and previous is not None and not seeds[previous]:
                break
            if is_zone_ear(lines[index].text) or lines[index].text in repeated:
                seeds[index] = True
            previous = index


def _mark_section_names(lines: list[Line], seeds: list[bool]) -> None:
    """An ear's section may stand on a line of its own beside the ear's number or date: a
    section's name right above such an ear inside the page ("综合新闻" over "2019年10月1日
    星期二 02"), where nothing it could head follows; or right under a page's
    number alone at the top ("A3" over "宏观"), the rest of that ear. An advertisement, a notice
    or a picture report's label is a piece of the page there, and a picture's credit
    ("视觉中国") a story's line, not a section."""
    for index in range(1, len(lines)):
        text = lines[index].text
        if seeds[index] or not SECTION_NAME.match(text) or _heads_a_piece(text):
            continue
        after = _above_an_ear_inside_the_page(lines, seeds, index)
        if index == 1 and seeds[0] and PAGE_CODE_ALONE.match(lines[0].text):
            after = 2
        # A headline is what follows a section's ear; under a short title its byline or its
        # text does ("中宣部" over the ear, then "■记者 …": a title the PDF tool set apart).
        if after is not None and after < len(lines):
            following = lines[after].text
            seeds[index] = is_heading_like(following) and not is_byline_or_dateline(following)


def _above_an_ear_inside_the_page(lines: list[Line], seeds: list[bool], index: int) -> int | None:
    """Where the page goes on after the page number or dated ear right under this line, if one
    is there and a story follows it: at the page's foot a short line over the ears is a box's
    label instead (labeller's foot rule)."""
    after = index + 1
    if after >= len(lines) or not seeds[after] or not is_zone_ear(lines[after].text):
        return None
    while after < len(lines) and seeds[after]:
        after += 1
    return after if after < len(lines) else None


def _heads_a_piece(text: str) -> bool:
    """An advertisement's, a notice's or a picture report's label, or a picture's credit."""
    if ADVERT_LABEL.match(text) or PIECE_LABEL.match(text) or DOCUMENT_TITLE.search(text):
        return True
    return is_standalone_credit(text)


def _mark_masthead(lines: list[Line], seeds: list[bool]) -> None:
    """A front page stacks its masthead over the stories: the paper's name, the date alone, the
    weekday with the lunar date, the publisher, the pages today. The short unpunctuated lines
    above an ear among the page's first lines belong to that stack when each holds what a
    masthead prints (the paper's name, a date, the serial): a headline a PDF tool put before the
    ear is no masthead."""
    top = [index for index in range(min(MASTHEAD_LINES, len(lines))) if seeds[index]]
    if not top:
        return
    above = range(top[-1])
    if all(_may_stand_in_a_masthead(lines[index].text) for index in above):
        for index in above:
            seeds[index] = True


def _may_stand_in_a_masthead(text: str) -> bool:
    """Short, no sentence, no bracket, made of a masthead's words (MASTHEAD_STACK_LINE with
    hardly anything else, or MASTHEAD_EAR), and no line that opens something of its own (an
    advert, a 导读 box). A title with a date in it says more ("…4月2日起可申请调剂")."""
    rest = MASTHEAD_STACK_LINE.sub("", text)
    stacked = rest != text and len(re.sub(r"\s+", "", rest)) <= MAX_NUMBERED_EAR_REST_CHARS
    return (
        len(text) <= MAX_NUMBERED_EAR_CHARS
        and (stacked or bool(MASTHEAD_EAR.match(text)))
        and not SENTENCE_MARKS.search(text)
        and not BRACKET.search(text)
        and not ADVERT_LABEL.match(text)
        and not TEASER_LABEL.match(text)
    )


def _printed_at_top_and_bottom(lines: list[Line]) -> set[str]:
    """Short unpunctuated lines among the first and again among the last few of the page: an
    ear repeated at the head and the foot ("04版 要闻" twice), never a headline."""
    def zone(part: list[Line]) -> set[str]:
        return {
            line.text
            for line in part
            if len(line.text) <= MAX_NUMBERED_EAR_CHARS and not SENTENCE_MARKS.search(line.text)
        }

    if len(lines) < 2 * REPEATED_EAR_ZONE_LINES:
        return set()
    return zone(lines[:REPEATED_EAR_ZONE_LINES]) & zone(lines[-REPEATED_EAR_ZONE_LINES:])


def is_zone_ear(text: str) -> bool:
    """A line that is an ear when it stands at the top or bottom of the page: a page number, a
    section ear, the paper's name with its romanised name, the page's staff, a dated ear."""
    if BARE_PAGE_NUMBER.match(text) or SECTION_EAR.match(text) or PAPER_NAME_EAR.match(text):
        return True
    if MASTHEAD_EAR.match(text):
        return True
    return bool(STAFF_EAR.match(text)) or _is_dated_ear(text) or _is_numbered_ear(text)


def _is_numbered_ear(text: str) -> bool:
    """A short line whose numbers are furniture's ("04版 要闻", "总第25508期", "10月25日 第4版")
    and little else, or a cover price or the day's weather in furniture's words ("每份定价1.50元",
    "今天 阴转小雨 13～20℃ 北风3级"): an ear at the top or bottom, whatever its wording. A
    line with a bracket is none: a jump line or a pointer ("（下转第17版）") ends the piece above
    it, and "10月14日电）" is the rest of a closing credit a narrow column cut."""
    if len(text) > MAX_QUANTITY_EAR_CHARS or SENTENCE_MARKS.search(text) or BRACKET.search(text):
        return False
    rest = FURNITURE_NUMBER.sub("", text)
    short = len(text) <= MAX_NUMBERED_EAR_CHARS
    if rest != text and short and len(re.sub(r"\s+", "", rest)) <= MAX_NUMBERED_EAR_REST_CHARS:
        return True
    return _is_quantity_ear(rest)


def _is_quantity_ear(text: str) -> bool:
    """A price or a temperature with its kind's words and hardly anything else ("零售价1元",
    "成都天气 今天 多云 12～18℃ 微风"); a headline names what costs or how warm ("鸡蛋每斤4.50元",
    "今冬最低气温-5℃") in words no ear prints."""
    words = FURNITURE_QUANTITY.sub("", text)
    if words == text or not QUANTITY_EAR_KIND.search(words):
        return False
    return len(FURNITURE_WORDS.sub("", words)) <= MAX_QUANTITY_EAR_REST_CHARS


def _is_dated_ear(text: str) -> bool:
    """A full date with a page number, section or paper name beside it ("第4版 2019年10月25日",
    "人民日报 2019.10.25"); a date alone may be a signature's."""
    date = DATE_IN_FIGURES.search(text)
    if date is None:
        return False
    rest = (text[: date.start()] + text[date.end() :]).strip()
    return 0 < len(rest) <= MAX_EAR_REST_CHARS and not EAR_REST_PUNCTUATION.search(rest)


def _is_box_caption(line: Line, box: Line) -> bool:
    """A short heading-like line right over the English or countdown line of a box. A
    countdown naming its event ("距北京冬奥会开幕还有 100 天") needs no caption, and an
    advertisement ("广告") is nobody's caption."""
    names_its_event = len(COUNTDOWN_WORDS.sub("", box.text)) >= MIN_EVENT_NAME_CHARS
    box_follows = is_latin_line(box.text) or (is_countdown(box.text) and not names_its_event)
    box_follows = box_follows or bool(QUOTE_LINE.match(box.text))
    return box_follows and _is_box_caption_text(line.text)


def _is_box_caption_text(text: str) -> bool:
    """Short and heading-like, and no advertisement's label ("广告" is nobody's caption)."""
    short = len(text) <= MAX_BOX_CAPTION_CHARS
    return short and is_heading_like(text) and not ADVERT_LABEL.match(text)
