"""The drop folder ingests settled files and sorts them into done/ and failed/."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import Settings
from bot.ingest.inbox import Inbox
from bot.ingest.service import IngestService
from storage.articles import ArticleRepository
from storage.database import Database


def _inbox(db: Database, folder: Path, settle: float = 0.0) -> Inbox:
    return Inbox(folder, IngestService(db, Settings()), settle_seconds=settle)


async def test_dropped_page_is_ingested_and_moved_to_done(
    db: Database, tmp_path: Path, fixtures_dir: Path
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    shutil.copy(fixtures_dir / "xsrb-2023-07-31-01.txt", inbox_dir)
    [outcome] = await _inbox(db, inbox_dir).process_once()
    assert outcome.ok and outcome.report is not None
    assert outcome.report.articles_new == 6 and outcome.report.alerts_new == 1
    assert (inbox_dir / "done" / "xsrb-2023-07-31-01.txt").is_file()
    assert not (inbox_dir / "xsrb-2023-07-31-01.txt").exists()
    assert await _inbox(db, inbox_dir).process_once() == []


async def test_bad_file_goes_to_failed_with_a_reason(db: Database, tmp_path: Path) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    (inbox_dir / "undated-page.txt").write_text("萧山新闻。\n" * 5, "utf-8")
    (inbox_dir / "notes.md").write_text("ignored", "utf-8")
    [outcome] = await _inbox(db, inbox_dir).process_once()
    assert not outcome.ok and outcome.reason is not None and "date" in outcome.reason
    reason = (inbox_dir / "failed" / "undated-page.txt.reason.txt").read_text("utf-8")
    assert "--date" in reason or "date" in reason
    assert (inbox_dir / "notes.md").exists()
    async with db.session() as session:
        assert await ArticleRepository(session).count() == 0


async def test_a_file_still_being_written_waits_for_the_next_scan(
    db: Database, tmp_path: Path, fixtures_dir: Path
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    shutil.copy(fixtures_dir / "xsrb-2023-07-31-01.txt", inbox_dir)
    assert await _inbox(db, inbox_dir, settle=3600).process_once() == []
    assert (inbox_dir / "xsrb-2023-07-31-01.txt").exists()


async def test_same_name_dropped_twice_keeps_both_files(
    db: Database, tmp_path: Path, fixtures_dir: Path
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    for _ in range(2):
        shutil.copy(fixtures_dir / "xsrb-2023-07-31-01.txt", inbox_dir)
        await _inbox(db, inbox_dir).process_once()
    assert sorted(p.name for p in (inbox_dir / "done").iterdir()) == [
        "xsrb-2023-07-31-01.1.txt", "xsrb-2023-07-31-01.txt",
    ]
