"""The page parser under layouts it was not tuned on: several generator settings, some held out.

Run by hand: /tmp/venv/bin/python tests/quality/page_parser_layouts.py [--pages N]

`page_parser_eval.py` measures one simulator (pdf-broken: 11-16 characters a line, one ear form,
one countdown box). Here the same 人民日报 pages are set by *several* settings of a second
simulator that varies what a PDF page carries around the articles:

* column width 9-20 characters a line (column breaks fall at line ends by Chinese line breaking);
* page ears at the top and/or the bottom in several forms ("2019年10月28日 星期一 第16版",
  "4 2019年10月25日 星期五", "第4版", "人民日报 … 第4版", "要闻 4");
* picture-agency credits on a line of their own after a paragraph ("人民视觉", "新华社发", …);
* boxes (a 相关链接 label), 导读 teasers pointing to other pages, countdown boxes, jump lines
  ("（下转第5版）") after a story's last paragraph on the page.

The split was decided before any tuning and is not changed afterwards:

* **tuning**: settings in TUNING on the even-numbered pages (0, 2, 4, … of the month in order);
* **held out**: settings in HELD_OUT on the odd-numbered pages. Held-out settings use ear forms,
  credits, countdown texts and column widths (9-10 and 19-20 alone, mixed per page) that no
  tuning setting uses.

One held-out ear form ("要闻 4") was seen in held-out errors after the second tuning round, so a
third group was added and **sealed before the ear rule of the third round was written**
(2026-12-06): SEALED, on the odd-numbered pages (the only pages never tuned on; every page is
in one split already) with another seed (SEALED_SEED), so the page texts differ from held-out's.
Its settings use parameters no other setting uses: one width all page long at 12 or 17, a width
per paragraph mixed 12/17 on one page, ears "第02版：要闻", "经济新闻 5", "5 要闻", an ear with the
paper's English name and an English date, an editor line at the foot, other credits, box labels,
countdown and jump-line forms. It was reported in round three and is no longer blind; since round
four `--classes` counts it too, and a fresh group (FRESH, below) was sealed instead. FRESH was
reported in round four; round five seals NOVEL (below, `--groups novel`, never by `--classes`),
which also sets a cut rule (★, a row of dashes) between stories. NOVEL was reported in round
five; round six seals SIXTH (`--groups sixth`, never by `--classes`). SIXTH was reported in round
six; round seven seals SEVENTH (`--groups seventh`, never by `--classes`), which varies furniture
wordings most, leaves an ear after the first story and sets column names over stories' heads.

Figures are those of page_parser_eval (headline precision/recall, paragraphs exact); teasers are not
articles of the page and are left out of the headline figures. `--classes` also counts lines of
each failure class of issue 14 that were read as a headline.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.quality.page_parser_eval import (  # noqa: E402
    CORPUS,
    PARAGRAPH_END,
    CorpusPage,
    PageParseError,
    Score,
    _headline_key,
    _split_point,
    load_pages,
    parse_page,
    score_page,
)

DUPLICATE_SHARE = 1 / 20


@dataclass(frozen=True)
class Setting:
    """One way of setting a page: widths, furniture and how often each piece appears."""

    widths: tuple[int, int]
    ears_top: tuple[str, ...] = ()
    ears_bottom: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    credit_share: float = 0.0
    countdowns: tuple[str, ...] = ()
    teasers: bool = False
    jump_share: float = 0.0
    box_labels: tuple[str, ...] = ()
    split_share: float = 1 / 3
    jump_form: str = "（下转第{n}版）"
    # Each paragraph gets one of these widths (columns of two widths on one page); else one width
    # from `widths` for the whole page.
    paragraph_widths: tuple[int, ...] = ()
    # A cut rule ("★", "————") left as a line of its own between two stories.
    story_rule: str = ""
    # Ears a PDF-to-text tool leaves after the page's first story, not at the top or bottom.
    ears_middle: tuple[str, ...] = ()
    # A column's name on a line of its own over a story's head ("【民生观察】"), that often.
    column_labels: tuple[str, ...] = ()
    column_share: float = 0.0
    # The 导读 box in other words: its label, then pointers ({n}: the page pointed to).
    teaser_lines: tuple[str, ...] = ()


TUNING: dict[str, Setting] = {
    "narrow-top-ears": Setting(
        widths=(11, 13),
        ears_top=("{y}年{m}月{d}日 星期{w} 第{p}版",),
        credits=("新华社发", "人民视觉"),
        credit_share=0.15,
        jump_share=0.3,
    ),
    "wide-bottom-ears": Setting(
        widths=(16, 18),
        ears_bottom=("{p} {y}年{m}月{d}日 星期{w}",),
        teasers=True,
        countdowns=("杭州第19届亚运会\nThe 19th Asian Games\n倒计时 54 天",),
    ),
    "mid-both-ears": Setting(
        widths=(13, 15),
        ears_top=("第{p}版",),
        ears_bottom=("第{p}版",),
        credits=("本报记者 张三摄",),
        credit_share=0.1,
        box_labels=("相关链接",),
        split_share=0.5,
    ),
}
HELD_OUT: dict[str, Setting] = {
    "held-narrowest": Setting(
        widths=(9, 10),
        ears_top=("人民日报 {y}年{m}月{d}日 星期{w} 第{p}版",),
        credits=("人民图片", "新华社记者 王鹏摄"),
        credit_share=0.15,
        jump_share=0.3,
    ),
    "held-widest": Setting(
        widths=(19, 20),
        ears_top=("要闻 {p}",),
        ears_bottom=("{y}年{m}月{d}日 星期{w} 第{p}版",),
        teasers=True,
        countdowns=("距北京冬奥会开幕还有 100 天",),
        box_labels=("延伸阅读",),
    ),
    "held-mixed": Setting(
        widths=(9, 20),
        ears_top=("{p} {y}年{m}月{d}日 星期{w}",),
        ears_bottom=("第{p}版",),
        credits=("新华社发", "视觉中国", "本报记者 李四摄"),
        credit_share=0.15,
        teasers=True,
        jump_share=0.3,
        countdowns=("2022年北京冬奥会\nBeijing 2022\n倒计时 100 天",),
        split_share=0.5,
    ),
}
SEALED: dict[str, Setting] = {
    "sealed-12-section-ears": Setting(
        widths=(12, 12),
        ears_top=("第{pp}版：要闻",),
        ears_bottom=("责任编辑：王晓 版式设计：李丽",),
        credits=("资料图片", "中新社记者 赵六摄"),
        credit_share=0.12,
        jump_share=0.25,
        jump_form="（转第{n}版）",
        box_labels=("背景资料",),
        split_share=0.4,
    ),
    "sealed-17-english-ears": Setting(
        widths=(17, 17),
        ears_top=("人民日报 PEOPLE'S DAILY", "{W}, {M} {d}, {y}"),
        ears_bottom=("经济新闻 {p}",),
        credits=("CFP供图", "本报记者 王五摄"),
        credit_share=0.12,
        teasers=True,
        countdowns=("距第十四届全国运动会开幕还有 300 天",),
    ),
    "sealed-mixed-12-17": Setting(
        widths=(12, 17),
        paragraph_widths=(12, 17),
        ears_top=("{p} 要闻",),
        ears_bottom=("{y}.{mm}.{dd} 星期{w}",),
        credits=("东方IC", "新华社记者 孙七摄"),
        credit_share=0.15,
        teasers=True,
        jump_share=0.3,
        jump_form="（下转第{n}版）",
        box_labels=("记者手记",),
        countdowns=("2020年东京奥运会\nTokyo 2020\n倒计时 270 天",),
        split_share=0.5,
    ),
}
SEALED_SEED = 20261206
# Round four (issue 14, 2026-12-06): SEALED above was reported last round and is no longer blind,
# so a fresh group was sealed before any change of that round, written down here and committed
# before the parser was touched. Its pages are the odd-numbered ones under another seed
# (FRESH_SEED); its settings combine options no other group uses together (widths 14 all page,
# 10/19 mixed per paragraph, 15-16; ears with a date in figures and no weekday, a section with a
# middle dot, a "人民日报 第N版" foot; jump lines without 第; credits 视觉中国供图, IC photo,
# 图片由受访者提供; box labels 相关阅读, 小贴士; a 军运会 countdown). Its figures are printed by
# `--groups fresh` only, were taken once before and once after the round, and its pages and
# errors are not looked at.
FRESH: dict[str, Setting] = {
    "fresh-14-figure-date-ears": Setting(
        widths=(14, 14),
        ears_top=("{y}-{mm}-{dd} 要闻",),
        ears_bottom=("人民日报 第{p}版",),
        credits=("视觉中国供图", "本报记者 周八摄"),
        credit_share=0.1,
        jump_share=0.2,
        jump_form="（下转{n}版）",
        box_labels=("相关阅读",),
        split_share=0.4,
    ),
    "fresh-mixed-10-19": Setting(
        widths=(10, 19),
        paragraph_widths=(10, 19),
        ears_top=("要闻·{p}",),
        ears_bottom=("第{p}版 {y}年{m}月{d}日",),
        credits=("IC photo", "新华社记者 钱九摄"),
        credit_share=0.12,
        teasers=True,
        jump_share=0.25,
        jump_form="（转{n}版）",
        countdowns=("第七届世界军人运动会\n7th CISM Military World Games\n倒计时 3 天",),
        split_share=0.45,
    ),
    "fresh-15-16-editor-foot": Setting(
        widths=(15, 16),
        ears_top=("{m}月{d}日 星期{w} 第{p}版",),
        ears_bottom=("本版责编：赵明 王芳",),
        credits=("图片由受访者提供", "本报记者 吴十摄"),
        credit_share=0.1,
        box_labels=("小贴士",),
        split_share=0.35,
    ),
}
FRESH_SEED = 20261207
# Round five (issue 14, 2026-12-06): FRESH was reported in round four, so NOVEL is sealed before
# any change of round five, committed on its own with its figure before the parser is touched.
# Odd-numbered pages, another seed (NOVEL_SEED). Its settings use forms no other group prints:
# ears with the date in Chinese numerals ("二〇一九年十月二十五日 星期五"), a weekday as 周五, a
# page number between dashes ("—4—"), paper｜section｜page, a page number in Chinese numerals
# beside the section ("第四版 要闻"), an editor foot with 主编 / 美术编辑; credits "图/视觉中国",
# "图：人民网", "影像中国", "…摄影", "通讯员 … 摄"; box labels 知识链接 and 【相关新闻】; a
# countdown "距开幕 10 天" under an English line; the jump line "（下接第N版）"; a cut rule (★, a
# row of dashes) between stories; widths 11 all page, 13/18 and 9/15/20 mixed per paragraph.
# Scored by `--groups novel` only, never by `--classes`; round five scored it four times (before,
# after its furniture change, twice after; docs/quality.md).
NOVEL: dict[str, Setting] = {
    "novel-11-chinese-date-ears": Setting(
        widths=(11, 11),
        ears_top=("{cy}年{cm}月{cd}日 星期{w}",),
        ears_bottom=("—{p}—",),
        credits=("图/视觉中国", "新华社记者 陈晨 摄"),
        credit_share=0.12,
        jump_share=0.25,
        jump_form="（下接第{n}版）",
        box_labels=("知识链接",),
        split_share=0.4,
        story_rule="★",
    ),
    "novel-mixed-13-18": Setting(
        widths=(13, 18),
        paragraph_widths=(13, 18),
        ears_top=("人民日报｜要闻｜{p}",),
        ears_bottom=("本版主编：刘洋 美术编辑：王伟",),
        credits=("图：人民网", "本报记者 郑磊摄影"),
        credit_share=0.12,
        teasers=True,
        countdowns=(
            "第二届中国国际进口博览会\nThe 2nd China International Import Expo\n距开幕 10 天",
        ),
        box_labels=("【相关新闻】",),
        split_share=0.45,
        story_rule="————————",
    ),
    "novel-mixed-9-15-20": Setting(
        widths=(9, 20),
        paragraph_widths=(9, 15, 20),
        ears_top=("{m}月{d}日 周{w}",),
        ears_bottom=("第{cp}版 要闻",),
        credits=("影像中国", "通讯员 何伟 摄"),
        credit_share=0.15,
        jump_share=0.3,
        jump_form="（下接第{n}版）",
        box_labels=("知识链接", "【相关新闻】"),
        split_share=0.5,
    ),
}
NOVEL_SEED = 20261208
# Round six (issue 14, 2026-12-06): NOVEL was reported in round five, so SIXTH is sealed before
# any change of round six, committed on its own with its figure before the parser is touched.
# Odd-numbered pages, another seed (SIXTH_SEED). Forms no other group prints: the paper's name in
# pinyin ("人民日报 RENMIN RIBAO") over a weekday set before its date ("星期五 2019年10月25日");
# a letter-prefixed page with a middle dot ("A04·要闻"); a date with the lunar year
# ("2019年10月25日 农历己亥年"); a foot with section, page and editor on one line
# ("要闻 第4版 责编：李明") or editor and proofreader ("编辑：孙敏 校对：周强"); jump lines with
# the page in Chinese numerals ("（下转第五版）") or in full-width figures ("（下转第５版）");
# credits 光明图片, "图片来源：新华社", 本报资料照片, "中新社发 张强 摄", "本报通讯员 林海摄",
# "人民网记者 翁奇羽摄"; box labels 名词解释, 新闻背景, 知识窗; countdowns "离开幕还有 200 天",
# "还有 500 天"; widths 16 all page, 11/16 and 10/14/17 mixed per paragraph. Scored by
# `--groups sixth` only, never by `--classes`.
SIXTH: dict[str, Setting] = {
    "sixth-16-pinyin-ears": Setting(
        widths=(16, 16),
        ears_top=("人民日报 RENMIN RIBAO", "星期{w} {y}年{m}月{d}日"),
        credits=("光明图片", "本报通讯员 林海摄"),
        credit_share=0.12,
        jump_share=0.25,
        jump_form="（下转第{cn}版）",
        box_labels=("名词解释",),
        split_share=0.4,
    ),
    "sixth-mixed-11-16": Setting(
        widths=(11, 16),
        paragraph_widths=(11, 16),
        ears_top=("A{pp}·要闻",),
        ears_bottom=("编辑：孙敏 校对：周强",),
        credits=("图片来源：新华社", "中新社发 张强 摄"),
        credit_share=0.12,
        teasers=True,
        jump_share=0.2,
        jump_form="（下转第{fn}版）",
        countdowns=("第十一届中国花卉博览会\n离开幕还有 200 天",),
        box_labels=("新闻背景",),
        split_share=0.45,
    ),
    "sixth-mixed-10-14-17": Setting(
        widths=(10, 17),
        paragraph_widths=(10, 14, 17),
        ears_top=("{y}年{m}月{d}日 农历己亥年",),
        ears_bottom=("要闻 第{p}版 责编：李明",),
        credits=("本报资料照片", "人民网记者 翁奇羽摄"),
        credit_share=0.15,
        jump_share=0.3,
        jump_form="（下转第{cn}版）",
        countdowns=("北京2022年冬残奥会\n还有 500 天",),
        box_labels=("知识窗",),
        split_share=0.5,
    ),
}
SIXTH_SEED = 20261209
# Round seven (issue 14, 2026-12-06): SIXTH was reported in round six, so SEVENTH is sealed
# before any change of round seven, committed on its own with its figure before the parser is
# touched. Odd-numbered pages, another seed (SEVENTH_SEED). It varies furniture *wordings* most,
# in forms no other group prints: a serial-number ear ("总第25532期"), a date without year over a
# page number ("10月25日 第4版"), "PAGE 4 要闻", "04版 要闻" repeated at top and bottom, a
# weather line, a lunar date without 农历 ("己亥年九月廿七") left *after the first story* (an
# ear in the middle of the text, as a side ear comes out of some PDF tools), a price and a
# printer line at the foot; credits 央视新闻截图, "赵明 绘", "摄/王磊", "澎湃新闻 图", 新华社稿,
# 图片来自网络; jump lines "▶下转第N版", "（本文转第N版）", "（未完 转第N版）"; column names over a
# story's head ("【民生观察】", "·深度调查·"); a 导读 box worded "本期看点" with "… >>N版"
# pointers; box labels 划重点, 数读, 专家点评, 温馨提示; countdowns "倒计时：10天" and "开幕倒数
# 10 天"; widths 20 all page, 9/12/19 and 15/17 mixed per paragraph. Scored by
# `--groups seventh` only, never by `--classes`.
SEVENTH: dict[str, Setting] = {
    "seventh-20-serial-ears": Setting(
        widths=(20, 20),
        ears_top=("总第{s}期", "{m}月{d}日 第{p}版"),
        ears_bottom=("每份定价1.50元",),
        credits=("央视新闻截图", "赵明 绘"),
        credit_share=0.12,
        jump_share=0.25,
        jump_form="▶下转第{n}版",
        box_labels=("划重点",),
        column_labels=("【民生观察】", "【今日关注】"),
        column_share=0.2,
        split_share=0.4,
    ),
    "seventh-mixed-9-12-19-middle-ears": Setting(
        widths=(9, 19),
        paragraph_widths=(9, 12, 19),
        ears_top=("PAGE {p} 要闻",),
        ears_middle=("己亥年{ld}",),
        ears_bottom=("人民日报印务中心印刷",),
        credits=("摄/王磊", "澎湃新闻 图"),
        credit_share=0.15,
        teasers=True,
        teaser_lines=("本期看点", "金秋时节农事忙 >>{n}版"),
        jump_share=0.3,
        jump_form="（本文转第{n}版）",
        countdowns=("中国国际进口博览会\n倒计时：10天",),
        box_labels=("数读", "专家点评"),
        split_share=0.5,
    ),
    "seventh-mixed-15-17-repeated-ears": Setting(
        widths=(15, 17),
        paragraph_widths=(15, 17),
        ears_top=("{pp}版 要闻", "今日天气 晴 12～20℃"),
        ears_bottom=("{pp}版 要闻",),
        credits=("新华社稿", "图片来自网络"),
        credit_share=0.12,
        column_labels=("·深度调查·",),
        column_share=0.15,
        jump_share=0.2,
        jump_form="（未完 转第{n}版）",
        countdowns=("首届中国国际进口博览会\n开幕倒数 10 天",),
        box_labels=("温馨提示",),
        split_share=0.45,
    ),
}
SEVENTH_SEED = 20261210
# The paper's serial number on 2019-10-01, and the lunar month and day of 2019-10-01 (九月初三)
# and 2019-10-28 (十月初一), for the ears of SEVENTH.
SERIAL_OF_OCTOBER_FIRST = 25508
LUNAR_TENTH_MONTH_STARTS = 28
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
CHINESE_DIGITS = "〇一二三四五六七八九"
WEEKDAYS = "一二三四五六日"
ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ENGLISH_MONTHS = (
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)


def _ear(form: str, page: CorpusPage) -> str:
    day = page.edition
    return form.format(
        y=day.year,
        m=day.month,
        d=day.day,
        mm=f"{day.month:02d}",
        dd=f"{day.day:02d}",
        w=WEEKDAYS[day.weekday()],
        W=ENGLISH_WEEKDAYS[day.weekday()],
        M=ENGLISH_MONTHS[day.month - 1],
        p=page.page,
        pp=f"{page.page:02d}",
        cy="".join(CHINESE_DIGITS[int(digit)] for digit in str(day.year)),
        cm=_chinese_number(day.month),
        cd=_chinese_number(day.day),
        cp=_chinese_number(page.page),
        s=SERIAL_OF_OCTOBER_FIRST + day.toordinal() - day.replace(month=10, day=1).toordinal(),
        ld=_lunar_day_of_october_2019(day.day),
    )


def _lunar_day_of_october_2019(day: int) -> str:
    """The lunar month and day of a day of October 2019 ("九月廿七"), as an ear prints it."""
    if day >= LUNAR_TENTH_MONTH_STARTS:
        month, lunar = "十月", day - LUNAR_TENTH_MONTH_STARTS + 1
    else:
        month, lunar = "九月", day + 2
    if lunar <= 10:
        return month + "初" + _chinese_number(lunar)
    if 20 < lunar < 30:
        return month + "廿" + CHINESE_DIGITS[lunar - 20]
    return month + _chinese_number(lunar)


def _chinese_number(value: int) -> str:
    """1-99 in Chinese numerals as dates and page numbers write them: 十, 十六, 二十五."""
    tens, units = divmod(value, 10)
    lead = "" if tens == 0 else ("十" if tens == 1 else CHINESE_DIGITS[tens] + "十")
    return lead + (CHINESE_DIGITS[units] if units else "") if value else CHINESE_DIGITS[0]


def set_page(page: CorpusPage, setting: Setting, rng: random.Random) -> str:
    """The page's text as a PDF-to-text tool would leave it under one setting."""
    blocks: list[str] = [_ear(form, page) for form in setting.ears_top]
    if setting.teasers and rng.random() < 0.5:
        blocks += [form.format(n=page.page + 4) for form in setting.teaser_lines] or [
            "导读",
            f"金秋时节农事忙（详见第{page.page + 4}版）",
            f"第{page.page + 5}版",
        ]
    middle_ears = [_ear(form, page) for form in setting.ears_middle]
    line_chars = rng.randint(*setting.widths)
    raw_lines = [raw for raw in page.text.split("\n") if raw.strip()]
    for position, raw in enumerate(raw_lines):
        line = raw.strip()
        is_body = raw[:1] in ("\u3000", " ", "\xa0")
        is_paragraph = is_body and line[-1] in PARAGRAPH_END
        split = None
        if is_paragraph and rng.random() < setting.split_share:
            if setting.paragraph_widths:
                line_chars = rng.choice(setting.paragraph_widths)
            split = _split_point(line, rng, line_chars)
        blocks.extend([line[:split], line[split:]] if split is not None else [line])
        if is_body and line[-1] in "。！？" and rng.random() < DUPLICATE_SHARE:
            blocks.append(line[-rng.randint(2, 6) :])
        following = raw_lines[position + 1] if position + 1 < len(raw_lines) else ""
        story_ends = is_paragraph and following[:1] not in ("\u3000", " ", "\xa0")
        if story_ends and rng.random() < setting.jump_share:
            jump_page = rng.randint(2, 20)
            blocks.append(
                setting.jump_form.format(
                    n=jump_page,
                    cn=_chinese_number(jump_page),
                    fn=str(jump_page).translate(FULL_WIDTH_DIGITS),
                )
            )
        elif is_paragraph and setting.credits and rng.random() < setting.credit_share:
            blocks.append(rng.choice(setting.credits))
        if setting.story_rule and story_ends and following:
            blocks.append(setting.story_rule)
        if story_ends and following:
            blocks += middle_ears
            middle_ears = []
        labelled = setting.column_labels and story_ends and following
        if labelled and rng.random() < setting.column_share:
            blocks.append(rng.choice(setting.column_labels))
    if setting.box_labels and rng.random() < 0.5:
        blocks.append(rng.choice(setting.box_labels))
    blocks.extend(setting.countdowns[:1] if setting.countdowns else [])
    blocks += [_ear(form, page) for form in setting.ears_bottom]
    return "\n\n".join(blocks) + "\n"


def evaluate_settings(
    pages: list[CorpusPage], settings: dict[str, Setting], seed: int = 20191001
) -> tuple[dict[str, Score], float]:
    """Scores per setting, and the mean parse time per page in seconds."""
    rng = random.Random(seed)
    texts = [
        (name, page, set_page(page, setting, rng))
        for name, setting in settings.items()
        for page in pages
    ]
    return score_texts(settings, texts)


def score_texts(
    names: Iterable[str], texts: list[tuple[str, CorpusPage, str]]
) -> tuple[dict[str, Score], float]:
    """Scores per setting of these (setting, page, text) parses, and the mean parse time per
    page in seconds: the one scoring loop of every group (here and the sealed groups' modules)."""
    scores = {name: Score() for name in names}
    started = time.perf_counter()
    for name, page, text in texts:
        score_page(page, text, scores[name])
    elapsed = time.perf_counter() - started
    return scores, elapsed / max(1, len(texts))


def pages_per_edition(pages: list[CorpusPage]) -> dict[date, int]:
    """How many corpus pages each day's edition has ("今日20版")."""
    counts: dict[date, int] = defaultdict(int)
    for page in pages:
        counts[page.edition] = max(counts[page.edition], page.page)
    return counts


def total(scores: dict[str, Score]) -> Score:
    summed = Score()
    for score in scores.values():
        for name in vars(summed):
            setattr(summed, name, getattr(summed, name) + getattr(score, name))
    return summed


def tuning_pages(pages: list[CorpusPage]) -> list[CorpusPage]:
    return pages[0::2]


def held_out_pages(pages: list[CorpusPage]) -> list[CorpusPage]:
    return pages[1::2]


def _row(name: str, score: Score) -> str:
    return (
        f"| {name} | {score.pages} | {score.refused} | {score.title_precision:.1%} | "
        f"{score.title_recall:.1%} | {score.paragraphs_exact:.1%} |"
    )


# Failure classes of issue 14, told by the text of a wrong or missed headline.
_EAR = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|^第\s*\d{1,3}\s*版$|^要闻 \d+$")
_CREDIT = re.compile(r"人民视觉|视觉中国|人民图片|新华社发|摄$")
_PARALLEL = re.compile(r"^[\u4e00-\u9fff]{2,4}[，,]")
_BOX = re.compile(r"链接$|^延伸阅读$")


def failure_classes(
    pages: list[CorpusPage], settings: dict[str, Setting], seed: int = 20191001
) -> Counter[str]:
    """Wrong headlines by class (ear, credit, parallel head, box label, other) and missed ones."""
    rng = random.Random(seed)
    return count_failures(
        (page, set_page(page, setting, rng)) for setting in settings.values() for page in pages
    )


def count_failures(texts: Iterable[tuple[CorpusPage, str]]) -> Counter[str]:
    """Wrong headlines of the parses of these page texts by class, and missed headlines."""
    counts: Counter[str] = Counter()
    for page, text in texts:
        expected = Counter(_headline_key(a.title) for a in page.articles if a.title)
        try:
            articles = parse_page(text, page.edition).articles
        except PageParseError:
            counts["page refused"] += 1
            continue
        parsed = Counter(
            _headline_key(a.kicker or a.title) for a in articles if a.title and a.kind != "teaser"
        )
        paragraphs = [line for article in page.articles for line in article.paragraphs]
        for title, count in (parsed - expected).items():
            counts[_failure_class(title, paragraphs)] += count
        counts["missed headline"] += sum((expected - parsed).values())
    return counts


def _failure_class(title: str, paragraphs: list[str]) -> str:
    """The class of a wrong headline: furniture by its form; else, by the archive's text of the
    page, the first piece of a paragraph a column cut, or a line the archive keeps inside an
    article (a subhead, a package piece's or a brief's title: its articles hold such lines as
    paragraphs); else other (a kicker or subtitle standing alone, a deck, a line of no article)."""
    for name, pattern in (
        ("page ear read as headline", _EAR),
        ("credit read as headline", _CREDIT),
        ("box label read as headline", _BOX),
        ("parallel section head read as headline", _PARALLEL),
    ):
        if pattern.search(title):
            return name
    squeezed = re.sub(r"\s+", "", title)
    lines = {re.sub(r"\s+", "", _headline_key(paragraph)) for paragraph in paragraphs}
    if squeezed in lines:
        return "line inside an article read as headline (subhead, package piece, brief)"
    if any(line.startswith(squeezed) for line in lines):
        return "cut first piece of a paragraph read as headline"
    return "other wrong headline (kicker or subtitle alone, deck, …)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=0, help="use only the first N pages")
    parser.add_argument("--classes", action="store_true", help="count failures per class")
    parser.add_argument(
        "--groups",
        default="tuning,held,sealed",
        help="comma-separated groups to score: tuning, held, sealed, fresh, novel, sixth, seventh "
        "(seventh: the sealed group of round seven; score it only for the figures before and after "
        "the round)",
    )
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 0
    pages = load_pages()
    if args.pages:
        pages = pages[: args.pages]
    groups = set(args.groups.split(","))
    print("| setting | pages | refused | headline precision | headline recall | paragraphs exact |")
    print("|---|---|---|---|---|---|")
    timings = []
    for group, split, settings, chosen, seed in (
        ("tuning", "tuning", TUNING, tuning_pages(pages), 20191001),
        ("held", "held out", HELD_OUT, held_out_pages(pages), 20191001),
        ("sealed", "sealed", SEALED, held_out_pages(pages), SEALED_SEED),
        ("fresh", "fresh sealed", FRESH, held_out_pages(pages), FRESH_SEED),
        ("novel", "novel sealed", NOVEL, held_out_pages(pages), NOVEL_SEED),
        ("sixth", "sixth sealed", SIXTH, held_out_pages(pages), SIXTH_SEED),
        ("seventh", "seventh sealed", SEVENTH, held_out_pages(pages), SEVENTH_SEED),
    ):
        if group not in groups:
            continue
        scores, per_page = evaluate_settings(chosen, settings, seed=seed)
        timings.append(per_page)
        for name, score in scores.items():
            print(_row(f"{split}: {name}", score))
        print(_row(f"**{split}: all**", total(scores)))
    if timings:
        print(f"\nmean parse time per page: {1000 * sum(timings) / len(timings):.1f} ms")
    if args.classes:
        # Never the novel, sixth or seventh sealed groups: their errors are not looked at.
        for group, split, settings, chosen, seed in (
            ("tuning", "tuning", TUNING, tuning_pages(pages), 20191001),
            ("held", "held out", HELD_OUT, held_out_pages(pages), 20191001),
            ("sealed", "sealed (round three; seen)", SEALED, held_out_pages(pages), SEALED_SEED),
        ):
            if group not in groups:
                continue
            print(f"\n{split}:")
            for name, count in sorted(failure_classes(chosen, settings, seed).items()):
                print(f"- {name}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
