"""EIGHTH: a sealed group of page_parser_layouts written independently of the parser's author.

Run by hand: PYTHONPATH=$PWD /tmp/venv/bin/python tests/quality/page_parser_eighth.py [--pages N]
[--classes]

Until round seven the engineer who sealed a group then wrote the parser rules, so a group's blind
figures were not blind to that engineer's knowledge of its furniture wordings. This group was
written by another engineer, who read only the generator (page_parser_layouts: Setting, set_page)
and the scoring (page_parser_eval), not the parser's rules nor their diffs (only main's one-line
commit subjects); its wordings live only in this module and were fixed before its first score.

Each setting is one kind of regional paper's PDF export (a provincial evening tabloid, a
metropolitan daily, an evening paper whose ear a PDF tool leaves after the first story, a city
daily with a countdown on its front page): the running ear of an inner page (page code of an
A/B section, the page's section, the editor, layout and proofreading names, a date in that paper's
form), the front page's masthead furniture (issue serial, pages today, lunar date, the day's
weather, hotline, digital-edition address, serial numbers of the publication), photo credits of
regional papers and picture agencies, QR-code captions after a paragraph, jump lines, box labels,
column names and a front-page 导读 box. Ear furniture is resolved per page (a page keeps its
editor, a day its weather), then the page is set by page_parser_layouts.set_page; no other group's
pages change (page_parser_layouts is not touched). Odd-numbered pages (held_out_pages), seed
EIGHTH_SEED. Until round seven's review it was sealed: never in `--classes`, its errors not looked
at. **Since round eight it is a tuning group**: its errors were listed and the round's rules were
written from them (docs/quality.md, "Eighth round"), so its figures after that round are tuned-on
figures, not blind ones; a new sealed group (NINTH) took its place.

Figures (headline precision / recall / paragraphs exact, %, all four settings, 244 pages each;
`PYTHONPATH=$PWD /tmp/venv/bin/python tests/quality/page_parser_eighth.py`):

* parser at a8af226 (before round seven; generator of 93a0853): 76.1 / 85.5 / 92.9 (score 1);
* parser at 93a0853 (main while round seven went on): 78.1 / 87.4 / 92.9 (score 2);
* parser at 4776209 (main after round seven's last landing): 78.2 / 87.4 / 92.9 (score 3 by this
  module's author; round seven's review scored it three times more, docs/quality.md);
* round eight, tuned on it from here: see docs/quality.md.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.quality.page_parser_eval import CORPUS, CorpusPage, Score, load_pages  # noqa: E402
from tests.quality.page_parser_layouts import (  # noqa: E402
    Setting,
    _lunar_day_of_october_2019,
    _row,
    count_failures,
    held_out_pages,
    pages_per_edition,
    score_texts,
    set_page,
    total,
)

EIGHTH_SEED = 20261211
WEEKDAYS = "一二三四五六日"
# The pages of a section (叠): A01-A12, then B01….
A_SECTION_PAGES = 12
SECTIONS = (
    "封面",
    "要闻",
    "要闻",
    "评论",
    "城事",
    "城事",
    "民生",
    "社会",
    "国内",
    "国际",
    "财经",
    "区县新闻",
    "文娱",
    "体育",
    "健康",
    "教育",
    "消费",
    "副刊",
    "读书",
    "天下",
)
STAFF = (
    "王璐",
    "刘畅",
    "陈晓燕",
    "张弛",
    "李敏",
    "赵雅楠",
    "周琳",
    "孙昊",
    "黄婷",
    "吴迪",
    "郑可",
    "马骁",
    "胡悦",
    "朱颖",
    "高翔",
    "林蔚",
    "何静",
    "杨帆",
    "徐蕾",
    "谢婧",
    "潘登",
    "邓攀",
    "蒋文",
)
# Photographers and correspondents: not the desk's staff.
CAMERAS = ("刘晓", "韩冰", "石磊", "蔡宁", "罗涛", "贺佳", "龚雪", "姚远", "曾鹏", "袁野", "夏晴")
SKIES = ("晴", "多云", "阴", "小雨", "晴转多云", "多云转阴", "阴转小雨", "多云转晴", "阴有阵雨")
WINDS = ("北风3级", "东北风2～3级", "微风", "南风3～4级", "偏北风4级")
OPENING = date(2019, 10, 18)
CLOSING = date(2019, 10, 27)


@dataclass(frozen=True)
class Paper:
    """One paper's export: its layout (a Setting whose text furniture holds this module's fields),
    and the ears of its front page and of an inner page."""

    layout: Setting
    serial_on_october_first: int
    inner_top: tuple[str, ...] = ()
    inner_bottom: tuple[str, ...] = ()
    inner_middle: tuple[str, ...] = ()
    front_top: tuple[str, ...] = ()
    front_bottom: tuple[str, ...] = ()
    front_teaser: tuple[str, ...] = ()
    front_countdown: bool = False
    staff_offset: int = 0
    city_temperature: int = 16


EIGHTH: dict[str, Paper] = {
    "tabloid-narrow": Paper(
        layout=Setting(
            widths=(12, 13),
            credits=("记者 {photo} 摄", "警方供图", "资料图", "扫码看视频"),
            credit_share=0.07,
            jump_share=0.15,
            jump_form="（下转A{n}）",
            box_labels=("律师说法", "专家提醒"),
            split_share=0.4,
        ),
        serial_on_october_first=14236,
        inner_top=(
            "{ap} 今日{sect}",
            "{y}年{m}月{d}日 星期{w} 编辑：{ed} 美编：{ar} 组版：{pr}",
        ),
        front_top=(
            "{y}年{m}月{d}日 星期{w}",
            "农历己亥年{ld}",
            "今日{n}版 总第{serial}期",
            "{weather}",
        ),
        front_bottom=(
            "国内统一连续出版物号 CN37-0021  邮发代号23-1",
            "新闻热线：96706  数字报：epaper.qlwb.com.cn",
        ),
        front_teaser=(
            "今日提要",
            "秋收正当时 田间地头忙 A{n}",
            "老旧小区加装电梯提速 A{n}",
        ),
        staff_offset=0,
        city_temperature=15,
    ),
    "metro-bottom-ear": Paper(
        layout=Setting(
            widths=(14, 16),
            paragraph_widths=(14, 22),
            credits=("图据IC photo", "东方IC供图", "首席记者 {photo} 摄影报道", "受访者供图"),
            credit_share=0.06,
            jump_share=0.2,
            jump_form="（转{n:02d}版）",
            column_labels=("民生直通车", "记者调查", "城市脉动", "身边事"),
            column_share=0.12,
        ),
        serial_on_october_first=9871,
        inner_top=("{yyyy}.{mm}.{dd} 星期{w} {sect}",),
        inner_bottom=("{ap}", "本版责编 {ed} 美编 {ar} 校对 {pr}"),
        front_top=(
            "华西都市报",
            "WEST CHINA METROPOLIS DAILY",
            "{y}年{m}月{d}日 星期{w} 农历己亥年{ld}",
            "总第{serial}期 今日{n}版",
        ),
        front_bottom=("成都天气 {weather}", "数字报 www.wccdaily.com.cn"),
        staff_offset=5,
        city_temperature=18,
    ),
    "evening-ear-after-lead": Paper(
        layout=Setting(
            widths=(20, 23),
            credits=(
                "本报记者 {photo} 摄",
                "图片来源：视觉中国",
                "网络图片",
                "扫描二维码 观看现场视频",
            ),
            credit_share=0.07,
            jump_share=0.1,
            jump_form="→下转{n}版",
            box_labels=("新闻链接", "编后", "记者札记"),
        ),
        serial_on_october_first=11502,
        inner_middle=(
            "{ap} 钱江晚报 {y}.{m}.{d} 星期{w}",
            "本版编辑：{ed} 电话：0571-8531{tel} 版式：{ar}",
        ),
        front_top=(
            "{y}年{m}月{d}日",
            "星期{w} 农历{ld}",
            "今日{n}版",
            "浙江日报报业集团主管主办",
        ),
        front_bottom=("扫码下载小时新闻客户端", "{weather}"),
        front_teaser=(
            "导读",
            "▶ 杭州首批银杏进入最佳观赏期 A{n}",
            "▶ 秋季房交会本周末开幕 A{n}",
        ),
        staff_offset=11,
        city_temperature=19,
    ),
    "city-countdown": Paper(
        layout=Setting(
            widths=(11, 15),
            paragraph_widths=(11, 15),
            credits=("通讯员 {correspondent} 供图", "记者 {photo} 摄", "图据CFP", "视频截图"),
            credit_share=0.08,
            jump_share=0.2,
            jump_form="（相关报道见A{n}）",
            box_labels=("背景", "数说", "新闻追问"),
            column_labels=("楚天眼", "热点追踪", "新闻观察"),
            column_share=0.1,
        ),
        serial_on_october_first=10458,
        inner_top=("楚天都市报 {ap}", "{yyyy}/{mm}/{dd} 周{w}"),
        inner_bottom=("责任编辑 {ed}  美术编辑 {ar}  校对 {pr}",),
        front_top=(
            "楚天都市报",
            "{y}年{m}月{d}日 星期{w} 农历{ld}",
            "今日{n}版 总第{serial}期 零售价1元",
        ),
        front_bottom=("新闻热线：85777777  www.ctdsb.net",),
        front_countdown=True,
        staff_offset=17,
        city_temperature=20,
    ),
}


def _page_code(page: int) -> str:
    """A02 … A12, then B01 …: the page as a paper of two sections prints it."""
    if page <= A_SECTION_PAGES:
        return f"A{page:02d}"
    return f"B{page - A_SECTION_PAGES:02d}"


def _weather(day: date, base: int) -> str:
    """The day's weather line, the same on every page and every paper of one city that day."""
    rng = random.Random(day.toordinal() * 7 + base)
    low = base - 6 + rng.randint(-3, 3)
    high = low + rng.randint(5, 10)
    return f"今天 {rng.choice(SKIES)} {low}～{high}℃ {rng.choice(WINDS)}"


def _countdown(day: date) -> tuple[str, ...]:
    """The front page's box: days to the Military World Games in Wuhan, then its days."""
    if day < OPENING:
        return (f"距第七届世界军人运动会开幕\n还有{(OPENING - day).days}天",)
    if day <= CLOSING:
        return (f"军运会进行时\n第{(day - OPENING).days + 1}天",)
    return ()


def paper_page(page: CorpusPage) -> int:
    """The page's number in the paper that prints it: one less than the corpus page, so that the
    held-out pages (every other page, all even in the corpus) include each day's front page."""
    return page.page - 1


def _fields(paper: Paper, page: CorpusPage, pages_today: int) -> dict[str, str | int]:
    day = page.edition
    number = paper_page(page)
    staff = paper.staff_offset + 3 * number
    return {
        "y": day.year,
        "yyyy": day.year,
        "m": day.month,
        "d": day.day,
        "mm": f"{day.month:02d}",
        "dd": f"{day.day:02d}",
        "w": WEEKDAYS[day.weekday()],
        "ap": _page_code(number),
        "sect": SECTIONS[(number - 1) % len(SECTIONS)],
        "ed": STAFF[staff % len(STAFF)],
        "ar": STAFF[(staff + 1) % len(STAFF)],
        "pr": STAFF[(staff + 2) % len(STAFF)],
        # A photographer differs by day and page.
        "photo": CAMERAS[(number + day.day * 5) % len(CAMERAS)],
        "correspondent": CAMERAS[(number * 3 + day.day) % len(CAMERAS)],
        "tel": f"{(number * 1373) % 10000:04d}",
        "n": pages_today,
        "serial": paper.serial_on_october_first + (day - date(day.year, 10, 1)).days,
        "ld": _lunar_day_of_october_2019(day.day),
        "weather": _weather(day, paper.city_temperature),
    }


def page_setting(paper: Paper, page: CorpusPage, pages_today: int) -> Setting:
    """The setting of one page: the paper's layout with its furniture filled in for the page."""
    fields = _fields(paper, page, pages_today)
    front = paper_page(page) == 1

    def filled(forms: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(form.format(**fields) for form in forms)

    teaser = tuple(line.format(**{**fields, "n": "{n}"}) for line in paper.front_teaser)
    return replace(
        paper.layout,
        ears_top=filled(paper.front_top if front else paper.inner_top),
        ears_bottom=filled(paper.front_bottom if front else paper.inner_bottom),
        ears_middle=() if front else filled(paper.inner_middle),
        credits=filled(paper.layout.credits),
        teasers=front and bool(teaser),
        teaser_lines=teaser if front else (),
        countdowns=_countdown(page.edition) if front and paper.front_countdown else (),
    )


def page_texts(
    pages: list[CorpusPage], seed: int = EIGHTH_SEED
) -> list[tuple[str, CorpusPage, str]]:
    """Every (paper, page, text) of the group on the given pages, reproducible from the seed."""
    rng = random.Random(seed)
    today = pages_per_edition(pages)
    return [
        (name, page, set_page(page, page_setting(paper, page, today[page.edition]), rng))
        for name, paper in EIGHTH.items()
        for page in held_out_pages(pages)
    ]


def evaluate(pages: list[CorpusPage], seed: int = EIGHTH_SEED) -> tuple[dict[str, Score], float]:
    """Scores per paper on the odd-numbered pages, and the mean parse time per page in seconds."""
    return score_texts(EIGHTH, page_texts(pages, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=0, help="use only the first N pages")
    parser.add_argument(
        "--classes",
        action="store_true",
        help="count wrong headlines per class (a tuning group since round eight)",
    )
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 0
    pages = load_pages()
    if args.pages:
        pages = pages[: args.pages]
    scores, per_page = evaluate(pages)
    print("| setting | pages | refused | headline precision | headline recall | paragraphs exact |")
    print("|---|---|---|---|---|---|")
    for name, score in scores.items():
        print(_row(f"eighth: {name}", score))
    print(_row("**eighth: all**", total(scores)))
    print(f"\nmean parse time per page: {1000 * per_page:.1f} ms")
    if args.classes:
        counts = count_failures((page, text) for _, page, text in page_texts(pages))
        print("\neighth (tuned on since round eight):")
        for name, count in sorted(counts.items()):
            print(f"- {name}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
