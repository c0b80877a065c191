"""Score the alert detector against the hand-labelled 新闻联播 dev set.

Run by hand: ``/tmp/venv/bin/python tests/quality/alert_eval.py [--errors]``.

The labels (tests/fixtures/alert_devset.jsonl) carry no article text; the items are read from the
shared corpora beside the project. Every 4th item of each corpus file (idx % 4 == 3) is held out:
rules were written without looking at those items, so their figures estimate how the detector
does on notices it has never seen. ``--errors`` lists mistakes on the tuning split only.

An event matches a labelled one on hazard, kind, action, level and authority (authorities compared
after folding aliases such as 国家防汛抗旱总指挥部 → 国家防总). Level accuracy is measured on
events matched on everything but the level.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CORPUS_DIR = SHARED_DATA / "corpora" / "xwlb"
DEVSET = Path(__file__).resolve().parents[1] / "fixtures" / "alert_devset.jsonl"
SPLITS = ("tune", "held_out")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bot.alerts.detector import canonical_authority, detect_alerts  # noqa: E402

EventKey = tuple[str, str, str, str | None, str]


@dataclass
class Score:
    """Counts for one slice of the dev set, and the figures derived from them."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0
    level_pairs: int = 0
    level_correct: int = 0
    storm_pairs: int = 0
    storm_correct: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def level_accuracy(self) -> float:
        return self.level_correct / self.level_pairs if self.level_pairs else 1.0

    @property
    def storm_accuracy(self) -> float:
        return self.storm_correct / self.storm_pairs if self.storm_pairs else 1.0

    def line(self, label: str) -> str:
        return (
            f"{label:<22} events gold {self.gold:>3} found {self.predicted:>3} matched "
            f"{self.matched:>3}  P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  "
            f"level acc {self.level_accuracy:.3f} ({self.level_pairs})  "
            f"storm acc {self.storm_accuracy:.3f} ({self.storm_pairs})"
        )


def event_key(event: dict) -> EventKey:
    return (
        event["hazard"], event["kind"], event["action"], event["level"],
        canonical_authority(event["authority"]),
    )


def _storm_key(event: dict) -> tuple | None:
    storm = event.get("storm")
    return (storm["number"], storm["name"]) if storm else None


def _pair(gold: list[dict], predicted: list[dict], key) -> list[tuple[dict, dict]]:
    """Greedy one-to-one pairs of gold and predicted events with equal keys."""
    pairs: list[tuple[dict, dict]] = []
    free = list(predicted)
    for event in gold:
        for candidate in free:
            if key(candidate) == key(event):
                pairs.append((event, candidate))
                free.remove(candidate)
                break
    return pairs


def score_item(gold: list[dict], predicted: list[dict], score: Score) -> None:
    score.gold += len(gold)
    score.predicted += len(predicted)
    strict = _pair(gold, predicted, event_key)
    score.matched += len(strict)
    for gold_event, found in _pair(gold, predicted, lambda e: event_key(e)[:3] + event_key(e)[4:]):
        score.level_pairs += 1
        score.level_correct += gold_event["level"] == found["level"]
    for gold_event, found in strict:
        if gold_event["hazard"] == "typhoon":
            score.storm_pairs += 1
            score.storm_correct += _storm_key(gold_event) == _storm_key(found)


def load_items() -> dict[tuple[str, int], dict]:
    """The corpus items by (file stem, line number)."""
    if not CORPUS_DIR.is_dir():
        sys.exit(f"alert_eval: the 新闻联播 corpus is not at {CORPUS_DIR}; nothing to score.")
    items: dict[tuple[str, int], dict] = {}
    for path in sorted(CORPUS_DIR.glob("*-items.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for idx, line in enumerate(lines):
                items[(path.stem, idx)] = json.loads(line)
    return items


def load_labels(path: Path = DEVSET) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def detect_for(item: dict) -> list[dict]:
    edition = date.fromisoformat(f"{item['date'][:4]}-{item['date'][4:6]}-{item['date'][6:]}")
    paragraphs = item["text"].split("\n")
    return [event.to_dict() for event in detect_alerts(item["title"], paragraphs, edition)]


def evaluate(
    labels: Iterable[dict], items: dict[tuple[str, int], dict]
) -> tuple[dict[str, Score], list[tuple[dict, list[dict]]]]:
    """Scores per split (all events and typhoon only) and the detector output per label."""
    scores = {name: Score() for name in (*SPLITS, "all")}
    scores |= {f"{name} typhoon": Score() for name in (*SPLITS, "all")}
    outputs: list[tuple[dict, list[dict]]] = []
    for label in labels:
        item = items[(label["corpus"], label["idx"])]
        if item["title"] != label["title"]:
            sys.exit(f"alert_eval: {label['corpus']}#{label['idx']} is not '{label['title']}'")
        found = detect_for(item)
        outputs.append((label, found))
        for name in (label["split"], "all"):
            score_item(label["events"], found, scores[name])
            score_item(
                [e for e in label["events"] if e["hazard"] == "typhoon"],
                [e for e in found if e["hazard"] == "typhoon"],
                scores[f"{name} typhoon"],
            )
    return scores, outputs


def _describe(event: dict) -> str:
    storm = _storm_key(event)
    return " ".join(map(str, (*event_key(event), storm)))


def print_errors(outputs: Sequence[tuple[dict, list[dict]]]) -> None:
    """Missed and spurious events, tuning split only: the held-out split stays unseen."""
    for label, found in outputs:
        if label["split"] != "tune":
            continue
        missed = Counter(map(event_key, label["events"])) - Counter(map(event_key, found))
        extra = Counter(map(event_key, found)) - Counter(map(event_key, label["events"]))
        storms = [
            (g, f) for g, f in _pair(label["events"], found, event_key)
            if g["hazard"] == "typhoon" and _storm_key(g) != _storm_key(f)
        ]
        if missed or extra or storms:
            print(f"-- {label['corpus']}#{label['idx']} {label['date']} {label['title']}")
            for key in missed.elements():
                print("   missed  ", " ".join(map(str, key)))
            for key in extra.elements():
                print("   spurious", " ".join(map(str, key)))
            for gold_event, found_event in storms:
                print("   storm   ", _describe(gold_event), "->", _describe(found_event))


def main(argv: Sequence[str]) -> int:
    items = load_items()
    scores, outputs = evaluate(load_labels(), items)
    if "--errors" in argv:
        print_errors(outputs)
    for name, score in scores.items():
        print(score.line(name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
