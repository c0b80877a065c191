"""Automatic section classifier: one of six newspaper sections per article.

The shipped model is linear (logistic regression weights, format LINEAR_FORMAT) over characters,
character bigrams and multi-character words that jieba found in the training titles; the older
multinomial naive Bayes format still loads (see `bot.text.section_training`, which writes
`bot/text/data/section_model.json`). Both score by summing per-feature vectors.
At run time the words are found by dictionary lookup of the
shipped vocabulary instead of calling `jieba.cut`: the features are the same ones the model was
trained on, and the lookup costs a small fraction of a segmentation, which matters because every
ingested article is classified. A short cue lexicon decides emergencies (应急响应, 台风, 暴雨,
预警, 防汛 ...) and nudges local-paper words (人大, 加梯 ...) that Sina titles never taught it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import compress, count
from pathlib import Path

SECTIONS: tuple[str, ...] = ("时政", "经济", "社会", "科教", "文体", "应急")
DEFAULT_SECTION = "社会"
MODEL_PATH = Path(__file__).resolve().parent / "data" / "section_model.json"

# Aliases for users and deep links (`/section econ`, `t.me/bot?start=sec-culture`), in both
# scripts: operators and readers in Hong Kong or Taiwan type 經濟, not 经济.
SECTION_ALIASES: Mapping[str, str] = {
    **{name: name for name in SECTIONS},
    "politics": "时政",
    "gov": "时政",
    "时事": "时政",
    "政治": "时政",
    "時政": "时政",
    "時事": "时政",
    "econ": "经济",
    "economy": "经济",
    "business": "经济",
    "finance": "经济",
    "財經": "经济",
    "财经": "经济",
    "經濟": "经济",
    "society": "社会",
    "social": "社会",
    "local": "社会",
    "民生": "社会",
    "社會": "社会",
    "scitech": "科教",
    "science": "科教",
    "tech": "科教",
    "edu": "科教",
    "education": "科教",
    "科技": "科教",
    "教育": "科教",
    "culture": "文体",
    "sports": "文体",
    "sport": "文体",
    "entertainment": "文体",
    "文化": "文体",
    "体育": "文体",
    "體育": "文体",
    "文體": "文体",
    "emergency": "应急",
    "alert": "应急",
    "alerts": "应急",
    "weather": "应急",
    "應急": "应急",
}

# Emergency language decides 应急 when it is in the title, and counts heavily in the lead.
# `预警` is only an emergency with a colour or hazard in front of it (not 金融风险预警).
EMERGENCY_PATTERN = re.compile(
    r"应急响应|台风|暴雨|强降雨|防汛|防台|汛情|洪水|洪涝|山洪|泥石流|地震|抗洪|抢险|救灾|"
    r"寒潮|冰冻灾害|山体滑坡|森林火灾|[蓝黄橙红]色预警|(?:气象|灾害|地质|高温|大风|雷电|冰雹|暴雪)预警"
)
EMERGENCY_TITLE_HITS = 1
EMERGENCY_LEAD_HITS = 3

# Local-paper words that Sina titles rarely contain, added as log-score bonuses per hit (capped).
# Space-separated per section.
SECTION_CUES: Mapping[str, str] = {
    "时政": "人大 政协 常委会 区委 市委 省委 党委 党组 党建 全会 全体(扩大)会议 纪委 监委 巡察 "
    "八八战略 主题教育 立法",
    "经济": "专精特新 招商 营商环境 制造业 开发区 数字经济 跨境电商",
    "社会": "加梯 加装电梯 老旧小区 未来社区 垃圾分类 医保 就医 养老",
    "科教": "实验室 院士 幼儿园 中考 双减",
    "文体": "亚运 村ba 非遗 联赛 赛事",
    "应急": "应急 防御 避灾",
}
CUE_SECTIONS: Mapping[str, str] = {
    cue: section for section, cues in SECTION_CUES.items() for cue in cues.split()
}
CUE_PATTERN = re.compile("|".join(re.escape(cue) for cue in sorted(CUE_SECTIONS, key=len)[::-1]))
CUE_BONUS = 0.25
CUE_TITLE_FACTOR = 6
CUE_CAP = 8

TITLE_WEIGHT = 3.0
LINEAR_FORMAT = "newsbrief-section-linear/1"
LEAD_CHARS = 400

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z]+|[0-9]+")


def normalize_text(text: str) -> str:
    """NFKC folds the full-width letters and digits papers mix in; lower-case ASCII for matching."""
    return unicodedata.normalize("NFKC", text).lower()


def extract_features(
    text: str, words: frozenset[str], word_lengths: Sequence[int], unigrams: bool = False
) -> list[str]:
    """Characters, character bigrams and every known word of 3+ characters in the text.

    Runs of letters and of digits are one feature each (digits fold to "0"); punctuation splits
    runs so bigrams never straddle a sentence break. The order of features is irrelevant to
    naive Bayes, but it is kept fixed (per run: characters, bigrams, then words by length and
    position) so the floating-point sums, and hence every score, are reproducible.
    """
    return folded_features(normalize_text(text), words, word_lengths, unigrams)


def folded_features(
    folded: str, words: frozenset[str], word_lengths: Sequence[int], unigrams: bool = False
) -> list[str]:
    """`extract_features` of text that is already `normalize_text`-ed (classification folds
    the title and lead once, for the model and for the cue and emergency patterns).

    A word can only start where the text's bigram is the first two characters of some word, so
    only those positions are tried (a few per run); the C-level map/compress keep this cheap.
    """
    prefixes = _word_prefixes(words)
    no_word_starts = prefixes.isdisjoint
    if any(length < 2 for length in word_lengths):  # a one-character word needs no bigram
        no_word_starts = _never
    features: list[str] = []
    extend = features.extend
    for run in _CJK_RUN.findall(folded):
        if run[0] < "\u3400":  # a run of digits or of letters is one feature
            features.append("0" if run[0].isdigit() else run)
            continue
        if unigrams:
            extend(run)
        bigrams = list(map(str.__add__, run, run[1:]))
        extend(bigrams)
        if no_word_starts(bigrams):
            continue  # the usual case
        size = len(run)
        starts = list(compress(count(), map(prefixes.__contains__, bigrams)))
        for length in word_lengths:
            if length > size:
                break
            if length < 2:
                pieces = [run[i : i + length] for i in range(size - length + 1)]
            else:
                last = size - length
                pieces = [run[i : i + length] for i in starts if i <= last]
            extend(filter(words.__contains__, pieces))
    return features


def _never(_: object) -> bool:
    return False


@lru_cache(maxsize=8)
def _word_prefixes(words: frozenset[str]) -> frozenset[str]:
    """The first two characters of every word of two or more (a frozenset caches its hash, so
    looking this up per text is cheap)."""
    return frozenset(word[:2] for word in words if len(word) >= 2)


def article_lead(paragraphs: Sequence[str], limit: int = LEAD_CHARS) -> str:
    """The first `limit` characters of the body: a local paper states its subject up front."""
    lead: list[str] = []
    used = 0
    for paragraph in paragraphs:
        if used >= limit:
            break
        piece = paragraph[: limit - used]
        lead.append(piece)
        used += len(piece)
    return "\n".join(lead)


@dataclass(frozen=True)
class SectionModel:
    """Naive Bayes log-likelihoods stored sparsely: a per-class base plus per-feature deltas
    (log of how much more often a class saw the feature than smoothing alone would give)."""

    classes: tuple[str, ...]
    class_sections: tuple[str, ...]
    base_log_prob: tuple[float, ...]
    vectors: Mapping[str, tuple[float, ...]]
    words: frozenset[str]
    word_lengths: tuple[int, ...]
    unigrams: bool
    title_weight: float
    lead_chars: int
    # Softmax scale for SectionChoice.confidence: NB scores are per-feature mean log-likelihoods
    # (small differences), a linear model's are logits.
    confidence_scale: float = 10.0

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SectionModel:
        """Turn stored counts into log-probabilities once, so classification is lookups only."""
        if data.get("format") == LINEAR_FORMAT:
            return cls.from_linear_json(data)
        classes = tuple(data["classes"])  # type: ignore[arg-type]
        alpha = float(data["alpha"])  # type: ignore[arg-type]
        totals: list[int] = list(data["class_totals"])  # type: ignore[call-overload]
        counts: Mapping[str, str] = data["counts"]  # type: ignore[assignment]
        vocab_size = len(counts)
        denominators = [total + alpha * vocab_size for total in totals]
        base = tuple(math.log(alpha / denominator) for denominator in denominators)
        # One dense vector per feature: a single lookup, then C-level transposing sums. Equal
        # deltas share one float object, which keeps the tables to a few MB.
        shared: dict[int, float] = {0: 0.0}
        vectors: dict[str, tuple[float, ...]] = {}
        for feature, encoded in counts.items():
            vector = [0.0] * len(classes)
            for item in encoded.split(","):
                index_text, count_text = item.split(":")
                count = int(count_text)
                if count not in shared:
                    shared[count] = math.log((count + alpha) / alpha)
                vector[int(index_text)] = shared[count]
            vectors[feature] = tuple(vector)
        words = frozenset(f for f in counts if len(f) >= 3 and "\u3400" <= f[0] <= "\u9fff")
        return cls(
            classes=classes,
            class_sections=tuple(data["class_sections"]),  # type: ignore[arg-type]
            base_log_prob=base,
            vectors=vectors,
            words=words,
            word_lengths=tuple(sorted({len(w) for w in words})),
            unigrams=bool(data.get("unigrams", False)),
            title_weight=float(data.get("title_weight", TITLE_WEIGHT)),  # type: ignore[arg-type]
            lead_chars=int(data.get("lead_chars", LEAD_CHARS)),  # type: ignore[call-overload]
        )

    @classmethod
    def from_linear_json(cls, data: Mapping[str, object]) -> SectionModel:
        """A linear model (logistic regression, `bot.text.section_training`): per-feature weight
        vectors and per-section intercepts; the score is intercept + the mean weight of the
        text's features, the same sums as naive Bayes, so the run-time cost is the same."""
        classes = tuple(data["classes"])  # type: ignore[arg-type]
        scale = float(data["scale"])  # type: ignore[arg-type]
        weights: Mapping[str, Sequence[int]] = data["weights"]  # type: ignore[assignment]
        shared: dict[int, float] = {}
        vectors: dict[str, tuple[float, ...]] = {}
        for feature, encoded in weights.items():
            vectors[feature] = tuple(shared.setdefault(w, w / scale) for w in encoded)
        words = frozenset(data["words"])  # type: ignore[arg-type]
        return cls(
            classes=classes,
            class_sections=classes,
            base_log_prob=tuple(data["intercepts"]),  # type: ignore[arg-type]
            vectors=vectors,
            words=words,
            word_lengths=tuple(sorted({len(w) for w in words})),
            unigrams=bool(data.get("unigrams", True)),
            title_weight=float(data.get("title_weight", TITLE_WEIGHT)),  # type: ignore[arg-type]
            lead_chars=int(data.get("lead_chars", LEAD_CHARS)),  # type: ignore[call-overload]
            confidence_scale=1.0,
        )

    def features(self, text: str) -> list[str]:
        """The features of `text` that this model knows."""
        found = extract_features(text, self.words, self.word_lengths, self.unigrams)
        return list(filter(self.vectors.__contains__, found))

    def class_log_scores(self, weighted_texts: Iterable[tuple[str, float]]) -> list[float]:
        """Mean per-feature log-likelihood of each fine class (length-normalised, uniform prior).

        Normalising by the total feature weight puts a one-line teaser and a long feature article
        on the same scale, so the cue bonuses mean the same for both.
        """
        return self.folded_class_log_scores(
            (normalize_text(text), weight) for text, weight in weighted_texts
        )

    def folded_class_log_scores(
        self, weighted_folded: Iterable[tuple[str, float]]
    ) -> list[float]:
        """`class_log_scores` of texts already `normalize_text`-ed."""
        scores = [0.0] * len(self.classes)
        total_weight = 0.0
        for folded, weight in weighted_folded:
            features = folded_features(folded, self.words, self.word_lengths, self.unigrams)
            # Every vector is a non-empty tuple, so filter(None) drops exactly the unknowns.
            vectors = list(filter(None, map(self.vectors.get, features)))
            if not vectors:
                continue
            total_weight += weight * len(vectors)
            sums = map(sum, zip(*vectors, strict=True))
            scores = [score + weight * value for score, value in zip(scores, sums, strict=True)]
        if total_weight == 0:
            return list(self.base_log_prob)
        pairs = zip(self.base_log_prob, scores, strict=True)
        return [base + score / total_weight for base, score in pairs]


@cache
def load_model(path: Path = MODEL_PATH) -> SectionModel:
    """Read the shipped model once per process."""
    with path.open(encoding="utf-8") as handle:
        return SectionModel.from_json(json.load(handle))


def cue_hits(title: str, lead: str) -> Counter[str]:
    """Weighted cue hits per section (title hits count CUE_TITLE_FACTOR times); text normalised."""
    hits: Counter[str] = Counter()
    for cue in CUE_PATTERN.findall(title):
        hits[CUE_SECTIONS[cue]] += CUE_TITLE_FACTOR
    for cue in CUE_PATTERN.findall(lead):
        hits[CUE_SECTIONS[cue]] += 1
    return hits


def section_scores(
    title: str, paragraphs: Sequence[str] = (), model: SectionModel | None = None
) -> dict[str, float]:
    """Score per section (higher is better): best fine-class NB score plus cue bonuses.

    Emergency language in the title, or repeatedly in the lead, puts 应急 ahead of everything.
    `model` lets the training script score candidates before one is shipped.
    """
    model = model or load_model()
    folded_title = normalize_text(title)
    folded_lead = normalize_text(article_lead(paragraphs, model.lead_chars))
    fine_scores = model.folded_class_log_scores(
        [(folded_title, model.title_weight), (folded_lead, 1.0)]
    )
    scores = dict.fromkeys(SECTIONS, -math.inf)
    for section, score in zip(model.class_sections, fine_scores, strict=True):
        scores[section] = max(scores[section], score)
    for section, hits in cue_hits(folded_title, folded_lead).items():
        scores[section] += CUE_BONUS * min(hits, CUE_CAP)
    title_alarms = len(EMERGENCY_PATTERN.findall(folded_title))
    lead_alarms = len(EMERGENCY_PATTERN.findall(folded_lead))
    if title_alarms >= EMERGENCY_TITLE_HITS or lead_alarms >= EMERGENCY_LEAD_HITS:
        scores["应急"] = max(scores.values()) + 1.0 + title_alarms + 0.1 * lead_alarms
    return scores


def classify_section(
    title: str, paragraphs: Sequence[str] = (), model: SectionModel | None = None
) -> str:
    """The section for an article the operator did not file: title weighted, then the lead."""
    if not title.strip() and not any(p.strip() for p in paragraphs):
        return DEFAULT_SECTION
    scores = section_scores(title, paragraphs, model)
    return max(SECTIONS, key=lambda section: scores[section])


def resolve_section_name(text: str) -> str | None:
    """Canonical section for a user's or deep link's spelling, or None when it names none."""
    key = unicodedata.normalize("NFKC", text).strip().lower()
    return SECTION_ALIASES.get(key)
