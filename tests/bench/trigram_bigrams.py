"""How storage/data/pg_trigram_bigrams.txt was made (run by hand, never by pytest).

    /tmp/venv/bin/python tests/bench/trigram_bigrams.py            # prints the list
    /tmp/venv/bin/python tests/bench/trigram_bigrams.py --check    # compares it with the file

The bigrams (of folded letter/digit runs, as the index makes them) found in at least
``MIN_ARTICLES`` articles of 新闻联播 (xwlb, every item with text after the first 3,000, which
``tests/bench/search.py --ingest-only`` ingests and so are kept out) and 人民日报 2019-10: 18,703
articles, so 100 is 0.53 % of them. Most common first, ties by the bigram. PostgreSQL indexes a
trigram only where both its bigrams are listed (``storage.search_index.PG_TRIGRAM_BIGRAMS``); the
list is frozen: a store's rows and its searches must use the same one.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.text.normalization import normalize_for_matching, word_runs  # noqa: E402
from storage.search_index import PG_TRIGRAM_BIGRAMS  # noqa: E402

CORPORA = ROOT.parent / "shared" / "data" / "corpora"
MIN_ARTICLES = 100
HELD_OUT_XWLB = 3000  # the ingest benchmark's sample


def articles() -> list[tuple[str, str]]:
    """(title, text) of the source articles."""
    with gzip.open(CORPORA / "xwlb" / "items.jsonl.gz", "rt", encoding="utf-8") as lines:
        xwlb = [(item["title"], item["text"]) for item in map(json.loads, lines) if item["text"]]
    with open(CORPORA / "rmrb-2019-10" / "articles.jsonl", encoding="utf-8") as lines:
        rmrb = [(item["title"], item["text"]) for item in map(json.loads, lines)]
    return xwlb[HELD_OUT_XWLB:] + rmrb


def common_bigrams() -> list[str]:
    counts: Counter[str] = Counter()
    for title, body in articles():
        runs = word_runs(normalize_for_matching(title + "\n" + body))
        counts.update({run[i : i + 2] for run in runs for i in range(len(run) - 1)})
    listed = [bigram for bigram, n in counts.items() if n >= MIN_ARTICLES]
    return sorted(listed, key=lambda bigram: (-counts[bigram], bigram))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="compare with the shipped list")
    args = parser.parse_args()
    made = common_bigrams()
    if not args.check:
        print("\n".join(made))
        return
    shipped = PG_TRIGRAM_BIGRAMS.read_text(encoding="utf-8").split()
    print(f"made {len(made)}, shipped {len(shipped)}: {'equal' if made == shipped else 'DIFFER'}")
    sys.exit(0 if made == shipped else 1)


if __name__ == "__main__":
    main()
