"""3-4-character phrases: PostgreSQL decides them in its index (trigram lexemes beside the
bigrams, migration 0016); both backends find exactly the articles holding them."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from bot.search.tokens import gram_tokens, index_entries, term_matcher, text_index_entry
from bot.text.normalization import normalize_for_matching, word_runs
from storage import search_index
from storage.database import Database, alembic_config
from storage.models import Article
from storage.search_index import IndexQuery, SearchIndex, insert_statements
from tests.conftest import scratch_database
from tests.test_search import NOW, _filler, _ids, _new, _store


def _matcher(term: str) -> search_index.TermMatcher:
    matcher = term_matcher(normalize_for_matching(term))
    assert matcher is not None
    return matcher


async def test_three_and_four_character_phrases_are_found_exactly(db: Database) -> None:
    [phrase, scrambled, split, across, runs, title_only] = await _store(
        db,
        _new("推进在国产化", "实施了一批项目。"),
        # Every bigram of both phrases, never in order: GIN candidates on bigrams, not matches.
        _new("国产在国", "一了实施，施了一些，了一实施了"),
        _new("在国，产品", "实施了，一项"),  # broken by punctuation
        _new("建设在国", "产品实施了\n一批"),  # across title and body, across paragraphs
        _new("国产品牌", "在国产，品质"),  # for the quoted phrase over two runs
        _new("实施了一", ""),
    )
    assert sorted(await _ids(db, "在国产")) == sorted([phrase, runs])
    assert sorted(await _ids(db, "实施了一")) == sorted([phrase, title_only])
    assert sorted(await _ids(db, "施了一")) == sorted([phrase, scrambled, title_only])
    assert sorted(await _ids(db, "在国产 实施了一")) == [phrase]
    assert await _ids(db, "国产在国") == [scrambled]
    # A quoted phrase over two runs: trigram, run end, then a prefix of the next run.
    assert await _ids(db, '"在国产 品"') == [runs]
    assert await _ids(db, '"在国产 化"') == []
    assert sorted(await _ids(db, "在国产 -实施了一")) == [runs]
    assert not {split, across} & set(await _ids(db, "在国产"))


async def test_three_and_four_character_phrases_at_the_tsvector_limits(db: Database) -> None:
    deep = search_index.PG_MAX_POSITION + 2_000
    [long_one, apart, many] = await _store(
        db,
        _new("新闻联播文字版", _filler(deep) + "落实服务政策。" + _filler(300, offset=3)),
        _new("新闻联播文字版二", _filler(deep, offset=1) + "落实服务。政策。" + _filler(300)),
        # Short, but 服务 occurs more often than the 255 positions a lexeme keeps.
        _new("汇编",
             "服务政府。" * (search_index.PG_MAX_POSITIONS_PER_LEXEME + 20) + "落实服务政策。"),
    )
    assert sorted(await _ids(db, "务政策")) == sorted([long_one, many])
    assert sorted(await _ids(db, "服务政策")) == sorted([long_one, many])
    assert sorted(await _ids(db, "实服务")) == sorted([long_one, apart, many])
    assert await _ids(db, "务政府") == [many]
    assert await _ids(db, "服务政策 -落实服务政") == []
    assert await _ids(db, "实服务 -服务政策") == [apart]


def _varied(chars: int, seed: int = 7) -> str:
    """Text whose every bigram is a common one (``search_index.pg_trigram_bigrams``), chained at
    random, so every trigram is indexed and few repeat: a whole law or plan printed as one
    article, its bigrams within a tsvector's 1 MB, its trigrams far past it."""
    rng = random.Random(seed)
    following: dict[str, list[str]] = {}
    for bigram in sorted(search_index.pg_trigram_bigrams()):
        following.setdefault(bigram[0], []).append(bigram[1])
    while True:  # keep only characters the walk can always go on from
        chained = {a: [b for b in after if b in following] for a, after in following.items()}
        chained = {a: after for a, after in chained.items() if after}
        if chained.keys() == following.keys():
            break
        following = chained
    text = [rng.choice(sorted(chained))]
    while len(text) < chars:
        text.append(rng.choice(chained[text[-1]]))
    return "".join(text)


async def test_an_article_too_long_for_trigram_lexemes_is_indexed_and_found(db: Database) -> None:
    # 130,000 characters: with its trigrams the tsvector's lexemes would pass 1 MB and the
    # insert would fail; it keeps its bigrams and is confirmed on its long_text instead.
    huge_text = _varied(130_000)
    [huge, short] = await _store(
        db,
        _new("民法典全文", huge_text[:60_000] + "。推进在国产品。" + huge_text[60_000:]),
        _new("短讯", "推进在国产品。" + huge_text[500:503]),
    )
    assert sorted(await _ids(db, "在国产")) == sorted([huge, short])
    assert sorted(await _ids(db, "在国产品")) == sorted([huge, short])
    assert sorted(await _ids(db, huge_text[500:503])) == sorted([huge, short])
    assert await _ids(db, huge_text[90_000:90_040]) == [huge]
    assert await _ids(db, "在国产 -" + huge_text[70_000:70_003]) == [short]
    assert await _ids(db, "推进在国产化") == []


def test_a_row_too_long_for_trigrams_keeps_its_bigrams_and_the_mark() -> None:
    entry = text_index_entry(_new("长文", _varied(130_000)), 1)  # type: ignore[arg-type]
    literal = search_index._tsvector_literal(entry.title_grams, entry.body_grams)
    lexemes = [part.rsplit(":", 1)[0] if ":" in part else part for part in literal.split(" ")]
    assert "'#'" in lexemes and not [x for x in lexemes if x.startswith("'#") and x != "'#'"]
    assert search_index.positions_lost(entry.title_grams, entry.body_grams)


def test_the_literal_keeps_the_first_positions_of_a_lexeme_and_caps_deep_ones() -> None:
    """The one-pass build keeps what PostgreSQL can hold: a lexeme's first 255 positions (its
    trigram's too), every token past position 16383 at 16383, the title's weight A."""
    cap, deep = search_index.PG_MAX_POSITIONS_PER_LEXEME, search_index.PG_MAX_POSITION
    title = gram_tokens("实施了一")
    body = gram_tokens("实施了一。" * (cap + 20) + _filler(deep) + "在国产。")
    lexemes = dict(
        part.split(":") for part in search_index._tsvector_literal(title, body).split(" ")
    )
    first = len(title) + 2
    assert lexemes["'实施'"] == ",".join(["1A", *(str(first + 4 * n) for n in range(cap - 1))])
    assert lexemes["'#实施了'"] == lexemes["'实施'"]
    assert lexemes["'#施了一'"].split(",")[:2] == ["2A", str(first + 1)]
    assert lexemes["'#在国产'"] == lexemes["'国产'"] == lexemes["'产'"] == str(deep)


def test_the_literal_quotes_a_lexeme_only_where_it_must() -> None:
    literal = search_index._tsvector_literal(["a'"], ["b\\", "在国", "国产", "产", "bc", "cd", "d"])
    assert literal == (
        "'a''':1A 'b\\\\':3 '在国':4 '#在国产':4 '国产':5 '产':6 'bc':7 'cd':8 'd':9"
    )  # bc and cd are not common bigrams (PG_TRIGRAM_BIGRAMS): no trigram
    assert search_index._tsvector_literal(["ab", "b"], []) == "'ab':1A 'b':2A"


def _fixture_articles(fixtures_dir: Path) -> list[dict[str, object]]:
    page = json.loads((fixtures_dir / "xsrb-2023-07-31-01.expected.json").read_text("utf-8"))
    return [
        {"title": a["title"], "kicker": a.get("kicker"), "subtitle": a.get("subtitle"),
         "byline": a.get("byline"), "paragraphs": a["paragraphs"],
         "subheads": a.get("subheads") or []}
        for a in page["articles"]
    ]


async def test_three_and_four_character_terms_match_the_substring_oracle(
    db: Database, fixtures_dir: Path
) -> None:
    """Every sampled 3-4-character piece of the fixture page's runs, and pieces made of two of
    its bigrams that chain (``ab`` + ``bc``) but never occur, found exactly where the folded
    title's or body's runs hold it."""
    articles = _fixture_articles(fixtures_dir)
    ids = await _store(db, *(
        _new(str(a["title"]), "\n".join(a["paragraphs"]),  # type: ignore[arg-type]
             kicker=a["kicker"])  # type: ignore[arg-type]
        for a in articles
    ))
    texts = {}
    async with db.session() as session:
        for article_id in ids:
            stored = await session.get(Article, article_id)
            assert stored is not None
            entry = text_index_entry(stored, article_id)
            texts[article_id] = entry.phrase_text
    pieces: set[str] = set()
    bigrams: set[str] = set()
    for phrase_text in texts.values():
        for run in word_runs(phrase_text):
            pieces.update(run[i : i + n] for n in (3, 4) for i in range(len(run) - n + 1))
            bigrams.update(run[i : i + 2] for i in range(len(run) - 1))
    chained = {a + b[1] for a in bigrams for b in bigrams if a[1] == b[0]} - pieces
    rng = random.Random(16)
    terms = rng.sample(sorted(pieces), 120) + rng.sample(sorted(chained), 80)
    found_any = 0
    async with db.session() as session:
        index = SearchIndex(session)
        for term in terms:
            page = await index.search(IndexQuery(
                include=(_matcher(term),), limit=len(ids), window=len(ids)
            ))
            expected = sorted(i for i, t in texts.items() if term in t)
            assert sorted(m.article_id for m in page.matches) == expected, term
            found_any += bool(expected)
    assert found_any >= 120


def test_postgresql_finds_a_three_character_term_by_one_lexeme_without_reading_rows() -> None:
    three = IndexQuery(include=(_matcher("在国产"),))
    sql, params, _ = search_index._postgres_search(three)
    assert params["q_grams"] == "('#在国产')"
    # GIN: the trigram, or a row too long for trigrams (confirmed on its long_text).
    assert params["q_tokens"] == "(('#在国产') | '#')"
    assert "f.grams @@ CAST(:q_grams" not in sql and "f.grams, f.chars" not in sql
    four = IndexQuery(include=(_matcher("实施了一"),))
    sql, params, _ = search_index._postgres_search(four)
    assert params["q_tokens"] == "(('#实施了' & '#施了一') | '#')"
    assert params["q_grams"] == "('#实施了' <-> '#施了一')"
    two_runs = IndexQuery(include=(_matcher("在国产 品"),))
    assert search_index._postgres_search(two_runs)[1]["q_grams"] == (
        "('#在国产' <2> '产' <-> '品':*)"
    )


def test_the_trigram_lexemes_sit_at_their_first_bigrams_positions() -> None:
    entry = text_index_entry(_new("在国产", "实施了一，好"), 1)  # type: ignore[arg-type]
    literal = search_index._tsvector_literal(entry.title_grams, entry.body_grams)
    lexemes = dict(part.split(":") for part in literal.split(" "))
    assert lexemes["'#在国产'"] == "1A" and lexemes["'在国'"] == "1A"
    assert lexemes["'#实施了'"] == "5" and lexemes["'#施了一'"] == "6"
    assert sum(lexeme.startswith("'#") for lexeme in lexemes) == 3  # none across runs or parts


@pytest.mark.postgres
async def test_migration_0016_adds_trigrams_to_a_populated_store_as_a_fresh_insert_would(
    tmp_path: Path,
) -> None:
    """A store indexed at 0015 (normal, title-only, very long and repetitive articles, in several
    partitions and batches) gets every row's trigrams: what the write path now stores, and also
    those of bigrams outside PG_TRIGRAM_BIGRAMS (0016 wrote every trigram); the 3-4-character
    phrases are then found; the downgrade gives back the 0015 rows."""
    from alembic import command

    texts = [
        ("推进在国产化", "实施了一批项目。"),
        ("国产在国", "一了实施，施了一些"),
        ("实施了一", ""),
        ("新闻联播文字版", _filler(search_index.PG_MAX_POSITION + 500) + "落实服务政策。"),
        ("汇编", "服务政府。" * (search_index.PG_MAX_POSITIONS_PER_LEXEME + 20) + "落实服务政策。"),
        ("民法典全文", _varied(130_000) + "落实服务政策。"),  # too long for its trigrams
    ]
    ids = [1, 4095, 4096, 16384, 40_000, 60_000]
    rows = [
        {"id": i, "paper": "萧山日报", "edition_date": NOW.date(), "section": "经济",
         "section_source": "auto", "kind": "article", "title": title, "reporters": [],
         "paragraphs": [body] if body else [], "subheads": [],
         "content_hash": uuid.uuid4().hex, "ingested_at": NOW}
        for i, (title, body) in zip(ids, texts, strict=True)
    ]
    entries = index_entries([Article(**row) for row in rows])

    def downgrade_to_0015(connection: object) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0015")

    async def grams(database: Database) -> dict[int, str]:
        async with database.engine.connect() as connection:
            result = await connection.execute(text(
                "SELECT article_id, CAST(grams AS text) FROM search_documents"
            ))
            return {int(r[0]): str(r[1]) for r in result}

    async with scratch_database("postgresql", tmp_path) as database:
        await database.upgrade("0015")
        async with database.session() as session:
            await session.execute(insert(Article), rows)
            await session.execute(text(
                "SELECT setval(pg_get_serial_sequence('articles', 'id'), max(id)) FROM articles"
            ))
            await search_index.ensure_partitions(session, ids)
            for entry in entries:  # as 0015's write path stored them: bigrams only
                await session.execute(
                    text(
                        "INSERT INTO search_documents (article_id, edition_date, section,"
                        " headline, lead_words, grams, chars, long_text) VALUES (:id, :day,"
                        " '经济', :headline, '', CAST(:grams AS tsvector),"
                        " CAST('' AS tsvector), :long_text)"
                    ),
                    {"id": entry.article_id, "day": entry.edition_date,
                     "headline": entry.headline,
                     "grams": _bigrams_only(entry.title_grams, entry.body_grams),
                     "long_text": entry.phrase_text
                     if search_index.positions_lost(entry.title_grams, entry.body_grams)
                     else None},
                )
        before = await grams(database)
        assert not any("'#" in value for value in before.values())
        await database.upgrade()
        after = await grams(database)
        assert "'#在国产':3A" in after[1] and "'#施了一':9" in after[1]
        async with database.engine.connect() as connection:
            for entry in entries:
                [(_, params)] = insert_statements("postgresql", [entry])
                fresh = await connection.scalar(
                    text("SELECT CAST(CAST(:grams AS tsvector) AS text)"),
                    {"grams": params[0]["grams"]},
                )
                assert _listed_trigrams_only(after[entry.article_id]) == fresh, entry.article_id
        # 0016 also wrote the trigrams of bigrams outside the list, which no search asks for.
        assert "'#国产化':4A" in after[1] and await _ids(database, "国产化") == [1]
        assert sorted(await _ids(database, "在国产")) == [1]
        assert sorted(await _ids(database, "实施了一")) == [1, 4096]
        assert after[60_000].startswith("'#' ") and "'#" not in after[60_000][4:]
        assert sorted(await _ids(database, "务政策")) == [16384, 40_000, 60_000]
        assert sorted(await _ids(database, "务政府")) == [40_000]
        async with database.engine.begin() as connection:
            await connection.run_sync(downgrade_to_0015)
        assert await grams(database) == before


def _listed_trigrams_only(grams: str) -> str:
    """A ``grams`` tsvector's text without the trigram lexemes the write path no longer stores
    (one of their bigrams is not in PG_TRIGRAM_BIGRAMS)."""
    listed = search_index.pg_trigram_bigrams()
    return " ".join(
        part for part in grams.split(" ")
        if not part.startswith("'#") or part.startswith("'#'")
        or (part[2:4] in listed and part[3:5] in listed)
    )


def _bigrams_only(title: list[str] | tuple[str, ...], body: list[str] | tuple[str, ...]) -> str:
    """The ``grams`` literal 0015's write path built: no trigram lexemes."""
    literal = search_index._tsvector_literal(title, body)
    return " ".join(part for part in literal.split(" ") if not part.startswith("'#"))
