"""Index and query fold text the same way; display text is never changed."""

from __future__ import annotations

from bot.search.tokens import distinct_chars, gram_tokens, term_matcher
from bot.text import segmentation
from bot.text.normalization import normalize_for_matching, normalize_with_offsets, word_runs


def test_traditional_folds_to_simplified() -> None:
    assert normalize_for_matching("經開區") == "经开区"
    assert normalize_for_matching("颱風") == "台风"


def test_fold_is_per_character_so_substrings_fold_like_the_whole() -> None:
    whole = normalize_for_matching("乾隆年間的颱風")
    assert normalize_for_matching("乾隆") in whole
    assert normalize_for_matching("颱風") in whole


def test_full_width_and_ascii_agree() -> None:
    assert normalize_for_matching("ＡＢＣ１２３，（）") == normalize_for_matching("ABC123,()")


def test_latin_is_lower_cased() -> None:
    assert normalize_for_matching("COVID-19 Hangzhou") == "covid-19 hangzhou"


def test_roman_numeral_levels_fold_to_letters() -> None:
    assert normalize_for_matching("Ⅳ级") == "iv级"


def test_invisible_format_characters_are_dropped() -> None:
    assert normalize_for_matching("经\u200b开\u200f区\ufeff") == "经开区"


def test_offsets_map_folded_text_back_to_the_original() -> None:
    folded, origin = normalize_with_offsets("㈱經開")
    assert folded == "(株)经开"
    assert origin == [0, 0, 0, 1, 2]


def test_offsets_are_identity_when_length_is_kept() -> None:
    folded, origin = normalize_with_offsets("颱風來了")
    assert folded == "台风来了"
    assert origin == [0, 1, 2, 3]


def test_word_runs_split_on_punctuation_spaces_and_emoji() -> None:
    assert word_runs("经开区,萧山 5g😀网") == ["经开区", "萧山", "5g", "网"]


def test_index_tokens_are_bigrams_closed_by_the_last_character() -> None:
    assert gram_tokens("萧山经开区。好") == ["萧山", "山经", "经开", "开区", "区", "好"]
    assert distinct_chars(word_runs("经济经，济南")) == ["经", "济", "南"]


def test_query_term_is_a_phrase_of_bigrams() -> None:
    matcher = term_matcher("经开区")
    assert matcher is not None
    assert matcher.tokens == ("经开", "开区")
    assert not matcher.prefix and not matcher.single_char


def test_single_character_term_uses_the_character_set() -> None:
    matcher = term_matcher("税")
    assert matcher is not None and matcher.single_char


def test_term_ending_in_a_lone_character_after_punctuation_is_a_prefix() -> None:
    matcher = term_matcher("经开区,萧")
    assert matcher is not None
    assert matcher.tokens == ("经开", "开区", "区", "萧")
    assert matcher.prefix


def test_term_without_letters_has_no_matcher() -> None:
    assert term_matcher("!!!😀") is None


def test_jieba_loads_once_and_segments() -> None:
    # the split the index's ranking words and the query terms both use
    assert segmentation.dictionary_words("萧山经济开发区 5G网络") == [
        "萧山", "经济", "开发区", "5G", "网络"]
