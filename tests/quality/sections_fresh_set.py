"""Draw the fresh held-out set of the section classifier (seeded, reproducible).

    /tmp/venv/bin/python -m tests.quality.sections_fresh_set --draw > /tmp/fresh.jsonl

`tests/fixtures/sections_fresh.jsonl` holds what this draws, in the same order, each line with the
section given by hand **before any model was run on it** (docs/quality.md, "Fresh held-out set");
`python -m tests.quality.sections_eval --fresh` scores it. The draw reads no model.

Kept apart from everything a model was trained or tuned on: no item of the evaluation set
(tuning and held-out) nor of the hand-labelled training set by id, by normalised title, or by
TEXT_OVERLAP of 8-character shingles (the same story on another day or in the other source);
the trainer leaves the fresh ids and titles out of its weak labels
(`section_training.evaluation_exclusions`).
The same two tests drop repeats inside the set.

Strata, from 新闻联播 items (roundups skipped) and 人民日报 2019-10 articles (广告, 图片报道
skipped), one seeded shuffle of each source, the two alternating:
- `random`: RANDOM_COUNT items at random;
- `no-leader`: FILTERED_COUNT items whose titles name no leader, meeting, war report or
  anniversary (LEADER_TITLE, a filter on the title, not on the section), so that the weaker
  sections get enough items to measure (a random draw of national news is ~60 % 时政).
"""

from __future__ import annotations

import json
import re
import sys

from bot.text.section_training import EVAL_SET, FRESH_SET, HAND_SET, normal_title, read_jsonl
from tests.quality.section_training_set import (
    MIN_TITLE_CHARS,
    DistinctDraw,
    KeptApart,
    alternate_sources,
    corpus_items,
)

SEED = 2029
RANDOM_COUNT = 150
FILTERED_COUNT = 200
LEADER_TITLE = re.compile(
    r"习近平|李强|赵乐际|王沪宁|蔡奇|丁薛祥|李希|韩正|李克强|栗战书|汪洋|王岐山|胡春华|刘鹤|孙春兰|"
    r"杨洁篪|王毅|郭声琨|黄坤明|陈希|尤权|总书记|主席|总统|总理|首相|国王|会见|会谈|致电|贺电|贺信|"
    r"回信|政治局|常委会|全会|代表大会|会议|座谈|周年|华诞|国庆|俄|乌克兰|乌军|以色列|以军|巴勒斯坦|"
    r"加沙|黎巴嫩|叙利亚|伊朗|战争|冲突|军队|解放军|国防"
)


def draw() -> list[dict]:
    """The fresh set's items in order: {id, title, lead, sample}."""
    kept_apart = KeptApart(read_jsonl(EVAL_SET) + read_jsonl(HAND_SET))
    pool = [item for item in corpus_items()
            if len(normal_title(item["title"])) >= MIN_TITLE_CHARS and item["lead"]
            and kept_apart.admits(item)]
    pool = alternate_sources(pool, SEED, keep_rest=False)
    drawn = DistinctDraw()
    drawn.take_first(pool, RANDOM_COUNT, "random")
    drawn.take_first(pool, FILTERED_COUNT, "no-leader",
                     lambda item: not LEADER_TITLE.search(item["title"]))
    return drawn.items


def fresh_items() -> list[dict]:
    """The labelled fresh set (empty when the fixture is absent)."""
    return read_jsonl(FRESH_SET) if FRESH_SET.is_file() else []


def main(argv: list[str]) -> int:
    if "--draw" not in argv:
        print(__doc__)
        return 2
    for item in draw():
        print(json.dumps(item, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
