"""How long an article PostgreSQL can index: the ``grams`` tsvector of a text of N characters.

    /tmp/venv/bin/python tests/bench/tsvector_limit.py [--old TREE] 100000 120000 700000 1000000

A tsvector's lexeme strings are limited to 1 MB (1,048,575 bytes): an article whose ``grams``
literal went past it could not be inserted ("string is too long for tsvector"), which failed its
whole transaction (an ingest's page, a ``reindex``, a ``db copy``, migration 0016). Since d9f2fbf
such a row keeps its bigrams and the lexeme ``#`` alone: the lexeme count printed drops where it
falls back, and nothing is refused (``--old`` of an earlier tree shows the refusals). The text is
新闻联播 transcripts (../shared/data/corpora/xwlb) joined until N characters: a long document's
variety of characters, not one text repeated. For each N the script builds the literal as
``storage.search_index`` does (with ``--old TREE``, as that checkout's does: e.g. a ``git
archive`` of a8af226, before the trigram lexemes) and asks the server to cast it. No timing.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "data" / "corpora"
PG_URL = os.environ.get(
    "NEWSBRIEF_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def corpus_text(chars: int) -> str:
    """新闻联播 transcripts joined, cut at ``chars`` characters."""
    parts: list[str] = []
    total = 0
    with gzip.open(CORPORA / "xwlb" / "items.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line)["text"] or ""
            parts.append(text)
            total += len(text)
            if total >= chars:
                break
    return "".join(parts)[:chars]


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chars", type=int, nargs="+", help="article lengths to try")
    parser.add_argument("--old", type=Path, help="build the literal with this checkout's code")
    args = parser.parse_args(argv)
    if not (CORPORA / "xwlb").is_dir():
        print(f"corpus not found at {CORPORA}: nothing to measure", file=sys.stderr)
        return 0
    sys.path.insert(0, str(args.old or ROOT))
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.search.tokens import gram_tokens
    from bot.text.normalization import normalize_for_matching
    from storage.search_index import _tsvector_literal

    engine = create_async_engine(PG_URL)
    try:
        for chars in args.chars:
            body = gram_tokens(normalize_for_matching(corpus_text(chars)))
            literal = _tsvector_literal(gram_tokens("标题"), body)
            try:
                async with engine.connect() as connection:
                    lexemes = await connection.scalar(
                        text("SELECT length(CAST(:grams AS tsvector))"), {"grams": literal}
                    )
                print(f"{chars:>9} characters: indexed ({lexemes} lexemes)")
            except DBAPIError as exc:
                print(f"{chars:>9} characters: refused ({str(exc.orig).splitlines()[-1][:90]})")
    finally:
        await engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
