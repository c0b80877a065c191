"""Cross-source evaluation of the section classifier on the hand-labelled set.

`tests/fixtures/sections_eval.jsonl`: 490 items of 新闻联播 and 人民日报 (title + first paragraph,
150 characters) labelled by hand by the conventions in docs/quality.md. Every 4th item (index % 4
== 3) is held out: score it only after model choices are made (`--held-out`).

    /tmp/venv/bin/python tests/quality/sections_eval.py              # tuning split
    /tmp/venv/bin/python tests/quality/sections_eval.py --held-out   # sealed split, once
    /tmp/venv/bin/python tests/quality/sections_eval.py --title-only # titles alone
    /tmp/venv/bin/python tests/quality/sections_eval.py --model /tmp/trial.json  # a trial model
    /tmp/venv/bin/python tests/quality/sections_eval.py --fresh      # the fresh held-out set

`--fresh` scores `tests/fixtures/sections_fresh.jsonl` (350 items drawn apart from both sets,
labelled before any model ran on them; `tests/quality/sections_fresh_set.py`) and splits it by
whether the title carries one section's weak-label cue (`WEAK_TITLE_CUES`) or none.
`--blind` scores `tests/fixtures/sections_blind.jsonl` the same way (322 items sealed for issue
13, labelled before any model ran on them; `tests/quality/sections_blind_set.py`), also per
stratum of its draw. `--sealed` scores the three held-out sets (the eval quarter, fresh, blind)
and all 794 of their items pooled: the one figure a model is shipped by (docs/quality.md,
"Seventh round"); read it once per model, after the choice.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from bot.text.section_training import eval_items, weak_section
from bot.text.sections import SECTIONS, SectionModel, classify_section, load_model
from tests.quality.sections_blind_set import blind_items
from tests.quality.sections_fresh_set import fresh_items

load_items = eval_items  # the tuning split (index % 4 != 3) or the held-out quarter


def scores(gold: list[str], predicted: list[str]) -> tuple[float, dict[str, float]]:
    """Macro-F1 over the six sections and F1 per section."""
    per_section: dict[str, float] = {}
    for section in SECTIONS:
        pairs = list(zip(gold, predicted, strict=True))
        tp = sum(1 for g, p in pairs if g == p == section)
        fp = sum(1 for g, p in pairs if g != section and p == section)
        fn = sum(1 for g, p in pairs if g == section and p != section)
        per_section[section] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return sum(per_section.values()) / len(per_section), per_section


def predict(items: list[dict], model: SectionModel, title_only: bool = False) -> list[str]:
    """The section the model gives each item (title, and the lead unless `title_only`)."""
    return [
        classify_section(item["title"], () if title_only else (item["lead"],), model)
        for item in items
    ]


def print_parts(gold: list[str], predicted: list[str], parts: list[str]) -> None:
    """Macro-F1 and per-section F1 of each part of a set (sections absent from a part score 0,
    so a part's macro-F1 is comparable only with the same part of another model)."""
    for name in dict.fromkeys(parts):
        pairs = [(g, p) for g, p, part in zip(gold, predicted, parts, strict=True) if part == name]
        part_score, part_sections = scores([g for g, _ in pairs], [p for _, p in pairs])
        print(f"  {name} ({len(pairs)} items): macro-F1 {part_score:.3f}  "
              + " ".join(f"{s} {f:.3f}" for s, f in part_sections.items()))


def print_sealed(model: SectionModel, title_only: bool) -> None:
    """Macro-F1 and per-section F1 on each held-out set and on the three pooled."""
    sets = {"held-out": load_items(True), "fresh": fresh_items(), "blind": blind_items()}
    pooled_gold: list[str] = []
    pooled_predicted: list[str] = []
    for name, items in [*sets.items(), ("pooled", [])]:
        if items:
            gold = [item["section"] for item in items]
            predicted = predict(items, model, title_only)
            pooled_gold += gold
            pooled_predicted += predicted
        else:
            gold, predicted = pooled_gold, pooled_predicted
        macro, per_section = scores(gold, predicted)
        print(f"{name} ({len(gold)} items{', titles only' if title_only else ''}): "
              f"macro-F1 {macro:.3f}  " + " ".join(f"{s} {f:.3f}" for s, f in per_section.items()))


def main(argv: list[str]) -> int:
    held_out = "--held-out" in argv
    title_only = "--title-only" in argv
    model = load_model(Path(argv[argv.index("--model") + 1])) if "--model" in argv else load_model()
    if "--sealed" in argv:
        print_sealed(model, title_only)
        return 0
    fresh = "--fresh" in argv
    blind = "--blind" in argv
    items = blind_items() if blind else fresh_items() if fresh else load_items(held_out)
    gold = [item["section"] for item in items]
    predicted = predict(items, model, title_only)
    macro, per_section = scores(gold, predicted)
    split = "blind" if blind else "fresh" if fresh else "held-out" if held_out else "tuning"
    print(f"{split} ({len(items)} items{', titles only' if title_only else ''}): "
          f"macro-F1 {macro:.3f}")
    print("  " + "  ".join(f"{s} {f:.3f}" for s, f in per_section.items()))
    confusion = Counter(zip(gold, predicted, strict=True))
    print("gold \\ predicted  " + " ".join(SECTIONS))
    for g in SECTIONS:
        print(f"  {g}  " + " ".join(f"{confusion[(g, p)]:4d}" for p in SECTIONS))
    if fresh or blind:
        cued = ["title with a cue" if weak_section(item["title"]) else "cue-less title"
                for item in items]
        print_parts(gold, predicted, cued)
    if blind:
        print_parts(gold, predicted, [f"stratum {item['sample']}" for item in items])
    if "--errors" in argv and not (held_out or fresh or blind):
        for item, g, p in zip(items, gold, predicted, strict=True):
            if g != p:
                print(f"{g}->{p}  {item['title']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
