"""NINTH: a sealed group of page_parser_layouts written independently of the parser's author.

Run by hand: PYTHONPATH=$PWD /tmp/venv/bin/python tests/quality/page_parser_ninth.py [--pages N]

Like EIGHTH, this group was written by an engineer who read only the generator's interface
(page_parser_layouts: Setting, set_page, held_out_pages, total), the scoring (page_parser_eval)
and EIGHTH's shape, not the parser's rules nor their diffs; its wordings live only here. **Every
wording was fixed before the first score and none was changed after it.**

Each setting is one kind of paper other groups do not print, with furniture in its own forms:

* county-weekly: a county weekly (县报) of ten pages with a 文化副刊; inner ear "浦江报
  2019.10.28" over a page code in capital numerals with the section ("叁版 文化副刊"), an
  editor foot with slashes ("责编/… 美编/… 校对/…"); bare column names over stories (乡土记忆),
  a 本期导读 box with "见6版" pointers, credits "（… 摄）", "县融媒体中心 供图", "扫一扫 看现场",
  jump lines "(下转五版)"; one width all page, 18 or 19 characters.
* economic-daily: a 经济 daily of A and B sections: page code alone ("A3") and "证券·市场" on the
  ear, date and "责编 … 美编 … 校对 …" at the foot; a market box (index quotes) on the front and
  markets pages, a 相关个股 box with stock codes on company pages, a contents box with "A2 …"
  pointers; credits "数据来源：Wind", "制图 …", "本报记者 … 摄", "图片来源：网络"; jump lines
  "下转第7版", and "(紧接第1版)" / "(上接A1版)" over a continued story's head on inner pages; box
  labels 链接, 记者观察; widths 9 and 14 mixed per paragraph.
* industry-paper: an industry paper (行业报): the editor's line with telephone and mail on top,
  the page's date and page number ("2019年10月28日 星期一 07") left after the first story, a
  mail/address foot; front masthead with the owner and address; bare column names (基层传真),
  a 本期要目 box, credits "通讯员 … 摄", "图片由…提供", "长按识别二维码 观看专题片"; jump lines
  "转9版▶"; box labels 编者按, "◆相关链接◆", 记者手记; widths 12, 16 and 20 mixed per paragraph.
* bottom-circled: an evening paper whose PDF tool puts every ear at the bottom: page numbers in
  circled digits ("⑥ 民生") on left-hand pages and between hyphens ("-7-") on right-hand ones,
  the date in Chinese numerals ("二〇一九年十月二十八日"), the lunar date with the day's solar
  term ("农历九月廿六 霜降"); a 今日看点 box with circled pointers, an Asian Games countdown;
  credits "记者 … 文/摄", "视觉中国 供图", "扫码看视频", "IC photo 供图"; jump lines "(转9版)";
  box labels 新闻多一点, 提醒; one width all page, 10 to 13 characters.

Ear furniture is resolved per page (a page keeps its editor and section, a day its serial, lunar
date and market figures), then the page is set by page_parser_layouts.set_page; nothing else
changes. Odd-numbered pages (held_out_pages), seed NINTH_SEED. Until round nine it was sealed:
never in `--classes`, its per-line errors not looked at (only the totals). **It was released
for tuning in round nine (2026-12-07)**: its wrong and missed headlines were listed and the
round's rules were written from them (docs/quality.md, "Ninth round"), so every figure after
score 2 below is a tuned-on figure, not a blind one; a new sealed group (TENTH, written by
another engineer) takes its place.

Figures (headline precision / recall / paragraphs exact, %, all four settings, 244 pages each;
`PYTHONPATH=$PWD /tmp/venv/bin/python tests/quality/page_parser_ninth.py`):

* parser at 8242a28 (main when this group was written, before the rule-writer's round): 60.3 /
  74.2 / 92.6 (score 1, 2026-12-07 01:00 UTC); per setting: county-weekly 51.2 / 63.4 / 93.8,
  economic-daily 54.0 / 71.0 / 91.2, industry-paper 62.4 / 70.7 / 91.8, bottom-circled 74.1 /
  91.6 / 93.5. The same pages with the same widths and column breaks but no furniture (a control
  run outside this module, same seed) scored 91.1 / 93.7 / 92.8 there: the furniture costs the
  headline figures about 31 and 19 points, the paragraphs none;
* parser at 3f791f0 (main at 02:45 UTC, after round eight's rule landings): 65.4 / 75.2 / 92.7
  (score 2, 2026-12-07 02:45 UTC); per setting: county-weekly 57.4 / 64.1 / 93.9, economic-daily
  56.2 / 72.7 / 91.3, industry-paper 67.2 / 71.4 / 92.1, bottom-circled 82.2 / 92.6 / 93.6. The
  no-furniture control scored 91.8 / 93.7 / 93.0 there.
* parser at a9cfb62 (round nine's last parser commit, **tuned on** NINTH's errors): 86.1 / 89.5 /
  92.7 (2026-12-07 04:35 UTC); per setting: county-weekly 81.4 / 84.9 / 94.0, economic-daily
  90.0 / 93.9 / 91.3, industry-paper 82.4 / 85.1 / 92.1, bottom-circled 90.6 / 94.3 / 93.6.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.quality.page_parser_eval import CORPUS, CorpusPage, Score, load_pages  # noqa: E402
from tests.quality.page_parser_layouts import (  # noqa: E402
    Setting,
    _chinese_number,
    _lunar_day_of_october_2019,
    _row,
    count_failures,
    held_out_pages,
    pages_per_edition,
    score_texts,
    set_page,
    total,
)

NINTH_SEED = 20261212
# Printed with the figures, so that a score says which checkout's parser it measured.
PARSER_MODULE = "bot.ingest.page_parser"
WEEKDAYS = "一二三四五六日"
CHINESE_DIGITS = "〇一二三四五六七八九"
# Page numbers as a county paper's ear prints them (壹版 … 拾版).
CAPITAL_NUMERALS = ("", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖", "拾")
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# The solar terms of October 2019, printed beside the lunar date on their day.
SOLAR_TERMS = {date(2019, 10, 8): "寒露", date(2019, 10, 24): "霜降"}
ASIAN_GAMES_OPENING = date(2022, 9, 10)
# Pages of the economic daily's A section; B01 follows.
A_SECTION_PAGES = 8
DESK = (
    "方圆",
    "钟晴",
    "邱立新",
    "葛蕾",
    "柳青",
    "符晓东",
    "童欣",
    "严俊",
    "俞佳琪",
    "卢峰",
    "汤敏",
    "施展",
    "孔令仪",
    "毛思远",
    "武珊",
    "庞博",
    "金铭",
    "陆一鸣",
    "戴倩",
    "程远航",
    "崔莹",
    "任重",
    "华蓓",
    "聂晨",
    "江小鱼",
    "白露",
)
# Photographers and correspondents, who are not on the desk.
LENSES = ("楼国强", "叶挺松", "傅春燕", "应哲", "吕晶晶", "倪海峰", "翁帆", "章一丹", "包文涛")
UNITS = ("浙江省水利厅", "长江委宣传出版中心", "黄委新闻宣传出版中心", "太湖局", "珠江委")
INDICES = (("上证指数", 2950.0), ("深证成指", 9700.0), ("创业板指", 1670.0))
STOCKS = (
    "贵州茅台 600519",
    "中国平安 601318",
    "招商银行 600036",
    "宁德时代 300750",
    "比亚迪 002594",
    "格力电器 000651",
    "美的集团 000333",
    "海康威视 002415",
    "隆基股份 601012",
)


@dataclass(frozen=True)
class Paper:
    """One paper's export: its layout (a Setting whose text furniture holds this module's
    fields), its sections by page, its ears for the front page and for inner pages."""

    layout: Setting
    sections: tuple[str, ...]
    serial_on_october_first: int
    # Ten-page papers number corpus page 2k as page k; the others corpus page p as p - 1.
    halved: bool = False
    inner_top: tuple[str, ...] = ()
    inner_middle: tuple[str, ...] = ()
    inner_bottom: tuple[str, ...] = ()
    # On left-hand (even) pages, when set, in place of inner_bottom.
    inner_bottom_left: tuple[str, ...] = ()
    front_top: tuple[str, ...] = ()
    front_bottom: tuple[str, ...] = ()
    front_teaser: tuple[str, ...] = ()
    # Boxes closing a page: "market" (index quotes), "stocks" (related stock codes),
    # "countdown" (days to the Asian Games); by section, and on the front page.
    boxes: dict[str, str] = field(default_factory=dict)
    front_box: str = ""
    desk_offset: int = 0
    # Column labels that say where a story comes from ("(紧接第1版)") make no sense on page 1.
    columns_inner_only: bool = False


NINTH: dict[str, Paper] = {
    "county-weekly": Paper(
        layout=Setting(
            widths=(18, 19),
            credits=("（{lens} 摄）", "县融媒体中心 供图", "扫一扫 看现场"),
            credit_share=0.07,
            jump_share=0.12,
            jump_form="(下转{cn}版)",
            box_labels=("编后语", "作者简介"),
            column_labels=("浦阳江畔", "乡土记忆", "仙华文苑", "百姓故事"),
            column_share=0.14,
            split_share=0.35,
        ),
        sections=(
            "要闻",
            "综合新闻",
            "镇乡街道",
            "民生",
            "文化副刊",
            "专题",
            "法治",
            "视点",
            "文化副刊",
            "生活",
        ),
        serial_on_october_first=1537,
        halved=True,
        inner_top=("浦江报 {yyyy}.{mm}.{dd}", "{capital}版 {sect}"),
        inner_bottom=("责编/{ed}  美编/{ar}  校对/{pr}",),
        front_top=(
            "浦江报",
            "PUJIANG BAO",
            "{y}年{m}月{d}日 农历{ld} 星期{w}",
            "第{serial}期 本期{n}版",
        ),
        front_bottom=("中共浦江县委主管主办 浦江县融媒体中心出版", "新闻热线 0579-84112345"),
        front_teaser=("本期导读", "重阳敬老宴 暖了老人心 见2版", "仙华山红叶进入观赏期 见6版"),
        desk_offset=0,
    ),
    "economic-daily": Paper(
        layout=Setting(
            widths=(9, 14),
            paragraph_widths=(9, 14),
            credits=("数据来源：Wind", "制图 {ar}", "本报记者 {lens} 摄", "图片来源：网络"),
            credit_share=0.08,
            jump_share=0.2,
            jump_form="下转第{n}版",
            box_labels=("链接", "记者观察"),
            column_labels=("(紧接第1版)", "(上接A1版)"),
            column_share=0.08,
            split_share=0.45,
        ),
        sections=(
            "要闻",
            "要闻",
            "宏观",
            "金融",
            "证券·市场",
            "公司",
            "产业",
            "区域",
            "财富",
            "证券·市场",
            "公司",
            "观察",
            "国际",
            "消费",
            "科技",
            "能源",
            "三农",
            "理论",
            "文化",
        ),
        serial_on_october_first=7182,
        inner_top=("{pcode}", "{sect}"),
        inner_bottom=("{y}年{m}月{d}日 星期{w}  责编 {ed}  美编 {ar}  校对 {pr}",),
        front_top=(
            "经济信息日报",
            "Economic Information Daily",
            "{yyyy}.{mm}.{dd}",
            "星期{w} 第{serial}期",
        ),
        front_bottom=(
            "本报地址：北京市西城区白纸坊东街2号 邮编：100054",
            "订阅热线：010-63567{tel3}",
        ),
        front_teaser=(
            "今日导读",
            "A2 前三季度居民收入稳步增长",
            "A5 科创板公司三季报亮点多",
            "B3 消费金融迎来新变局",
        ),
        boxes={"证券·市场": "market", "公司": "stocks"},
        front_box="market",
        desk_offset=7,
        columns_inner_only=True,
    ),
    "industry-paper": Paper(
        layout=Setting(
            widths=(12, 20),
            paragraph_widths=(12, 16, 20),
            credits=("通讯员 {corr} 摄", "图片由{unit}提供", "长按识别二维码 观看专题片"),
            credit_share=0.07,
            jump_share=0.15,
            jump_form="转{n}版▶",
            box_labels=("编者按", "◆相关链接◆", "记者手记"),
            column_labels=("基层传真", "一线风采", "治水人物"),
            column_share=0.12,
            split_share=0.4,
        ),
        sections=(
            "要闻",
            "综合新闻",
            "水利建设",
            "基层风采",
            "专题",
            "文化",
            "科技",
            "综合",
            "视点",
            "周末",
        ),
        serial_on_october_first=4711,
        halved=True,
        inner_top=("责任编辑 {ed} 电话：010-6320{tel} 电子邮箱：slb{pp}@126.com",),
        inner_middle=("{sect}", "{y}年{m}月{d}日 星期{w} {pp}"),
        front_top=(
            "中国水利报",
            "CHINA WATER RESOURCES NEWS",
            "水利部主管 中国水利报社主办",
            "{yyyy}年{m}月{d}日 星期{w}",
            "第{serial}期 今日{n}版",
        ),
        front_bottom=(
            "社址：北京市西城区白广路二条2号 邮编：100053",
            "广告经营许可证：京西工商广字第0105号",
        ),
        front_teaser=("本期要目", "2版 秋冬农田水利建设全面铺开", "5版 一线治水人的坚守"),
        desk_offset=13,
    ),
    "bottom-circled": Paper(
        layout=Setting(
            widths=(10, 13),
            credits=("记者 {lens} 文/摄", "视觉中国 供图", "扫码看视频", "IC photo 供图"),
            credit_share=0.09,
            jump_share=0.18,
            jump_form="(转{n}版)",
            box_labels=("新闻多一点", "提醒"),
            split_share=0.4,
        ),
        sections=(
            "今日头条",
            "要闻",
            "城事",
            "民生",
            "区县",
            "社会",
            "健康",
            "文体",
            "天下",
            "悦读",
        ),
        serial_on_october_first=9364,
        halved=True,
        inner_bottom=("{sect} {cy}年{cm}月{cd}日", "-{p}-"),
        inner_bottom_left=("{circled} {sect}", "{cy}年{cm}月{cd}日 星期{w}"),
        front_top=("金华晚报", "JINHUA EVENING NEWS"),
        front_bottom=(
            "{cy}年{cm}月{cd}日 星期{w} 农历{ld}{term}",
            "①",
            "总第{serial}期 今日{n}版 零售价：1.00元",
        ),
        front_teaser=("今日看点", "婺江两岸亮灯工程完工 ③", "市区新增5条公交线路 ⑦"),
        front_box="countdown",
        desk_offset=19,
    ),
}


def paper_page(paper: Paper, page: CorpusPage) -> int:
    """The page's number in the paper that prints it. Held-out pages are the corpus's even ones:
    halved they run 1-10 (both hands of a spread), else 1, 3, … 19 (each day's front page)."""
    return page.page // 2 if paper.halved else page.page - 1


def _page_code(number: int) -> str:
    """A1 … A8, then B1 …: the economic daily's two sections, as its ear prints them."""
    if number <= A_SECTION_PAGES:
        return f"A{number}"
    return f"B{number - A_SECTION_PAGES}"


def _chinese_date_part(value: int) -> str:
    """A year's digits one by one (二〇一九), as the Chinese-numeral date prints them."""
    return "".join(CHINESE_DIGITS[int(digit)] for digit in str(value))


def _market_box(day: date) -> str:
    """The day's index quotes, the same on every page that carries them that day."""
    rng = random.Random(day.toordinal() * 11)
    lines = ["今日行情"]
    for name, base in INDICES:
        change = rng.uniform(-1.5, 1.5)
        level = base * (1 + rng.uniform(-0.03, 0.03))
        arrow = "▲" if change >= 0 else "▼"
        lines.append(f"{name} {level:.2f} {arrow}{abs(change):.2f}%")
    return "\n".join(lines)


def _stocks_box(day: date, number: int) -> str:
    """The 相关个股 box of a company page: three stocks and their codes."""
    rng = random.Random(day.toordinal() * 13 + number)
    return "\n".join(["相关个股", *rng.sample(STOCKS, 3)])


def _countdown_box(day: date) -> str:
    """Days to the Asian Games in Hangzhou, as the front page of a Zhejiang paper prints it."""
    return f"杭州亚运会倒计时\n{(ASIAN_GAMES_OPENING - day).days}天"


def _box(kind: str, day: date, number: int) -> tuple[str, ...]:
    if kind == "market":
        return (_market_box(day),)
    if kind == "stocks":
        return (_stocks_box(day, number),)
    if kind == "countdown":
        return (_countdown_box(day),)
    return ()


def _fields(paper: Paper, page: CorpusPage, number: int, pages_today: int) -> dict[str, str | int]:
    day = page.edition
    desk = paper.desk_offset + 3 * number
    return {
        "y": day.year,
        "yyyy": day.year,
        "m": day.month,
        "d": day.day,
        "mm": f"{day.month:02d}",
        "dd": f"{day.day:02d}",
        "w": WEEKDAYS[day.weekday()],
        "cy": _chinese_date_part(day.year),
        "cm": _chinese_number(day.month),
        "cd": _chinese_number(day.day),
        "p": number,
        "pp": f"{number:02d}",
        "pcode": _page_code(number),
        "capital": CAPITAL_NUMERALS[number] if number < len(CAPITAL_NUMERALS) else str(number),
        "circled": CIRCLED[number],
        "sect": paper.sections[(number - 1) % len(paper.sections)],
        "ed": DESK[desk % len(DESK)],
        "ar": DESK[(desk + 1) % len(DESK)],
        "pr": DESK[(desk + 2) % len(DESK)],
        # A photographer differs by day and page.
        "lens": LENSES[(number * 2 + day.day * 3) % len(LENSES)],
        "corr": LENSES[(number * 5 + day.day) % len(LENSES)],
        "unit": UNITS[(number + day.day) % len(UNITS)],
        "tel": f"{(number * 2417) % 10000:04d}",
        "tel3": f"{(day.day * 37) % 1000:03d}",
        "n": pages_today,
        "serial": paper.serial_on_october_first + (day - date(day.year, 10, 1)).days,
        "ld": _lunar_day_of_october_2019(day.day),
        "term": f" {SOLAR_TERMS[day]}" if day in SOLAR_TERMS else "",
    }


def page_setting(paper: Paper, page: CorpusPage, pages_today: int) -> Setting:
    """The setting of one page: the paper's layout with its furniture filled in for the page."""
    number = paper_page(paper, page)
    fields = _fields(paper, page, number, pages_today)
    front = number == 1

    def filled(forms: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(form.format(**fields) for form in forms)

    bottom = (
        paper.inner_bottom_left
        if paper.inner_bottom_left and number % 2 == 0
        else paper.inner_bottom
    )
    box_kind = paper.front_box if front else paper.boxes.get(str(fields["sect"]), "")
    return replace(
        paper.layout,
        ears_top=filled(paper.front_top if front else paper.inner_top),
        ears_bottom=filled(paper.front_bottom if front else bottom),
        ears_middle=() if front else filled(paper.inner_middle),
        credits=filled(paper.layout.credits),
        column_labels=() if front and paper.columns_inner_only else paper.layout.column_labels,
        teasers=front and bool(paper.front_teaser),
        teaser_lines=paper.front_teaser if front else (),
        countdowns=_box(box_kind, page.edition, number),
    )


def page_texts(
    pages: list[CorpusPage], seed: int = NINTH_SEED
) -> list[tuple[str, CorpusPage, str]]:
    """Every (paper, page, text) of the group on the held-out pages, reproducible from the seed."""
    rng = random.Random(seed)
    corpus_pages = pages_per_edition(pages)
    texts: list[tuple[str, CorpusPage, str]] = []
    for name, paper in NINTH.items():
        for page in held_out_pages(pages):
            today = corpus_pages[page.edition]
            setting = page_setting(paper, page, today // 2 if paper.halved else today)
            texts.append((name, page, set_page(page, setting, rng)))
    return texts


def evaluate(pages: list[CorpusPage], seed: int = NINTH_SEED) -> tuple[dict[str, Score], float]:
    """Scores per paper on the odd-numbered pages, and the mean parse time per page in seconds."""
    return score_texts(NINTH, page_texts(pages, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=0, help="use only the first N pages")
    parser.add_argument(
        "--classes",
        action="store_true",
        help="count wrong headlines per class (a tuning group since round nine)",
    )
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 0
    pages = load_pages()
    if args.pages:
        pages = pages[: args.pages]
    scores, per_page = evaluate(pages)
    print(f"parser: {sys.modules[PARSER_MODULE].__file__}")
    print("| setting | pages | refused | headline precision | headline recall | paragraphs exact |")
    print("|---|---|---|---|---|---|")
    for name, score in scores.items():
        print(_row(f"ninth sealed: {name}", score))
    print(_row("**ninth sealed: all**", total(scores)))
    print(f"\nmean parse time per page: {1000 * per_page:.1f} ms")
    if args.classes:
        counts = count_failures((page, text) for _, page, text in page_texts(pages))
        print("\nninth (tuned on since round nine):")
        for name, count in sorted(counts.items()):
            print(f"- {name}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
