"""The operator kit, tested as far as this machine allows without a container engine: the
Dockerfile's install steps (deploy/install.sh, deploy/warm.sh) run in a fresh venv, the
Dockerfile only runs those scripts, compose.yaml gives the bot what it needs, the systemd unit
passes ``systemd-analyze verify``, .env.example agrees with the README, and every relative link
in README.md and docs/*.md resolves inside the repository."""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from bot.app.doctor import CHECK_NAMES
from bot.config import Settings

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
INSTALL_TIMEOUT = 900


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for line in (REPO / "Dockerfile").read_text("utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        joined.append(pending + stripped)
        pending = ""
    result = []
    for text in joined:
        keyword, _, rest = text.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def dockerfile_healthcheck() -> list[str]:
    """The image's HEALTHCHECK command (exec form), e.g. ``["newsbrief", "doctor", …]``."""
    [health] = [args for keyword, args in _dockerfile_instructions() if keyword == "HEALTHCHECK"]
    return json.loads(health.split("CMD", 1)[1])


def _docker_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker matches it: against the whole path from the context's
    root (``*.db`` is only the root's), ``*`` and ``?`` within one path segment, ``**`` across
    any number of them (``**/*.db`` anywhere)."""
    pattern = pattern.strip("/")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
            i += 1
    return re.compile(out + r"\Z")


def _dockerignored(relative: Path) -> bool:
    """Whether Docker leaves ``relative`` (or the folder it is in) out of the build context."""
    patterns = [p.strip() for p in (REPO / ".dockerignore").read_text("utf-8").splitlines()
                if p.strip() and not p.strip().startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "teach _dockerignored exceptions"
    parts = relative.parts
    paths = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]  # it and its folders
    return any(_docker_pattern(p).match(path) for p in patterns for path in paths)


# --- the image's steps ------------------------------------------------------------------------


@pytest.mark.deploy
def test_install_and_warm_scripts_work_in_a_fresh_venv(tmp_path: Path) -> None:
    """What the Dockerfile's RUN steps do, on a copy of the build context (.dockerignore)."""
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        pytest.skip("this Python cannot create venvs with pip (no ensurepip); the image can")
    context = tmp_path / "src"
    shutil.copytree(REPO, context, ignore=lambda folder, names: [
        name for name in names
        if _dockerignored((Path(folder) / name).relative_to(REPO))
    ])
    assert not (context / ".git").exists() and (context / "deploy" / "install.sh").is_file()
    venv = tmp_path / "venv"
    env = {**os.environ, "PYTHON": sys.executable, "TMPDIR": str(tmp_path)}
    installed = subprocess.run(
        ["sh", str(context / "deploy" / "install.sh"), str(context), str(venv)],
        capture_output=True, text=True, env=env, timeout=INSTALL_TIMEOUT, check=False,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert installed.stdout.strip().endswith("newsbrief 0.1.0") or "newsbrief " in \
        installed.stdout
    warmed = subprocess.run(["sh", str(context / "deploy" / "warm.sh"), str(venv)],
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    assert warmed.returncode == 0, warmed.stderr[-3000:]
    assert "newsbrief warmed" in warmed.stdout
    assert (tmp_path / "jieba.cache").is_file()  # the cache the image keeps

    # The installed program works on its own, outside the checkout.
    work = tmp_path / "data"
    work.mkdir()
    clean = {k: v for k, v in env.items() if not k.startswith(("TELEGRAM_", "NEWSBRIEF_"))}
    clean.pop("PYTHONPATH", None)
    loaded = subprocess.run(
        [str(venv / "bin" / "newsbrief"), "quickstart", "--no-chat", "--json"], cwd=work,
        capture_output=True, text=True, env=clean, timeout=300, check=False,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert json.loads(loaded.stdout)["articles_new"] == 6
    health = subprocess.run(
        [str(venv / "bin" / "newsbrief"), "doctor", "--json", "--only",
         "settings,timezone,database,migrations,lock,search_index"],
        cwd=work, capture_output=True, text=True, env=clean, timeout=300, check=False,
    )
    assert health.returncode == 0, health.stdout + health.stderr[-3000:]


def test_dockerfile_only_runs_the_tested_scripts() -> None:
    steps = _dockerfile_instructions()
    runs = [args for keyword, args in steps if keyword == "RUN"]
    assert "sh /src/deploy/install.sh /src /opt/newsbrief" in runs
    assert "sh /opt/newsbrief/warm.sh /opt/newsbrief" in runs
    for args in runs:  # installing and warming live in the scripts, which CI runs
        assert not re.search(r"\b(pip|python3?)\b", args), f"move this into deploy/: {args}"
    assert ("COPY", "deploy/warm.sh /opt/newsbrief/warm.sh") in steps


def test_dockerfile_image_shape() -> None:
    steps = _dockerfile_instructions()
    keywords = [keyword for keyword, _ in steps]
    bases = [args for keyword, args in steps if keyword == "FROM"]
    assert bases and all(re.match(r"python:3\.(1[1-9])-slim", base) for base in bases)
    [user] = [args for keyword, args in steps if keyword == "USER"]
    assert user not in ("root", "0")
    # non-root before warming (jieba's cache must belong to the bot's user) and before CMD
    user_at = keywords.index("USER")
    warm_at = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "warm.sh" in a)
    assert user_at < warm_at < keywords.index("CMD")
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert "NEWSBRIEF_DATABASE_URL=sqlite:////data/" in env
    assert ("VOLUME", '["/data"]') in steps
    command = dockerfile_healthcheck()  # run against a live bot in tests/e2e/test_doctor.py
    assert command[:2] == ["newsbrief", "doctor"] and "--running" in command
    assert set(command[command.index("--only") + 1].split(",")) <= set(CHECK_NAMES)
    [cmd] = [args for keyword, args in steps if keyword == "CMD"]
    assert json.loads(cmd) == ["newsbrief", "run"]


def test_dockerignore_keeps_secrets_and_databases_out_of_the_image() -> None:
    # Docker anchors a pattern at the context's root: a database or a .env kept in a folder of
    # the checkout needs **/ to stay out of the build context (and the build cache).
    for name in (".env", "newsbrief.db", "newsbrief.db.bot.lock", "newsbrief.db-wal", ".git",
                 ".venv/bin/python", "bot/__pycache__/cli.cpython-311.pyc", "deploy/.env",
                 "data/newsbrief.db", "data/newsbrief.db-wal", "data/newsbrief.db.bot.lock"):
        assert _dockerignored(Path(name)), name
    for name in ("bot/cli.py", "deploy/install.sh", "pyproject.toml", "README.md",
                 "bot/samples/xsrb-2023-07-31-01.txt", ".env.example", "bot/text/data"):
        assert not _dockerignored(Path(name)), name


def test_the_dockerignore_model_matches_like_docker() -> None:
    assert _docker_pattern("*.db").match("newsbrief.db")
    assert not _docker_pattern("*.db").match("data/newsbrief.db")  # root only, as in Docker
    assert _docker_pattern("**/*.db").match("data/x/newsbrief.db")
    assert _docker_pattern("**/*.db").match("newsbrief.db")
    assert not _docker_pattern("build").match("bot/build")


# --- compose ----------------------------------------------------------------------------------


def test_compose_gives_the_bot_postgres_and_waits_for_it() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    assert set(services) >= {"bot", "postgres"}
    postgres, bot = services["postgres"], services["bot"]

    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    pg_env = postgres["environment"]
    data_volume = postgres["volumes"][0].split(":")[0]
    assert data_volume in compose["volumes"]  # a named volume, not a bind mount

    assert bot["build"] == "." and bot["restart"] == "unless-stopped"
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = bot["environment"]["NEWSBRIEF_DATABASE_URL"]
    match = re.fullmatch(r"postgresql://([^:@]+):([^@]+)@postgres:5432/(\w+)", url)
    assert match, url
    assert match.group(1) == pg_env["POSTGRES_USER"] and match.group(3) == pg_env["POSTGRES_DB"]
    assert match.group(2) == pg_env["POSTGRES_PASSWORD"]  # the same ${POSTGRES_PASSWORD:-…}
    assert bot["env_file"] == ".env"  # TELEGRAM_BOT_TOKEN and the rest, from .env.example
    bot_volume = bot["volumes"][0]
    assert bot_volume.split(":")[0] in compose["volumes"] and bot_volume.endswith(":/data")
    assert bot["environment"]["NEWSBRIEF_INBOX"].startswith("/data/")


# --- systemd ----------------------------------------------------------------------------------


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "newsbrief.service").read_text("utf-8"))
    return parser


def test_systemd_unit_is_hardened_and_restarts_on_failure() -> None:
    service = _unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"].startswith("/etc/newsbrief/")
    assert service["User"] == "newsbrief" and service["StateDirectory"] == "newsbrief"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["WorkingDirectory"] == "/var/lib/newsbrief"  # the state directory
    exec_start = shlex.split(service["ExecStart"])
    assert exec_start[0].endswith("/bin/newsbrief") and exec_start[1:] == ["run"]
    assert shlex.split(service["ExecStartPre"])[1:] == ["db", "upgrade"]


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here; the unit's keys are checked above")
    # The unit names /opt/newsbrief; point it at this venv, where bin/newsbrief exists.
    unit = tmp_path / "newsbrief.service"
    unit.write_text((DEPLOY / "newsbrief.service").read_text("utf-8")
                    .replace("/opt/newsbrief", sys.prefix), "utf-8")
    assert (Path(sys.prefix) / "bin" / "newsbrief").exists()
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    # verify only warns (exit 0) about unknown keys and bad values: any output is a failure
    assert result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr


# --- settings, licence, links -----------------------------------------------------------------


def _readme_settings() -> set[str]:
    readme = (REPO / "README.md").read_text("utf-8")
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))


def test_env_example_has_every_readme_setting_and_nothing_else() -> None:
    example = (REPO / ".env.example").read_text("utf-8")
    listed = set(re.findall(r"^(?:# )?((?:NEWSBRIEF|TELEGRAM)_[A-Z0-9_]+)=", example,
                            flags=re.MULTILINE))
    assert len(_readme_settings()) >= 13
    assert listed == _readme_settings()


# Read by the program but no setting of the bot (not from .env, not in .env.example): the
# terminal chat's input history file, documented with `newsbrief chat` in docs/cli.md.
CLIENT_ONLY_VARIABLES = {"NEWSBRIEF_CHAT_HISTORY"}


def test_readme_table_has_every_setting_the_code_reads() -> None:
    """Every NEWSBRIEF_*/TELEGRAM_* name anywhere in the program, not only in bot/config.py."""
    read: set[str] = set()
    for package in ("bot", "handlers", "storage"):
        for source in (REPO / package).rglob("*.py"):
            read |= set(re.findall(r"[\"']((?:NEWSBRIEF|TELEGRAM)_[A-Z0-9_]+)[\"']",
                                   source.read_text("utf-8")))
    assert {"NEWSBRIEF_DATABASE_URL", "NEWSBRIEF_SECTION_PAGES"} <= read
    assert read - CLIENT_ONLY_VARIABLES <= _readme_settings()
    cli = (REPO / "docs" / "cli.md").read_text("utf-8")
    assert all(f"`{name}`" in cli for name in CLIENT_ONLY_VARIABLES)


def test_env_example_as_is_gives_the_defaults() -> None:
    settings = Settings.from_env({}, env_file=REPO / ".env.example")
    assert settings == Settings()


def test_gitignore_keeps_the_env_file_and_the_lock_out() -> None:
    patterns = [line.strip() for line in (REPO / ".gitignore").read_text("utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    for name in (".env", "newsbrief.db", "newsbrief.db.bot.lock"):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    assert not any(fnmatch.fnmatch(".env.example", pattern) for pattern in patterns)


def test_licence_is_the_mit_text_pyproject_names() -> None:
    licence = (REPO / "LICENSE").read_text("utf-8")
    assert licence.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in licence
    assert 'license = { text = "MIT" }' in (REPO / "pyproject.toml").read_text("utf-8")


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def broken_links(documents: list[Path], root: Path) -> tuple[int, list[str]]:
    """(relative links checked, those not resolving to an existing path inside ``root``)."""
    checked, broken = 0, []
    for document in documents:
        for target in LINK.findall(document.read_text("utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # https:, mailto:, in-page anchors
            path = (document.parent / unquote(target.split("#", 1)[0])).resolve()
            checked += 1
            if not path.is_relative_to(root) or not path.exists():
                broken.append(f"{document.relative_to(root)}: {target}")
    return checked, broken


def test_readme_and_docs_link_only_files_in_the_repository() -> None:
    documents = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    checked, broken = broken_links(documents, REPO)
    assert not broken, "links that do not resolve inside the repository:\n" + "\n".join(broken)
    assert checked >= 5  # the README links its docs; guard against a regex that finds nothing


def test_every_doctor_check_is_documented() -> None:
    """docs/operations.md's table and docs/cli.md's JSON contract name each check, in order."""
    table = re.findall(r"^\| `([a-z_]+)` \|", (REPO / "docs" / "operations.md").read_text("utf-8"),
                       flags=re.MULTILINE)
    assert [name for name in table if name in CHECK_NAMES] == list(CHECK_NAMES)
    cli = (REPO / "docs" / "cli.md").read_text("utf-8")
    contract = cli[cli.index("`newsbrief doctor [--json]"):]
    named = [name for name in re.findall(r"`([a-z_]+)`", contract) if name in CHECK_NAMES]
    assert list(dict.fromkeys(named)) == list(CHECK_NAMES)


def test_link_checker_finds_dead_and_outside_links(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("here", "utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/a.md#top) [web](https://t.me/BotFather) [anchor](#deploy) ![img](x.png)\n"
        "[dead](docs/missing.md) [outside](../shared/data/MANIFEST.md)\n", "utf-8")
    assert broken_links([readme], tmp_path) == (
        3, ["README.md: docs/missing.md", "README.md: ../shared/data/MANIFEST.md"]
    )
