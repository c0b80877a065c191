"""Sources polled by themselves, against a loopback web site: feeds, pages, PDF pages, charsets,
politeness and the bad cases (no answer, 60 MB, redirect loop, truncated XML, 304)."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.sources.service as source_service_module
from bot.alerts.state import AlertQueryService
from bot.clock import ManualClock, SystemClock
from bot.config import Settings
from bot.search.service import SearchService
from bot.sources.charset import decode_body
from bot.sources.fetch import Fetcher, UnsupportedSchemeError
from bot.sources.service import SourceInputError, SourceService
from storage.articles import ArticleRepository
from storage.database import Database
from storage.sources import SourceRepository
from tests.sources_site import (
    TYPHOON_BODY,
    TYPHOON_TITLE,
    SourcesSite,
    article_page,
    http_date,
    make_pdf_page,
    portal_page,
    rss,
)

MAX_TEST_BYTES = 1024 * 1024
QUIET_BODY = (
    "萧山区图书馆新馆今天开放，市民可凭身份证免费办理借阅证。",
    "新馆藏书六十万册，设有少儿阅览区、自习区和数字阅读体验区，周一至周日均开放。",
)


@pytest.fixture
async def site() -> AsyncIterator[SourcesSite]:
    server = SourcesSite()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def service(db: Database, *, clock: ManualClock | SystemClock | None = None,
            host_delay: float = 0.0, timeout: float = 1.0) -> SourceService:
    fetch_clock = SystemClock()
    return SourceService(
        db, Settings(), clock or SystemClock(),
        fetcher_factory=lambda: Fetcher(fetch_clock, timeout=timeout, max_bytes=MAX_TEST_BYTES,
                                        host_delay=host_delay),
        rng=random.Random(7),
    )


def _numbered_pages(site: SourcesSite, folder: str, count: int) -> list[tuple[str, str]]:
    """``count`` article pages ``folder/N.html`` told apart by their number: (path, title)."""
    pages = []
    for number in range(count):
        title, path = f"第{number}条新闻：区图书馆新馆开放", f"{folder}/{number}.html"
        site.put(path, article_page(title, [f"{p}（{number}）" for p in QUIET_BODY]), "text/html")
        pages.append((path, title))
    return pages


def typhoon_feed(site: SourcesSite, *, body: tuple[str, ...] = TYPHOON_BODY) -> str:
    return rss([
        {"title": TYPHOON_TITLE, "link": site.url("/news/typhoon.html"), "guid": "xs-1001",
         "content": "".join(f"<p>{p}</p>" for p in body)},
        {"title": "区图书馆新馆开放", "link": site.url("/news/library.html"), "guid": "xs-1002",
         "content": "".join(f"<p>{p}</p>" for p in QUIET_BODY)},
    ])


async def stored_titles(db: Database) -> list[str]:
    async with db.session() as session:
        articles = await ArticleRepository(session).ingested_since(0)
        return [a.title for a in articles]


# --- feeds -------------------------------------------------------------------------------------


async def test_rss_items_become_articles_with_their_full_text_and_alert(
    db: Database, site: SourcesSite
) -> None:
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    added = await sources.add(site.url("/feed.xml"), every_minutes=5)
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new, result.alerts_new, result.error) == (
        "ok", 2, 1, None)
    async with db.session() as session:
        articles = await ArticleRepository(session).ingested_since(0)
    assert [a.title for a in articles] == [TYPHOON_TITLE, "区图书馆新馆开放"]
    assert articles[0].paragraphs == list(TYPHOON_BODY)
    assert articles[0].url == site.url("/news/typhoon.html")
    assert articles[0].edition_date.isoformat() == "2023-07-27"  # pubDate in Asia/Shanghai
    assert articles[0].section == "应急"
    events = await AlertQueryService(db, Settings().timezone).events(include_ended=True)
    assert [(e["hazard"], e["action"], e["level"]) for e in events] == [
        ("typhoon", "start", "IV")]
    [listed] = await sources.sources()
    assert listed.id == added.id and listed.last_status == "ok"
    assert listed.next_poll_at > listed.last_polled_at  # type: ignore[operator]


async def test_second_poll_sends_the_etag_and_a_304_adds_nothing(
    db: Database, site: SourcesSite
) -> None:
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    await sources.poll_all()
    [second] = await sources.poll_all()
    assert (second.status, second.articles_new, second.articles_duplicate) == (
        "not_modified", 0, 0)
    assert len(await stored_titles(db)) == 2


async def test_last_modified_makes_the_get_conditional(db: Database, site: SourcesSite) -> None:
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml", etag=False,
             last_modified=http_date(time.time() - 3600))
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    [first] = await sources.poll_all()
    [second] = await sources.poll_all()
    assert (first.status, second.status) == ("ok", "not_modified")


async def test_unchanged_feed_without_validators_stores_each_item_once(
    db: Database, site: SourcesSite
) -> None:
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml", etag=False)
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    await sources.poll_all()
    [second] = await sources.poll_all()
    assert (second.status, second.articles_new, second.articles_duplicate) == ("ok", 0, 2)
    assert len(await stored_titles(db)) == 2


async def test_an_item_edited_later_updates_its_article(db: Database, site: SourcesSite) -> None:
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    await sources.poll_all()
    corrected = (*TYPHOON_BODY[:2], "区防指提醒市民减少外出，远离河道和危旧房屋。")
    site.put("/feed.xml", typhoon_feed(site, body=corrected), "application/rss+xml")
    [result] = await sources.poll_all()
    assert (result.articles_new, result.articles_updated, result.articles_duplicate) == (0, 1, 1)
    async with db.session() as session:
        articles = await ArticleRepository(session).ingested_since(0)
    assert len(articles) == 2 and articles[0].paragraphs == list(corrected)
    search = SearchService(db)
    assert [h.id for h in (await search.search("危旧房屋")).results] == [articles[0].id]
    assert (await search.search("人员转移")).total == 0


async def test_an_edited_item_is_read_for_alerts_with_the_operators_stale_window(
    db: Database, site: SourcesSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEWSBRIEF_ALERT_STALE_HOURS holds for an article a source edits, as for a new one (the
    edit path passed no window, so the detector's default applied)."""
    seen: list[object] = []
    detect = source_service_module.detect_and_record

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("stale_after", "default"))
        return await detect(*args, **kwargs)

    monkeypatch.setattr(source_service_module, "detect_and_record", spy)
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    window = Settings().alert_stale_after
    await sources.add(site.url("/feed.xml"))
    await sources.poll_all()
    corrected = (*TYPHOON_BODY[:2], "区防指提醒市民减少外出，远离河道和危旧房屋。")
    site.put("/feed.xml", typhoon_feed(site, body=corrected), "application/rss+xml")
    [result] = await sources.poll_all()
    assert result.articles_updated == 1
    assert seen == [window]  # the edit path (new items go through the ingest service)


async def test_the_same_story_in_two_feeds_is_stored_once(db: Database, site: SourcesSite) -> None:
    site.put("/a.xml", typhoon_feed(site), "application/rss+xml")
    site.put("/b.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/a.xml"))
    await sources.add(site.url("/b.xml"))
    results = await sources.poll_all()
    assert sorted((r.articles_new, r.articles_duplicate) for r in results) == [(0, 2), (2, 0)]
    assert len(await stored_titles(db)) == 2


async def test_summary_only_atom_entry_is_read_from_its_gbk_page(
    db: Database, site: SourcesSite
) -> None:
    page = article_page(TYPHOON_TITLE, TYPHOON_BODY, charset_meta="gbk")
    site.put("/news/typhoon.html", page.encode("gbk"), "text/html")  # charset only in <meta>
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>萧山网</title><id>urn:xs</id>
<updated>2023-07-27T12:30:00Z</updated>
<entry><title>{TYPHOON_TITLE}</title><id>urn:xs:1</id>
<link href="{site.url('/news/typhoon.html')}"/><updated>2023-07-27T12:30:00Z</updated>
<summary>区防指启动防台风Ⅳ级应急响应。</summary></entry></feed>"""
    site.put("/atom.xml", atom, "application/atom+xml")
    sources = service(db)
    await sources.add(site.url("/atom.xml"))
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new) == ("ok", 1)
    async with db.session() as session:
        [article] = await ArticleRepository(session).ingested_since(0)
    assert article.title == TYPHOON_TITLE
    assert article.paragraphs == list(TYPHOON_BODY)  # no 责任编辑, 相关新闻, copyright, ICP
    [second] = await sources.poll_all()  # the page is not fetched again for a known entry
    assert second.status == "not_modified" and site.hits["/news/typhoon.html"] == 1


async def test_json_feed_items_are_read(db: Database, site: SourcesSite) -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1", "title": "萧山网",
        "items": [{"id": "j1", "url": site.url("/news/j1.html"), "title": "区图书馆新馆开放",
                   "content_text": "\n".join(QUIET_BODY),
                   "date_published": "2023-07-28T01:00:00Z"}],
    }
    site.put("/feed.json", json.dumps(feed, ensure_ascii=False), "application/feed+json")
    sources = service(db)
    await sources.add(site.url("/feed.json"))
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new) == ("ok", 1)
    async with db.session() as session:
        [article] = await ArticleRepository(session).ingested_since(0)
    assert article.paragraphs == list(QUIET_BODY)
    assert article.edition_date.isoformat() == "2023-07-28"


async def test_gbk_feed_declared_only_in_its_xml_declaration(
    db: Database, site: SourcesSite
) -> None:
    site.put("/gbk.xml", typhoon_feed(site).replace('encoding="utf-8"', 'encoding="gbk"')
             .encode("gbk"), "text/xml")
    sources = service(db)
    await sources.add(site.url("/gbk.xml"))
    [result] = await sources.poll_all()
    assert result.status == "ok"
    assert await stored_titles(db) == [TYPHOON_TITLE, "区图书馆新馆开放"]


# --- charsets ----------------------------------------------------------------------------------

TEXT = "萧山区防指启动防台风Ⅳ级应急响应，镕、堃、喆等字也要正确。"


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        (f"<p>{TEXT}</p>".encode(), "utf-8", "utf-8"),
        (f"<p>{TEXT}</p>".encode(), None, "utf-8"),
        (f"<p>{TEXT}</p>".encode("gb18030"), "gb2312", "gb18030"),  # GB2312 header, GBK bytes
        (f"<p>{TEXT}</p>".encode("gbk"), "GBK", "gb18030"),
        (f'<html><head><meta charset="gb2312"></head><p>{TEXT}</p>'.encode("gb18030"), None,
         "gb18030"),
        (f'<meta http-equiv="Content-Type" content="text/html; charset=GBK"><p>{TEXT}</p>'
         .encode("gbk"), None, "gb18030"),
        (f'<?xml version="1.0" encoding="GB18030"?><rss><t>{TEXT}</t></rss>'.encode("gb18030"),
         None, "gb18030"),
        (f"<html><body><p>{TEXT * 3}</p></body></html>".encode("gb18030"), None, "gb18030"),
        (f"<p>{TEXT}</p>".encode("gbk"), "utf-8", "gb18030"),  # a wrong header is not trusted
    ],
)
def test_charsets_give_correct_chinese(body: bytes, header: str | None, expected: str) -> None:
    text, encoding = decode_body(body, header)
    assert TEXT in text
    assert encoding == expected


# --- web pages ---------------------------------------------------------------------------------


async def test_article_page_gives_headline_and_main_text_only(
    db: Database, site: SourcesSite
) -> None:
    page = article_page(TYPHOON_TITLE, TYPHOON_BODY, charset_meta=None)
    site.put("/2023-07/27/content_1.html", page, "text/html; charset=utf-8")
    sources = service(db)
    await sources.add(site.url("/2023-07/27/content_1.html"), kind="html")
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new) == ("ok", 1)
    async with db.session() as session:
        [article] = await ArticleRepository(session).ingested_since(0)
    assert article.title == TYPHOON_TITLE
    assert article.paragraphs == list(TYPHOON_BODY)
    assert article.edition_date.isoformat() == "2023-07-27"


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
async def test_portal_article_page_loses_its_share_bar_qr_prompt_and_original_title(
    db: Database, site: SourcesSite, charset: str
) -> None:
    page = portal_page(TYPHOON_TITLE, TYPHOON_BODY, charset=charset)
    site.put("/news/2023-07/27/content_2.html", page.encode(charset), "text/html")
    sources = service(db)
    await sources.add(site.url("/news/2023-07/27/content_2.html"), kind="html")
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new) == ("ok", 1), result.error
    async with db.session() as session:
        [article] = await ArticleRepository(session).ingested_since(0)
    assert (article.title, article.edition_date.isoformat()) == (TYPHOON_TITLE, "2023-07-27")
    assert article.paragraphs == list(TYPHOON_BODY)


def test_a_logo_set_as_h1_is_not_the_headline() -> None:
    from bot.sources.pages import extract_article

    page = article_page(TYPHOON_TITLE, TYPHOON_BODY).replace(
        '<div class="top">', '<div class="top"><h1 class="logo"><a href="/">萧山网</a></h1>')
    article = extract_article(page, "http://127.0.0.1/2023-07/27/content_3.html")
    assert article is not None and article.title == TYPHOON_TITLE
    assert list(article.paragraphs) == list(TYPHOON_BODY)
    # The logo the only <h1> (the headline an <h2>): the <title> without the site's name.
    only_logo = page.replace(f"<h1>{TYPHOON_TITLE}</h1>", f"<h2>{TYPHOON_TITLE}</h2>")
    article = extract_article(only_logo, "http://127.0.0.1/2023-07/27/content_3.html")
    assert article is not None and article.title == TYPHOON_TITLE


def test_a_paragraph_that_starts_like_a_qr_prompt_is_kept() -> None:
    from bot.sources.pages import fragment_paragraphs

    long = "扫码预约的市民可在7月28日起到区行政服务中心一楼窗口领取防汛物资，每户限领一份。"
    assert fragment_paragraphs(f"<p>{long}</p><p>扫码关注萧山发布</p>") == (long,)


async def test_index_page_follows_same_host_links_one_level_only(
    db: Database, site: SourcesSite
) -> None:
    site.put("/news/a1.html", article_page(TYPHOON_TITLE, TYPHOON_BODY).encode("gbk")
             .replace(b'charset="utf-8"', b'charset="gbk"'), "text/html")
    site.put("/news/a2.html", article_page("区图书馆新馆开放", QUIET_BODY), "text/html")
    site.put("/news/deeper.html", article_page("不应被读到", QUIET_BODY), "text/html")
    index = f"""<html><head><meta charset="utf-8"><title>萧山日报数字报 第01版</title></head>
<body><h2>第01版：要闻</h2><ul>
<li><a href="/news/a1.html">{TYPHOON_TITLE}</a></li>
<li><a href="a2.html">区图书馆新馆开放</a></li>
<li><a href="{site.url('/news/off.html', host='localhost')}">外站链接：别家的新闻</a></li>
<li><a href="/news/a1.html#top">{TYPHOON_TITLE}</a></li></ul></body></html>"""
    site.put("/news/index.html", index, "text/html")
    site.put("/news/off.html", article_page("外站", QUIET_BODY), "text/html")
    sources = service(db)
    await sources.add(site.url("/news/index.html"))
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new) == ("ok", 2)
    assert sorted(await stored_titles(db)) == sorted([TYPHOON_TITLE, "区图书馆新馆开放"])
    assert site.hits["/news/off.html"] == 0 and site.hits["/news/deeper.html"] == 0
    site.put("/news/index.html", index + " ", "text/html")  # changed: polled again
    [again] = await sources.poll_all()
    assert (again.status, again.articles_new) == ("ok", 0)
    assert site.hits["/news/a1.html"] == 1  # known pages are not fetched again


# --- PDF pages ---------------------------------------------------------------------------------

PDF_COLUMNS = [
    [
        "根据《萧山区防汛防台抗旱应急预案》规定，区防指决定于7月27日20时启动防台风Ⅳ级应急响应。",
        "今年第5号台风“杜苏芮”正向我省靠近，预计将给我区带来强降雨和大风，各地要做好防御。",
    ],
    [
        "区防指要求各镇街、各部门立即进入应急状态，加强值班值守，做好山塘水库巡查和人员转移准备。",
        "气象部门提醒，台风影响期间请市民减少外出，远离河道、广告牌和危旧房屋，注意出行安全。",
    ],
    [
        "目前全区已转移危险区域群众一千二百余人，开放避灾安置点八十六个，储备物资全部到位。",
        "区防指将根据台风发展情况，及时调整应急响应级别，并通过各类渠道发布预警信息。",
    ],
]


@pytest.mark.parametrize("headline", [TYPHOON_TITLE, "2019年中国北京世界园艺博览会圆满闭幕"])
def test_pdf_page_text_reads_columns_in_order_with_the_headline_first(headline: str) -> None:
    from bot.ingest.pdf_pages import pdf_page_text

    text = pdf_page_text(make_pdf_page(headline, PDF_COLUMNS), "page.pdf")
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    assert blocks[0] == headline  # digits of proportional width stay in their line
    assert blocks[1:] == [p for column in PDF_COLUMNS for p in column]


@pytest.mark.parametrize(
    ("kicker", "subtitle"),
    [
        (None, "全区转移群众一千二百余人 开放避灾安置点八十六个"),  # two halves: read as a title
        ("今年第5号台风“杜苏芮”正向我省靠近", None),
        ("今年第5号台风“杜苏芮”正向我省靠近", "全区转移群众一千二百余人"),
    ],
)
def test_pdf_font_sizes_give_the_headline_levels(kicker: str | None, subtitle: str | None) -> None:
    """The 20 pt line is the title, a 14 pt line above it the kicker and one below it the
    subtitle — whatever their words suggest (a deck in two halves reads like a title under a
    kicker when only the text is seen)."""
    from datetime import date

    from bot.ingest.page_parser import parse_page
    from bot.ingest.pdf_pages import pdf_page_text

    data = make_pdf_page(TYPHOON_TITLE, PDF_COLUMNS, kicker=kicker, subheadline=subtitle)
    [article] = parse_page(pdf_page_text(data, "page.pdf"), date(2023, 7, 28)).articles
    assert (article.kicker, article.title, article.subtitle) == (kicker, TYPHOON_TITLE, subtitle)
    assert list(article.paragraphs) == [p for column in PDF_COLUMNS for p in column]
    # A page ear set as large as a kicker is left for the parser's furniture rules, unmarked.
    eared = make_pdf_page(TYPHOON_TITLE, PDF_COLUMNS, kicker="第01版：要闻",
                          subheadline=subtitle)
    text = pdf_page_text(eared, "page.pdf")
    assert text.startswith("第01版：要闻\n\n")
    [article] = parse_page(text, date(2023, 7, 28)).articles
    assert (article.kicker, article.title, article.subtitle) == (None, TYPHOON_TITLE, subtitle)


async def test_pdf_page_source_becomes_an_article_with_its_alert(
    db: Database, site: SourcesSite
) -> None:
    site.put("/epaper/2023-07-28/page01.pdf", make_pdf_page(TYPHOON_TITLE, PDF_COLUMNS),
             "application/pdf")
    sources = service(db)
    await sources.add(site.url("/epaper/2023-07-28/page01.pdf"))
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new, result.alerts_new) == ("ok", 1, 1), result.error
    async with db.session() as session:
        [article] = await ArticleRepository(session).ingested_since(0)
    assert article.title == TYPHOON_TITLE
    assert article.paragraphs == [p for column in PDF_COLUMNS for p in column]
    assert article.edition_date.isoformat() == "2023-07-28"


# --- the bad cases -----------------------------------------------------------------------------


async def test_bad_sources_fail_clearly_and_the_others_are_still_polled(
    db: Database, site: SourcesSite
) -> None:
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
    truncated = typhoon_feed(site)[:-60]
    site.put("/truncated.xml", truncated, "application/rss+xml")
    sources = service(db, timeout=0.5)
    for path in ("/never", "/huge", "/loop-a", "/truncated.xml", "/missing.xml", "/feed.xml"):
        await sources.add(site.url(path))
    results = {r.url.rsplit("/", 1)[1]: r for r in await sources.poll_all()}
    assert results["feed.xml"].status == "ok" and results["feed.xml"].articles_new == 2
    errors = {name: r.error for name, r in results.items() if r.status == "error"}
    assert set(errors) == {"never", "huge", "loop-a", "truncated.xml", "missing.xml"}
    assert "no complete answer within 0.5 s" in errors["never"]
    assert "over the 1 MB limit" in errors["huge"]
    assert "redirect loop" in errors["loop-a"] and "/loop-b" in errors["loop-a"]
    assert "not well-formed XML" in errors["truncated.xml"]
    assert "HTTP 404" in errors["missing.xml"]
    assert all("\n" not in e for e in errors.values() if e)
    assert site.huge_bytes_sent < 20 * 1024 * 1024  # the 60 MB body was not read to the end
    assert len(await stored_titles(db)) == 2  # nothing from the bad ones
    failing = {s.url.rsplit("/", 1)[1]: s for s in await sources.sources()}
    assert failing["never"].consecutive_failures == 1 and failing["never"].last_error


async def test_answers_that_are_no_feed_page_or_pdf_are_refused_by_their_content_type(
    db: Database, site: SourcesSite
) -> None:
    """An image, a JSON API or a zip is an error naming the URL and its type (a JSON API was an
    'ok' poll that stored nothing); a linked page that is an image is skipped, saying why; a
    page sent as text/plain or without a type is still read."""
    site.put("/photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "image/png")
    site.put("/api.json", json.dumps({"data": list(QUIET_BODY)}, ensure_ascii=False),
             "application/json")
    site.put("/news/photo.html", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40, "image/jpeg")
    site.put("/news/plain.html", article_page("区图书馆新馆开放", QUIET_BODY), "text/plain")
    site.put("/index.html", f"""<html><body><ul>
<li><a href="/news/photo.html">{TYPHOON_TITLE}</a></li>
<li><a href="/news/plain.html">区图书馆新馆开放</a></li></ul></body></html>""", "text/html")
    sources = service(db)
    for path in ("/photo.png", "/api.json", "/index.html"):
        await sources.add(site.url(path))
    results = {r.url.rsplit("/", 1)[1]: r for r in await sources.poll_all()}
    assert results["photo.png"].status == "error"
    assert results["photo.png"].error == (
        f"{site.url('/photo.png')}: not a feed, a web page or a PDF (image/png)")
    assert results["api.json"].status == "error"
    assert "not a feed, a web page or a PDF (application/json)" in (results["api.json"].error or "")
    index = results["index.html"]
    assert (index.status, index.articles_new) == ("ok", 1)
    assert index.skipped == [f"{site.url('/news/photo.html')}: not a web page (image/jpeg)"]
    assert await stored_titles(db) == ["区图书馆新馆开放"]
    again = {r.url.rsplit("/", 1)[1]: r for r in await sources.poll_all()}
    assert again["index.html"].status == "not_modified"  # an image stays one: not retried


async def test_truncated_feed_stores_nothing_even_items_before_the_cut(
    db: Database, site: SourcesSite
) -> None:
    whole = typhoon_feed(site)
    site.put("/truncated.xml", whole[: whole.index("区图书馆")], "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/truncated.xml"))
    [result] = await sources.poll_all()
    assert result.status == "error" and await stored_titles(db) == []


async def test_only_http_and_https_are_accepted(db: Database) -> None:
    sources = service(db)
    for url in ("file:///etc/passwd", "ftp://example.com/feed.xml", "javascript:alert(1)",
                "example.com/feed.xml"):
        with pytest.raises(UnsupportedSchemeError):
            await sources.add(url)
    with pytest.raises(SourceInputError):
        await sources.add("http://example.com/feed.xml", kind="gopher")
    with pytest.raises(SourceInputError):
        await sources.add("http://example.com/feed.xml", section="星座")
    await sources.add("http://example.com/feed.xml")
    with pytest.raises(SourceInputError):
        await sources.add("http://example.com/feed.xml")
    assert len(await sources.sources()) == 1


async def test_a_redirect_to_a_file_url_is_refused(site: SourcesSite) -> None:
    async with Fetcher(SystemClock(), timeout=1, host_delay=0) as fetcher:
        with pytest.raises(UnsupportedSchemeError, match="only http and https"):
            await fetcher.get(site.url("/to-file"))


@pytest.mark.parametrize(
    ("address", "public"),
    [("93.184.216.34", True), ("2606:2800:220:1::1", True), ("127.0.0.1", False),
     ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
     ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False),
     ("fe80::1%eth0", False), ("fd00::1", False), ("::ffff:127.0.0.1", False),
     ("224.0.0.1", False), ("localhost", False)],
)
def test_public_addresses(address: str, public: bool) -> None:
    from bot.sources.fetch import is_public_address

    assert is_public_address(address) is public


async def test_links_and_redirects_reach_a_non_public_address_only_at_the_sources_own_host(
    db: Database, site: SourcesSite
) -> None:
    """A feed's item links and redirects are the site's word, not the operator's: a link or a
    redirect to a loopback, private or link-local address (a cloud metadata service) is refused
    — its answer would become an article readers can read — while the operator's own URL may be
    on such an address (this loopback site; ``localhost`` resolved, not only IP literals)."""
    from bot.sources.fetch import NonPublicAddressError

    inside = site.url("/news/internal.html", host="localhost")  # another host: not the source's
    site.put("/news/internal.html", article_page("内部服务页面", QUIET_BODY), "text/html")
    site.put("/feed.xml", rss([{"title": "区图书馆新馆开放", "link": inside, "guid": "i-1",
                                "description": QUIET_BODY[0]}]), "application/rss+xml")
    metadata = "http://169.254.169.254/latest/meta-data/"
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    await sources.add(site.url(f"/redirect?to={metadata}"))
    await sources.add(site.url(f"/redirect?to={site.url('/feed.xml', host='localhost')}"))
    await sources.add(site.url("/news/internal.html", host="localhost"))  # the operator's own
    feed, to_metadata, to_localhost, own = await sources.poll_all()
    assert (feed.status, feed.articles_new) == ("ok", 1)
    assert feed.skipped == [f"{inside}: localhost resolves to a non-public address "
                            f"({site_host_address(feed.skipped[0])}); only the source's own "
                            "host may be one"]
    assert to_metadata.status == "error" and to_metadata.error == (
        f"{metadata}: 169.254.169.254 is a non-public address; only the source's own host may "
        "be one")
    assert to_localhost.status == "error" and "non-public address" in (to_localhost.error or "")
    assert (own.status, own.articles_new) == ("ok", 1), own.error
    assert site.hits["/news/internal.html"] == 1  # only as the operator's own source
    async with db.session() as session:
        by_title = {a.title: a for a in await ArticleRepository(session).ingested_since(0)}
    assert by_title["区图书馆新馆开放"].paragraphs == [QUIET_BODY[0]]  # its summary, not the page
    with pytest.raises(NonPublicAddressError):
        async with Fetcher(SystemClock(), timeout=1, host_delay=0) as fetcher:
            await fetcher.get(site.url("/news/internal.html", host="localhost"),
                              named=site.url("/feed.xml"))


def site_host_address(reason: str) -> str:
    return reason.split("(", 1)[1].split(")", 1)[0]


async def test_linked_pages_obey_robots_txt_but_the_operators_own_url_is_polled(
    db: Database, site: SourcesSite
) -> None:
    """An index page's links and a feed item's link are what a crawler fetches: the site's
    robots.txt decides (the group naming newsbrief over ``*``), read once and kept. The URL the
    operator named is polled as a feed reader polls a subscribed feed."""
    site.put("/robots.txt", "User-agent: *\nDisallow: /\n\n"
             "User-agent: newsbrief\nDisallow: /private/\n", "text/plain")
    site.put("/news/a1.html", article_page(TYPHOON_TITLE, TYPHOON_BODY), "text/html")
    site.put("/private/p1.html", article_page("不应被读到的页面", QUIET_BODY), "text/html")
    site.put("/news/index.html", f"""<html><body><ul>
<li><a href="/private/p1.html">不应被读到的页面</a></li>
<li><a href="/news/a1.html">{TYPHOON_TITLE}</a></li></ul></body></html>""", "text/html")
    site.put("/private/feed.xml", rss([{"title": "区图书馆新馆开放",
                                        "link": site.url("/private/p2.html"), "guid": "p-2",
                                        "description": QUIET_BODY[0]}]), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/news/index.html"))
    await sources.add(site.url("/private/feed.xml"))
    index, feed = await sources.poll_all()
    assert (index.status, index.articles_new) == ("ok", 1)
    assert index.skipped == [f"{site.url('/private/p1.html')}: disallowed by its site's robots.txt"]
    assert (feed.status, feed.articles_new) == ("ok", 1)  # its own URL: polled
    assert feed.skipped == [f"{site.url('/private/p2.html')}: disallowed by its site's robots.txt"]
    assert site.hits["/private/p1.html"] == site.hits["/private/p2.html"] == 0
    assert sorted(await stored_titles(db)) == sorted([TYPHOON_TITLE, "区图书馆新馆开放"])
    [again, _] = await sources.poll_all()  # a barred link is no work left for the next poll
    assert again.status == "not_modified"
    assert site.hits["/robots.txt"] == 1  # read once, kept


async def test_an_unreadable_robots_txt_holds_linked_pages_back_until_it_answers(
    db: Database, site: SourcesSite
) -> None:
    site.put("/robots.txt", "busy", "text/plain", status=503)
    links = [f'<li><a href="{path}">{title}</a></li>'
             for path, title in _numbered_pages(site, "/n", 3)]
    site.put("/news/index.html", f"<html><body><ul>{''.join(links)}</ul></body></html>",
             "text/html")
    sources = service(db)
    await sources.add(site.url("/news/index.html"))
    [first] = await sources.poll_all()
    assert (first.status, first.articles_new) == ("ok", 0)
    assert not any(path.startswith("/n/") for path in site.hits)
    assert len(first.skipped) == 3 and "robots.txt could not be read" in first.skipped[0]
    assert site.hits["/robots.txt"] == 1  # one try per poll, not one per link
    site.put("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    [second] = await sources.poll_all()  # the index is unchanged: no 304 hides the pages
    assert (second.status, second.articles_new) == ("ok", 3)


async def test_a_crawl_delay_lengthens_the_pause_between_requests_to_the_host(
    db: Database, site: SourcesSite
) -> None:
    site.put("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")
    links = [f'<li><a href="{path}">{title}</a></li>'
             for path, title in _numbered_pages(site, "/n", 3)]
    site.put("/n/index.html", f"<html><body><ul>{''.join(links)}</ul></body></html>", "text/html")
    sources = service(db, host_delay=0.0)
    await sources.add(site.url("/n/index.html"))
    [result] = await sources.poll_all()
    assert result.articles_new == 3
    pages = sorted((start, end) for path, start, end in site.arrivals if path.startswith("/n/")
                   and path != "/n/index.html")
    assert all(later[0] - earlier[1] >= 0.99 for earlier, later in itertools.pairwise(pages))


async def test_failures_back_off_exponentially_and_a_day_of_them_is_reported(
    db: Database, site: SourcesSite
) -> None:
    clock = ManualClock(datetime(2026, 7, 27, 0, 0, tzinfo=UTC))
    sources = service(db, clock=clock)
    await sources.add(site.url("/missing.xml"), every_minutes=10)
    delays = []
    for _ in range(4):
        await sources.poll_all()
        [info] = await sources.sources()
        delays.append(info.next_poll_at - clock.now())
        clock.advance(info.next_poll_at - clock.now())
    assert [round(d / timedelta(minutes=10)) for d in delays] != [1, 1, 1, 1]
    for earlier, later in itertools.pairwise(delays):
        assert later > earlier * 1.2  # doubling, give or take the jitter
    [info] = await sources.sources()
    assert info.consecutive_failures == 4 and not info.failing_long
    clock.advance(timedelta(days=1))
    await sources.poll_all()
    [info] = await sources.sources()
    assert info.failing_long and [s.id for s in await sources.failing()] == [info.id]
    site.put("/missing.xml", typhoon_feed(site), "application/rss+xml")
    await sources.poll_all()
    [info] = await sources.sources()
    assert (info.consecutive_failures, info.failing_since, info.last_status) == (0, None, "ok")


async def test_only_due_unpaused_sources_are_polled(db: Database, site: SourcesSite) -> None:
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
    clock = ManualClock(datetime(2026, 7, 27, 0, 0, tzinfo=UTC))
    sources = service(db, clock=clock)
    info = await sources.add(site.url("/feed.xml"), every_minutes=10)
    assert len(await sources.poll_due()) == 1
    assert await sources.poll_due() == []  # not due for ten minutes
    clock.advance(timedelta(minutes=10))
    await sources.set_paused(info.id, True)
    assert await sources.poll_due() == []
    await sources.set_paused(info.id, False)
    assert len(await sources.poll_due()) == 1


async def test_one_request_per_host_at_a_time_with_a_pause_and_a_named_user_agent(
    db: Database, site: SourcesSite
) -> None:
    for name in ("a", "b", "c"):
        site.put(f"/{name}.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db, host_delay=0.2)
    for name in ("a", "b", "c"):
        await sources.add(site.url(f"/{name}.xml"))
    await sources.poll_all()
    assert site.max_in_flight == 1
    spans = sorted((start, end) for _, start, end in site.arrivals)
    assert all(later[0] - earlier[1] >= 0.19
               for earlier, later in itertools.pairwise(spans))
    assert all(agent.startswith("newsbrief/") for agent in site.user_agents)


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_sources_add_list_poll_remove(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    from bot.cli import main

    site = SourcesSite()
    site.start_in_thread()
    try:
        site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
        db = ["--db", f"sqlite:///{tmp_path / 'cli.db'}"]
        assert main(["sources", "add", site.url("/feed.xml"), "--every", "5", "--section",
                     "应急", "--json", *db]) == 0
        added = json.loads(capsys.readouterr().out)
        assert set(added) >= {"id", "url", "kind", "every_minutes", "paper", "section",
                              "paused", "last_status", "consecutive_failures", "next_poll_at"}
        assert main(["sources", "add", site.url("/missing.xml"), "--json", *db]) == 0
        capsys.readouterr()
        assert main(["sources", "poll", "--json", *db]) == 0
        polled = json.loads(capsys.readouterr().out)
        assert [(p["status"], p["articles_new"], p["alerts_new"]) for p in polled] == [
            ("ok", 2, 1), ("error", 0, 0)]
        assert set(polled[0]) >= {"id", "url", "status", "articles_new", "articles_duplicate",
                                  "alerts_new", "error"}
        assert "HTTP 404" in polled[1]["error"]
        assert main(["show", "1", "--json", *db]) == 0  # `--section` is the source's word
        shown = json.loads(capsys.readouterr().out)
        assert (shown["section"], shown["section_source"]) == ("应急", "source")
        assert main(["sources", "list", "--json", *db]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [s["last_status"] for s in listed] == ["ok", "error"]
        assert main(["sources", "remove", str(added["id"]), "--json", *db]) == 0
        assert json.loads(capsys.readouterr().out) == {"id": added["id"], "removed": True}
        assert main(["sources", "remove", "999", *db]) == 1
        assert "no source with id 999" in capsys.readouterr().err
    finally:
        site.stop_thread()


def test_cli_sources_poll_json_reports_each_bad_case_and_still_polls_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The bad cases through the CLI contract: exit 0, one object per source, a one-line
    ``error`` for each bad one, the good one stored, nothing from the bad ones. (The server that
    never answers is the service test's: the CLI's timeout is 20 s.)"""
    from bot.cli import main

    site = SourcesSite()
    site.start_in_thread()
    try:
        site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
        site.put("/truncated.xml", typhoon_feed(site)[:-60], "application/rss+xml")
        db = ["--db", f"sqlite:///{tmp_path / 'bad.db'}"]
        for path in ("/huge", "/loop-a", "/truncated.xml", "/feed.xml"):
            assert main(["sources", "add", site.url(path), *db]) == 0
        capsys.readouterr()
        assert main(["sources", "poll", "--json", *db]) == 0
        polled = {p["url"].rsplit("/", 1)[1]: p for p in json.loads(capsys.readouterr().out)}
        assert (polled["feed.xml"]["status"], polled["feed.xml"]["articles_new"]) == ("ok", 2)
        errors = {name: p["error"] for name, p in polled.items() if p["status"] == "error"}
        assert set(errors) == {"huge", "loop-a", "truncated.xml"}
        assert "over the 20 MB limit" in errors["huge"]
        assert "redirect loop" in errors["loop-a"]
        assert "not well-formed XML" in errors["truncated.xml"]
        assert all("\n" not in e for e in errors.values())
        assert all(p["articles_new"] == 0 for n, p in polled.items() if n in errors)
        assert main(["search", "图书馆", "--json", *db]) == 0
        assert json.loads(capsys.readouterr().out)["total"] == 1
    finally:
        site.stop_thread()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x.xml"])
def test_cli_refuses_other_schemes_with_exit_2_and_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str
) -> None:
    from bot.cli import main

    code = main(["sources", "add", url, "--db", f"sqlite:///{tmp_path / 'c.db'}"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "only http and https" in err
    with pytest.raises(SystemExit) as usage:
        main(["sources", "add", "http://example.com/", "--every", "soon"])
    assert usage.value.code == 2


# --- PDF pages through ingest, the drop folder and uploads -------------------------------------


def test_ingest_cli_reads_a_pdf_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from bot.cli import main

    page = tmp_path / "xsrb-2023-07-28-01.pdf"
    page.write_bytes(make_pdf_page(TYPHOON_TITLE, PDF_COLUMNS))
    assert main(["ingest", str(page), "--json", "--db", f"sqlite:///{tmp_path / 'p.db'}"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["articles_new"], report["alerts_new"]) == (1, 1)
    assert report["articles"][0]["title"] == TYPHOON_TITLE
    broken = tmp_path / "xsrb-2023-07-29-01.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)
    assert main(["ingest", str(broken), "--db", f"sqlite:///{tmp_path / 'p.db'}"]) == 2
    assert "PDF" in capsys.readouterr().err


async def test_pdf_pages_in_the_drop_folder_and_as_uploads(db: Database, tmp_path: Path) -> None:
    from bot.ingest.inbox import Inbox
    from bot.ingest.service import IngestService
    from bot.ingest.uploads import UploadService, check_upload

    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    (inbox_dir / "xsrb-2023-07-28-01.pdf").write_bytes(make_pdf_page(TYPHOON_TITLE, PDF_COLUMNS))
    [outcome] = await Inbox(inbox_dir, IngestService(db, Settings()),
                            settle_seconds=0).process_once()
    assert outcome.ok and outcome.report is not None and outcome.report.articles_new == 1
    assert check_upload("page.pdf", 3 * 1024 * 1024) == "page.pdf"
    summary = await UploadService(db, Settings()).ingest_upload(
        "page.pdf", make_pdf_page("区图书馆新馆开放", [list(QUIET_BODY)]), "2023-07-29")
    assert summary.articles_new == 1 and summary.new_titles == ["区图书馆新馆开放"]


async def test_status_and_the_sources_list_report_a_day_of_failures(
    db: Database, site: SourcesSite
) -> None:
    from bot.render.i18n import Translator
    from bot.render.sources import parse_source_action, render_sources
    from bot.sources.service import SourceInfo

    clock = ManualClock(datetime.now(UTC) - timedelta(days=2))
    sources = service(db, clock=clock)
    await sources.add(site.url("/missing.xml"))
    await sources.poll_all()
    clock.set(datetime.now(UTC))
    await sources.poll_all()
    [info] = await sources.sources()
    assert info.failing_long
    part = render_sources([info], Translator("zh-Hans"), Settings().timezone)
    assert "一直失败" in part.html and "HTTP 404" in part.html
    assert [[b.text for b in row] for row in part.keyboard] == [[f"⏸ {info.id}",
                                                                f"✖ {info.id}"]]
    press = parse_source_action(part.keyboard[0][1].callback_data)
    assert (press.action, press.source_id) == ("remove", info.id)
    paused = SourceInfo(**{**info.__dict__, "paused": True})
    english = render_sources([paused], Translator("en"), Settings().timezone)
    assert "paused" in english.html and english.keyboard[0][0].text == f"▶ {info.id}"


def test_a_long_sources_list_is_several_messages_each_within_telegrams_limit() -> None:
    """A dozen failing sources with long URLs and errors outgrew one message (4096 characters),
    so /sources failed; now each message holds at most ten, within the limit, and a press knows
    which sources its message lists."""
    from bot.render.html_text import plain_text
    from bot.render.i18n import Translator
    from bot.render.sources import (
        MAX_SOURCES_PER_MESSAGE,
        render_source_messages,
        source_ids_in,
    )
    from bot.sources.service import SourceInfo

    now = datetime.now(UTC)
    failing = [
        SourceInfo(id=n, url=f"https://epaper.example.com.cn/html/2023-07/31/node_{n}_{'x' * 90}",
                   kind="html", every_minutes=15, paper=None, section=None, paused=False,
                   last_status="error", last_error="https://epaper.example.com.cn/" + "y" * 200,
                   last_polled_at=now, consecutive_failures=9, failing_since=now - timedelta(2),
                   next_poll_at=now, failing_long=True)
        for n in range(1, 26)
    ]
    for locale in ("zh-Hans", "zh-Hant", "en"):
        parts = render_source_messages(failing, Translator(locale), Settings().timezone)
        assert len(parts) >= 3
        assert all(len(plain_text(part.html)) <= 4096 for part in parts)
        shown = [source_ids_in(b.callback_data for row in part.keyboard for b in row)
                 for part in parts]
        assert all(len(ids) <= MAX_SOURCES_PER_MESSAGE for ids in shown)
        assert sorted(i for ids in shown for i in ids) == list(range(1, 26))
        assert all("25" in part.html.split("\n", 1)[0] for part in parts)  # the total


def test_cli_status_lists_sources_failing_for_a_day(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import asyncio

    from bot.cli import main

    url = f"sqlite:///{tmp_path / 's.db'}"

    async def failing_since_two_days() -> None:
        database = Database(url)
        try:
            await database.upgrade()
            clock = ManualClock(datetime.now(UTC) - timedelta(days=2))
            sources = SourceService(database, Settings(), clock)
            await sources.add("http://127.0.0.1:9/feed.xml")
            await sources.poll_all()  # nothing listens on port 9
        finally:
            await database.dispose()

    asyncio.run(failing_since_two_days())
    assert main(["status", "--json", "--db", url]) == 0
    [failing] = json.loads(capsys.readouterr().out)["sources_failing"]
    assert failing["url"] == "http://127.0.0.1:9/feed.xml" and failing["last_error"]


async def test_summary_item_whose_page_fails_keeps_its_summary_and_says_why(
    db: Database, site: SourcesSite
) -> None:
    feed = rss([{"title": "区图书馆新馆开放", "link": site.url("/news/gone.html"), "guid": "g-1",
                 "description": QUIET_BODY[0]}])
    site.put("/feed.xml", feed, "application/rss+xml")
    site.put("/bad.json", "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [",
             "application/feed+json")
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    await sources.add(site.url("/bad.json"), kind="feed")
    ok, bad = await sources.poll_all()
    assert (ok.status, ok.articles_new) == ("ok", 1)
    assert len(ok.skipped) == 1 and "HTTP 404" in ok.skipped[0]
    async with db.session() as session:
        [article] = await ArticleRepository(session).ingested_since(0)
    assert article.paragraphs == [QUIET_BODY[0]]
    assert bad.status == "error" and "not valid JSON" in (bad.error or "")


async def test_an_index_page_follows_a_bounded_number_of_links_per_poll(
    db: Database, site: SourcesSite
) -> None:
    from bot.sources.service import MAX_LINKS_PER_POLL

    links = [f'<li><a href="{path}">{title}</a></li>'
             for path, title in _numbered_pages(site, "/n", MAX_LINKS_PER_POLL + 5)]
    site.put("/n/index.html", f"<html><body><ul>{''.join(links)}</ul></body></html>", "text/html")
    sources = service(db)
    await sources.add(site.url("/n/index.html"))
    [first] = await sources.poll_all()
    assert first.articles_new == MAX_LINKS_PER_POLL
    # The index has not changed, yet the next poll is not answered by a 304 that would leave the
    # rest unread until it does: links left over keep the validators from being stored.
    [second] = await sources.poll_all()
    assert (second.status, second.articles_new) == ("ok", 5)  # the rest, on the next poll
    assert len(await stored_titles(db)) == MAX_LINKS_PER_POLL + 5
    [third] = await sources.poll_all()  # nothing left over: conditional again
    assert third.status == "not_modified"


async def test_an_index_page_menu_does_not_use_up_the_links_of_a_poll(
    db: Database, site: SourcesSite
) -> None:
    """A section front opens with dozens of menu links (首页, 新闻, 体育…) before its list: only
    links carrying a headline (or a dated URL) are followed, and never files that are not pages."""
    from bot.sources.service import MAX_LINKS_PER_POLL

    menu = " | ".join(f'<a href="/c/{n}/">栏目{n}</a>' for n in range(MAX_LINKS_PER_POLL + 10))
    for n in range(MAX_LINKS_PER_POLL + 10):
        site.put(f"/c/{n}/", f"<html><body>{menu}</body></html>", "text/html")
    site.put("/news/a1.html", article_page(TYPHOON_TITLE, TYPHOON_BODY), "text/html")
    site.put("/2023-07/28/b.html", article_page("区图书馆新馆开放", QUIET_BODY), "text/html")
    site.put("/epaper/01.pdf", make_pdf_page(TYPHOON_TITLE, PDF_COLUMNS), "application/pdf")
    site.put("/n/index.html", f"""<html><body><div class="nav">{menu}</div><ul>
<li><a href="/news/a1.html">{TYPHOON_TITLE}</a></li>
<li><a href="/2023-07/28/b.html">详情</a></li>
<li><a href="/epaper/01.pdf">第01版PDF版面下载</a></li></ul></body></html>""", "text/html")
    sources = service(db)
    await sources.add(site.url("/n/index.html"))
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new) == ("ok", 2)
    assert sorted(await stored_titles(db)) == sorted([TYPHOON_TITLE, "区图书馆新馆开放"])
    assert not any(path.startswith("/c/") for path in site.hits)
    assert site.hits["/epaper/01.pdf"] == 0


async def test_an_index_link_that_failed_is_tried_again_at_the_next_poll(
    db: Database, site: SourcesSite
) -> None:
    site.put("/news/index.html", f"""<html><body><ul>
<li><a href="/news/a1.html">{TYPHOON_TITLE}</a></li>
<li><a href="/news/a2.html">区图书馆新馆开放</a></li></ul></body></html>""", "text/html")
    site.put("/news/a1.html", article_page(TYPHOON_TITLE, TYPHOON_BODY), "text/html")
    sources = service(db)
    await sources.add(site.url("/news/index.html"))
    [first] = await sources.poll_all()  # a2 is not there yet (404)
    assert (first.articles_new, len(first.skipped)) == (1, 1)
    site.put("/news/a2.html", article_page("区图书馆新馆开放", QUIET_BODY), "text/html")
    [second] = await sources.poll_all()  # the index is unchanged
    assert (second.status, second.articles_new, second.skipped) == ("ok", 1, [])
    assert site.hits["/news/a1.html"] == 1
    assert sorted(await stored_titles(db)) == sorted([TYPHOON_TITLE, "区图书馆新馆开放"])


async def test_summary_only_items_over_the_bound_wait_for_the_next_poll_for_their_page(
    db: Database, site: SourcesSite
) -> None:
    """Not stored for good with only their summary: their pages are read at the next poll."""
    from bot.sources.service import MAX_LINKS_PER_POLL

    items = [{"title": title, "link": site.url(path), "guid": f"s-{number}",
              "description": "新馆今天开放。"}
             for number, (path, title) in enumerate(
                 _numbered_pages(site, "/s", MAX_LINKS_PER_POLL + 3))]
    site.put("/feed.xml", rss(items), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    [first] = await sources.poll_all()
    assert first.articles_new == MAX_LINKS_PER_POLL
    [second] = await sources.poll_all()  # the feed is unchanged
    assert (second.status, second.articles_new) == ("ok", 3)
    async with db.session() as session:
        articles = await ArticleRepository(session).ingested_since(0)
    assert len(articles) == MAX_LINKS_PER_POLL + 3
    assert all(len(a.paragraphs) == len(QUIET_BODY) for a in articles)  # never the summary
    [third] = await sources.poll_all()
    assert third.status == "not_modified"


def test_pdf_reader_keeps_stacked_stories_wrapped_headlines_and_spaced_datelines() -> None:
    from datetime import date

    from bot.ingest.pdf_pages import pdf_page_text
    from tests.quality.page_parser_eval import CorpusPage
    from tests.quality.pdf_reader_eval import render_pdf

    long_title = "区防指启动防台风Ⅳ级应急响应并要求各镇街各部门立即进入应急状态加强值班值守"
    first = ["本报讯  （记者 张明）" + TYPHOON_BODY[0], *TYPHOON_BODY[1:]] * 2
    second = [*QUIET_BODY, *QUIET_BODY]
    text = (f"{long_title}\n\n" + "\n".join(f"\u3000\u3000{p}" for p in first)
            + "\n\n区图书馆新馆开放\n\n" + "\n".join(f"\u3000\u3000{p}" for p in second))
    read = pdf_page_text(render_pdf(CorpusPage(date(2023, 7, 28), 1, text, ())), "stacked.pdf")
    blocks = [b.strip() for b in read.split("\n\n") if b.strip()]
    assert blocks[0] == long_title  # wrapped over two lines, joined again
    assert blocks[1:7] == first  # the dateline's two spaces kept; column by column
    assert blocks[7] == "区图书馆新馆开放"  # the story below starts after the one above
    assert "".join(blocks[8:]) == "".join(second)  # its paragraphs, cut only at column ends


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0"?><rss version="0.91"><channel><title>萧山网</title>'
        '<item><title>区图书馆新馆开放</title><link>http://x/1</link>'
        "<description>新馆今天开放。</description></item></channel></rss>",
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://x/"><title>萧山网</title>'
        '</channel><item rdf:about="http://x/1"><title>区图书馆新馆开放</title>'
        "<link>http://x/1</link><description>新馆今天开放。</description></item></rdf:RDF>",
    ],
)
def test_rss_091_and_rss_10_feeds_are_read(document: str) -> None:
    from bot.sources.feeds import looks_like_feed, parse_feed

    assert looks_like_feed(None, document)
    [item] = parse_feed(document)
    assert (item.title, item.link, item.summary_html) == ("区图书馆新馆开放", "http://x/1",
                                                          "新馆今天开放。")


async def test_a_storage_failure_in_one_source_leaves_the_others_polled(
    db: Database, site: SourcesSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.put("/a.xml", typhoon_feed(site), "application/rss+xml")
    site.put("/b.xml", rss([{"title": "区图书馆新馆开放", "link": site.url("/l.html"),
                              "guid": "l-1", "content": f"<p>{QUIET_BODY[0]}</p>"}]),
             "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/a.xml"))
    await sources.add(site.url("/b.xml"))
    real_store = sources.ingest.store_in

    async def store_in(session, item, rows):  # type: ignore[no-untyped-def]
        if "a.xml" in item.source.name:
            raise RuntimeError("the database went away")
        return await real_store(session, item, rows)

    monkeypatch.setattr(sources.ingest, "store_in", store_in)
    results = {r.url.rsplit("/", 1)[1]: r for r in await sources.poll_all()}
    assert results["a.xml"].status == "error" and "RuntimeError" in (results["a.xml"].error or "")
    assert (results["b.xml"].status, results["b.xml"].articles_new) == ("ok", 1)


async def test_a_poll_is_one_transaction_so_a_failure_leaves_nothing_half_recorded(
    db: Database, site: SourcesSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles, their alerts and the item keys commit together: if recording the keys fails,
    no article stays behind unrecorded (and the next poll stores it exactly once)."""
    site.put("/a.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/a.xml"))

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the connection dropped")

    monkeypatch.setattr(SourceRepository, "record_item", broken)
    [failed] = await sources.poll_all()
    assert failed.status == "error"
    async with db.session() as session:
        assert await ArticleRepository(session).ingested_since(0) == []
    monkeypatch.undo()
    [result] = await sources.poll_all()
    assert (result.status, result.articles_new, result.articles_duplicate) == ("ok", 2, 0)
    assert sorted(await stored_titles(db)) == sorted([TYPHOON_TITLE, "区图书馆新馆开放"])


async def test_a_poll_that_read_its_source_writes_exactly_one_transaction(
    db: Database, site: SourcesSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles, item keys, validators and health together: one ``Database.write`` for a poll
    with new items, and one for a poll with none."""
    site.put("/a.xml", typhoon_feed(site), "application/rss+xml", etag=False)
    sources = service(db)
    await sources.add(site.url("/a.xml"))
    writes = 0
    real_write = db.write

    async def counted(work):  # type: ignore[no-untyped-def]
        nonlocal writes
        writes += 1
        return await real_write(work)

    monkeypatch.setattr(db, "write", counted)
    [stored] = await sources.poll_all()
    assert (stored.status, stored.articles_new, writes) == ("ok", 2, 1)
    [again] = await sources.poll_all()  # no validators: read again, nothing new
    assert (again.status, again.articles_duplicate, writes) == ("ok", 2, 2)
    [info] = await sources.sources()
    assert (info.last_status, info.consecutive_failures) == ("ok", 0)


async def test_a_source_whose_status_cannot_be_recorded_does_not_lose_the_others(
    db: Database, site: SourcesSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed poll's status is written on its own; when even that write fails, the pass still
    returns every source's result and the good source's poll stays committed."""
    site.put("/b.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/missing.xml"))
    await sources.add(site.url("/b.xml"))

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sources, "_record_health", broken)
    results = {r.url.rsplit("/", 1)[1]: r for r in await sources.poll_all()}
    assert results["missing.xml"].status == "error"
    assert (results["b.xml"].status, results["b.xml"].articles_new) == ("ok", 2)
    listed = {s.url.rsplit("/", 1)[1]: s for s in await sources.sources()}
    assert listed["b.xml"].last_status == "ok"  # in the poll's own transaction
    assert listed["missing.xml"].last_status is None  # not recorded: still due



async def test_the_bot_job_polls_due_sources_and_queues_watch_notices_for_what_they_brought(
    db: Database, site: SourcesSite
) -> None:
    """``newsbrief run``'s JobQueue pass: due sources polled, then the same pushes as any ingest
    (a keyword watch here; the alert notice is the e2e test's) — and nothing twice."""
    from bot.app.jobs import SourceJob
    from bot.pushes.service import PushService
    from bot.render.callback_data import CallbackCodec
    from bot.subscriptions.settings import ChatIdentity, SubscriptionService
    from bot.subscriptions.watches import WatchService
    from tests.conftest import deliveries_for_chat

    clock = SystemClock()
    await SubscriptionService(db, clock).settings(ChatIdentity(1))
    await WatchService(db, clock).add(1, "图书馆")
    site.put("/feed.xml", typhoon_feed(site), "application/rss+xml")
    sources = service(db)
    await sources.add(site.url("/feed.xml"))
    job = SourceJob(sources, PushService(db, CallbackCodec("t"), clock, Settings()), interval=60)
    await job.run_pass()
    assert [(r.status, r.articles_new) for r in job.last_results] == [("ok", 2)]
    async with db.session() as session:
        [notice] = await deliveries_for_chat(session, 1)
    assert notice.kind == "watch" and "区图书馆新馆开放" in notice.parts[0]["text"]
    await job.run_pass()  # not due again yet
    assert job.last_results == []
    async with db.session() as session:
        assert len(await deliveries_for_chat(session, 1)) == 1
