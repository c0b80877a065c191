"""The digest scheduler against a real store: the hour, restarts, grace, DST, cursors, preview."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.pushes.digests import DigestOptions, DigestScheduler
from bot.render.callback_data import CallbackCodec
from storage.articles import NewArticle
from storage.chats import ChatRepository
from storage.database import Database
from storage.models import Chat
from tests.conftest import deliveries_for_chat, store_article

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
CODEC = CallbackCodec("test-token")
CHAT = 1001


def local(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz).astimezone(UTC)


async def add_articles(db: Database, edition: date, *items: tuple[str, str]) -> list[int]:
    ids = []
    async with db.session() as s:
        for title, section in items:
            article = await store_article(
                s,
                NewArticle(
                    paper="萧山日报", edition_date=edition, title=title,
                    content_hash=f"{edition}-{title}", section=section, page=1,
                    paragraphs=(f"{title}的第一句话在这里。", "第二段。"),
                ),
                ingested_at=datetime(2023, 7, 31, tzinfo=UTC),
            )
            ids.append(article.id)
    return ids


async def subscribe(db: Database, chat_id: int = CHAT, **settings: object) -> None:
    now = datetime(2023, 7, 1, tzinfo=UTC)
    async with db.session() as s:
        repo = ChatRepository(s)
        await repo.upsert_seen(chat_id, now=now, language="zh-hans")
        await repo.update_settings(chat_id, now=now, subscribed=True, **settings)


def scheduler(db: Database, clock: ManualClock, **options: object) -> DigestScheduler:
    return DigestScheduler(db, CODEC, paper="萧山日报", clock=clock,
                           options=DigestOptions(**options))  # type: ignore[arg-type]


async def digests(db: Database, chat_id: int = CHAT) -> list[tuple[str, list[str]]]:
    async with db.session() as s:
        rows = await deliveries_for_chat(s, chat_id)
    return [(r.ref, [p["text"] for p in r.parts]) for r in rows if r.kind == "digest"]


async def chat_row(db: Database, chat_id: int = CHAT) -> Chat:
    async with db.session() as s:
        chat = await ChatRepository(s).get(chat_id)
        assert chat is not None
        return chat


async def test_digest_goes_out_at_the_chats_hour_and_only_once(db: Database) -> None:
    await add_articles(db, date(2023, 7, 31), ("萧山经济运行平稳", "经济"), ("村BA决赛", "文体"))
    await subscribe(db, digest_time="07:30")
    clock = ManualClock(local(SHANGHAI, 2023, 8, 1, 7, 29, 59))
    jobs = scheduler(db, clock)
    assert (await jobs.run_due()).enqueued == 0
    assert await digests(db) == []
    clock.advance(timedelta(seconds=1))
    assert (await jobs.run_due()).enqueued == 1
    assert (await jobs.run_due()).enqueued == 0
    [(ref, texts)] = await digests(db)
    assert ref == "2023-08-01"
    assert "萧山经济运行平稳" in texts[0] and "村BA决赛" in texts[0]
    assert (await chat_row(db)).last_digest_date == date(2023, 8, 1)


async def test_restart_across_the_hour_sends_one_digest(db: Database) -> None:
    await add_articles(db, date(2023, 7, 31), ("萧山经济运行平稳", "经济"))
    await subscribe(db, digest_time="07:30")
    clock = ManualClock(local(SHANGHAI, 2023, 8, 1, 7, 0))
    assert (await scheduler(db, clock).run_due()).enqueued == 0  # before the hour; then "down"
    clock.set(local(SHANGHAI, 2023, 8, 1, 9, 15))  # the bot comes back after the hour
    assert (await scheduler(db, clock).run_due()).enqueued == 1
    assert (await scheduler(db, clock).run_due()).enqueued == 0  # and restarts again
    assert len(await digests(db)) == 1


async def test_down_longer_than_the_grace_window_skips_the_day(db: Database) -> None:
    await add_articles(db, date(2023, 7, 31), ("萧山经济运行平稳", "经济"))
    await subscribe(db, digest_time="07:30")
    clock = ManualClock(local(SHANGHAI, 2023, 8, 1, 9, 31))
    assert (await scheduler(db, clock, grace=timedelta(hours=2)).run_due()).due == 0
    clock.set(local(SHANGHAI, 2023, 8, 2, 7, 30))
    assert (await scheduler(db, clock, grace=timedelta(hours=2)).run_due()).enqueued == 1


async def test_london_chat_gets_its_digest_at_local_hour_across_the_clock_change(
    db: Database,
) -> None:
    await add_articles(db, date(2023, 3, 25), ("周六新闻", "社会"))
    await subscribe(db, digest_time="07:30", timezone="Europe/London")
    clock = ManualClock(datetime(2023, 3, 25, 7, 29, 59, tzinfo=UTC))  # GMT
    jobs = scheduler(db, clock)
    assert (await jobs.run_due()).enqueued == 0
    clock.set(datetime(2023, 3, 25, 7, 30, tzinfo=UTC))
    assert (await jobs.run_due()).enqueued == 1
    await add_articles(db, date(2023, 3, 26), ("周日新闻", "社会"))
    clock.set(datetime(2023, 3, 26, 6, 29, 59, tzinfo=UTC))  # 07:29:59 BST
    assert (await jobs.run_due()).enqueued == 0
    clock.set(datetime(2023, 3, 26, 6, 30, tzinfo=UTC))  # 07:30 BST
    assert (await jobs.run_due()).enqueued == 1
    clock.set(datetime(2023, 3, 26, 7, 30, tzinfo=UTC))  # what 07:30 GMT would have been
    assert (await jobs.run_due()).enqueued == 0
    assert [ref for ref, _ in await digests(db)] == ["2023-03-25", "2023-03-26"]


async def test_next_digest_has_only_what_is_new_and_quiet_days_send_nothing(
    db: Database,
) -> None:
    await add_articles(db, date(2023, 7, 31), ("第一天的新闻", "经济"))
    await subscribe(db, digest_time="07:30")
    clock = ManualClock(local(SHANGHAI, 2023, 8, 1, 7, 30))
    jobs = scheduler(db, clock)
    await jobs.run_due()
    await add_articles(db, date(2023, 8, 1), ("第二天的新闻", "经济"))
    clock.set(local(SHANGHAI, 2023, 8, 2, 7, 30))
    await jobs.run_due()
    clock.set(local(SHANGHAI, 2023, 8, 3, 7, 30))
    report = await jobs.run_due()
    assert report.due == 1 and report.quiet == 1 and report.enqueued == 0
    sent = await digests(db)
    assert [ref for ref, _ in sent] == ["2023-08-01", "2023-08-02"]
    assert "第一天的新闻" not in sent[1][1][0] and "第二天的新闻" in sent[1][1][0]
    assert (await chat_row(db)).last_digest_date == date(2023, 8, 3)


async def test_quiet_day_note_when_configured(db: Database) -> None:
    await subscribe(db, digest_time="07:30")
    clock = ManualClock(local(SHANGHAI, 2023, 8, 1, 7, 30))
    await scheduler(db, clock, send_empty_note=True).run_due()
    [(_, texts)] = await digests(db)
    assert texts == ["萧山日报：自上次简报以来没有新文章。"]


async def test_each_chat_gets_only_its_sections(db: Database) -> None:
    await add_articles(db, date(2023, 7, 31), ("萧山经济运行平稳", "经济"), ("村BA决赛", "文体"))
    await subscribe(db, 1, digest_time="07:30", sections=["文体"])
    await subscribe(db, 2, digest_time="07:30", sections=["时政"])
    clock = ManualClock(local(SHANGHAI, 2023, 8, 1, 7, 30))
    report = await scheduler(db, clock).run_due()
    assert report.enqueued == 1 and report.quiet == 1
    [(_, texts)] = await digests(db, 1)
    assert "村BA决赛" in texts[0] and "萧山经济" not in texts[0]


async def test_preview_prints_exactly_what_is_then_enqueued(db: Database) -> None:
    await add_articles(db, date(2023, 7, 31), ("萧山经济运行平稳", "经济"), ("村BA决赛", "文体"))
    await subscribe(db, digest_time="07:30")
    clock = ManualClock(local(SHANGHAI, 2023, 8, 1, 7, 0))
    jobs = scheduler(db, clock)
    [preview] = await jobs.preview([CHAT], date(2023, 8, 1))
    assert preview.queued is False and await digests(db) == []
    clock.set(local(SHANGHAI, 2023, 8, 1, 7, 30))
    await jobs.run_due()
    async with db.session() as s:
        [row] = await deliveries_for_chat(s, CHAT)
    assert row.parts == [part.to_outbox() for part in preview.parts]
    [again] = await jobs.preview([CHAT], date(2023, 8, 1))
    assert again.queued is True and again.parts == preview.parts
