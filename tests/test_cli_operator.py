"""The operator's contract beyond single commands: ``--version``, ``--json`` meaning JSON on
every command that takes it (and refused where it makes no sense), bad ``--db`` URLs as usage
errors, and the version in the admins' /status."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.text.section_labels import read_labels
from bot.version import package_version

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "fixtures" / "xsrb-2023-07-31-01.txt"
# What each command needs besides --db and --json to print its JSON. A new command that takes
# --json must be added here (or to NO_JSON, with a reason) — that is the point of the test.
JSON_ARGV: dict[str, list[str]] = {
    "quickstart": ["quickstart", "--no-chat"],
    "ingest": ["ingest", str(SEED)],
    "parse": ["parse", str(SEED)],
    "show": ["show", "1"],
    "search": ["search", "台风"],
    "reindex": ["reindex"],
    "sections": ["sections"],
    "section": ["section", "时政"],
    "section-set": ["section-set", "1", "经济"],
    "alerts": ["alerts", "--all"],
    "status": ["status"],
    "digest": ["digest", "--preview"],
    "db upgrade": ["db", "upgrade"],
    "db optimize": ["db", "optimize"],
    "db copy": ["db", "copy", "--to", "sqlite:///{tmp}/copy.db"],  # {tmp}: the test's tmp_path
    "doctor": ["doctor", "--only", "database,migrations,lock,search_index"],
    # Nothing listens on the discard port: the poll reports the source's error, still as JSON.
    "sources add": ["sources", "add", "http://127.0.0.1:9/feed.xml", "--kind", "feed"],
    "sources list": ["sources", "list"],
    "sources poll": ["sources", "poll"],
    "sources remove": ["sources", "remove", "1"],
}
NO_JSON = {"run", "chat"}  # they talk (the bot, the terminal chat); they print no result


def _commands_taking_json(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _commands_taking_json(sub, f"{prefix}{name} ")
        elif "--json" in action.option_strings:
            found.add(prefix.strip())
    return found


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ops.db'}"


def test_version_comes_from_the_package_metadata(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"newsbrief {package_version()}\n"
    assert package_version() != "unknown"  # installed (editable) in every test venv


def test_every_command_with_json_prints_json(capsys, db_url: str, tmp_path: Path) -> None:
    assert _commands_taking_json(build_parser()) == set(JSON_ARGV) | NO_JSON
    for name in ("quickstart", *sorted(set(JSON_ARGV) - {"quickstart"})):  # data first
        argv = [arg.replace("{tmp}", str(tmp_path)) for arg in JSON_ARGV[name]]
        code, out, err = run(capsys, *argv, "--db", db_url, "--json")
        assert code == 0, (name, err)
        assert out.count("\n") == 1, f"{name}: one JSON document, one line: {out!r}"
        json.loads(out)


def test_every_command_is_documented_for_the_operator() -> None:
    """Each command is named ("newsbrief CMD …") in docs/cli.md or the README's command list:
    one the operator cannot read about is not there for them (``db optimize`` was in neither)."""
    documented = (REPO / "docs" / "cli.md").read_text("utf-8") + (REPO / "README.md").read_text(
        "utf-8"
    )
    commands = _commands_taking_json(build_parser()) | NO_JSON
    assert "db optimize" in commands
    assert sorted(name for name in commands if f"newsbrief {name}" not in documented) == []


def test_db_optimize_merges_the_sqlite_search_index(capsys, db_url: str) -> None:
    """``db optimize`` leaves one FTS5 segment per table, and the search finds what it found
    before (the merging itself: ``test_optimize_merges_the_index_and_finds_the_same``)."""
    assert run(capsys, "ingest", str(SEED), "--db", db_url, "--json")[0] == 0
    _, before, _ = run(capsys, "search", "台风", "--db", db_url, "--json")
    code, out, _ = run(capsys, "db", "optimize", "--db", db_url, "--json")
    report = json.loads(out)
    assert code == 0 and (report["segments_before"], report["segments_after"]) == (2, 2)
    _, after, _ = run(capsys, "search", "台风", "--db", db_url, "--json")
    assert json.loads(after)["results"] == json.loads(before)["results"] != []
    code, out, _ = run(capsys, "db", "optimize", "--db", db_url)
    assert code == 0 and out.startswith("search index merged from 2 segments into 2 in ")


def test_quickstart_and_db_upgrade_json_shapes(capsys, db_url: str) -> None:
    code, out, _ = run(capsys, "db", "upgrade", "--db", db_url, "--json")
    first = json.loads(out)
    assert code == 0 and first["from"] is None and first["upgraded"] is True
    assert first["to"] == first["head"] and first["database"].endswith("ops.db")
    code, out, _ = run(capsys, "db", "upgrade", "--db", db_url, "--json")
    again = json.loads(out)
    assert (again["from"], again["upgraded"]) == (first["to"], False)

    code, out, _ = run(capsys, "quickstart", "--no-chat", "--db", db_url, "--json")
    loaded = json.loads(out)
    assert code == 0 and loaded["sample"] == "xsrb-2023-07-31-01.txt"
    assert (loaded["files"], loaded["articles_new"], loaded["alerts_new"]) == (1, 6, 1)
    assert len(loaded["articles"]) == 6


@pytest.mark.parametrize("command", ["run", "chat"])
def test_run_and_chat_refuse_json(capsys, db_url: str, command: str) -> None:
    code, out, err = run(capsys, command, "--db", db_url, "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "prints no JSON" in err
    assert not Path(db_url.removeprefix("sqlite:///")).exists()  # nothing was opened


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "not a database URL"),
        ("mysql://u@h/db", "unsupported database"),
        ("sqlite:///", "names no database file"),
        ("sqlite://", "names no database file"),
    ],
)
def test_bad_db_url_is_a_usage_error(capsys, url: str, says: str) -> None:
    code, out, err = run(capsys, "sections", "--db", url, "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and says in err


def test_bad_database_url_setting_is_a_usage_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBRIEF_"))}
    env.update(PYTHONPATH=str(REPO), NEWSBRIEF_DATABASE_URL="sqlite:///")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "status"], capture_output=True, text=True, cwd=tmp_path,
        env=env, timeout=120, check=False,
    )
    assert result.returncode == 2 and "names no database file" in result.stderr
    assert "Traceback" not in result.stderr


def test_admins_see_the_version_in_status(tmp_path: Path) -> None:
    """``newsbrief chat`` runs the real handlers; its local user (id 1001) is made an admin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBRIEF_"))}
    env.update(PYTHONPATH=str(REPO), NEWSBRIEF_DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}")

    def chat(admin_ids: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "chat", "--lang", "en"], input="/status\n",
            capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
            env={**env, "NEWSBRIEF_ADMIN_IDS": admin_ids},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert f"Version: {package_version()}" in chat("1001")
    assert "Version:" not in chat("42")


def test_section_set_survives_reingest_and_is_exported(capsys, db_url: str, tmp_path: Path) -> None:
    """An operator's correction is kept (operator), survives loading the same page again, shows in
    `show --json` and is written by `sections export-labels` as a training line."""
    code, out, _ = run(capsys, "ingest", str(SEED), "--db", db_url, "--json")
    first = json.loads(out)["articles"][0]
    assert first["section_source"] == "model" and 0 < first["section_confidence"] <= 1
    assert first["section"] == "经济"
    code, out, _ = run(capsys, "section-set", str(first["id"]), "文体", "--db", db_url, "--json")
    assert code == 0
    assert json.loads(out) == {"id": first["id"], "section": "文体", "section_source": "operator"}
    run(capsys, "ingest", str(SEED), "--db", db_url, "--json")
    code, out, _ = run(capsys, "show", str(first["id"]), "--db", db_url, "--json")
    shown = json.loads(out)
    assert (shown["section"], shown["section_source"], shown["section_confidence"]) == (
        "文体", "operator", None)
    code, out, _ = run(
        capsys, "search", "新型工业化", "--section", "文体", "--db", db_url, "--json"
    )
    assert code == 0 and first["id"] in [hit["id"] for hit in json.loads(out)["results"]]
    labels = tmp_path / "labels.jsonl"
    code, out, _ = run(capsys, "sections", "export-labels", str(labels), "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["labels"] == 1
    [label] = read_labels(labels)  # what `section_training --labels` reads
    assert (label.id, label.title, label.section) == (str(first["id"]), first["title"], "文体")
    assert label.lead == shown["paragraphs"][0]


def test_section_set_refuses_unknown_article_and_section(capsys, db_url: str) -> None:
    run(capsys, "ingest", str(SEED), "--db", db_url, "--json")
    code, _, err = run(capsys, "section-set", "999", "经济", "--db", db_url)
    assert code == 1 and "no article with id 999" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["section-set", "1", "八卦", "--db", db_url])
    assert exit_info.value.code == 2 and "unknown section" in capsys.readouterr().err
    code, out, _ = run(capsys, "show", "1", "--db", db_url, "--json")
    assert json.loads(out)["section_source"] == "model"  # nothing changed


def test_parse_json_carries_section_source(capsys, tmp_path: Path) -> None:
    page = tmp_path / "xsrb-2023-07-31-02.txt"
    page.write_text("第02版：体育\n\n" + SEED.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, _ = run(capsys, "parse", str(page), "--json")
    articles = json.loads(out)["articles"]
    assert code == 0 and {(a["section"], a["section_source"]) for a in articles} == {
        ("文体", "page")}
    code, out, _ = run(capsys, "parse", str(SEED), "--json")
    assert {a["section_source"] for a in json.loads(out)["articles"]} == {"model"}
    code, out, _ = run(capsys, "ingest", str(page), "--db", f"sqlite:///{tmp_path / 'ear.db'}",
                       "--json")
    stored = json.loads(out)["articles"]
    assert code == 0 and {(a["section"], a["section_source"], a["section_confidence"])
                          for a in stored} == {("文体", "page", None)}
