"""Ingesting pages and article lists: idempotent, all-or-nothing on bad input, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.ingest.service import IngestOptions, IngestService
from bot.ingest.source_files import UnusableInputError
from storage.articles import ArticleRepository
from storage.database import Database

SEED = "xsrb-2023-07-31-01.txt"


@pytest.fixture
def seed_text(fixtures_dir: Path) -> str:
    return (fixtures_dir / SEED).read_text(encoding="utf-8")


@pytest.fixture
def expected(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "xsrb-2023-07-31-01.expected.json").read_text("utf-8"))


def _service(db: Database) -> IngestService:
    return IngestService(db, Settings())


async def _count(db: Database) -> int:
    async with db.session() as session:
        return await ArticleRepository(session).count()


async def test_seed_page_is_stored_with_expected_sections(
    db: Database, fixtures_dir: Path, expected: dict
) -> None:
    report = await _service(db).ingest([fixtures_dir / SEED])
    assert report.files == 1
    assert report.articles_new == 6 and report.articles_duplicate == 0
    assert [a.title for a in report.articles] == [a["title"] for a in expected["articles"]]
    assert [a.section for a in report.articles] == [a["section"] for a in expected["articles"]]
    async with db.session() as session:
        stored = await ArticleRepository(session).get(report.articles[3].id)
    assert stored is not None
    assert stored.edition_date == date(2023, 7, 31)
    assert stored.page == 1
    assert stored.paper == "萧山日报"
    assert stored.reporters == ["黄婷", "盛振刚"]


async def test_an_ingest_is_stamped_by_the_clock_it_was_given(db: Database, fixtures_dir: Path):
    """The one Clock: what an ingest records as "now" (articles' ingested_at, the alert state's
    reports) comes from the clock the service was built with, as tests and previews expect."""
    at = datetime(2023, 7, 31, 6, 0, tzinfo=UTC)
    service = IngestService(db, Settings(), clock=ManualClock(at))
    report = await service.ingest([fixtures_dir / SEED])
    async with db.session() as session:
        stored = await ArticleRepository(session).get(report.articles[0].id)
    assert stored is not None and stored.ingested_at.replace(tzinfo=UTC) == at


async def test_an_admin_upload_is_stamped_by_the_bots_clock(db: Database, fixtures_dir: Path):
    """The composition root's clock reaches the upload path too (BotServices -> UploadService)."""
    from bot.services import BotServices

    at = datetime(2023, 7, 31, 7, 0, tzinfo=UTC)
    services = BotServices.create(Settings(), db, callback_secret="1:x", clock=ManualClock(at))
    page = fixtures_dir / SEED
    summary = await services.uploads.ingest_upload(page.name, page.read_bytes(), None)
    assert summary.articles_new == 6
    async with db.session() as session:
        stamps = {a.ingested_at.replace(tzinfo=UTC) for a in await ArticleRepository(session)
                  .in_edition(date(2023, 7, 31))}
    assert stamps == {at}


async def test_ingesting_the_same_page_twice_stores_it_once(db: Database, fixtures_dir: Path):
    first = await _service(db).ingest([fixtures_dir / SEED])
    second = await _service(db).ingest([fixtures_dir / SEED])
    assert second.articles_new == 0 and second.articles_duplicate == 6
    assert all(a.duplicate for a in second.articles)
    assert [a.id for a in second.articles] == [a.id for a in first.articles]
    assert await _count(db) == 6


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig"])
async def test_gb18030_gbk_and_bom_pages_read_like_utf8(
    db: Database, tmp_path: Path, seed_text: str, encoding: str
) -> None:
    page = tmp_path / f"page-2023-07-31-01.{encoding}.txt"
    page.write_bytes(seed_text.encode(encoding))
    report = await _service(db).ingest([page])
    assert report.articles_new == 6
    assert report.articles[3].title == "我区启动防台风Ⅳ级应急响应"


def _refused(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty-2023-07-31.txt", b"", "empty"),
        ("blank-2023-07-31.txt", b"  \n\n \t\n", "empty"),
        ("binary-2023-07-31.txt", bytes(range(256)) * 40, "binary"),
        ("utf16-2023-07-31.txt", "台风".encode("utf-16"), "UTF-16"),
        ("huge-2023-07-31.txt", ("萧山" * 50 + "。\n").encode() * 70_000, "too large"),
        ("latin-2023-07-31.txt", b"12345 67890\n----\n\n====\n", "not Chinese"),
        ("furniture-2023-07-31.txt", "导读\n\n杭州第19届亚运会\n倒计时 54 天\n".encode(),
         "article"),
    ],
)
async def test_bad_pages_are_refused_and_change_nothing(
    db: Database, tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = _refused(tmp_path, name, data)
    with pytest.raises(UnusableInputError, match=reason):
        await _service(db).ingest([path])
    assert await _count(db) == 0


async def test_a_page_without_a_date_is_refused(db: Database, tmp_path: Path, seed_text: str):
    path = _refused(tmp_path, "page-one.txt", seed_text.encode())
    with pytest.raises(UnusableInputError, match="--date"):
        await _service(db).ingest([path])
    report = await _service(db).ingest([path], IngestOptions(edition=date(2023, 7, 31)))
    assert report.articles_new == 6


async def test_one_bad_file_among_good_ones_stores_nothing(
    db: Database, tmp_path: Path, seed_text: str
) -> None:
    good = _refused(tmp_path, "a-2023-07-31-01.txt", seed_text.encode())
    bad = _refused(tmp_path, "b-2023-07-31-02.txt", b"\x00\x01\x02binary")
    with pytest.raises(UnusableInputError, match=r"b-2023-07-31-02\.txt"):
        await _service(db).ingest([good, bad])
    assert await _count(db) == 0


async def test_jsonl_with_one_broken_line_is_refused_whole(db: Database, tmp_path: Path):
    lines = [
        json.dumps({"title": "台风来了", "body": "区防指启动应急响应。", "date": "2023-07-31"}),
        '{"title": "断了的行", "body": ',
        json.dumps({"title": "第三篇", "text": "正文。", "date": "20230731"}),
    ]
    path = _refused(tmp_path, "list.jsonl", "\n".join(lines).encode())
    with pytest.raises(UnusableInputError, match="line 2"):
        await _service(db).ingest([path])
    assert await _count(db) == 0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('["not", "an", "object"]', "JSON object"),
        ('{"body": "没有标题", "date": "2023-07-31"}', "missing \"title\""),
        ('{"title": "无日期", "body": "正文。"}', "no \"date\""),
        ('{"title": "坏日期", "body": "正文。", "date": "2023-02-30"}', "not a real calendar date"),
        ('{"title": "坏栏目", "body": "正文。", "date": "2023-07-31", "section": "八卦"}',
         "section"),
        ('{"title": 5, "date": "2023-07-31"}', "must be a string"),
    ],
)
async def test_jsonl_line_errors_name_the_problem(
    db: Database, tmp_path: Path, line: str, reason: str
) -> None:
    path = _refused(tmp_path, "list.jsonl", line.encode())
    with pytest.raises(UnusableInputError, match=reason):
        await _service(db).ingest([path])
    assert await _count(db) == 0


async def test_jsonl_articles_are_stored_with_their_fields(db: Database, tmp_path: Path):
    lines = [
        {"title": "萧山经开区新项目开工", "body": "第一段。\n第二段。", "date": "2023-07-30",
         "section": "经济", "paper": "人民日报", "page": 3, "url": "https://example.org/1"},
        {"title": "雨夜", "text": "一段。", "date": "20230731"},
    ]
    path = _refused(
        tmp_path, "list.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode()
    )
    report = await _service(db).ingest([path])
    assert report.articles_new == 2
    async with db.session() as session:
        first = await ArticleRepository(session).get(report.articles[0].id)
    assert first is not None
    assert first.paragraphs == ["第一段。", "第二段。"]
    assert (first.section, first.section_source, first.paper, first.page) == (
        "经济", "source", "人民日报", 3,
    )
    assert first.edition_date == date(2023, 7, 30)


async def test_stated_section_overrides_the_classifier(db: Database, fixtures_dir: Path):
    """`--section` is configuration: the source's word ("source"), not a correction
    ("operator"), so it is no training label."""
    report = await _service(db).ingest([fixtures_dir / SEED], IngestOptions(section="文体"))
    assert {(a.section, a.section_source) for a in report.articles} == {("文体", "source")}
    async with db.session() as session:
        assert await ArticleRepository(session).operator_sections() == []


async def test_page_map_setting_is_the_sources_word(db: Database, fixtures_dir: Path):
    """NEWSBRIEF_SECTION_PAGES is configuration too: "source", like `--section`."""
    service = IngestService(db, Settings(section_pages="1:科教"))
    report = await service.ingest([fixtures_dir / SEED])  # the seed is page 01, no ear
    assert {(a.section, a.section_source) for a in report.articles} == {("科教", "source")}


async def test_folders_are_read_recursively(db: Database, tmp_path: Path, seed_text: str):
    (tmp_path / "2023" / "07").mkdir(parents=True)
    (tmp_path / "2023" / "07" / "xsrb-2023-07-31-01.txt").write_text(seed_text, "utf-8")
    (tmp_path / "notes.md").write_text("not a page", "utf-8")
    report = await _service(db).ingest([tmp_path])
    assert report.files == 1 and report.articles_new == 6


async def test_an_article_repeated_within_one_file_is_stored_once(db: Database, tmp_path: Path):
    line = json.dumps({"title": "重复", "body": "同一篇。", "date": "2023-07-31"},
                      ensure_ascii=False)
    path = _refused(tmp_path, "twice.jsonl", f"{line}\n{line}\n".encode())
    report = await _service(db).ingest([path])
    assert (report.articles_new, report.articles_duplicate) == (1, 1)
    assert [a.duplicate for a in report.articles] == [False, True]
    assert report.articles[0].id == report.articles[1].id
    assert await _count(db) == 1


def test_section_sources_page_ear_then_page_map_then_model() -> None:
    """Precedence of bot.text.section_choice: stated > page ear > category > page map > model;
    all but the ear and the model are the source's word ("source")."""
    from bot.text.section_choice import (
        PageMapError,
        choose_section,
        ear_section,
        page_ear_section,
        parse_page_map,
    )

    assert page_ear_section("第02版：要闻\n\n标题") == "时政"
    assert page_ear_section("经济新闻\n标题\n正文") == "经济"
    assert page_ear_section("社会·民生\n标题") == "社会"
    assert page_ear_section("中国经济向好\n正文") is None  # a headline is no ear
    assert ear_section("Sports") == "文体" and ear_section("要闻·体育") is None
    page_map = parse_page_map("1-2:时政, 3:经济")
    assert page_map == {1: "时政", 2: "时政", 3: "经济"}
    for bad in ("1-2", "x:时政", "3-1:经济", "1:八卦"):
        with pytest.raises(PageMapError):
            parse_page_map(bad)
    title = "NBA总决赛:湖人队逆转夺冠"
    stated = choose_section(title, stated_section="经济", page_ear="社会")
    assert (stated.section, stated.source) == ("经济", "source")
    assert choose_section(title, page_ear="社会", page=1, page_map=page_map).section == "社会"
    assert choose_section(title, category="财经", page=1, page_map=page_map).source == "source"
    by_map = choose_section(title, page=2, page_map=page_map)
    assert (by_map.section, by_map.source, by_map.confidence) == ("时政", "source", None)
    by_model = choose_section(title, page=9, page_map=page_map)
    assert by_model.section == "文体" and by_model.source == "model"
    assert by_model.confidence is not None and 0 < by_model.confidence <= 1
