"""What the search index stores for an article, and how a query term is looked up in it.

Recall comes from character n-grams over folded text (see ``bot.text.normalization``): every run of
letters/digits is indexed as its overlapping bigrams followed by its last character, so

- a term of 2+ characters is the phrase of its bigrams (consecutive positions), which matches
  exactly where the term occurs as a substring ("经开" inside 萧山经开区, "特新" inside 专精特新);
- the run-final character keeps a phrase from running across punctuation ("…经开。区…" does not
  match "经开区");
- a single character is looked up in a small per-article set of distinct characters instead (it
  would otherwise be a prefix scan over every bigram that starts with it).

jieba words are stored as a set per article and only used for ranking: an article where the term is
a whole word ("开始" in 已经开始施工) ranks above one where it straddles words (会议召开始终). They
come from the headline and the lead (``RANKING_LEAD_CHARS`` of the body), split by greedy longest
match on jieba's dictionary (``segmentation.dictionary_words``): jieba's own search mode over whole
bodies cost as much as all the rest of an ingest, and a term that is a word where the article
states its subject is the relevance signal that matters. Queries are split the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from bot.text import segmentation
from bot.text.normalization import normalize_for_matching, word_runs
from storage.models import Article
from storage.search_index import IndexEntry, TermMatcher

# Longer jieba words are not kept: they only feed ranking, and a 3,000-letter "word" is noise.
MAX_WORD_CHARS = 32
MIN_WORD_CHARS = 2
# How much of the (folded) body is segmented for ranking words, after the headline.
RANKING_LEAD_CHARS = 300


def gram_tokens(folded: str) -> list[str]:
    """Bigrams of every run, each run closed by its last character, in text order."""
    return _run_grams(word_runs(folded))


def _run_grams(runs: Iterable[str]) -> list[str]:
    """`gram_tokens` of runs already split out (an index entry splits each text once)."""
    tokens: list[str] = []
    for run in runs:
        tokens.extend(map(str.__add__, run, run[1:]))  # the run's bigrams, at C speed
        tokens.append(run[-1])
    return tokens


def distinct_chars(runs: Iterable[str]) -> list[str]:
    """Each letter/digit of the runs, once, in order of first occurrence (single-character
    lookups read this set instead of scanning the bigrams)."""
    return list(dict.fromkeys("".join(runs)))


def ranking_words(folded: str) -> list[str]:
    """Distinct dictionary words of two or more characters (each already a piece of one
    letter/digit run): the ranking vocabulary. Single characters say nothing about word
    boundaries worth their storage, and ranking reads this list for every ranked match.
    Duplicates go first, at C speed: the length test then runs once per distinct word."""
    words = dict.fromkeys(segmentation.dictionary_words(folded))
    return [w for w in words if MIN_WORD_CHARS <= len(w) <= MAX_WORD_CHARS]


class ArticleText(Protocol):
    """The parts of an article that are searched: a stored ``Article`` or a search hit's row."""

    @property
    def kicker(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def subtitle(self) -> str | None: ...
    @property
    def byline(self) -> str | None: ...
    @property
    def paragraphs(self) -> Sequence[str]: ...
    @property
    def subheads(self) -> Sequence[str]: ...


def headline_text(article: ArticleText) -> str:
    """What counts as the title for matching: kicker, title and subtitle as printed."""
    return "\n".join(part for part in (article.kicker, article.title, article.subtitle) if part)


def body_text(article: ArticleText) -> str:
    """What counts as the body for matching: byline, paragraphs and any separate subheads."""
    paragraphs = list(article.paragraphs or [])
    in_paragraphs = set(paragraphs)
    subheads = [s for s in (article.subheads or []) if s not in in_paragraphs]
    parts = [article.byline or "", *paragraphs, *subheads]
    return "\n".join(part for part in parts if part)


class IndexedText(ArticleText, Protocol):
    """An article as the index files it: its text, edition and section (stored or about to be)."""

    @property
    def edition_date(self) -> date: ...
    @property
    def section(self) -> str: ...


def index_entry(article: Article) -> IndexEntry:
    """The index rows for one stored article (its id must be assigned, i.e. flushed)."""
    return text_index_entry(article, article.id)


def text_index_entry(article: IndexedText, article_id: int) -> IndexEntry:
    """The index rows for an article's text under ``article_id``: the ingest tokenises a batch
    before its transaction (id 0), so the write lock is not held while jieba runs."""
    title = normalize_for_matching(headline_text(article))
    body = normalize_for_matching(body_text(article))
    title_runs = word_runs(title)
    body_runs = word_runs(body)
    return IndexEntry(
        article_id=article_id,
        edition_date=article.edition_date,
        section=article.section,
        title_grams=_run_grams(title_runs),
        body_grams=_run_grams(body_runs),
        title_chars=distinct_chars(title_runs),
        body_chars=distinct_chars(body_runs),
        words=ranking_words(title + "\n" + body[:RANKING_LEAD_CHARS]),
        headline=" ".join(title_runs),
        phrase_text=" ".join(title_runs) + "\n" + " ".join(body_runs),
    )


def index_entries(articles: Iterable[Article]) -> list[IndexEntry]:
    return [index_entry(article) for article in articles]


def term_matcher(folded_term: str) -> TermMatcher | None:
    """How one folded query term is found in the index; None when it has no letters or digits."""
    runs = word_runs(folded_term)
    if not runs:
        return None
    words = tuple(ranking_words(folded_term))
    headline = " ".join(runs)
    if len(runs) == 1 and len(runs[0]) == 1:
        return TermMatcher(
            tokens=(runs[0],), prefix=False, single_char=True, words=words, headline=headline
        )
    tokens: list[str] = []
    prefix = False
    for position, run in enumerate(runs):
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        last = position == len(runs) - 1
        if not last:
            tokens.append(run[-1])  # the text's run ends here too, so its closing token is there
        elif len(run) == 1:
            tokens.append(run)  # may continue in the text: any bigram starting with it
            prefix = True
    return TermMatcher(
        tokens=tuple(tokens), prefix=prefix, single_char=False, words=words, headline=headline
    )
