"""``newsbrief chat`` answers a piped script exactly as the Telegram bot would, buttons included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "tests" / "fixtures" / "xsrb-2023-07-31-01.txt"


def _cli(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBRIEF_"))}
    env.update(PYTHONPATH=str(REPO), NEWSBRIEF_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=tmp_path, timeout=120, check=False,
    )


def test_piped_script_gets_the_bots_answers(tmp_path: Path) -> None:
    assert _cli(["ingest", str(PAGE)], tmp_path).returncode == 0
    script = "/start\n/search 颱風\n#1\n/sections\n#2\n#99\n/section 经济\n/quit\n/never-read\n"
    result = _cli(["chat"], tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "#N presses button N" in out  # the hint
    assert "you ▸ /search 颱風" in out
    assert "【“颱風”】 共 1 条结果" in out and "【台风】" in out  # traditional finds it, bold kept
    assert "[1] 1. 我区启动防台风Ⅳ级应急响应" in out
    assert "区防指决定昨日20时30分启动防台风Ⅳ级应急响应" in out  # #1 opened the article
    assert "[2] 经济（1）" in out and "【经济】 共 1 篇" in out
    assert "(no button 99 on the last message)" in out
    assert "/never-read" not in out


def test_traditional_reader_in_the_terminal(tmp_path: Path) -> None:
    assert _cli(["ingest", str(PAGE)], tmp_path).returncode == 0
    result = _cli(["chat", "--lang", "zh-hk"], tmp_path, "/today\n")
    assert result.returncode == 0, result.stderr
    assert "我區啓動防颱風Ⅳ級應急響應" in result.stdout or "我區啟動防颱風Ⅳ級應急響應" in \
        result.stdout
