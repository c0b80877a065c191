"""Parse time per page of the page parser, against a baseline measured in the same run.

Run by hand: /tmp/venv/bin/python tests/bench/page_parse.py [--pages N] [--cpu]

`--cpu` times with the process's CPU time instead of the wall clock: on shared cores busy with
other jobs the wall clock spreads by up to 2x between runs, CPU time much less.

Baseline: the web text of the same 人民日报 pages (blank lines and indentation carry the layout, so
the parser has the least to decide). Measured: the pdf-broken layout of page_parser_eval and the
held-out settings of page_parser_layouts. Reported: mean ms per page and the ratio to the baseline.
Skips (prints why) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.ingest.page_parser import PageParseError, parse_page  # noqa: E402
from tests.quality.page_parser_eval import CORPUS, broken_pdf_layout, load_pages  # noqa: E402
from tests.quality.page_parser_layouts import HELD_OUT, set_page  # noqa: E402

CLOCK = time.perf_counter


def per_page_ms(texts: list[tuple[str, object]]) -> float:
    started = CLOCK()
    for text, edition in texts:
        # A refused page (an advertisement page has no article) costs its parse all the same.
        with contextlib.suppress(PageParseError):
            parse_page(text, edition)  # type: ignore[arg-type]
    return 1000 * (CLOCK() - started) / len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=0)
    parser.add_argument("--cpu", action="store_true", help="time with process CPU time")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 0
    pages = load_pages()
    pages = pages[: args.pages] if args.pages else pages
    rng = random.Random(20191001)
    runs = {
        "web (baseline)": [(page.text, page.edition) for page in pages],
        "pdf-broken": [(broken_pdf_layout(page.text, rng), page.edition) for page in pages],
    }
    for name, setting in HELD_OUT.items():
        runs[name] = [(set_page(page, setting, rng), page.edition) for page in pages]
    per_page_ms(runs["web (baseline)"][:20])  # warm up jieba's dictionary
    baseline = per_page_ms(runs["web (baseline)"])
    print("| layout | pages | ms per page | ratio to web |")
    print("|---|---|---|---|")
    for name, texts in runs.items():
        ms = baseline if name == "web (baseline)" else per_page_ms(texts)
        print(f"| {name} | {len(texts)} | {ms:.1f} | {ms / baseline:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
