"""Cross-validate a section-trainer setting over the hand-labelled TRAINING items (issue 13).

    nice /tmp/venv/bin/python -m tests.quality.section_cv [trainer options] [--errors FILE]
        [--folds 1,2] [--predictions FILE]

The trainer's options (`python -m bot.text.section_training --help`: `--round4-weight 10`,
`--thucnews-weight 1.5`, …) choose the candidate. Every labelled training item — the first
hand-labelled set and every cue-less round, whichever of them the candidate trains on — is in
one of FOLDS folds (a seeded shuffle, the same for every candidate); each fold is scored by
title + lead with a model trained without it (its items out of the hand sets and, by id and
normalised title, out of the weak labels: `train_linear(held_apart=…)`; items sharing a
normalised title share a fold), and the out-of-fold predictions are pooled: macro-F1
and per-section F1 over the six sections, and the confusion. No evaluation item is read (the
eval set, fresh and blind sets stay sealed), so this is a selection figure beside the tuning
split, on a larger set. Candidates are compared on the BASE_SETS (1,355 items, the same folds
for every candidate); a later round's items are held out with the mistakes they were drawn near
(`fold_of`) and scored beside.

`--errors FILE` writes the out-of-fold mistakes as JSON lines (id, title, gold, predicted,
set): where to look for more training items, or for labels that break the conventions.
A run is FOLDS full fits (~5× `section_training`'s time). `--folds 1,2` fits and scores only
those folds (the same items for every candidate, so two candidates compare paired on them; the
figures are then over those folds' items), and `--predictions FILE` appends each fold's
out-of-fold predictions (id, set, fold, gold, predicted) as soon as the fold is done, so runs
of different folds add up.

    /tmp/venv/bin/python -m tests.quality.section_cv --score A.jsonl B.jsonl [...]

scores such prediction files (no fit): per candidate, each fold's macro-F1 and items right over
the BASE_SETS items, and the folds every file has pooled (macro-F1, per section); then each
candidate against the first, paired over those items (right only with the one, only with the
other).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import jieba

from bot.text.section_labels import SectionLabel
from bot.text.section_training import (
    CUELESS_ROUNDS,
    HAND_SET,
    hand_labelled_items,
    normal_title,
    parse_args,
    read_jsonl,
    train_linear,
)
from bot.text.sections import SECTIONS, SectionModel, classify_section
from tests.quality.sections_eval import scores

FOLDS = 5
SEED = 1355
# The sets every candidate is compared on (1,355 items); later rounds are scored apart.
BASE_SETS = ("hand", "round3", "round4", "round5")


def labelled_sets(corpora: Path) -> dict[str, list[SectionLabel]]:
    """Every hand-labelled training set by name (`hand`, `round3`, …), with leads."""
    sets = {"hand": hand_labelled_items(corpora, (HAND_SET,))}
    for number, path in CUELESS_ROUNDS.items():
        if path.is_file():
            sets[f"round{number}"] = hand_labelled_items(corpora, (path,))
    return sets


def fold_of(sets: dict[str, list[SectionLabel]]) -> dict[str, int]:
    """Item id -> fold: one seeded shuffle of the BASE_SETS' ids (so their folds do not change
    when a round is added); a later round's item drawn near one of them (`sample` "near:<id>",
    round 6) shares its fold — held out with the mistake it was drawn for, or the CV would
    score that mistake with its neighbour in training — and any other goes by its rank in its
    own set (so adding a round moves no item of the rounds before it). Items
    with the same normalised title share the fold of the first of them: a headline is never
    trained on while its twin is scored (the weak labels leave a fold's titles out too)."""
    title_of = {item.id: normal_title(item.title) for items in sets.values() for item in items}
    fold_by_title: dict[str, int] = {}
    ids = sorted({item.id for name in BASE_SETS for item in sets.get(name, ())})
    random.Random(SEED).shuffle(ids)
    fold = {item_id: fold_by_title.setdefault(title_of[item_id], rank % FOLDS)
            for rank, item_id in enumerate(ids)}
    near = {row["id"]: row.get("sample", "") for number, path in CUELESS_ROUNDS.items()
            if f"round{number}" not in BASE_SETS and path.is_file() for row in read_jsonl(path)}
    # Ranked within each later set, so that adding a round moves no earlier round's item.
    for items in sets.values():
        later = sorted(item.id for item in items if item.id not in fold)
        for rank, item_id in enumerate(later):
            drawn_near = near.get(item_id, "").removeprefix("near:")
            fold[item_id] = fold_by_title.setdefault(
                title_of[item_id], fold.get(drawn_near, rank % FOLDS))
    return fold


def read_predictions(path: Path) -> dict[str, dict]:
    """A `--predictions` file by item id (a fold scored twice: the last run counts)."""
    return {row["id"]: row for row in read_jsonl(path)}


def score_predictions(paths: list[Path]) -> None:
    """Print the per-fold, pooled and paired figures of `--predictions` files (base items)."""
    runs = {path.name: {item_id: row for item_id, row in read_predictions(path).items()
                        if row["set"] in BASE_SETS} for path in paths}
    common = sorted(set.intersection(*({row["fold"] for row in rows.values()}
                                       for rows in runs.values())))
    print(f"base items of folds {','.join(map(str, common))} (in every file):")
    for name, rows in runs.items():
        per_fold = []
        for k in sorted({row["fold"] for row in rows.values()}):
            part = [row for row in rows.values() if row["fold"] == k]
            macro, _ = scores([r["gold"] for r in part], [r["predicted"] for r in part])
            right = sum(r["gold"] == r["predicted"] for r in part)
            per_fold.append(f"{k}: {macro:.3f} ({right}/{len(part)})")
        pooled = [row for row in rows.values() if row["fold"] in common]
        macro, per_section = scores([r["gold"] for r in pooled], [r["predicted"] for r in pooled])
        right = sum(r["gold"] == r["predicted"] for r in pooled)
        print(f"  {name}: " + "; ".join(per_fold))
        print(f"    pooled {macro:.3f} ({right}/{len(pooled)}) "
              + " ".join(f"{section} {f:.3f}" for section, f in per_section.items()))
    first, *others = runs
    for name in others:
        ids = [i for i, row in runs[first].items() if row["fold"] in common and i in runs[name]]
        only_first = sum(runs[first][i]["predicted"] == runs[first][i]["gold"]
                         != runs[name][i]["predicted"] for i in ids)
        only_other = sum(runs[name][i]["predicted"] == runs[name][i]["gold"]
                         != runs[first][i]["predicted"] for i in ids)
        print(f"  paired over {len(ids)}: right only with {name} {only_other}, "
              f"only with {first} {only_first}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--score"]:
        if not argv[1:]:
            print("--score needs one or more --predictions files", file=sys.stderr)
            return 2
        score_predictions([Path(name) for name in argv[1:]])
        return 0
    options: dict[str, str] = {}
    for option in ("--errors", "--folds", "--predictions"):
        if option in argv:
            at = argv.index(option)
            options[option] = argv[at + 1]
            argv = argv[:at] + argv[at + 2:]
    errors_path = Path(options["--errors"]) if "--errors" in options else None
    predictions_path = Path(options["--predictions"]) if "--predictions" in options else None
    folds = ([int(number) - 1 for number in options["--folds"].split(",")]
             if "--folds" in options else list(range(FOLDS)))
    args = parse_args(argv)
    jieba.setLogLevel(60)
    sets = labelled_sets(args.corpora)
    fold = fold_of(sets)
    weights = {"hand": args.hand_weight} | {
        f"round{number}": getattr(args, f"round{number}_weight") for number in CUELESS_ROUNDS}
    scored = [(name, item) for name, items in sets.items() for item in items]
    predicted: dict[str, str] = {}
    for k in folds:
        kept = {name: [item for item in items if fold[item.id] != k]
                for name, items in sets.items()}
        model_json = train_linear(
            args.corpora, hand=kept["hand"] if weights["hand"] > 0 else [],
            hand_weight=args.hand_weight, linear_c=args.linear_c,
            title_weight=args.title_weight, thucnews_weight=args.thucnews_weight,
            lead_words=args.lead_words, tol=args.tol, min_weight=args.min_weight,
            rounds={number: (kept[f"round{number}"], weights[f"round{number}"])
                    for number in CUELESS_ROUNDS
                    if weights[f"round{number}"] > 0 and f"round{number}" in kept},
            held_apart=[item for _, item in scored if fold[item.id] == k],
        )
        model = SectionModel.from_json(model_json)
        for name, item in scored:
            if fold[item.id] == k:
                predicted[item.id] = classify_section(item.title, (item.lead,), model)
                if predictions_path:
                    with predictions_path.open("a", encoding="utf-8") as handle:
                        handle.write(json.dumps(
                            {"id": item.id, "set": name, "fold": k + 1, "gold": item.section,
                             "predicted": predicted[item.id]}, ensure_ascii=False) + "\n")
        print(f"  fold {k + 1}/{FOLDS} done", file=sys.stderr, flush=True)
    scored = [(name, item) for name, item in scored if fold[item.id] in folds]
    base = [item for name, item in scored if name in BASE_SETS]
    base_macro, _ = scores([item.section for item in base], [predicted[item.id] for item in base])
    print(f"cv over the base sets ({len(base)} items, folds "
          f"{','.join(str(k + 1) for k in folds)} of {FOLDS}): macro-F1 {base_macro:.3f}")
    gold = [item.section for _, item in scored]
    guesses = [predicted[item.id] for _, item in scored]
    macro, per_section = scores(gold, guesses)
    print(f"cv over every labelled set ({len(scored)} items): macro-F1 {macro:.3f}")
    print("  " + "  ".join(f"{s} {f:.3f}" for s, f in per_section.items()))
    for name in sets:
        part = [(item.section, predicted[item.id]) for set_name, item in scored
                if set_name == name]
        right = sum(g == p for g, p in part)
        print(f"  {name}: {right}/{len(part)} right")
    confusion = Counter(zip(gold, guesses, strict=True))
    print("gold \\ predicted  " + " ".join(SECTIONS))
    for g in SECTIONS:
        print(f"  {g}  " + " ".join(f"{confusion[(g, p)]:4d}" for p in SECTIONS))
    if errors_path:
        with errors_path.open("w", encoding="utf-8") as handle:
            for name, item in scored:
                if predicted[item.id] != item.section:
                    handle.write(json.dumps(
                        {"id": item.id, "title": item.title, "gold": item.section,
                         "predicted": predicted[item.id], "set": name},
                        ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
