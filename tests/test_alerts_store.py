"""Alert events are stored once, and states follow starts, raises, adjustments and ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.alerts.detector import detect_alerts
from bot.alerts.state import AlertQueryService, AlertRecorder, change_direction
from storage.articles import ArticleRepository, NewArticle
from storage.database import Database

NOW = datetime(2023, 7, 31, 1, 0, tzinfo=UTC)


async def _record(db: Database, title: str, paragraphs: list[str], edition: date) -> list:
    events = detect_alerts(title, paragraphs, edition, home_region="萧山区")
    async with db.session() as session:
        article, _ = await ArticleRepository(session).add_if_new(
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
    assert again == []


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
    events = await AlertQueryService(db).events()
    assert {e["level"] for e in events} == {"IV", "III"}

    ended = await _record(
        db, "我区解除防台风应急响应", ["区防指决定于8月3日18时解除防台风Ⅲ级应急响应。"],
        date(2023, 8, 4),
    )
    assert len(ended) == 1 and ended[0].ended
    assert await AlertQueryService(db).events() == []
    assert len(await AlertQueryService(db).events(include_ended=True)) == 3
    assert await AlertQueryService(db).active() == []


async def test_alert_json_shape(db: Database) -> None:
    await _record(db, *START)
    [event] = await AlertQueryService(db).events()
    assert {k: event[k] for k in ("hazard", "kind", "action", "level", "storm", "authority",
                                  "region", "effective_at")} == {
        "hazard": "typhoon", "kind": "response", "action": "start", "level": "IV",
        "storm": {"year": 2023, "number": 6, "name": "卡努"}, "authority": "区防指",
        "region": "萧山区", "effective_at": "2023-07-30T20:30:00+08:00",
    }
    assert set(event) >= {"id", "article_id", "summary"}


def test_adjustment_direction_compares_severity() -> None:
    assert change_direction("IV", "III") == "up"
    assert change_direction("II", "IV") == "down"
    assert change_direction("blue", "orange") == "up"
    assert change_direction(None, "IV") is None
