"""Draw the candidates of the hand-labelled section TRAINING set (seeded, reproducible).

    /tmp/venv/bin/python -m tests.quality.section_training_set > /tmp/candidates.jsonl

`tests/fixtures/sections_train.jsonl` holds what this draws, in the same order, each line with the
section given by hand (docs/quality.md, "Hand-labelled training set"). Only the id, title and
section are kept in the repository; the trainer reads the lead (first paragraph, 150 characters,
as in the evaluation set) from the shared corpora by id.

Kept apart from the evaluation set (`tests/fixtures/sections_eval.jsonl`, tuning and held-out
alike; only its ids, titles and leads are read here, never its sections):
- no item whose id is in it;
- no item whose normalised title (NFKC, letters and CJK only) equals one of its titles;
- no item sharing TEXT_OVERLAP or more of its 8-character shingles (title + lead) with any
  evaluation item (the same story told twice, on another day or in the other source).
Inside the drawn set the same two tests drop repeats.

Strata, from 新闻联播 items (roundups skipped) and 人民日报 2019-10 articles (广告, 图片报道
skipped), one seeded shuffle of each source, the two alternating (half each, as in the evaluation
set); each stratum takes the first fitting items of what the strata before it left:
- `random`: RANDOM_COUNT items at random;
- `predicted:<section>`: items the model of MODEL_REVISION (the one the set was drawn for)
  files under that section, PREDICTED_COUNTS each — extra weight on the weak sections;
- `boundary`: the BOUNDARY_COUNT items with the smallest margin between the model's two best
  sections (from a random BOUNDARY_POOL of the rest), the confusable cases;
- `cue`: CUE_COUNT items whose titles carry a weak section's word (WEAK_SECTION_WORDS) the weak
  labels never used;
- `extra:<section>`: EXTRA_COUNTS more items the model files under 社会 and 科教, drawn after
  the first 735 were labelled had left those two thinnest (appended: the items before them are
  unchanged).
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from bot.text.section_training import (
    CORPORA,
    EVAL_SET,
    HAND_SET,
    NOT_ARTICLES,
    ROUNDUP_TITLES,
    corpus_records,
    normal_title,
    read_jsonl,
)
from bot.text.sections import MODEL_PATH, SECTIONS, SectionModel, section_scores

TRAINING_SET = HAND_SET  # what the trainer reads
SEED = 27
MODEL_REVISION = "1f3b10e"
RANDOM_COUNT = 160
PREDICTED_COUNTS = {"时政": 50, "经济": 50, "社会": 90, "科教": 90, "文体": 90, "应急": 25}
BOUNDARY_COUNT = 120
BOUNDARY_POOL = 4000
CUE_COUNT = 60
# A second round for the two sections the first 735 items left thinnest (社会 111, 科教 79).
EXTRA_COUNTS = {"社会": 70, "科教": 70}
WEAK_SECTION_WORDS = re.compile(
    r"医院|医生|患者|法院|检察|消费者|慈善|公益|老年|儿童|妇女|困难群众|低保|社保|工资|农民工|食品安全|"
    r"污染|植树|雷锋|见义勇为|劳模|物业|电视剧|纪录片|艺术|书法|戏曲|展览|文学|作家|图书|阅读|景区|"
    r"媒体|联赛|世界杯|芯片|量子|算力|研究院|职业教育|课程|考试|招生|论文|创新大赛"
)
SHINGLE = 8
TEXT_OVERLAP = 0.3
MIN_TITLE_CHARS = 4


def shingles(text: str) -> set[str]:
    folded = normal_title(text)
    return {folded[i : i + SHINGLE] for i in range(len(folded) - SHINGLE + 1)}


def overlaps(candidate: set[str], seen: set[str]) -> bool:
    return bool(candidate) and len(candidate & seen) / len(candidate) >= TEXT_OVERLAP


class KeptApart:
    """Items a draw must not repeat: by id, normalised title or TEXT_OVERLAP of shingles.

    One definition of "the same story" for every set drawn here, so that the evaluation, fresh
    and training sets stay apart by the same test they were drawn with.
    """

    def __init__(self, items: Iterable[dict] = ()) -> None:
        self._ids: set[str] = set()
        self._titles: set[str] = set()
        self._shingles: set[str] = set()
        for item in items:
            self.add(item)

    def add(self, item: dict) -> None:
        self._ids.add(item["id"])
        self._titles.add(normal_title(item["title"]))
        self._shingles |= shingles(item["title"] + item.get("lead", ""))  # the hand set has none

    def admits(self, item: dict) -> bool:
        return (item["id"] not in self._ids
                and normal_title(item["title"]) not in self._titles
                and not overlaps(shingles(item["title"] + item.get("lead", "")), self._shingles))


class DistinctDraw:
    """The items drawn so far, in order, none repeating another (`KeptApart`)."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self._seen = KeptApart()

    def take(self, item: dict, sample: str) -> bool:
        """Take ``item`` as a ``sample`` item unless it repeats one already taken."""
        if not self._seen.admits(item):
            return False
        self.items.append({"id": item["id"], "title": item["title"], "lead": item["lead"],
                           "sample": sample})
        self._seen.add(item)
        return True

    def take_first(self, pool: Iterable[dict], wanted: int, sample: str,
                   fits: Callable[[dict], bool] = lambda item: True) -> None:
        """Take the first ``wanted`` items of ``pool`` that fit and repeat nothing taken."""
        for item in pool:
            if wanted == 0:
                break
            if self._seen.admits(item) and fits(item):
                wanted -= self.take(item, sample)


def alternate_sources(pool: list[dict], seed: int, *, keep_rest: bool) -> list[dict]:
    """新闻联播 and 人民日报 items alternating, each source shuffled by one seeded generator.

    With ``keep_rest`` the 新闻联播 items left when 人民日报 runs out follow.
    """
    rng = random.Random(seed)
    by_source = [[item for item in pool if item["id"].startswith(source)]
                 for source in ("xwlb:", "rmrb:")]
    for items in by_source:
        rng.shuffle(items)
    alternated = [item for pair in zip(*by_source, strict=False) for item in pair]
    if keep_rest:
        alternated += by_source[0][len(by_source[1]):]
    return alternated


def corpus_items(corpora: Path = CORPORA) -> Iterator[dict]:
    """Every candidate: {id, title, lead}, 新闻联播 first, in corpus order."""
    for key, raw_title, lead in corpus_records(corpora):
        title = raw_title.strip()
        if ROUNDUP_TITLES.search(title) if key.startswith("xwlb:") else title in NOT_ARTICLES:
            continue
        yield {"id": key, "title": title, "lead": lead}


def drawing_model(revision: str = MODEL_REVISION) -> SectionModel:
    """The shipped model as it was at `revision` (the one a draw was made for)."""
    text = subprocess.run(
        ["git", "show", f"{revision}:bot/text/data/section_model.json"],
        check=True, capture_output=True, text=True, cwd=MODEL_PATH.parents[3],
    ).stdout
    return SectionModel.from_json(json.loads(text))


def draw() -> list[dict]:
    evaluation = KeptApart(read_jsonl(EVAL_SET))
    pool = [item for item in corpus_items()
            if len(normal_title(item["title"])) >= MIN_TITLE_CHARS and item["lead"]
            and evaluation.admits(item)]
    model = drawing_model()
    # The two sources alternate (half each, like the evaluation set) until 人民日报 runs out.
    pool = alternate_sources(pool, SEED, keep_rest=True)
    drawn = DistinctDraw()
    taken = drawn.items

    def rest() -> list[dict]:
        ids = {item["id"] for item in taken}
        return [item for item in pool if item["id"] not in ids]

    drawn.take_first(pool, RANDOM_COUNT, "random")

    scored: dict[str, dict[str, float]] = {}

    def scores_of(item: dict) -> dict[str, float]:
        if item["id"] not in scored:
            scored[item["id"]] = section_scores(item["title"], (item["lead"],), model)
        return scored[item["id"]]

    def take_predicted(section: str, wanted: int, why: str) -> None:
        """Take the next ``wanted`` items the model files under ``section``."""
        drawn.take_first(rest(), wanted, why, lambda item: max(
            SECTIONS, key=scores_of(item).__getitem__) == section)

    for section in SECTIONS:
        take_predicted(section, PREDICTED_COUNTS[section], f"predicted:{section}")

    def margin(item: dict) -> float:
        top, second = sorted(scores_of(item).values(), reverse=True)[:2]
        return top - second

    boundary = sorted(rest()[:BOUNDARY_POOL], key=lambda item: (margin(item), item["id"]))
    drawn.take_first(boundary, BOUNDARY_COUNT, "boundary")
    drawn.take_first(rest(), CUE_COUNT, "cue",
                     lambda item: bool(WEAK_SECTION_WORDS.search(item["title"])))

    for section, wanted in EXTRA_COUNTS.items():
        take_predicted(section, wanted, f"extra:{section}")
    return taken


def main(argv: list[str]) -> int:
    for item in draw():
        print(json.dumps(item, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
