"""Real head blocks beside page ears: what a furniture rule takes of real headlines.

Run by hand in a checkout (and in the one to compare with):

    PYTHONPATH=$PWD /tmp/venv/bin/python tests/quality/page_parser_real_heads.py [--lost] [--web]

Every 人民日报 article of the corpus (2,109, ../shared/data/corpora/rmrb-2019-10) is set first on
a page under one ear line, with another article after it, in the pdf layout of page_parser_eval
(`--web`: the web layout too); its head is kept when the crawler's title (its first head line:
the kicker where it has one, "公安部" over "国庆期间社会稳定治安良好") is an article's first
headline line in the parse. A last placement sets it second, under a dated ear between the two
stories.

Why: rules for page furniture read short lines by where they stand beside an ear, and real head
blocks (a short kicker over its title, a short title over its byline) stand in the same places.
The generated groups score furniture; this counts what such a rule takes of real heads, on the
archive's own text. `--lost` lists the heads not kept, so two checkouts can be told apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.ingest.page_parser import PageParseError, parse_page  # noqa: E402
from tests.quality.page_parser_eval import CORPUS, _headline_key, pdf_layout  # noqa: E402

EDITION = date(2019, 10, 9)
EDITION_EAR = "2019年10月9日 星期三 第3版"
# The ear line over the page, by name: a page's number alone, lettered or not, and ears with
# words; "between" sets the article second, under a dated ear after the first story.
PLACEMENTS = {
    "under A3": "A3",
    "under 第3版": "第3版",
    "under a dated ear": EDITION_EAR,
    "between, under a dated ear": EDITION_EAR,
}


def _articles() -> list[dict[str, str]]:
    with (CORPUS / "articles.jsonl").open(encoding="utf-8") as stored:
        return [json.loads(line) for line in stored]


def page_text(placement: str, layout: str, article: str, other: str) -> str:
    """The page: the ear line, the article and the other one (the other one first "between")."""
    ear, article, other = PLACEMENTS[placement], article.strip("\n"), other.strip("\n")
    blocks = [other, ear, article] if placement.startswith("between") else [ear, article, other]
    body = "\n\n".join(blocks) + "\n"
    return pdf_layout(body) if layout == "pdf" else body


def head_kept(text: str, title: str) -> bool:
    """Whether the title is an article's first headline line in the parse of the page."""
    try:
        parsed = parse_page(text, EDITION)
    except PageParseError:
        return False
    heads = {
        _headline_key(item.kicker or item.title)
        for item in parsed.articles
        if item.title and item.kind != "teaser"
    }
    return _headline_key(title) in heads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lost", action="store_true", help="list the heads not kept")
    parser.add_argument("--web", action="store_true", help="also the web layout")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 0
    articles = [item for item in _articles() if item["title"].strip()]
    # Another page's lead story follows (or precedes) every article.
    other = next(item["text"] for item in articles if item["date"] != articles[0]["date"])
    print("| placement | layout | heads kept |")
    print("|---|---|---|")
    for placement in PLACEMENTS:
        for layout in ("pdf", "web") if args.web else ("pdf",):
            lost = [
                item
                for item in articles
                if not head_kept(
                    page_text(placement, layout, item["text"], other), item["title"].strip()
                )
            ]
            print(f"| {placement} | {layout} | {len(articles) - len(lost)} of {len(articles)} |")
            for item in lost if args.lost else ():
                print(f"  lost: {item['date']} p{item['page']} #{item['seq']} {item['title']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
