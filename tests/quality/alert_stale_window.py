"""How long a typhoon response keeps being reported: the figure behind NEWSBRIEF_ALERT_STALE_HOURS.

Run by hand: ``/tmp/venv/bin/python tests/quality/alert_stale_window.py``.

Every item of the 新闻联播 corpus (``items.jsonl.gz``, 2022-09…2026-08) goes through the detector
with its broadcast date as the edition. A *response* is one authority's typhoon response to one
storm (hazard typhoon, kind response, same storm, same authority after alias folding); its
*reports* are the broadcast days that state an action on it. Two figures per response:

* the gap between consecutive reports while it is not yet ended (the longest silence a response
  still in force had — the window must be longer, or a live response would read as stale);
* its span, first report to last.

The stale window is chosen from the gaps: a response in force that goes unreported for longer than
nearly every real one did is no longer shown as in force.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ITEMS = SHARED_DATA / "corpora" / "xwlb" / "items.jsonl.gz"

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bot.alerts.detector import canonical_authority, detect_alerts  # noqa: E402

ResponseKey = tuple[int, str, str]


def _edition(raw: str) -> date:
    return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))


def collect(path: Path = ITEMS) -> dict[ResponseKey, dict[date, set[str]]]:
    """Per typhoon response: the actions reported on each broadcast day."""
    reports: dict[ResponseKey, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            text = item.get("text") or ""
            if "响应" not in text and "响应" not in item["title"]:
                continue
            edition = _edition(item["date"])
            for event in detect_alerts(item["title"], text.split("\n"), edition):
                if event.hazard != "typhoon" or event.kind != "response" or event.storm is None:
                    continue
                storm = event.storm.name or str(event.storm.number)
                key = (event.storm.year, storm, canonical_authority(event.authority))
                reports[key][edition].add(event.action)
    return reports


def percentile(values: Sequence[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main() -> int:
    if not ITEMS.is_file():
        sys.exit(f"alert_stale_window: the 新闻联播 corpus is not at {ITEMS}; nothing to measure.")
    reports = collect()
    gaps: list[int] = []
    spans: list[int] = []
    report_days: list[int] = []
    for days_actions in reports.values():
        days = sorted(days_actions)
        spans.append((days[-1] - days[0]).days)
        report_days.append(len(days))
        for earlier, later in itertools.pairwise(days):
            if "end" in days_actions[earlier]:
                break  # ended: what follows is another activation, not a silence while in force
            gaps.append((later - earlier).days)
    print(f"typhoon responses (storm × authority): {len(reports)}")
    print(f"reported on more than one day: {sum(1 for n in report_days if n > 1)}")
    if gaps:
        print(f"gaps between reports while in force: n={len(gaps)} max={max(gaps)} days "
              f"p90={percentile(gaps, 0.9)} p95={percentile(gaps, 0.95)} "
              f"distribution={dict(sorted(_count(gaps).items()))}")
    print(f"span first→last report: max={max(spans)} days p90={percentile(spans, 0.9)} "
          f"p95={percentile(spans, 0.95)} distribution={dict(sorted(_count(spans).items()))}")
    # Per storm, any authority: how long the country's typhoon response to one storm is reported.
    storms: dict[tuple[int, str], set[date]] = defaultdict(set)
    for (year, storm, _), days_actions in reports.items():
        storms[(year, storm)].update(days_actions)
    storm_gaps: list[int] = []
    storm_spans: list[int] = []
    for days_set in storms.values():
        days = sorted(days_set)
        storm_spans.append((days[-1] - days[0]).days)
        storm_gaps.extend((b - a).days for a, b in itertools.pairwise(days))
    print(f"storms with a typhoon response: {len(storms)}")
    if storm_gaps:
        print(f"per storm, gaps between report days: n={len(storm_gaps)} max={max(storm_gaps)} "
              f"p90={percentile(storm_gaps, 0.9)} "
              f"distribution={dict(sorted(_count(storm_gaps).items()))}")
    print(f"per storm, span first→last report: max={max(storm_spans)} days "
          f"p90={percentile(storm_spans, 0.9)} "
          f"distribution={dict(sorted(_count(storm_spans).items()))}")
    return 0


def _count(values: Sequence[int]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


if __name__ == "__main__":
    raise SystemExit(main())
