"""The article store behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.articles import ArticleRepository, NewArticle
from storage.database import Database, DatabaseUnavailableError

NOW = datetime(2023, 7, 31, 1, 0, tzinfo=UTC)


def _article(title: str = "我区启动防台风Ⅳ级应急响应", digest: str = "a" * 64) -> NewArticle:
    return NewArticle(
        paper="萧山日报",
        edition_date=date(2023, 7, 31),
        page=1,
        title=title,
        content_hash=digest,
        section="应急",
        byline="本报讯(首席记者 黄婷 通讯员 盛振刚)",
        reporters=("黄婷", "盛振刚"),
        paragraphs=("今年第6号台风“卡努”……", "区防指决定昨日20时30分启动防台风Ⅳ级应急响应。"),
    )


async def test_article_round_trips_with_all_fields(db: Database) -> None:
    async with db.session() as session:
        [article] = await ArticleRepository(session).add_many([_article()], ingested_at=NOW)
    async with db.session() as session:
        stored = await ArticleRepository(session).get(article.id)
    assert stored is not None
    assert stored.title == "我区启动防台风Ⅳ级应急响应"
    assert stored.reporters == ["黄婷", "盛振刚"]
    assert stored.paragraphs[1].endswith("应急响应。")
    assert stored.edition_date == date(2023, 7, 31)
    assert stored.ingested_at == NOW
    assert stored.ingested_at.tzinfo is not None


async def test_json_columns_are_stored_as_utf8_and_escaped_rows_still_read(db: Database) -> None:
    async with db.session() as session:
        [article] = await ArticleRepository(session).add_many([_article()], ingested_at=NOW)
    async with db.session() as session:
        raw = await session.scalar(
            text("SELECT CAST(paragraphs AS TEXT) FROM articles WHERE id = :id"), {"id": article.id}
        )
        assert "应急响应" in raw and "\\u" not in raw
        # A row written before (ASCII escapes) reads back the same.
        await session.execute(
            text("UPDATE articles SET reporters = :escaped WHERE id = :id"),
            {"escaped": '["\\u9ec4\\u5a77"]', "id": article.id},
        )
    async with db.session() as session:
        stored = await ArticleRepository(session).get(article.id)
    assert stored is not None
    assert stored.reporters == ["黄婷"]


async def test_same_content_hash_is_found_and_never_stored_twice(db: Database) -> None:
    """The ingest's dedupe: stored hashes are found in one lookup (the rest are new), and the
    store itself refuses a second row with the same content hash."""
    async with db.session() as session:
        [first] = await ArticleRepository(session).add_many([_article()], ingested_at=NOW)
    async with db.session() as session:
        found = await ArticleRepository(session).find_by_hashes(
            [_article().content_hash, "f" * 64, _article().content_hash]
        )
    assert {h: a.id for h, a in found.items()} == {_article().content_hash: first.id}
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await ArticleRepository(session).add_many([_article()], ingested_at=NOW)
    async with db.session() as session:
        assert await ArticleRepository(session).count() == 1


async def test_failed_transaction_stores_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await ArticleRepository(session).add_many([_article()], ingested_at=NOW)
            raise RuntimeError("the file turned out to be bad half-way")
    async with db.session() as session:
        assert await ArticleRepository(session).count() == 0


async def test_sections_are_counted_and_listed_newest_first(db: Database) -> None:
    async with db.session() as session:
        repo = ArticleRepository(session)
        newer = replace(_article("新", "2" * 64), edition_date=date(2023, 8, 1))
        await repo.add_many([_article("旧", "1" * 64), newer], ingested_at=NOW)
    async with db.session() as session:
        repo = ArticleRepository(session)
        assert await repo.section_counts() == {"应急": 2}
        assert [a.title for a in await repo.newest_in_section("应急")] == ["新", "旧"]
        assert await repo.latest_edition() == date(2023, 8, 1)


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.session() as session:
            await ArticleRepository(session).add_many(
                [_article()], ingested_at=datetime(2023, 7, 31, 1, 0)
            )


async def test_upgrade_is_idempotent(db: Database) -> None:
    await db.upgrade()
    async with db.engine.connect() as connection:
        versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    assert len(versions) == 1


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    await db.upgrade()
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 10_000
    await db.dispose()


async def test_unreachable_database_gives_a_clear_error(tmp_path) -> None:
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        Database(f"sqlite:///{tmp_path}/no/such/folder/x.db")
    database = Database("postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    with pytest.raises(DatabaseUnavailableError, match="cannot open database"):
        await database.check()
    await database.dispose()
    with pytest.raises(DatabaseUnavailableError, match="unsupported database"):
        Database("mysql://root@localhost/x")


async def test_add_many_numbers_a_batch_in_input_order_and_keeps_the_objects(
    db: Database,
) -> None:
    """Multi-row INSERT … RETURNING gives no row order: ids are matched by content hash, and
    the articles keep printing order (ids ascend in input order, which page listings use)."""
    from sqlalchemy import inspect

    drafts = [
        _article(f"第{n}篇", digest=f"{n:064d}")
        for n in (7, 3, 1200, 5, 9, 1, 1100, 2, 8, 4, 6, 1300)
    ] + [_article(f"第{n}篇", digest=f"{n + 5000:064d}") for n in range(1500)]
    async with db.session() as session:
        repo = ArticleRepository(session)
        added = await repo.add_many(drafts, ingested_at=NOW, source_file_id=None)
        assert [a.content_hash for a in added] == [d.content_hash for d in drafts]
        assert [a.id for a in added] == sorted(a.id for a in added)
        assert len({a.id for a in added}) == len(drafts)
        assert all(inspect(a).persistent and not session.is_modified(a) for a in added)
        assert await repo.get(added[0].id) is added[0]  # the session's own object
        assert await repo.add_many([], ingested_at=NOW) == []
    async with db.session() as session:
        stored = await ArticleRepository(session).get_many([a.id for a in added])
    assert [(s.id, s.title, s.content_hash) for s in stored] == [
        (a.id, a.title, a.content_hash) for a in added
    ]
    assert stored[0].reporters == ["黄婷", "盛振刚"] and stored[0].ingested_at == NOW
