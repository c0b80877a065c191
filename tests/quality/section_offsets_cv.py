"""How much the tuning-split offsets (`bot.text.section_training.calibrate`) gain on items they
were not fitted on: repeated 4-fold cross-validation inside the tuning split. The held-out
quarter is not read.

    /tmp/venv/bin/python -m bot.text.section_training --out /tmp/raw.json   # no offsets
    /tmp/venv/bin/python -m tests.quality.section_offsets_cv /tmp/raw.json

For each of REPEATS shuffles (seeds 0…), offsets are fitted on three folds and the fourth is
classified with them; the pooled macro-F1 of the four folds is one figure. Prints the raw
model's figure, each repeat's and their mean, and the offsets fitted on the whole split.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from bot.text.section_training import fit_offsets, tuning_items
from bot.text.sections import SECTIONS, SectionModel, section_scores
from tests.quality.sections_eval import scores

REPEATS = 5
FOLDS = 4


def main(argv: list[str]) -> int:
    model = SectionModel.from_json(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    items = tuning_items()
    gold = [item["section"] for item in items]
    scored = [section_scores(item["title"], (item["lead"],), model) for item in items]

    def predict(index: int, offsets: dict[str, float]) -> str:
        return max(SECTIONS, key=lambda s: scored[index][s] + offsets[s])

    raw = scores(gold, [predict(i, dict.fromkeys(SECTIONS, 0.0)) for i in range(len(items))])
    print(f"raw model, tuning split: macro-F1 {raw[0]:.3f}")
    figures = []
    for seed in range(REPEATS):
        order = list(range(len(items)))
        random.Random(seed).shuffle(order)
        fold = {index: rank % FOLDS for rank, index in enumerate(order)}
        predicted = [""] * len(items)
        for k in range(FOLDS):
            train = [i for i in order if fold[i] != k]
            offsets = fit_offsets([scored[i] for i in train], [gold[i] for i in train])
            for i in order:
                if fold[i] == k:
                    predicted[i] = predict(i, offsets)
        figures.append(scores(gold, predicted)[0])
        print(f"  repeat {seed}: offsets fitted off-fold, macro-F1 {figures[-1]:.3f}")
    print(f"cross-validated macro-F1 with offsets: mean {sum(figures) / len(figures):.3f} "
          f"(min {min(figures):.3f}, max {max(figures):.3f})")
    offsets = fit_offsets(scored, gold)
    fitted = scores(gold, [predict(i, offsets) for i in range(len(items))])
    print(f"offsets fitted on the whole split (in-sample {fitted[0]:.3f}): {offsets}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
