"""Web pages → article records: the main text of an article page, or the links of an index page.

Main-text extraction is trafilatura's (navigation, footers and link lists fall away); what Chinese
news sites add below the text that it keeps — 责任编辑 lines, copyright and ICP lines, a 相关新闻
heading — is trimmed here. The title is the page's headline (``<h1>``), else ``<title>`` without
the site name; the date comes from the page (trafilatura's htmldate), else its URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree

from bot.sources.records import date_from_url

MIN_ARTICLE_CHARS = 30  # less main text than this: an index page or a stub, not an article
# An index page's link to an article carries its headline (or the URL its date); the site's
# navigation (首页, 新闻, 体育, 萧山新闻, 数字报) carries neither. Only the former are followed, or
# dozens of menu links ahead of the list would use up the per-poll bound at every poll.
MIN_LINK_TEXT_CHARS = 5
_NOT_PAGES = re.compile(
    r"\.(?:pdf|jpe?g|png|gif|webp|bmp|svg|ico|zip|rar|7z|gz|docx?|xlsx?|pptx?|mp3|mp4|m4a|avi|"
    r"mov|flv|wmv|apk|exe|css|js)$",
    re.IGNORECASE,
)
INDEX_LINK_SHARE = 0.5  # an index page's visible text is mostly link text
_BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                     "blockquote", "section", "article", "figcaption", "pre", "dd", "dt"})
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|—|--| - )\s*")
_FURNITURE = re.compile(
    r"^(?:[（(【\[]?\s*(?:责任编辑|编辑|责编|审核|校对|来源|稿源|原标题)\s*[：:]|版权所有|"
    r"Copyright|©|.*ICP[备证]|.*未经授权.*(?:转载|复制))",
    re.IGNORECASE,
)
# A QR-code prompt under the text ("扫一扫，关注萧山发布微信公众号"); only a short line is one —
# a paragraph of a service story may well start "扫码预约…".
_QR_PROMPT = re.compile(r"^(?:微信)?扫一扫|^扫码|^长按(?:识别)?(?:图中)?二维码")
MAX_QR_PROMPT_CHARS = 30
_TAIL_HEADINGS = re.compile(r"^(?:相关新闻|相关阅读|相关链接|延伸阅读|推荐阅读|热点新闻)\s*[：:]?$")


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Declared media types that are never a page (nor a feed or a PDF, which are tried first).
_NEVER_PAGES = re.compile(
    r"^(?:image|audio|video|font|model)/|^application/(?!.*xml)(?!octet-stream$)"
)
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|title|meta|div|p|h1)[\s>/]", re.IGNORECASE
)


def never_a_page(content_type: str | None) -> bool:
    """An image, audio, video, font, or an ``application/*`` type other than XML and
    octet-stream (JSON, zip, msword…)."""
    return content_type is not None and _NEVER_PAGES.match(content_type) is not None


def looks_like_html(content_type: str | None, body: bytes) -> bool:
    """An HTML page: declared so, or not declared as something else and opening with markup
    (servers send pages as text/plain or octet-stream too)."""
    if content_type in HTML_TYPES:
        return True
    return not never_a_page(content_type) and _MARKUP.search(body[:2048]) is not None


@dataclass(frozen=True)
class PageArticle:
    title: str
    paragraphs: tuple[str, ...]
    published: date | None


def _document(html: str) -> etree._Element | None:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def fragment_paragraphs(html: str) -> tuple[str, ...]:
    """The paragraphs of an HTML fragment (a feed item's content), tags dropped."""
    if "<" not in html:
        return _clean_lines(html.splitlines())
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return _clean_lines(html.splitlines())
    return _clean_lines(_block_text(root).splitlines())


def _block_text(root: etree._Element) -> str:
    pieces: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("script", "style"):
            if node.tail:
                pieces.append(node.tail)
            return
        if tag in _BLOCKS:
            pieces.append("\n")
        if node.text:
            pieces.append(node.text)
        for child in node:
            walk(child)
        if tag in _BLOCKS:
            pieces.append("\n")
        if node.tail:
            pieces.append(node.tail)

    walk(root)
    return "".join(pieces)


def _clean_lines(lines: list[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if _TAIL_HEADINGS.match(line):
            break
        if _FURNITURE.match(line) or (len(line) <= MAX_QR_PROMPT_CHARS and _QR_PROMPT.match(line)):
            continue
        kept.append(line)
    return tuple(kept)


def extract_article(html: str, url: str) -> PageArticle | None:
    """The article on a page; None when the page holds no article text (an index, a stub)."""
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, favor_precision=True, include_comments=False,
        include_tables=False,
    )
    if document is None or not document.text:
        return None
    paragraphs = _clean_lines(document.text.splitlines())
    if sum(len(p) for p in paragraphs) < MIN_ARTICLE_CHARS:
        return None
    root = _document(html)  # parsed once for the headline and the <title>
    page_title = _page_title(root)
    title = _headline(root, page_title or "") or _site_free_title(
        page_title or document.title or "")
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    if not title or not paragraphs:
        return None
    return PageArticle(title=title, paragraphs=paragraphs, published=_page_date(document, url))


def _headline(root: etree._Element | None, title: str) -> str | None:
    """The page's ``<h1>``, unless it is the site's name (a logo set as one: "萧山网", a piece
    of the ``<title>`` beside the headline); of several, the longest the ``<title>`` contains,
    else the first."""
    if root is None:
        return None
    pieces = [p for p in _TITLE_SEPARATORS.split(title) if p]
    site_names = set(pieces) - {max(pieces, key=len)} if len(pieces) > 1 else set()
    headings = [text for heading in root.iter("h1")
                if (text := " ".join(heading.text_content().split())) and text not in site_names]
    if len(headings) <= 1:
        return headings[0] if headings else None
    in_title = [text for text in headings if text in title]
    return max(in_title, key=len) if in_title else headings[0]


def _page_title(root: etree._Element | None) -> str | None:
    """The page's ``<title>``, spaces folded."""
    if root is None:
        return None
    return " ".join((root.findtext(".//title") or "").split()) or None


def _site_free_title(title: str) -> str:
    """``区防指启动…_萧山日报_萧山网`` → ``区防指启动…`` (the longest piece is the headline)."""
    pieces = [p for p in _TITLE_SEPARATORS.split(title.strip()) if p]
    return max(pieces, key=len) if pieces else ""


def _page_date(document: object, url: str) -> date | None:
    raw = getattr(document, "date", None)
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            pass
    return date_from_url(url)


def is_index_page(html: str) -> bool:
    """Mostly link text: a list of articles (an e-paper page's list, a section front)."""
    root = _document(html)
    if root is None:
        return False
    for node in root.iter("script", "style", "head"):
        node.drop_tree()
    total = len("".join(root.text_content().split()))
    if total == 0:
        return False
    linked = sum(len("".join(a.text_content().split())) for a in root.iter("a"))
    return linked / total >= INDEX_LINK_SHARE


def same_host_links(html: str, url: str, *, limit: int) -> list[str]:
    """Links to other article pages of the same host, in page order, at most ``limit``; never
    off-host, never menu links (see MIN_LINK_TEXT_CHARS) nor files that are not pages."""
    root = _document(html)
    if root is None:
        return []
    host = (urlsplit(url).hostname or "").lower()
    port = urlsplit(url).port
    own = urldefrag(url)[0]
    found: list[str] = []
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if not href:
            continue
        target = urldefrag(urljoin(url, href.strip()))[0]
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != host:
            continue
        if parts.port != port or target == own or target in found:
            continue
        if _NOT_PAGES.search(parts.path):
            continue
        text = "".join(anchor.text_content().split())
        if len(text) < MIN_LINK_TEXT_CHARS and date_from_url(parts.path) is None:
            continue
        found.append(target)
        if len(found) >= limit:
            break
    return found
