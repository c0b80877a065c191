"""Search finds every article containing what the reader typed, best first, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.search.query import QueryError
from bot.search.service import (
    SearchPage,
    SearchService,
    index_articles,
    make_snippet,
    optimize_index,
    reindex,
)
from bot.search.tokens import term_matcher
from bot.text.normalization import normalize_for_matching
from storage import search_index
from storage.articles import ArticleRepository, NewArticle
from storage.database import Database, alembic_config
from storage.search_index import IndexQuery, SearchIndex
from tests.conftest import migrated_database, scratch_database

NOW = datetime(2023, 7, 31, 1, 0, tzinfo=UTC)
DAY = date(2023, 7, 31)


def _new(
    title: str, body: str = "", *, day: date = DAY, section: str = "经济", kicker: str | None = None
) -> NewArticle:
    return NewArticle(
        paper="萧山日报",
        edition_date=day,
        title=title,
        content_hash=uuid.uuid4().hex,
        section=section,
        kicker=kicker,
        paragraphs=tuple(p for p in body.split("\n") if p),
    )


async def _store(db: Database, *articles: NewArticle) -> list[int]:
    """Store and index articles the way the ingest does: one transaction."""
    async with db.session() as session:
        repo = ArticleRepository(session)
        stored = await repo.add_many(articles, ingested_at=NOW)
        await index_articles(session, stored)
    return [a.id for a in stored]


async def _ids(db: Database, query: str, **kwargs: object) -> list[int]:
    page = await SearchService(db).search(query, **kwargs)  # type: ignore[arg-type]
    return [hit.id for hit in page.results]


# --- recall --------------------------------------------------------------------------------


async def test_subword_query_finds_article(db: Database) -> None:
    [zone, firms, other] = await _store(
        db,
        _new("萧山经开区新签约项目", "项目落地萧山经开区。"),
        _new("我区新增一批专精特新企业", "专精特新“小巨人”企业达到12家。"),
        _new("台风过境", "无关内容"),
    )
    assert await _ids(db, "经开") == [zone]
    assert await _ids(db, "特新") == [firms]
    assert await _ids(db, "新签") == [zone]
    assert other not in await _ids(db, "经开")


async def test_traditional_and_simplified_find_each_other(db: Database) -> None:
    [zone, storm] = await _store(
        db, _new("萧山经开区新签约项目"), _new("颱風「卡努」逼近", "防颱風應急響應")
    )
    assert await _ids(db, "經開區") == [zone]
    assert await _ids(db, "台风") == [storm]
    assert await _ids(db, "颱風") == [storm]
    assert await _ids(db, "应急响应") == [storm]


async def test_single_character_finds_every_article_with_it(db: Database) -> None:
    [tax, both, none] = await _store(
        db, _new("减税降费", "为企业减负"), _new("新闻", "个税改革"), _new("天气", "晴")
    )
    assert sorted(await _ids(db, "税")) == sorted([tax, both])
    assert none not in await _ids(db, "税")
    assert await _ids(db, "稅") == await _ids(db, "税")  # traditional form of the same character


async def test_term_at_end_of_text_and_in_title_only(db: Database) -> None:
    [a] = await _store(db, _new("关于加梯", "小区居民盼加梯"))
    assert await _ids(db, "加梯") == [a]
    assert await _ids(db, "关于") == [a]


async def test_phrase_does_not_run_across_punctuation(db: Database) -> None:
    [apart, together] = await _store(db, _new("甲", "我们经开。区里"), _new("乙", "萧山经开区"))
    assert await _ids(db, "经开区") == [together]
    assert apart in await _ids(db, "经开")


async def test_latin_and_digits_match_as_substrings_case_insensitively(db: Database) -> None:
    [a] = await _store(db, _new("5G网络覆盖", "COVID-19 Hangzhou 2023年"))
    assert await _ids(db, "5g") == [a]
    assert await _ids(db, "ＣＯＶＩＤ") == [a]
    assert await _ids(db, "zhou") == [a]
    assert await _ids(db, "5G网") == [a]
    assert await _ids(db, "2023年") == [a]


async def test_all_terms_must_match(db: Database) -> None:
    [both, one] = await _store(db, _new("台风 经济", "影响"), _new("台风", "路径"))
    assert await _ids(db, "台风 经济") == [both]
    assert sorted(await _ids(db, "台风")) == sorted([both, one])


async def test_exclusion_removes_articles(db: Database) -> None:
    [keep, drop, _drop_char] = await _store(
        db, _new("台风来袭", "停课"), _new("台风来袭", "暴雨预警"), _new("台风来袭", "雷")
    )
    assert await _ids(db, "台风 -暴雨 -雷") == [keep]
    assert sorted(await _ids(db, "来袭 -雷")) == sorted([keep, drop])


async def test_quoted_phrase_with_space(db: Database) -> None:
    [a, b] = await _store(db, _new("New York 时报", ""), _new("York New", ""))
    assert await _ids(db, '"new york"') == [a]
    assert sorted(await _ids(db, "new york")) == sorted([a, b])


async def test_section_and_date_filters(db: Database) -> None:
    [old, econ, social] = await _store(
        db,
        _new("台风消息", day=date(2023, 6, 1), section="应急"),
        _new("台风消息", section="经济"),
        _new("台风消息", section="社会"),
    )
    assert await _ids(db, "台风 section:社会") == [social]
    assert await _ids(db, "台风 板块:經濟") == [econ]
    assert await _ids(db, "台风 since:2023-07-01 section:经济") == [econ]
    assert await _ids(db, "台风 until:2023-06-30") == [old]
    assert await _ids(db, "台风 date:2023-06-01") == [old]
    assert await _ids(db, "台风", section="社会") == [social]
    assert sorted(await _ids(db, "台风", since=date(2023, 7, 1))) == sorted([econ, social])


async def test_mixed_single_character_and_word_terms(db: Database) -> None:
    [a, _b] = await _store(db, _new("减税降费", "企业"), _new("降费", "企业"))
    assert await _ids(db, "企业 税") == [a]
    assert await _ids(db, "税 -企业") == []


def _filler(chars: int, *, offset: int = 0) -> str:
    """Text without punctuation whose bigrams rarely repeat (a repetitive filler would also hit
    the per-lexeme position cap, not only the length one)."""
    return "".join(chr(0x4E00 + (offset + i * 7) % 5000) for i in range(chars))


async def test_phrases_are_found_deep_in_a_very_long_article(db: Database) -> None:
    # A whole-day transcript: the phrase sits past the 16,383 positions a PostgreSQL tsvector
    # keeps, where its bigrams would share one clamped position and never be adjacent.
    deep = search_index.PG_MAX_POSITION + 2_000
    [long_one, apart, short_one, many] = await _store(
        db,
        _new("新闻联播文字版", _filler(deep) + "落实服务政策。" + _filler(300, offset=3)),
        # Both bigrams deep in the text, never next to each other: not a match.
        _new("新闻联播文字版二", _filler(deep, offset=1) + "服务。政策。" + _filler(300)),
        _new("短讯", "落实服务政策。"),
        # Short, but 政策 occurs more often than the 255 positions a lexeme keeps.
        _new("政策汇编",
             "政策。" * (search_index.PG_MAX_POSITIONS_PER_LEXEME + 20) + "落实服务政策。"),
    )
    assert sorted(await _ids(db, "务政策")) == sorted([long_one, short_one, many])
    assert apart not in await _ids(db, "务政")
    assert sorted(await _ids(db, "服务 政策")) == sorted([long_one, apart, short_one, many])
    # An excluded phrase deep in a long article excludes it too.
    assert await _ids(db, "政策 -务政策") == [apart]


# --- ranking -------------------------------------------------------------------------------


async def test_title_match_ranks_above_body_only_match(db: Database) -> None:
    [body_only, in_title] = await _store(
        db,
        _new("城市新闻", "今年第6号台风“卡努”", day=date(2023, 7, 31)),
        _new("台风“卡努”逼近", "做好防御", day=date(2023, 1, 1)),
    )
    assert await _ids(db, "台风") == [in_title, body_only]


async def test_more_terms_in_title_rank_first(db: Database) -> None:
    [one, two] = await _store(
        db, _new("台风来了", "经济影响"), _new("台风影响经济", "详情", day=date(2023, 1, 1))
    )
    assert await _ids(db, "台风 经济") == [two, one]


async def test_newer_article_wins_a_tie_then_higher_id(db: Database) -> None:
    [older, newer, same_day] = await _store(
        db,
        _new("台风消息", day=date(2023, 7, 1)),
        _new("台风消息", day=date(2023, 7, 31)),
        _new("台风消息", day=date(2023, 7, 31)),
    )
    assert await _ids(db, "台风") == [same_day, newer, older]


async def test_whole_word_ranks_above_a_match_straddling_words(db: Database) -> None:
    # Same date, neither in the title, the straddling one stored last (id would favour it): only
    # jieba's word boundary separates them.
    [word, straddle] = await _store(
        db, _new("新闻", "已经开始施工"), _new("新闻", "会议召开始终顺利")
    )
    assert await _ids(db, "开始") == [word, straddle]


async def test_scores_are_deterministic_and_descending_within_a_tier(db: Database) -> None:
    await _store(db, *[_new("台风消息", "内容", day=date(2023, 7, 1 + i)) for i in range(5)])
    page = await SearchService(db).search("台风")
    scores = [hit.score for hit in page.results]
    assert scores == sorted(scores, reverse=True)
    assert (await SearchService(db).search("台风")).results == page.results


# --- totals and paging ---------------------------------------------------------------------


async def test_total_is_exact_and_pages_do_not_overlap(db: Database) -> None:
    ids = await _store(db, *[_new(f"第{i}条台风消息", "内容") for i in range(25)])
    service = SearchService(db)
    first = await service.search("台风", limit=10)
    second = await service.search("台风", limit=10, offset=10)
    third = await service.search("台风", limit=10, offset=20)
    assert first.total == second.total == third.total == 25
    seen = [h.id for page in (first, second, third) for h in page.results]
    assert sorted(seen) == sorted(ids)


async def test_total_is_counted_exactly_beyond_the_ranking_window(db: Database) -> None:
    ids = await _store(db, *[_new(f"台风{i}", "内容") for i in range(12)])
    matcher = term_matcher(normalize_for_matching("台风"))
    assert matcher is not None
    async with db.session() as session:
        page = await SearchIndex(session).search(IndexQuery(include=(matcher,), limit=3, window=5))
    assert page.total == 12
    assert [m.article_id for m in page.matches] == sorted(ids, reverse=True)[:3]


async def test_every_query_is_counted_only_as_far_as_the_window(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each match counted is more of the archive read (a row visited on PostgreSQL, more of
    FTS5's walk on SQLite), so both backends count phrases, words, characters and exclusions
    alike only up to ``COUNT_LIMIT`` (and say "more than that"), whatever the caller asks; the
    window is the newest matches either way, and the count never stops below the window."""
    monkeypatch.setattr(search_index, "COUNT_LIMIT", 5)
    ids = await _store(db, *[_new(f"台风过境{i}") for i in range(12)])
    phrase = term_matcher(normalize_for_matching("台风过境"))
    word = term_matcher(normalize_for_matching("台风"))
    char = term_matcher(normalize_for_matching("台"))
    other = term_matcher(normalize_for_matching("暴雨"))
    assert phrase is not None and word is not None and char is not None and other is not None
    async with db.session() as session:
        index = SearchIndex(session)
        for include, exclude in (
            ((phrase,), ()),
            ((word,), ()),
            ((char,), ()),
            ((word,), (other,)),
            ((word, char), ()),
        ):
            query = IndexQuery(include=include, exclude=exclude, limit=3, window=3, count_limit=10)
            page = await index.search(query)
            assert (page.total, page.total_exact) == (5, False)
            assert search_index.count_limit(query) == 5
            assert [m.article_id for m in page.matches] == sorted(ids, reverse=True)[:3]
        exact = await index.search(IndexQuery(include=(phrase,), window=20, count_limit=10))
        assert (exact.total, exact.total_exact) == (12, True)  # never counted below the window


async def test_the_default_count_stops_at_the_window(db: Database) -> None:
    """What the bot shows: 201 matches are "200+", on both backends."""
    await _store(db, *[_new(f"台风{i}") for i in range(search_index.DEFAULT_WINDOW + 1)])
    page = await SearchService(db).search("台风")
    assert (page.total, page.total_exact) == (search_index.DEFAULT_WINDOW, False)


@pytest.mark.parametrize(("width", "block"), [(1, 1), (2, 1), (3, 2), (7, 3), (1000, 1024)])
async def test_the_window_is_the_newest_matches_whatever_the_partitions(
    db: Database, monkeypatch: pytest.MonkeyPatch, width: int, block: int
) -> None:
    """PostgreSQL keeps the index in partitions of ``PG_PARTITION_IDS`` article ids and looks for
    the newest matches block by block, then partition by partition: the window must be the
    newest matches and the total exact (or capped) wherever the block and partition boundaries
    fall (40 ids straddle 14 partitions at width 3, more than the statement names one by one;
    blocks of 3 ids end inside partitions of 7). The spans of older partitions end at 8
    partitions back here, so 40 partitions of one id meet every kind of step: one by one, a
    span of four, and all older ones."""
    monkeypatch.setattr(search_index, "PG_PARTITION_IDS", width)
    monkeypatch.setattr(search_index, "PG_BLOCK_IDS", block)
    monkeypatch.setattr(search_index, "PG_SPANS_END", 8)
    ids = await _store(
        db,
        *[
            _new(
                f"第{i}条", "台风过境" if i % 5 else "天气晴好", section="要闻" if i % 4 else "经济"
            )
            for i in range(40)
        ],
    )
    matching = [a for i, a in enumerate(ids) if i % 5]
    storm = term_matcher(normalize_for_matching("台风过境"))
    news = term_matcher(normalize_for_matching("条"))
    assert storm is not None and news is not None
    async with db.session() as session:
        index = SearchIndex(session)
        newest = await index.search(IndexQuery(include=(storm,), limit=5, window=5, count_limit=10))
        everything = await index.search(IndexQuery(include=(storm, news), limit=100, window=100))
        in_section = await index.search(IndexQuery(include=(storm,), section="经济", window=100))
        every_id = await index.search(IndexQuery(include=(news,), limit=100, window=100))
    assert sorted(m.article_id for m in newest.matches) == sorted(matching)[-5:]
    assert (newest.total, newest.total_exact) == (10, False)
    assert sorted(m.article_id for m in everything.matches) == sorted(matching)
    assert (everything.total, everything.total_exact) == (len(matching), True)
    expected = [a for i, a in enumerate(ids) if i % 5 and not i % 4]
    assert in_section.total == len(expected)
    assert sorted(m.article_id for m in every_id.matches) == sorted(ids)


@pytest.fixture
async def sqlite_db(
    tmp_path: Path, migrated_sqlite_file: Path, migrated_postgres_script: str | None
) -> AsyncIterator[Database]:
    async with migrated_database(
        "sqlite", tmp_path, migrated_sqlite_file, migrated_postgres_script
    ) as database:
        yield database


@pytest.fixture
async def pg_db(
    tmp_path: Path, migrated_sqlite_file: Path, migrated_postgres_script: str | None
) -> AsyncIterator[Database]:
    async with migrated_database(
        "postgresql", tmp_path, migrated_sqlite_file, migrated_postgres_script
    ) as database:
        yield database


@pytest.mark.postgres
async def test_new_ids_get_their_partition_and_a_rollback_removes_it(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexing creates the partitions its ids need (without them the insert fails), inside the
    writer's transaction: a rolled-back ingest leaves no partition behind."""
    monkeypatch.setattr(search_index, "PG_PARTITION_IDS", 4)
    ids = await _store(pg_db, *[_new(f"台风{i}号") for i in range(10)])
    with pytest.raises(RuntimeError):
        async with pg_db.session() as session:
            repo = ArticleRepository(session)
            stored = await repo.add_many([_new(f"台风{i}") for i in range(9)], ingested_at=NOW)
            await index_articles(session, stored)
            raise RuntimeError("ingest failed")
    async with pg_db.session() as session:
        partitions = set(await _partitions(session))
    assert partitions == {f"search_documents_{n}" for n in {i // 4 for i in ids}}
    found = await SearchService(pg_db).search("台风", limit=10)
    assert found.total == 10 and sorted(h.id for h in found.results) == sorted(ids)


@pytest.mark.postgres
async def test_a_search_does_not_wait_for_an_ingest_that_added_a_partition(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partition is attached, not created as one: the writer's lock on ``search_documents``
    lets searches run while its (long) transaction is still open."""
    import asyncio

    monkeypatch.setattr(search_index, "PG_PARTITION_IDS", 4)
    [first] = await _store(pg_db, _new("台风来袭"))
    async with pg_db.session() as session:
        repo = ArticleRepository(session)
        stored = await repo.add_many([_new(f"台风{i}") for i in range(8)], ingested_at=NOW)
        await index_articles(session, stored)  # a new partition, not committed yet
        page = await asyncio.wait_for(SearchService(pg_db).search("台风"), timeout=10)
        assert [h.id for h in page.results] == [first]


@pytest.mark.postgres
async def test_a_search_survives_its_pooled_connection_being_dropped(pg_db: Database) -> None:
    """The search pool does not ping before each use: a connection the server has dropped (a
    restart, a cut) fails the first try, and the search runs again on a fresh connection."""
    from sqlalchemy import text

    [first] = await _store(pg_db, _new("台风来袭"))
    service = SearchService(pg_db)
    assert [h.id for h in (await service.search("台风")).results] == [first]
    async with pg_db.search_engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    async with pg_db.engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert [h.id for h in (await service.search("台风")).results] == [first]


@pytest.mark.postgres
async def test_the_search_pool_starts_its_connections_with_the_search_settings(
    pg_db: Database,
) -> None:
    """Settings for the session, not per search (no round trip for them); the main pool's
    connections keep the server's defaults."""
    from sqlalchemy import text

    names = list(search_index.PG_SEARCH_SETTINGS)
    read = "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
    async with pg_db.search_engine.connect() as connection:
        session = dict(zip(names, (await connection.execute(text(read))).one(), strict=True))
    async with pg_db.engine.connect() as connection:
        main = dict(zip(names, (await connection.execute(text(read))).one(), strict=True))
    assert session == {**search_index.PG_SEARCH_SETTINGS, "enable_indexscan": "on"}
    assert main["enable_seqscan"] == "on" and main["plan_cache_mode"] == "auto"


async def _partitions(session: object) -> list[str]:
    from sqlalchemy import text

    rows = await session.execute(  # type: ignore[attr-defined]
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass('search_documents')"
        )
    )
    return [row[0] for row in rows]


async def test_a_corrected_section_is_what_the_section_filter_finds(db: Database) -> None:
    [a, b] = await _store(db, _new("台风来袭", section="经济"), _new("台风过境", section="经济"))
    async with db.session() as session:
        assert await ArticleRepository(session).set_section(a, "社会") is not None
    assert await _ids(db, "台风", section="社会") == [a]
    assert await _ids(db, "台风", section="经济") == [b]


async def test_searches_of_one_shape_share_one_prepared_statement(db: Database) -> None:
    """The statement's text depends only on the query's shape, so it is built once: a second
    search with other words adds nothing to the cache (building it cost 0.6 ms a search)."""
    await _store(db, _new("台风过境"), _new("暴雨来袭"))
    search_index._statement.cache_clear()
    await _ids(db, "台风")
    built = search_index._statement.cache_info().currsize
    assert await _ids(db, "暴雨")
    assert search_index._statement.cache_info().currsize == built


async def test_no_match_gives_empty_page(db: Database) -> None:
    await _store(db, _new("台风"))
    page = await SearchService(db).search("地震")
    assert page.total == 0 and page.results == []


# --- snippets ------------------------------------------------------------------------------


def test_snippet_is_short_and_marks_the_match() -> None:
    body = "开头" * 60 + "萧山经开区新签约项目" + "结尾" * 60
    snippet, marks = make_snippet("标题", body, ["经开"])
    assert len(snippet) <= 80
    assert marks and all(snippet[s:e] == "经开" for s, e in marks)
    assert snippet.startswith("…") and snippet.endswith("…")


def test_snippet_marks_point_at_the_original_traditional_text() -> None:
    snippet, marks = make_snippet("标题", "今年第6号颱風「卡努」逼近", ["台风"])
    assert [snippet[s:e] for s, e in marks] == ["颱風"]


def test_snippet_marks_survive_length_changing_folds() -> None:
    snippet, marks = make_snippet("标题", "㈱公司ＡＢＣ台风", ["abc"])
    assert [snippet[s:e] for s, e in marks] == ["ＡＢＣ"]


def test_snippet_falls_back_to_title_then_body_start() -> None:
    snippet, marks = make_snippet("台风来了", "", ["台风"])
    assert (snippet, marks) == ("台风来了", ((0, 2),))
    snippet, marks = make_snippet("台风来了", "正文" * 100, ["台风"])
    assert marks == () and len(snippet) <= 80 and snippet.startswith("正文")


async def test_hits_carry_snippets_and_json_shape(db: Database) -> None:
    [a] = await _store(db, _new("萧山新闻", "项目落地萧山经开区，" + "内容" * 100))
    page = await SearchService(db).search("经开")
    hit = page.results[0]
    assert hit.id == a and len(hit.snippet) <= 80
    assert [hit.snippet[s:e] for s, e in hit.snippet_marks] == ["经开"]
    data = page.to_dict()
    assert set(data) >= {"query", "total", "took_ms", "results"}
    assert set(data["results"][0]) >= {"id", "title", "date", "section", "score", "snippet"}
    assert data["results"][0]["date"] == "2023-07-31"
    assert data["results"][0]["snippet_marks"] == [list(m) for m in hit.snippet_marks]


# --- hostile input -------------------------------------------------------------------------

HOSTILE_QUERIES = [
    "NEAR(台风 经济, 5)",  # FTS5 NEAR
    "台风 AND 经济 OR NOT 萧山",  # FTS5 boolean operators
    "台风*",  # FTS5 prefix
    "^台风",  # FTS5 initial token
    "title:台风",  # FTS5 column filter
    "{title body}: 台风",  # FTS5 column set
    "台风 + 经济",  # FTS5 phrase concatenation
    "台风 & 经济 | !萧山",  # tsquery operators
    "台风 <-> 经济 <2> 萧山",  # tsquery phrase operators
    "'台风':* & '经济':A",  # tsquery prefix and weight
    "'; DROP TABLE articles; --",  # SQL injection
    '" OR 1=1 --',  # SQL injection with a quote
    "台风' UNION SELECT * FROM search_documents --",
    "<b>台风</b><script>alert(1)</script>",  # HTML
    "&lt;台风&gt; &amp;",  # HTML entities
    "😀🌀 台风 🇨🇳",  # emoji
    "\x00台风\x00",  # NUL
    "\x01\x02\x1b[31m台风",  # control characters, ANSI escape
    "\u202e台风\u200f\u200e",  # RTL/LTR marks
    "\ufeff台风\u200b",  # BOM, zero-width space
    '"',  # lone quote
    '"台风',  # unclosed quote
    "「台风",  # unclosed corner bracket
    "“”",  # empty quotes
    "台" * 3000,  # 3,000 characters
    "。，！？、；：",  # only punctuation
    "      ",  # only spaces
    "\u3000\u3000",  # only full-width spaces
    "-",  # lone minus
    "--台风",  # double minus
    "()()((台风))",  # parentheses
    "\\台风\\",  # backslashes
    "%台风_",  # LIKE wildcards
    "section: since: until:",  # empty filters
    "date:not-a-date 台风",  # bad date
    "台风 " * 50,  # many repeated terms
    " ".join(f"词{i}" for i in range(40)),  # too many terms
    "台风\n经济\t萧山",  # newlines and tabs
    "ⅣⅠⅤ级 ＡＮＤ",  # compatibility characters
]


def test_there_are_at_least_25_hostile_queries() -> None:
    assert len(HOSTILE_QUERIES) >= 25


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
async def test_hostile_query_gives_results_or_a_query_error(db: Database, query: str) -> None:
    await _store(db, _new("台风“卡努”逼近 经济 萧山", "防台风应急响应 AND title <b>"))
    try:
        page = await SearchService(db).search(query)
    except QueryError as error:
        assert error.key and str(error)
    else:
        assert isinstance(page, SearchPage)
        assert page.total >= 0
    async with db.session() as session:  # and the store is intact
        assert await ArticleRepository(session).count() == 1


async def test_operators_are_searched_as_text(db: Database) -> None:
    [a] = await _store(db, _new("AND OR NOT", "near"))
    assert await _ids(db, "AND OR NOT") == [a]
    assert await _ids(db, "NEAR") == [a]


# --- index maintenance ---------------------------------------------------------------------


async def test_rolled_back_ingest_leaves_no_index_rows(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            [article] = await ArticleRepository(session).add_many(
                [_new("台风来袭")], ingested_at=NOW
            )
            await index_articles(session, [article])
            raise RuntimeError("ingest failed")
    async with db.session() as session:
        assert await SearchIndex(session).count_documents() == 0
    assert (await SearchService(db).search("台风")).total == 0


async def test_indexing_the_same_article_twice_is_harmless(db: Database) -> None:
    [a] = await _store(db, _new("台风来袭"))
    async with db.session() as session:
        article = await ArticleRepository(session).get(a)
        assert article is not None
        await index_articles(session, [article])
    page = await SearchService(db).search("台风")
    assert page.total == 1 and [h.id for h in page.results] == [a]


async def test_reindex_rebuilds_the_index_from_articles(db: Database) -> None:
    ids = await _store(db, _new("台风来袭"), _new("萧山经开区"))
    async with db.session() as session:
        await SearchIndex(session).clear()
    assert (await SearchService(db).search("台风")).total == 0
    assert await reindex(db) == 2
    assert await _ids(db, "台风") == [ids[0]]
    assert await _ids(db, "经开") == [ids[1]]
    assert await reindex(db) == 2  # again: same result, nothing doubled
    assert (await SearchService(db).search("经开")).total == 1


async def test_optimize_merges_the_index_and_finds_the_same(db: Database) -> None:
    """Each transaction's additions are an FTS5 segment of their own on SQLite; optimizing
    merges them into one per table (after a reindex too), and every search finds the same
    pages. On PostgreSQL it vacuums and analyzes, with the same pages."""
    for n in range(4):
        await _store(db, _new(f"台风{n}号", "萧山经开区 台风过境"), _new(f"经开区{n}", "暴雨"))
    queries = ("台风", "经开", "台风 经开", "台", "台风 -暴雨")
    before = [await _ids(db, q) for q in queries]
    sqlite = db.engine.dialect.name == "sqlite"
    assert await search_index.index_segments(db.engine) == (8 if sqlite else None)
    assert await optimize_index(db) == ((8, 2) if sqlite else (None, None))
    assert [await _ids(db, q) for q in queries] == before
    await _store(db, _new("台风5号"))
    assert await reindex(db) == 9
    assert await search_index.index_segments(db.engine) == (2 if sqlite else None)
    assert [await _ids(db, q) for q in queries[1:3]] == before[1:3]  # without 台风5号


async def test_optimize_merges_in_short_transactions(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running bot's writes wait for one merge step, not for the whole rewrite: with steps of
    one page, optimizing is many transactions and still ends in one segment per table (SQLite
    only: PostgreSQL has no segments, and its VACUUM ANALYZE runs outside a transaction)."""
    from sqlalchemy import event

    db = sqlite_db
    many = "".join(chr(0x4E00 + i) for i in range(3000))  # 3,000 distinct bigrams: pages of them
    for n in range(4):
        await _store(db, _new(f"台风{n}号", f"萧山经开区{many[n:]}"))
    before = await _ids(db, "台风 经开")
    commits: list[object] = []
    event.listen(db.engine.sync_engine, "commit", commits.append)
    monkeypatch.setattr(search_index, "OPTIMIZE_STEP_PAGES", 1)
    assert await optimize_index(db) == (8, 2)
    assert len(commits) > 4  # one step that merges and one that finds nothing, per table
    assert await _ids(db, "台风 经开") == before


# --- articles stored before the index exists are found after a reindex --------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_at_0001(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database migrated only to 0001 (articles, no search index)."""

    def upgrade_to_0001(connection: object) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_articles")

    async with scratch_database(request.param, tmp_path) as database:
        async with database.engine.begin() as connection:
            await connection.run_sync(upgrade_to_0001)
        yield database


async def test_reindex_indexes_articles_stored_before_the_migration(db_at_0001: Database) -> None:
    # Rows as revision 0001 stored them: the ORM model has columns added since (0012).
    from sqlalchemy import text

    async with db_at_0001.session() as session:
        result = await session.execute(text(
            "INSERT INTO articles (paper, edition_date, section, section_source, kind, title,"
            " reporters, paragraphs, subheads, content_hash, ingested_at) VALUES ('萧山日报',"
            " :day, '经济', 'auto', 'article', '萧山经开区', '[]', '[\"颱風\"]', '[]', :hash, :now)"
            " RETURNING id"
        ), {"day": DAY, "hash": uuid.uuid4().hex, "now": NOW})
        stored: Sequence[int] = [int(result.scalar_one())]
    await db_at_0001.upgrade()  # creates the empty index (storage does not tokenise)
    assert await _ids(db_at_0001, "经开") == []
    assert await reindex(db_at_0001) == 1
    assert await _ids(db_at_0001, "经开") == list(stored)
    assert await _ids(db_at_0001, "台风") == list(stored)


# --- inline queries ----------------------------------------------------------------------------


async def test_inline_query_answers_a_search_a_share_or_the_headlines_never_a_teaser(
    db: Database,
) -> None:
    """The inline answer's logic, as a service (bot.search.inline), not in the handler."""
    from dataclasses import replace

    from bot.search.browse import BrowseService
    from bot.search.inline import inline_page

    floods = [_new(f"防汛巡查第{n}组出发", "防汛巡查。") for n in range(3)]
    teaser = replace(_new("防汛巡查导读", "见第2版。"), kind="teaser")
    [*flood_ids, teaser_id] = await _store(db, *floods, teaser)
    browse, search = BrowseService(db), SearchService(db)

    async def page(text: str, offset: int = 0, shared: int | None = None):  # type: ignore[no-untyped-def]
        return await inline_page(browse, search, text, offset, shared_article=shared,
                                 page_size=2, max_offset=500)

    first = await page("防汛巡查")  # 4 hits, 2 a page; the teaser is dropped from its page
    assert first.next_offset == 2 and all(m.snippet for m in first.matches)
    second = await page("防汛巡查", offset=2)
    assert second.next_offset is None
    found = [m.article.id for m in first.matches + second.matches]
    assert sorted(found) == sorted(flood_ids)
    shared = await page("a_x", shared=flood_ids[0])
    assert [(m.article.id, m.snippet) for m in shared.matches] == [(flood_ids[0], None)]
    assert (await page("a_x", shared=teaser_id)).matches == []
    assert (await page("a_x", offset=20, shared=flood_ids[0])).matches == []
    headlines = await page("")
    assert headlines.matches and all(m.snippet is None for m in headlines.matches)
    assert teaser_id not in {m.article.id for m in headlines.matches}
    refused = await page('"')  # an unbalanced quote: the search refuses it, the answer is empty
    assert refused.matches == [] and refused.next_offset is None


def test_the_write_path_makes_partitions_as_wide_as_migration_0014() -> None:
    import importlib

    migration = importlib.import_module("storage.migrations.versions.0014_search_partitions")
    assert migration.PARTITION_IDS == search_index.PG_PARTITION_IDS


def test_the_search_asks_for_blocks_as_wide_as_migration_0015_indexes() -> None:
    import importlib

    migration = importlib.import_module("storage.migrations.versions.0015_search_blocks")
    assert migration.BLOCK_IDS == search_index.PG_BLOCK_IDS
    assert migration.BLOCK_INDEXES[0].split()[2] == search_index.PG_BLOCK_INDEX


def _rows_with_ids(ids: Sequence[int], matching: Sequence[int] = ()) -> list[dict[str, object]]:
    """Article rows with the given ids (a title with 台风 for those in ``matching``, or all)."""
    return [
        {"id": i, "paper": "萧山日报", "edition_date": DAY, "section": "经济",
         "section_source": "auto", "kind": "article",
         "title": f"台风{n}号" if not matching or i in matching else f"晴天{n}号",
         "reporters": [], "paragraphs": ["台风过境" if not matching or i in matching else "天晴"],
         "subheads": [], "content_hash": uuid.uuid4().hex, "ingested_at": NOW}
        for n, i in enumerate(ids)
    ]


async def _store_with_ids(database: Database, rows: list[dict[str, object]]) -> None:
    """Store articles with these exact ids and index them, as the ingest would."""
    from sqlalchemy import insert, text

    from bot.search.tokens import index_entries
    from storage.models import Article

    async with database.session() as session:
        await session.execute(insert(Article), rows)
        await session.execute(text(
            "SELECT setval(pg_get_serial_sequence('articles', 'id'), max(id)) FROM articles"
        ))
        await SearchIndex(session).add(list(index_entries([Article(**row) for row in rows])))


@pytest.mark.postgres
async def test_the_newest_matches_are_found_across_block_and_partition_boundaries(
    pg_db: Database,
) -> None:
    """With the real widths (blocks of 1,024 ids through the block GIN index, partitions of
    16,384): ids on both sides of each block boundary the four block steps of a phrase meet, of
    the cut between the block steps and the partition steps, and of a partition boundary (which
    the eight block steps of a word cross). Every window is the newest matches, for a word, a
    phrase (checked on the row) and an exclusion."""
    block, width = search_index.PG_BLOCK_IDS, search_index.PG_PARTITION_IDS
    top = width + 4 * block + 1  # block steps: blocks 20..17; the partition steps below 17 * 1024
    ids = sorted({1, block - 1, block, width - 1, width, width + 1, top}
                 | {width + k * block + d for k in range(1, 5) for d in (-1, 0)})
    matching = [i for n, i in enumerate(ids) if n % 3 != 1]
    await _store_with_ids(pg_db, _rows_with_ids(ids, matching))
    storm = term_matcher(normalize_for_matching("台风"))
    phrase = term_matcher(normalize_for_matching("台风过境"))
    sunny = term_matcher(normalize_for_matching("天晴"))
    assert storm is not None and phrase is not None and sunny is not None
    async with pg_db.session() as session:
        index = SearchIndex(session)
        for window in range(1, len(matching) + 1):
            for include, exclude in (((storm,), ()), ((phrase,), ()), ((storm,), (sunny,))):
                page = await index.search(IndexQuery(
                    include=include, exclude=exclude, limit=window, window=window,
                    count_limit=window,
                ))
                assert [m.article_id for m in page.matches] == sorted(matching)[::-1][:window]
                assert page.total_exact == (window == len(matching))


@pytest.mark.postgres
async def test_migration_0014_partitions_an_index_and_its_downgrade_restores_it(
    tmp_path: Path,
) -> None:
    """An index built before 0014 (one table) is moved into partitions, ids on both sides of a
    partition boundary included, and found the same; the downgrade puts it back in one table."""
    from alembic import command
    from sqlalchemy import insert, text

    from bot.search.tokens import index_entries
    from storage.models import Article
    from storage.search_index import PG_PARTITION_IDS, insert_statements

    width = PG_PARTITION_IDS
    ids = [1, width - 1, width, 2 * width + 5]

    def downgrade_to_0013(connection: object) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")

    async def kinds(database: Database) -> set[str]:
        async with database.engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT CAST(c.relkind AS text) FROM pg_class c WHERE c.relnamespace ="
                " to_regnamespace(current_schema()) AND c.relname LIKE 'search_documents%'"
                " AND c.relkind IN ('r', 'p')"
            ))
            return {str(row[0]) for row in rows}

    async with scratch_database("postgresql", tmp_path) as database:
        await database.upgrade("0013")
        async with database.session() as session:
            rows = [
                {"id": i, "paper": "萧山日报", "edition_date": DAY, "section": "经济",
                 "section_source": "auto", "kind": "article", "title": f"台风{n}号",
                 "reporters": [], "paragraphs": ["台风过境"], "subheads": [],
                 "content_hash": uuid.uuid4().hex, "ingested_at": NOW}
                for n, i in enumerate(ids)
            ]
            await session.execute(insert(Article), rows)
            await session.execute(text(
                "SELECT setval(pg_get_serial_sequence('articles', 'id'), max(id)) FROM articles"
            ))
            entries = index_entries([Article(**row) for row in rows])
            for statement, parameters in insert_statements("postgresql", list(entries)):
                await session.execute(statement, parameters)
        assert await kinds(database) == {"r"}
        await database.upgrade()
        assert await kinds(database) == {"p", "r"}  # the partitioned table and its partitions
        async with database.session() as session:
            assert sorted(await _partitions(session)) == [
                f"search_documents_{n}" for n in (0, 1, 2)
            ]
        page = await SearchService(database).search("台风", limit=10)
        assert page.total == 4 and [h.id for h in page.results] == sorted(ids, reverse=True)
        [new] = await _store(database, _new("台风又来"))  # the write path adds to partitions
        async with database.engine.begin() as connection:
            await connection.run_sync(downgrade_to_0013)
        assert await kinds(database) == {"r"}
        page = await SearchService(database).search("台风", limit=10)
        assert sorted(h.id for h in page.results) == sorted([*ids, new])


async def _index_names(database: Database, table: str = "search_documents") -> set[str]:
    from sqlalchemy import text

    async with database.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                 " AND tablename = :table"),
            {"table": table},
        )
        return {str(row[0]) for row in rows}


_PLAIN_INDEXES = {
    "ix_search_documents_id", "ix_search_documents_grams", "ix_search_documents_chars"
}
_BOUNDARY_IDS = sorted({
    1, 1023, 1024, 2047, 2048, 16383, 16384, 16385, 17407, 17408, 18431, 18432, 20479, 20480,
    20481, 32767, 32768, 32769,
})


@pytest.mark.postgres
async def test_migration_0015_indexes_blocks_and_its_downgrade_restores_0014s_indexes(
    tmp_path: Path,
) -> None:
    """0015 replaces each partition's GIN indexes by ones led by the block of ids, and a
    partition made afterwards gets them too; the downgrade restores the plain ones. Ids on both
    sides of block and partition boundaries are found the same at every stage."""
    from alembic import command

    def downgrade_to_0014(connection: object) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0014")

    blocks = {"ix_search_documents_id", "ix_search_documents_block_grams",
              "ix_search_documents_block_chars"}
    async with scratch_database("postgresql", tmp_path) as database:
        await database.upgrade("0014")
        await _store_with_ids(database, _rows_with_ids(_BOUNDARY_IDS))
        assert await _index_names(database) == _PLAIN_INDEXES
        await database.upgrade()
        assert await _index_names(database) == blocks
        page = await SearchService(database).search("台风", limit=50)
        assert [h.id for h in page.results] == _BOUNDARY_IDS[::-1]
        await _store_with_ids(database, _rows_with_ids([50_000]))  # a new partition, number 3
        assert len(await _index_names(database, "search_documents_3")) == 3
        async with database.engine.connect() as connection:
            definitions = await connection.run_sync(
                lambda c: c.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_documents_3'"
                    " AND schemaname = current_schema() AND indexdef LIKE '%gin%'"
                ).scalars().all()
            )
        assert definitions and all("article_id / 1024" in d for d in definitions)
        async with database.engine.begin() as connection:
            await connection.run_sync(downgrade_to_0014)
        assert await _index_names(database) == _PLAIN_INDEXES
        page = await SearchService(database).search("台风", limit=50)
        assert [h.id for h in page.results] == [50_000, *_BOUNDARY_IDS[::-1]]


@pytest.mark.postgres
async def test_without_btree_gin_0015_keeps_the_plain_indexes_and_the_search_still_finds_all(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Where the extension cannot be created, 0015 logs a warning and changes nothing; the search
    sees no block index, skips its block steps and still finds every match, newest first."""
    import importlib.util
    import logging

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    path = Path(search_index.__file__).parent / "migrations" / "versions" / "0015_search_blocks.py"
    spec = importlib.util.spec_from_file_location("migration_0015_without_btree_gin", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration.EXTENSION = "no_such_extension_here"

    def upgrade(connection: object) -> None:
        with Operations.context(MigrationContext.configure(connection)):  # type: ignore[arg-type]
            migration.upgrade()

    async with scratch_database("postgresql", tmp_path) as database:
        await database.upgrade("0014")
        await _store_with_ids(database, _rows_with_ids(_BOUNDARY_IDS))
        with caplog.at_level(logging.WARNING):
            async with database.engine.begin() as connection:
                await connection.run_sync(upgrade)
        assert "no_such_extension_here unavailable" in caplog.text
        assert await _index_names(database) == _PLAIN_INDEXES
        for window in (1, 5, len(_BOUNDARY_IDS)):
            page = await SearchService(database).search("台风", limit=window)
            assert [h.id for h in page.results] == _BOUNDARY_IDS[::-1][:window]
        await _store_with_ids(database, _rows_with_ids([50_000]))  # the write path still works
        page = await SearchService(database).search("台风过境", limit=3)
        assert [h.id for h in page.results] == [50_000, *_BOUNDARY_IDS[::-1][:2]]
