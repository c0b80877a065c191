"""A loopback web site for source tests, the e2e test and the timeliness benchmark.

It serves what a test puts in it (feeds, GBK and UTF-8 article pages wrapped in real-looking
boilerplate, an index page, a generated PDF) with ETag / Last-Modified support, and the bad cases
as fixed routes: ``/never`` (no answer), ``/huge`` (a 60 MB body, streamed), ``/loop-a`` ⇄
``/loop-b`` (a redirect loop), ``/redirect?to=URL`` (a redirect anywhere). It counts hits, bytes
sent, and requests in flight per path.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate

from aiohttp import web

HUGE_BYTES = 60 * 1024 * 1024


@dataclass
class Resource:
    body: bytes
    content_type: str
    etag: bool = True
    last_modified: str | None = None
    status: int = 200


@dataclass
class SourcesSite:
    resources: dict[str, Resource] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    user_agents: list[str] = field(default_factory=list)
    arrivals: list[tuple[str, float, float]] = field(default_factory=list)  # path, start, end
    in_flight: int = 0
    max_in_flight: int = 0
    huge_bytes_sent: int = 0
    port: int = 0
    _runner: web.AppRunner | None = None
    _never: asyncio.Event | None = None
    _thread_loop: asyncio.AbstractEventLoop | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def put(self, path: str, body: bytes | str, content_type: str, *, etag: bool = True,
            last_modified: str | None = None, status: int = 200) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.resources[path] = Resource(data, content_type, etag, last_modified, status)

    # --- serving ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._never = asyncio.Event()
        app = web.Application()
        app.router.add_get("/never", self._never_answers)
        app.router.add_get("/huge", self._huge)
        for path, target in (("/loop-a", "/loop-b"), ("/loop-b", "/loop-a"),
                             ("/to-file", "file:///etc/passwd")):
            app.router.add_get(path, self._redirect_to(target))
        app.router.add_get("/redirect", self._redirect_to_query)
        app.router.add_get("/{tail:.*}", self._resource)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._never is not None:
            self._never.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def start_in_thread(self) -> None:
        """For code that runs its own event loop (the CLI, the bot as a process)."""
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._thread_loop = loop
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)

    def stop_thread(self) -> None:
        if self._thread_loop is not None:
            self._thread_loop.call_soon_threadsafe(self._thread_loop.stop)

    async def _track(self, request: web.Request) -> float:
        self.hits[request.path] += 1
        self.user_agents.append(request.headers.get("User-Agent", ""))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return time.monotonic()

    def _done(self, path: str, started: float) -> None:
        self.in_flight -= 1
        self.arrivals.append((path, started, time.monotonic()))

    async def _resource(self, request: web.Request) -> web.StreamResponse:
        started = await self._track(request)
        try:
            resource = self.resources.get(request.path)
            if resource is None:
                raise web.HTTPNotFound()
            if resource.status != 200:
                return web.Response(status=resource.status, body=resource.body)
            headers = {"Content-Type": resource.content_type}
            if resource.etag:
                tag = '"' + hashlib.sha256(resource.body).hexdigest()[:16] + '"'
                headers["ETag"] = tag
                if request.headers.get("If-None-Match") == tag:
                    return web.Response(status=304, headers={"ETag": tag})
            if resource.last_modified:
                headers["Last-Modified"] = resource.last_modified
                if request.headers.get("If-Modified-Since") == resource.last_modified:
                    return web.Response(status=304)
            return web.Response(body=resource.body, headers=headers)
        finally:
            self._done(request.path, started)

    async def _never_answers(self, request: web.Request) -> web.Response:
        started = await self._track(request)
        try:
            assert self._never is not None
            await self._never.wait()
            return web.Response(text="too late")
        finally:
            self._done(request.path, started)

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        started = await self._track(request)
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        try:
            await response.prepare(request)
            chunk = b"<!-- padding -->" * 4096
            while self.huge_bytes_sent < HUGE_BYTES:
                await response.write(chunk)
                self.huge_bytes_sent += len(chunk)
            return response
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        finally:
            self._done(request.path, started)

    def _redirect_to(self, target: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def redirect(request: web.Request) -> web.Response:
            self.hits[request.path] += 1
            raise web.HTTPFound(target)

        return redirect

    async def _redirect_to_query(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        raise web.HTTPFound(request.query["to"])


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


# --- content ---------------------------------------------------------------------------------

TYPHOON_TITLE = "区防指启动防台风Ⅳ级应急响应"
TYPHOON_BODY = (
    "根据《萧山区防汛防台抗旱应急预案》规定，区防指决定于7月27日20时启动防台风Ⅳ级应急响应。",
    "今年第5号台风“杜苏芮”正向我省靠近，预计将给我区带来强降雨和大风。",
    "区防指要求各镇街、各部门立即进入应急状态，加强值班值守，做好人员转移准备。",
)


def rss(items: list[dict[str, str]], *, encoding: str = "utf-8", declare: bool = True) -> str:
    """An RSS 2.0 document; each item has title, link, guid, and content or description."""
    parts = []
    for item in items:
        content = (f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>"
                   if "content" in item else "")
        description = (f"<description><![CDATA[{item['description']}]]></description>"
                       if "description" in item else "")
        parts.append(
            f"<item><title>{item['title']}</title><link>{item['link']}</link>"
            f"<guid isPermaLink=\"false\">{item['guid']}</guid>"
            f"<pubDate>{item.get('date', 'Thu, 27 Jul 2023 12:30:00 +0000')}</pubDate>"
            f"{description}{content}</item>"
        )
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declare else ""
    return (
        f'{head}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>萧山网</title><link>http://127.0.0.1/</link>"
        f"<description>萧山新闻</description>{''.join(parts)}</channel></rss>"
    )


def html_paragraphs(paragraphs: tuple[str, ...] | list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def article_page(title: str, paragraphs: tuple[str, ...] | list[str], *,
                 charset_meta: str | None = "utf-8", date: str = "2023-07-27") -> str:
    """An article page as Chinese news sites make them: navigation, the article, an editor line,
    a 相关新闻 list, a copyright footer."""
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return f"""<!DOCTYPE html><html><head>{meta}
<title>{title}_萧山日报_萧山网</title>
<meta name="keywords" content="萧山,新闻"></head><body>
<div class="top"><a href="/">首页</a> | <a href="/news/">新闻</a> | <a href="/epaper/">数字报</a>
 | <a href="/sports/">体育</a> | <a href="/life/">生活</a></div>
<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/news/">萧山新闻</a></div>
<div class="main"><div class="article">
<h1>{title}</h1>
<div class="info"><span>{date} 08:30</span> <span>来源：萧山日报</span></div>
<div class="content">{html_paragraphs(paragraphs)}
<p>责任编辑：张三</p></div></div>
<div class="related"><h3>相关新闻</h3><ul>
<li><a href="/news/1.html">萧山开展防汛防台应急演练</a></li>
<li><a href="/news/2.html">台风天出行安全提示</a></li>
<li><a href="/news/3.html">全区部署防台风工作</a></li></ul></div></div>
<div class="footer"><p>版权所有 &copy; 萧山网 未经授权禁止转载</p>
<p>浙ICP备12345678号</p></div></body></html>"""


def make_pdf_page(headline: str, columns: list[list[str]], *,
                  subheadline: str | None = None, kicker: str | None = None) -> bytes:
    """A newspaper page as a PDF: a 20 pt headline across the page over three columns of 10 pt
    body text (paragraphs indented two characters), in the CID font STSong-Light; a 14 pt
    kicker above the headline and a 14 pt subheadline below it when given."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(595, 842))
    if kicker:
        page.setFont(font, 14)
        page.drawString(40, 812, kicker)
    page.setFont(font, 20)
    page.drawString(40, 790, headline)
    top = 760
    if subheadline:
        page.setFont(font, 14)
        page.drawString(40, 765, subheadline)
        top = 740
    size, width, left, gap = 10, 165, 40, 15
    per_line = width // size
    for index, paragraphs in enumerate(columns):
        x = left + index * (width + gap)
        y = top
        page.setFont(font, size)
        for paragraph in paragraphs:
            text = "\u3000\u3000" + paragraph
            first = True
            while text:
                line, text = text[:per_line], text[per_line:]
                if first:
                    line = line.lstrip("\u3000")
                    page.drawString(x + 2 * size, y, line)
                    first = False
                else:
                    page.drawString(x, y, line)
                y -= size * 1.5
    page.save()
    return buffer.getvalue()


def portal_page(title: str, paragraphs: tuple[str, ...] | list[str], *,
                charset: str = "utf-8") -> str:
    """An article page as a news portal makes them: breadcrumbs, a font-size and print bar,
    share buttons, a QR-code prompt and the original title under the text, an 【编辑】 line,
    previous/next links, a 热点推荐 box, a licence and ICP footer."""
    return f"""<!DOCTYPE html><html><head><meta charset="{charset}">
<title>{title}-萧山网</title></head><body>
<div class="header"><a href="/">萧山网</a> <a href="/news/">新闻</a> <a href="/zw/">政务</a>
<a href="/ms/">民生</a></div>
<div class="position">您当前的位置 ： <a href="/">萧山网</a> &gt;&gt;
<a href="/news/">新闻中心</a> &gt;&gt; 正文</div>
<div class="article"><h1>{title}</h1>
<div class="info">2023-07-27 21:05:33 来源：萧山网 作者：李四 【字号 <a>大</a> <a>中</a>
<a>小</a>】 <a href="javascript:window.print()">打印本页</a></div>
<div class="share">分享到：<a>微信</a> <a>微博</a> <a>QQ空间</a></div>
<div id="content">{html_paragraphs(paragraphs)}
<p><img src="/qr.png"/>扫一扫，关注萧山发布微信公众号</p>
<p>（原标题：{title[:6]}）</p>
<p>【编辑：王五】</p></div>
<div class="pages"><a href="/news/1.html">上一篇：萧山开展防汛防台应急演练</a><br>
<a href="/news/2.html">下一篇：台风天出行安全提示</a></div></div>
<div class="hot"><h3>热点推荐</h3><ul><li><a href="/n/1.html">湘湖景区迎来暑期游客高峰</a></li>
<li><a href="/n/2.html">萧山机场新增航线</a></li></ul></div>
<div class="footer"><p>萧山网版权所有，未经书面授权禁止使用</p>
<p>Copyright &copy; 2003-2023 www.xsnet.cn All Rights Reserved</p>
<p>互联网新闻信息服务许可证：33120170005 浙ICP备05056488号</p>
<p>举报电话：0571-12345678</p></div></body></html>"""

