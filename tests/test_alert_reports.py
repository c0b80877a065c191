"""Alerts that stay true: notices say what the text says, stale events are never "in force",
the latest report is what readers open, and the stale window is a setting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.alerts.detector import detect_alerts
from bot.alerts.lexicon import PLACEHOLDER_AUTHORITY_RE
from bot.alerts.state import AlertRecorder, StoredAlert
from bot.clock import ManualClock
from bot.config import DEFAULT_ALERT_STALE_HOURS, Settings, SettingsError
from bot.ingest.uploads import UploadSummary
from bot.render.alerts import (
    CHANGE_ACTIONS,
    headline_html,
    notice_fields,
    render_active_alerts,
    render_alert_notice,
)
from bot.render.callback_data import CallbackCodec, OpenArticle
from bot.render.digest import render_digest
from bot.render.html_text import plain_text
from bot.render.i18n import Translator, catalogue
from bot.render.views import render_upload_summary
from bot.subscriptions.digest import DigestPreferences, compose_digest
from storage.articles import NewArticle
from storage.database import Database
from storage.models import AlertEventRecord
from tests.conftest import store_article
from tests.test_alert_notices import _event
from tests.test_digest import PAPER, TYPHOON, article, material

CODEC = CallbackCodec("test-secret")
ZH = Translator.for_language("zh-hans")
EN = Translator.for_language("en")


def _text(event: AlertEventRecord, tr: Translator = ZH, **kwargs: object) -> str:
    return plain_text(render_alert_notice(event, tr, CODEC, **kwargs).html)


# --- headline and body agree --------------------------------------------------------------


def test_maintain_never_claims_a_change_the_text_does_not_state() -> None:
    """The 新闻联播 slip: headline 维持 while the body said "Ⅱ级（升级，原为Ⅲ级）"."""
    kept = _event(action="maintain", level="II", previous_level="III", direction="up")
    text = _text(kept)
    assert text.startswith("🌀 萧山区防指维持防台风Ⅱ级应急响应")
    assert "级别：Ⅱ级" in text and "原为" not in text and "升级" not in text
    started = _text(_event(action="start", level="III", previous_level="IV", direction="up"))
    assert "原为" not in started
    raised = _text(_event(action="raise", level="III", previous_level="IV", direction="up"))
    assert "提升至Ⅲ级" in raised and "级别：Ⅲ级（升级，原为Ⅳ级）" in raised


def test_english_labels_are_not_doubled() -> None:
    text = _text(_event(), EN)
    assert "Level: Ⅳ" in text and "level level" not in text.lower()
    assert "Level: level" not in text
    raised = _text(_event(action="raise", level="III", previous_level="IV", direction="up"), EN)
    assert "Level: Ⅲ (raised, was Ⅳ)" in raised
    warning = _text(_event(kind="warning", level="orange"), EN)
    assert "Level: orange" in warning
    # Section names are bracketed by the template only ("[Economy]", never "【[Economy]】").
    for key, template in catalogue("en").items():
        if "{section}" in template:
            shown = EN.text(key, section=EN.section("经济"), total=1, count=1, name="x",
                            choices="", number=1, date="", title="x", source="x")
            assert "【" not in shown and "[[" not in shown, key


def test_a_placeholder_subject_is_not_named_as_the_authority() -> None:
    other = _event(kind="warning", hazard="rainstorm", action="lower", level="yellow",
                   authority="其他区", authority_key="其他区", issuer="北京市", region="北京市",
                   storm_year=None)
    text = _text(other)
    assert text.startswith("🌧 北京市将暴雨预警降为黄色")
    assert "其他区" not in text.split("\n")[0] and "发布：北京市" in text
    nobody = _event(kind="warning", hazard="rainstorm", action="lower", level="yellow",
                    authority="各地", authority_key="各地", issuer=None, region=None,
                    storm_year=None)
    text = _text(nobody)
    assert text.startswith("🌧 将暴雨预警降为黄色") and "发布：" not in text
    assert _text(nobody, EN).startswith("🌧 An authority downgrades the rainstorm warning")


@pytest.mark.parametrize(
    ("sentence", "authority", "issuer"),
    [
        ("北京市门头沟区处于暴雨橙色预警状态,其他区均降级为暴雨黄色预警。", "其他区", "北京市"),
        ("区防指昨日启动防台风Ⅳ级应急响应。", "区防指", "区防指"),
    ],
)
def test_the_detector_gives_placeholders_the_nearest_named_place(
    sentence: str, authority: str, issuer: str
) -> None:
    [event] = detect_alerts("", [sentence], date(2023, 8, 1), home_region="萧山区")
    assert (event.authority, event.issuer) == (authority, issuer)


@pytest.mark.parametrize(
    "word", ["其他区", "各地", "有关部门", "相关地区", "当地", "部分市县", "多地"]
)
def test_placeholder_words(word: str) -> None:
    assert PLACEHOLDER_AUTHORITY_RE.match(word)


@pytest.mark.parametrize("word", ["区防指", "国家防总", "北京市", "浙江省防指", "中央气象台"])
def test_named_authorities_are_not_placeholders(word: str) -> None:
    assert not PLACEHOLDER_AUTHORITY_RE.match(word)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_every_dev_set_notice_headline_agrees_with_its_body(
    corpora_dir: Path, db: Database
) -> None:
    """Every event of the labelled 新闻联播 dev set, stored in broadcast order as ingest would,
    rendered in Chinese and English: headline and body state the same authority, level and
    change, and no placeholder is named as the authority."""
    from tests.quality import alert_eval

    items = alert_eval.load_items()
    labels = sorted(alert_eval.load_labels(), key=lambda label: (label["date"], label["idx"]))
    records: list[AlertEventRecord] = []  # one per detected event (a known one: its record)
    now = datetime(2026, 12, 5, tzinfo=UTC)
    for number, label in enumerate(labels):
        item = items[(label["corpus"], label["idx"])]
        edition = date.fromisoformat(label["date"])
        paragraphs = tuple(item["text"].split("\n"))
        async with db.session() as session:
            stored = await store_article(
                session,
                NewArticle(paper="新闻联播", edition_date=edition, title=item["title"],
                           content_hash=f"{number:064d}", section="应急", paragraphs=paragraphs),
                ingested_at=now,
            )
            events = detect_alerts(item["title"], paragraphs, edition)
            found = await AlertRecorder(session, now).record(stored, events)
            records += [alert.record for alert in found]
    assert len(records) >= 300 and len({record.id for record in records}) >= 200
    for record in records:
        for tr in (ZH, EN):
            fields = notice_fields(record, tr)
            headline = plain_text(headline_html(fields, tr))
            body = _text(record, tr).split("\n", 2)[2]
            if fields.issuer:
                assert not PLACEHOLDER_AUTHORITY_RE.match(fields.issuer)
                assert fields.who is not None and tr.article_text(fields.who) in headline
                assert tr.html("alert.line.authority",
                               authority=tr.article_text(fields.issuer)) in body
            else:
                assert record.authority not in headline
            if fields.level and not fields.ended:
                assert fields.level in headline
                assert fields.level_value in body
            level_lines = [
                line for line in body.split("\n") if line.startswith(("Level:", "级别："))
            ]
            changed = any("was" in line or "原为" in line for line in level_lines)
            assert changed == (fields.previous_value is not None)
            if changed:
                assert record.action in CHANGE_ACTIONS
                assert {"raise": "up", "lower": "down"}.get(record.action, fields.direction) \
                    == fields.direction
            assert "level level" not in (headline + body).lower()


# --- in force, stale, latest report ---------------------------------------------------------


def test_alerts_open_the_latest_report_and_say_when_it_was() -> None:
    event = _event(last_article_id=9, last_reported_at=datetime(2023, 8, 1, 16, tzinfo=UTC))
    [part] = render_active_alerts([event], ZH, CODEC)
    text = plain_text(part.html)
    assert "最近报道：2023年8月2日" in text
    [[button]] = part.keyboard
    assert CODEC.decode(button.callback_data) == OpenArticle(9)
    assert button.text == "📰 最新报道"
    # A pushed notice (a new event) opens its own article.
    [[pushed]] = render_alert_notice(_event(), ZH, CODEC).keyboard
    assert CODEC.decode(pushed.callback_data) == OpenArticle(4)


def test_a_stale_event_is_never_shown_as_in_force() -> None:
    old = _event(last_article_id=4, last_reported_at=datetime(2023, 7, 30, 16, tzinfo=UTC))
    none, stale = render_active_alerts([], ZH, CODEC, stale=[old])
    assert "没有正在生效" in plain_text(none.html)
    text = plain_text(stale.html)
    assert "不列为正在生效" in text and "最近报道于2023年7月31日，此后没有新的报道" in text
    assert "💡" not in text  # no safety advice for something nobody says still applies
    [[button]] = stale.keyboard
    assert CODEC.decode(button.callback_data) == OpenArticle(4)
    english = plain_text(render_active_alerts([], EN, CODEC, stale=[old])[1].html)
    assert "last reported on" in english and "no newer report" in english


def test_the_digest_links_the_latest_report_and_says_when_it_was() -> None:
    latest = replace(TYPHOON, last_article_id=9, last_reported_on=date(2023, 8, 2))
    digest = compose_digest(DigestPreferences(7), date(2023, 8, 2), material(article(1, "经济")),
                            [latest])
    [part] = render_digest(digest, ZH, CODEC, PAPER)
    assert "最近报道：2023年8月2日" in plain_text(part.html)
    alert_buttons = [b for row in part.keyboard for b in row if b.text.startswith("⚠️")]
    assert [CODEC.decode(b.callback_data) for b in alert_buttons] == [OpenArticle(9)]


def test_the_upload_summary_names_the_alert_events_found() -> None:
    summary = UploadSummary(
        "page.txt", 1, 0, 1, ["我区启动防台风Ⅳ级应急响应"],
        [StoredAlert(_event(), ended=False),
         StoredAlert(_event(id=2, action="raise", level="III", previous_level="IV"),
                     ended=False, new=False)],
    )
    text = plain_text(render_upload_summary(summary, ZH).html)
    assert "发现的预警事件" in text
    assert "🌀 萧山区防指启动防台风Ⅳ级应急响应" in text
    assert "🌀 萧山区防指将防台风应急响应提升至Ⅲ级（已知事件，又一篇报道）" in text


# --- the setting -------------------------------------------------------------------------


def test_stale_hours_setting() -> None:
    default = Settings.from_env({}, env_file=None)
    assert default.alert_stale_after == timedelta(hours=DEFAULT_ALERT_STALE_HOURS)
    env = {"NEWSBRIEF_ALERT_STALE_HOURS": "36"}
    assert Settings.from_env(env, env_file=None).alert_stale_after == timedelta(hours=36)
    env = {"NEWSBRIEF_ALERT_STALE_HOURS": "0"}
    assert Settings.from_env(env, env_file=None).alert_stale_after is None
    for bad in ("soon", "-1", "inf", "nan"):
        with pytest.raises(SettingsError, match="NEWSBRIEF_ALERT_STALE_HOURS"):
            Settings.from_env({"NEWSBRIEF_ALERT_STALE_HOURS": bad}, env_file=None)


def test_alert_json_contract_is_documented() -> None:
    """docs/cli.md names the fields alerts --json and parse --json gained."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text("utf-8")
    for field in ("reports", "first_reported_at", "last_reported_at", "in_force", "issuer"):
        assert f"`{field}`" in doc


# --- the digest against a real store ----------------------------------------------------------


async def test_a_digest_dated_today_lists_no_2023_alert_as_in_force(
    db: Database, fixtures_dir: Path
) -> None:
    """Loading the 2023 seed page today: the digest has no "正在生效的预警"; the same page on
    its own day (a preview of 2023-08-01) lists the response and opens its latest report."""
    from bot.ingest.service import IngestService
    from tests.test_digest_scheduler import scheduler, subscribe

    await IngestService(db, Settings()).ingest([fixtures_dir / "xsrb-2023-07-31-01.txt"])
    await subscribe(db)
    today = scheduler(db, ManualClock(datetime(2026, 12, 5, 1, 0, tzinfo=UTC)))
    [now_preview] = await today.preview()
    text = "\n".join(str(part.html) for part in now_preview.parts)
    assert "正在生效的预警" not in text
    [then] = await today.preview(local_date=date(2023, 8, 1))
    text = "\n".join(str(part.html) for part in then.parts)
    assert "正在生效的预警" in text and "最近报道：2023年7月31日" in text
