"""Train the section classifier offline and write `bot/text/data/section_model.json`.

Run `python -m bot.text.section_training` (needs the `train` extra: scikit-learn). It fits a
logistic regression over characters, character bigrams and jieba words (normalised counts, the
title three times over the lead) on THUCNews dev, the weak 应急 items, and 新闻联播 items and
人民日报 2019-10 articles weakly labelled by title cues (WEAK_TITLE_CUES: exactly one section's
cue in the title; items of the hand-labelled evaluation set are left out) — the 新闻联播 titles
alone and, like the 人民日报 ones, with their first paragraph — and on the hand-labelled
national-news training sets (HAND_SET, 875 items, each weighing HAND_WEIGHT weak examples;
ROUND3_SET, 240 items with cue-less titles, each weighing ROUND3_WEIGHT, and later cue-less
rounds at CUELESS_WEIGHTS; none of them in the
evaluation or fresh sets), titles weighing TRAIN_TITLE_WEIGHT against the lead (kept in the model
for the run time), and ships the weights as integers (WEIGHT_SCALE).
`--calibrate` adds per-section offsets to the intercepts, fitted on the tuning split of the
evaluation set (`calibrate`); with the hand-labelled set they no longer gain on items they were
not fitted on (`tests/quality/section_offsets_cv.py`), so the shipped model has none. Settings
were chosen on the tuning split of `tests/fixtures/sections_eval.jsonl`
(`tests/quality/sections_eval.py`); the held-out quarter is never read here and was scored
once, afterwards.

Operator corrections close the loop: `--labels FILE` (what `newsbrief sections export-labels FILE`
writes, format in `bot.text.section_labels`) adds each corrected article as a training example
weighing LABEL_WEIGHT weak ones. `--out PATH` writes a trial model elsewhere, leaving the shipped
weights alone (score it with `python -m tests.quality.sections_eval --model PATH`).
`--nb` trains the previous naive Bayes model instead (described below).

Naive Bayes (`--nb`): It reads the shared corpora beside the repository
(`../shared/data/corpora`), picks settings by 5-fold cross-validation on THUCNews *dev* only,
fits the shipped model on all of dev plus weakly labelled 应急 items, and only then scores the
THUCNews *test* split once. TNEWS is held out for outside measurement and is never read here.

THUCNews class -> section (every class has a home; 应急 has no THUCNews class and is learnt from
新闻联播 items instead, so the THUCNews metric is macro-F1 over the five sections it contains,
with any 应急 prediction counted as an error):
    finance, realty, stocks -> 经济   education, science -> 科教   society -> 社会
    politics -> 时政                  sports, game, entertainment -> 文体
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jieba

from bot.text.section_labels import LABEL_WEIGHT, LabelFileError, SectionLabel, read_labels
from bot.text.sections import (
    EMERGENCY_PATTERN,
    LINEAR_FORMAT,
    MODEL_PATH,
    SECTIONS,
    TITLE_WEIGHT,
    SectionModel,
    article_lead,
    classify_section,
    extract_features,
    section_scores,
)

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CORPORA = SHARED_DATA / "corpora"
THUCNEWS_SECTIONS: dict[str, str] = {
    "finance": "经济",
    "realty": "经济",
    "stocks": "经济",
    "education": "科教",
    "science": "科教",
    "society": "社会",
    "politics": "时政",
    "sports": "文体",
    "game": "文体",
    "entertainment": "文体",
}
EMERGENCY_CLASS = "emergency"
FOLDS = 5
# Digests of several unrelated stories: their titles say nothing about the emergency inside.
ROUNDUP_TITLES = re.compile(r"联播快讯|新闻联播|全面深化改革|新气象|预警机")


@dataclass(frozen=True)
class Example:
    """One training or evaluation text with its fine class (THUCNews label or emergency)."""

    text: str
    fine_class: str


@dataclass(frozen=True)
class Settings:
    """Knobs chosen by cross-validation on dev."""

    alpha: float
    min_count: int
    min_word_count: int
    unigrams: bool


def read_titles(path: Path, class_names: Sequence[str]) -> list[Example]:
    """THUCNews `title<TAB>label-id` lines."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        title, label = line.rsplit("\t", 1)
        examples.append(Example(title, class_names[int(label)]))
    return examples


def first_sentence_with(text: str, pattern: re.Pattern[str], limit: int = 80) -> str | None:
    """The first sentence naming the hazard: a title-sized sample of emergency language."""
    for sentence in re.split(r"[。！？\n]", text):
        if pattern.search(sentence):
            return sentence.strip()[:limit]
    return None


def emergency_examples(corpora: Path) -> list[Example]:
    """Weak 应急 labels from 新闻联播: the curated typhoon/flood items (title and first hazard
    sentence) plus every item title that names a hazard; roundups are skipped."""
    texts: list[str] = []
    for name in ("typhoon-items.jsonl", "other-emergency-items.jsonl"):
        for line in (corpora / "xwlb" / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if not ROUNDUP_TITLES.search(item["title"]):
                texts.append(item["title"])
            sentence = first_sentence_with(item.get("text", ""), EMERGENCY_PATTERN)
            if sentence:
                texts.append(sentence)
    with gzip.open(corpora / "xwlb" / "items.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            title = json.loads(line)["title"]
            if EMERGENCY_PATTERN.search(title) and not ROUNDUP_TITLES.search(title):
                texts.append(title)
    unique = sorted(set(texts))
    return [Example(text, EMERGENCY_CLASS) for text in unique]


def jieba_words(texts: Iterable[str], min_word_count: int) -> frozenset[str]:
    """Multi-character words jieba finds in the training texts (bigrams cover 2-char words)."""
    counts: Counter[str] = Counter()
    for text in texts:
        for word in jieba.cut(text):
            if len(word) >= 3 and all("\u3400" <= ch <= "\u9fff" for ch in word):
                counts[word] += 1
    return frozenset(word for word, count in counts.items() if count >= min_word_count)


def fit(examples: Sequence[Example], classes: Sequence[str], settings: Settings) -> dict:
    """Count features per class and return the JSON-ready model (sparse counts, sorted keys)."""
    words = jieba_words((e.text for e in examples), settings.min_word_count)
    lengths = sorted({len(w) for w in words})
    index = {name: i for i, name in enumerate(classes)}
    per_feature: dict[str, Counter[int]] = defaultdict(Counter)
    for example in examples:
        # Binary within a title: a repeated character says little more about the topic.
        for feature in set(extract_features(example.text, words, lengths, settings.unigrams)):
            per_feature[feature][index[example.fine_class]] += 1
    kept = {
        feature: counts
        for feature, counts in per_feature.items()
        if sum(counts.values()) >= settings.min_count
    }
    totals = [0] * len(classes)
    encoded: dict[str, str] = {}
    for feature in sorted(kept):
        counts = kept[feature]
        for class_index, count in counts.items():
            totals[class_index] += count
        encoded[feature] = ",".join(f"{i}:{counts[i]}" for i in sorted(counts))
    sections = [THUCNEWS_SECTIONS.get(name, "应急") for name in classes]
    return {
        "format": "newsbrief-section-nb/1",
        "classes": list(classes),
        "class_sections": sections,
        "alpha": settings.alpha,
        "unigrams": settings.unigrams,
        "class_totals": totals,
        "counts": encoded,
    }


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, dict[str, float]]:
    """Macro-F1 over the sections present in `gold`; predictions outside them are just errors."""
    labels = [s for s in SECTIONS if s in set(gold)]
    per_class: dict[str, float] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        per_class[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return sum(per_class.values()) / len(per_class), per_class


def evaluate(model_json: dict, examples: Sequence[Example]) -> tuple[float, dict[str, float], int]:
    """Score titles through the same path the bot uses; also count stray 应急 predictions."""
    model = SectionModel.from_json(model_json)
    gold = [THUCNEWS_SECTIONS[e.fine_class] for e in examples]
    predicted = [classify_section(e.text, (), model) for e in examples]
    score, per_class = macro_f1(gold, predicted)
    return score, per_class, predicted.count("应急")


def cross_validate(
    dev: Sequence[Example], extra: Sequence[Example], classes: Sequence[str], settings: Settings
) -> float:
    """Mean macro-F1 of FOLDS folds of dev (every fold trains with the 应急 items too)."""
    scores = []
    for fold in range(FOLDS):
        train = [e for i, e in enumerate(dev) if i % FOLDS != fold] + list(extra)
        held = [e for i, e in enumerate(dev) if i % FOLDS == fold]
        scores.append(evaluate(fit(train, classes, settings), held)[0])
    return sum(scores) / len(scores)


def format_per_class(per_class: dict[str, float]) -> str:
    return "  ".join(f"{name} {value:.3f}" for name, value in per_class.items())


# Weak labels for 新闻联播 titles: a title with cues of exactly one section gets that section.
WEAK_TITLE_CUES: tuple[tuple[str, str], ...] = (
    ("时政", r"习近平|李强|赵乐际|王沪宁|蔡奇|丁薛祥|李希|会见|会谈|外交部|总统|总理|国务院|政治局|"
             r"全会|巡视|纪委|人大常委|政协|俄军|乌军|以军|以色列|联合国|军队|解放军"),
    ("经济", r"经济|消费|外贸|进出口|物流|快递|企业|产业|投资|金融|粮食|春耕|秋粮|农业|汽车|制造业|"
             r"工业|消博会|进博会|市场|GDP|税"),
    ("科教", r"航天|神舟|嫦娥|天舟|科技|科研|研发|教育|学校|高校|大学|学生|教师|科学|院士|实验室|"
             r"卫星|人工智能"),
    ("文体", r"体育|运动会|冠军|金牌|比赛|赛事|奥运|亚运|足球|篮球|文化|文艺|电影|音乐|演出|非遗|"
             r"文物|博物馆|旅游|游客|文旅|春节|节气|假期"),
    ("社会", r"医疗|医保|养老|就业|社区|民生|健康|疫情|公安|交通安全|志愿|救助|残疾人|老旧小区|"
             r"环境|生态|垃圾"),
)
EVAL_SET = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "sections_eval.jsonl"
# Hand-labelled national-news TRAINING items (drawn by tests/quality/section_training_set.py,
# its TRAINING_SET; none of them in EVAL_SET): id, title and section; the lead is read from the
# corpora by id (`hand_labelled_items`).
HAND_SET = EVAL_SET.with_name("sections_train.jsonl")
# Later rounds of items whose titles carry no cue (tests/quality/section_training_round3.py,
# `--round N`), the weakness both held-out sets showed; same format as HAND_SET. Round 3 (240
# items) and, since the seventh round, rounds 4 and 5 (120 each, the second aimed at 科教 / 社会
# and their boundaries) are in the shipped model (docs/quality.md).
ROUND3_SET = EVAL_SET.with_name("sections_train_round3.jsonl")
ROUND4_SET = EVAL_SET.with_name("sections_train_round4.jsonl")
ROUND5_SET = EVAL_SET.with_name("sections_train_round5.jsonl")
# Round 6 (issue 13, tests/quality/section_training_round6.py): neighbours of the out-of-fold
# mistakes on 科教 / 社会 (`tests/quality/section_cv.py`), 114 items.
ROUND6_SET = EVAL_SET.with_name("sections_train_round6.jsonl")
# Round 8 (issue 13, tests/quality/section_training_round8.py): cue-less titles holding a science,
# school or daily-life word the cues lack, 219 items (the seventh round added none).
ROUND8_SET = EVAL_SET.with_name("sections_train_round8.jsonl")
CUELESS_ROUNDS: dict[int, Path] = {
    3: ROUND3_SET, 4: ROUND4_SET, 5: ROUND5_SET, 6: ROUND6_SET, 8: ROUND8_SET}
# The fresh held-out set (tests/quality/sections_fresh_set.py): never trained on, like EVAL_SET.
FRESH_SET = EVAL_SET.with_name("sections_fresh.jsonl")
# The blind held-out set (tests/quality/sections_blind_set.py, issue 13): sealed before any
# model ran on it, never trained or tuned on.
BLIND_SET = EVAL_SET.with_name("sections_blind.jsonl")
# One hand-labelled item against a weak example's 1: chosen on the tuning split among 1, 3, 10,
# 20, 30 (30 costs THUCNews test its floor).
HAND_WEIGHT = 20.0
# One third-round (cue-less) item: 10 rather than 20, the one of the settings tried that keeps the
# seed page 6/6 and THUCNews test >= 0.78 (docs/quality.md, "Third round").
ROUND3_WEIGHT = 10.0
# Rounds 4 and 5 at 10, round 6 at 20 (with THUCNEWS_WEIGHT 1.5): chosen by the CV with
# converged fits over the sixth round's choice (round 6 alone), docs/quality.md "Seventh round".
# Round 8 at 10: chosen by the converged CV, folds 3-5 (docs/quality.md "Eighth round").
CUELESS_WEIGHTS: dict[int, float] = {3: ROUND3_WEIGHT, 4: 10.0, 5: 10.0, 6: 20.0, 8: 10.0}
# The title against the lead's 1 in training (and, kept in the model, at run time): 2 rather
# than the run-time default TITLE_WEIGHT 3 (docs/quality.md, "Third round").
TRAIN_TITLE_WEIGHT = 2.0
LINEAR_C = 100.0  # chosen on the eval tuning split among 3, 30, 100, 300
# The solver's stopping tolerance. At scikit-learn's default, 1e-4, the fit stops where the
# CPU's rounding leads it (permuting the rows changes 278 of 10,000 THUCNews predictions; so does
# another CPU's kernels); at 1e-6 it is the optimum's (3 of 10,000; docs/quality.md, "Sixth
# round" and "Seventh round"). A fit takes ~2.5x longer.
LINEAR_TOL = 1e-6
# One THUCNews dev title against a weak example's 1 (docs/quality.md, "Fifth training round":
# 1.5 keeps THUCNews test over its floor with the later rounds in).
THUCNEWS_WEIGHT = 1.5
# Whether jieba's word vocabulary is drawn from the leads too, not only from the titles.
LEAD_WORDS = False
WEIGHT_SCALE = 1000  # weights ship as integers in thousandths
# Smaller weights are dropped: ~1.1 MB instead of 1.9 at 0.5, tuning unchanged. 1.05 since the
# converged fit of the seventh round (2.00 MB at 1.0, 1.92 MB at 1.05; 4 of 10,000 THUCNews
# predictions and none of 1,837 national-news items change).
MIN_WEIGHT = 1.05
# Leads of the weak items: the first paragraph, as in the evaluation set (150 characters).
WEAK_LEAD_CHARS = 150
XWLB_PREFIX = re.compile(r"^\s*央视网消息（新闻联播）：\s*")
NOT_ARTICLES = {"广告", "图片报道"}  # 人民日报 page items that are not news
# Per-section offsets added to the intercepts (prior calibration for the national-news domain):
# coordinate ascent on the tuning split's macro-F1 over this grid, OFFSET_ROUNDS passes in the
# order of SECTIONS, ties to the smaller offset. See docs/quality.md for its cross-validated gain.
OFFSET_GRID = tuple(step / 10 for step in range(-10, 11))  # ±1.0; ±0.6, ±1.5 CV-scored lower
OFFSET_ROUNDS = 3


@dataclass(frozen=True)
class WeakItem:
    """A corpus item whose title names exactly one section's cues: title, lead, that section."""

    title: str
    lead: str
    section: str


_WEAK_CUES = [(section, re.compile(pattern)) for section, pattern in WEAK_TITLE_CUES]


def cued_sections(title: str) -> list[str]:
    """The sections whose weak-label cues the title has (WEAK_TITLE_CUES)."""
    return [section for section, pattern in _WEAK_CUES if pattern.search(title)]


def weak_section(title: str) -> str | None:
    """The one section whose cues the title has; None for none or several."""
    hits = cued_sections(title)
    return hits[0] if len(hits) == 1 else None


def read_jsonl(path: Path) -> list[dict]:
    """The items of a labelled set, one JSON object a line."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def normal_title(title: str) -> str:
    """The title with only its letters, digits and CJK characters, NFKC-folded: how the sets
    compare titles (the same headline with other punctuation is the same headline)."""
    folded = unicodedata.normalize("NFKC", title).lower()
    return "".join(ch for ch in folded if ch.isalnum())


def first_paragraph(text: str, skip: str = "") -> str:
    """The first non-empty paragraph of a body (not the line repeating the title), cut to
    WEAK_LEAD_CHARS: what the evaluation set calls the lead."""
    for paragraph in XWLB_PREFIX.sub("", text).split("\n"):
        paragraph = paragraph.strip()
        if paragraph and paragraph != skip.strip():
            return paragraph[:WEAK_LEAD_CHARS]
    return ""


def xwlb_records(corpora: Path) -> Iterator[tuple[str, str, str]]:
    """(``xwlb:date:idx``, title as stored, lead) of every 新闻联播 item."""
    with gzip.open(corpora / "xwlb" / "items.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            yield (f"xwlb:{item['date']}:{item['idx']}", item["title"],
                   first_paragraph(item.get("text", "")))


def rmrb_records(corpora: Path) -> Iterator[tuple[str, str, str]]:
    """(``rmrb:date:page:seq``, title as stored, lead) of every 人民日报 2019-10 article;
    absent corpus, none."""
    path = corpora / "rmrb-2019-10" / "articles.jsonl"
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        yield (f"rmrb:{article['date']}:{article['page']}:{article['seq']}", article["title"],
               first_paragraph(article.get("text", ""), article["title"]))


def corpus_records(corpora: Path) -> Iterator[tuple[str, str, str]]:
    """Every 新闻联播 item, then every 人民日报 article: the one reader of the corpora for weak
    labels, hand-set leads and the hand-set draw."""
    yield from xwlb_records(corpora)
    yield from rmrb_records(corpora)


def evaluation_exclusions() -> tuple[set[str], set[str]]:
    """Ids and normalised titles of every evaluation item (the eval set, tuning and held-out,
    the fresh set and the blind set): no weak label may come from them, nor from the same
    headline stored under another id (a repeat on another day, the other source)."""
    rows = [row for path in (EVAL_SET, FRESH_SET, BLIND_SET) if path.is_file()
            for row in read_jsonl(path)]
    return {row["id"] for row in rows}, {normal_title(row["title"]) for row in rows}


def weak_exclusions(
    trained: Iterable[SectionLabel], held_apart: Iterable[SectionLabel] = ()
) -> tuple[set[str], set[str]]:
    """Ids and normalised titles no weak label may come from: every evaluation item
    (`evaluation_exclusions`), the labelled items trained on (by id: they are in already, with
    their hand label) and a cross-validation fold's held-apart items, by id *and* title — the
    same headline stored under another id (a repeat on another day, the other source) would
    otherwise come back as a weak text while its twin is scored."""
    ids, titles = evaluation_exclusions()
    held = list(held_apart)
    ids |= {item.id for item in [*trained, *held]}
    titles |= {normal_title(item.title) for item in held}
    return ids, titles


def weak_title_examples(
    corpora: Path, exclude: set[str], exclude_titles: frozenset[str] | set[str] = frozenset()
) -> list[WeakItem]:
    """新闻联播 items whose titles have cues of exactly one section (ids in `exclude`, titles
    in `exclude_titles`, roundups left out), with their first paragraph."""
    return [WeakItem(title, lead, section)
            for key, title, lead in xwlb_records(corpora)
            if key not in exclude and not ROUNDUP_TITLES.search(title)
            and normal_title(title) not in exclude_titles
            and (section := weak_section(title))]


def weak_rmrb_examples(
    corpora: Path, exclude: set[str], exclude_titles: frozenset[str] | set[str] = frozenset()
) -> list[WeakItem]:
    """人民日报 2019-10 articles labelled the same way by their titles (page numbers are not
    used: that month's pages mix sections). Absent corpus, none."""
    return [WeakItem(title, lead, section)
            for key, title, lead in rmrb_records(corpora)
            if key not in exclude and title.strip() not in NOT_ARTICLES
            and normal_title(title) not in exclude_titles
            and (section := weak_section(title))]


def corpus_leads(corpora: Path, ids: set[str]) -> dict[str, str]:
    """The lead (first paragraph, WEAK_LEAD_CHARS, as the evaluation set keeps it) of each
    新闻联播 item and 人民日报 article named in `ids`."""
    return {key: lead for key, _, lead in corpus_records(corpora) if key in ids}


def hand_labelled_items(
    corpora: Path, paths: Sequence[Path] = (HAND_SET,)
) -> list[SectionLabel]:
    """The hand-labelled training sets with each item's lead from the corpora (an item whose
    source is absent keeps its title alone)."""
    rows = [row for path in paths for row in read_jsonl(path)]
    leads = corpus_leads(corpora, {row["id"] for row in rows})
    return [
        SectionLabel(row["id"], row["title"], leads.get(row["id"], ""), row["section"])
        for row in rows
    ]


def fit_offsets(
    scored: Sequence[Mapping[str, float]], gold: Sequence[str]
) -> dict[str, float]:
    """Per-section score offsets that maximise macro-F1 of `scored` (section -> score) against
    `gold`: coordinate ascent over OFFSET_GRID, deterministic."""

    def score(offsets: Mapping[str, float]) -> float:
        predicted = [max(SECTIONS, key=lambda s: item[s] + offsets[s]) for item in scored]
        return macro_f1(gold, predicted)[0]

    offsets = dict.fromkeys(SECTIONS, 0.0)
    for _ in range(OFFSET_ROUNDS):
        for section in SECTIONS:
            offsets[section] = max(
                OFFSET_GRID, key=lambda v: (score({**offsets, section: v}), -abs(v))
            )
    return offsets


def eval_items(held_out: bool) -> list[dict]:
    """The eval set's tuning split (index % 4 != 3) or its held-out quarter: the one split rule
    for training, calibration and the evaluation scripts."""
    return [item for i, item in enumerate(read_jsonl(EVAL_SET)) if (i % 4 == 3) == held_out]


def tuning_items() -> list[dict]:
    """The eval set's tuning split; the held-out quarter is never read here."""
    return eval_items(held_out=False)


def calibrate(model_json: dict) -> dict[str, float]:
    """Offsets fitted on the tuning split's title + lead scores (the bot's own path, cue
    bonuses included), folded into the model's intercepts; returns them."""
    model = SectionModel.from_json(model_json)
    items = tuning_items()
    scored = [section_scores(item["title"], (item["lead"],), model) for item in items]
    offsets = fit_offsets(scored, [item["section"] for item in items])
    model_json["intercepts"] = [
        round(base + offsets[section], 4)
        for base, section in zip(model_json["intercepts"], SECTIONS, strict=True)
    ]
    return offsets


def train_linear(
    corpora: Path,
    labels: Sequence[SectionLabel] = (),
    label_weight: float = LABEL_WEIGHT,
    calibrated: bool = False,
    hand: Sequence[SectionLabel] = (),
    hand_weight: float = HAND_WEIGHT,
    linear_c: float = LINEAR_C,
    title_weight: float = TRAIN_TITLE_WEIGHT,
    rounds: Mapping[int, tuple[Sequence[SectionLabel], float]] | None = None,
    thucnews_weight: float = THUCNEWS_WEIGHT,
    lead_words: bool = LEAD_WORDS,
    held_apart: Collection[SectionLabel] = (),
    tol: float = LINEAR_TOL,
    row_order: int | None = None,
    min_weight: float = MIN_WEIGHT,
) -> dict:
    """Fit the logistic regression and return the JSON-ready model.

    `labels` (operator corrections, `bot.text.section_labels`) join the training set with
    `label_weight` each (a weak example weighs 1): their features are title and lead weighted as
    at run time, so the corrected article itself scores the way it was trained. `hand` (the
    hand-labelled training set, `hand_labelled_items`) joins the same way with `hand_weight`;
    its items are left out of the weak ones. `calibrated` folds the tuning split's per-section
    offsets (`calibrate`) into the intercepts. `title_weight` weighs a title against its lead
    (training rows and, kept in the model, the run time). `rounds` (the cue-less rounds: round
    number -> its items and the weight of each) join like `hand`, before it, the latest round
    first. `thucnews_weight` weighs each THUCNews dev title; `lead_words` draws the word
    vocabulary from the leads of the weak and labelled items as well as from the titles.
    `held_apart` (a cross-validation fold's items, `tests/quality/section_cv.py`) are left out
    of the weak labels by id and by normalised title (`weak_exclusions`). `tol` is the solver's
    stopping tolerance (LINEAR_TOL). `row_order` (a seed) shuffles the rows before the fit: the
    optimum does not depend on their order, so a converged fit must not either (the check in
    docs/quality.md, "Seventh round"). Features whose weights are all below `min_weight` in
    magnitude are dropped (MIN_WEIGHT).
    """
    from sklearn.feature_extraction import DictVectorizer  # training-only dependency
    from sklearn.linear_model import LogisticRegression

    thuc = corpora / "thucnews-titles"
    class_names = (thuc / "class.txt").read_text(encoding="utf-8").split()
    dev = read_titles(thuc / "dev.txt", class_names)
    rounds = rounds or {}
    cueless = [(number, *rounds[number]) for number in sorted(rounds, reverse=True)]
    round_items = [item for _, items, _ in cueless for item in items]
    exclude, exclude_titles = weak_exclusions([*round_items, *hand], held_apart)
    weak = weak_title_examples(corpora, exclude, exclude_titles)
    weak_rmrb = weak_rmrb_examples(corpora, exclude, exclude_titles)
    texts = [e.text for e in dev] + [e.text for e in emergency_examples(corpora)]
    labels_out = [THUCNEWS_SECTIONS[e.fine_class] for e in dev]
    labels_out += ["应急"] * (len(texts) - len(labels_out))
    texts += [item.title for item in weak]
    labels_out += [item.section for item in weak]
    # The weak items once more as title + lead (weighted as at run time): the leads teach the
    # national-news wording of bodies, which THUCNews titles never show.
    # Operator corrections, then the hand-labelled sets (this order: the shipped fit used it).
    corrections = [*labels, *round_items, *hand]
    with_leads = [*weak, *weak_rmrb]
    labels_out += [item.section for item in with_leads]
    vocabulary_texts = (
        [e.text for e in dev]
        + [item.title for item in weak]
        + [item.title for item in weak_rmrb]
        + [label.title for label in corrections]
    )
    if lead_words:
        vocabulary_texts += [item.lead for item in with_leads]
        vocabulary_texts += [label.lead for label in corrections]
    words = jieba_words(vocabulary_texts, 2)
    lengths = sorted({len(w) for w in words})

    def features(weighted: Sequence[tuple[str, float]]) -> dict[str, float]:
        """Normalised feature counts; several texts weighted like `section_scores` weighs
        title and lead."""
        found: Counter[str] = Counter()
        for text, weight in weighted:
            for feature in extract_features(text, words, lengths, unigrams=True):
                found[feature] += weight
        total = sum(found.values()) or 1
        return {feature: count / total for feature, count in found.items()}

    rows = [features([(text, 1.0)]) for text in texts]
    rows += [features([(item.title, title_weight), (item.lead, 1.0)]) for item in with_leads]
    rows += [
        features([(label.title, title_weight), (article_lead([label.lead]), 1.0)])
        for label in corrections
    ]
    labels_out += [label.section for label in corrections]
    sample_weight = [thucnews_weight] * len(dev) + [1.0] * (len(texts) - len(dev) + len(with_leads))
    sample_weight += [label_weight] * len(labels)
    sample_weight += [weight for _, items, weight in cueless for _ in items]
    sample_weight += [hand_weight] * len(hand)
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(rows)
    if row_order is not None:
        shuffled = list(range(len(labels_out)))
        random.Random(row_order).shuffle(shuffled)
        matrix = matrix[shuffled]
        labels_out = [labels_out[i] for i in shuffled]
        sample_weight = [sample_weight[i] for i in shuffled]
    classifier = LogisticRegression(C=linear_c, max_iter=3000, class_weight="balanced", tol=tol)
    classifier.fit(matrix, labels_out, sample_weight=sample_weight)
    order = [list(classifier.classes_).index(section) for section in SECTIONS]
    weights: dict[str, list[int]] = {}
    for column, feature in enumerate(vectorizer.get_feature_names_out()):
        vector = [float(classifier.coef_[row, column]) for row in order]
        if max(abs(w) for w in vector) >= min_weight:
            weights[str(feature)] = [round(w * WEIGHT_SCALE) for w in vector]
    kept_words = sorted(w for w in words if w in weights)
    training: dict[str, object] = {
        "thucnews_dev": len(dev), "weak_titles": len(weak), "weak_rmrb": len(weak_rmrb),
        "C": linear_c, "min_weight": min_weight,
    }
    if thucnews_weight != 1.0:
        training.update(thucnews_weight=thucnews_weight)
    if lead_words:
        training.update(lead_words=True)
    training.update(tol=tol)
    if row_order is not None:
        training.update(row_order=row_order)
    training.update(iterations=int(classifier.n_iter_[0]))
    if hand:
        training.update(hand_labelled=len(hand), hand_weight=hand_weight)
    for number, items, weight in sorted(cueless):
        if items:
            training.update({f"round{number}": len(items), f"round{number}_weight": weight})
    if title_weight != TITLE_WEIGHT:
        training.update(title_weight=title_weight)
    if labels:
        training.update(labels=len(labels), label_weight=label_weight)
    model_json = {
        "format": LINEAR_FORMAT,
        "classes": list(SECTIONS),
        "intercepts": [round(float(classifier.intercept_[row]), 4) for row in order],
        "scale": WEIGHT_SCALE,
        "unigrams": True,
        "words": kept_words,
        "weights": dict(sorted(weights.items())),
        "training": training,
    }
    if title_weight != TITLE_WEIGHT:  # the run time reads it from the model
        model_json["title_weight"] = title_weight
    if calibrated:
        offsets = calibrate(model_json)
        training["offsets"] = {section: offsets[section] for section in SECTIONS}
    return model_json


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.text.section_training",
        description="Train the section model and write it (default: the shipped weights).",
    )
    parser.add_argument("--labels", type=Path, action="append", default=[], metavar="FILE",
                        help="operator corrections (`newsbrief sections export-labels FILE`); "
                        "may be given more than once")
    parser.add_argument("--label-weight", type=float, default=LABEL_WEIGHT, metavar="W",
                        help=f"weight of one correction against a weak example's 1 "
                        f"(default {LABEL_WEIGHT:g})")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, metavar="PATH",
                        help="where to write the model (default: the shipped "
                        "bot/text/data/section_model.json); a trial model goes elsewhere")
    parser.add_argument("--corpora", type=Path, default=CORPORA, metavar="DIR",
                        help="the shared corpora (default ../shared/data/corpora)")
    parser.add_argument("--hand-weight", type=float, default=HAND_WEIGHT, metavar="W",
                        help=f"weight of one hand-labelled training item (tests/fixtures/"
                        f"sections_train.jsonl) against a weak example's 1 (default "
                        f"{HAND_WEIGHT:g}; 0 leaves the set out)")
    for number, path in CUELESS_ROUNDS.items():
        parser.add_argument(f"--round{number}-weight", type=float,
                            default=CUELESS_WEIGHTS[number], metavar="W",
                            help=f"weight of one round-{number} (cue-less) item (tests/fixtures/"
                            f"{path.name}; default {CUELESS_WEIGHTS[number]:g}; 0 leaves it out)")
    parser.add_argument("--thucnews-weight", type=float, default=THUCNEWS_WEIGHT, metavar="W",
                        help=f"weight of one THUCNews dev title against a weak example's 1 "
                        f"(default {THUCNEWS_WEIGHT:g})")
    parser.add_argument("--lead-words", action=argparse.BooleanOptionalAction,
                        default=LEAD_WORDS, help="draw the jieba word vocabulary from the leads "
                        f"too, not only from the titles (default {LEAD_WORDS})")
    parser.add_argument("--C", type=float, default=LINEAR_C, dest="linear_c",
                        help=f"inverse regularisation strength (default {LINEAR_C:g})")
    parser.add_argument("--tol", type=float, default=LINEAR_TOL,
                        help=f"the solver's stopping tolerance (default {LINEAR_TOL:g}: the fit "
                        "is then independent of rounding; 1e-4 is ~2.5x faster but is not: "
                        "docs/quality.md)")
    parser.add_argument("--min-weight", type=float, default=MIN_WEIGHT, metavar="W",
                        help=f"drop features whose weights are all below W in magnitude (default "
                        f"{MIN_WEIGHT:g}; a converged fit keeps more features, and the file must "
                        "stay under 2 MB)")
    parser.add_argument("--row-order", type=int, default=None, metavar="SEED",
                        help="shuffle the training rows with this seed before the fit (a check: "
                        "a converged fit does not depend on their order)")
    parser.add_argument("--title-weight", type=float, default=TRAIN_TITLE_WEIGHT, metavar="W",
                        help=f"weight of the title against the lead's 1, in training and (kept "
                        f"in the model) at run time (default {TRAIN_TITLE_WEIGHT:g})")
    parser.add_argument("--calibrate", action="store_true",
                        help="add per-section offsets fitted on the eval tuning split to the "
                        "intercepts (not shipped: no off-fold gain with the hand-labelled set)")
    parser.add_argument("--nb", action="store_true", help="train the old naive Bayes model")
    parser.add_argument("--quick", action="store_true", help="--nb: one grid point")
    parser.add_argument("--cv-only", action="store_true", help="--nb: choose, write nothing")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] = ()) -> int:
    """Train the linear model (default) or, with `--nb`, the naive Bayes one; write it."""
    args = parse_args(argv)
    if not (args.corpora / "thucnews-titles" / "dev.txt").is_file():
        print(f"section_training: corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    if args.nb:
        return main_naive_bayes(args)
    try:
        labels = [label for path in args.labels for label in read_labels(path)]
    except (OSError, LabelFileError) as exc:
        print(f"section_training: {exc}", file=sys.stderr)
        return 2
    jieba.setLogLevel(60)
    hand = hand_labelled_items(args.corpora) if args.hand_weight > 0 else []
    model_json = train_linear(
        args.corpora, labels, args.label_weight, calibrated=args.calibrate,
        hand=hand, hand_weight=args.hand_weight, linear_c=args.linear_c,
        title_weight=args.title_weight, thucnews_weight=args.thucnews_weight,
        lead_words=args.lead_words, tol=args.tol, row_order=args.row_order,
        min_weight=args.min_weight,
        rounds={
            number: (hand_labelled_items(args.corpora, (path,)), weight)
            for number, path in CUELESS_ROUNDS.items()
            if (weight := getattr(args, f"round{number}_weight")) > 0
        },
    )
    text = json.dumps(model_json, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode()) / 1e6:.2f} MB, "
          f"{len(model_json['weights'])} features); {model_json['training']}")
    return 0


def main_naive_bayes(args: argparse.Namespace) -> int:
    """Select settings on dev, fit on dev, write the model, report dev-CV and test figures."""
    jieba.setLogLevel(60)
    corpora: Path = args.corpora
    thuc = corpora / "thucnews-titles"
    class_names = (thuc / "class.txt").read_text(encoding="utf-8").split()
    dev = read_titles(thuc / "dev.txt", class_names)
    extra = emergency_examples(corpora)
    classes = [*class_names, EMERGENCY_CLASS]
    print(f"dev titles {len(dev)}, weak 应急 examples {len(extra)}")

    # Explored by hand on dev CV: unigrams add ~0.017 macro-F1, jieba words ~0.002; min_count 2
    # halves the model file.
    grid = [
        Settings(alpha, min_count, 2, unigrams=True)
        for min_count in (1, 2)
        for alpha in (0.1, 0.2, 0.3)
    ]
    if args.quick:
        grid = grid[:1]
    best: tuple[float, Settings] | None = None
    for settings in grid:
        score = cross_validate(dev, extra, classes, settings)
        print(f"  cv {score:.4f}  {settings}")
        if best is None or score > best[0]:
            best = (score, settings)
    assert best is not None
    cv_score, settings = best
    if args.cv_only:
        print(f"chosen {settings} (cv-only: nothing written, test not scored)")
        return 0
    model_json = fit([*dev, *extra], classes, settings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(model_json, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")

    test = read_titles(thuc / "test.txt", class_names)
    test_score, test_per_class, test_emergency = evaluate(model_json, test)
    _, cv_per_class = cv_per_class_scores(dev, extra, classes, settings)
    print(f"chosen {settings}; model {args.out} ({len(text.encode()) / 1e6:.2f} MB)")
    print(f"dev 5-fold CV macro-F1 {cv_score:.4f}  {format_per_class(cv_per_class)}")
    print(f"test macro-F1 {test_score:.4f}  {format_per_class(test_per_class)}")
    print(f"test titles predicted 应急: {test_emergency}")
    return 0


def cv_per_class_scores(
    dev: Sequence[Example], extra: Sequence[Example], classes: Sequence[str], settings: Settings
) -> tuple[float, dict[str, float]]:
    """Per-section F1 of the pooled out-of-fold dev predictions for the chosen settings."""
    gold: list[str] = []
    predicted: list[str] = []
    for fold in range(FOLDS):
        train = [e for i, e in enumerate(dev) if i % FOLDS != fold] + list(extra)
        held = [e for i, e in enumerate(dev) if i % FOLDS == fold]
        model = SectionModel.from_json(fit(train, classes, settings))
        gold += [THUCNEWS_SECTIONS[e.fine_class] for e in held]
        predicted += [classify_section(e.text, (), model) for e in held]
    return macro_f1(gold, predicted)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
