"""Are operator corrections learnt? A measurement on the cross-source tuning split.

Takes the tuning items (`sections_eval`, index % 4 != 3; the held-out quarter is not read) that
the model of a plain retrain gets wrong, treats every other one as an operator's correction
(its hand label), writes them in the `sections export-labels` format (`bot.text.section_labels`)
and retrains with `--labels`. Reports how many of the N corrected items the retrained model now
files as corrected, and the macro-F1 of all the *other* tuning items before and after — a
correction should fix its own article without moving the rest much.

    /tmp/venv/bin/python -m tests.quality.section_labels_eval                # LABEL_WEIGHT
    /tmp/venv/bin/python -m tests.quality.section_labels_eval --weights 1,3,10,30

Needs the shared corpora and the `train` extra; each training run takes about a minute.
Trial models go to a temporary directory: the shipped weights are never touched.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bot.text import section_training
from bot.text.section_labels import LABEL_WEIGHT, SectionLabel, read_labels, write_labels
from bot.text.sections import SectionModel
from tests.quality.sections_eval import load_items, predict, scores


def load(path: Path) -> SectionModel:
    return SectionModel.from_json(json.loads(path.read_text(encoding="utf-8")))


def train(out: Path, *extra: str) -> SectionModel:
    code = section_training.main(["--out", str(out), *extra])
    if code != 0:
        raise SystemExit(code)
    return load(out)


def main(argv: list[str]) -> int:
    weights = [LABEL_WEIGHT]
    if "--weights" in argv:
        weights = [float(w) for w in argv[argv.index("--weights") + 1].split(",")]
    items = load_items(held_out=False)
    gold = [item["section"] for item in items]
    with tempfile.TemporaryDirectory(prefix="section-labels-") as tmp:
        base = train(Path(tmp) / "base.json")
        before = predict(items, base)
        wrong = [i for i, (g, p) in enumerate(zip(gold, before, strict=True)) if g != p]
        corrected = set(wrong[::2])
        labels_file = Path(tmp) / "labels.jsonl"
        write_labels(labels_file, [
            SectionLabel(items[i]["id"], items[i]["title"], items[i]["lead"], gold[i])
            for i in sorted(corrected)
        ])
        assert len(read_labels(labels_file)) == len(corrected)  # the trainer's reader
        others = [i for i in range(len(items)) if i not in corrected]
        other_gold = [gold[i] for i in others]
        base_macro, _ = scores(other_gold, [before[i] for i in others])
        all_macro, _ = scores(gold, before)
        print(f"tuning {len(items)} items; plain retrain wrong on {len(wrong)}; "
              f"corrected every other one: N = {len(corrected)}")
        print(f"plain retrain: corrected items right 0/{len(corrected)}, others' macro-F1 "
              f"{base_macro:.3f} ({len(others)} items), all {all_macro:.3f}")
        for weight in weights:
            model = train(Path(tmp) / f"w{weight:g}.json", "--labels", str(labels_file),
                          "--label-weight", str(weight))
            after = predict(items, model)
            learnt = sum(1 for i in corrected if after[i] == gold[i])
            other_macro, _ = scores(other_gold, [after[i] for i in others])
            all_after, _ = scores(gold, after)
            other_fixed = sum(1 for i in wrong if i not in corrected and after[i] == gold[i])
            broken = sum(1 for i in others if before[i] == gold[i] != after[i])
            print(f"weight {weight:g}: corrected items right {learnt}/{len(corrected)}; "
                  f"others' macro-F1 {other_macro:.3f} ({other_macro - base_macro:+.3f}); "
                  f"uncorrected errors now right {other_fixed}, right items now wrong {broken}; "
                  f"all {all_after:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
