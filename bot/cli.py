"""The operator CLI (``newsbrief`` / ``python -m bot``); its ``--json`` shapes are a contract.

Exit status: 0 success; 1 an operation failed; 2 usage error or unusable input. JSON goes to
stdout; logs, progress and error messages to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.alerts.state import AlertQueryService
from bot.clock import SystemClock
from bot.config import Settings, SettingsError, raw_settings
from bot.delivery.status import DeliveryStatusService
from bot.ingest.page_parser import PageParseError, ParsedArticle, explain_page, parse_page
from bot.ingest.preview import preview_article
from bot.ingest.service import IngestOptions, IngestReport, IngestService
from bot.ingest.source_files import (
    MAX_PAGE_BYTES,
    UnusableInputError,
    edition_date_from_name,
    page_number_from_name,
    parse_date,
    read_source_text,
)
from bot.progress import TerminalProgress
from bot.search.browse import BrowseService, article_to_dict
from bot.search.query import QueryError
from bot.search.service import SearchPage, SearchService, optimize_index, reindex
from bot.search.tokens import index_entries
from bot.sources.fetch import UnsupportedSchemeError
from bot.sources.service import DEFAULT_EVERY_MINUTES, SourceInputError, SourceService
from bot.sources.service import KINDS as SOURCE_KINDS
from bot.text import segmentation
from bot.text.section_choice import page_ear_section, parse_page_map, section_pages_setting
from bot.text.section_labels import write_labels
from bot.text.sections import resolve_section_name
from bot.version import package_version
from storage.database import Database, DatabaseUnavailableError, DatabaseURLError

if TYPE_CHECKING:
    from bot.app.application import WebhookOptions

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
SAMPLE_PAGE = "xsrb-2023-07-31-01.txt"
PREVIEW_SECRET = "preview"  # button signatures when no bot token is configured

logger = logging.getLogger("newsbrief")


class UsageError(ValueError):
    """A command-line mistake the parser cannot see (a bad date, an unknown section)."""


@dataclass
class Context:
    args: argparse.Namespace
    settings: Settings
    out: TextIO

    def database(self) -> Database:
        """The command's database; a URL naming no SQLite file is refused (a usage error)."""
        return Database(self.args.db or self.settings.database_url, require_file=True)

    def emit_json(self, value: Any) -> None:
        json.dump(value, self.out, ensure_ascii=False)
        self.out.write("\n")
        self.out.flush()


# Most commands are coroutines run with asyncio.run; ``run`` is plain: PTB's run loop owns
# its event loop.
Command = Callable[[Context], Awaitable[int] | int]


def _date_arg(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _section_arg(text: str) -> str:
    section = resolve_section_name(text)
    if section is None:
        raise argparse.ArgumentTypeError(
            f"unknown section {text!r} (one of 时政 经济 社会 科教 文体 应急)"
        )
    return section


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _minutes_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 minutes")
    return value


# --- commands ---------------------------------------------------------------------------------


async def cmd_ingest(ctx: Context) -> int:
    args = ctx.args
    options = IngestOptions(
        edition=args.date, paper=args.paper, page=args.page, section=args.section,
        format=args.format,
    )
    db = ctx.database()
    try:
        await db.upgrade()
        progress = TerminalProgress("ingest")
        try:
            report = await IngestService(db, ctx.settings).ingest(
                [Path(p) for p in args.paths], options, progress
            )
        finally:
            progress.close()
    finally:
        await db.dispose()
    if args.json:
        ctx.emit_json(report.to_dict())
    else:
        _print_ingest_report(report, ctx.out)
    return EXIT_OK


def _print_ingest_report(report: IngestReport, out: TextIO) -> None:
    for article in report.articles:
        mark = "=" if article.duplicate else "+"
        out.write(f"{mark} [{article.id}] {article.section}  {article.title}\n")
    out.write(
        f"{report.files} file(s): {report.articles_new} new, "
        f"{report.articles_duplicate} already stored, {report.alerts_new} new alert(s)\n"
    )


async def cmd_parse(ctx: Context) -> int:
    path = Path(ctx.args.path)
    source = read_source_text(path, max_bytes=MAX_PAGE_BYTES)
    if ctx.args.explain:
        return _explain_parse(ctx, source.name, source.text)
    edition = ctx.args.date or edition_date_from_name(source.name)
    if edition is None:
        raise UnusableInputError(
            source.name, "no edition date: give --date YYYY-MM-DD or put it in the file name"
        )
    try:
        page = parse_page(source.text, edition)
    except PageParseError as exc:
        raise UnusableInputError(source.name, str(exc)) from exc
    payload = {"date": edition.isoformat(), "articles": [a.to_dict() for a in page.articles]}
    previews = _parse_previews(
        ctx, page.articles, edition, page.paper, page_ear_section(source.text),
        page_number_from_name(source.name),
    )
    for entry, preview in zip(payload["articles"], previews, strict=True):
        entry.update(preview)  # section and alerts: what ingest would file and push
    if ctx.args.json:
        ctx.emit_json(payload)
    else:
        for article in page.articles:
            ctx.out.write(f"[{article.kind}] {article.title}\n")
            if article.byline:
                ctx.out.write(f"    {article.byline}\n")
            ctx.out.write(f"    {len(article.paragraphs)} paragraph(s)\n")
        for article, preview in zip(page.articles, previews, strict=True):
            for alert in preview["alerts"]:
                ctx.out.write(f"[alert] {article.title}: {alert['authority']} {alert['action']} "
                              f"{alert['hazard']} {alert['kind']} {alert['level'] or ''}\n")
    return EXIT_OK


def _explain_parse(ctx: Context, name: str, text: str) -> int:
    """Each non-empty input line with the label the parser gave it (no edition date needed)."""
    try:
        explained = explain_page(text)
    except PageParseError as exc:
        raise UnusableInputError(name, str(exc)) from exc
    if ctx.args.json:
        ctx.emit_json(
            {"lines": [{"line": e.number, "label": e.label, "text": e.text} for e in explained]}
        )
        return EXIT_OK
    for entry in explained:
        ctx.out.write(f"{entry.number:>5}  {entry.label:<12}  {entry.text}\n")
    return EXIT_OK


def _parse_previews(
    ctx: Context, articles: Sequence[ParsedArticle], edition: date, paper: str | None,
    page_ear: str | None = None, page: int | None = None,
) -> list[dict[str, Any]]:
    """Per article: the section ingest would file it under and the alert events it reports."""
    settings = ctx.settings
    home = paper is None or paper == settings.paper
    return [
        preview_article(article, edition, home_region=settings.home_region if home else None,
                        tz=settings.timezone, page_ear=page_ear, page=page,
                        page_map=parse_page_map(settings.section_pages))
        for article in articles
    ]


async def cmd_show(ctx: Context) -> int:
    db = ctx.database()
    try:
        await db.upgrade()
        article = await BrowseService(db).article(ctx.args.id)
    finally:
        await db.dispose()
    if article is None:
        sys.stderr.write(f"newsbrief: no article with id {ctx.args.id}\n")
        return EXIT_FAILED
    data = article_to_dict(article)
    if ctx.args.json:
        ctx.emit_json(data)
        return EXIT_OK
    out = ctx.out
    out.write(f"#{data['id']}  {data['paper']} {data['date']} 第{data['page'] or '?'}版  "
              f"[{data['section']}] ({data['kind']})\n")
    for key in ("kicker", "title", "subtitle", "byline"):
        if data[key]:
            out.write(f"{data[key]}\n")
    out.write("\n")
    for paragraph in data["paragraphs"]:
        out.write(f"{paragraph}\n\n")
    return EXIT_OK


async def cmd_search(ctx: Context) -> int:
    args = ctx.args
    if (args.query is None) == (args.batch is None):
        raise UsageError("give a QUERY or --batch FILE (one query a line; - for stdin)")
    db = ctx.database()
    try:
        await db.upgrade()
        segmentation.load()  # a one-off cost of the process, not of the search took_ms reports
        service = SearchService(db)
        if args.batch is None:
            page = await service.search(
                args.query, limit=args.limit, section=args.section, since=args.since
            )
            if args.json:
                ctx.emit_json(page.to_dict())
            else:
                _print_search_page(page, ctx.out)
            return EXIT_OK
        stream = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        try:
            for line in stream:
                query = line.rstrip("\n")
                if not query.strip():
                    continue
                try:
                    page = await service.search(
                        query, limit=args.limit, section=args.section, since=args.since
                    )
                    ctx.emit_json(page.to_dict())
                except QueryError as exc:
                    ctx.emit_json({"query": query, "error": str(exc), "total": 0, "results": []})
        finally:
            if stream is not sys.stdin:
                stream.close()
    finally:
        await db.dispose()
    return EXIT_OK


def _print_search_page(page: SearchPage, out: TextIO) -> None:
    total = f"{page.total}" if page.total_exact else f"{page.total}+"
    out.write(f"{total} result(s) for {page.query!r} in {page.took_ms:.1f} ms\n")
    for hit in page.results:
        out.write(f"[{hit.id}] {hit.date.isoformat()} {hit.section}  {hit.title}\n")
        out.write(f"    {_marked(hit.snippet, hit.snippet_marks)}\n")


def _marked(text: str, marks: Sequence[tuple[int, int]]) -> str:
    pieces, last = [], 0
    for start, end in marks:
        pieces.extend([text[last:start], "【", text[start:end], "】"])
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


async def cmd_reindex(ctx: Context) -> int:
    db = ctx.database()
    try:
        await db.upgrade()
        started = time.perf_counter()
        count = await reindex(db)
        took = time.perf_counter() - started
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json({"articles": count, "took_ms": round(took * 1000, 1)})
    else:
        ctx.out.write(f"reindexed {count} article(s) in {took:.1f} s\n")
    return EXIT_OK


async def cmd_section_set(ctx: Context) -> int:
    """File an article under another section; the correction is kept through re-ingest."""
    db = ctx.database()
    try:
        await db.upgrade()
        article = await BrowseService(db).set_section(ctx.args.id, ctx.args.name)
    finally:
        await db.dispose()
    if article is None:
        sys.stderr.write(f"newsbrief: no article with id {ctx.args.id}\n")
        return EXIT_FAILED
    if ctx.args.json:
        ctx.emit_json({"id": article.id, "section": article.section,
                       "section_source": article.section_source})
    else:
        ctx.out.write(f"[{article.id}] {article.section}  {article.title}\n")
    return EXIT_OK


async def cmd_sections(ctx: Context) -> int:
    if ctx.args.action == "export-labels":
        return await _export_section_labels(ctx)
    db = ctx.database()
    try:
        await db.upgrade()
        counts = await BrowseService(db).section_counts()
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json([c.to_dict() for c in counts])
    else:
        for count in counts:
            ctx.out.write(f"{count.name}  {count.count}\n")
    return EXIT_OK


async def _export_section_labels(ctx: Context) -> int:
    """`sections export-labels FILE`: operator corrections as JSON lines for training."""
    if not ctx.args.file:
        raise UsageError("sections export-labels needs a FILE to write")
    db = ctx.database()
    try:
        await db.upgrade()
        labels = await BrowseService(db).section_labels()
    finally:
        await db.dispose()
    write_labels(Path(ctx.args.file), labels)
    if ctx.args.json:
        ctx.emit_json({"file": str(ctx.args.file), "labels": len(labels)})
    else:
        ctx.out.write(f"wrote {len(labels)} label(s) to {ctx.args.file}\n")
    return EXIT_OK


async def cmd_section(ctx: Context) -> int:
    db = ctx.database()
    try:
        await db.upgrade()
        page = await BrowseService(db).section(ctx.args.name, limit=ctx.args.limit)
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json(page.to_dict())
    else:
        ctx.out.write(f"{page.section}: {page.total} article(s), newest first\n")
        for item in page.results:
            ctx.out.write(f"[{item.id}] {item.date.isoformat()}  {item.title}\n")
    return EXIT_OK


async def cmd_alerts(ctx: Context) -> int:
    db = ctx.database()
    try:
        await db.upgrade()
        events = await AlertQueryService(
            db, ctx.settings.timezone, stale_after=ctx.settings.alert_stale_after
        ).events(
            include_ended=ctx.args.all, limit=ctx.args.limit
        )
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json(events)
        return EXIT_OK
    if not events:
        ctx.out.write("no alert events" + ("" if ctx.args.all else " in force") + "\n")
    for event in events:
        storm = event["storm"]
        storm_text = (
            f" {storm['year']}年{storm['number'] or ''}号{storm['name'] or ''}" if storm else ""
        )
        status = "in force" if event["in_force"] else "not in force"
        ctx.out.write(
            f"[{event['id']}] {event['effective_at']}  {event['authority']} {event['action']} "
            f"{event['hazard']} {event['kind']} {event['level'] or ''}{storm_text}\n"
            f"    {event['summary']}\n"
            f"    {status}; {len(event['reports'])} report(s), last {event['last_reported_at']}"
            f" (article {event['reports'][-1]})\n"
        )
    return EXIT_OK


async def cmd_digest(ctx: Context) -> int:
    """``digest --preview``: the digest messages each chat would be sent, exactly as sent."""
    from bot.pushes.digests import DigestOptions, DigestScheduler
    from bot.render.callback_data import CallbackCodec

    args = ctx.args
    if not args.preview:
        raise UsageError("digests are sent by `newsbrief run`; use --preview to see them")
    db = ctx.database()
    try:
        await db.upgrade()
        scheduler = DigestScheduler(
            db, CallbackCodec(ctx.settings.telegram_bot_token or PREVIEW_SECRET),
            paper=ctx.settings.paper, options=DigestOptions.from_settings(ctx.settings),
        )
        previews = await scheduler.preview(
            [args.chat] if args.chat is not None else None, args.date
        )
    finally:
        await db.dispose()
    if args.chat is not None and not previews:
        return _fail(EXIT_FAILED, f"no chat with id {args.chat}")
    if args.json:
        ctx.emit_json([preview.to_dict() for preview in previews])
        return EXIT_OK
    if not previews:
        ctx.out.write("no subscribed chat would get a digest (readers subscribe with /subscribe)\n")
    for preview in previews:
        queued = ", already queued" if preview.queued else ""
        ctx.out.write(f"=== chat {preview.chat_id} · {preview.local_date.isoformat()} · "
                      f"{len(preview.parts)} message(s){queued} ===\n")
        for part in preview.parts:
            ctx.out.write(part.html + "\n")
            for row in part.keyboard:
                ctx.out.write(" ".join(f"[{button.text}]" for button in row) + "\n")
            ctx.out.write("\n")
    return EXIT_OK


async def cmd_status(ctx: Context) -> int:
    """The delivery engine at a glance: queue depth, the last hour, inactive chats, last error."""
    db = ctx.database()
    try:
        await db.upgrade()
        status = await DeliveryStatusService(db).status()
        failing = await _source_service(ctx, db).failing()
    finally:
        await db.dispose()
    data = status.to_dict()
    # Sources failing for a day or more (issue: a stalled feed must not go unnoticed).
    data["sources_failing"] = [
        {"id": s.id, "url": s.url, "failing_since": s.failing_since.isoformat()
         if s.failing_since else None, "last_error": s.last_error} for s in failing
    ]
    if ctx.args.json:
        ctx.emit_json(data)
        return EXIT_OK
    out = ctx.out
    out.write(f"queued: {data['queued_total']}\n")
    for kind, by_status in data["queue"].items():
        out.write(f"  {kind}: {by_status['pending']} pending, {by_status['claimed']} in flight\n")
    out.write(
        f"last hour: {data['sent_last_hour']} sent, {data['failed_last_hour']} failed, "
        f"{data['cancelled_last_hour']} cancelled\ninactive chats: {data['inactive_chats']}\n"
    )
    for source in data["sources_failing"]:
        out.write(f"source {source['id']} failing since {source['failing_since']}: "
                  f"{source['url']}: {source['last_error']}\n")
    if data["last_error"]:
        error = data["last_error"]
        out.write(f"last error: {error['at']} chat {error['chat_id']} {error['kind']} "
                  f"{error['ref']}: {error['error']}\n")
    return EXIT_OK


def _source_service(ctx: Context, db: Database) -> SourceService:
    return SourceService(db, ctx.settings, SystemClock())


async def cmd_sources_add(ctx: Context) -> int:
    """``sources add URL``: a feed, web page or PDF page the bot polls by itself."""
    args = ctx.args
    db = ctx.database()
    try:
        await db.upgrade()
        try:
            info = await _source_service(ctx, db).add(
                args.url, kind=args.kind, every_minutes=args.every, paper=args.paper,
                section=args.section,
            )
        except (SourceInputError, UnsupportedSchemeError) as exc:
            raise UsageError(str(exc)) from exc
    finally:
        await db.dispose()
    if args.json:
        ctx.emit_json(info.to_dict())
    else:
        ctx.out.write(f"source {info.id}: {info.url} ({info.kind}, every "
                      f"{info.every_minutes:g} min); `newsbrief sources poll` polls it now\n")
    return EXIT_OK


async def cmd_sources_list(ctx: Context) -> int:
    db = ctx.database()
    try:
        await db.upgrade()
        sources = await _source_service(ctx, db).sources()
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json([s.to_dict() for s in sources])
        return EXIT_OK
    if not sources:
        ctx.out.write("no sources (add one with `newsbrief sources add URL`)\n")
    for source in sources:
        state = "paused" if source.paused else (source.last_status or "never polled")
        if source.failing_long:
            state += f", FAILING since {source.failing_since:%Y-%m-%d %H:%M}"
        ctx.out.write(f"[{source.id}] {source.url}  {source.kind}, every "
                      f"{source.every_minutes:g} min, {state}\n")
        if source.last_error:
            ctx.out.write(f"    {source.last_error}\n")
    return EXIT_OK


async def cmd_sources_remove(ctx: Context) -> int:
    db = ctx.database()
    try:
        await db.upgrade()
        removed = await _source_service(ctx, db).remove(ctx.args.id)
    finally:
        await db.dispose()
    if not removed:
        return _fail(EXIT_FAILED, f"no source with id {ctx.args.id}")
    if ctx.args.json:
        ctx.emit_json({"id": ctx.args.id, "removed": True})
    else:
        ctx.out.write(f"source {ctx.args.id} removed (its articles stay)\n")
    return EXIT_OK


async def cmd_sources_poll(ctx: Context) -> int:
    """Poll every unpaused source once, now; a failing source is reported, not fatal."""
    db = ctx.database()
    try:
        await db.upgrade()
        results = await _source_service(ctx, db).poll_all()
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json([r.to_dict() for r in results])
        return EXIT_OK
    if not results:
        ctx.out.write("no sources to poll\n")
    for r in results:
        line = (f"[{r.id}] {r.url}: {r.status}, {r.articles_new} new, "
                f"{r.articles_duplicate} duplicate, {r.articles_updated} updated, "
                f"{r.alerts_new} alert(s)")
        ctx.out.write(line + (f"\n    {r.error}" if r.error else "") + "\n")
    return EXIT_OK


async def cmd_db_upgrade(ctx: Context) -> int:
    db = ctx.database()
    try:
        before = await db.migration_state()
        await db.upgrade()
        after = await db.migration_state()
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json({"database": db.safe_url, "from": before.current, "to": after.current,
                       "head": after.head, "upgraded": before.current != after.current})
        return EXIT_OK
    if before.current == after.current:
        ctx.out.write(f"database {db.safe_url} is up to date ({after.current})\n")
    else:
        ctx.out.write(f"database {db.safe_url} upgraded from {before.current or 'empty'} "
                      f"to {after.current}\n")
    return EXIT_OK


async def cmd_db_optimize(ctx: Context) -> int:
    """``db optimize``: compact the search index after a big load (an archive ingested, a
    ``db copy``): on SQLite its FTS5 segments merged into one per table, on PostgreSQL
    ``VACUUM ANALYZE``. Searches keep running meanwhile; another write on SQLite waits for one
    merge step (``storage.search_index.OPTIMIZE_STEP_PAGES``), not for the whole merge."""
    db = ctx.database()
    try:
        await db.upgrade()
        started = time.perf_counter()
        before, after = await optimize_index(db)
        took = time.perf_counter() - started
    finally:
        await db.dispose()
    if ctx.args.json:
        ctx.emit_json({"database": db.safe_url, "segments_before": before,
                       "segments_after": after, "took_ms": round(took * 1000, 1)})
    elif before is None:
        ctx.out.write(f"search index vacuumed and analyzed in {took:.1f} s\n")
    else:
        ctx.out.write(f"search index merged from {before} segments into {after} in "
                      f"{took:.1f} s\n")
    return EXIT_OK


async def cmd_db_copy(ctx: Context) -> int:
    """``db copy --to URL``: the whole store into another database (SQLite to PostgreSQL when
    outgrowing one machine), verified, with the search index rebuilt there. Both databases are
    locked like a running bot's, so it refuses while a bot runs on either."""
    from storage.instance_lock import InstanceLock, InstanceLockedError
    from storage.store_copy import SameDatabaseError, StoreCopyError, copy_store, same_database

    args = ctx.args
    source = ctx.database()
    target = Database(args.to, require_file=True)
    try:
        if same_database(source, target):
            raise UsageError(f"--to names the database being copied ({source.safe_url})")
        await source.upgrade()
        await target.upgrade()
        segmentation.load()
        progress = TerminalProgress("copy")
        try:
            async with await InstanceLock.acquire(source), await InstanceLock.acquire(target):
                report = await copy_store(
                    source, target, index_entries, replace=args.replace,
                    batch_size=args.batch_size, progress=progress,
                )
        except SameDatabaseError as exc:
            raise UsageError(str(exc)) from exc
        except (StoreCopyError, InstanceLockedError) as exc:
            return _fail(EXIT_FAILED, str(exc))
        finally:
            progress.close()
    finally:
        await source.dispose()
        await target.dispose()
    if args.json:
        ctx.emit_json(report.to_dict())
        return EXIT_OK
    tables = ", ".join(f"{name} {count}" for name, count in report.tables.items())
    ctx.out.write(
        f"copied {report.rows} row(s) from {report.source} to {report.target} in "
        f"{report.took_s:.1f} s, counts verified{' (target replaced)' if report.replaced else ''}"
        f"\n  {tables}\n  search index rebuilt for {report.indexed} article(s)\n"
    )
    return EXIT_OK


def _refuse_json(ctx: Context) -> None:
    """``run`` and ``chat`` talk, they print no result: ``--json`` there is a usage error."""
    if ctx.args.json:
        raise UsageError(f"`newsbrief {ctx.args.command}` prints no JSON; drop --json "
                         "(for machine-readable state use `newsbrief status --json` or "
                         "`newsbrief doctor --json`)")


async def cmd_doctor(ctx: Context) -> int:
    """Is this installation ready to run the bot? Each check: ok / problem / how to fix."""
    from bot.app.doctor import CHECK_NAMES, Doctor, DoctorOptions, database_url

    args = ctx.args
    raw = raw_settings()
    db: Database | None = None
    db_error: str | None = None
    if args.db:
        db = Database(args.db, require_file=True)  # a bad --db is a usage error, as everywhere
    else:
        try:
            db = Database(database_url(raw, None), require_file=True)
        except DatabaseUnavailableError as exc:
            db_error = str(exc)
    try:
        options = DoctorOptions(running=args.running, only=args.only)
        report = await Doctor(raw, db, db_error=db_error, options=options).run()
    finally:
        if db is not None:
            await db.dispose()
    if args.json:
        ctx.emit_json(report.to_dict())
    else:
        out = ctx.out
        out.write(f"newsbrief {report.version}\n")
        width = max(len(name) for name in CHECK_NAMES)
        for check in report.checks:
            mark = {"ok": "ok", "problem": "PROBLEM", "skipped": "SKIPPED"}[check.status]
            out.write(f"{mark:8} {check.name:{width}}  {check.detail}\n")
            if check.fix:
                out.write(f"{'':8} {'':{width}}  fix: {check.fix}\n")
        problems = sum(not check.ok for check in report.checks)
        out.write("all checks passed\n" if report.ok else f"{problems} check(s) failed\n")
    return EXIT_OK if report.ok else EXIT_FAILED


async def _load_sample(ctx: Context) -> tuple[Database, IngestReport]:
    db = ctx.database()
    sample = resources.files("bot") / "samples" / SAMPLE_PAGE
    try:
        await db.upgrade()
        with resources.as_file(sample) as path:
            report = await IngestService(db, ctx.settings).ingest([path])
    finally:
        await db.dispose()
    return db, report


def cmd_quickstart(ctx: Context) -> int:
    """Load the bundled sample page and show what was found (the README's first command)."""
    db, report = asyncio.run(_load_sample(ctx))
    if ctx.args.json:  # machine-readable: what was loaded, then stop (no bot, no chat)
        ctx.emit_json({"database": db.safe_url, "sample": SAMPLE_PAGE, **report.to_dict()})
        return EXIT_OK
    out = ctx.out
    out.write(f"newsbrief: loaded the sample page {SAMPLE_PAGE} into {db.safe_url}\n\n")
    _print_ingest_report(report, out)
    if ctx.settings.telegram_bot_token:
        out.write("\nTELEGRAM_BOT_TOKEN is set: starting the bot — open it in Telegram and send "
                  "/start (Ctrl-C stops it).\n")
        out.flush()
        return _run_bot(ctx, webhook=None)
    if ctx.args.chat and sys.stdin.isatty():
        out.write("\nNo TELEGRAM_BOT_TOKEN, so here is the bot in this terminal (newsbrief chat): "
                  "try /today, /search 台风 or just 经开; #N presses button N; /quit ends.\n\n")
        out.flush()
        return asyncio.run(cmd_chat(ctx))
    out.write(
        "\nTry next:\n"
        "  newsbrief chat                 # talk to the bot here, no Telegram needed\n"
        "  TELEGRAM_BOT_TOKEN=… newsbrief run   # the real bot (token from @BotFather)\n"
        "  newsbrief search 台风          # full-recall Chinese search (also 颱風, 经开, 特新)\n"
        "  newsbrief sections             # articles per section\n"
        "  newsbrief ingest PAGE.txt      # load a page of your own (date from the file name)\n"
    )
    return EXIT_OK


def cmd_run(ctx: Context) -> int:
    """The Telegram bot (long polling, or behind a webhook) until SIGTERM/SIGINT."""
    from bot.app.application import WebhookOptions

    _refuse_json(ctx)
    args = ctx.args
    webhook = WebhookOptions(args.webhook_url, args.listen, args.port) if args.webhook_url else None
    return _run_bot(ctx, webhook=webhook)


def _run_bot(ctx: Context, webhook: WebhookOptions | None) -> int:
    # Imported here: commands that never talk to Telegram don't pay for importing it.
    from telegram.error import InvalidToken, NetworkError

    from bot.app.application import MissingTokenError, run_bot
    from bot.ingest.inbox import InboxFolderError
    from storage.instance_lock import InstanceLockedError

    try:
        run_bot(ctx.settings, ctx.database(), webhook=webhook)
    except MissingTokenError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except (InstanceLockedError, InboxFolderError) as exc:
        return _fail(EXIT_FAILED, str(exc))
    except InvalidToken as exc:
        return _fail(EXIT_FAILED, f"Telegram refused TELEGRAM_BOT_TOKEN ({exc}); check it with "
                     "@BotFather")
    except NetworkError as exc:
        return _fail(EXIT_FAILED, f"cannot reach the Telegram Bot API: {exc}")
    return EXIT_OK


async def cmd_chat(ctx: Context) -> int:
    """The same bot in this terminal, without Telegram (see bot.app.local_chat)."""
    from bot.app.local_chat import run_chat

    _refuse_json(ctx)
    await run_chat(ctx.settings, ctx.database(), language_code=ctx.args.lang, out=ctx.out)
    return EXIT_OK


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="SQLAlchemy URL (env NEWSBRIEF_DATABASE_URL; "
                        "default sqlite:///newsbrief.db)")
    common.add_argument("--json", action="store_true", help="print JSON on stdout")

    parser = argparse.ArgumentParser(
        prog="newsbrief",
        description="Chinese local-newspaper briefings: load pages, search, run the Telegram bot.",
    )
    parser.add_argument("--version", action="version", version=f"newsbrief {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("quickstart", parents=[common], help="load the bundled sample page, show "
                       "what was found, then start the bot (with a token) or the terminal chat")
    p.add_argument("--no-chat", dest="chat", action="store_false",
                   help="without a token, stop after loading instead of opening newsbrief chat")
    p.add_argument("--lang", default="zh-hans", metavar="CODE",
                   help="the chat's reader language (zh-hans, zh-hant, zh-tw, zh-hk, en)")
    p.set_defaults(handler=cmd_quickstart)

    p = sub.add_parser("ingest", parents=[common], help="load pages (.txt), article lists "
                       "(.jsonl) or folders of them")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--date", type=_date_arg, help="edition date YYYY-MM-DD (else from file name)")
    p.add_argument("--paper", help="newspaper name (env NEWSBRIEF_PAPER)")
    p.add_argument("--page", type=_positive_int, help="page number")
    p.add_argument("--section", type=_section_arg, help="file every article under this section")
    p.add_argument("--format", choices=("auto", "page", "jsonl"), default="auto")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("parse", parents=[common], help="parse a page without storing it")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--date", type=_date_arg, help="edition date YYYY-MM-DD (else from file name)")
    p.add_argument("--explain", action="store_true",
                   help="print each input line with the label it got (title, body, ear, ...)")
    p.set_defaults(handler=cmd_parse)

    p = sub.add_parser("show", parents=[common], help="one article with all its fields")
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("search", parents=[common], help="search the archive (simplified or "
                       "traditional)")
    p.add_argument("query", nargs="?", metavar="QUERY")
    p.add_argument("--batch", metavar="FILE", help="one query a line (- for stdin); JSON lines")
    p.add_argument("--limit", type=_positive_int, default=10)
    p.add_argument("--section", type=_section_arg)
    p.add_argument("--since", type=_date_arg, metavar="YYYY-MM-DD")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("reindex", parents=[common], help="rebuild the search index from articles")
    p.set_defaults(handler=cmd_reindex)

    p = sub.add_parser("sections", parents=[common], help="articles per section; "
                       "`sections export-labels FILE` writes operator corrections "
                       "as training lines")
    p.add_argument("action", nargs="?", choices=["export-labels"])
    p.add_argument("file", nargs="?", metavar="FILE")
    p.set_defaults(handler=cmd_sections)

    p = sub.add_parser("section-set", parents=[common],
                       help="file an article under another section (kept through re-ingest)")
    p.add_argument("id", type=int, metavar="ARTICLE_ID")
    p.add_argument("name", type=_section_arg, metavar="SECTION")
    p.set_defaults(handler=cmd_section_set)

    p = sub.add_parser("section", parents=[common], help="a section's newest articles")
    p.add_argument("name", type=_section_arg, metavar="NAME")
    p.add_argument("--limit", type=_positive_int, default=10)
    p.set_defaults(handler=cmd_section)

    p = sub.add_parser("alerts", parents=[common], help="detected alert events, newest first")
    p.add_argument("--all", action="store_true",
                   help="every event, not only those in force (ended, superseded, stale)")
    p.add_argument("--limit", type=_positive_int, default=100)
    p.set_defaults(handler=cmd_alerts)

    p = sub.add_parser("run", parents=[common], help="run the Telegram bot (long polling, or "
                       "--webhook-url)")
    p.add_argument("--webhook-url", metavar="URL", help="public HTTPS URL Telegram posts to")
    p.add_argument("--listen", default="127.0.0.1", help="address the webhook server binds")
    p.add_argument("--port", type=_positive_int, default=8443, help="port the webhook server binds")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("chat", parents=[common], help="talk to the bot in this terminal, "
                       "without Telegram")
    p.add_argument("--lang", default="zh-hans", metavar="CODE",
                   help="the reader's Telegram language_code (zh-hans, zh-hant, zh-tw, zh-hk, en)")
    p.set_defaults(handler=cmd_chat)

    p = sub.add_parser("status", parents=[common], help="delivery queue, last hour's sends and "
                       "failures, inactive chats, last error")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("digest", parents=[common], help="the daily digest: --preview prints the "
                       "messages each subscribed chat would be sent")
    p.add_argument("--preview", action="store_true", help="print, send nothing")
    p.add_argument("--chat", type=int, metavar="ID", help="only this chat")
    p.add_argument("--date", type=_date_arg, metavar="YYYY-MM-DD",
                   help="the digest's local date (default: each chat's today)")
    p.set_defaults(handler=cmd_digest)

    p = sub.add_parser("sources", help="feeds, web pages and PDF pages the bot polls by itself")
    sources_sub = p.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    p = sources_sub.add_parser("add", parents=[common], help="poll this URL on a schedule")
    p.add_argument("url", metavar="URL")
    p.add_argument("--kind", choices=SOURCE_KINDS, default="auto",
                   help="feed (RSS/Atom/JSON Feed), html (article or index page), pdf; "
                   "auto sniffs")
    p.add_argument("--every", type=_minutes_arg, default=DEFAULT_EVERY_MINUTES, metavar="MINUTES",
                   help="poll interval in minutes (default 15)")
    p.add_argument("--paper", help="newspaper name for its articles (env NEWSBRIEF_PAPER)")
    p.add_argument("--section", type=_section_arg, help="file its articles under this section")
    p.set_defaults(handler=cmd_sources_add)
    p = sources_sub.add_parser("list", parents=[common], help="sources with their last status")
    p.set_defaults(handler=cmd_sources_list)
    p = sources_sub.add_parser("remove", parents=[common], help="stop polling a source")
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(handler=cmd_sources_remove)
    p = sources_sub.add_parser("poll", parents=[common], help="poll every source once now")
    p.set_defaults(handler=cmd_sources_poll)

    p = sub.add_parser("db", help="database maintenance")
    db_sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = db_sub.add_parser("upgrade", parents=[common], help="apply pending schema migrations")
    p.set_defaults(handler=cmd_db_upgrade)
    p = db_sub.add_parser("optimize", parents=[common], help="compact the search index after "
                          "a big load (faster searches; minutes at a million articles)")
    p.set_defaults(handler=cmd_db_optimize)
    p = db_sub.add_parser("copy", parents=[common], help="copy the whole store (--db) into "
                          "another database, e.g. SQLite to PostgreSQL; stop the bot first")
    p.add_argument("--to", required=True, metavar="URL",
                   help="target database URL (postgresql://user:pass@host/db or sqlite:///FILE);"
                   " migrated here, must be empty unless --replace")
    p.add_argument("--replace", action="store_true",
                   help="delete everything the target holds first (default: refuse)")
    p.add_argument("--batch-size", type=_positive_int, default=1000, metavar="ROWS",
                   help="rows read and written at a time (memory use; default 1000)")
    p.set_defaults(handler=cmd_db_copy)

    p = sub.add_parser("doctor", parents=[common], help="check this installation: token, "
                       "database and migrations, instance lock, inbox, settings, search index, "
                       "sources")
    p.add_argument("--running", action="store_true", help="health probe of a live bot: the "
                   "instance lock must be held (by the bot) instead of free")
    p.add_argument("--only", type=_check_names, metavar="NAME[,NAME]",
                   help="run only these checks (and what they need)")
    p.set_defaults(handler=cmd_doctor, reads_settings_itself=True)
    return parser


def _check_names(text: str) -> frozenset[str]:
    from bot.app.doctor import CHECK_NAMES

    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(names - set(CHECK_NAMES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown check(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(CHECK_NAMES)}"
        )
    return names


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        section_pages_setting(settings.section_pages)  # a setting bot.config cannot read
    except SettingsError as exc:
        if not getattr(args, "reads_settings_itself", False):
            return _fail(EXIT_USAGE, str(exc))
        settings = Settings()  # doctor reports each bad setting itself
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("jieba").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "running upgrade" on every command
    ctx = Context(args=args, settings=settings, out=out or sys.stdout)
    try:
        result = args.handler(ctx)
        return asyncio.run(result) if inspect.isawaitable(result) else result
    except (UnusableInputError, UsageError, QueryError, DatabaseURLError) as exc:
        return _fail(EXIT_USAGE, str(exc))
    except DatabaseUnavailableError as exc:
        return _fail(EXIT_FAILED, str(exc))
    except KeyboardInterrupt:
        return _fail(EXIT_FAILED, "interrupted")


def _fail(code: int, message: str) -> int:
    """One line on stderr: control characters (a newline in a file name) are escaped."""
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                    for ch in message)
    sys.stderr.write(f"newsbrief: {shown}\n")
    return code
