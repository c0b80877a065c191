"""The page parser on real People's Daily pages it was not written from (skipped without them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.quality.page_parser_eval import evaluate, load_pages

pytestmark = pytest.mark.corpus

# Every SAMPLE_STRIDE-th page of the month: 61 pages, a few seconds.
SAMPLE_STRIDE = 8
# Floors: what this sample measured (web 99.0/98.1/95.3 %, pdf 94.1/91.1/93.7 %, pdf-broken
# 92.0/91.1/90.6 %) minus a margin of about three points.
FLOORS = {
    "web": {"title_precision": 0.96, "title_recall": 0.95, "paragraphs_exact": 0.92},
    "pdf": {"title_precision": 0.91, "title_recall": 0.88, "paragraphs_exact": 0.90},
    "pdf-broken": {"title_precision": 0.89, "title_recall": 0.88, "paragraphs_exact": 0.87},
}


def test_parser_finds_headlines_and_paragraphs_of_unseen_pages(corpora_dir: Path) -> None:
    scores = evaluate(load_pages(corpora_dir / "rmrb-2019-10")[::SAMPLE_STRIDE])
    for layout, floors in FLOORS.items():
        score = scores[layout]
        assert score.refused == 0, f"{layout}: {score.refused} pages refused"
        measured = {name: round(getattr(score, name), 3) for name in floors}
        below = {name: value for name, value in measured.items() if value < floors[name]}
        assert not below, f"{layout}: {measured} is below the floors {floors}"
