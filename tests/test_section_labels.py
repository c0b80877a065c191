"""Operator corrections as training labels: one file format, written by `sections
export-labels` and read by `section_training --labels`, and a retrain learns them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bot.text.section_labels import (
    LabelFileError,
    SectionLabel,
    format_labels,
    label_of,
    parse_labels,
    read_labels,
    write_labels,
)
from bot.text.sections import SECTIONS, SectionModel, classify_section


def test_labels_round_trip(tmp_path: Path) -> None:
    labels = [
        label_of(7, "新型工业化推进会召开", ["全市推进新型工业化。", "第二段"], "经济"),
        label_of(9, "只有标题", [], "文体"),
    ]
    path = tmp_path / "labels.jsonl"
    assert write_labels(path, labels) == 2
    assert read_labels(path) == labels
    assert labels[0] == SectionLabel("7", "新型工业化推进会召开", "全市推进新型工业化。", "经济")
    assert "新型工业化" in path.read_text(encoding="utf-8")  # readable, not \\u-escaped


def test_reader_accepts_aliases_and_names_the_bad_line() -> None:
    text = format_labels([label_of(1, "标题", ["导语"], "时政")])
    assert parse_labels(text + "\n" + '{"title": "体育新闻", "section": "sports"}\n') == [
        SectionLabel("1", "标题", "导语", "时政"), SectionLabel("", "体育新闻", "", "文体")]
    with pytest.raises(LabelFileError, match=r"x:2: unknown section '八卦'"):
        parse_labels(text + '{"title": "t", "section": "八卦"}\n', "x")
    with pytest.raises(LabelFileError, match=r"x:1: not JSON"):
        parse_labels("title\t经济\n", "x")
    with pytest.raises(LabelFileError, match=r"x:1: needs a \"title\""):
        parse_labels('{"section": "经济"}\n', "x")


# A tiny corpus in the shared corpora's layout: a few titles per THUCNews class, 新闻联播 items
# (weak title labels and emergencies). Enough for a fit in a second or two.
TINY_THUCNEWS = {
    "finance": ["银行利率调整 储户收益变化", "基金净值上涨 投资者关注", "央行公开市场操作"],
    "realty": ["楼盘开盘 房价走势平稳", "二手房成交量回升", "土地拍卖溢价率下降"],
    "stocks": ["沪指收涨 券商板块领涨", "创业板指数震荡", "个股涨停 成交放量"],
    "education": ["高考志愿填报指南", "小学开学第一课", "大学招生计划公布"],
    "science": ["科学家发现新型材料", "手机芯片性能测试", "火星探测器传回图像"],
    "society": ["老人走失 民警帮助回家", "小区停车难问题调查", "男子见义勇为获表彰"],
    "politics": ["外交部回应记者提问", "总统会见来访代表团", "国务院常务会议召开"],
    "sports": ["足球联赛 主队逆转取胜", "篮球明星加盟新球队", "网球公开赛冠军诞生"],
    "game": ["网络游戏新版本上线", "电竞战队夺得总决赛", "手游玩家数量增长"],
    "entertainment": ["电影票房突破十亿", "歌手发布新专辑", "综艺节目收视率创新高"],
}
XWLB_TITLES = ["外交部发言人答记者问", "外贸进出口保持增长", "航天员出舱活动顺利",
               "全国体育比赛开幕", "医保政策惠及群众", "台风登陆 各地防御"]


def tiny_corpora(root: Path) -> Path:
    thuc = root / "thucnews-titles"
    thuc.mkdir(parents=True)
    classes = list(TINY_THUCNEWS)
    (thuc / "class.txt").write_text("\n".join(classes) + "\n", encoding="utf-8")
    lines = [f"{t}\t{i}" for i, name in enumerate(classes) for t in TINY_THUCNEWS[name]]
    (thuc / "dev.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    xwlb = root / "xwlb"
    xwlb.mkdir()
    storm = {"date": "20230717", "title": "台风泰利登陆", "text": "台风带来强降雨。"}
    (xwlb / "typhoon-items.jsonl").write_text(json.dumps(storm) + "\n", encoding="utf-8")
    flood = {"date": "20230801", "title": "多地防汛抢险", "text": "暴雨引发洪水。"}
    (xwlb / "other-emergency-items.jsonl").write_text(json.dumps(flood) + "\n", encoding="utf-8")
    with gzip.open(xwlb / "items.jsonl.gz", "wt", encoding="utf-8") as handle:
        for idx, title in enumerate(XWLB_TITLES):
            handle.write(json.dumps({"date": "20230901", "idx": idx, "title": title}) + "\n")
    return root


def test_training_learns_a_correction(tmp_path: Path) -> None:
    """A retrain with the labels file files the corrected article under the corrected section;
    `--out` leaves the shipped weights alone."""
    pytest.importorskip("sklearn", reason="needs the train extra (scikit-learn)")
    from bot.text import section_training
    from bot.text.sections import MODEL_PATH

    shipped = MODEL_PATH.read_bytes()
    corpora = tiny_corpora(tmp_path / "corpora")
    title, lead = "城东新开一家书店", "书店老板说，店里每周办一次活动。"

    def trained(*extra: str) -> str:
        out = tmp_path / f"model-{len(extra)}.json"
        assert section_training.main(["--corpora", str(corpora), "--out", str(out), *extra]) == 0
        model = SectionModel.from_json(json.loads(out.read_text(encoding="utf-8")))
        return classify_section(title, [lead], model)

    before = trained()
    target = next(s for s in SECTIONS if s not in (before, "应急"))
    labels = tmp_path / "labels.jsonl"
    write_labels(labels, [SectionLabel("1", title, lead, target)])
    assert trained("--labels", str(labels)) == target
    assert MODEL_PATH.read_bytes() == shipped


def test_training_refuses_a_bad_labels_file(tmp_path: Path, capsys) -> None:
    pytest.importorskip("sklearn", reason="needs the train extra (scikit-learn)")
    from bot.text import section_training

    corpora = tiny_corpora(tmp_path / "corpora")
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"title": "t", "section": "八卦"}\n', encoding="utf-8")
    out = tmp_path / "model.json"
    argv = ["--corpora", str(corpora), "--out", str(out), "--labels", str(labels)]
    assert section_training.main(argv) == 2
    assert "unknown section '八卦'" in capsys.readouterr().err and not out.exists()
