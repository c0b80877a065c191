"""Draw a third round of hand-labelled section TRAINING candidates: cue-less titles (seeded).

    /tmp/venv/bin/python -m tests.quality.section_training_round3 > /tmp/round3.jsonl

Both held-out sets say the model fails on headlines without a cue word (fresh set: 0.70 against
0.91 with one) and on 社会 / 科教. This draws ROUND3_COUNTS items whose titles carry no weak-label
cue of any section (`WEAK_TITLE_CUES`): some at random, the rest among those the shipped model
(MODEL_REVISION) files under 社会, 科教 and 经济 (where 社会 items go wrong). Kept apart, as
`section_training_set` keeps its items, from the evaluation set, the fresh held-out set and the
875 items already labelled: no shared id, normalised title or ≥ TEXT_OVERLAP of shingles.
`tests/fixtures/sections_train_round3.jsonl` keeps them, in this order, with the section given
by hand (docs/quality.md, "Third round: cue-less titles").
"""

from __future__ import annotations

import json
import random
import sys

from bot.text.section_training import (
    _WEAK_CUES,
    EVAL_SET,
    FRESH_SET,
    HAND_SET,
    normal_title,
)
from bot.text.sections import SECTIONS, section_scores
from tests.quality.section_training_set import (
    MIN_TITLE_CHARS,
    corpus_items,
    drawing_model,
    overlaps,
    shingles,
)

ROUND3_SET = EVAL_SET.with_name("sections_train_round3.jsonl")
SEED = 3031
MODEL_REVISION = "4eb9c2b"
ROUND3_COUNTS = {"random": 60, "社会": 60, "科教": 60, "经济": 60}


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def draw() -> list[dict]:
    """The candidates in order: {id, title, lead, sample}."""
    kept_apart = _rows(EVAL_SET) + _rows(FRESH_SET) + _rows(HAND_SET)
    apart_ids = {item["id"] for item in kept_apart}
    apart_titles = {normal_title(item["title"]) for item in kept_apart}
    apart_shingles: set[str] = set()
    for item in kept_apart:
        apart_shingles |= shingles(item["title"] + item.get("lead", ""))
    pool = [
        item for item in corpus_items()
        if item["id"] not in apart_ids and item["lead"]
        and len(normal_title(item["title"])) >= MIN_TITLE_CHARS
        and normal_title(item["title"]) not in apart_titles
        and not any(pattern.search(item["title"]) for _, pattern in _WEAK_CUES)
        and not overlaps(shingles(item["title"] + item["lead"]), apart_shingles)
    ]
    rng = random.Random(SEED)
    rng.shuffle(pool)
    model = drawing_model(MODEL_REVISION)
    taken: list[dict] = []
    taken_titles: set[str] = set()
    taken_shingles: set[str] = set()
    for stratum, wanted in ROUND3_COUNTS.items():
        for item in pool:
            if wanted == 0:
                break
            text_shingles = shingles(item["title"] + item["lead"])
            if normal_title(item["title"]) in taken_titles or overlaps(text_shingles,
                                                                        taken_shingles):
                continue
            if stratum != "random":
                scores = section_scores(item["title"], (item["lead"],), model)
                if max(SECTIONS, key=scores.__getitem__) != stratum:
                    continue
            taken.append({**item, "sample": stratum})
            taken_titles.add(normal_title(item["title"]))
            taken_shingles |= text_shingles
            wanted -= 1
    return taken


def main(argv: list[str]) -> int:
    for item in draw():
        print(json.dumps(item, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
