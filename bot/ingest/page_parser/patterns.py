"""The typesetting facts the page parser relies on: sizes, marks and line forms of Chinese papers.

Every rule of the parser names one of these; they are collected here so a reader can check them
against a page in one place (see :mod:`bot.ingest.page_parser` for the pipeline).
"""

from __future__ import annotations

import re
from typing import Literal

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
# Below this share of CJK among letters the text is not a Chinese page (English, markup).
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
# Two phrases set apart by a space ("我为祖国自豪  我为祖国祝福", "洋山港 吞吐忙"): a headline's
# way; running text has no space between Chinese words.
SPACED_PHRASES = re.compile(r"[\u4e00-\u9fff][ \u3000]+[\u4e00-\u9fff]")

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
LATIN_ONLY = re.compile(r"^[\x20-\x7e\u00a0\u2018\u2019\u201c\u201d]+$")
# A web address alone ("www.internetplus-expo.com", "https://…/toScanReg") is text of the story or
# notice it ends, not an English line of a box.
WEB_ADDRESS = re.compile(r"^(?:https?://|www\.)\S+$")
# "距开幕 10 天" names no event: the caption over its box does ("…进口博览会").
# "离开幕还有 200 天", "还有 500 天" under the event's name count down too.
# The count may be set after a colon or as an ordinal: "倒计时：10天", "倒数第 100 天".
COUNTDOWN = re.compile(
    r"(?:倒计时|倒数)\s*[：:]?\s*第?\s*[0-9０-９一二三四五六七八九十百]+\s*天|^[距离].{1,20}?(?:还有|还剩|仅剩)?\s*\d+\s*天$|"
    r"^(?:还有|还剩|仅剩)\s*\d+\s*天$"
)
# A countdown box may set its count under the caption: "杭州亚运会倒计时" over "1075天".
COUNTDOWN_CAPTION = re.compile(r"^[^。，；！？,;!?]{0,20}(?:倒计时|倒数)$")
DAYS_ALONE = re.compile(r"^[0-9０-９]{1,4}\s*天$")
# ... and a box counting an event's days up sets "第2天" under its caption ("军运会进行时").
EVENT_DAY_ALONE = re.compile(r"^第\s*[0-9０-９]{1,3}\s*天$")
# A market box's lines: an index or a stock with its figures ("上证指数 3028.20 ▲0.77%", "宁德时代
# 300750"): a quote, a space and a figure or a six-digit code, nothing else. No sentence is set so.
QUOTE_LINE = re.compile(
    r"^[\u4e00-\u9fffA-Za-z]{2,10}[ \u3000\xa0]+"
    r"(?:[0-9]{6}|[0-9]+(?:\.[0-9]+)?[ \u3000\xa0]*[▲▼△▽↑↓+＋\-－][0-9]+(?:\.[0-9]+)?%)$"
)
COUNTDOWN_WORDS = re.compile(
    r"^[距离]|开幕|闭幕|还有|还剩|仅剩|倒计时|倒数|第(?=\s*[0-9０-９])|[：:]|[0-9０-９]+|天$|\s"
)
# A date's parts in figures or in Chinese numerals ("二〇一九年十月二十五日"), and a weekday
# written 星期五 or 周五.
_YEAR = r"(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*"
_DAY_NUMBER = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_MONTH_DAY = rf"{_DAY_NUMBER}\s*月\s*{_DAY_NUMBER}\s*日"
_WEEKDAY = r"(?:星期|周)[一二三四五六日天]"
_LUNAR_DAY = (
    r"农历[正一二三四五六七八九十冬腊闰]{1,3}月(?:初|十|廿|二十|三十)[一二三四五六七八九十]?"
)
PAGE_EAR = re.compile(
    r"^(?:今日\s*\d+\s*版|本版(?:责编|编辑)|责任编辑|责编|版式|美编|校对|组版|"
    # The editors named at a page's foot: "本版主编：刘洋 美术编辑：王伟".
    r"(?:本版|本期)?(?:主编|美术编辑|图片编辑|值班编辑|执行编辑|视觉设计)\s*[：:]|"
    r"第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版\s*[：:]|"
    r"国内统一连续出版物号|国内统一刊号|邮发代号|CN\s?\d{2}-\d{4}|第\s*\d+\s*期|"
    r"农历\S{2,8}$|(?:\d{4}年)?\d{1,2}月\d{1,2}日\s*星期[一二三四五六日天]$|星期[一二三四五六日天]$)"
    # A dated ear in any arrangement: "2019年10月28日 星期一 第16版", "4 2019年10月25日 星期五",
    # "人民日报 2019年10月25日 星期五 第4版", "2019.10.25 星期五", "10月25日 星期五 第4版": a short
    # line holding a date and its weekday.
    # The lunar date may stand between the day and the weekday: "2019年10月1日 农历九月初三 星期二".
    rf"|^[^。，；！？,;!?]{{0,12}}(?:{_YEAR})?{_MONTH_DAY}\s*(?:{_LUNAR_DAY}\s*)?{_WEEKDAY}"
    r"[^。，；！？,;!?]{0,12}$"
    r"|^[^。，；！？,;!?]{0,12}\d{4}\s*[.．/／-]\s*\d{1,2}\s*[.．/／-]\s*\d{1,2}\s*"
    rf"{_WEEKDAY}[^。，；！？,;!?]{{0,12}}$"
    # A lunar date alone, with or without 农历: "己亥年九月廿七", "戊戌年冬月十五".
    r"|^(?:农历)?[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]年\s*"
    r"(?:[正一二三四五六七八九十冬腊]{1,2}月\s*(?:初[一二三四五六七八九十]|十[一二三四五六七八九]?|"
    r"二十|廿[一二三四五六七八九]|三十))?$"
    # ... or with the weekday first: "星期五 2019年10月25日".
    rf"|^[^。，；！？,;!?]{{0,12}}{_WEEKDAY}\s*(?:{_YEAR})?{_MONTH_DAY}[^。，；！？,;!?]{{0,12}}$"
)
# At the top or bottom of the page a short line holding a full date with the page number, the
# section or the paper's name is an ear even without its weekday: "第4版 2019年10月25日",
# "2019.10.25 要闻". A date alone there may be a signature's ("2019年10月6日"), so something
# else must stand on the line.
# ... or in Chinese numerals: "城事 二〇一九年十月一日".
DATE_IN_FIGURES = re.compile(
    r"\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[.．/／-]\s*\d{1,2}\s*[.．/／-]\s*\d{1,2})|"
    r"[〇零一二三四五六七八九]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月\s*[一二三四五六七八九十]{1,3}\s*日"
)
# ... and what else stands on it is short and unpunctuated.
MAX_EAR_REST_CHARS = 12
EAR_REST_PUNCTUATION = re.compile(r"[。，；！？,;!?：:、]")
# A mark inside or at the end of a sentence: a line holding one is text, not a box's line.
SENTENCE_MARKS = re.compile(r"[。，；！？,;!?]")
# A jump line sends the reader to the rest of a story on another page: "（下转第二版）",
# "（上接第一版）". The story's piece on this page ends (or starts) there.
# Papers word it several ways: "（转第3版）", "（下转3版）", "（紧接第一版）", "（转A2版）".
# Told by its shape, not its wording: a pointer word and a page, with a few words before it
# ("（本文转第3版）", "（未完，接第6版）") and an arrow or a bracket around it ("▶下转第3版").
JUMP_LINE = re.compile(
    r"^[（(▶►→◀←]?[^（）()。；！？]{0,6}?(?:下转|下接|上接|紧接|接上|转至|转到|转|接|续)第?\s*"
    r"[A-Za-z]?[0-9０-９一二三四五六七八九十]{1,3}\s*版[）)▶►→◀←]?$"
)
# A bare page number ("第16版") is an ear at the top or bottom of a page, a pointer elsewhere.
# With the paper's or the section's name before it ("人民日报 第4版") it is an ear there too.
# So is a number between dashes ("—4—") and a page number before the section ("第四版 要闻").
# A page number may be written in capital numerals without 第 ("叁版 文化副刊"), as cheques write
# amounts, or as a circled digit ("⑥", "⑥ 民生"): forms no headline opens with.
_PAGE_NUMERAL = r"[0-9０-９一二三四五六七八九十壹贰叁肆伍陆柒捌玖拾]{1,3}"
CIRCLED_DIGIT = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
BARE_PAGE_NUMBER = re.compile(
    rf"^(?:[\u4e00-\u9fff]{{2,8}}[ \u3000\xa0·•｜|]*)?第\s*{_PAGE_NUMERAL}\s*版"
    r"(?:[ \u3000\xa0·•｜|]+[\u4e00-\u9fff]{2,6})?$|^[—－-]+\s*[0-9０-９]{1,3}\s*[—－-]+$|"
    r"^[壹贰叁肆伍陆柒捌玖拾]{1,3}\s*版(?:[ \u3000\xa0·•｜|]+[\u4e00-\u9fff]{2,6})?$|"
    rf"^[{CIRCLED_DIGIT}]$"
)
# A section ear: the page's section and number on a line alone, "要闻 4", "4 要闻", "经济新闻 5"
# ("第02版：要闻" is a PAGE_EAR). Like a bare page number it is an ear only at the top or bottom.
# The section and the number are set apart by a space or a separator mark ("要闻｜4").
# The paper's name may stand before the section: "人民日报｜要闻｜4".
SECTION_EAR = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,6}[ \u3000\xa0]*[ \u3000\xa0·•｜|][ \u3000\xa0]*){1,2}"
    rf"(?:[A-Za-z]?[0-9０-９]{{1,2}}|[{CIRCLED_DIGIT}])$|"
    rf"^(?:[A-Za-z]?[0-9０-９]{{1,2}}|[{CIRCLED_DIGIT}])"
    r"[ \u3000\xa0]*[ \u3000\xa0·•｜|][ \u3000\xa0]*[\u4e00-\u9fff]{2,6}$"
)
# A section's name as an ear prints it beside the page's number or date: two to four characters,
# or two such names joined by a middle dot ("宏观", "综合新闻", "证券·市场").
SECTION_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}(?:[·•][\u4e00-\u9fff]{2,4})?$")
# A page's number alone, without its section: "A3", "07", "第7版", "⑥", "-7-".
PAGE_CODE_ALONE = re.compile(
    rf"^(?:[A-Za-z]?[0-9０-９]{{1,3}}|第?\s*{_PAGE_NUMERAL}\s*版|[{CIRCLED_DIGIT}]|"
    r"[—－-]+\s*[0-9０-９]{1,3}\s*[—－-]+)$"
)
# The paper's name beside its romanised or English name: "人民日报 RENMIN RIBAO".
PAPER_NAME_EAR = re.compile(
    r"^[\u4e00-\u9fff]{2,8}[ \u3000\xa0]+[A-Z][A-Z'’. ]{3,40}$|"
    r"^[A-Z][A-Z'’. ]{3,40}[ \u3000\xa0]+[\u4e00-\u9fff]{2,8}$"
)
# The page's staff at its foot, with or without section and page: "编辑：孙敏 校对：周强",
# "要闻 第4版 责编：李明".
STAFF_EAR = re.compile(
    r"^[^。，；！？,;!?：:]{0,16}(?:责编|责任编辑|编辑|校对|美编)\s*[：:][^。，；！？,;!?]{1,24}$"
)
# Ears are the first or the last line of the page, or stacked on an ear there.
EAR_ZONE_LINES = 1
# There, a short line holding a number in a form only furniture prints is an ear whatever its
# words: a page number ("04版", "PAGE 4"), a day without its year ("10月25日"), an issue number
# ("总第25508期"), a cover price ("1.50元"), a temperature ("12～20℃"). (A date with its year
# alone may be a signature's: the day counts only without one; and a day run into words,
# "3月18日交易提示", "10月1日起施行", is a headline's: an ear sets its day apart, "10月25日 12版",
# or runs it only into 第/星期/周.) Told by the shape of the
# number, not by a list of ear wordings: papers word their ears in endless ways, and a headline
# set at the top holds more than a few characters besides its number.
FURNITURE_NUMBER = re.compile(
    r"[A-Za-z]?[0-9０-９]{1,3}\s*版|[A-Za-z]{1,4}(?:\.|\s)\s*[0-9０-９]{1,3}(?![0-9０-９])|"
    r"(?<![年\d\s])\s*\d{1,2}\s*月\s*\d{1,2}\s*日(?![^\W\d_](?<![第星周]))|总?第?\s*\d{3,}\s*期"
)
# A price or a temperature is furniture's only with furniture's words around it: a cover price
# ("零售价 2.00元", "每份定价1.50元") or the day's weather ("多云 8～15℃", "成都天气 今天 阴转小雨
# 13～20℃ 北风3级"). A headline at the top says what costs or how warm ("鸡蛋每斤4.50元",
# "今冬最低气温-5℃"): words no ear prints.
FURNITURE_QUANTITY = re.compile(
    r"(?<![\d.])\d{1,2}(?:\.\d{1,2})?\s*元|"
    r"-?\d{1,2}\s*(?:[~～至—－-]\s*-?\d{1,2}\s*)?℃"
)
# What a cover price or a weather line says besides its numbers; a quantity is an ear's only with
# one of its kind's own words (a price word, a sky) and at most MAX_QUANTITY_EAR_REST_CHARS other
# characters (a city: "成都天气").
QUANTITY_EAR_KIND = re.compile(r"零售价|定价|售价|每份|[晴阴云雨雪雾霾风]")
FURNITURE_WORDS = re.compile(
    r"今日|今天|明天|明日|白天|夜间|天气|零售价|定价|售价|每份|每期|本期|"
    r"多云|晴|阴|[小中大暴阵]?雨|雷阵雨|雨夹雪|[小中大]?雪|雾|霾|转|有|"
    r"(?:[东南西北偏]{1,2}|微)风|\d{1,2}(?:\s*[~～—－-]\s*\d{1,2})?\s*级|\s+"
)
MAX_QUANTITY_EAR_REST_CHARS = 2
MAX_NUMBERED_EAR_CHARS = 20
MAX_NUMBERED_EAR_REST_CHARS = 6
# A weather line runs longer than other ears: sky, temperature, wind.
MAX_QUANTITY_EAR_CHARS = 30
# The paper's own name over or under the page ("楚天都市报", "钱江晚报"): a place and the kind of
# paper it is (日报, 晚报, 都市报, …), not any word ending in 报 ("…超额回报"). A masthead's
# publisher line names a press ("浙江日报报业集团主管主办", "…印务中心印刷"; a book "…选编出版"
# names none), and the paper's web address ("数字报 www.wccdaily.com.cn") stands there too, named
# as the paper's own edition: a web address alone is also how a notice or an advert ends
# ("www.internetplus-expo.com"), and the archive keeps it as that article's last line.
# The owner and the publisher may share one line, each naming who ("水利部主管 中国水利报社主办",
# "中共某县委主管主办 某县融媒体中心出版"); the paper's address ("社址：…") and its hotline
# ("新闻热线 0579-84112345") and its advertising licence ("广告经营许可证：…") are the paper's own
# lines.
MASTHEAD_EAR = re.compile(
    r"^[\u4e00-\u9fff]{2,6}(?:[日晚早晨商时周导快新画]|特区|都市|青年|法制|法治|经济|科技|农民|工人)报$|"
    r"^[\u4e00-\u9fff]{2,12}(?:集团|报社|出版社|印务中心|印刷厂|印务公司)"
    r"(?:主管主办|主管|主办|出版|印刷|承印)$|"
    r"^(?:[\u4e00-\u9fff（）]{2,16}(?:主管主办|主管|主办|出版)[ \u3000\xa0]+)+"
    r"[\u4e00-\u9fff（）]{2,16}(?:主管主办|主办|出版|承办|印刷)$|"
    r"^社[ \u3000\xa0]*址[：:]|^广告(?:经营)?许可证[：:号]|"
    r"^(?:新闻|读者|服务|订阅|发行|广告)?热线[：:]?[ \u3000\xa0]*\d[\d -]{6,}"
    r"(?:[ \u3000\xa0]+(?:https?://)?www\.[\w.-]+/?)?$|"
    r"^(?:数字报|电子报|电子版|手机报|网络版)[ \u3000\xa0：:]*(?:https?://)?www\.[\w.-]+/?$"
)
# What a masthead's other short lines hold, and a headline over the first ear hardly does: the
# date, the weekday, the lunar date, the serial, the pages today ("2019年10月28日",
# "星期一 农历九月初二", "总第9871期", "今日24版"). Real titles over a dated ear are no masthead
# ("玉米拍卖你所不知道的事", "洛杉矶时报：应取消遗产税").
MASTHEAD_STACK_LINE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*日|星期[一二三四五六日天]|农历|"
    r"第\s*\d+\s*期|\d+\s*版"
)
# Labels of boxes set inside or after a story: they head a box of the story, never an article.
# A label may stand in lenticular brackets: "【相关新闻】".
BOX_LABEL = re.compile(
    r"^【?(?:(?:相关|新闻|背景|延伸|知识)?链接|(?:相关|新闻|背景|延伸)(?:阅读|资料|新闻)|"
    r"小贴士|小知识|知识窗|名词解释|新闻背景|记者手记|编后|编后语|编者按|短评|背景)】?$"
)
# A column's name over a story's head, set between marks: "【乡村振兴进行时】", "〖法治在线〗",
# "◆聚焦进博会◆", "·深度·". The marks, not the words, tell it.
COLUMN_LABEL = re.compile(
    r"^(?:【[^【】]{2,10}】|〖[^〖〗]{2,10}〗|［[^［］]{2,10}］|\[[^\[\]]{2,10}\]|"
    r"(?P<mark>[·•◆◇■□●○★☆▲△※])[ \u3000]*[\u4e00-\u9fff]{2,10}[ \u3000]*(?P=mark))$"
)
# The page's staff listed on one line, each role before a name, with or without the date before
# them: "2019年10月28日 星期一  责编 王某  美编 李某  校对 赵某", "责编/王某  美编/李某". Two staff
# roles in a row are the page's furniture wherever a PDF tool leaves the line: no headline or
# sentence lists them so.
_STAFF_ROLE = r"(?:责任编辑|责编|美术编辑|美编|校对|版式设计|版式|组版|值班编辑|图片编辑|编辑)"
_STAFF_ENTRY = rf"{_STAFF_ROLE}[ \u3000\xa0]*[/／：:]?[ \u3000\xa0]*[\u4e00-\u9fff·]{{2,4}}"
STAFF_LIST = re.compile(
    rf"^[^。，；！？,;!?]{{0,24}}?{_STAFF_ENTRY}(?:[ \u3000\xa0]+{_STAFF_ENTRY})+$"
)
# The editors' and designer's credit closes a page's section: "版式设计：张丹峰", "责编：王某".
EDITOR_CREDIT = re.compile(
    r"^(?:本版|本期)?(?:责编|编辑|责任编辑|版式(?:设计)?|美编|美术编辑|主编|校对)\s*[：:]"
)
# The page's credits for its pictures, graphics or planning: "本版摄影：李 舸", "本期统筹：杨烁壁".
PAGE_CREDIT = re.compile(r"^(?:本版|本期)[\u4e00-\u9fff]{1,6}[：:]")
# A cut rule left between two stories as a line of its own: "★", "————", "＊＊＊".
RULE_LINE = re.compile(r"^[\s★☆◆◇●○■□▲△※＊*—－_=~～]{1,40}$")
# An advertisement's page or box is listed as one article titled "广告".
ADVERT_LABEL = re.compile(r"^广\s*告$")
# Labels that head a piece of their own, alone: a picture report, a note to readers.
PIECE_LABEL = re.compile(r"^(?:图片报道|图片新闻|致读者|编者的话)$")
# A box's label closing the page with no text under it is this short ("律师说法", "数说").
MAX_FOOT_LABEL_CHARS = 6
TEASER_LABEL = re.compile(r"^(?:今日|本期|要闻)?导\s*读$")
PAGE_REFERENCE = re.compile(r"^[（(]?(?:详见|见|转)?第?\s*[0-9０-９A-Z]{1,3}\s*版[）)]?$|^▶")
# A teaser's pointer at its end: "（详见第8版）", or an arrow to the page: "… >>8版", "… →第8版",
# or the page's code of a lettered section set apart by a space: "… A5", "… B03". A headline may
# end like that code ("…奔赴 G20", "…热爱 F1"): furniture.page_pointer takes it (the group
# ``lettered``) for a pointer only beside another pointer, as a 导读 box's teasers stand.
TRAILING_PAGE_REFERENCE = re.compile(
    r"\s*[（(]?(?:详见|见)第?\s*[0-9０-９]{1,3}\s*版[）)]?$|"
    r"\s*(?:>>|》》|＞＞|→|▶|►)\s*(?:详见|见)?第?\s*[0-9０-９]{1,3}\s*版$|"
    # ... or a circled page number ("… ③"), which a footnote's mark also is: a pointer only
    # beside another pointer, like the lettered code.
    rf"(?P<lettered>[ \u3000\xa0]+(?:[A-H][0-9０-９]{{1,2}}版?|[{CIRCLED_DIGIT}])$)"
)
# A 导读 box may set the page before each teaser: "A2 前三季度居民收入稳步增长", "5版 一线治水人的
# 坚守". A headline may open so too ("A4纸…", "5G …" do not: a code, then a space), so it points
# to a page only beside another such line, as a box's teasers stand.
LEADING_PAGE_REFERENCE = re.compile(
    r"^(?:[A-H][0-9０-９]{1,2}版?|第?[0-9０-９]{1,2}版)[ \u3000\xa0]+(?=\S)"
)
# A 导读 box's label in other words is short and stands over a teaser pointing to its page.
MAX_TEASER_LABEL_CHARS = 6

ROLE = (
    r"(?:本报|新华社|人民日报)?(?:首席|特约|见习|摄影|驻\S{1,6})?记者|特约通讯员|通讯员|实习生|摄影"
)
# A two-character name is set with a space inside to take the width of three: "张  枨", "贺  勇".
NAME = (
    r"(?:[\u4e00-\u9fff·]{2,4}|[\u4e00-\u9fff][ \u3000\xa0]{1,3}[\u4e00-\u9fff](?![\u4e00-\u9fff]))"
)
SPACED_NAME = re.compile(
    r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff])[ \u3000\xa0]{1,3}([\u4e00-\u9fff])(?![\u4e00-\u9fff])"
)
# "■记者 姚潮龙", "本报记者 张三 李四", "记者 周煜程 通讯员 郑剑平 沈镇" standing alone.
# A writer's line under a headline is a byline too: "王某 文", "王某/文", "文/王某", "撰文：王某".
_WRITER = r"(?:[\s\u3000\xa0]+|[\s\u3000\xa0]*[/／][\s\u3000\xa0]*)文"
BYLINE_LINE = re.compile(
    rf"^[■□◎●▲◆]?\s*(?:{ROLE})\s*{NAME}(?:[\s、，,]+(?:(?:{ROLE})\s*)?{NAME})*$|"
    rf"^{NAME}(?:[\s、，,]+{NAME})*{_WRITER}$|"
    rf"^(?:文|撰文|文字)[\s\u3000\xa0]*[/／：:][\s\u3000\xa0]*{NAME}(?:[\s、，,]+{NAME})*$"
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
# A brief's dateline names neither place nor day: "本报电 近日，…" (the items of a column box).
BRIEF_DATELINE = re.compile(r"^本报电(?:[\s\u3000\xa0]|$)")
DATELINE = re.compile(
    DATELINE_SOURCE + r"(?:[\s\u3000\xa0]*[（(][^（）()]{1,80}[）)])?"
    rf"(?:[\s\u3000\xa0]+(?:{ROLE})[\s\u3000\xa0]*{NAME}"
    r"(?:[\s\u3000\xa0、]+[\u4e00-\u9fff·]{2,4})*(?=[\s\u3000\xa0]))*"
    r"[\s\u3000\xa0]*"
)
# A picture caption ends with its credit: "…图为比赛现场。记者 周煜程 通讯员 郑剑平 沈镇".
PHOTO_CREDIT = re.compile(
    rf"(?<=[。！？”）)])\s*(?P<credit>(?:{ROLE})\s*{NAME}"
    rf"(?:[\s、]+(?:(?:{ROLE})\s*)?{NAME})*\s*摄?)$"
)
REPORTER_ROLE = re.compile(
    r"本报讯|(?:本报|新华社|人民日报)?(?:首席|特约|见习|摄影|驻\S{1,6})?记者|特约通讯员|通讯员|实习生|摄影"
)
NOT_A_NAME = re.compile(r"报道|综合|本报|新华|通讯|电$|编辑|供图|整理|撰文|文字")
# Body text cannot start with these when it is a new paragraph: it continues a cut sentence.
CONTINUATION_START = re.compile(
    # A numbered paragraph ("一、应…邀请") starts with a numeral and 、: no continuation.
    r"^(?:[，、。；：！？”’）》%‰,.;:!?)]|[的地得了着们]|(?![一二三四五六七八九十])[^\s，、,；。][、，,；]|"
    r"\d+(?:\.\d+)?(?:%|‰|个百分点))"
)

# No headline ends with a word that needs what follows: a preposition, a conjunction, 的, 昨日.
# Nor with a copula, a modal, an adverb or a conjunction that needs what follows ("人民是",
# "必须", "不断", "因为").
CONTINUATION_END = re.compile(
    r"(?:[的在对把将从向于和与及被让给或而但也]|(?<!求)是|[昨今明前当][日天]|日前|"
    r"必须|应当|应该|能够|可以|正在|已经|不断|更加|通过|按照|根据|围绕|包括|以及|尤其|(?<![没所])有|"
    r"并且|而且|但是|因为|所以|如果|虽然|对于|关于|为了|由于|随着|不仅|仍然|一直|逐步)$"
)

# A paragraph often opens with when it happened: "2019年6月29日，", "近年来，", "如今，".
TIME_OPENING = re.compile(
    r"^(?:\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|近日|日前|近年来|近期|数日前|"
    r"前不久|不久前|如今|今年以来|当前|目前|当天|连日来)[^，。]{0,8}，"
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
    # A file picture's credit, and the page's note on them ("本版照片除署名外均为资料图片").
    r"资料(?:图片?|照片)[）)]?$|"
    # Where a picture came from, before 图片 or 照片, as 资料图片 says it: "网络图片", "现场照片".
    r"^[\u4e00-\u9fff]{2}(?:图片|照片)$|^[（(]?图片由\S{1,16}提供[）)]?$|"
    # Credits for a page's graphics, pictures and planning: "本版制图：汪哲平", "本期统筹：杨烁壁".
    r"^(?:本版|本期)?(?:制图|摄影|统筹|策划|绘图|漫画|设计|采访整理|整理)[：:]|"
    # Who wrote up a page of voices: "本版文字由庄红韬、乔雪峰整理".
    r"^(?:本版|本期)(?:文字|图文)?由[^。，；！？]{2,40}整理$|"
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
# A line in brackets alone closes a piece: "（本报记者 程龙）", "（本报布鲁塞尔10月29日电）".
CLOSING_BRACKETS = r"^[（(][^（）()]{2,60}[）)]$"
CLOSING_CREDIT = re.compile(rf"{CLOSING_BRACKETS}|摄$|{SIGN_OFF}|{LETTER_SIGNATURE}")
# A picture's credit set as its own line under the caption: "杨梅清摄（影像中国）", "新华社发",
# "本报记者  殷新宇摄", "温素威  范江旭摄影报道" (compared with the spaces taken out).
# Picture agencies whose name alone under a picture is its credit.
PICTURE_AGENCIES = (
    r"人民视觉|视觉中国|人民图片|影像中国|光明图片|东方IC|CFP|IC\s?photo|图虫创意|中新社发|新华网发|"
    r"人民网发"
)
# A cartoon's credit for its drawing and its verse, spaces taken out: "曹一图吕岩文".
DRAWING_CREDIT = r"^[\u4e00-\u9fff]{2,4}图[\u4e00-\u9fff]{2,4}文$"
STANDALONE_CREDIT = re.compile(
    rf"^(?:(?:{ROLE})?[\u4e00-\u9fff·]{{2,16}}摄(?:影报道)?|(?:{ROLE})[\u4e00-\u9fff·]{{2,8}}摄影|"
    rf"新华社(?:记者[\u4e00-\u9fff·]{{2,12}})?发|(?:{PICTURE_AGENCIES}))"
    r"(?:[（(][^（）()]{1,12}[）)])?$|"
    # A drawing and its verse: "曹一图吕岩文".
    rf"{DRAWING_CREDIT}|"
    # A credit naming the picture's source after 图: "图/视觉中国", "图：人民网".
    # ... or after 图据: "图据IC photo", "图据CFP".
    r"^图片?(?:[/／：:]|据)[\u4e00-\u9fffA-Za-z·]{2,12}$"
)
# A picture's credit told by its shape rather than by the agency's name: who, a space and what
# they did ("陈静 绘", "新京报 图"); what, a slash and who ("绘/陈静", "图／新京报"); an agency's
# kind of name (…社, …网, …台, …报) with its release ("中新网稿"); a screenshot or a handout
# ("…截图", "…供稿"); where the picture came from ("图片选自…").
SHAPED_CREDIT = re.compile(
    r"^[\u4e00-\u9fffA-Za-z·]{2,10}[ \u3000\xa0]+(?:摄|绘|图|制图|供图|截图|摄影)$|"
    r"^(?:摄|绘|图|摄影|制图|漫画|插画)[/／|｜][ \u3000\xa0]*[\u4e00-\u9fffA-Za-z·]{2,10}$|"
    # ... or the act of two characters, a space and a person's name: "制图 王某", "摄影 李某".
    r"^(?:摄影|制图|绘图|漫画|插画)[ \u3000\xa0]+[\u4e00-\u9fff·]{2,4}$|"
    r"^[\u4e00-\u9fffA-Za-z]{1,8}(?:社|网|台|报)(?:稿|供稿|供图|图|发)$|"
    r"^[\u4e00-\u9fffA-Za-z]{2,10}(?:截图|供稿)$|"
    r"^(?:图片|照片|图)(?:来自|源自|选自|来源于)[\u4e00-\u9fffA-Za-z]{2,10}$|"
    # A QR code's caption asks the reader to scan it: "扫码看视频", "扫描二维码 观看现场视频".
    r"^(?:扫码|扫一扫|扫描二维码|扫描下方二维码|长按二维码|长按识别二维码)[^。，；！？,;!?]{0,14}$"
)
# Service information set as "label：value" is no heading: "栏目投稿邮箱：yxxz8494@163.com",
# "咨询电话：028—6871409", "开馆时间：周三至周日9：00—16：30", "主办单位：…".
SERVICE_LINE = re.compile(
    r"^[\u4e00-\u9fff]{1,10}[：:]\s*\S*(?:@|\d{3,}|\d{1,2}[:：]\d{2})|"
    r"^\S{0,6}(?:主办|承办|协办|联系|咨询|投稿|地址|电话|邮箱|网址|热线)\S{0,4}[：:]"
)
# What a bracket closing a paragraph holds when it credits the text: a reporter, a picture, a
# dateline, a page pointer ("见第二版"), an end mark, the author or editor.
# Column names with 记者 in them ("（…·记者观察）", "（记者手记）") tag a headline, credit no one.
BRACKETED_CREDIT = re.compile(
    r"记者(?!观察|手记|调查|来信|走基层)|摄|电|^见|详见|版$|^完$|编者|作者|新华社|供图"
)
# The title of a document printed in full ends with what kind of document it is: a speech, a
# statement, a notice. Such a title opens an article even without a byline.
DOCUMENT_TITLE = re.compile(
    r"(?:讲话|致辞|声明|公告|通告|公报|意见|决定|决议|通知|名单|条例|办法|规定|贺信|贺电|主席令|"
    r"启事|倡议书|白皮书)$"
)
# A numbered section head ("一、招聘岗位", "（二）面试安排", "第二章 …", "第四十四条") heads a part
# of a document or a feature, never an article of its own.
# So does a document's front or back matter: "前 言", "目 录", "结束语".
NUMBERED_HEAD = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|"
    r"第[一二三四五六七八九十百零〇0-9]{1,4}[章节条][\s\u3000\xa0])|"
    r"^(?:前[\s\u3000\xa0]*言|目[\s\u3000\xa0]*录|结束语|后[\s\u3000\xa0]*记)$"
)
# A programme listing's line opens with its date and time: "11.3 13:00 上海国际舞蹈中心",
# "10.23—10.28 上海大剧院". It lists; it heads nothing.
# Several days of one month are set apart by slashes: "10.21/23/24 上音歌剧院".
LISTING_LINE = re.compile(
    r"^\d{1,2}\.\d{1,2}(?:/\d{1,2})*(?:\s*[—－~～-]\s*\d{1,2}(?:\.\d{1,2})?)?"
    r"(?:[\s\u3000\xa0]+\d{1,2}[:：]\d{2})?[\s\u3000\xa0]+\S"
)
# A caption ("图③：1日，游客在…", "图为…") is text about a picture, never a heading.
CAPTION_START = re.compile(r"^(?:图[①-⑳0-9０-９]+[：:]|图为|[上下左右]图[：:为])")
# Labels inside the text that look like headings but head no article: a table's caption ("表1
# 中国中小城市的构成", "表 2：…"), a timeline's entry by its year or days alone ("2016年",
# "11.1—11.7").
TEXT_LABEL = re.compile(
    r"^表\s*[0-9０-９]{1,2}(?:[：:]|\s)|"
    r"^(?:\d{4}\s*年(?:\s*\d{1,2}\s*月)?|\d{1,2}\.\d{1,2}\s*[—－~～-]\s*\d{1,2}\.\d{1,2})$"
)
# A picture story: a short title, a caption of a few blocks, the credit line.
MAX_CAPTION_BLOCKS = 5
MAX_CAPTION_CHARS = 400
# ... and its title one phrase or two short ones: "秋收，出发", "小面条，大生活".
MAX_PHOTO_PHRASE_CHARS = 6
# Section heads of one long feature come in a series of the same shape ("观念之变", "方式之变",
# "机制之变"; "把握新方位——", "打造新优势——"): short, and repeated at least this often.
MAX_SECTION_HEAD_CHARS = 10
# The sections of one package are headed in one marked form each time: a place or label kicker
# ending with —— ("河南兰考——", "香港同胞——") or a label ("地点：云南普洱"), over the section's
# title and byline. The same mark at least MIN_SECTION_SERIES times after body text makes them
# sections of the package being read, not articles.
PACKAGE_LABEL = re.compile(r"^([\u4e00-\u9fff]{1,4})[：:]\S")
# A forum's voices: a title over its author's country and name, "（法国）让—弗朗索瓦·唐泽尔", or
# role and name set apart by a wide space, "河北滦平县委书记  赵振清".
# ... or a name with the voice's role in brackets: "李心草（乐队指挥）", "王某（歌唱演员）".
FORUM_AUTHOR = re.compile(
    r"^[（(][\u4e00-\u9fff]{1,8}[）)][\u4e00-\u9fff·—－]{2,24}$|"
    r"^[\u4e00-\u9fff·]{2,5}[（(][\u4e00-\u9fff、]{0,12}"
    r"(?:[家员者师长手]|指挥|撰稿|导演|编剧|书记|主任|主席|院士|代表|经理|总裁|教练|选手)[）)]$|"
    r"^[\u4e00-\u9fff]{3,20}[ \u3000\xa0]{2,}[\u4e00-\u9fff](?:[ \u3000\xa0]*[\u4e00-\u9fff]){1,3}$"
)
MAX_PACKAGE_KICKER_CHARS = 12
# Parallel section heads open with a short lead and a comma: "得天时，一步“先手棋”落子正当时".
PARALLEL_LEAD = re.compile(r"^([\u4e00-\u9fff]{2,4})[，,]")
MIN_SECTION_SERIES = 2
# Characters either side of a block boundary that are segmented to see whether it cuts a word.
WORD_WINDOW_CHARS = 3
# Body columns run this many characters a line; a page shows its width when at least
# MIN_COLUMN_EVIDENCE unfinished blocks hold whole lines of it.
MIN_COLUMN_CHARS = 9
MAX_COLUMN_CHARS = 20
MIN_COLUMN_EVIDENCE = 4
# ... and at least this share of the unfinished blocks (headlines, cut pieces) do.
MIN_COLUMN_SHARE = 0.6
# Failing that, blocks certainly cut (on a comma, inside a word) show it: at least
# MIN_CUT_EVIDENCE and MIN_CUT_SHARE of them fit one width, MIN_CUT_LEAD times as many as fit
# any other.
MIN_CUT_EVIDENCE = 3
MIN_CUT_SHARE = 0.5
MIN_CUT_LEAD = 2
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
