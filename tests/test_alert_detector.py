"""What the alert detector finds in emergency notices, and what it leaves alone."""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.alerts.detector import ANCHOR_CHARS, ANCHORS, AlertEvent, Storm, detect_alerts
from bot.text.relative_time import PAPER_TZ

SEED_EDITION = date(2023, 7, 31)
SEED_TITLE = "我区启动防台风Ⅳ级应急响应"


def _detect(text: str, edition: date = SEED_EDITION, **kwargs: object) -> list[AlertEvent]:
    return detect_alerts("", [text], edition, **kwargs)


def _only(text: str, **kwargs: object) -> AlertEvent:
    events = _detect(text, **kwargs)
    assert len(events) == 1, [e.to_dict() for e in events]
    return events[0]


def _seed_page(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "xsrb-2023-07-31-01.expected.json").read_text("utf-8"))


def test_seed_page_yields_exactly_the_expected_alert(fixtures_dir: Path) -> None:
    page = _seed_page(fixtures_dir)
    article = next(a for a in page["articles"] if a["title"] == SEED_TITLE)
    events = detect_alerts(
        article["title"], article["paragraphs"], SEED_EDITION, home_region="萧山区"
    )
    found = [{key: e.to_dict()[key] for key in page["alerts"][0]} for e in events]
    assert found == page["alerts"]
    event = events[0]
    assert event.time_stated
    assert event.summary.endswith("启动防台风Ⅳ级应急响应。")
    assert event.impact == "受“卡努”环流影响,我区8月2—4日将有明显风雨天气。"


def test_other_articles_on_the_seed_page_have_no_alerts(fixtures_dir: Path) -> None:
    page = _seed_page(fixtures_dir)
    for article in page["articles"]:
        if article["title"] == SEED_TITLE:
            continue
        events = detect_alerts(
            article["title"] or "", article["paragraphs"], SEED_EDITION, home_region="萧山区"
        )
        assert events == [], article["title"]


def test_to_dict_has_the_cli_shape() -> None:
    event = _only("区防指决定昨日20时30分启动防台风Ⅳ级应急响应。", home_region="萧山区")
    data = event.to_dict()
    assert set(data) >= {
        "hazard", "kind", "action", "level", "storm", "authority", "region", "effective_at",
        "summary",
    }
    assert data["effective_at"] == "2023-07-30T20:30:00+08:00"
    assert datetime.fromisoformat(data["effective_at"]).utcoffset() is not None


def test_dedupe_key_names_the_event() -> None:
    text = "今年第6号台风“卡努”逼近。区防指决定昨日20时30分启动防台风Ⅳ级应急响应。"
    event = _only(text, home_region="萧山区")
    assert event.dedupe_key() == (
        "typhoon", "区防指", (2023, 6), "IV", "start", "2023-07-30T20:30:00+08:00"
    )


@pytest.mark.parametrize(
    "written",
    ["Ⅳ级", "IV级", "ⅠⅤ级", "Ⅰ Ⅴ级", "四级", "4级", "４级", "Ⅳ", "IV"],
)
def test_every_spelling_of_level_four_reads_as_iv(written: str) -> None:
    event = _only(f"区防指今天启动防台风{written}应急响应。", home_region="萧山区")
    assert (event.hazard, event.kind, event.action, event.level) == (
        "typhoon", "response", "start", "IV"
    )


@pytest.mark.parametrize(
    ("written", "level"),
    [("Ⅰ级", "I"), ("二级", "II"), ("Ⅲ级", "III"), ("一级", "I"), ("２级", "II")],
)
def test_other_levels(written: str, level: str) -> None:
    assert _only(f"浙江省防指今天启动防台风{written}应急响应。").level == level


@pytest.mark.parametrize(
    ("sentence", "action", "level"),
    [
        ("区防指今天启动防台风Ⅳ级应急响应。", "start", "IV"),
        ("区防指今天将防台风应急响应提升至Ⅲ级。", "raise", "III"),
        ("区防指今天将防台风Ⅳ级应急响应升为Ⅲ级。", "raise", "III"),
        ("区防指今天将防台风应急响应由Ⅲ级升级为Ⅱ级。", "raise", "II"),
        ("区防指今天将防台风Ⅲ级应急响应降为Ⅳ级。", "lower", "IV"),
        ("区防指今天将防台风应急响应从一级下调为三级。", "lower", "III"),
        ("区防指今天将防台风应急响应降低至Ⅳ级。", "lower", "IV"),
        ("区防指今天将防台风Ⅲ级应急响应调整为Ⅳ级。", "adjust", "IV"),
        ("区防指今天维持防台风Ⅳ级应急响应。", "maintain", "IV"),
        ("区防指今天继续维持防台风Ⅳ级应急响应。", "maintain", "IV"),
        ("区防指今天解除防台风Ⅳ级应急响应。", "end", "IV"),
        ("区防指今天终止防台风应急响应。", "end", None),
        ("区防指今天12时结束防台风Ⅳ级应急响应。", "end", "IV"),
    ],
)
def test_each_action_verb(sentence: str, action: str, level: str | None) -> None:
    event = _only(sentence, home_region="萧山区")
    assert (event.hazard, event.action, event.level) == ("typhoon", action, level)
    assert event.region == "萧山区"


@pytest.mark.parametrize(
    ("sentence", "action", "colour"),
    [
        ("中央气象台今天发布台风蓝色预警。", "start", "blue"),
        ("中央气象台今天继续发布台风黄色预警。", "maintain", "yellow"),
        ("中央气象台今天升级发布台风橙色预警。", "raise", "orange"),
        ("中央气象台今天将台风预警升级为红色。", "raise", "red"),
        ("中央气象台今天解除台风蓝色预警。", "end", "blue"),
        ("海南今天解除台风Ⅳ级预警。", "end", "blue"),
        ("湛江市今天降为台风黄色预警信号。", "lower", "yellow"),
    ],
)
def test_typhoon_warnings_by_colour(sentence: str, action: str, colour: str) -> None:
    event = _only(sentence)
    assert (event.hazard, event.kind, event.action, event.level) == (
        "typhoon", "warning", action, colour
    )


def test_several_events_in_one_item() -> None:
    text = (
        "为做好今年第6号台风“卡努”防御工作,国家防总今天将防汛防台风应急响应提升至Ⅲ级。"
        "浙江省防指今天12时启动防台风Ⅱ级应急响应,中央气象台今天发布台风橙色预警和暴雨黄色预警。"
    )
    events = _detect(text)
    summary = [(e.hazard, e.kind, e.action, e.level, e.authority) for e in events]
    assert summary == [
        ("typhoon", "response", "raise", "III", "国家防总"),
        ("typhoon", "response", "start", "II", "浙江省防指"),
        ("typhoon", "warning", "start", "orange", "中央气象台"),
        ("rainstorm", "warning", "start", "yellow", "中央气象台"),
    ]
    assert all(e.storm == Storm(2023, 6, "卡努") for e in events[:3])
    assert events[3].storm is None
    assert events[1].region == "浙江省"
    assert events[1].effective_at == datetime(2023, 7, 31, 12, 0, tzinfo=PAPER_TZ)


def test_one_verb_shared_by_listed_responses() -> None:
    text = "国家防总维持针对浙江、福建的防汛防台风Ⅳ级应急响应和针对湖南的防汛Ⅳ级应急响应。"
    events = _detect(text)
    assert [(e.hazard, e.action, e.level, e.region) for e in events] == [
        ("typhoon", "maintain", "IV", "浙江省、福建省"),
        ("flood", "maintain", "IV", "湖南省"),
    ]


def test_title_restating_the_body_is_one_event() -> None:
    events = detect_alerts(
        "我区启动防台风Ⅳ级应急响应",
        ["区防指决定昨日20时30分启动防台风Ⅳ级应急响应。"],
        SEED_EDITION,
        home_region="萧山区",
    )
    assert len(events) == 1
    assert events[0].authority == "区防指"


def test_response_written_as_the_subject_ends_with_its_time() -> None:
    event = _only("我区防台风Ⅳ级应急响应于昨日18时解除。", home_region="萧山区")
    assert (event.action, event.level, event.authority, event.region) == (
        "end", "IV", "我区", "萧山区"
    )
    assert event.effective_at == datetime(2023, 7, 30, 18, 0, tzinfo=PAPER_TZ)


def test_storm_named_without_number() -> None:
    event = _only("受台风“杜苏芮”影响,福建今天将防台风应急响应提升至Ⅰ级。")
    assert event.storm == Storm(2023, None, "杜苏芮")


def test_event_without_stated_time_falls_back_to_the_edition_date() -> None:
    event = _only("广东已启动防风Ⅳ级应急响应。")
    assert not event.time_stated
    assert event.effective_at == datetime(2023, 7, 31, 0, 0, tzinfo=PAPER_TZ)
    assert event.region == "广东省"


@pytest.mark.parametrize(
    ("sentence", "hazard", "level"),
    [
        ("国家防总今天针对安徽启动防汛Ⅳ级应急响应。", "flood", "IV"),
        ("水利部今天启动洪水防御Ⅳ级应急响应。", "flood", "IV"),
        ("福建省今天启动防暴雨Ⅳ级应急响应。", "rainstorm", "IV"),
        ("中央气象台今天发布暴雨橙色预警。", "rainstorm", "orange"),
        ("应急管理部启动地震Ⅲ级应急响应。", "earthquake", "III"),
        ("应急管理部启动地质灾害Ⅳ级应急响应。", "geologic", "IV"),
    ],
)
def test_flood_and_rainstorm_are_other_hazards(sentence: str, hazard: str, level: str) -> None:
    event = _only(sentence)
    assert (event.hazard, event.level) == (hazard, level)
    assert event.storm is None


@pytest.mark.parametrize(
    "text",
    [
        "演员台风稳健,舞台台风十足,赢得满堂彩。",
        "台风过后,各镇街忙着清理倒伏树木,恢复生产。",
        "去年台风“利奇马”期间,我区启动防台风Ⅰ级应急响应。",
        "预计东海风力4级,阵风8级。",
        "各部门按照防台风Ⅳ级应急响应要求,落实各项管控措施。",
        "我区今天举行防台风应急演练,模拟启动防台风Ⅳ级应急响应。",
        "如台风影响加剧,区防指将启动防台风Ⅲ级应急响应。",
        "要求各地及时启动防汛Ⅳ级应急响应。",
        "当地立即启动应急响应,组织人员转移。",
        "海事部门及时发布预警信息,组织船舶回港避风。",
    ],
)
def test_not_an_alert(text: str) -> None:
    assert _detect(text, home_region="萧山区") == []


@pytest.mark.corpus
def test_only_the_anchor_characters_normalise_to_them() -> None:
    """The detector skips text without 响 or 预: sound only while no other code point becomes
    one of them under NFKC (checked here, so a Unicode upgrade cannot break it silently)."""
    assert ANCHORS == ("响应", "预警")
    assert {anchor[0] for anchor in ANCHORS} == set(ANCHOR_CHARS)
    found = {
        char
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF
        for char in ANCHOR_CHARS
        if char in unicodedata.normalize("NFKD", chr(code))
    }
    assert found == set(ANCHOR_CHARS)
    assert all(not unicodedata.decomposition(char) for char in ANCHOR_CHARS)


@pytest.mark.parametrize(
    "text",
    [
        "区防指昨日启动防台风Ⅳ级应急响应。",
        "中央气象台发布台风橙色预警。",
        "区防指昨日启动防台风Ⅳ级应急响(红色)应。",  # the analysed text joins the anchor
    ],
)
def test_anchor_found_after_normalising_still_counts(text: str) -> None:
    assert len(_detect(text)) == 1


def test_dev_set_floors(corpora_dir: Path) -> None:
    """The hand-labelled 新闻联播 items stay above the figures in docs/quality.md."""
    from tests.quality import alert_eval

    items = alert_eval.load_items()
    scores, _ = alert_eval.evaluate(alert_eval.load_labels(), items)
    assert scores["tune"].precision >= 0.95
    assert scores["tune"].recall >= 0.95
    assert scores["tune typhoon"].f1 >= 0.97
    assert scores["held_out"].f1 >= 0.85
    assert scores["held_out typhoon"].f1 >= 0.85
    assert scores["all"].level_accuracy >= 0.97
