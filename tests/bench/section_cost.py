"""Cost per article of section classification: the shipped model against a baseline model file
measured in the same run (default: the naive Bayes model of git revision 5773c96).

    /tmp/venv/bin/python -m tests.bench.section_cost [BASELINE_MODEL_JSON]

Classifies the 490 items of tests/fixtures/sections_eval.jsonl (title + lead) and their titles
alone, best of 5 rounds each, and prints microseconds per article and the ratio to the baseline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bot.text.section_training import EVAL_SET
from bot.text.sections import MODEL_PATH, SectionModel, classify_section

BASELINE_REVISION = "5773c96"
ROUNDS = 5


def baseline_model(argv: list[str]) -> SectionModel:
    if argv:
        return SectionModel.from_json(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    text = subprocess.run(
        ["git", "show", f"{BASELINE_REVISION}:bot/text/data/section_model.json"],
        check=True, capture_output=True, text=True, cwd=MODEL_PATH.parents[3],
    ).stdout
    return SectionModel.from_json(json.loads(text))


def per_article_us(model: SectionModel, items: list[tuple[str, tuple[str, ...]]]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for title, paragraphs in items:
            classify_section(title, paragraphs, model)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def main(argv: list[str]) -> int:
    rows = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines()]
    full = [(row["title"], (row["lead"],)) for row in rows]
    titles = [(row["title"], ()) for row in rows]
    shipped = SectionModel.from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
    baseline = baseline_model(argv)
    for name, items in (("title + lead", full), ("title only", titles)):
        base = per_article_us(baseline, items)
        new = per_article_us(shipped, items)
        print(f"{name}: baseline {base:.1f} µs/article, shipped {new:.1f} µs/article, "
              f"ratio {new / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
