"""Recall against a substring oracle: every term of 1-8 characters taken from stored articles
(mixed scripts, digits and Latin, quotes and backslashes, across runs) is found in exactly the
articles whose folded runs hold it, on both backends, including rows whose tsvector cannot keep
their positions (past 16,383 positions, past 255 positions per lexeme) and a row too long for its
trigram lexemes (the 1 MB fallback). A lost match in the PostgreSQL literal or its query fails
here; so does a literal that differs from the straightforward build it replaced."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from bot.search.tokens import gram_tokens, term_matcher, text_index_entry
from bot.text.normalization import normalize_for_matching, word_runs
from storage import search_index
from storage.database import Database
from storage.models import Article
from storage.search_index import IndexQuery, SearchIndex
from tests.test_search import _filler, _new, _store

_MIXED = (
    "萧山GDP增长5.2%，iPhone15发布；O'Reilly说“C:\\path\\to”里有a'b与x\\y。"
    "２０２３年ＡＢＣ公司在國產化上投入3000万元，H2O与CO2、k8s和5G基站"
)


# News prose, whose bigrams are mostly common ones: the terms PostgreSQL finds by trigram lexemes
# (PG_TRIGRAM_BIGRAMS), beside the rarer ones it finds by bigrams.
_NEWS = "\n".join(
    "\n".join(article["paragraphs"])
    for article in json.loads(
        (Path(__file__).parent / "fixtures" / "xsrb-2023-07-31-01.expected.json").read_text("utf-8")
    )["articles"][:2]
)


def _varied(chars: int, seed: int) -> str:
    """Text whose bigrams often repeat and trigrams hardly (a whole law as one article)."""
    rng = random.Random(seed)
    return "".join(chr(0x4E00 + rng.randrange(300)) for _ in range(chars))


def _articles() -> list[tuple[str, str]]:
    deep = search_index.PG_MAX_POSITION + 1_500
    cap = search_index.PG_MAX_POSITIONS_PER_LEXEME
    huge = _varied(130_000, seed=36)
    return [
        ("萧山GDP增长5.2%", _MIXED),
        ("推进新型工业化", _NEWS),
        ("O'Reilly访谈", "他说：“a'b”不是x\\y，也不是C:\\path。5G与k8s并行。"),
        ("在國產化", "推进在国产化，实施了一批项目。国产在国，一了实施"),
        ("服务政府", "服务政府。" * (cap + 20) + _MIXED + "落实服务政策。ab" * (cap + 5)),
        ("新闻联播文字版",
         _filler(deep) + _MIXED + _NEWS[:400] + "落实服务政策。" + _filler(400, offset=3)),
        ("民法典全文",
         huge[:60_000] + _MIXED + _NEWS[400:800] + "落实服务政策。" + huge[60_000:]),
        ("短讯", "落实服务政策。" + huge[500:520] + "5G基站"),
        ("仅标题a'b与x\\y", ""),
    ]


def _windows(text: str, rng: random.Random, count: int) -> set[str]:
    """Up to ``count`` pieces of 1-8 characters of a folded text, none starting or ending on a
    space."""
    pieces: set[str] = set()
    lines = [line for line in text.split("\n") if line]
    for _ in range(20 * count):
        line = rng.choice(lines)
        size = rng.randint(1, 8)
        start = rng.randrange(max(1, len(line) - size + 1))
        piece = line[start : start + size].strip()
        if piece:
            pieces.add(piece)
        if len(pieces) == count:
            break
    return pieces


async def test_every_term_shape_is_found_exactly_where_the_substring_oracle_finds_it(
    db: Database,
) -> None:
    ids = await _store(db, *(_new(title, body) for title, body in _articles()))
    texts: dict[int, str] = {}
    async with db.session() as session:
        for article_id in ids:
            stored = await session.get(Article, article_id)
            assert stored is not None
            texts[article_id] = text_index_entry(stored, article_id).phrase_text
    rng = random.Random(36)
    terms: set[str] = set()
    for phrase_text in texts.values():
        terms |= _windows(phrase_text, rng, 40)
    assert sum(bool(search_index.pg_trigrams(gram_tokens(term))) for term in terms) >= 40
    # Raw shapes as a reader types them: punctuation, quotes, backslashes, full-width, mixed case.
    terms |= {"O'Reilly", "a'b", "x\\y", "C:\\path", "５Ｇ", "K8S", "国产化", "國產", "2023年",
              "3000万", "h2o与co2", "'", "\\", "务政策", "服务政策", "务政府", "ab落实",
              "策。ab", "b落实服务"}
    found = 0
    async with db.session() as session:
        index = SearchIndex(session)
        for term in sorted(terms):
            folded = normalize_for_matching(term)
            matcher = term_matcher(folded)
            if matcher is None:
                continue
            page = await index.search(IndexQuery(
                include=(matcher,), limit=len(ids), window=len(ids), count_limit=len(ids)
            ))
            phrase = " ".join(word_runs(folded))
            expected = sorted(i for i, t in texts.items() if phrase in t)
            assert sorted(m.article_id for m in page.matches) == expected, term
            found += len(expected) > 1
    assert found >= 100  # many terms are in several rows, the long ones among them


def _straightforward_literal(title: Sequence[str], body: Sequence[str]) -> dict[str, str]:
    """The literal as 8242a28 built it (positions capped as appended), parsed into lexemes."""
    cap = search_index.PG_MAX_POSITIONS_PER_LEXEME
    positions: dict[str, list[str]] = {}
    for tokens, start, weight in ((title, 1, "A"), (body, len(title) + 2, "")):
        for offset, token in enumerate(tokens, start=start):
            slots = positions.setdefault(token, [])
            if len(slots) < cap:
                slots.append(f"{min(offset, search_index.PG_MAX_POSITION)}{weight}")
        for index, trigram in search_index.pg_trigrams(tokens):
            slots = positions.setdefault(trigram, [])
            if len(slots) < cap:
                slots.append(f"{min(start + index, search_index.PG_MAX_POSITION)}{weight}")
    if search_index._lexeme_bytes(positions) > search_index.PG_MAX_LEXEME_BYTES:
        positions = {t: s for t, s in positions.items() if t[:1] != search_index.PG_TRIGRAM_MARK}
        positions[search_index.PG_TRIGRAM_MARK] = []
    return {f"'{search_index._pg_quote(t)}'": ",".join(s) for t, s in positions.items()}


def _parsed(literal: str) -> dict[str, str]:
    parts = (
        part.rsplit(":", 1) if ":" in part else (part, "") for part in literal.split(" ") if part
    )
    return {lexeme: slots for lexeme, slots in parts}


def test_the_one_pass_literal_equals_the_straightforward_build() -> None:
    deep = search_index.PG_MAX_POSITION
    texts = [(title, body) for title, body in _articles()] + [
        ("", "正文"), ("标题", ""), ("", ""), ("a", "b"), ("ab", "bc"),
        (_filler(deep + 10), "标题后的正文"),  # the title alone passes the last position
        ("服务", "服务" * 300), ("服务政府" * 300, "务政府"),
    ]
    for title, body in texts:
        title_grams = gram_tokens(normalize_for_matching(title))
        body_grams = gram_tokens(normalize_for_matching(body))
        built = _parsed(search_index._tsvector_literal(title_grams, body_grams))
        assert built == _straightforward_literal(title_grams, body_grams), title[:20]
    # Tokens our tokenizer never makes, quoted all the same.
    assert _parsed(search_index._tsvector_literal(["a'", "'b"], ["\\\\"])) == (
        _straightforward_literal(["a'", "'b"], ["\\\\"])
    )
