"""Inline mode results (``@bot 台风`` in any chat): one article result per found article.

Each result carries the title, a one-line description (the search snippet, or section and date
for headlines) and the message the reader posts by choosing it: the article in HTML, cut to fit one
message (≤ 4096 after parsing) with a link to the whole article when it is longer, and a button
that opens it in the bot. Plain values here; the handler turns them into PTB's result objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.render.i18n import Html, Translator
from bot.render.layout import TELEGRAM_TEXT_LIMIT, Block, blocks_to_html, clip, pack_blocks
from bot.render.parts import Button, Keyboard
from bot.render.views import ShareLinks, article_blocks
from storage.models import Article

INLINE_TITLE_CHARS = 100
INLINE_DESCRIPTION_CHARS = 120
READ_MORE_RESERVE = 256  # room for the "read it all" line under a cut article


@dataclass(frozen=True)
class InlineArticle:
    """One inline result: ``id`` ≤ 64 bytes, unique within the answer."""

    id: str
    title: str
    description: str
    html: Html
    keyboard: Keyboard = ()


def render_inline_article(
    article: Article, tr: Translator, description: str, share: ShareLinks | None
) -> InlineArticle:
    """The result for one article; ``description`` is plain text (a snippet, or section · date)."""
    groups = pack_blocks(article_blocks(article, tr), TELEGRAM_TEXT_LIMIT - READ_MORE_RESERVE)
    html = blocks_to_html(groups[0]) if groups else Html("")
    keyboard: Keyboard = ()
    if share is not None:
        if len(groups) > 1:
            more = Block.of(tr.text("inline.read_more", url=share.url), "i")
            html = Html(html + "\n\n" + blocks_to_html([more]))
        keyboard = ((Button(tr.text("inline.open_in_bot"), url=share.url),),)
    title = clip(tr.article_text(article.title), INLINE_TITLE_CHARS) or tr.text("inline.untitled")
    return InlineArticle(
        id=f"a{article.id}",
        title=title,
        description=clip(description, INLINE_DESCRIPTION_CHARS),
        html=html,
        keyboard=keyboard,
    )


def headline_description(article: Article, tr: Translator) -> str:
    return tr.text("inline.headline_meta", section=tr.section(article.section),
                   date=tr.date(article.edition_date))
