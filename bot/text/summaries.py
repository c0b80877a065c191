"""One-sentence extractive summaries for digest lines: the article's own words, ≤ 60 characters.

A digest line must be true to the article and short, so nothing is generated: the summary is one
of the article's own sentences. News puts the point first, so early sentences are preferred, and
among them the one sharing most of the title's character bigrams (a lead like "再早些时候, …将举行"
says less than the sentence that repeats the headline's subject). When no sentence fits, the best
sentence is cut at a clause boundary (，；：) and marked with an ellipsis — still its own words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

SUMMARY_MAX_CHARS = 60
ELLIPSIS = "…"
MIN_SENTENCE_CHARS = 8
LEAD_PARAGRAPHS = 3
LEAD_SENTENCES = 6

# A sentence ends at 。！？!? (and ；, which Chinese news uses between full statements), together
# with any closing quotes or brackets that follow.
_SENTENCE = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+[”’」』）)]*|$)")
_CLAUSE_END = re.compile(r"[，,；;：:、]")
# Datelines the reader does not need in a one-line summary: "本报讯（记者 王某）", "记者 王某 报道".
_DATELINE = re.compile(r"^\s*(?:本报讯|本报消息)?\s*[（(][^）)]{0,30}[）)]\s*|^\s*本报讯\s*")
_BIGRAM_CHARS = re.compile(r"[\u3400-\u9fff0-9a-z]")


@dataclass(frozen=True)
class _Candidate:
    text: str
    position: int


def sentences(paragraphs: Sequence[str]) -> list[str]:
    """The sentences of the paragraphs, in order, trimmed; empty pieces dropped."""
    found: list[str] = []
    for paragraph in paragraphs:
        for match in _SENTENCE.finditer(paragraph.strip()):
            sentence = match.group(0).strip()
            if sentence:
                found.append(sentence)
    return found


def _bigrams(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text).lower()
    chars = [c for c in folded if _BIGRAM_CHARS.match(c)]
    return {a + b for a, b in pairwise(chars)}


def _score(candidate: _Candidate, title_bigrams: set[str]) -> float:
    overlap = len(_bigrams(candidate.text) & title_bigrams) / max(len(title_bigrams), 1)
    return overlap - 0.08 * candidate.position


def clip_to_clause(sentence: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """The longest leading run of whole clauses within ``limit`` (ellipsis included)."""
    if len(sentence) <= limit:
        return sentence
    room = limit - len(ELLIPSIS)
    cut = 0
    for match in _CLAUSE_END.finditer(sentence, 0, room + 1):
        if match.start() >= MIN_SENTENCE_CHARS:
            cut = match.start()
    if cut == 0:
        cut = room
    return sentence[:cut].rstrip() + ELLIPSIS


def summarize(
    title: str, paragraphs: Sequence[str], limit: int = SUMMARY_MAX_CHARS
) -> str | None:
    """The summary sentence for an article, or None when it has no text (a teaser, a photo)."""
    lead = [p for p in paragraphs[:LEAD_PARAGRAPHS] if p.strip()]
    found = sentences(lead)[:LEAD_SENTENCES]
    cleaned = [_DATELINE.sub("", s).strip() for s in found]
    candidates = [
        _Candidate(text, position)
        for position, text in enumerate(cleaned)
        if len(text) >= MIN_SENTENCE_CHARS and text != title.strip()
    ]
    if not candidates:
        candidates = [_Candidate(text, position) for position, text in enumerate(cleaned) if text]
    if not candidates:
        return None
    title_bigrams = _bigrams(title)
    fitting = [c for c in candidates if len(c.text) <= limit]
    pool = fitting or candidates
    best = max(pool, key=lambda c: _score(c, title_bigrams))
    return clip_to_clause(best.text, limit)
