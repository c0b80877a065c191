"""Streaming ingest: bounded batches, a bad line at the end stores nothing, an interrupted store
is completed by rerunning, and the streamed checks match the whole-file reader's."""

from __future__ import annotations

import gc
import gzip
import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.ingest.jsonl_stream import check_text_stream
from bot.ingest.service import IngestService
from bot.ingest.source_files import UnusableInputError, source_text_from_bytes
from bot.progress import TerminalProgress
from storage.articles import ArticleRepository, NewArticle
from storage.database import Database
from storage.models import Article, SourceFile

ARTICLES = 600
BATCH = 50


def _lines(count: int, start: int = 0) -> list[str]:
    return [
        json.dumps({"title": f"第{n}篇 经开区新闻", "body": f"第{n}篇的正文。\n第二段{n}。",
                    "date": "2023-07-31"}, ensure_ascii=False)
        for n in range(start, start + count)
    ]


def _write(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _service(db: Database) -> IngestService:
    service = IngestService(db, Settings())
    service.batch_articles = BATCH
    return service


async def _counts(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        files = await session.scalar(select(func.count()).select_from(SourceFile))
        return await ArticleRepository(session).count(), int(files or 0)


async def test_a_bad_line_at_the_end_of_a_big_file_stores_nothing(db: Database, tmp_path: Path):
    path = _write(tmp_path / "big.jsonl", [*_lines(ARTICLES), '{"title": "断了'])
    service = _service(db)
    batches: list[int] = []
    service.on_batch = lambda batch: batches.append(len(batch))
    with pytest.raises(UnusableInputError, match=f"line {ARTICLES + 1}"):
        await service.ingest([path])
    assert batches == []
    assert await _counts(db) == (0, 0)


async def test_articles_held_at_once_are_bounded_by_the_batch(db: Database, tmp_path: Path):
    """Counted with the garbage collector at each batch: no list of every article anywhere."""
    path = _write(tmp_path / "big.jsonl", _lines(ARTICLES))
    service = _service(db)
    held: list[int] = []

    def count_live(batch: Sequence[NewArticle]) -> None:
        gc.collect()
        held.append(sum(isinstance(o, NewArticle | Article) for o in gc.get_objects()))

    service.on_batch = count_live
    report = await service.ingest([path])
    assert report.articles_new == ARTICLES
    assert len(held) == ARTICLES // BATCH
    assert max(held) <= 2 * BATCH  # this batch, and at most the last one's stored rows
    assert await _counts(db) == (ARTICLES, 1)
    async with db.session() as session:
        record = await session.scalar(select(SourceFile))
    assert record is not None and (record.articles_new, record.articles_duplicate) == (ARTICLES, 0)


async def test_an_interrupted_store_is_completed_by_ingesting_again(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "big.jsonl", _lines(ARTICLES))
    service = _service(db)
    real_store_batch = service._store_batch
    calls = 0

    async def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError("disk full")
        return await real_store_batch(*args, **kwargs)

    monkeypatch.setattr(service, "_store_batch", failing)
    with pytest.raises(OSError):
        await service.ingest([path])
    assert (await _counts(db))[0] == 3 * BATCH  # whole batches only
    monkeypatch.undo()
    report = await _service(db).ingest([path])
    assert (report.articles_new, report.articles_duplicate) == (ARTICLES - 3 * BATCH, 3 * BATCH)
    assert (await _counts(db))[0] == ARTICLES


async def test_a_repeat_in_a_later_batch_is_a_duplicate(db: Database, tmp_path: Path):
    lines = _lines(BATCH + 5)
    path = _write(tmp_path / "repeat.jsonl", [*lines, lines[0]])
    report = await _service(db).ingest([path])
    assert (report.articles_new, report.articles_duplicate) == (BATCH + 5, 1)
    assert report.articles[-1].duplicate and report.articles[-1].id == report.articles[0].id


async def test_a_file_changed_between_check_and_store_is_refused(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "moving.jsonl", _lines(10))
    service = _service(db)
    real_check = service.check

    def check_then_change(*args, **kwargs):  # type: ignore[no-untyped-def]
        checked = real_check(*args, **kwargs)
        _write(path, _lines(12))
        return checked

    monkeypatch.setattr(service, "check", check_then_change)
    with pytest.raises(UnusableInputError, match="changed"):
        await service.ingest([path])


def _gz(data: bytes) -> bytes:
    return gzip.compress(data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.jsonl", '{"title": "中文"}\n'.encode()),
        ("a.jsonl", b"\xef\xbb\xbf" + '{"title": "中文"}\n'.encode()),
        ("a.jsonl", '{"title": "中文"}\n'.encode("gb18030")),
        ("a.jsonl.gz", _gz('{"title": "中文"}\n'.encode("gb18030"))),
        ("a.jsonl", b"   \n\n"),
        ("a.jsonl", b"\xff\xfe{\x00"),
        ("a.jsonl", b'{"title": "x"}\n\x00\n'),
        ("a.jsonl", b'{"title": "x"}\n' + b"\x01" * 50 + b"\n"),
        ("a.jsonl", b'{"title": "ok"}\n{"title": "\x81\x20"}\n'),
        ("a.jsonl.gz", b"not gzip at all"),
    ],
)
def test_streamed_checks_match_the_whole_file_reader(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    try:
        whole = source_text_from_bytes(name, data, source=str(path))
    except UnusableInputError as exc:
        with pytest.raises(UnusableInputError) as streamed:
            check_text_stream(path)
        assert streamed.value.reason == exc.reason
        return
    checked = check_text_stream(path)
    assert (checked.encoding, checked.sha256, checked.size) == (
        whole.encoding, whole.sha256, whole.size
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_progress_counts_articles_with_a_rate() -> None:
    stream = _Terminal()
    now = [0.0]
    progress = TerminalProgress("ingest", stream, monotonic=lambda: now[0])
    progress("checking", 1000, 0)
    now[0] = 2.0
    progress("checking", 5000, 0)
    progress("storing", 0, 5000)
    now[0] = 4.0
    progress("storing", 5000, 5000)
    progress.close()
    shown = stream.getvalue()
    assert "checking 5,000 articles, 2,500/s" in shown
    assert "5,000/5,000 articles, 2,500/s" in shown  # rate since storing began
    assert "█" * 30 in shown
