"""``newsbrief doctor``: is this installation ready to run the bot, and if not, what to do.

Each check says ok / problem / how to fix, and every check runs even when an earlier one failed
(an operator fixing a deploy wants the whole list at once), except where a check cannot mean
anything without another (no migration state without a database): it is then *skipped*, which
still fails the run. The token check asks the Bot API (``getMe`` through
``TELEGRAM_API_BASE_URL``), which is why this lives in the app layer. Nothing is changed: the
database is not migrated or created, the instance lock is only tried and given back at once.

``running=True`` is the health probe of a live deployment (the container's HEALTHCHECK): the
instance lock must then be *held* — by the running bot — instead of free.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app.application import TELEGRAM_ROOT
from bot.clock import SystemClock
from bot.config import (
    DEFAULT_DATABASE_URL,
    Settings,
    SettingsError,
    parse_admin_ids,
    parse_timezone,
)
from bot.delivery.transport import bot_api_request
from bot.ingest.inbox import DONE_DIR, FAILED_DIR
from bot.sources.fetch import Fetcher, FetchError
from bot.text.section_choice import (
    PAGE_MAP_EXAMPLE,
    SECTION_PAGES_SETTING,
    describe_page_map,
    section_pages_setting,
)
from bot.text.sections import SECTIONS
from bot.version import package_version
from storage.articles import ArticleRepository
from storage.database import Database, DatabaseUnavailableError, MigrationState
from storage.instance_lock import InstanceLock, InstanceLockedError
from storage.search_index import SearchIndex
from storage.sources import SourceRepository

Status = Literal["ok", "problem", "skipped"]

# In the order they run and are printed; ``--only`` picks among these names.
CHECK_NAMES: tuple[str, ...] = (
    "settings", "timezone", "admin_ids", "section_pages", "token", "database", "migrations",
    "lock", "inbox", "search_index", "sources",
)  # fmt: skip
GET_ME_TIMEOUT_SECONDS = 10.0
# What a check needs to have run before it (``--only lock`` still checks the database first).
_NEEDS: Mapping[str, tuple[str, ...]] = {
    "migrations": ("database",),
    "lock": ("database",),
    "search_index": ("database", "migrations"),
    "sources": ("database", "migrations"),
}
SOURCE_PROBE_TIMEOUT_SECONDS = 10.0
SOURCE_PROBES_AT_ONCE = 4
# Checked one by one by their own checks, so the general settings check leaves them out.
_OWN_CHECK_VARIABLES = ("NEWSBRIEF_TIMEZONE", "NEWSBRIEF_ADMIN_IDS", SECTION_PAGES_SETTING)


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's answer; ``fix`` is set whenever ``status`` is not ok."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "status": self.status, "detail": self.detail,
                "fix": self.fix}


@dataclass(frozen=True)
class DoctorReport:
    version: str
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "version": self.version,
                "checks": [check.to_dict() for check in self.checks]}


@dataclass(frozen=True)
class DoctorOptions:
    running: bool = False  # a live bot should hold the instance lock (health probe)
    only: frozenset[str] | None = None  # None: every check in CHECK_NAMES


def _ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "ok", detail)


def _problem(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, "problem", detail, fix)


def _skipped(name: str, because: str, fix: str) -> CheckResult:
    return CheckResult(name, "skipped", f"not checked: {because}", fix)


class Doctor:
    """Runs the checks against raw settings (``bot.config.raw_settings``) and one database.

    ``db`` is None when the database URL itself could not be used; ``db_error`` then says why.
    """

    def __init__(
        self,
        raw: Mapping[str, str],
        db: Database | None,
        *,
        db_error: str | None = None,
        options: DoctorOptions | None = None,
    ) -> None:
        self.raw = raw
        self.db = db
        self.db_error = db_error
        self.options = options or DoctorOptions()
        self._reachable = False
        self._migrations: MigrationState | None = None

    async def run(self) -> DoctorReport:
        self._reachable, self._migrations = False, None
        checks: dict[str, Callable[[], Awaitable[CheckResult]]] = {
            "settings": self.check_settings,
            "timezone": self.check_timezone,
            "admin_ids": self.check_admin_ids,
            "section_pages": self.check_section_pages,
            "token": self.check_token,
            "database": self.check_database,
            "migrations": self.check_migrations,
            "lock": self.check_lock,
            "inbox": self.check_inbox,
            "search_index": self.check_search_index,
            "sources": self.check_sources,
        }
        wanted = set(CHECK_NAMES if self.options.only is None else self.options.only)
        to_run = wanted | {need for name in wanted for need in _NEEDS.get(name, ())}
        results: list[CheckResult] = []
        for name in CHECK_NAMES:  # in order, so what a check needs has run before it
            if name in to_run:
                result = await checks[name]()
                if name in wanted:
                    results.append(result)
        return DoctorReport(version=package_version(), checks=tuple(results))

    # --- settings --------------------------------------------------------------------------------

    async def check_settings(self) -> CheckResult:
        """Every setting other than those with a check of their own parses."""
        rest = {k: v for k, v in self.raw.items() if k not in _OWN_CHECK_VARIABLES}
        try:
            Settings.from_env(rest, env_file=None)
        except SettingsError as exc:
            return _problem("settings", str(exc), "correct that variable in the environment or "
                            ".env (see .env.example and the README's settings table)")
        return _ok("settings", "every NEWSBRIEF_* setting parses")

    async def check_timezone(self) -> CheckResult:
        try:
            zone = parse_timezone(self.raw.get("NEWSBRIEF_TIMEZONE"))
        except SettingsError as exc:
            return _problem("timezone", str(exc), "set NEWSBRIEF_TIMEZONE to an IANA name such "
                            "as Asia/Shanghai or Asia/Hong_Kong (is the tzdata package installed?)")
        return _ok("timezone", f"the paper's timezone is {zone.key}")

    async def check_admin_ids(self) -> CheckResult:
        try:
            ids = parse_admin_ids(self.raw.get("NEWSBRIEF_ADMIN_IDS"))
        except SettingsError as exc:
            return _problem("admin_ids", str(exc), "list numeric Telegram user ids, e.g. "
                            "NEWSBRIEF_ADMIN_IDS=123456789,987654321 (@userinfobot tells yours)")
        if not ids:
            return _ok("admin_ids", "no admins (NEWSBRIEF_ADMIN_IDS unset): nobody can upload "
                       "pages or see /status in Telegram")
        return _ok("admin_ids", f"{len(ids)} admin id(s): {', '.join(map(str, sorted(ids)))}")

    async def check_section_pages(self) -> CheckResult:
        """The per-paper page -> section map parses (the bot refuses to start otherwise)."""
        raw = self.raw.get(SECTION_PAGES_SETTING, "")
        try:
            pages = section_pages_setting(raw)
        except SettingsError as exc:
            return _problem("section_pages", str(exc), f"write PAGES:SECTION entries separated "
                            f"by commas, e.g. {SECTION_PAGES_SETTING}={PAGE_MAP_EXAMPLE} "
                            f"(sections: {' '.join(SECTIONS)}), or unset it")
        if not pages:
            return _ok("section_pages", f"no page map ({SECTION_PAGES_SETTING} unset): sections "
                       "come from page ears, sources and the classifier")
        return _ok("section_pages", f"pages without an ear: {describe_page_map(pages)}")

    # --- Telegram --------------------------------------------------------------------------------

    async def check_token(self) -> CheckResult:
        token = self.raw.get("TELEGRAM_BOT_TOKEN")
        root = (self.raw.get("TELEGRAM_API_BASE_URL") or TELEGRAM_ROOT).rstrip("/")
        if not token:
            return _problem("token", "TELEGRAM_BOT_TOKEN is not set", "create a bot with "
                            "@BotFather (/newbot) and set TELEGRAM_BOT_TOKEN to its token")
        request = bot_api_request(1, timeout=GET_ME_TIMEOUT_SECONDS)  # the bot's own transport
        bot = Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot",
                  request=request)
        try:
            await bot.initialize()  # calls getMe
            me = bot.bot
        except InvalidToken as exc:
            return _problem("token", f"{root} refused the token ({exc})", "copy the token "
                            "again from @BotFather (/mybots → API Token); it may have been revoked")
        except NetworkError as exc:
            return _problem("token", f"cannot reach the Bot API at {root}: {exc}",
                            "check the network, a proxy (HTTPS_PROXY) or TELEGRAM_API_BASE_URL")
        except TelegramError as exc:
            return _problem("token", f"getMe at {root} failed: {exc}",
                            "check TELEGRAM_API_BASE_URL points at a Bot API server's root")
        finally:
            with contextlib.suppress(Exception):
                await bot.shutdown()
        return _ok("token", f"the token belongs to @{me.username} (id {me.id}), via {root}")

    # --- database --------------------------------------------------------------------------------

    async def check_database(self) -> CheckResult:
        if self.db is None:
            return _problem("database", self.db_error or "no database URL",
                            "set NEWSBRIEF_DATABASE_URL (sqlite:///PATH or postgresql://...)")
        missing = self._missing_sqlite_file()
        if missing is not None:
            return _problem("database", f"no database file at {missing} yet",
                            "create it with `newsbrief db upgrade`, or point "
                            "NEWSBRIEF_DATABASE_URL at the existing one")
        try:
            await self.db.check()
        except DatabaseUnavailableError as exc:
            return _problem("database", str(exc), "start the database server, or correct "
                            "NEWSBRIEF_DATABASE_URL (host, port, user, password, name)")
        self._reachable = True
        return _ok("database", f"{self.db.safe_url} answers")

    def _missing_sqlite_file(self) -> Path | None:
        """Connecting would create an empty SQLite file; the doctor changes nothing."""
        assert self.db is not None
        name = self.db.url.database or ""
        if self.db.backend != "sqlite" or name in ("", ":memory:"):
            return None
        path = Path(name).expanduser().resolve()
        return None if path.is_file() else path

    async def check_migrations(self) -> CheckResult:
        if not self._reachable or self.db is None:
            return _skipped("migrations", "the database does not answer", "fix `database` first")
        try:
            state = await self.db.migration_state()
        except DatabaseUnavailableError as exc:
            return _problem("migrations", str(exc), "fix `database` first")
        self._migrations = state
        if state.at_head:
            return _ok("migrations", f"schema at {state.head} (head)")
        if state.current is None:
            return _problem("migrations", f"the database has no schema yet (head is {state.head})",
                            "run `newsbrief db upgrade`")
        return _problem("migrations", f"schema at {state.current}, this version needs "
                        f"{state.head}", "run `newsbrief db upgrade` (after a backup: see "
                        "docs/deploy.md); if the schema is newer, upgrade newsbrief instead")

    async def check_lock(self) -> CheckResult:
        if self.db is None or (not self._reachable and self.db.backend != "sqlite"):
            return _skipped("lock", "the database does not answer", "fix `database` first")
        missing = self._missing_sqlite_file()
        if missing is not None:  # taking the lock would create the database file (and its lock)
            if self.options.running:
                return _problem("lock", f"no database file at {missing}: no bot runs on it",
                                "start the bot (`newsbrief run`, systemctl start newsbrief) with "
                                "this NEWSBRIEF_DATABASE_URL")
            return _ok("lock", f"free: no database file at {missing} yet, so no bot runs on it")
        try:
            lock = await InstanceLock.acquire(self.db)
        except InstanceLockedError as exc:
            if self.options.running:
                return _ok("lock", "held by the running bot")
            return _problem("lock", str(exc), "a bot already runs on this database: stop it "
                            "(systemctl stop newsbrief) before starting another, or check a "
                            "live bot with `newsbrief doctor --running`")
        except (OSError, DatabaseUnavailableError) as exc:
            return _problem("lock", f"cannot take the instance lock: {exc}", "give the bot's "
                            "user write access to the database's folder")
        await lock.release()
        if self.options.running:
            return _problem("lock", "no bot holds the instance lock: the bot is not running",
                            "start it (`newsbrief run`, systemctl start newsbrief) and read its "
                            "log (docs/operations.md)")
        return _ok("lock", "free: no other bot runs on this database")

    # --- files -----------------------------------------------------------------------------------

    async def check_inbox(self) -> CheckResult:
        raw = self.raw.get("NEWSBRIEF_INBOX")
        if not raw:
            return _ok("inbox", "no drop folder (NEWSBRIEF_INBOX unset)")
        folder = Path(raw).expanduser()
        fix = (f"mkdir -p {folder} and let the bot's user write there (chown/chmod; in systemd "
               "list it in ReadWritePaths=)")
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            return _problem("inbox", f"NEWSBRIEF_INBOX {folder} {what}", fix)
        for target in (folder, folder / DONE_DIR, folder / FAILED_DIR):
            if target is not folder and not target.exists():
                continue  # the bot creates done/ and failed/ itself, in a writable folder
            problem = _write_probe(target)
            if problem is not None:
                return _problem("inbox", f"{target} is not writable: {problem}", fix)
        return _ok("inbox", f"{folder} is writable")

    async def check_search_index(self) -> CheckResult:
        fix_empty = ("load pages: `newsbrief ingest PAGE.txt` (or drop them into NEWSBRIEF_INBOX, "
                     "or send them to the bot as an admin)")
        if self.db is None or self._migrations is None or not self._migrations.at_head:
            return _skipped("search_index", "the database is not reachable or not at head",
                            "fix `database` and `migrations` first")
        async with self.db.session() as session:
            articles = await ArticleRepository(session).count()
            indexed = await SearchIndex(session).count_documents()
        if articles == 0:
            return _problem("search_index", "no articles yet: every search finds nothing",
                            fix_empty)
        if indexed < articles:
            return _problem("search_index", f"{indexed} of {articles} articles are indexed",
                            "run `newsbrief reindex`")
        return _ok("search_index", f"{indexed} articles indexed")

    # --- sources ---------------------------------------------------------------------------------

    async def check_sources(self) -> CheckResult:
        """Each unpaused source answers a GET now (a conditional one where validators are known,
        so a healthy feed costs its server a 304); nothing is stored or recorded."""
        if self.db is None or self._migrations is None or not self._migrations.at_head:
            return _skipped("sources", "the database is not reachable or not at head",
                            "fix `database` and `migrations` first")
        async with self.db.session() as session:
            active = [s for s in await SourceRepository(session).all() if not s.paused]
        if not active:
            return _ok("sources", "no sources to poll (`newsbrief sources add URL` adds one)")
        failures: list[str] = []
        limit = asyncio.Semaphore(SOURCE_PROBES_AT_ONCE)
        async with Fetcher(SystemClock(), timeout=SOURCE_PROBE_TIMEOUT_SECONDS) as fetcher:

            async def probe(source_id: int, url: str, etag: str | None,
                            modified: str | None) -> None:
                async with limit:
                    try:
                        await fetcher.get(url, etag=etag, last_modified=modified)
                    except FetchError as exc:
                        failures.append(f"source {source_id}: {exc}")

            await asyncio.gather(*(probe(s.id, s.url, s.etag, s.last_modified) for s in active))
        if failures:
            return _problem(
                "sources", f"{len(failures)} of {len(active)} sources do not answer: "
                + "; ".join(sorted(failures)),
                "check the URL (`newsbrief sources list`), the network or a proxy (HTTPS_PROXY); "
                "remove a source that is gone with `newsbrief sources remove ID`",
            )
        return _ok("sources", f"{len(active)} source(s) answer")


def _write_probe(folder: Path) -> str | None:
    """None when a file can be created and removed in ``folder``, else why not (a real write:
    permission bits say nothing for root or on a read-only mount)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".newsbrief-doctor-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return None


def database_url(raw: Mapping[str, str], override: str | None) -> str:
    """The URL the bot would use: ``--db``, else NEWSBRIEF_DATABASE_URL, else the default."""
    return override or raw.get("NEWSBRIEF_DATABASE_URL") or DEFAULT_DATABASE_URL
