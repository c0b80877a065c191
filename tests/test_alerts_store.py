"""Alert events are stored once, and states follow starts, raises, adjustments and ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.alerts.detector import detect_alerts
from bot.alerts.state import AlertQueryService, AlertRecorder, change_direction
from bot.clock import ManualClock
from storage.articles import NewArticle
from storage.database import Database, alembic_config
from tests.conftest import scratch_database, store_article

NOW = datetime(2023, 7, 31, 1, 0, tzinfo=UTC)


def _query(db: Database, now: datetime = NOW + timedelta(days=1), **kwargs) -> AlertQueryService:
    """The read side as of ``now`` (a day after the seed page unless told)."""
    return AlertQueryService(db, clock=ManualClock(now), **kwargs)


async def _record(db: Database, title: str, paragraphs: list[str], edition: date) -> list:
    events = detect_alerts(title, paragraphs, edition, home_region="萧山区")
    async with db.session() as session:
        article = await store_article(
            session,
            NewArticle(
                paper="萧山日报", edition_date=edition, title=title,
                content_hash=f"{title}{edition}".encode().hex()[:64], section="应急",
                paragraphs=tuple(paragraphs),
            ),
            ingested_at=NOW,
        )
        return await AlertRecorder(session, NOW).record(article, events)


START = (
    "我区启动防台风Ⅳ级应急响应",
    ["今年第6号台风“卡努”昨日19时中心位于菲律宾以东洋面上。",
     "区防指决定昨日20时30分启动防台风Ⅳ级应急响应。"],
    date(2023, 7, 31),
)


async def test_the_same_event_reported_again_is_not_new(db: Database) -> None:
    first = await _record(db, *START)
    assert [(s.record.action, s.record.level) for s in first] == [("start", "IV")]
    again = await _record(
        db, "台风“卡努”逼近", ["区防指于7月30日20时30分启动防台风Ⅳ级应急响应。"], date(2023, 8, 1)
    )
    assert [s.new for s in again] == [False]


async def test_raise_and_end_update_the_state(db: Database) -> None:
    await _record(db, *START)
    raised = await _record(
        db, "我区提升防台风应急响应至Ⅲ级",
        ["受第6号台风“卡努”影响,区防指决定于8月1日12时将防台风Ⅳ级应急响应提升至Ⅲ级。"],
        date(2023, 8, 2),
    )
    assert len(raised) == 1
    assert (raised[0].record.level, raised[0].record.previous_level) == ("III", "IV")
    assert raised[0].record.direction == "up"
    # In force: only the response's latest event; --all lists the superseded start too.
    events = await _query(db, NOW + timedelta(days=2)).events()
    assert [(e["level"], e["in_force"]) for e in events] == [("III", True)]
    every = await _query(db, NOW + timedelta(days=2)).events(include_ended=True)
    assert {(e["level"], e["in_force"]) for e in every} == {("IV", False), ("III", True)}

    ended = await _record(
        db, "我区解除防台风应急响应", ["区防指决定于8月3日18时解除防台风Ⅲ级应急响应。"],
        date(2023, 8, 4),
    )
    assert len(ended) == 1 and ended[0].ended
    after = _query(db, NOW + timedelta(days=4))
    assert await after.events() == []
    assert len(await after.events(include_ended=True)) == 3
    assert await after.active() == []


async def test_alert_json_shape(db: Database) -> None:
    await _record(db, *START)
    [event] = await _query(db).events()
    assert {k: event[k] for k in ("hazard", "kind", "action", "level", "storm", "authority",
                                  "region", "effective_at")} == {
        "hazard": "typhoon", "kind": "response", "action": "start", "level": "IV",
        "storm": {"year": 2023, "number": 6, "name": "卡努"}, "authority": "区防指",
        "region": "萧山区", "effective_at": "2023-07-30T20:30:00+08:00",
    }
    assert set(event) >= {"id", "article_id", "summary"}
    assert event["reports"] == [event["article_id"]]
    assert event["first_reported_at"] == event["last_reported_at"] == "2023-07-31T00:00:00+08:00"
    assert event["in_force"] is True


async def test_a_second_report_links_to_the_same_event_and_moves_last_reported_at(
    db: Database,
) -> None:
    [first] = await _record(db, *START)
    # The next day's paper restates the start (same time): no new event, a newer report.
    again = await _record(
        db, "台风“卡努”逼近", ["区防指于7月30日20时30分启动防台风Ⅳ级应急响应。"], date(2023, 8, 1)
    )
    assert [(s.new, s.record.id) for s in again] == [(False, first.record.id)]
    # The day after, 维持 at the same level: still the same event, reported once more.
    kept = await _record(
        db, "我区继续做好防台工作", ["受第6号台风“卡努”影响,区防指继续维持防台风Ⅳ级应急响应。"],
        date(2023, 8, 2),
    )
    assert [(s.new, s.record.id) for s in kept] == [(False, first.record.id)]
    [event] = await _query(db, NOW + timedelta(days=2)).events()
    assert event["id"] == first.record.id
    assert len(event["reports"]) == 3 and event["reports"][0] == first.record.article_id
    assert event["first_reported_at"] == "2023-07-31T00:00:00+08:00"
    assert event["last_reported_at"] == "2023-08-02T00:00:00+08:00"
    assert event["in_force"] is True
    [latest] = await _query(db, NOW + timedelta(days=2)).active()
    assert latest.last_article_id == event["reports"][-1] != latest.article_id


async def test_a_2023_page_loaded_today_lists_nothing_in_force(db: Database) -> None:
    await _record(db, *START)
    today = _query(db, datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    assert await today.events() == []
    [event] = await today.events(include_ended=True)
    assert event["in_force"] is False and event["action"] == "start"
    overview = await today.overview()
    assert overview.in_force == []
    assert [e.id for e in overview.stale] == [event["id"]]
    # The window is a setting: 72 h after the report it is stale, within it in force.
    reported = datetime(2023, 7, 30, 16, 0, tzinfo=UTC)  # 2023-07-31 00:00 in Shanghai
    assert len(await _query(db, reported + timedelta(hours=72)).events()) == 1
    assert await _query(db, reported + timedelta(hours=73)).events() == []
    assert len(await _query(db, reported + timedelta(hours=73),
                            stale_after=timedelta(hours=100)).events()) == 1
    assert len(await _query(db, datetime(2026, 12, 5, tzinfo=UTC), stale_after=None).events()) == 1


async def test_a_raise_after_a_restatement_is_still_news(db: Database) -> None:
    await _record(db, *START)
    await _record(
        db, "我区继续做好防台工作", ["区防指继续维持防台风Ⅳ级应急响应。"], date(2023, 8, 1)
    )
    raised = await _record(
        db, "我区提升防台风应急响应至Ⅲ级",
        ["受第6号台风“卡努”影响,区防指决定于8月1日12时将防台风Ⅳ级应急响应提升至Ⅲ级。"],
        date(2023, 8, 2),
    )
    assert [(s.record.action, s.record.level) for s in raised] == [("raise", "III")]


def test_adjustment_direction_compares_severity() -> None:
    assert change_direction("IV", "III") == "up"
    assert change_direction("II", "IV") == "down"
    assert change_direction("blue", "orange") == "up"
    assert change_direction(None, "IV") is None


async def test_a_later_start_elsewhere_or_long_after_is_a_new_event(db: Database) -> None:
    """Only a recent report of the same places restates an event: 国家防总 starting the same
    level for another province, or again weeks later, is news."""
    flood = "国家防总今天针对湖南启动防汛Ⅳ级应急响应。"
    [first] = await _record(db, "国家防总启动防汛应急响应", [flood], date(2024, 6, 12))
    assert first.new and first.record.region == "湖南省"
    [elsewhere] = await _record(
        db, "国家防总针对江西启动应急响应", ["国家防总今天针对江西启动防汛Ⅳ级应急响应。"],
        date(2024, 6, 13),
    )
    assert elsewhere.new and elsewhere.record.region == "江西省"
    [kept] = await _record(
        db, "国家防总维持应急响应", ["国家防总继续维持针对江西的防汛Ⅳ级应急响应。"],
        date(2024, 6, 14),
    )
    assert not kept.new and kept.record.id == elsewhere.record.id
    [weeks_later] = await _record(
        db, "国家防总再次启动应急响应", ["国家防总今天针对江西启动防汛Ⅳ级应急响应。"],
        date(2024, 7, 20),
    )
    assert weeks_later.new


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database migrated only to 0006 (alert events without reports)."""

    def upgrade_to_0006(connection: object) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0006_search_ranking_columns")

    async with scratch_database(request.param, tmp_path) as database:
        async with database.engine.begin() as connection:
            await connection.run_sync(upgrade_to_0006)
        yield database


async def test_events_stored_before_reports_existed_get_their_own_article_as_report(
    db_at_0006: Database,
) -> None:
    async with db_at_0006.session() as session:
        # A 0006-shaped row, by SQL: the ORM model has columns later migrations add.
        article_id = (await session.execute(text(
            "INSERT INTO articles (paper, edition_date, section, section_source, kind, title,"
            " reporters, paragraphs, subheads, content_hash, ingested_at) VALUES ('萧山日报',"
            " :day, '应急', 'auto', 'article', 't', '[]', '[]', '[]', :hash, :now) RETURNING id"
        ), {"day": date(2023, 7, 31), "hash": "h" * 64, "now": NOW})).scalar_one()
        await session.execute(
            text(
                "INSERT INTO alert_events (article_id, hazard, kind, action, level, authority, "
                "authority_key, effective_at, time_stated, summary, dedupe_key, detected_at) "
                "VALUES (:a, 'typhoon', 'response', 'start', 'IV', '区防指', '区防指', :t, :s, "
                "'区防指启动防台风Ⅳ级应急响应', 'k', :t)"
            ),
            {"a": article_id, "t": datetime(2023, 7, 30, 12, 30), "s": True},
        )
    await db_at_0006.upgrade()
    [event] = await _query(db_at_0006, stale_after=None).events(include_ended=True)
    assert event["reports"] == [article_id] and event["issuer"] == "区防指"
    assert event["first_reported_at"] == event["last_reported_at"] == "2023-07-30T20:30:00+08:00"
