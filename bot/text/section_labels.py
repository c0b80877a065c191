"""The training-label file: operator corrections as JSON lines, one format for both ends.

`newsbrief sections export-labels FILE` writes it and `python -m bot.text.section_training
--labels FILE` reads it, so the two cannot drift apart. One line per corrected article:

    {"id": "42", "title": "…", "lead": "first paragraph", "section": "经济"}

`id` is the article's id in the database that wrote the file (for tracing a line back; training
ignores it). `section` is a canonical section name; the reader also accepts an alias (经濟, econ)
so a hand-edited file works, and refuses anything else with the line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.text.sections import resolve_section_name

# A correction outweighs a weak training example this many times over: one operator's word
# should move the model on that text without a pile of duplicates (docs/quality.md measures it:
# 10 with the models before the hand-labelled training set, 30 since, as its items weigh 20).
LABEL_WEIGHT = 30.0


class LabelFileError(ValueError):
    """A label file line that is not a JSON object with a title and a known section."""


@dataclass(frozen=True)
class SectionLabel:
    """One corrected article: the text the model saw and the section it should have chosen."""

    id: str
    title: str
    lead: str
    section: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "lead": self.lead, "section": self.section}


def label_of(article_id: int, title: str, paragraphs: Sequence[str], section: str) -> SectionLabel:
    """The label for a stored article: its title and first paragraph, as the eval set keeps."""
    return SectionLabel(str(article_id), title, paragraphs[0] if paragraphs else "", section)


def format_labels(labels: Iterable[SectionLabel]) -> str:
    """The file's text (UTF-8 JSON lines, CJK kept readable)."""
    return "".join(json.dumps(label.to_dict(), ensure_ascii=False) + "\n" for label in labels)


def write_labels(path: Path, labels: Sequence[SectionLabel]) -> int:
    """Write the file; returns how many lines were written."""
    path.write_text(format_labels(labels), encoding="utf-8")
    return len(labels)


def parse_labels(text: str, origin: str = "labels") -> list[SectionLabel]:
    """Labels from the file's text; blank lines are skipped, a bad line raises LabelFileError."""
    labels: list[SectionLabel] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelFileError(f"{origin}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise LabelFileError(f"{origin}:{number}: expected a JSON object")
        title = data.get("title")
        lead = data.get("lead") or ""
        named = data.get("section")
        section = resolve_section_name(named) if isinstance(named, str) else None
        if not isinstance(title, str) or not isinstance(lead, str) or not (title + lead).strip():
            raise LabelFileError(f"{origin}:{number}: needs a \"title\" string")
        if section is None:
            raise LabelFileError(f"{origin}:{number}: unknown section {named!r}")
        labels.append(SectionLabel(str(data.get("id", "")), title, lead, section))
    return labels


def read_labels(path: Path) -> list[SectionLabel]:
    """Labels from a file `export-labels` wrote (or one written by hand in the same format)."""
    return parse_labels(path.read_text(encoding="utf-8"), str(path))
