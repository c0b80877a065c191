"""Alert notices: what a reader is told, in their language, queued once per chat and event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.ingest.service import IngestService
from bot.pushes.alerts import AlertNotifier, wants_alert
from bot.render.alerts import render_alert_notice
from bot.render.callback_data import CallbackCodec, OpenArticle
from bot.render.html_text import plain_text
from bot.render.i18n import Translator
from storage.alerts import AlertRepository
from storage.chats import ChatRepository
from storage.database import Database
from storage.models import AlertEventRecord, Chat
from tests.conftest import deliveries_for_chat

CODEC = CallbackCodec("test-secret")
AFTER_SEED = datetime(2023, 7, 31, 0, 30, tzinfo=UTC)


def _event(**changes: object) -> AlertEventRecord:
    values = dict(
        id=1, article_id=4, hazard="typhoon", kind="response", action="start", level="IV",
        previous_level=None, direction=None, storm_year=2023, storm_number=6, storm_name="卡努",
        authority="区防指", authority_key="区防指", issuer="区防指", region="萧山区",
        effective_at=datetime(2023, 7, 30, 12, 30, tzinfo=UTC), time_stated=True,
        summary="区防指决定昨日20时30分启动防台风Ⅳ级应急响应。",
        impact="受“卡努”环流影响,我区8月2—4日将有明显风雨天气。", dedupe_key="k",
    )
    values.update(changes)
    return AlertEventRecord(**values)


def test_start_notice_says_what_happened_and_where_it_comes_from() -> None:
    part = render_alert_notice(_event(), Translator.for_language("zh-hans"), CODEC)
    text = plain_text(part.html)
    assert text.startswith("🌀 萧山区防指启动防台风Ⅳ级应急响应")
    for expected in ("2023年第6号台风“卡努”", "级别：Ⅳ级", "发布：区防指", "2023年7月30日 20:30",
                     "8月2—4日将有明显风雨天气", "以官方发布为准"):
        assert expected in text
    assert "💡" in text
    [[button]] = part.keyboard
    assert CODEC.decode(button.callback_data) == OpenArticle(4)


def test_raised_notice_names_the_previous_level() -> None:
    event = _event(action="raise", level="III", previous_level="IV", direction="up")
    text = plain_text(render_alert_notice(event, Translator.for_language("zh"), CODEC).html)
    assert "提升至Ⅲ级" in text and "级别：Ⅲ级（升级，原为Ⅳ级）" in text


def test_ended_notice_and_other_languages() -> None:
    ended = plain_text(render_alert_notice(
        _event(action="end", level=None), Translator.for_language("zh"), CODEC).html)
    assert ended.startswith("✅ 萧山区防指解除防台风应急响应") and "已解除" in ended
    hant = plain_text(render_alert_notice(_event(), Translator.for_language("zh-hk"), CODEC).html)
    assert "颱風" in hant and "以官方發布為準" in hant
    english = plain_text(render_alert_notice(_event(), Translator.for_language("en"), CODEC).html)
    assert "starts the typhoon emergency response at level Ⅳ" in english


def test_hostile_article_text_is_escaped() -> None:
    part = render_alert_notice(
        _event(authority="<b>区防指</b>", issuer="<b>区防指</b>", impact="a & b <script>"),
        Translator.for_language("zh"), CODEC,
    )
    assert "<script>" not in part.html and "&lt;script&gt;" in part.html


async def _subscribe(db: Database, chat_id: int, **settings: object) -> None:
    async with db.session() as session:
        chats = ChatRepository(session)
        await chats.upsert_seen(chat_id, now=AFTER_SEED, language=settings.pop("language", None))
        await chats.update_settings(chat_id, now=AFTER_SEED, subscribed=True, **settings)


async def test_new_event_is_queued_once_for_each_chat_with_alerts_on(
    db: Database, fixtures_dir: Path
) -> None:
    await _subscribe(db, 1)
    await _subscribe(db, 2, language="zh-hant")
    await _subscribe(db, 3, alerts_enabled=False)
    await IngestService(db, Settings()).ingest([fixtures_dir / "xsrb-2023-07-31-01.txt"])
    notifier = AlertNotifier(db, CODEC, ManualClock(AFTER_SEED))
    report = await notifier.queue_pending()
    assert (report.events, report.notices) == (1, 2)
    assert (await notifier.queue_pending()).notices == 0
    async with db.session() as session:
        first = await deliveries_for_chat(session, 1)
        second = await deliveries_for_chat(session, 2)
        assert await deliveries_for_chat(session, 3) == []
        assert [d.kind for d in first] == ["alert"]
        assert first[0].parts[0]["disable_notification"] is False
        assert "颱風" in second[0].parts[0]["text"]
        assert first[0].priority > 10


async def test_old_events_from_an_archive_are_not_pushed(db: Database, fixtures_dir: Path):
    await _subscribe(db, 1)
    await IngestService(db, Settings()).ingest([fixtures_dir / "xsrb-2023-07-31-01.txt"])
    later = ManualClock(AFTER_SEED + timedelta(days=30))
    report = await AlertNotifier(db, CODEC, later).queue_pending()
    assert (report.events, report.notices, report.skipped_old) == (1, 0, 1)
    async with db.session() as session:
        assert await AlertRepository(session).unnotified() == []


@pytest.mark.parametrize("hazard", ["flood", "rainstorm"])
def test_other_hazards_only_reach_chats_that_opted_in(hazard: str) -> None:
    assert not wants_alert(Chat(alerts_enabled=True, other_hazards=False), hazard)
    assert wants_alert(Chat(alerts_enabled=True, other_hazards=True), hazard)
    assert wants_alert(Chat(alerts_enabled=True, other_hazards=False), "typhoon")
