"""One-sentence extractive summaries for digest lines."""

from __future__ import annotations

import json
from pathlib import Path

from bot.text.summaries import SUMMARY_MAX_CHARS, clip_to_clause, sentences, summarize


def test_summary_is_one_of_the_articles_own_sentences(fixtures_dir: Path) -> None:
    expected = json.loads((fixtures_dir / "xsrb-2023-07-31-01.expected.json").read_text("utf-8"))
    for article in expected["articles"]:
        summary = summarize(article["title"], article["paragraphs"])
        if not article["paragraphs"]:
            assert summary is None
            continue
        assert summary is not None
        assert len(summary) <= SUMMARY_MAX_CHARS
        body = "".join(article["paragraphs"])
        assert summary.rstrip("…") in body


def test_summary_prefers_the_sentence_about_the_headline() -> None:
    summary = summarize(
        "我区启动防台风Ⅳ级应急响应",
        ["今年第6号台风“卡努”昨日19时中心位于菲律宾以东洋面上。区防指决定昨日20时30分"
         "启动防台风Ⅳ级应急响应。"],
    )
    assert summary == "区防指决定昨日20时30分启动防台风Ⅳ级应急响应。"


def test_long_sentence_is_cut_at_a_clause_with_an_ellipsis() -> None:
    sentence = "会议指出，" + "要坚持稳中求进工作总基调，" * 6 + "推动高质量发展。"
    clipped = clip_to_clause(sentence)
    assert len(clipped) <= SUMMARY_MAX_CHARS
    assert clipped.endswith("，…".replace("，", "")) and sentence.startswith(clipped[:-1])
    assert clipped[-2] != "，"


def test_dateline_is_left_out() -> None:
    summary = summarize("新闻标题", ["本报讯（记者 王某）萧山今天举行了一场热闹的活动。"])
    assert summary == "萧山今天举行了一场热闹的活动。"


def test_sentences_keep_closing_quotes() -> None:
    assert sentences(["他说：“好！”然后走了。"]) == ["他说：“好！”", "然后走了。"]
