"""The sealed group TENTH still generates and scores (so the module cannot rot unnoticed); no
figure is checked here, only that the pages are set, the control drops just the furniture and
the scoring runs."""

from __future__ import annotations

import pytest

from tests.quality import page_parser_tenth as tenth
from tests.quality.page_parser_eval import CORPUS, load_pages

# Four corpus pages hold two held-out ones.
PAGES = 4


@pytest.fixture(scope="module")
def pages():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return load_pages()[:PAGES]


def _blocks(text: str) -> list[str]:
    return text.rstrip("\n").split("\n\n")


def test_every_paper_sets_every_held_out_page_with_its_furniture(pages):
    texts = tenth.page_texts(pages)
    assert [name for name, _, _ in texts] == [name for name in tenth.TENTH for _ in range(2)]
    for _, page, text in texts:
        body = {line.strip() for line in page.text.split("\n")}
        assert _blocks(text)[0] not in body


def test_control_keeps_the_same_lines_and_drops_only_the_furniture(pages):
    furnished = tenth.page_texts(pages)
    bare = tenth.page_texts(pages, furniture=False)
    for (_, _, with_furniture), (_, _, without) in zip(furnished, bare, strict=True):
        assert tenth.FURNITURE_MARK not in without
        remaining = iter(_blocks(with_furniture))
        assert all(block in remaining for block in _blocks(without))
        assert len(_blocks(without)) < len(_blocks(with_furniture))


def test_main_scores_both_runs(capsys):
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    assert tenth.main(["--pages", str(PAGES), "--control"]) == 0
    out = capsys.readouterr().out
    for name in tenth.TENTH:
        assert f"| tenth sealed: {name} | 2 |" in out
        assert f"| tenth control, no furniture: {name} | 2 |" in out
