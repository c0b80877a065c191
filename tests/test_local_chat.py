"""``newsbrief chat`` answers a piped script exactly as the Telegram bot would, buttons included."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBRIEF_"))}
    env.update(PYTHONPATH=str(REPO), NEWSBRIEF_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
               NEWSBRIEF_CHAT_HISTORY=str(tmp_path / "history"), **extra)
    return env


def test_greets_the_local_user_by_name_and_answers_unknown_commands(tmp_path: Path) -> None:
    env = _env(tmp_path, USER="ada")
    script = "/start\n/foo\n/language\n/subscribe @mychannel\n/settings @mychannel\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"], input=script, capture_output=True, text=True,
        env=env, cwd=tmp_path, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "你好，ada！" in out and "你好，You！" not in out
    assert "没有 /foo 这个命令" in out and "/help" in out
    assert "回复语言" in out and "[3] English" in out
    # channels don't exist here: a clear refusal, no traceback, no "something went wrong"
    assert out.count("找不到频道 @mychannel") == 2
    assert "出了点问题" not in out and "Traceback" not in result.stderr


def test_inline_queries_and_share_buttons_in_the_terminal(tmp_path: Path) -> None:
    assert _cli(["ingest", str(PAGE)], tmp_path).returncode == 0
    script = "@newsbrief_bot 台风\n/search 应急响应\n#1\n#1\n"
    out = _cli(["chat"], tmp_path, script).stdout
    assert "inline ▸ @newsbrief_bot 台风 — 1 result(s)" in out
    assert "1. 我区启动防台风Ⅳ级应急响应 — " in out
    link = re.search(r"https://t\.me/newsbrief_bot\?start=(a_\d+_[A-Za-z0-9_-]+)", out)
    assert link and "[1] ↗ 分享到其他聊天" in out
    assert f"inline ▸ @newsbrief_bot {link.group(1)} — 1 result(s)" in out  # the share button


def test_today_section_button_lists_exactly_that_editions_articles(tmp_path: Path) -> None:
    """/today's "时政 全部 N 篇" opens that edition's N articles, not the section's archive."""
    today = [{"title": f"区里开会研究第{n}项工作", "body": f"第{n}项工作会议召开。",
              "date": "2023-08-01", "section": "时政"} for n in range(1, 13)]
    older = [{"title": f"往期时政第{n}篇", "body": "往期会议。", "date": "2023-07-20",
              "section": "时政"} for n in range(1, 8)]
    extra = tmp_path / "politics.jsonl"
    extra.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in today + older) + "\n",
                     encoding="utf-8")
    assert _cli(["ingest", str(PAGE), str(extra)], tmp_path).returncode == 0
    script = "/today\n#9\n#6\n#7\n"
    out = _cli(["chat"], tmp_path, script).stdout
    shown = re.search(r"\[9\] 时政 全部 (\d+) 篇 ▶", out)
    assert shown, out
    assert "【时政】 2023年8月1日 这一期共 12 篇 · 第 1/3 页" in out
    listed = set(re.findall(r"区里开会研究第(\d+)项工作", out.split("这一期共", 1)[1]))
    assert int(shown.group(1)) == 12 == len(listed)
    assert "往期时政" not in out.split("这一期共", 1)[1]
    assert "第 3/3 页" in out


def test_teaser_opens_the_article_it_announces_or_says_what_it_is(tmp_path: Path) -> None:
    assert _cli(["ingest", str(PAGE)], tmp_path).returncode == 0
    out = _cli(["chat"], tmp_path, "/today\n#4\n").stdout
    assert "4. 〔导读〕按下“提速键”我区提前超额完成加梯任务" in out
    assert "是萧山日报 2023年7月31日 头版的导读" in out and "还没有载入" in out

    page = tmp_path / "page5.jsonl"
    page.write_text(json.dumps({
        "title": "按下“提速键”我区提前超额完成加梯任务", "date": "2023-07-31", "section": "社会",
        "body": "今年以来，我区加装电梯工作按下“提速键”，提前超额完成全年任务。",
    }, ensure_ascii=False) + "\n", encoding="utf-8")
    assert _cli(["ingest", str(page)], tmp_path).returncode == 0
    out = _cli(["chat"], tmp_path, "/search 提速键\n#1\n").stdout
    assert "提前超额完成全年任务" in out and "还没有载入" not in out


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str],
                      timeout: float = 60.0) -> None:
    async def scan() -> None:
        while marker not in "".join(seen):
            chunk = await stream.read(4096)
            if not chunk:
                raise AssertionError(f"output ended before {marker!r}:\n{''.join(seen)}")
            seen.append(chunk.decode("utf-8", errors="replace"))

    await asyncio.wait_for(scan(), timeout)


async def test_pushes_appear_in_the_terminal_marked_as_pushes(tmp_path: Path) -> None:
    """`newsbrief chat` runs the sender, the watch scheduler and the inbox pass of `run`."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert _cli(["ingest", str(PAGE)], tmp_path).returncode == 0
    env = _env(tmp_path, NEWSBRIEF_INBOX=str(inbox), NEWSBRIEF_INBOX_POLL_SECONDS="0.5")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    seen: list[str] = []
    try:
        process.stdin.write("/watch 台风\n".encode())
        await process.stdin.drain()
        await _read_until(process.stdout, "台风", seen)
        await _read_until(process.stdout, "you ▸ /watch 台风\nbot ▸", seen)
        dropped = inbox / "news.jsonl"
        dropped.write_text(json.dumps({
            "title": "台风“杜苏芮”逼近 我区部署防御", "date": "2023-08-01", "section": "应急",
            "body": "台风“杜苏芮”逐渐逼近，区防指部署防御工作。",
        }, ensure_ascii=False) + "\n", encoding="utf-8")
        os.utime(dropped, (time.time() - 600, time.time() - 600))  # settled already
        await _read_until(process.stdout, "bot (push) ▸", seen)
        await _read_until(process.stdout, "逼近 我区部署防御", seen)
        process.stdin.close()
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _ctrl_c_as_at_a_terminal() -> None:
    """A harness that runs the suite may ignore SIGINT (nohup, a benchmark runner), and a child
    inherits that: Python then installs no Ctrl-C handler at all. At a terminal it is the
    default, which is what this test is about."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def test_ctrl_c_ends_cleanly_with_0(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", env=_env(tmp_path), cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, preexec_fn=_ctrl_c_as_at_a_terminal,
    )
    assert process.stdout is not None
    try:
        await _read_until(process.stdout, "#N presses button N", [])
        process.send_signal(signal.SIGINT)  # no Enter follows: it must not wait for one
        try:
            # Read both pipes while waiting: a full pipe would block the process's shutdown.
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
        except TimeoutError:
            process.kill()
            _, stderr = await process.communicate()
            pytest.fail("still running 60 s after Ctrl-C; its log:\n"
                        + stderr.decode(errors="replace")[-3000:])
        assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_terminal_has_line_editing_and_history(tmp_path: Path) -> None:
    """In a terminal, ↑ recalls the last line (readline), no ^[[A; history survives the session."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"], env=_env(tmp_path, TERM="xterm"), cwd=tmp_path,
        stdin=slave, stdout=slave, stderr=subprocess.DEVNULL, close_fds=True,
    )
    os.close(slave)
    seen = b""

    def read_until(marker: bytes, count: int = 1, timeout: float = 60.0) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while seen.count(marker) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {marker!r} x{count} in {seen.decode(errors='replace')}")
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break

    try:
        read_until("you ▸ ".encode())
        os.write(master, b"/ping\r")
        read_until(b"pong")
        read_until("you ▸ ".encode(), 2)
        os.write(master, b"\x1b[A\r")  # arrow up, Enter: /ping again
        read_until(b"pong", 2)
        assert b"^[[A" not in seen
        read_until("you ▸ ".encode(), 3)
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert "/ping" in (tmp_path / "history").read_text(encoding="utf-8")
