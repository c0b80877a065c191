"""Draw the blind held-out set of the section classifier (seeded, reproducible; issue 13).

    /tmp/venv/bin/python -m tests.quality.sections_blind_set --draw > /tmp/blind.jsonl

The old held-out quarter and the fresh set have been used to choose among some fifteen trainer
settings, so their figures carry selection. `tests/fixtures/sections_blind.jsonl` holds what
this draws, in the same order, each line with the section given by hand **before any model was
run on it** (docs/quality.md, "Blind held-out set"); `python -m tests.quality.sections_eval
--blind` scores it. The draw reads no model.

Same sources and conventions as the fresh set (`sections_fresh_set`): 新闻联播 items (roundups
skipped) and 人民日报 2019-10 articles (广告, 图片报道 skipped), one seeded shuffle of each
source, the two alternating; kept apart from every other hand-labelled set (the evaluation set,
the fresh set, the training set and rounds 3–5) by id, normalised title and TEXT_OVERLAP of
8-character shingles, and inside itself by the same tests. The trainer leaves its ids and titles
out of the weak labels (`section_training.evaluation_exclusions`).

Strata (each takes the first fitting items of what the ones before it left):
- `random`: RANDOM_COUNT items at random;
- `no-leader`: FILTERED_COUNT among titles naming no leader, meeting, war or anniversary
  (`LEADER_TITLE`, as in the fresh set);
- `words:科教`, `words:社会`: WORD_COUNT each among no-leader items whose title or lead has a
  word of that field (SCIENCE_WORDS, SOCIETY_WORDS: a keyword filter on the text, independent of
  the model and of the weak-label cues' role) — extra weight on the two sections the held-out
  sets are thinnest and weakest in (13 科教 items each). The filter picks where to look, not the
  label: the label is what the conventions say (a leader's letter to a school is still 时政);
- `core:科教`: up to CORE_COUNT more among no-leader items with a word of SCIENCE_CORE_WORDS
  (no "技术" or "创新", which brought mostly 经济 items into `words:科教`), appended after the
  first 300 were labelled had given only 18 科教 items (no model had run on them; the items
  before are unchanged). The alternating pool has 22 such items left, so the set has 322.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable

from bot.text.section_training import (
    BLIND_SET,
    EVAL_SET,
    FRESH_SET,
    HAND_SET,
    ROUND3_SET,
    ROUND4_SET,
    ROUND5_SET,
    normal_title,
    read_jsonl,
)
from tests.quality.section_training_set import (
    MIN_TITLE_CHARS,
    DistinctDraw,
    KeptApart,
    alternate_sources,
    corpus_items,
)
from tests.quality.sections_fresh_set import LEADER_TITLE

SEED = 6061
RANDOM_COUNT = 100
FILTERED_COUNT = 80
WORD_COUNT = 60
SCIENCE_WORDS = re.compile(
    r"科学|科技|科研|研究|实验室|院士|航天|卫星|探测|芯片|人工智能|技术|创新|学校|学生|教师|"
    r"高校|大学|学院|课程|课堂|教育|招生|考试"
)
SOCIETY_WORDS = re.compile(
    r"医院|医生|患者|医疗|医保|健康|养老|老人|老年|儿童|妇女|残疾|社区|居民|就业|工资|社保|"
    r"法院|检察|警方|民警|志愿|公益|慈善|救助|环境|生态|垃圾|消费者|食品安全"
)
CORE_COUNT = 40
SCIENCE_CORE_WORDS = re.compile(
    r"科学家|科研|院士|航天|卫星|探测器|实验室|研究所|研究院|芯片|人工智能|中小学|学校|学生|"
    r"教师|高校|大学|课堂|教育部|招生|高考"
)
APART_FROM = (EVAL_SET, FRESH_SET, HAND_SET, ROUND3_SET, ROUND4_SET, ROUND5_SET)


def has_words(pattern: re.Pattern[str]) -> Callable[[dict], bool]:
    """Whether a no-leader item's title or lead has one of ``pattern``'s words."""
    return lambda item: (not LEADER_TITLE.search(item["title"])
                         and bool(pattern.search(item["title"] + item["lead"])))


def draw() -> list[dict]:
    """The blind set's items in order: {id, title, lead, sample}."""
    kept_apart = KeptApart(row for path in APART_FROM for row in read_jsonl(path))
    pool = [item for item in corpus_items()
            if len(normal_title(item["title"])) >= MIN_TITLE_CHARS and item["lead"]
            and kept_apart.admits(item)]
    pool = alternate_sources(pool, SEED, keep_rest=False)
    drawn = DistinctDraw()
    drawn.take_first(pool, RANDOM_COUNT, "random")
    drawn.take_first(pool, FILTERED_COUNT, "no-leader",
                     lambda item: not LEADER_TITLE.search(item["title"]))
    drawn.take_first(pool, WORD_COUNT, "words:科教", has_words(SCIENCE_WORDS))
    drawn.take_first(pool, WORD_COUNT, "words:社会", has_words(SOCIETY_WORDS))
    drawn.take_first(pool, CORE_COUNT, "core:科教", has_words(SCIENCE_CORE_WORDS))
    return drawn.items


def blind_items() -> list[dict]:
    """The labelled blind set (empty when the fixture is absent)."""
    return read_jsonl(BLIND_SET) if BLIND_SET.is_file() else []


def main(argv: list[str]) -> int:
    if "--draw" not in argv:
        print(__doc__)
        return 2
    for item in draw():
        print(json.dumps(item, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
