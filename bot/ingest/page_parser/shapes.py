"""Shapes of a single line: does it end a sentence, look like a headline, a byline, a credit?

These tests look at the text of one line only; what a line *is* also depends on its neighbours,
which :mod:`.labeller` decides.
"""

from __future__ import annotations

import re

from bot.ingest.page_parser.patterns import (
    BRACKETED_CREDIT,
    BYLINE_LINE,
    BYLINE_MARKED,
    CAPTION_START,
    CJK,
    CLOSERS,
    COLUMN_TAG,
    COMMAS,
    CREDIT_LINE,
    DATELINE,
    DRAWING_CREDIT,
    EXCLAIMED_HEADLINE,
    KICKER_DASHES,
    LATIN_ONLY,
    MAX_HEADING_CHARS,
    MAX_HEADING_CHARS_WITH_COMMA,
    MAX_HEADING_COMMAS,
    MAX_HEADING_ENUMERATION_MARKS,
    MAX_LONG_HEADLINE_CHARS,
    MAX_SPEAKER_KICKER_CHARS,
    MAX_TAGGED_HEADING_CHARS,
    OPEN_TO_CLOSE,
    PHOTO_CREDIT,
    SENTENCE_FINAL,
    SERVICE_LINE,
    SHAPED_CREDIT,
    STANDALONE_CREDIT,
    TIME_OPENING,
    WEB_ADDRESS,
)


def is_latin_line(text: str) -> bool:
    """An English line of a box ("Hangzhou 2022"); a web address alone is no box's line."""
    return bool(LATIN_ONLY.match(text)) and not CJK.search(text) and not WEB_ADDRESS.match(text)


def ends_sentence(text: str) -> bool:
    """Whether a block ends where a paragraph may end (not in the middle of a sentence)."""
    last = text[-1]
    if last in SENTENCE_FINAL or CREDIT_LINE.search(text) or SERVICE_LINE.match(text):
        return True
    if WEB_ADDRESS.match(text):  # a web address alone is a whole line; no sentence runs on
        return True
    if last in CLOSERS:
        return len(text) > 1 and (text[-2] in SENTENCE_FINAL or text[-2] in CLOSERS)
    if last in "）)":
        return _bracket_ends_sentence(text)
    return bool(PHOTO_CREDIT.search(text) or BYLINE_LINE.match(text))


def _bracket_ends_sentence(text: str) -> bool:
    """A closing bracket ends a paragraph after a full stop or when it credits the text."""
    opener = matching_opener(text)
    if opener <= 0:
        return True
    inner, before = text[opener + 1 : -1], text[:opener]
    quote_closed_sentence = before[-1] in CLOSERS and before[-2:-1] in tuple(SENTENCE_FINAL)
    if before[-1] in SENTENCE_FINAL or quote_closed_sentence:
        return True
    return bool(BRACKETED_CREDIT.search(inner))


def matching_opener(text: str) -> int:
    """Where the bracket closed at the end of the text opens, nesting counted: the author note
    "（作者为中央党校（国家行政学院）研究员）" is one bracket from its first character."""
    depth = 0
    for position in range(len(text) - 1, -1, -1):
        if text[position] in "）)":
            depth += 1
        elif text[position] in "（(":
            depth -= 1
            if depth == 0:
                return position
    return -1


def is_heading_like(text: str) -> bool:
    """Short, unpunctuated, no finished sentence inside: how headlines and subheads look.
    Nothing (what follows the page's last line) is no heading."""
    if not text or WEB_ADDRESS.match(text):  # a web address is text: "www.…" heads nothing
        return False
    core, limit = _heading_core(text)
    if len(text) > limit or CAPTION_START.match(text):
        return False
    if core is not text and is_tagged_question(core, text[len(core) :]):
        return True
    if ends_sentence(text) or text[-1] in COMMAS or re.search(r"[。；;！？!?]", core):
        return False
    if KICKER_DASHES.search(text):
        # A line ending with —— leads into the title under it: a kicker, commas or not.
        return True
    # An enumeration comma lists names ("湖南、广东、重庆、甘肃扎实推进…"); a comma splits clauses.
    commas = sum(core.count(comma) for comma in COMMAS if comma != "、")
    if commas > MAX_HEADING_COMMAS or core.count("、") > MAX_HEADING_ENUMERATION_MARKS:
        return False
    return not (commas and len(core) > MAX_HEADING_CHARS_WITH_COMMA)


def _heading_core(text: str) -> tuple[str, int]:
    """A headline's wording without its column tag, which lengthens it and whose commas do not
    count, and the longest a heading may run with that tag or without."""
    tag = COLUMN_TAG.search(text)
    core = text[: tag.start()] if tag and tag.start() > 0 else text
    return core, MAX_TAGGED_HEADING_CHARS if tag else MAX_HEADING_CHARS


def opens_with_a_time(text: str) -> bool:
    """A block opening with when ("2018年10月，首届", "近年来，…") is the start of a paragraph,
    never a headline line, unless it leads on with —— ("11时23分许，空中梯队来了——")."""
    return bool(TIME_OPENING.match(text)) and not KICKER_DASHES.search(text)


def is_tagged_title(text: str) -> bool:
    """A title closed by its column tag ("政策红包送来真金白银(财经眼)"), not a credit: what
    stands right over it and ends no sentence is its kicker, never a cut sentence it ends."""
    tag = COLUMN_TAG.search(text)
    return (
        tag is not None
        and tag.start() > 0
        and not BRACKETED_CREDIT.search(tag.group())
        and is_heading_like(text)
    )


def is_tagged_question(core: str, tag: str) -> bool:
    """A headline may ask or exclaim before its column tag: "“首店经济”，如何延续开门红？
    （评论员随笔）", "收莲藕喽！（暖相册）" — a tag, not a credit, after one short sentence."""
    return bool(EXCLAIMED_HEADLINE.match(core)) and not BRACKETED_CREDIT.search(tag)


def is_speaker_kicker(text: str) -> bool:
    """A kicker naming who speaks in the title under it: "国台办：", "外交部驻港公署负责人："."""
    return (
        len(text) <= MAX_SPEAKER_KICKER_CHARS
        and text[-1] in "：:"
        and not re.search(r"[，,。；;！？!?：:]", text[:-1])
    )


def is_long_headline(text: str) -> bool:
    """A line right above a dateline that ends no sentence is a headline however long it runs
    ("王岐山分别会见新加坡副总理兼财政部长王瑞杰、…顾问委员会委员")."""
    return (
        len(text) <= MAX_LONG_HEADLINE_CHARS
        and not ends_sentence(text)
        and text[-1] not in COMMAS
        and not re.search(r"[。；;！？!?]", text)
    )


def has_open_bracket(text: str) -> bool:
    """Whether a quote or bracket opened in the text is still open at its end."""
    return any(text.rfind(opener) > text.rfind(closer) for opener, closer in OPEN_TO_CLOSE.items())


def is_byline_line(text: str) -> bool:
    """A block that is nothing but a byline ("■记者 姚潮龙", a bare "本报讯(记者 某某)")."""
    dateline = DATELINE.match(text)
    return bool(BYLINE_LINE.match(text) or BYLINE_MARKED.match(text)) or (
        dateline is not None and dateline.end() == len(text)
    )


def is_byline_or_dateline(text: str) -> bool:
    """A reporter line or a dateline; a picture's credit ("本报记者 张三摄") is neither."""
    if text.endswith("摄"):
        return bool(DATELINE.match(text)) and not is_standalone_credit(text)
    return bool(BYLINE_LINE.match(text) or BYLINE_MARKED.match(text) or DATELINE.match(text))


def is_standalone_credit(text: str) -> bool:
    """A picture's credit on a line of its own: an agency or a reporter named ("人民视觉",
    "本报记者 张三摄"), or any name in a credit's shape ("陈静 绘", "绘/陈静")."""
    return bool(STANDALONE_CREDIT.match(_without_spaces(text)) or SHAPED_CREDIT.match(text))


def is_drawing_credit(text: str) -> bool:
    """A cartoon's credit ("曹 一图 于 石文"): unlike a picture's, it ends the piece it is under."""
    return re.match(DRAWING_CREDIT, _without_spaces(text)) is not None


def _without_spaces(text: str) -> str:
    """Credits are compared with their spacing taken out: typesetters spread short names."""
    return re.sub(r"[\s\u3000\xa0]+", "", text)
