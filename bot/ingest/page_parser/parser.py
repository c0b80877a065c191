"""Split the plain text of one newspaper page into articles.

The input is what a PDF-to-text tool leaves of a Chinese newspaper page (blocks separated by blank
lines, column breaks cutting words and numbers, boxes of page furniture) or the web text of a page
(indented paragraphs, articles separated by blank lines). The rules follow how Chinese papers are
typeset rather than any one page:

* headline lines (引题 kicker, 主题 title, 副题 subtitle starting with ——) are short and carry no
  sentence-final punctuation; body paragraphs are long and end with 。！？… or a closing quote;
* bylines have fixed forms: a line "■记者 某某", or a lead "本报讯(记者 某某)", "本报北京10月1日电
  （记者 某某）", "新华社北京10月1日电（记者 某某）" opening the first paragraph;
* a picture caption ends with its credit "记者 某某 通讯员 某某"; a 导读 label introduces teasers
  pointing to other pages;
* a block that ends mid-sentence was cut by a column break and continues in the next block: it
  ends on a comma, inside a quotation, on a word that needs what follows ("是", "必须"), or inside
  a word (checked with jieba's dictionary); jump lines ("（下转第二版）") end a story's piece;
* section heads inside a feature come in a series of one shape; sign-offs, signatures, credit
  and service lines ("本版制图：…", "——编者", "咨询电话：…") are never headlines.

Every character of the text is kept as printed except the page furniture, the duplicated fragments
column breaks leave behind, and layout whitespace (indentation, line breaks inside a paragraph).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Literal

import jieba

ArticleKind = Literal["article", "photo", "teaser"]

# A headline line is at most this long; longer unpunctuated lines are body text.
MAX_HEADING_CHARS = 60
# A headline with a comma in it ("中欧班列，为跨境电商插上翅膀") stays short.
MAX_HEADING_CHARS_WITH_COMMA = 32
MAX_HEADING_COMMAS = 3
MAX_HEADING_ENUMERATION_MARKS = 6
# A column tag lengthens a title: "为了村民的美好梦想（守初心 担使命 找差距 抓落实·…）".
MAX_TAGGED_HEADING_CHARS = 90
# A duplicated fragment a column break leaves behind ("经验。") is short.
MAX_DUPLICATE_FRAGMENT_CHARS = 20
# Below this share of CJK characters the text is not a Chinese page (binary, English, markup).
MIN_CJK_SHARE = 0.3
# A page whose lines are separated by blank lines less often than this uses blank lines to
# separate articles (web text), not every block (PDF text).
MAX_GAP_SHARE_FOR_ARTICLE_GAPS = 0.5
# A page whose body lines are mostly indented marks paragraphs by indentation (web text).
MIN_INDENTED_SHARE = 0.5

SENTENCE_FINAL = "。！？!?…；;：:"
CLOSERS = "”’」』》"
COMMAS = "，,、"
OPEN_TO_CLOSE = {"“": "”", "‘": "’", "《": "》", "（": "）", "(": ")", "「": "」", "『": "』"}
SUBTITLE_DASHES = re.compile(r"^(?:——|—|--|－－)+\s*")
KICKER_DASHES = re.compile(r"\s*(?:——|--|－－)+$")
# Kickers (引题) often end with the verb that introduces the title: "…时强调", "…指出".
KICKER_ENDINGS = ("强调", "指出", "表示", "要求", "提出", "时说", "之际", "期间", "：", ":")
# A column tag at the end of a headline: "（新论）", "（动感2019）".
# One level of nesting is common: "（长三角见证高质量发展·江苏篇（上））".
COLUMN_TAG = re.compile(r"[（(](?:[^（）()]|[（(][^（）()]{0,10}[）)]){1,60}[）)]$")
PARALLEL_HALVES = re.compile(r"^\S{3,}[ \u3000]+\S{3,}$")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_LATIN_ONLY = re.compile(r"^[\x20-\x7e\u00a0\u2018\u2019\u201c\u201d]+$")
COUNTDOWN = re.compile(r"倒计时\s*[0-9０-９一二三四五六七八九十百]+\s*天|^距.{1,20}还有\s*\d+\s*天")
PAGE_EAR = re.compile(
    r"^(?:今日\s*\d+\s*版|本版(?:责编|编辑)|责任编辑|责编|版式|美编|校对|组版|"
    r"第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版\s*[：:]|"
    r"国内统一连续出版物号|国内统一刊号|邮发代号|CN\s?\d{2}-\d{4}|第\s*\d+\s*期|"
    r"农历\S{2,8}$|(?:\d{4}年)?\d{1,2}月\d{1,2}日\s*星期[一二三四五六日天]$|星期[一二三四五六日天]$|"
    r"https?://|www\.)"
)
# A jump line sends the reader to the rest of a story on another page: "（下转第二版）",
# "（上接第一版）". The story's piece on this page ends (or starts) there.
JUMP_LINE = re.compile(
    r"^[（(]?(?:下转|上接|接|续)第?\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版[）)]?$"
)
TEASER_LABEL = re.compile(r"^(?:今日|本期|要闻)?导\s*读$")
PAGE_REFERENCE = re.compile(r"^[（(]?(?:详见|见|转)?第?\s*[0-9０-９A-Z]{1,3}\s*版[）)]?$|^▶")
TRAILING_PAGE_REFERENCE = re.compile(r"\s*[（(]?(?:详见|见)第?\s*[0-9０-９]{1,3}\s*版[）)]?$")

_ROLE = (
    r"(?:本报|新华社|人民日报)?(?:首席|特约|见习|摄影|驻\S{1,6})?记者|特约通讯员|通讯员|实习生|摄影"
)
# A two-character name is set with a space inside to take the width of three: "张  枨", "贺  勇".
_NAME = (
    r"(?:[\u4e00-\u9fff·]{2,4}|[\u4e00-\u9fff][ \u3000\xa0]{1,3}[\u4e00-\u9fff](?![\u4e00-\u9fff]))"
)
SPACED_NAME = re.compile(
    r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff])[ \u3000\xa0]{1,3}([\u4e00-\u9fff])(?![\u4e00-\u9fff])"
)
# "■记者 姚潮龙", "本报记者 张三 李四", "记者 周煜程 通讯员 郑剑平 沈镇" standing alone.
BYLINE_LINE = re.compile(
    rf"^[■□◎●▲◆]?\s*(?:{_ROLE})\s*{_NAME}(?:[\s、，,]+(?:(?:{_ROLE})\s*)?{_NAME})*$"
)
BYLINE_MARKED = re.compile(r"^[■□◎●▲◆]\s*\S.{0,30}$")
# The dateline that opens a news story: "本报讯(记者 某某)", "本报北京10月1日电（记者 某某）",
# "新华社北京10月1日电 （记者 某某）", "据新华社电".
# Local papers also print the reporters without brackets: "本报讯 记者 王某 通讯员 李某 昨天，…";
# each name is set off by a space, so the run ends at the last space before the text.
DATELINE_SOURCE = (
    r"^(?:本报讯|(?:本报|新华社|中新社|人民日报|人民网|央视网|据新华社)"
    r"[^\s，。,、（(“”]{0,12}?(?:\d{1,2}月\d{1,2}日)?电)"
)
DATELINE_PREFIX = re.compile(DATELINE_SOURCE)
DATELINE = re.compile(
    DATELINE_SOURCE + r"(?:[\s\u3000\xa0]*[（(][^（）()]{1,80}[）)])?"
    rf"(?:[\s\u3000\xa0]+(?:{_ROLE})[\s\u3000\xa0]*{_NAME}"
    r"(?:[\s\u3000\xa0、]+[\u4e00-\u9fff·]{2,4})*(?=[\s\u3000\xa0]))*"
    r"[\s\u3000\xa0]*"
)
# A picture caption ends with its credit: "…图为比赛现场。记者 周煜程 通讯员 郑剑平 沈镇".
PHOTO_CREDIT = re.compile(
    rf"(?<=[。！？”）)])\s*(?P<credit>(?:{_ROLE})\s*{_NAME}"
    rf"(?:[\s、]+(?:(?:{_ROLE})\s*)?{_NAME})*\s*摄?)$"
)
REPORTER_ROLE = re.compile(
    r"本报讯|(?:本报|新华社|人民日报)?(?:首席|特约|见习|摄影|驻\S{1,6})?记者|特约通讯员|通讯员|实习生|摄影"
)
NOT_A_NAME = re.compile(r"报道|综合|本报|新华|通讯|电$|编辑|供图|整理")
# Body text cannot start with these when it is a new paragraph: it continues a cut sentence.
CONTINUATION_START = re.compile(
    r"^(?:[，、。；：！？”’）》%‰,.;:!?)]|[的地得了着们]|[^\s，、,；。]{1}[、，,；]|"
    r"\d+(?:\.\d+)?(?:%|‰|个百分点|\.))"
)

# No headline ends with a word that needs what follows: a preposition, a conjunction, 的, 昨日.
# Nor with a copula, a modal, an adverb or a conjunction that needs what follows ("人民是",
# "必须", "不断", "因为").
CONTINUATION_END = re.compile(
    r"(?:[的在对把将从向于和与及被让给或而但也]|(?<!求)是|[昨今明前当][日天]|日前|"
    r"必须|应当|应该|能够|可以|正在|已经|不断|更加|通过|按照|根据|围绕|包括|以及|"
    r"并且|而且|但是|因为|所以|如果|虽然|对于|关于|为了|由于|随着|不仅|仍然|一直|逐步)$"
)

# The date under a signature: "2019年10月6日", "2019年10月25日于北京".
SIGNATURE_DATE = r"^(?:\d{4}|[〇零一二三四五六七八九]{4})年\d{1,2}月\d{1,2}日(?:于\S{1,6})?$"
# A piece signed by its writer: "——@好日子", "——郑　光（中国社会科学院考古所研究员）".
SIGN_OFF = (
    r"^——[\s\u3000\xa0]*(?:@\S{1,20}|[\u4e00-\u9fff][\s\u3000\xa0]+[\u4e00-\u9fff]|"
    r"[\u4e00-\u9fff·\s\u3000\xa0]{2,8}[（(][^（）()]{2,60}[）)])$"
)
# A reader's letter signed with place and name: "山西阳城县 刘凡渝".
LETTER_SIGNATURE = (
    r"^[\u4e00-\u9fff]{2,10}[省市县区镇乡村州盟旗][\s\u3000\xa0]+[\u4e00-\u9fff·]"
    r"(?:[\s\u3000\xa0]*[\u4e00-\u9fff·]){1,3}$"
)
# Picture credits and source notes end a block though they carry no punctuation.
CREDIT_LINE = re.compile(
    r"(?:摄|摄影报道|新华社发|供图)(?:[（(][^（）()]{1,20}[）)])?$|^(?:数据|资料|图片)来源[：:]|"
    # Credits for a page's graphics, pictures and planning: "本版制图：汪哲平", "本期统筹：杨烁壁".
    r"^(?:本版|本期)?(?:制图|摄影|统筹|策划|绘图|漫画|设计)[：:]|"
    # A commentary's drawing and text credit: "曹  一图  吕  岩文".
    r"^[\u4e00-\u9fff][\s\u3000\xa0]*[\u4e00-\u9fff]{1,3}图[\s\u3000\xa0]+"
    r"[\u4e00-\u9fff][\s\u3000\xa0]*[\u4e00-\u9fff]{1,3}文$|"
    # A date under a signature ("习近平" / "2019年10月6日") and an editor's note sign-off.
    rf"{SIGNATURE_DATE}|"
    # An editor's note signed "——编者", a piece signed by its writer.
    r"^——[\s\u3000\xa0]*编[\s\u3000\xa0]*者$|"
    rf"{SIGN_OFF}|{LETTER_SIGNATURE}"
)
# A credit closing a story: "（倪光辉、刘侃）", "（本报记者 某某）", "（新华社北京9月30日电）".
CLOSING_CREDIT = re.compile(rf"^[（(][^（）()]{{2,60}}[）)]$|摄$|{SIGN_OFF}|{LETTER_SIGNATURE}")
# A picture's credit set as its own line under the caption: "杨梅清摄（影像中国）", "新华社发",
# "本报记者  殷新宇摄", "温素威  范江旭摄影报道" (compared with the spaces taken out).
STANDALONE_CREDIT = re.compile(
    rf"^(?:(?:{_ROLE})?[\u4e00-\u9fff·]{{2,16}}摄(?:影报道)?|新华社(?:记者[\u4e00-\u9fff·]{{2,12}})?发)"
    r"(?:[（(][^（）()]{1,12}[）)])?$|"
    # A drawing and its verse: "曹一图吕岩文".
    r"^[\u4e00-\u9fff]{2,4}图[\u4e00-\u9fff]{2,4}文$"
)
# Service information set as "label：value" is no heading: "栏目投稿邮箱：yxxz8494@163.com",
# "咨询电话：028—6871409", "开馆时间：周三至周日9：00—16：30", "主办单位：…".
SERVICE_LINE = re.compile(
    r"^[\u4e00-\u9fff]{1,10}[：:]\s*\S*(?:@|\d{3,}|\d{1,2}[:：]\d{2})|"
    r"^\S{0,6}(?:主办|承办|协办|联系|咨询|投稿|地址|电话|邮箱|网址|热线)\S{0,4}[：:]"
)
# What a bracket closing a paragraph holds when it credits the text: a reporter, a picture, a
# dateline, a page pointer ("见第二版"), an end mark, the author or editor.
BRACKETED_CREDIT = re.compile(r"记者|摄|电|^见|详见|版$|^完$|编者|作者|新华社|供图")
# The title of a document printed in full ends with what kind of document it is: a speech, a
# statement, a notice. Such a title opens an article even without a byline.
DOCUMENT_TITLE = re.compile(
    r"(?:讲话|致辞|声明|公告|通告|公报|意见|决定|决议|通知|名单|条例|办法|规定|贺信|贺电|主席令|"
    r"启事|倡议书|白皮书)$"
)
# A caption ("图③：1日，游客在…", "图为…") is text about a picture, never a heading.
CAPTION_START = re.compile(r"^(?:图[①-⑳0-9０-９]+[：:]|图为|[上下左右]图[：:为])")
# A picture story: a short title, a caption of a few blocks, the credit line.
MAX_CAPTION_BLOCKS = 5
MAX_CAPTION_CHARS = 400
# Section heads of one long feature come in a series of the same shape ("观念之变", "方式之变",
# "机制之变"; "把握新方位——", "打造新优势——"): short, and repeated at least this often.
MAX_SECTION_HEAD_CHARS = 10
MIN_SECTION_SERIES = 2
# Characters either side of a block boundary that are segmented to see whether it cuts a word.
WORD_WINDOW_CHARS = 3
MAX_CUT_WORD_CHARS = 4
# A speaker kicker ("国台办：") is short; a headline set over several lines may run long.
MAX_SPEAKER_KICKER_CHARS = 16
MAX_LONG_HEADLINE_CHARS = 90
# What follows a number: a unit, a measure word or a magnitude ("70" | "周年", "18" | "名").
NUMBER_UNITS = (
    "年月日时分秒号%‰.万亿千百元个周岁名位项次件人家所座辆架艘台套条只批场届期天倍米吨亩户多余"
)
# A headline may exclaim ("我爱你，中国！") when a subtitle or byline follows it.
EXCLAIMED_HEADLINE = re.compile(r"^[^。；;]{2,30}[！？!?][”’」』]?$")


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


@dataclass
class _Line:
    """One block of the page: its text, and the layout around it that carries meaning."""

    text: str
    indented: bool = False
    gap_before: bool = False
    is_teaser_label: bool = False
    is_jump: bool = False
    before_jump: bool = False


@dataclass
class _Draft:
    """An article being assembled while the page is read top to bottom."""

    kind: ArticleKind
    head: list[str]
    byline: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    subheads: list[str] = field(default_factory=list)


def parse_page(
    text: str, edition: date, *, paper: str | None = None, page: int | None = None
) -> ParsedPage:
    """Parse the text of one page into its articles, pictures and teasers, in reading order."""
    _check_usable(text)
    lines = _read_lines(text)
    lines = _drop_furniture(lines)
    lines = _join_column_breaks(lines)
    drafts = _segment(lines)
    articles = tuple(_finish(draft) for draft in drafts)
    articles = tuple(a for a in articles if a.title or a.paragraphs)
    if not any(article.title for article in articles):
        raise PageParseError("no recognisable article: found no headline followed by body text")
    return ParsedPage(edition=edition, articles=articles, paper=paper, page=page)


def _check_usable(text: str) -> None:
    """Refuse empty and binary-looking input with a message that says which."""
    visible = [char for char in text if not char.isspace()]
    if not visible:
        raise PageParseError("page text is empty")
    if len(_CONTROL.findall(text)) > max(2, len(visible) // 100):
        raise PageParseError("page text contains control or undecodable characters: not text")
    # English box lines (countdowns, mastheads) are page furniture, not a sign of binary input.
    chinese_lines = [line for line in text.splitlines() if not _is_latin_line(line.strip())]
    visible = [char for line in chinese_lines for char in line if not char.isspace()] or visible
    cjk_share = sum(1 for char in visible if _CJK.match(char)) / len(visible)
    if cjk_share < MIN_CJK_SHARE:
        raise PageParseError(
            f"page text is not Chinese newspaper text: only {cjk_share:.0%} CJK characters"
        )


def _read_lines(text: str) -> list[_Line]:
    """Non-empty lines with their indentation and whether a blank line came before them."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines: list[_Line] = []
    gap = False
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped:
            gap = True
            continue
        indented = raw[:1] in ("\u3000", " ", "\xa0", "\t")
        lines.append(_Line(stripped, indented=indented, gap_before=gap and bool(lines)))
        gap = False
    return lines


def _is_latin_line(text: str) -> bool:
    return bool(_LATIN_ONLY.match(text)) and not _CJK.search(text)


def _is_furniture_seed(text: str) -> bool:
    return _is_latin_line(text) or bool(COUNTDOWN.search(text)) or bool(PAGE_EAR.match(text))


def _drop_furniture(lines: list[_Line]) -> list[_Line]:
    """Remove countdown boxes, page ears and English box lines; mark 导读 labels.

    A countdown box is a cluster of English lines and a "倒计时 N 天" line, usually under a short
    Chinese caption ("杭州第19届亚运会"): that caption goes with the box.
    """
    seeds = [_is_furniture_seed(line.text) for line in lines]
    drop = list(seeds)
    for index, line in enumerate(lines):
        if seeds[index]:
            continue
        next_is_box = index + 1 < len(lines) and seeds[index + 1]
        box_follows = next_is_box and (
            _is_latin_line(lines[index + 1].text) or COUNTDOWN.search(lines[index + 1].text)
        )
        if box_follows and _is_heading_like(line.text) and len(line.text) <= 20:
            drop[index] = True
    kept: list[_Line] = []
    for line, dropped in zip(lines, drop, strict=True):
        if dropped:
            continue
        if TEASER_LABEL.match(line.text):
            line.is_teaser_label = True
        line.is_jump = bool(JUMP_LINE.match(line.text))
        kept.append(line)
    return kept


def _ends_sentence(text: str) -> bool:
    """Whether a block ends where a paragraph may end (not in the middle of a sentence)."""
    last = text[-1]
    if last in SENTENCE_FINAL or CREDIT_LINE.search(text) or SERVICE_LINE.match(text):
        return True
    if last in CLOSERS:
        return len(text) > 1 and (text[-2] in SENTENCE_FINAL or text[-2] in CLOSERS)
    if last in "）)":
        opener = _matching_opener(text)
        if opener <= 0:
            return True
        inner, before = text[opener + 1 : -1], text[:opener]
        quote_closed_sentence = before[-1] in CLOSERS and before[-2:-1] in tuple(SENTENCE_FINAL)
        if before[-1] in SENTENCE_FINAL or quote_closed_sentence:
            return True
        return bool(BRACKETED_CREDIT.search(inner))
    return bool(PHOTO_CREDIT.search(text) or BYLINE_LINE.match(text))


def _matching_opener(text: str) -> int:
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


def _is_heading_like(text: str) -> bool:
    """Short, unpunctuated, no finished sentence inside: how headlines and subheads look."""
    tagged = bool(COLUMN_TAG.search(text))
    limit = MAX_TAGGED_HEADING_CHARS if tagged else MAX_HEADING_CHARS
    if len(text) > limit or _ends_sentence(text) or CAPTION_START.match(text):
        return False
    if text[-1] in COMMAS or re.search(r"[。；;！？!?]", text):
        return False
    if KICKER_DASHES.search(text):
        # A line ending with —— leads into the title under it: a kicker, commas or not.
        return True
    # An enumeration comma lists names ("湖南、广东、重庆、甘肃扎实推进…"); a comma splits clauses.
    commas = sum(text.count(comma) for comma in COMMAS if comma != "、")
    if commas > MAX_HEADING_COMMAS or text.count("、") > MAX_HEADING_ENUMERATION_MARKS:
        return False
    return not (commas and len(text) > MAX_HEADING_CHARS_WITH_COMMA)


def _is_speaker_kicker(text: str) -> bool:
    """A kicker naming who speaks in the title under it: "国台办：", "外交部驻港公署负责人："."""
    return (
        len(text) <= MAX_SPEAKER_KICKER_CHARS
        and text[-1] in "：:"
        and not re.search(r"[，,。；;！？!?：:]", text[:-1])
    )


def _is_long_headline(text: str) -> bool:
    """A line right above a dateline that ends no sentence is a headline however long it runs
    ("王岐山分别会见新加坡副总理兼财政部长王瑞杰、…顾问委员会委员")."""
    return (
        len(text) <= MAX_LONG_HEADLINE_CHARS
        and not _ends_sentence(text)
        and text[-1] not in COMMAS
        and not re.search(r"[。；;！？!?]", text)
    )


def _has_open_bracket(text: str) -> bool:
    """Whether a quote or bracket opened in the text is still open at its end."""
    return any(text.rfind(opener) > text.rfind(closer) for opener, closer in OPEN_TO_CLOSE.items())


def _is_byline_line(text: str) -> bool:
    """A block that is nothing but a byline ("■记者 姚潮龙", a bare "本报讯(记者 某某)")."""
    dateline = DATELINE.match(text)
    return bool(BYLINE_LINE.match(text) or BYLINE_MARKED.match(text)) or (
        dateline is not None and dateline.end() == len(text)
    )


def _is_byline_or_dateline(text: str) -> bool:
    return bool(BYLINE_LINE.match(text) or BYLINE_MARKED.match(text) or DATELINE.match(text))


def _continues(previous: _Line, block: _Line, following: _Line | None) -> bool:
    """Whether ``block`` is the rest of a sentence a column break cut at the end of ``previous``."""
    before, after = previous.text, block.text
    if previous.is_teaser_label or block.is_teaser_label or _ends_sentence(before):
        return False
    if previous.is_jump or block.is_jump:
        return False
    if _is_byline_line(before) or _is_byline_or_dateline(after):
        return False
    if SUBTITLE_DASHES.match(after) or KICKER_DASHES.search(before):
        return False
    if before[-1].isdigit() and (after[0].isdigit() or after[0] in NUMBER_UNITS):
        return True
    if (
        _has_open_bracket(before)
        or CONTINUATION_START.match(after)
        or CONTINUATION_END.search(before)
    ):
        return True
    if _cuts_a_word(before, after):
        return True
    if _is_heading_like(before):
        return False
    # A finished-looking body block followed by a headline that opens an article stays apart.
    next_opens_article = following is not None and (
        _is_byline_or_dateline(following.text) or bool(SUBTITLE_DASHES.match(following.text))
    )
    return not (_is_heading_like(after) and next_opens_article)


@cache
def _segmenter() -> jieba.Tokenizer:
    """jieba's dictionary, loaded once and quietly (it logs its start-up otherwise)."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _cuts_a_word(before: str, after: str) -> bool:
    """Whether the boundary between two blocks falls inside a word ("中国特" | "色社会主义").

    Headlines and paragraphs end on a word boundary; a column break ends the column wherever
    the line is full. A word counts when the first block holds only its first character or a
    piece that is no word ("人民法" | "院"): a whole word before the boundary ("示范" | "区",
    "中国" | "人民") can end a headline.
    """
    left, right = before[-WORD_WINDOW_CHARS:], after[: 2 * WORD_WINDOW_CHARS]
    if not (_CJK.match(left[-1:]) and _CJK.match(right[:1])):
        return False
    segmenter = _segmenter()
    position = 0
    for word in segmenter.cut(left + right, HMM=False):
        start, position = position, position + len(word)
        if start < len(left) < position:
            head = left[start:]
            return len(word) <= MAX_CUT_WORD_CHARS and (
                len(head) == 1 or head not in segmenter.FREQ or not segmenter.FREQ[head]
            )
    return False


def _is_duplicate_fragment(previous: _Line, block: _Line) -> bool:
    """A short block repeating the end of the block before it ("…萧山经验。" then "经验。")."""
    text = block.text
    return (
        len(text) <= MAX_DUPLICATE_FRAGMENT_CHARS
        and len(text) < len(previous.text)
        and previous.text.endswith(text)
        and not _is_heading_like(text)
    )


def _join_column_breaks(lines: list[_Line]) -> list[_Line]:
    """Glue blocks split by column breaks and drop the fragments those breaks duplicated."""
    joined: list[_Line] = []
    for index, line in enumerate(lines):
        if joined and _is_duplicate_fragment(joined[-1], line):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        if joined and _continues(joined[-1], line, following):
            previous = joined[-1]
            joined[-1] = _Line(previous.text + line.text, previous.indented, previous.gap_before)
            continue
        joined.append(
            _Line(line.text, line.indented, line.gap_before, line.is_teaser_label, line.is_jump)
        )
    # Jump lines have marked where a story's piece ends (the block before one is body text, not a
    # headline); they are furniture.
    kept: list[_Line] = []
    for line in joined:
        if line.is_jump:
            if kept:
                kept[-1].before_jump = True
            continue
        kept.append(line)
    return kept


def _layout_signals(lines: list[_Line]) -> tuple[bool, bool]:
    """(blank lines separate articles, indentation marks paragraphs) for this page."""
    if len(lines) < 2:
        return False, False
    gap_share = sum(line.gap_before for line in lines[1:]) / (len(lines) - 1)
    body = [line for line in lines if not _is_heading_like(line.text)]
    indented_share = sum(line.indented for line in body) / len(body) if body else 0.0
    return gap_share < MAX_GAP_SHARE_FOR_ARTICLE_GAPS, indented_share >= MIN_INDENTED_SHARE


def _segment(lines: list[_Line]) -> list[_Draft]:
    """Group lines into articles: headline groups open articles, single short lines are subheads."""
    gaps_separate_articles, indentation_marks_body = _layout_signals(lines)

    def heading(position: int) -> bool:
        line = lines[position]
        if line.is_teaser_label or line.before_jump or _is_byline_or_dateline(line.text):
            return False
        if indentation_marks_body and line.indented:
            return False
        following = lines[position + 1].text if position + 1 < len(lines) else ""
        if _is_signature(lines, position):
            return False
        if _is_heading_like(line.text):
            return True
        if _is_speaker_kicker(line.text) and _is_heading_like(following):
            return True
        if _is_long_headline(line.text) and _is_byline_or_dateline(following):
            return True
        after_next = lines[position + 2].text if position + 2 < len(lines) else ""
        # A kicker may ask ("中办通知印发近七个月来，基层落实情况如何？") over a tagged title.
        question_kicker = (
            bool(following)
            and _is_heading_like(following)
            and bool(COLUMN_TAG.search(following) or _is_byline_or_dateline(after_next))
        )
        return bool(EXCLAIMED_HEADLINE.match(line.text)) and bool(
            SUBTITLE_DASHES.match(following) or _is_byline_or_dateline(following) or question_kicker
        )

    def subhead(line: _Line) -> bool:
        return _is_heading_like(line.text) and not _is_byline_or_dateline(line.text)

    section_heads = _section_head_series(lines)

    drafts: list[_Draft] = []
    current: _Draft | None = None
    in_teasers = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.is_teaser_label:
            in_teasers, current = True, None
            index += 1
            continue
        if in_teasers:
            if heading(index):
                title = TRAILING_PAGE_REFERENCE.sub("", line.text)
                drafts.append(_Draft("teaser", [title]))
                index += 1
                continue
            if PAGE_REFERENCE.match(line.text):
                index += 1
                continue
            in_teasers = False
        if current is not None and indentation_marks_body and line.indented and subhead(line):
            current.paragraphs.append(line.text)
            current.subheads.append(line.text)
            index += 1
            continue
        if not heading(index):
            if current is None:
                current = _Draft("article", [])
                drafts.append(current)
            _add_body_line(current, line.text)
            index += 1
            continue
        group_end = index + 1
        while group_end < len(lines) and heading(group_end):
            if gaps_separate_articles and lines[group_end].gap_before:
                break
            if PAGE_REFERENCE.match(lines[group_end].text):
                break
            group_end += 1
        if _is_deck(lines, group_end):
            group_end += 1
        group = [entry.text for entry in lines[index:group_end]]
        following = lines[group_end] if group_end < len(lines) else None
        if following is not None and PAGE_REFERENCE.match(following.text):
            drafts.extend(_Draft("teaser", [title]) for title in group)
            current = None
            index = group_end + 1
            continue
        strong_opening = (
            current is None
            or following is None
            or _is_byline_or_dateline(following.text)
            or (gaps_separate_articles and line.gap_before)
            or (indentation_marks_body and not line.indented)
            or _is_photo_caption(lines, group_end)
            or any(COLUMN_TAG.search(entry) for entry in group)
            or bool(DOCUMENT_TITLE.search(group[-1]))
            or bool(current.paragraphs and CLOSING_CREDIT.search(current.paragraphs[-1]))
        )
        opens_article = strong_opening or (len(group) > 1 and index not in section_heads)
        if not opens_article and current is not None:
            current.paragraphs.extend(group)
            current.subheads.extend(group)
            index = group_end
            continue
        kind: ArticleKind = "photo" if _is_photo_caption(lines, group_end) else "article"
        current = _Draft(kind, group)
        drafts.append(current)
        index = group_end
        if following is not None and (
            BYLINE_LINE.match(following.text) or BYLINE_MARKED.match(following.text)
        ):
            current.byline = _clean_byline(following.text)
            index += 1
    return drafts


def _is_signature(lines: list[_Line], position: int) -> bool:
    """A line signing what precedes it: a "——" line right after body text (a subtitle follows a
    title, an attribution follows a quote), or a name over a date ("习近平" / "2019年10月6日")."""
    text = lines[position].text
    following = lines[position + 1].text if position + 1 < len(lines) else ""
    if re.match(SIGNATURE_DATE, following):
        return True
    if position == 0 or not SUBTITLE_DASHES.match(text):
        return False
    before = lines[position - 1].text
    headline_before = _is_heading_like(before) or bool(EXCLAIMED_HEADLINE.match(before))
    return not headline_before and not _is_byline_or_dateline(before)


def _is_photo_caption(lines: list[_Line], index: int) -> bool:
    """What follows a title is a picture's caption: a block ending with its credit, then a
    headline or the end of the page; or a few caption blocks and the credit on a line of its own."""
    if index >= len(lines):
        return False
    if PHOTO_CREDIT.search(lines[index].text):
        return (
            index + 1 >= len(lines)
            or not _ends_sentence(lines[index + 1].text)
            or (_is_heading_like(lines[index + 1].text))
        )
    caption_chars = 0
    for position in range(index, min(index + MAX_CAPTION_BLOCKS + 1, len(lines))):
        text = lines[position].text
        if position > index and _is_standalone_credit(text):
            return True
        caption_chars += len(text)
        if (
            caption_chars > MAX_CAPTION_CHARS
            or _is_heading_like(text)
            or _is_byline_or_dateline(text)
        ):
            return False
    return False


def _is_standalone_credit(text: str) -> bool:
    return bool(STANDALONE_CREDIT.match(re.sub(r"[\s\u3000\xa0]+", "", text)))


def _is_deck(lines: list[_Line], index: int) -> bool:
    """A long unpunctuated line between a headline and the dateline under it is the headline's
    deck (提要题: "审议通过《…》；讨论通过《…》"), not a paragraph."""
    if index + 1 >= len(lines) or index == 0:
        return False
    text = lines[index].text
    return (
        not _ends_sentence(text)
        and text[-1] not in COMMAS
        and not _is_byline_or_dateline(text)
        and _is_byline_or_dateline(lines[index + 1].text)
        and _is_heading_like(lines[index - 1].text)
    )


def _section_head_series(lines: list[_Line]) -> set[int]:
    """Positions of section heads inside one feature: short heading lines after body text, not
    followed by a byline, of a shape (length, trailing ——, a trailing colon) that recurs on the
    page."""
    candidates: dict[tuple[int, bool], list[int]] = {}
    for position in range(1, len(lines)):
        text, before = lines[position].text, lines[position - 1].text
        speaker = _is_speaker_kicker(text)
        if not (_is_heading_like(text) or speaker) or _is_heading_like(before):
            continue
        if _is_byline_or_dateline(text):
            continue
        if CLOSING_CREDIT.search(before) or not _ends_sentence(before):
            continue
        following = lines[position + 1].text if position + 1 < len(lines) else ""
        after_group = lines[position + 2].text if position + 2 < len(lines) else ""
        if _is_byline_or_dateline(following) or _is_byline_or_dateline(after_group):
            continue
        core = KICKER_DASHES.sub("", text)
        if len(core) > MAX_SECTION_HEAD_CHARS:
            continue
        # Speaker kickers ("北京大学：", "山西：") form one series whatever their length.
        shape = (0, True) if speaker else (len(re.sub(r"\s", "", core)), core != text)
        candidates.setdefault(shape, []).append(position)
    return {
        position
        for positions in candidates.values()
        if len(positions) >= MIN_SECTION_SERIES
        for position in positions
    }


def _add_body_line(draft: _Draft, text: str) -> None:
    """Add a paragraph; the first one may carry the dateline byline or, for a photo, the credit."""
    if not draft.paragraphs and draft.byline is None:
        dateline = DATELINE.match(text)
        if dateline and dateline.end() < len(text):
            draft.byline = _clean_byline(dateline.group(0))
            text = text[dateline.end() :]
    if draft.kind == "photo" and draft.byline is None:
        if _is_standalone_credit(text):
            draft.byline = _clean_byline(text)
            return
        credit = PHOTO_CREDIT.search(text)
        if credit:
            draft.byline = _clean_byline(credit.group("credit"))
            text = text[: credit.start()].rstrip()
    draft.paragraphs.append(text)


def _clean_byline(text: str) -> str:
    """Drop the ■ marker and collapse layout whitespace (tabs, no-break and ideographic spaces)."""
    text = re.sub(r"^[■□◎●▲◆]\s*", "", text.strip())
    return re.sub(r"[\s\u3000\xa0]+", " ", text)


def _reporters(byline: str | None) -> tuple[str, ...]:
    """Names in a byline: what is left once the dateline, roles and brackets are taken out."""
    if not byline:
        return ()
    text = DATELINE_PREFIX.sub(" ", byline)
    # The bracket after a picture credit names the agency: "杨梅清摄（影像中国）".
    text = re.sub(r"摄(?:影报道)?[（(][^（）()]*[）)]", "摄", text)
    text = SPACED_NAME.sub(r"\1\2", REPORTER_ROLE.sub(" ", text))
    names: list[str] = []
    for token in re.split(r"[\s、，,（）()／/]+", text):
        name = token[:-1] if len(token) > 2 and token.endswith("摄") else token
        if re.fullmatch(_NAME, name) and not NOT_A_NAME.search(name) and name not in names:
            names.append(name)
    return tuple(names)


def _split_head(head: list[str]) -> tuple[str | None, str, str | None]:
    """(kicker, title, subtitle) of a headline group, by the marks papers give each line."""
    kicker: str | None = None
    subtitles: list[str] = []
    main: list[str] = []
    for line in head:
        if SUBTITLE_DASHES.match(line) and (main or kicker is not None):
            subtitles.append(SUBTITLE_DASHES.sub("", line))
        elif KICKER_DASHES.search(line) and not main and kicker is None:
            kicker = KICKER_DASHES.sub("", line)
        elif main:
            subtitles.append(line)
        else:
            main.append(line)
    if not main:
        if subtitles:
            main.append(subtitles.pop(0))
        elif kicker is not None:
            return None, kicker, None
    if kicker is None and subtitles and _reads_as_kicker(main[0], subtitles[0]):
        kicker, main[0] = main[0], subtitles.pop(0)
    subtitle = "\n".join(subtitles) if subtitles else None
    return kicker, main[0], subtitle


def _reads_as_kicker(first: str, second: str) -> bool:
    """Whether the first of two headline lines is the 引题 above the title, not the title."""
    if first.endswith(KICKER_ENDINGS):
        return True
    if COLUMN_TAG.search(second) and not COLUMN_TAG.search(first):
        return True
    return bool(PARALLEL_HALVES.match(second)) and not PARALLEL_HALVES.match(first)


def _finish(draft: _Draft) -> ParsedArticle:
    if draft.head:
        kicker, title, subtitle = _split_head(draft.head)
    else:
        kicker, title, subtitle = None, "", None
    return ParsedArticle(
        kind=draft.kind,
        kicker=kicker,
        title=title,
        subtitle=subtitle,
        byline=draft.byline,
        reporters=_reporters(draft.byline),
        paragraphs=tuple(draft.paragraphs),
        subheads=tuple(draft.subheads),
    )
