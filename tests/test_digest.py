"""Composing and rendering the daily digest: sections, alerts first, splitting, scripts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.render.callback_data import CallbackCodec
from bot.render.digest import render_digest
from bot.render.i18n import Translator
from bot.render.layout import TELEGRAM_TEXT_LIMIT, utf16_len
from bot.subscriptions.digest import (
    MAX_PER_SECTION,
    DigestAlert,
    DigestArticle,
    DigestMaterial,
    DigestPreferences,
    compose_digest,
)

EDITION = date(2023, 7, 31)
CODEC = CallbackCodec("test-token")
PAPER = "萧山日报"


def article(i: int, section: str, title: str | None = None, summary: str | None = "摘要一句。"
            ) -> DigestArticle:
    return DigestArticle(i, PAPER, EDITION, section, title or f"标题{i}", summary, 1)


TYPHOON = DigestAlert(
    event_id=1, article_id=4, hazard="typhoon", kind="response", action="start", level="IV",
    storm_name="卡努", authority="区防指", summary="区防指启动防台风Ⅳ级应急响应",
    effective_at=datetime(2023, 7, 30, 12, 30, tzinfo=UTC),
)
FLOOD = DigestAlert(
    event_id=2, article_id=5, hazard="flood", kind="response", action="start", level="IV",
    storm_name=None, authority="市防指", summary="市防指启动防汛Ⅳ级应急响应",
    effective_at=datetime(2023, 7, 30, 12, 30, tzinfo=UTC),
)


def material(*articles: DigestArticle) -> DigestMaterial:
    return DigestMaterial.of(articles, max(a.id for a in articles))


def test_digest_keeps_only_the_chats_sections_in_paper_order() -> None:
    m = material(article(1, "文体"), article(2, "经济"), article(3, "时政"))
    digest = compose_digest(DigestPreferences(7, sections=("文体", "时政")), EDITION, m)
    assert [s.name for s in digest.sections] == ["时政", "文体"]
    assert digest.cursor == 3 and digest.ref == "2023-07-31"
    everything = compose_digest(DigestPreferences(7), EDITION, m)
    assert [s.name for s in everything.sections] == ["时政", "经济", "文体"]


def test_nothing_in_the_chosen_sections_is_an_empty_digest_even_with_alerts() -> None:
    m = material(article(1, "文体"))
    digest = compose_digest(DigestPreferences(7, sections=("经济",)), EDITION, m, [TYPHOON])
    assert digest.empty and digest.cursor == 1


def test_alerts_come_first_and_floods_only_for_chats_that_want_them() -> None:
    m = material(article(1, "经济"))
    typhoon_only = compose_digest(DigestPreferences(7), EDITION, m, [TYPHOON, FLOOD])
    assert typhoon_only.alerts == (TYPHOON,)
    both = compose_digest(DigestPreferences(7, other_hazards=True), EDITION, m, [TYPHOON, FLOOD])
    html = str(render_digest(both, Translator("zh-Hans"), CODEC, PAPER)[0].html)
    assert html.index("防台风") < html.index("防汛") < html.index("【经济】")


def test_heading_names_the_paper_and_the_edition_date() -> None:
    digest = compose_digest(DigestPreferences(7), EDITION, material(article(1, "经济")))
    html = str(render_digest(digest, Translator("zh-Hans"), CODEC, PAPER)[0].html)
    assert html.startswith("<b>📰 萧山日报 · 每日简报</b>\n2023年7月31日")
    assert "1. <b>标题1</b>\n摘要一句。" in html


def test_traditional_chinese_chat_reads_traditional_characters() -> None:
    m = material(article(1, "经济", "萧山经济发展报告", "经济运行总体平稳。"))
    digest = compose_digest(DigestPreferences(7, language="zh-hant"), EDITION, m)
    html = str(render_digest(digest, Translator.for_language("zh-hant"), CODEC, PAPER)[0].html)
    assert "蕭山日報" in html and "蕭山經濟發展報告" in html and "經濟運行總體平穩" in html
    assert "【經濟】" in html


def test_article_text_is_escaped() -> None:
    m = material(article(1, "经济", "A<B & C>", "x < y。"))
    html = str(render_digest(compose_digest(DigestPreferences(7), EDITION, m),
                             Translator("en"), CODEC, PAPER)[0].html)
    assert "A&lt;B &amp; C&gt;" in html and "x &lt; y。" in html


def test_long_digest_splits_between_items_with_their_own_read_buttons() -> None:
    long_title = "很长的标题" * 14
    items = [article(i, section, f"{long_title}{i}", "这是摘要。" * 11)
             for i, section in enumerate(["经济", "社会", "时政", "文体"] * 12, start=1)]
    digest = compose_digest(DigestPreferences(7), EDITION, material(*items))
    parts = render_digest(digest, Translator("zh-Hans"), CODEC, PAPER)
    assert len(parts) > 1
    numbers_seen: list[str] = []
    for part in parts:
        assert utf16_len(str(part.html)) <= TELEGRAM_TEXT_LIMIT
        labels = [b.text for row in part.keyboard for b in row if b.text.isdigit()]
        for label in labels:  # every button's item is in its own part
            assert f"\n{label}. <b>" in str(part.html)
        numbers_seen.extend(labels)
    assert numbers_seen == [str(n) for n in range(1, len(items) + 1)]
    assert "（续）" in "".join(str(p.html) for p in parts[1:])


def test_a_section_with_too_many_items_says_how_many_more() -> None:
    items = [article(i, "经济") for i in range(1, MAX_PER_SECTION + 4)]
    digest = compose_digest(DigestPreferences(7), EDITION, material(*items))
    assert digest.sections[0].more == 3
    part = render_digest(digest, Translator("zh-Hans"), CODEC, PAPER)[-1]
    assert "另有 3 篇【经济】文章" in str(part.html)
    assert part.keyboard[-1][0].callback_data.startswith("s:econ:0:")


def test_silent_digest_is_sent_without_notification() -> None:
    m = material(article(1, "经济"))
    digest = compose_digest(DigestPreferences(7, silent=True), EDITION, m)
    parts = [p.to_outbox() for p in render_digest(digest, Translator("zh-Hans"), CODEC, PAPER)]
    assert parts[0]["disable_notification"] is True
    assert parts[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "1", "callback_data": CODEC.open_article(1)}]]
    }
