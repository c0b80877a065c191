"""A second, blind labeller on the held-out quarter of the cross-source evaluation set.

`--print` shows each held-out item's id, title and lead, never its section nor the model's: the
second labeller labels from these and the conventions in docs/quality.md alone, and writes
`tests/fixtures/sections_heldout_second_labeller.jsonl` (``{"id", "section"}`` per line).
`--compare` then reports agreement, Cohen's kappa, the "human ceiling" (labeller 2 scored
against labeller 1 as a model would be), the model against each labeller, against the items both
agree on, and against the adjudicated labels (`sections_heldout_adjudicated.jsonl`:
``{"id", "section", "labeller1", "labeller2", "reason"}``; the reason only where they differ).

    /tmp/venv/bin/python -m tests.quality.sections_second_labeller --print
    /tmp/venv/bin/python -m tests.quality.sections_second_labeller --compare [--model PATH]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from bot.text.section_training import EVAL_SET, eval_items, read_jsonl
from bot.text.sections import SECTIONS, load_model
from tests.quality.sections_eval import predict, scores

SECOND_LABELLER = EVAL_SET.with_name("sections_heldout_second_labeller.jsonl")
ADJUDICATED = EVAL_SET.with_name("sections_heldout_adjudicated.jsonl")


def read_sections(path: Path) -> dict[str, str]:
    """id -> section of a labels file (one JSON object per line)."""
    return {row["id"]: row["section"] for row in read_jsonl(path)}


def cohen_kappa(first: list[str], second: list[str]) -> float:
    """Agreement beyond what the two labellers' section frequencies give by chance."""
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_1, count_2 = Counter(first), Counter(second)
    expected = sum(count_1[s] * count_2[s] for s in SECTIONS) / (n * n)
    return (observed - expected) / (1 - expected)


def print_blind() -> int:
    """The held-out items as the second labeller sees them: no section, no model output."""
    for item in eval_items(held_out=True):
        print(json.dumps({"id": item["id"], "title": item["title"], "lead": item["lead"]},
                         ensure_ascii=False))
    return 0


def _line(name: str, gold: list[str], predicted: list[str]) -> str:
    macro, per_section = scores(gold, predicted)
    detail = "  ".join(f"{s} {f:.3f}" for s, f in per_section.items())
    return f"{name} ({len(gold)} items): macro-F1 {macro:.3f}\n    {detail}"


def compare(argv: list[str]) -> int:
    """Agreement, kappa, ceiling, and the model against each set of labels."""
    model = load_model(Path(argv[argv.index("--model") + 1])) if "--model" in argv else load_model()
    items = eval_items(held_out=True)
    second = read_sections(SECOND_LABELLER)
    first = [item["section"] for item in items]
    other = [second[item["id"]] for item in items]
    predicted = predict(items, model)
    agree = [i for i, (a, b) in enumerate(zip(first, other, strict=True)) if a == b]
    print(f"agreement {len(agree)}/{len(items)} ({len(agree) / len(items):.3f}), "
          f"Cohen's kappa {cohen_kappa(first, other):.3f}")
    print(_line("human ceiling: labeller 2 against labeller 1", first, other))
    print(_line("model against labeller 1", first, predicted))
    print(_line("model against labeller 2", other, predicted))
    print(_line("model on the items both agree on", [first[i] for i in agree],
                [predicted[i] for i in agree]))
    if ADJUDICATED.is_file():
        adjudicated = read_sections(ADJUDICATED)
        print(_line("model against the adjudicated labels",
                    [adjudicated[item["id"]] for item in items], predicted))
    print("disagreements (labeller 1 / labeller 2):")
    for item, a, b in zip(items, first, other, strict=True):
        if a != b:
            print(f"  {item['id']}  {a} / {b}  {item['title']}")
    return 0


def main(argv: list[str]) -> int:
    if "--print" in argv:
        return print_blind()
    if "--compare" in argv:
        return compare(argv)
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
