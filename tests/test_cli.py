"""The operator CLI: JSON shapes from cli.md, exit codes, clear one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

SEED = "xsrb-2023-07-31-01.txt"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_parse_json_matches_the_golden_file(capsys, fixtures_dir: Path) -> None:
    code, out, _ = run(capsys, "parse", str(fixtures_dir / SEED), "--json")
    assert code == 0
    expected = json.loads((fixtures_dir / "xsrb-2023-07-31-01.expected.json").read_text("utf-8"))
    produced = json.loads(out)
    assert produced["date"] == "2023-07-31"
    keys = ("kind", "kicker", "title", "subtitle", "byline", "reporters", "paragraphs", "subheads")
    assert [{k: a[k] for k in keys} for a in produced["articles"]] == [
        {k: a[k] for k in keys} for a in expected["articles"]
    ]


def test_parse_json_shows_each_articles_section_and_alert_events(
    capsys, fixtures_dir: Path
) -> None:
    """The dry run shows what ingest would file and push, before anything is loaded."""
    code, out, _ = run(capsys, "parse", str(fixtures_dir / SEED), "--json")
    assert code == 0
    expected = json.loads((fixtures_dir / "xsrb-2023-07-31-01.expected.json").read_text("utf-8"))
    articles = json.loads(out)["articles"]
    assert [a["section"] for a in articles] == [a["section"] for a in expected["articles"]]
    with_alerts = [(a["title"], a["alerts"]) for a in articles if a["alerts"]]
    [(title, [alert])] = with_alerts
    assert title == "我区启动防台风Ⅳ级应急响应"
    assert {k: alert[k] for k in expected["alerts"][0]} == expected["alerts"][0]
    # The alerts --json event shape, minus ids and what only storage knows.
    assert "id" not in alert and "article_id" not in alert
    assert {"summary", "impact", "time_stated", "issuer"} <= set(alert)
    code, out, _ = run(capsys, "parse", str(fixtures_dir / SEED))
    assert "[alert] 我区启动防台风Ⅳ级应急响应: 区防指 start typhoon response IV" in out


def test_ingest_json_shape_and_idempotence(capsys, fixtures_dir: Path, db_url: str) -> None:
    code, out, _ = run(capsys, "ingest", str(fixtures_dir / SEED), "--db", db_url, "--json")
    assert code == 0
    first = json.loads(out)
    assert set(first) >= {"files", "articles_new", "articles_duplicate", "alerts_new", "articles"}
    assert (first["files"], first["articles_new"], first["articles_duplicate"]) == (1, 6, 0)
    assert set(first["articles"][0]) >= {"id", "title", "section", "duplicate"}
    code, out, _ = run(capsys, "ingest", str(fixtures_dir / SEED), "--db", db_url, "--json")
    second = json.loads(out)
    assert (second["articles_new"], second["articles_duplicate"]) == (0, 6)
    assert [a["id"] for a in second["articles"]] == [a["id"] for a in first["articles"]]
    assert all(a["duplicate"] for a in second["articles"])


def test_show_sections_section_and_search(capsys, fixtures_dir: Path, db_url: str) -> None:
    run(capsys, "ingest", str(fixtures_dir / SEED), "--db", db_url)
    code, out, _ = run(capsys, "show", "4", "--db", db_url, "--json")
    article = json.loads(out)
    assert code == 0 and article["title"] == "我区启动防台风Ⅳ级应急响应"
    assert article["reporters"] == ["黄婷", "盛振刚"] and article["section"] == "应急"

    code, out, _ = run(capsys, "sections", "--db", db_url, "--json")
    sections = {s["name"]: s["count"] for s in json.loads(out)}
    assert sections == {"时政": 2, "经济": 1, "社会": 1, "科教": 0, "文体": 1, "应急": 1}

    code, out, _ = run(capsys, "section", "时政", "--db", db_url, "--json")
    listed = json.loads(out)
    assert listed["section"] == "时政" and len(listed["results"]) == 2

    code, out, _ = run(capsys, "search", "經開區", "--db", db_url, "--json")
    page = json.loads(out)
    assert set(page) >= {"query", "total", "took_ms", "results"}
    assert page["total"] == 1
    assert set(page["results"][0]) >= {"id", "title", "date", "section", "score", "snippet"}


def test_search_batch_prints_one_object_per_line(
    capsys, fixtures_dir: Path, db_url: str, tmp_path: Path
) -> None:
    run(capsys, "ingest", str(fixtures_dir / SEED), "--db", db_url)
    queries = tmp_path / "queries.txt"
    queries.write_text("台风\n特新\n\n颱風 卡努\n", "utf-8")
    code, out, _ = run(capsys, "search", "--batch", str(queries), "--db", db_url)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [line["query"] for line in lines] == ["台风", "特新", "颱風 卡努"]
    assert all(line["total"] >= 1 for line in lines)


def test_show_missing_article_fails_with_exit_1(capsys, db_url: str) -> None:
    code, _, err = run(capsys, "show", "999", "--db", db_url)
    assert code == 1 and "no article with id 999" in err


def test_unusable_input_exits_2_with_one_line(capsys, tmp_path: Path, db_url: str) -> None:
    empty = tmp_path / "empty-2023-07-31.txt"
    empty.write_bytes(b"")
    code, out, err = run(capsys, "ingest", str(empty), "--db", db_url, "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "empty" in err


def test_bad_flags_are_usage_errors(capsys, fixtures_dir: Path, db_url: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", str(fixtures_dir / SEED), "--date", "2023-13-01", "--db", db_url])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["section", "八卦", "--db", db_url])
    assert exit_info.value.code == 2


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv], capture_output=True, text=True, cwd=cwd,
        env=env, timeout=120,
    )


def test_unopenable_database_exits_1_without_traceback(tmp_path: Path, fixtures_dir) -> None:
    result = _cli("sections", "--db", "postgresql://nobody@127.0.0.1:1/none", cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot open database" in result.stderr and "Traceback" not in result.stderr
    result = _cli("sections", "--db", f"sqlite:///{tmp_path}/missing/dir/x.db", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_quickstart_loads_the_sample_page(tmp_path: Path) -> None:
    result = _cli("quickstart", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "我区启动防台风Ⅳ级应急响应" in result.stdout
    assert (tmp_path / "newsbrief.db").exists()
    again = _cli("quickstart", cwd=tmp_path)
    assert "0 new, 6 already stored" in again.stdout


def test_alerts_lists_the_seed_page_event(capsys, fixtures_dir: Path, db_url: str) -> None:
    _, out, _ = run(capsys, "ingest", str(fixtures_dir / SEED), "--db", db_url, "--json")
    assert json.loads(out)["alerts_new"] == 1
    # A 2023 page loaded today: its response is not in force (no report for years) ...
    _, out, _ = run(capsys, "alerts", "--db", db_url, "--json")
    assert json.loads(out) == []
    _, out, _ = run(capsys, "alerts", "--db", db_url)
    assert "no alert events in force" in out
    # ... but --all lists it, with its reports and when it was last reported.
    _, out, _ = run(capsys, "alerts", "--all", "--db", db_url, "--json")
    [event] = json.loads(out)
    expected = json.loads((fixtures_dir / "xsrb-2023-07-31-01.expected.json").read_text("utf-8"))
    assert {k: event[k] for k in expected["alerts"][0]} == expected["alerts"][0]
    assert event["article_id"] == 4 and event["reports"] == [4]
    assert event["last_reported_at"] == "2023-07-31T00:00:00+08:00"
    assert event["in_force"] is False
    _, out, _ = run(capsys, "ingest", str(fixtures_dir / SEED), "--db", db_url, "--json")
    assert json.loads(out)["alerts_new"] == 0


def test_parse_explain_prints_each_line_with_its_label(capsys, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"  # no date in the name: --explain needs none
    page.write_text(
        "今日16版\n\n区十七届人大常委会举行第十三次会议\n\n"
        "本报讯(记者 周珂)28日,区十七届人大常委会举行第十三次会议。"
        "会议听取了有关报告,审议了相关事项。\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "parse", str(page), "--explain")
    assert code == 0
    rows = [line.split(maxsplit=2) for line in out.splitlines()]
    assert [(number, label) for number, label, _ in rows] == [
        ("1", "ear"),
        ("3", "title"),
        ("5", "body"),
    ]
    assert rows[1][2] == "区十七届人大常委会举行第十三次会议"
    code, out, _ = run(capsys, "parse", str(page), "--explain", "--json")
    assert code == 0
    assert json.loads(out)["lines"][1] == {
        "line": 3,
        "label": "title",
        "text": "区十七届人大常委会举行第十三次会议",
    }
