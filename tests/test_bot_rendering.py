"""Messages stay under Telegram's limits, split where a reader would, and escape article text."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.render.callback_data import CallbackCodec
from bot.render.html_text import html_to_terminal, plain_text
from bot.render.i18n import Translator
from bot.render.layout import TELEGRAM_TEXT_LIMIT, Block, pack_blocks, split_text, utf16_len
from bot.render.views import render_article
from storage.models import Article


def _article(**fields: object) -> Article:
    values: dict[str, object] = dict(
        id=7, paper="萧山日报", edition_date=date(2023, 7, 31), page=1, section="社会",
        kicker=None, title="标题", subtitle=None, byline=None, paragraphs=["正文。"],
        subheads=[], content_hash="x", ingested_at=datetime.now(UTC), kind="article",
    )
    values.update(fields)
    return Article(**values)


def test_utf16_counts_astral_characters_twice() -> None:
    assert utf16_len("台风") == 2
    assert utf16_len("𠀀a") == 3


def test_long_paragraph_splits_at_sentence_ends() -> None:
    sentence = "台风来了要注意安全。" * 600
    pieces = split_text(sentence, 4096)
    assert all(utf16_len(p) <= 4096 for p in pieces)
    assert all(p.endswith("。") for p in pieces)
    assert "".join(pieces) == sentence


def test_sentence_longer_than_limit_splits_at_commas_then_anywhere() -> None:
    text = "台风来了，" * 1000
    pieces = split_text(text, 4096)
    assert all(p.endswith("，") for p in pieces) and "".join(pieces) == text
    no_breaks = "台" * 5000
    assert [utf16_len(p) for p in split_text(no_breaks, 4096)] == [4096, 904]
    astral = "𠀀" * 3000
    assert all(utf16_len(p) <= 4096 for p in split_text(astral, 4096))


def test_blocks_pack_on_paragraph_boundaries() -> None:
    blocks = [Block.of("甲" * 2000), Block.of("乙" * 2000), Block.of("丙" * 2000)]
    groups = pack_blocks(blocks, 4096)
    assert [len(group) for group in groups] == [2, 1]


def test_long_article_is_split_with_escaped_text_under_the_limit() -> None:
    paragraphs = ["<b>台风</b> & “卡努”来了。" * 120 for _ in range(6)] + ["小标题"]
    article = _article(title="<script>alert(1)</script>", paragraphs=paragraphs,
                       subheads=["小标题"])
    parts = render_article(article, Translator("zh-Hans"))
    assert len(parts) > 1
    for part in parts:
        assert utf16_len(plain_text(part.html)) <= TELEGRAM_TEXT_LIMIT
        assert "<script>" not in part.html and "<b>台风</b>" not in part.html
    assert parts[0].html.startswith("<b>&lt;script&gt;")
    assert "<b>小标题</b>" in parts[-1].html
    assert "（1/" in plain_text(parts[0].html)


def test_terminal_rendering_keeps_bold_readable() -> None:
    markup = "<b>台风</b> &amp; <i>雨</i>"
    assert html_to_terminal(markup) == "【台风】 & 雨" and plain_text(markup) == "台风 & 雨"


def test_search_page_bolds_the_match_and_escapes_the_rest() -> None:
    from bot.render.views import marked_html

    html = marked_html("a<b>台风&来了", [(4, 6)], Translator("zh-Hans"))
    assert html == "a&lt;b&gt;<b>台风</b>&amp;来了"
    codec = CallbackCodec("t")
    assert codec.decode(codec.open_article(1))


def test_a_capped_total_is_shown_as_a_lower_bound() -> None:
    from datetime import date

    from bot.render.callback_data import CallbackCodec
    from bot.render.i18n import Translator
    from bot.render.views import render_search_page
    from bot.search.service import SearchHit, SearchPage

    hit = SearchHit(1, "经济新闻", date(2023, 7, 31), "经济", 1.0, "经济", ((0, 2),))
    capped = SearchPage("经济", 200, 1.0, [hit], total_exact=False)
    exact = SearchPage("经济", 7, 1.0, [hit])
    tr, codec = Translator.for_language("zh"), CallbackCodec("k")
    assert "共 200+ 条结果" in render_search_page(capped, 0, tr, codec).html
    assert "共 7 条结果" in render_search_page(exact, 0, tr, codec).html
