"""How far two fits of the section model differ (issue 13): the reproducibility check.

    /tmp/venv/bin/python -m tests.quality.section_fit_stability FIRST.json OTHER.json [...]

Each OTHER model is compared with FIRST: byte-identical or not, the largest weight difference
(thousandths) over the features both keep, how many features only one of them keeps (a weight
near MIN_WEIGHT falls either side of it), and
how many predictions differ on THUCNews test (10,000 titles), on the eval set's tuning split
(368 items, title + lead) and on the labelled training items (first set and every cue-less
round, title + lead). The held-out sets (eval quarter, fresh, blind) are not read: this compares
fits, it does not score them. Fit the models with the trainer, e.g. the same command twice and
once with `--row-order 1` (docs/quality.md, "Seventh round").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.text.section_training import (
    CORPORA,
    THUCNEWS_SECTIONS,
    read_titles,
    tuning_items,
)
from bot.text.sections import SectionModel, classify_section
from tests.quality.section_cv import labelled_sets


def texts() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """The texts predictions are compared on, by name: title and paragraphs."""
    thuc = CORPORA / "thucnews-titles"
    class_names = (thuc / "class.txt").read_text(encoding="utf-8").split()
    test = read_titles(thuc / "test.txt", class_names)
    assert all(e.fine_class in THUCNEWS_SECTIONS for e in test)
    labelled = [item for items in labelled_sets(CORPORA).values() for item in items]
    return {
        "THUCNews test": [(e.text, ()) for e in test],
        "tuning split": [(item["title"], (item["lead"],)) for item in tuning_items()],
        "labelled training items": [(item.title, (item.lead,)) for item in labelled],
    }


def weight_differences(first: dict, other: dict) -> tuple[int, int]:
    """The largest difference of one weight (thousandths) over the features both models keep,
    and the number of features only one of them keeps."""
    shared = first["weights"].keys() & other["weights"].keys()
    largest = max(
        (abs(a - b) for feature in shared
         for a, b in zip(first["weights"][feature], other["weights"][feature], strict=True)),
        default=0,
    )
    return largest, len(first["weights"].keys() ^ other["weights"].keys())


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not (CORPORA / "thucnews-titles" / "test.txt").is_file():
        print(f"section_fit_stability: corpora not found at {CORPORA}", file=sys.stderr)
        return 2
    paths = [Path(arg) for arg in argv]
    raw = [path.read_bytes() for path in paths]
    loaded = [json.loads(data) for data in raw]
    models = [SectionModel.from_json(model) for model in loaded]
    sets = texts()
    first = {name: [classify_section(title, paragraphs, models[0]) for title, paragraphs in items]
             for name, items in sets.items()}
    print(f"{paths[0]}: {len(loaded[0]['weights'])} features, {loaded[0]['training']}")
    for path, data, model_json, model in zip(paths[1:], raw[1:], loaded[1:], models[1:],
                                             strict=True):
        print(f"{path}: {len(model_json['weights'])} features, {model_json['training']}")
        largest, only_one = weight_differences(loaded[0], model_json)
        print(f"  byte-identical weights: {model_json['weights'] == loaded[0]['weights']}"
              f" (whole file: {data == raw[0]}); largest weight difference {largest} "
              f"thousandths over the shared features, {only_one} features in one model only")
        for name, items in sets.items():
            changed = sum(
                classify_section(title, paragraphs, model) != before
                for (title, paragraphs), before in zip(items, first[name], strict=True)
            )
            print(f"  {name}: {changed} of {len(items)} predictions differ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
