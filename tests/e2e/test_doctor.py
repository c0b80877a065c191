"""``newsbrief doctor``: each check finds the problem an operator would hit, against real
databases and the fake Bot API (getMe over HTTP), and the CLI exits 0 only when all pass."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from bot.app.doctor import CHECK_NAMES, Doctor, DoctorOptions, DoctorReport
from bot.clock import SystemClock
from bot.config import Settings
from bot.ingest.service import IngestService
from bot.sources.service import SourceService
from bot.version import package_version
from storage.database import Database
from storage.instance_lock import InstanceLock
from storage.search_index import SearchIndex
from storage.sources import SourceRepository
from tests.conftest import scratch_database
from tests.e2e.fake_bot_api import FakeBotApi
from tests.e2e.test_bot_e2e import _env, running_bot
from tests.sources_site import SourcesSite, rss
from tests.test_deploy import dockerfile_healthcheck

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "fixtures" / "xsrb-2023-07-31-01.txt"
BEHIND = "0005_subscriptions_watches"
CLI_TIMEOUT = 120


async def _doctor(raw: Mapping[str, str], db: Database | None, *only: str,
                  running: bool = False) -> DoctorReport:
    options = DoctorOptions(running=running, only=frozenset(only) if only else None)
    return await Doctor(raw, db, options=options).run()


def _check(report: DoctorReport, name: str) -> tuple[str, str, str | None]:
    [check] = [c for c in report.checks if c.name == name]
    return check.status, check.detail, check.fix


async def _load_sample(db: Database) -> None:
    await IngestService(db, Settings()).ingest([SAMPLE])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty, unmigrated database on each backend (the doctor must not migrate it)."""
    async with scratch_database(request.param, tmp_path) as database:
        yield database


# --- Telegram --------------------------------------------------------------------------------


async def test_token_is_checked_with_getme_through_the_base_url(
    fake_bot_api: FakeBotApi,
) -> None:
    raw = {"TELEGRAM_BOT_TOKEN": fake_bot_api.token, "TELEGRAM_API_BASE_URL": fake_bot_api.root}
    report = await _doctor(raw, None, "token")
    status, detail, fix = _check(report, "token")
    assert status == "ok" and fix is None
    assert "@newsbrief_test_bot" in detail and fake_bot_api.root in detail
    assert [call.method for call in fake_bot_api.api_log] == ["getMe"]
    assert report.ok


async def test_a_revoked_token_is_a_problem_with_a_fix(fake_bot_api: FakeBotApi) -> None:
    raw = {"TELEGRAM_BOT_TOKEN": "7000000001:AAWrongToken", "TELEGRAM_API_BASE_URL":
           fake_bot_api.root}
    report = await _doctor(raw, None, "token")
    status, detail, fix = _check(report, "token")
    assert status == "problem" and "refused the token" in detail
    assert fix is not None and "@BotFather" in fix
    assert not report.ok


async def test_no_token_and_no_server_are_problems() -> None:
    status, detail, _ = _check(await _doctor({}, None, "token"), "token")
    assert status == "problem" and "TELEGRAM_BOT_TOKEN is not set" in detail
    raw = {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9"}
    status, detail, _ = _check(await _doctor(raw, None, "token"), "token")
    assert status == "problem" and "cannot reach the Bot API at http://127.0.0.1:9" in detail


# --- settings --------------------------------------------------------------------------------


async def test_bad_admin_ids_and_timezone_are_reported_each_on_its_own() -> None:
    raw = {"NEWSBRIEF_ADMIN_IDS": "123,@editor", "NEWSBRIEF_TIMEZONE": "Asia/Xiaoshan"}
    report = await _doctor(raw, None, "settings", "timezone", "admin_ids")
    assert _check(report, "admin_ids")[0] == "problem" and "'@editor'" in \
        _check(report, "admin_ids")[1]
    assert _check(report, "timezone")[0] == "problem" and "Asia/Xiaoshan" in \
        _check(report, "timezone")[1]
    assert _check(report, "settings")[0] == "ok"  # not the same two problems a second time
    good = await _doctor({"NEWSBRIEF_ADMIN_IDS": "1, 2", "NEWSBRIEF_TIMEZONE": "Asia/Hong_Kong"},
                         None, "timezone", "admin_ids")
    assert good.ok and "Asia/Hong_Kong" in _check(good, "timezone")[1]


async def test_section_pages_problem_says_how_to_fix_and_a_good_map_is_described() -> None:
    """A bad page map is the `section_pages` check's problem (the bot would refuse to start),
    reported once: not again under `settings`."""
    raw = {"NEWSBRIEF_SECTION_PAGES": "1-2:时政,3:八卦"}
    report = await _doctor(raw, None, "settings", "section_pages")
    status, detail, fix = _check(report, "section_pages")
    assert status == "problem" and "NEWSBRIEF_SECTION_PAGES" in detail and "'八卦'" in detail
    assert fix is not None and "NEWSBRIEF_SECTION_PAGES=1-2:时政,3:经济" in fix
    assert _check(report, "settings")[0] == "ok" and not report.ok
    good = await _doctor({"NEWSBRIEF_SECTION_PAGES": "1-2:时政, 3:经济"}, None, "section_pages")
    assert good.ok and _check(good, "section_pages")[1].endswith("1-2 时政, 3 经济")
    unset = await _doctor({}, None, "section_pages")
    assert unset.ok and "unset" in _check(unset, "section_pages")[1]


async def test_any_other_bad_setting_fails_the_settings_check() -> None:
    report = await _doctor({"NEWSBRIEF_DIGEST_GRACE_HOURS": "soon"}, None, "settings")
    status, detail, _ = _check(report, "settings")
    assert status == "problem" and "NEWSBRIEF_DIGEST_GRACE_HOURS" in detail


# --- database, migrations, search index -------------------------------------------------------


async def test_database_at_head_with_articles_passes(any_db: Database) -> None:
    await any_db.upgrade()
    await _load_sample(any_db)
    report = await _doctor({}, any_db, "database", "migrations", "search_index")
    assert report.ok, report.to_dict()
    assert "(head)" in _check(report, "migrations")[1]
    assert _check(report, "search_index")[1] == "6 articles indexed"


async def test_database_behind_head_says_to_upgrade(any_db: Database) -> None:
    await any_db.upgrade(BEHIND)
    report = await _doctor({}, any_db, "migrations", "search_index")
    status, detail, fix = _check(report, "migrations")
    assert status == "problem" and BEHIND in detail
    assert fix is not None and "newsbrief db upgrade" in fix
    assert _check(report, "search_index")[0] == "skipped" and not report.ok
    assert (await any_db.migration_state()).current == BEHIND  # the doctor changed nothing


async def test_unmigrated_database_has_no_schema(any_db: Database) -> None:
    await any_db.check()  # connecting creates the (empty) SQLite file
    status, detail, _ = _check(await _doctor({}, any_db, "migrations"), "migrations")
    assert status == "problem" and "no schema yet" in detail


async def test_empty_search_index_is_a_problem(any_db: Database) -> None:
    await any_db.upgrade()
    status, detail, fix = _check(await _doctor({}, any_db, "search_index"), "search_index")
    assert status == "problem" and "no articles" in detail and "newsbrief ingest" in (fix or "")
    await _load_sample(any_db)
    async with any_db.session() as session:
        await SearchIndex(session).clear()
    status, detail, fix = _check(await _doctor({}, any_db, "search_index"), "search_index")
    assert status == "problem" and detail == "0 of 6 articles are indexed"
    assert fix == "run `newsbrief reindex`"


async def test_sources_must_answer_and_paused_ones_are_not_asked(any_db: Database) -> None:
    await any_db.upgrade()
    status, detail, _ = _check(await _doctor({}, any_db, "sources"), "sources")
    assert status == "ok" and detail.startswith("no sources to poll")
    site = SourcesSite()
    await site.start()
    try:
        site.put("/feed.xml", rss([{"title": "台风", "link": site.url("/a"), "guid": "1"}]),
                 "application/rss+xml")
        sources = SourceService(any_db, Settings(), SystemClock())
        await sources.add(site.url("/feed.xml"))
        gone = await sources.add(site.url("/gone.xml"))
        paused = await sources.add("http://127.0.0.1:1/never-asked.xml")
        await sources.set_paused(paused.id, True)
        status, detail, fix = _check(await _doctor({}, any_db, "sources"), "sources")
        assert status == "problem"
        assert detail == f"1 of 2 sources do not answer: source {gone.id}: HTTP 404 from " \
            f"{site.url('/gone.xml')}"
        assert "newsbrief sources remove ID" in (fix or "")
        assert site.hits["/gone.xml"] == 1 and site.hits["/feed.xml"] == 1
        await sources.remove(gone.id)
        status, detail, _ = _check(await _doctor({}, any_db, "sources"), "sources")
        assert (status, detail) == ("ok", "1 source(s) answer")
        async with any_db.session() as session:  # the doctor recorded nothing
            assert [s.last_polled_at for s in await SourceRepository(session).all()] == [None, None]
    finally:
        await site.stop()


async def test_unreachable_database_skips_what_depends_on_it(tmp_path: Path) -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        report = await _doctor({}, db, "database", "migrations", "lock", "search_index")
    finally:
        await db.dispose()
    assert [c.status for c in report.checks] == ["problem", "skipped", "skipped", "skipped"]
    assert "cannot open database" in report.checks[0].detail


async def test_missing_sqlite_file_is_reported_not_created(tmp_path: Path) -> None:
    """A fresh install before `db upgrade`: every check runs, and none creates the database file
    or a lock file beside it (taking the instance lock would)."""
    path = tmp_path / "nothing-here.db"
    db = Database(f"sqlite:///{path}")
    try:
        report = await _doctor({}, db)
        running = await _doctor({}, db, "lock", running=True)
    finally:
        await db.dispose()
    status, detail, fix = _check(report, "database")
    assert status == "problem" and str(path) in detail and "db upgrade" in (fix or "")
    assert _check(report, "lock") == ("ok", f"free: no database file at {path} yet, so no bot "
                                      "runs on it", None)
    status, detail, _ = _check(running, "lock")
    assert status == "problem" and "no bot runs on it" in detail
    assert list(tmp_path.iterdir()) == []


# --- instance lock ---------------------------------------------------------------------------


async def test_instance_lock_held_or_free(tmp_path: Path) -> None:
    async with scratch_database("sqlite", tmp_path) as db:
        await db.upgrade()
        assert _check(await _doctor({}, db, "lock"), "lock")[0] == "ok"
        problem = await _doctor({}, db, "lock", running=True)
        assert _check(problem, "lock")[0] == "problem"
        assert "not running" in _check(problem, "lock")[1]

        lock = await InstanceLock.acquire(db)  # what `newsbrief run` holds
        try:
            status, detail, fix = _check(await _doctor({}, db, "lock"), "lock")
            assert status == "problem" and "already running" in detail and f"pid {os.getpid()}" \
                in detail
            assert "--running" in (fix or "")
            assert _check(await _doctor({}, db, "lock", running=True), "lock")[0] == "ok"
        finally:
            await lock.release()
        again = await InstanceLock.acquire(db)  # the doctor gave its try back
        await again.release()


# --- inbox -----------------------------------------------------------------------------------


async def test_inbox_must_be_a_writable_folder(tmp_path: Path) -> None:
    assert _check(await _doctor({}, None, "inbox"), "inbox")[0] == "ok"  # none configured
    inbox = tmp_path / "inbox"
    status, detail, _ = _check(await _doctor({"NEWSBRIEF_INBOX": str(inbox)}, None, "inbox"),
                               "inbox")
    assert status == "problem" and "does not exist" in detail
    inbox.write_text("a file, not a folder", "utf-8")
    status, detail, _ = _check(await _doctor({"NEWSBRIEF_INBOX": str(inbox)}, None, "inbox"),
                               "inbox")
    assert status == "problem" and "is not a folder" in detail
    inbox.unlink()
    inbox.mkdir()
    assert _check(await _doctor({"NEWSBRIEF_INBOX": str(inbox)}, None, "inbox"), "inbox")[0] \
        == "ok"
    assert list(inbox.iterdir()) == []  # the write probe cleaned up after itself
    (inbox / "done").write_text("where the bot must make a folder", "utf-8")
    status, detail, _ = _check(await _doctor({"NEWSBRIEF_INBOX": str(inbox)}, None, "inbox"),
                               "inbox")
    assert status == "problem" and "done is not writable" in detail


async def test_read_only_inbox_is_a_problem(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: permission bits do not stop root from writing")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    inbox.chmod(0o555)
    try:
        status, detail, _ = _check(
            await _doctor({"NEWSBRIEF_INBOX": str(inbox)}, None, "inbox"), "inbox"
        )
    finally:
        inbox.chmod(0o755)
    assert status == "problem" and "not writable" in detail


# --- the command -------------------------------------------------------------------------------


async def _cli(env: Mapping[str, str], cwd: Path, *argv: str) -> tuple[int, str, str]:
    """``newsbrief`` as a process, awaited (the fake server shares this event loop)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBRIEF_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, cwd=cwd,
        env={**base, "PYTHONPATH": str(REPO), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.e2e
async def test_doctor_json_passes_with_a_token_and_fails_without(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], tmp_path: Path,
    e2e_database_url: str,
) -> None:
    url = e2e_database_url
    code, _, err = await _cli({"NEWSBRIEF_DATABASE_URL": url}, tmp_path, "ingest", str(SAMPLE))
    assert code == 0, err
    env = {**fake_bot_env, "NEWSBRIEF_DATABASE_URL": url}

    code, out, err = await _cli(env, tmp_path, "doctor", "--json")
    report = json.loads(out)
    assert code == 0, (report, err)
    assert report["ok"] is True and report["version"] == package_version()
    assert [c["name"] for c in report["checks"]] == list(CHECK_NAMES)
    for check in report["checks"]:
        assert set(check) == {"name", "ok", "status", "detail", "fix"}
        assert check["ok"] is True and check["status"] == "ok" and check["fix"] is None
    assert "getMe" in [call.method for call in fake_bot_api.api_log]

    del env["TELEGRAM_BOT_TOKEN"]
    code, out, _ = await _cli(env, tmp_path, "doctor", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    failed = [c for c in report["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["token"] and failed[0]["fix"]


@pytest.mark.e2e
async def test_doctor_text_bad_settings_and_bad_db_url(tmp_path: Path) -> None:
    env = {"NEWSBRIEF_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "NEWSBRIEF_TIMEZONE": "Nowhere/Town", "NEWSBRIEF_ADMIN_IDS": "me",
           "NEWSBRIEF_SECTION_PAGES": "5-3:经济"}
    code, out, err = await _cli(env, tmp_path, "doctor", "--only",
                                "timezone,admin_ids,section_pages")
    assert code == 1, err
    assert out.splitlines()[0] == f"newsbrief {package_version()}"
    assert "PROBLEM  timezone" in out and "PROBLEM  admin_ids" in out and "fix: " in out
    assert "PROBLEM  section_pages" in out and "bad page range '5-3'" in out
    assert out.rstrip().endswith("3 check(s) failed")
    code, out, err = await _cli({}, tmp_path, "doctor", "--db", "sqlite:///")
    assert code == 2 and out == "" and "names no database file" in err
    # the same URL as a setting is what the doctor is there to diagnose: a problem, exit 1
    code, out, err = await _cli({"NEWSBRIEF_DATABASE_URL": "sqlite:///"}, tmp_path, "doctor",
                                "--only", "database,migrations", "--json")
    database, migrations = json.loads(out)["checks"]
    assert code == 1 and database["status"] == "problem", err
    assert "names no database file" in database["detail"] and migrations["status"] == "skipped"
    code, _, err = await _cli({}, tmp_path, "doctor", "--only", "everything")
    assert code == 2 and "unknown check" in err


@pytest.mark.e2e
async def test_the_images_healthcheck_passes_while_the_bot_runs_and_fails_once_it_stopped(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], tmp_path: Path,
    e2e_database_url: str,
) -> None:
    """The Dockerfile's HEALTHCHECK, run as written against a live `newsbrief run`. The bot gets
    its own temporary folder, as the systemd unit gives it (PrivateTmp, TMPDIR): the doctor run
    from elsewhere (a shell, `docker exec`) must still find the bot's lock."""
    command = dockerfile_healthcheck()
    assert command[:2] == ["newsbrief", "doctor"]
    service_tmp = tmp_path / "service-tmp"
    service_tmp.mkdir()
    settings = {"NEWSBRIEF_DATABASE_URL": e2e_database_url}
    env = {**_env(fake_bot_env, e2e_database_url), "TMPDIR": str(service_tmp)}
    async with running_bot(fake_bot_api, env, tmp_path) as bot:
        code, out, err = await _cli(settings, tmp_path, *command[1:])
        assert code == 0, out + err
        assert "held by the running bot" in out and out.rstrip().endswith("all checks passed")
        assert await bot.terminate() == 0
    code, out, _ = await _cli(settings, tmp_path, *command[1:])
    assert code == 1 and "the bot is not running" in out
