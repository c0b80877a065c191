"""The full-text search index: the only module with FTS5 / tsvector SQL.

One interface over two backends. The caller (``bot.search_tokens``) hands over already tokenised
text, so both backends index exactly the same tokens and a query means the same thing on each:

- ``grams``: bigrams plus run-final characters, with positions, for title and body separately.
  A term is a phrase of consecutive tokens. SQLite: FTS5 contentless table, ``ascii`` tokenizer (it
  only splits on the ASCII spaces we put between tokens). PostgreSQL: ``tsvector`` built from a
  literal with explicit positions (no text-search parser or locale in between) + GIN.
- ``chars``: the distinct characters of title and body, for single-character terms.
- ``words``: the distinct jieba words, for ranking only.
- ``search_documents``: edition date and section per indexed article, for filters and recency.

Cost is bounded: only the newest ``window`` matches (by article id) are ranked, so a term found in
half the archive costs the same to rank as one found in a thousand articles. The exact total is a
separate ``count(*)``, skipped when the window was not full (then the window *is* every match).

Match strings are built only from quoted tokens produced by our own tokenizer (letters and digits),
and every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import JSON, TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

# Ranking: title matches first (a strict tier), then this score, then newer id.
# relevance in [1/3, 1]: each term counts 1, +2 when it is in the title, +1 when it is a whole jieba
# word in the article; recency halves the score after RECENCY_HALF_SCORE_DAYS.
TITLE_WEIGHT = 2.0
WORD_WEIGHT = 1.0
RECENCY_HALF_SCORE_DAYS = 365.0
DEFAULT_WINDOW = 2000

# PostgreSQL tsvector limits: positions are 1..16383 and at most 255 are kept per lexeme.
PG_MAX_POSITION = 16383
PG_MAX_POSITIONS_PER_LEXEME = 255


@dataclass(frozen=True)
class IndexEntry:
    """Everything the index keeps for one article (tokens already folded and split)."""

    article_id: int
    edition_date: date
    section: str
    title_grams: Sequence[str]
    body_grams: Sequence[str]
    title_chars: Sequence[str]
    body_chars: Sequence[str]
    words: Sequence[str]


@dataclass(frozen=True)
class TermMatcher:
    """One query term as index tokens: a phrase of consecutive ``tokens`` (grams), or one
    character (``single_char``); ``prefix`` makes the last token a prefix; ``words`` are its jieba
    words, used for ranking only."""

    tokens: tuple[str, ...]
    prefix: bool
    single_char: bool
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexQuery:
    """``with_text`` also returns each hit's display text (headline and body parts), so a result
    page is one statement instead of a second round trip through the ORM."""

    include: tuple[TermMatcher, ...]
    exclude: tuple[TermMatcher, ...] = ()
    section: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = 10
    offset: int = 0
    window: int = DEFAULT_WINDOW
    with_text: bool = False


@dataclass(frozen=True)
class RankedMatch:
    """One ranked hit; the text fields are filled only for ``IndexQuery.with_text``."""

    article_id: int
    edition_date: date
    title_terms: int
    word_terms: int
    score: float
    section: str = ""
    kicker: str | None = None
    title: str = ""
    subtitle: str | None = None
    byline: str | None = None
    paragraphs: Sequence[str] = ()
    subheads: Sequence[str] = ()


@dataclass(frozen=True)
class MatchPage:
    total: int
    matches: list[RankedMatch]


# --- schema ---------------------------------------------------------------------------------

SQLITE_SCHEMA = (
    "CREATE TABLE search_documents ("
    " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
    " edition_date DATE NOT NULL, section VARCHAR(20) NOT NULL)",
    "CREATE INDEX ix_search_documents_section ON search_documents (section, article_id)",
    "CREATE VIRTUAL TABLE search_grams USING fts5(title, body, content='', tokenize='ascii')",
    "CREATE VIRTUAL TABLE search_chars USING fts5("
    "title, body, content='', tokenize='ascii', detail='column')",
    "CREATE VIRTUAL TABLE search_words USING fts5("
    "words, content='', tokenize='ascii', detail='none')",
)
SQLITE_DROP = (
    "DROP TABLE IF EXISTS search_words",
    "DROP TABLE IF EXISTS search_chars",
    "DROP TABLE IF EXISTS search_grams",
    "DROP TABLE IF EXISTS search_documents",
)
POSTGRES_SCHEMA = (
    "CREATE TABLE search_documents ("
    " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
    " edition_date DATE NOT NULL, section VARCHAR(20) NOT NULL,"
    " grams TSVECTOR NOT NULL, title_grams TSVECTOR NOT NULL,"
    " chars TSVECTOR NOT NULL, title_chars TSVECTOR NOT NULL, words TSVECTOR NOT NULL)",
    "CREATE INDEX ix_search_documents_section ON search_documents (section, article_id)",
    "CREATE INDEX ix_search_documents_grams ON search_documents USING gin (grams)",
    "CREATE INDEX ix_search_documents_chars ON search_documents USING gin (chars)",
    "CREATE INDEX ix_search_documents_words ON search_documents USING gin (words)",
)
POSTGRES_DROP = ("DROP TABLE IF EXISTS search_documents",)


def schema_statements(dialect: str) -> tuple[str, ...]:
    """DDL creating the index for a backend (used by the Alembic migration)."""
    return SQLITE_SCHEMA if dialect == "sqlite" else POSTGRES_SCHEMA


def drop_statements(dialect: str) -> tuple[str, ...]:
    return SQLITE_DROP if dialect == "sqlite" else POSTGRES_DROP


# --- writing --------------------------------------------------------------------------------


def _tsvector_literal(title: Sequence[str], body: Sequence[str]) -> str:
    """A tsvector literal with explicit positions: title tokens weight A, then body tokens.

    Body positions start one after the title's so a phrase never spans title and body.
    """
    positions: dict[str, list[str]] = {}
    for offset, token in enumerate(title, start=1):
        slots = positions.setdefault(token, [])
        if len(slots) < PG_MAX_POSITIONS_PER_LEXEME:
            slots.append(f"{min(offset, PG_MAX_POSITION)}A")
    start = len(title) + 2
    for offset, token in enumerate(body, start=start):
        slots = positions.setdefault(token, [])
        if len(slots) < PG_MAX_POSITIONS_PER_LEXEME:
            slots.append(str(min(offset, PG_MAX_POSITION)))
    return " ".join(f"'{_pg_quote(token)}':{','.join(slots)}" for token, slots in positions.items())


def _tsvector_set(tokens: Sequence[str]) -> str:
    return " ".join(f"'{_pg_quote(token)}'" for token in dict.fromkeys(tokens))


def _pg_quote(token: str) -> str:
    return token.replace("\\", "\\\\").replace("'", "''")


def _chars_literal(title: Sequence[str], body: Sequence[str]) -> str:
    """Distinct characters: position 1 weight A when in the title, position 2 when in the body."""
    in_title = set(title)
    in_body = set(body)
    parts = []
    for char in dict.fromkeys([*title, *body]):
        slots = (["1A"] if char in in_title else []) + (["2"] if char in in_body else [])
        parts.append(f"'{_pg_quote(char)}':{','.join(slots)}")
    return " ".join(parts)


def insert_statements(
    dialect: str, entries: Sequence[IndexEntry]
) -> list[tuple[TextClause, list[dict[str, Any]]]]:
    """Statements + parameters adding ``entries``; run by the async store and the migration."""
    if not entries:
        return []
    documents = [
        {"id": e.article_id, "edition_date": e.edition_date, "section": e.section} for e in entries
    ]
    if dialect == "sqlite":
        return [
            (
                text(
                    "INSERT INTO search_documents (article_id, edition_date, section) "
                    "VALUES (:id, :edition_date, :section)"
                ),
                documents,
            ),
            (
                text("INSERT INTO search_grams (rowid, title, body) VALUES (:id, :title, :body)"),
                [
                    {
                        "id": e.article_id,
                        "title": " ".join(e.title_grams),
                        "body": " ".join(e.body_grams),
                    }
                    for e in entries
                ],
            ),
            (
                text("INSERT INTO search_chars (rowid, title, body) VALUES (:id, :title, :body)"),
                [
                    {
                        "id": e.article_id,
                        "title": " ".join(e.title_chars),
                        "body": " ".join(e.body_chars),
                    }
                    for e in entries
                ],
            ),
            (
                text("INSERT INTO search_words (rowid, words) VALUES (:id, :words)"),
                [{"id": e.article_id, "words": " ".join(e.words)} for e in entries],
            ),
        ]
    rows = [
        {
            **doc,
            "grams": _tsvector_literal(e.title_grams, e.body_grams),
            "title_grams": _tsvector_literal(e.title_grams, ()),
            "chars": _chars_literal(e.title_chars, e.body_chars),
            "title_chars": _tsvector_set(e.title_chars),
            "words": _tsvector_set(e.words),
        }
        for doc, e in zip(documents, entries, strict=True)
    ]
    return [
        (
            text(
                "INSERT INTO search_documents "
                "(article_id, edition_date, section, grams, title_grams, chars, title_chars, words)"
                " "
                "VALUES (:id, :edition_date, :section, CAST(:grams AS tsvector), "
                "CAST(:title_grams AS tsvector), CAST(:chars AS tsvector), "
                "CAST(:title_chars AS tsvector), CAST(:words AS tsvector))"
            ),
            rows,
        )
    ]


def clear_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            "DELETE FROM search_documents",
            "INSERT INTO search_grams (search_grams) VALUES ('delete-all')",
            "INSERT INTO search_chars (search_chars) VALUES ('delete-all')",
            "INSERT INTO search_words (search_words) VALUES ('delete-all')",
        ]
    return ["DELETE FROM search_documents"]


# --- match expressions ----------------------------------------------------------------------


def _fts_phrase(matcher: TermMatcher, column: str | None = None) -> str:
    """An FTS5 phrase built only from quoted tokens (quotes doubled, though tokens have none)."""
    body = " ".join(token.replace('"', '""') for token in matcher.tokens)
    phrase = f'"{body}"' + ("*" if matcher.prefix else "")
    return f"{{{column}}} : {phrase}" if column else phrase


def _fts_words(matcher: TermMatcher) -> str:
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in matcher.words)


def _ts_phrase(matcher: TermMatcher, *, title: bool = False) -> str:
    """A tsquery phrase: tokens joined by ``<->``, the last one ``:*`` when it is a prefix."""
    weight = "A" if title and not matcher.single_char else ""
    parts = []
    for index, token in enumerate(matcher.tokens):
        is_last = index == len(matcher.tokens) - 1
        flags = ("*" if matcher.prefix and is_last else "") + weight
        parts.append(f"'{_pg_quote(token)}'" + (f":{flags}" if flags else ""))
    return "(" + " <-> ".join(parts) + ")"


def _ts_words(matcher: TermMatcher) -> str:
    return " & ".join(f"'{_pg_quote(word)}'" for word in matcher.words)


# --- the store ------------------------------------------------------------------------------


class SearchIndex:
    """The search index inside one session (so it commits or rolls back with the articles)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name

    async def add(self, entries: Sequence[IndexEntry]) -> int:
        """Index articles not indexed yet (re-adding one is a no-op); returns how many were."""
        if not entries:
            return 0
        ids = [e.article_id for e in entries]
        present: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            params = {f"i{n}": value for n, value in enumerate(chunk)}
            placeholders = ", ".join(f":i{n}" for n in range(len(chunk)))
            rows = await self.session.execute(
                text(
                    f"SELECT article_id FROM search_documents WHERE article_id IN ({placeholders})"
                ),
                params,
            )
            present.update(int(row[0]) for row in rows)
        fresh = list({e.article_id: e for e in entries if e.article_id not in present}.values())
        for statement, parameters in insert_statements(self.dialect, fresh):
            await self.session.execute(statement, parameters)
        return len(fresh)

    async def clear(self) -> None:
        for statement in clear_statements(self.dialect):
            await self.session.execute(text(statement))

    async def count_documents(self) -> int:
        value = await self.session.scalar(text("SELECT count(*) FROM search_documents"))
        return int(value or 0)

    async def search(self, query: IndexQuery) -> MatchPage:
        """The page ``query.offset``..``+limit`` of ranked matches and the exact total.

        One statement: the newest ``window`` matches, ranked, the page joined to its articles'
        text, and the total (counted only when the window was full).
        """
        if not query.include:
            raise ValueError("an index query needs at least one term to include")
        build = _sqlite_search if self.dialect == "sqlite" else _postgres_search
        sql, params, count_sql = build(query)
        statement = text(sql)
        if query.with_text:
            statement = statement.columns(paragraphs=JSON, subheads=JSON)
        rows = (await self.session.execute(statement, params)).all()
        matches = [_ranked(row, query.with_text) for row in rows]
        if rows:
            total = int(rows[0].total)
        elif query.offset == 0:
            total = 0
        else:
            total = int(await self.session.scalar(text(count_sql), params) or 0)
        return MatchPage(total=total, matches=matches)


def _ranked(row: Any, with_text: bool) -> RankedMatch:
    ranked = RankedMatch(
        article_id=int(row.id),
        edition_date=_as_date(row.edition_date),
        title_terms=int(row.title_terms),
        word_terms=int(row.word_terms),
        score=float(row.score),
    )
    if not with_text:
        return ranked
    return replace(
        ranked,
        section=row.section,
        kicker=row.kicker,
        title=row.title,
        subtitle=row.subtitle,
        byline=row.byline,
        paragraphs=row.paragraphs or (),
        subheads=row.subheads or (),
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _sqlite_search(query: IndexQuery) -> tuple[str, dict[str, Any], str]:
    params: dict[str, Any] = {}
    grams_in = [m for m in query.include if not m.single_char]
    chars_in = [m for m in query.include if m.single_char]
    main = "search_grams" if grams_in else "search_chars"
    main_terms = grams_in if grams_in else chars_in
    other_terms = chars_in if grams_in else []

    def match_of(table: str) -> tuple[list[TermMatcher], list[TermMatcher]]:
        wants_single = table == "search_chars"
        return (
            [m for m in query.include if m.single_char == wants_single],
            [m for m in query.exclude if m.single_char == wants_single],
        )

    expression = " AND ".join(f"({_fts_phrase(m)})" for m in main_terms)
    _, main_excluded = match_of(main)
    for matcher in main_excluded:
        expression = f"({expression}) NOT ({_fts_phrase(matcher)})"
    params["q"] = expression
    where = [f"{main} MATCH :q"]
    if other_terms:
        params["q_other"] = " AND ".join(f"({_fts_phrase(m)})" for m in other_terms)
        where.append(
            f"{main}.rowid IN (SELECT rowid FROM search_chars WHERE search_chars MATCH :q_other)"
        )
    other_table = "search_chars" if main == "search_grams" else "search_grams"
    _, other_excluded = match_of(other_table)
    if other_excluded:
        params["q_not"] = " OR ".join(f"({_fts_phrase(m)})" for m in other_excluded)
        where.append(
            f"{main}.rowid NOT IN (SELECT rowid FROM {other_table} "
            f"WHERE {other_table} MATCH :q_not)"
        )
    join = ""
    if query.section is not None or query.since is not None or query.until is not None:
        join = f" JOIN search_documents AS f ON f.article_id = {main}.rowid"
        if query.section is not None:
            where.append("f.section = :section")
            params["section"] = query.section
        if query.since is not None:
            where.append("f.edition_date >= :since")
            params["since"] = query.since.isoformat()
        if query.until is not None:
            where.append("f.edition_date <= :until")
            params["until"] = query.until.isoformat()
    hits_from = f"FROM {main}{join} WHERE " + " AND ".join(where)

    title_parts = []
    word_parts = []
    for n, matcher in enumerate(query.include):
        table = "search_chars" if matcher.single_char else "search_grams"
        params[f"t{n}"] = _fts_phrase(matcher, "title")
        title_parts.append(
            f"(h.id IN (SELECT rowid FROM {table} WHERE {table} MATCH :t{n} "
            "AND rowid >= (SELECT lo FROM bounds)))"
        )
        if matcher.words:
            params[f"w{n}"] = _fts_words(matcher)
            word_parts.append(
                f"(h.id IN (SELECT rowid FROM search_words WHERE search_words MATCH :w{n} "
                "AND rowid >= (SELECT lo FROM bounds)))"
            )
    params.update(
        window=query.window,
        limit=query.limit,
        offset=query.offset,
        terms=float(len(query.include)),
        title_weight=TITLE_WEIGHT,
        word_weight=WORD_WEIGHT,
        half=RECENCY_HALF_SCORE_DAYS,
    )
    count_sql = f"SELECT count(*) {hits_from}"
    sql = f"""
WITH hits AS MATERIALIZED (
  SELECT {main}.rowid AS id {hits_from} ORDER BY {main}.rowid DESC LIMIT :window
),
bounds AS MATERIALIZED (SELECT min(id) AS lo, count(*) AS n FROM hits),
scored AS MATERIALIZED (
  SELECT h.id AS id, d.edition_date AS edition_date,
    {" + ".join(title_parts)} AS title_terms,
    {" + ".join(word_parts) or "0"} AS word_terms
  FROM hits AS h JOIN search_documents AS d ON d.article_id = h.id
),
ranked AS MATERIALIZED (
  SELECT id, edition_date, title_terms, word_terms,
    ((:title_weight * title_terms + :word_weight * word_terms + :terms)
       / ((1.0 + :title_weight + :word_weight) * :terms))
    / (1.0 + (julianday((SELECT max(edition_date) FROM scored)) - julianday(edition_date))
             / :half) AS score
  FROM scored
  ORDER BY title_terms DESC, score DESC, id DESC
  LIMIT :limit OFFSET :offset
)
SELECT r.id, r.edition_date, r.title_terms, r.word_terms, r.score,
  (SELECT CASE WHEN n < :window THEN n ELSE ({count_sql}) END FROM bounds) AS total
  {_TEXT_COLUMNS if query.with_text else ""}
FROM ranked AS r {_TEXT_JOIN if query.with_text else ""}
ORDER BY r.title_terms DESC, r.score DESC, r.id DESC"""
    return sql, params, count_sql


_TEXT_COLUMNS = (
    ", a.section AS section, a.kicker AS kicker, a.title AS title, a.subtitle AS subtitle,"
    " a.byline AS byline, a.paragraphs AS paragraphs, a.subheads AS subheads"
)
_TEXT_JOIN = "JOIN articles AS a ON a.id = r.id"


def _postgres_search(query: IndexQuery) -> tuple[str, dict[str, Any], str]:
    params: dict[str, Any] = {}
    where: list[str] = []
    grams_in = [m for m in query.include if not m.single_char]
    chars_in = [m for m in query.include if m.single_char]
    if grams_in:
        params["q_grams"] = " & ".join(_ts_phrase(m) for m in grams_in)
        where.append("f.grams @@ CAST(:q_grams AS tsquery)")
    if chars_in:
        params["q_chars"] = " & ".join(_ts_phrase(m) for m in chars_in)
        where.append("f.chars @@ CAST(:q_chars AS tsquery)")
    grams_out = [m for m in query.exclude if not m.single_char]
    chars_out = [m for m in query.exclude if m.single_char]
    if grams_out:
        params["n_grams"] = " | ".join(_ts_phrase(m) for m in grams_out)
        where.append("NOT (f.grams @@ CAST(:n_grams AS tsquery))")
    if chars_out:
        params["n_chars"] = " | ".join(_ts_phrase(m) for m in chars_out)
        where.append("NOT (f.chars @@ CAST(:n_chars AS tsquery))")
    if query.section is not None:
        where.append("f.section = :section")
        params["section"] = query.section
    if query.since is not None:
        where.append("f.edition_date >= :since")
        params["since"] = query.since
    if query.until is not None:
        where.append("f.edition_date <= :until")
        params["until"] = query.until
    hits_from = "FROM search_documents AS f WHERE " + " AND ".join(where)

    title_parts = []
    word_parts = []
    for n, matcher in enumerate(query.include):
        column = "title_chars" if matcher.single_char else "title_grams"
        params[f"t{n}"] = _ts_phrase(matcher)
        title_parts.append(f"(d.{column} @@ CAST(:t{n} AS tsquery))::int")
        if matcher.words:
            params[f"w{n}"] = _ts_words(matcher)
            word_parts.append(f"(d.words @@ CAST(:w{n} AS tsquery))::int")
    params.update(
        window=query.window,
        limit=query.limit,
        offset=query.offset,
        terms=float(len(query.include)),
        title_weight=TITLE_WEIGHT,
        word_weight=WORD_WEIGHT,
        half=RECENCY_HALF_SCORE_DAYS,
    )
    count_sql = f"SELECT count(*) {hits_from}"
    sql = f"""
WITH hits AS MATERIALIZED (
  SELECT f.article_id AS id {hits_from} ORDER BY f.article_id DESC LIMIT :window
),
bounds AS MATERIALIZED (SELECT count(*) AS n FROM hits),
scored AS MATERIALIZED (
  SELECT h.id AS id, d.edition_date AS edition_date,
    {" + ".join(title_parts)} AS title_terms,
    {" + ".join(word_parts) or "0"} AS word_terms
  FROM hits AS h JOIN search_documents AS d ON d.article_id = h.id
),
ranked AS MATERIALIZED (
  SELECT id, edition_date, title_terms, word_terms,
    ((CAST(:title_weight AS float8) * title_terms + CAST(:word_weight AS float8) * word_terms
        + CAST(:terms AS float8))
       / ((1.0 + CAST(:title_weight AS float8) + CAST(:word_weight AS float8))
          * CAST(:terms AS float8)))
    / (1.0 + ((SELECT max(edition_date) FROM scored) - edition_date) / CAST(:half AS float8))
    AS score
  FROM scored
  ORDER BY title_terms DESC, score DESC, id DESC
  LIMIT :limit OFFSET :offset
)
SELECT r.id, r.edition_date, r.title_terms, r.word_terms, r.score,
  (SELECT CASE WHEN n < :window THEN n ELSE ({count_sql}) END FROM bounds) AS total
  {_TEXT_COLUMNS if query.with_text else ""}
FROM ranked AS r {_TEXT_JOIN if query.with_text else ""}
ORDER BY r.title_terms DESC, r.score DESC, r.id DESC"""
    return sql, params, count_sql
