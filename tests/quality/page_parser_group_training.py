"""Train the page parser's headline-group model (bot/ingest/page_parser/group_model.py).

Run by hand (needs scikit-learn, in the test extra):

    /tmp/venv/bin/python tests/quality/page_parser_group_training.py [--cv] [--out PATH]

Training data: the *tuning* settings of page_parser_layouts on the *tuning* (even) pages only,
set with seeds other than the evaluation seed, plus the pdf and pdf-broken layouts of
page_parser_eval on the same even pages. Held-out and sealed settings and the odd pages are never
read. Every headline group the labeller meets on a PDF-like page (past the page's first) is an
example; it is positive when its first line is a title the archive gives the page. While the data
is collected, the labeller is given the right answer for each group (so later groups see the
article state a right decision leaves).

`--cv` splits the tuning pages in two halves by page and reports group accuracy for a few
regularisation strengths; the shipped model is trained on all tuning data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.ingest.page_parser import PageParseError, group_model, parse_page  # noqa: E402
from bot.ingest.page_parser import labeller as labeller_module  # noqa: E402
from bot.ingest.page_parser.patterns import KICKER_DASHES, SUBTITLE_DASHES  # noqa: E402
from tests.quality.page_parser_eval import (  # noqa: E402
    CorpusPage,
    _headline_key,
    broken_pdf_layout,
    load_pages,
    pdf_layout,
)
from tests.quality.page_parser_layouts import TUNING, set_page, tuning_pages  # noqa: E402

TRAINING_SEEDS = (11, 12, 13)
Example = tuple[set[str], bool]


def page_texts(
    pages: list[CorpusPage], seed: int, eval_layouts: bool = False
) -> Iterator[tuple[CorpusPage, str]]:
    """Every tuning page under every tuning setting (and, if asked, the two PDF layouts of
    page_parser_eval, which then no longer measure the model blind)."""
    rng = random.Random(seed)
    for setting in TUNING.values():
        for page in pages:
            yield page, set_page(page, setting, rng)
    if eval_layouts:
        for page in pages:
            yield page, pdf_layout(page.text)
            yield page, broken_pdf_layout(page.text, rng)


def collect(pages: list[CorpusPage], seeds: tuple[int, ...]) -> list[list[Example]]:
    """Examples per page text (kept apart so cross-validation can split by page)."""
    per_text: list[list[Example]] = []
    current: list[Example] = []
    expected: set[str] = set()

    def teacher(by_rule: bool, context: group_model.GroupContext) -> bool:
        first = context.lines[context.index].text
        key = _headline_key(SUBTITLE_DASHES.sub("", KICKER_DASHES.sub("", first)))
        truth = key in expected
        current.append((group_model.group_features(context), truth))
        return truth

    original = labeller_module.group_model.overrule
    labeller_module.group_model.overrule = teacher  # type: ignore[assignment]
    try:
        for seed in seeds:
            for page, text in page_texts(pages, seed):
                expected.clear()
                expected.update(_headline_key(a.title) for a in page.articles if a.title)
                current = []
                with contextlib.suppress(PageParseError):
                    parse_page(text, page.edition)
                per_text.append(current)
    finally:
        labeller_module.group_model.overrule = original  # type: ignore[assignment]
    return per_text


def fit(examples: list[Example], c: float) -> object:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rows = [dict.fromkeys(group_model.with_pairs(features), 1) for features, _ in examples]
    model = make_pipeline(DictVectorizer(), LogisticRegression(C=c, max_iter=2000))
    model.fit(rows, [truth for _, truth in examples])
    return model


def accuracy(model: object, examples: list[Example]) -> float:
    rows = [dict.fromkeys(group_model.with_pairs(features), 1) for features, _ in examples]
    predicted = model.predict(rows)  # type: ignore[attr-defined]
    return sum(bool(p) == truth for p, (_, truth) in zip(predicted, examples, strict=True)) / len(
        examples
    )


def export(
    model: object,
    close_below: float,
    open_above: float,
    scale: int = 1000,
    min_weight: float = 0.01,
) -> dict[str, object]:
    """Weights as integers over ``scale``; tiny weights dropped."""
    vectorizer, regression = model.steps[0][1], model.steps[1][1]  # type: ignore[attr-defined]
    weights = {
        name: round(float(weight) * scale)
        for name, weight in zip(vectorizer.feature_names_, regression.coef_[0], strict=True)
        if abs(weight) >= min_weight
    }
    return {
        "about": "headline-group model of the page parser; trained by "
        "tests/quality/page_parser_group_training.py on tuning settings and even pages only",
        "scale": scale,
        "bias": round(float(regression.intercept_[0]) * scale),
        "close_below": close_below,
        "open_above": open_above,
        "weights": dict(sorted(weights.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=group_model.MODEL_PATH)
    parser.add_argument("--close-below", type=float, default=0.3)
    parser.add_argument("--open-above", type=float, default=0.7)
    args = parser.parse_args(argv)
    pages = tuning_pages(load_pages())
    if args.cv:
        halves = (pages[0::2], pages[1::2])
        data = [
            [example for text in collect(half, TRAINING_SEEDS) for example in text]
            for half in halves
        ]
        for c in (0.1, 0.3, 1.0, 3.0):
            scores = [accuracy(fit(data[i], c), data[1 - i]) for i in (0, 1)]
            print(f"C={c}: group accuracy on the other half {sum(scores) / 2:.4f}")
        return 0
    examples = [example for text in collect(pages, TRAINING_SEEDS) for example in text]
    print(f"{len(examples)} groups, {sum(t for _, t in examples)} open an article")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model = fit(examples, args.c)
    args.out.write_text(
        json.dumps(export(model, args.close_below, args.open_above), ensure_ascii=False, indent=0)
        + "\n",
        "utf-8",
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
