"""A learned decision for PDF-like pages: does a headline group open an article or head a section?

On a page without blank-line or indentation cues the text alone rarely says for certain whether
a group of heading lines between two paragraphs is a new story's headline or a section head of
the story being read (a package piece, a quote label, a subhead over a cut paragraph). The hand
rules give the cues (a byline or dateline under it, a closing credit or jump line before it, a
series of one shape); a logistic model weighs them together with the group's shape and what
the article being read holds so far. It was trained on generated pages of the *tuning* settings
only (``tests/quality/page_parser_group_training.py``, scikit-learn at training time); at run
time it is a sum of weights from ``data/group_model.json`` — plain Python, no dependency.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.ingest.page_parser.model import Line
from bot.ingest.page_parser.patterns import (
    BYLINE_LINE,
    BYLINE_MARKED,
    CLOSING_CREDIT,
    COLUMN_TAG,
    COMMAS,
    DOCUMENT_TITLE,
    KICKER_DASHES,
    PARALLEL_LEAD,
    SUBTITLE_DASHES,
)
from bot.ingest.page_parser.shapes import (
    ends_sentence,
    is_byline_or_dateline,
    is_speaker_kicker,
    is_standalone_credit,
)

MODEL_PATH = Path(__file__).resolve().parent / "data" / "group_model.json"
# An author line under a piece's title: "中国法学会副会长 张晋藩", "（法国）让—弗朗索瓦·唐泽尔".
AUTHOR_LINE = re.compile(
    r"^[（(][\u4e00-\u9fff]{1,8}[）)]\S|[\u4e00-\u9fff）)][ \u3000\xa0]+"
    r"(?:[\u4e00-\u9fff·—]{2,12}|[\u4e00-\u9fff][ \u3000\xa0]+[\u4e00-\u9fff])$"
)
LABEL_COLON = re.compile(r"^[\u4e00-\u9fff]{2,4}[：:]\S")
LENGTH_BUCKETS = (4, 8, 14, 22, 32)
PARAGRAPH_BUCKETS = (0, 2, 5, 10)


@dataclass(frozen=True)
class GroupContext:
    """What the labeller knows when it meets a headline group."""

    lines: list[Line]
    index: int
    end: int
    in_section_series: bool
    photo_follows: bool
    paragraphs_so_far: int
    article_has_byline: bool
    article_kicker_dashed: bool
    last_paragraph: str | None


def _bucket(name: str, value: int, bounds: tuple[int, ...]) -> str:
    for bound in bounds:
        if value <= bound:
            return f"{name}<={bound}"
    return f"{name}>{bounds[-1]}"


def group_features(context: GroupContext) -> set[str]:
    """The binary features of one headline group (names, each present or not)."""
    lines, index, end = context.lines, context.index, context.end
    group = [line.text for line in lines[index:end]]
    following = lines[end].text if end < len(lines) else ""
    before = lines[index - 1] if index > 0 else None
    features = {
        f"lines={min(len(group), 3)}",
        _bucket("first_len", len(group[0]), LENGTH_BUCKETS),
        _bucket("last_len", len(group[-1]), LENGTH_BUCKETS),
        _bucket("paragraphs", context.paragraphs_so_far, PARAGRAPH_BUCKETS),
    }
    features |= _shape_features(group)
    features |= _neighbour_features(following, before, context)
    if context.article_kicker_dashed and KICKER_DASHES.search(group[0]):
        features.add("kicker_like_article")
    position = index / max(1, len(lines))
    features.add(f"position={min(2, int(3 * position))}")
    return features


def _shape_features(group: list[str]) -> set[str]:
    """Marks on the group's own lines."""
    checks = {
        "kicker_dashes": bool(KICKER_DASHES.search(group[0])),
        "subtitle_dashes": any(SUBTITLE_DASHES.match(text) for text in group[1:]),
        "comma_first": any(comma in group[0] for comma in COMMAS),
        "comma_last": len(group) > 1 and any(comma in group[-1] for comma in COMMAS),
        "author_line": any(AUTHOR_LINE.search(text) for text in group[1:]),
        "label_colon": bool(LABEL_COLON.match(group[0])),
        "speaker": is_speaker_kicker(group[0]),
        "column_tag": any(COLUMN_TAG.search(text) for text in group),
        "document_title": bool(DOCUMENT_TITLE.search(group[-1])),
        "parallel_lead": bool(PARALLEL_LEAD.match(group[0])),
        "space_inside": " " in group[0] or "\u3000" in group[0] or "\xa0" in group[0],
    }
    return {name for name, present in checks.items() if present}


def _neighbour_features(following: str, before: Line | None, context: GroupContext) -> set[str]:
    """Cues around the group: what follows it, what ended before it, the article so far."""
    last = context.last_paragraph
    checks = {
        "byline_follows": bool(BYLINE_LINE.match(following) or BYLINE_MARKED.match(following)),
        "dateline_follows": is_byline_or_dateline(following),
        "photo_follows": context.photo_follows,
        "long_text_follows": len(following) >= 40,
        "after_jump": before is not None and before.before_jump,
        "after_credit": before is not None and is_standalone_credit(before.text),
        "after_unfinished": before is not None and not ends_sentence(before.text),
        "after_closing_credit": last is not None
        and bool(CLOSING_CREDIT.search(last))
        and not is_standalone_credit(last),
        "section_series": context.in_section_series,
        "article_has_byline": context.article_has_byline,
    }
    return {name for name, present in checks.items() if present}


def with_pairs(features: set[str]) -> set[str]:
    """The features and every pair of them ("a&b"): cues weigh differently together (a short
    line after an unfinished block is a cut piece, not a title)."""
    ordered = sorted(features)
    pairs = {f"{a}&{b}" for position, a in enumerate(ordered) for b in ordered[position + 1 :]}
    return features | pairs


@dataclass(frozen=True)
class GroupModel:
    """Weights of the logistic model and the probability from which a group opens an article."""

    bias: float
    weights: dict[str, float]
    close_below: float
    open_above: float

    def probability(self, features: set[str]) -> float:
        score = self.bias + sum(self.weights.get(name, 0.0) for name in with_pairs(features))
        return 1 / (1 + math.exp(-score))


@cache
def load_model(path: Path = MODEL_PATH) -> GroupModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    weights = {name: weight / data["scale"] for name, weight in data["weights"].items()}
    bias = data["bias"] / data["scale"]
    return GroupModel(bias, weights, data["close_below"], data["open_above"])


def opens_article(context: GroupContext) -> float:
    """The model's probability that the group opens an article."""
    return load_model().probability(group_features(context))


def overrule(by_rule: bool, context: GroupContext) -> bool:
    """The rule's decision unless the model is confident of the other: a group of several lines
    opens an article unless the model is sure it does not, a single line heads a section unless
    the model is sure it opens one."""
    model = load_model()
    probability = opens_article(context)
    if by_rule:
        return probability >= model.close_below
    return probability >= model.open_above
