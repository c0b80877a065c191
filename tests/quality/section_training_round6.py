"""Draw a sixth round of hand-labelled section TRAINING candidates: neighbours of the model's
out-of-fold mistakes on 科教 and 社会 (issue 13; seeded, reproducible from the errors file).

    nice /tmp/venv/bin/python -m tests.quality.section_cv --errors /tmp/cv_errors.jsonl
    /tmp/venv/bin/python -m tests.quality.section_training_round6 /tmp/cv_errors.jsonl >/tmp/r6

Round 5 was drawn where the model *predicts* a weak section and came up mostly with items it
already had right (docs/quality.md, "Fifth training round"). This round is drawn where it is
*wrong*: the out-of-fold mistakes of the shipped setting over the labelled training items
(`section_cv --errors`; no evaluation item is read) whose gold or predicted section is 科教 or
社会. For each such mistake (in a seeded order), the unlabelled corpus item most like it — the
largest share of shared character bigrams of title and lead (Jaccard) — is taken, until
ROUND6_COUNT items: the same kind of headline the model gets wrong, which a label can teach.
Then COMMUNITY_COUNT items at random among titles of local-paper life (COMMUNITY_WORDS: lifts,
property services, parking, markets), which national news seldom covers and a county paper's
社会 page does (`community`).
Cue-less titles only (no weak-label cue, as rounds 3–5), kept apart from every hand-labelled
set (evaluation, fresh, blind, training, rounds 3–5) by id, normalised title and shingles.
`tests/fixtures/sections_train_round6.jsonl` keeps them, in this order, with the section given
by hand and, as `sample`, the mistake each was drawn for (`near:<id>`).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from bot.text.section_training import (
    BLIND_SET,
    CORPORA,
    EVAL_SET,
    FRESH_SET,
    HAND_SET,
    ROUND3_SET,
    ROUND4_SET,
    ROUND5_SET,
    corpus_leads,
    cued_sections,
    normal_title,
    read_jsonl,
)
from tests.quality.section_training_set import (
    MIN_TITLE_CHARS,
    DistinctDraw,
    KeptApart,
    corpus_items,
)

SEED = 6161
ROUND6_COUNT = 110
# Local-paper life (a county paper's 社会 page: lifts in old blocks, property services, parking,
# markets), thin in national news; the seed page's teaser (加梯) is one such headline.
COMMUNITY_COUNT = 10
COMMUNITY_WORDS = re.compile(r"电梯|加梯|物业|小区|停车|菜市场|菜场|便民|邻里|街坊|楼道")
FOCUS = {"科教", "社会"}
APART_FROM = (EVAL_SET, FRESH_SET, BLIND_SET, HAND_SET, ROUND3_SET, ROUND4_SET, ROUND5_SET)


def bigrams(text: str) -> set[str]:
    folded = normal_title(text)
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


def draw(errors: list[dict]) -> list[dict]:
    """The candidates in order: {id, title, lead, sample}."""
    kept = KeptApart(row for path in APART_FROM for row in read_jsonl(path))
    pool = [item for item in corpus_items()
            if item["lead"] and len(normal_title(item["title"])) >= MIN_TITLE_CHARS
            and not cued_sections(item["title"]) and kept.admits(item)]
    grams = [bigrams(item["title"] + item["lead"]) for item in pool]
    vocabulary: dict[str, int] = {}
    rows, columns = [], []
    for position, item_grams in enumerate(grams):
        for gram in item_grams:
            rows.append(position)
            columns.append(vocabulary.setdefault(gram, len(vocabulary)))
    matrix = csr_matrix((np.ones(len(rows)), (rows, columns)),
                        shape=(len(pool), len(vocabulary)))
    sizes = np.array([len(item_grams) for item_grams in grams], dtype=float)
    focus = sorted((row for row in errors if {row["gold"], row["predicted"]} & FOCUS),
                   key=lambda row: row["id"])
    random.Random(SEED).shuffle(focus)
    leads = corpus_leads(CORPORA, {row["id"] for row in focus})
    drawn = DistinctDraw()
    for row in focus:
        if len(drawn.items) == ROUND6_COUNT:
            break
        target = bigrams(row["title"] + leads.get(row["id"], ""))
        known = [vocabulary[gram] for gram in target if gram in vocabulary]
        shared = np.asarray(matrix[:, known].sum(axis=1)).ravel()
        jaccard = shared / (sizes + len(target) - shared)
        # Most alike first; ties by id, so the order does not depend on the pool's.
        ranked = sorted(np.flatnonzero(shared), key=lambda p: (-jaccard[p], pool[p]["id"]))
        for position in ranked[:50]:
            if drawn.take(pool[position], f"near:{row['id']}"):
                break
    community = [item for item in pool if COMMUNITY_WORDS.search(item["title"])]
    random.Random(SEED).shuffle(community)
    drawn.take_first(community, COMMUNITY_COUNT, "community")
    return drawn.items


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    errors = read_jsonl(Path(argv[0]))
    for item in draw(errors):
        print(json.dumps(item, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
