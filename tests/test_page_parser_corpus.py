"""The page parser on real People's Daily pages it was not written from (skipped without them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.quality.page_parser_eval import evaluate, load_pages

pytestmark = pytest.mark.corpus

# Every SAMPLE_STRIDE-th page of the month: 61 pages, a few seconds.
SAMPLE_STRIDE = 8
# Floors: what this sample measured (web 98/97/95 %, pdf-broken 77/84/87 %) minus a margin.
FLOORS = {
    "web": {"title_precision": 0.95, "title_recall": 0.94, "paragraphs_exact": 0.92},
    "pdf-broken": {"title_precision": 0.72, "title_recall": 0.80, "paragraphs_exact": 0.82},
}


def test_parser_finds_headlines_and_paragraphs_of_unseen_pages(corpora_dir: Path) -> None:
    scores = evaluate(load_pages(corpora_dir / "rmrb-2019-10")[::SAMPLE_STRIDE])
    for layout, floors in FLOORS.items():
        score = scores[layout]
        assert score.refused == 0, f"{layout}: {score.refused} pages refused"
        measured = {name: round(getattr(score, name), 3) for name in floors}
        below = {name: value for name, value in measured.items() if value < floors[name]}
        assert not below, f"{layout}: {measured} is below the floors {floors}"
