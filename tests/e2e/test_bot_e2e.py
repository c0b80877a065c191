"""The real ``newsbrief run`` process against the fake Bot API: what readers see, end to end.

Each test starts ``python -m bot run`` as a subprocess pointed at the fake server (polling or
webhook), converses as users would, and waits on the fake's events (never sleeps).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fake_bot_api import TELEGRAM_TEXT_LIMIT, FakeBotApi, StoredMessage, User, utf16_len

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PAGE = REPO / "tests" / "fixtures" / "xsrb-2023-07-31-01.txt"
START_TIMEOUT = 90.0  # interpreter, PTB, jieba and the section model, on a slow CI machine
STEP_TIMEOUT = 15.0
EXPIRED_EN = "This button has expired. Please search again or reopen the section."

HOSTILE_TITLE = "<script>alert('x')</script> 恶意标题 & <b>粗体</b>"
HOSTILE_BODY = "正文里有 <b>标签</b>、&amp; 和 a<b>c 的比较。</i>还有 &lt; 原样。"
LONG_TITLE = "超长文章测试"
LONG_SENTENCE = "萧山区今年持续推进城乡现代社区建设，居民生活品质不断提升，各项民生实事扎实落地。"


def _extra_articles() -> list[dict[str, Any]]:
    """Articles the page fixture lacks: more typhoon news (two pages of results), hostile HTML,
    and an article far longer than one Telegram message."""
    typhoon = [
        {
            "title": f"台风“杜苏芮”防御通报第{n}号",
            "body": f"区防指发布第{n}号通报。台风“杜苏芮”逐渐靠近，请市民注意防范。\n做好准备。",
            "date": "2023-07-30",
            "section": "应急",
        }
        for n in range(1, 8)
    ]
    hostile = {"title": HOSTILE_TITLE, "body": HOSTILE_BODY, "date": "2023-07-29",
               "section": "社会"}
    long = {
        "title": LONG_TITLE,
        "body": "\n".join(f"第{n}段。" + LONG_SENTENCE * 12 for n in range(1, 31)),
        "date": "2023-07-29",
        "section": "社会",
    }
    return [*typhoon, hostile, long]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def terminate(self, timeout: float = 30.0) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)


def _env(fake_bot_env: dict[str, str], db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(fake_bot_env)
    env.update(
        NEWSBRIEF_DATABASE_URL=db_url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        NEWSBRIEF_LOG_LEVEL="INFO",
    )
    return env


async def _run_cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def bot_db(tmp_path: Path, fake_bot_env: dict[str, str], e2e_database_url: str) -> str:
    """A database (SQLite, PostgreSQL) loaded through the CLI: the seed page plus the extra
    articles."""
    extra = tmp_path / "extra-2023-07-30.jsonl"
    extra.write_text(
        "\n".join(json.dumps(a, ensure_ascii=False) for a in _extra_articles()) + "\n",
        encoding="utf-8",
    )
    url = e2e_database_url
    code, _, err = await _run_cli(
        ["ingest", str(FIXTURE_PAGE), str(extra)], _env(fake_bot_env, url), tmp_path
    )
    assert code == 0, err
    return url


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeBotApi, env: dict[str, str], cwd: Path, *extra_args: str, name: str = "bot"
) -> AsyncIterator[BotProcess]:
    log_path = cwd / f"{name}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *extra_args, env=env, cwd=cwd,
            stdout=log, stderr=log,
        )
    bot = BotProcess(process, log_path)
    try:
        # Ready = polling or a webhook set (after warm-up and menus); or the process died trying.
        ready = asyncio.ensure_future(
            fake.wait_for(
                lambda: fake.active_polls > 0 or fake._webhook is not None,
                START_TIMEOUT, "the bot to poll or set its webhook",
            )
        )
        died = asyncio.ensure_future(process.wait())
        await asyncio.wait({ready, died}, return_when=asyncio.FIRST_COMPLETED)
        died.cancel()
        if not ready.done():
            ready.cancel()
            pytest.fail(f"newsbrief run exited with {process.returncode}:\n{bot.log}")
        ready.result()
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


class Conversation:
    """One user in one chat: say something, get the bot's new messages."""

    def __init__(self, fake: FakeBotApi, user: User, chat: Any) -> None:
        self.fake, self.user, self.chat = fake, user, chat

    def _bot_messages(self) -> list[StoredMessage]:
        return self.fake.messages_in(self.chat, include_deleted=True, from_bot=True)

    async def say(self, text: str, replies: int = 1) -> list[StoredMessage]:
        before = len(self._bot_messages())
        self.fake.send_text(self.user, self.chat, text)
        found = await self.fake.wait_for_messages(self.chat, before + replies, STEP_TIMEOUT)
        return found[before:]

    async def say_ignored(self, text: str) -> None:
        """Send ``text``, then /ping: updates are handled in order, so once pong is here the
        first message was handled too — and must have produced nothing."""
        before = len(self._bot_messages())
        self.fake.send_text(self.user, self.chat, text)
        new = await self.say("/ping")
        assert len(self._bot_messages()) == before + 1, f"the bot answered {text!r}"
        assert new[0].text == "pong"

    async def press(self, message: StoredMessage, *, label: str | None = None,
                    data: str | None = None, replies: int = 0) -> Any:
        before = len(self._bot_messages())
        edits = len(message.edits)
        update = self.fake.press_button(self.user, message, data, text=label)
        answer = await self.fake.wait_for_callback_answer(update, STEP_TIMEOUT)
        if replies:
            await self.fake.wait_for_messages(self.chat, before + replies, STEP_TIMEOUT)
        return answer, edits

    async def press_and_wait_edit(self, message: StoredMessage, label: str) -> StoredMessage:
        _, edits = await self.press(message, label=label)
        await self.fake.wait_for(lambda: len(message.edits) > edits, STEP_TIMEOUT, "an edit")
        return message

    async def press_for_messages(self, message: StoredMessage, label: str,
                                 replies: int) -> list[StoredMessage]:
        before = len(self._bot_messages())
        await self.press(message, label=label, replies=replies)
        return self._bot_messages()[before:]


def _labels(message: StoredMessage) -> list[str]:
    return [button["text"] for button in message.buttons]


def _tamper(message: StoredMessage, data: str) -> None:
    """Rewrite the first button's data, as a modified client could."""
    message.data["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = data


def _bold(message: StoredMessage) -> list[str]:
    text = message.text or ""
    return [
        text[e["offset"] : e["offset"] + e["length"]]  # BMP-only text in these tests
        for e in message.entities if e["type"] == "bold"
    ]


# ------------------------------------------------------------------------------------- scenarios


async def _private_zh_hans(fake: FakeBotApi) -> None:
    user = fake.add_user("小明", language_code="zh-hans")
    talk = Conversation(fake, user, fake.private_chat(user))

    (welcome,) = await talk.say("/start")
    assert "萧山日报" in (welcome.text or "") and "/search" in (welcome.text or "")

    (helped,) = await talk.say("/help")
    for command in ("/today", "/sections", "/section", "/search", "/help"):
        assert command in (helped.text or "")
    assert "/status" not in (helped.text or "") and "/ping" not in (helped.text or "")

    (today,) = await talk.say("/today")
    assert "2023年7月31日" in (today.text or "") and "【应急】" in (today.text or "")
    assert "我区启动防台风Ⅳ级应急响应" in (today.text or "")
    opened = await talk.press_for_messages(today, "1", replies=1)
    assert "本报讯" in (opened[0].text or "") or "会议" in (opened[0].text or "")

    (menu,) = await talk.say("/sections")
    assert "经济（1）" in _labels(menu) and "应急（8）" in _labels(menu)
    (section,) = await talk.press_for_messages(menu, "应急（8）", replies=1)
    assert "共 8 篇" in (section.text or "") and "下一页 ▶" in _labels(section)
    await talk.press_and_wait_edit(section, "下一页 ▶")
    assert "第 2/2 页" in (section.text or "") and "◀ 上一页" in _labels(section)

    # search: five results a message, matches in bold, paging edits in place
    (results,) = await talk.say("/search 台风")
    assert "共 8 条结果" in (results.text or "") and "第 1/2 页" in (results.text or "")
    assert "台风" in _bold(results)
    assert sum(1 for label in _labels(results) if label[0].isdigit()) == 5
    page_one = results.text
    await talk.press_and_wait_edit(results, "下一页 ▶")
    assert "第 2/2 页" in (results.text or "") and "6. " in (results.text or "")
    await talk.press_and_wait_edit(results, "◀ 上一页")
    assert results.text == page_one

    # plain text in a private chat is a search
    (plain,) = await talk.say("经开")
    assert "结果" in (plain.text or "") or "没有找到" in (plain.text or "")

    # The seed page is from 2023: its response is not shown as in force, only as last reported.
    (nothing, stale) = await talk.say("/alerts", replies=2)
    assert "没有正在生效" in (nothing.text or "")
    assert "最近报道于2023年7月31日，此后没有新的报道" in (stale.text or "")
    assert "萧山区防指启动防台风Ⅳ级应急响应" in (stale.text or "")
    assert "💡" not in (stale.text or "")
    (report,) = await talk.press_for_messages(stale, "📰 1", replies=1)
    assert "我区启动防台风Ⅳ级应急响应" in (report.text or "")

    (econ,) = await talk.say("/section econ")
    assert "【经济】" in (econ.text or "")
    (unknown,) = await talk.say("/section 不存在")
    assert "没有叫" in (unknown.text or "")
    (deep,) = await talk.say("/start sec_econ")
    assert deep.text == econ.text

    # hostile article text arrives as literal text, not markup
    (hostile,) = await talk.say("/search 恶意标题")
    assert "<script>alert('x')</script>" in (hostile.text or "")
    label = next(label for label in _labels(hostile) if label.startswith("1."))
    (article,) = await talk.press_for_messages(hostile, label, replies=1)
    assert HOSTILE_TITLE in (article.text or "") and HOSTILE_BODY in (article.text or "")
    assert _bold(article)[0] == HOSTILE_TITLE

    # a long article comes in several messages, each within Telegram's limit, nothing lost
    (found,) = await talk.say(f"/search {LONG_TITLE}")
    label = next(label for label in _labels(found) if label.startswith("1."))
    before = len(talk._bot_messages())
    await talk.press(found, label=label, replies=1)

    def all_parts() -> list[StoredMessage]:
        sent = talk._bot_messages()[before:]
        last = re.search(r"（(\d+)/(\d+)）$", sent[-1].text or "") if sent else None
        return sent if last and last.group(1) == last.group(2) else []

    parts = await fake.wait_for(all_parts, STEP_TIMEOUT, "every part of the long article")
    assert len(parts) >= 3
    assert all(utf16_len(p.text or "") <= TELEGRAM_TEXT_LIMIT for p in parts)
    joined = "".join(p.text or "" for p in parts)
    assert joined.count(LONG_SENTENCE) == 30 * 12
    assert parts[0].text and parts[0].text.startswith(LONG_TITLE)


async def _private_zh_hant(fake: FakeBotApi) -> None:
    user = fake.add_user("阿美", language_code="zh-tw")
    talk = Conversation(fake, user, fake.private_chat(user))
    (welcome,) = await talk.say("/start")
    assert "簡報機器人" in (welcome.text or "")
    (results,) = await talk.say("/search 颱風")
    assert "共 8 條結果" in (results.text or "")
    assert "颱風" in (results.text or "") and "台风" not in (results.text or "")
    (menu,) = await talk.say("/sections")
    assert "經濟（1）" in _labels(menu)
    (section,) = await talk.say("/section 經濟")
    assert "【經濟】" in (section.text or "") and "製造業" in (section.text or "")


async def _private_en(fake: FakeBotApi) -> None:
    user = fake.add_user("Ann", language_code="en")
    talk = Conversation(fake, user, fake.private_chat(user))
    (welcome,) = await talk.say("/start")
    assert "briefing bot" in (welcome.text or "")
    (results,) = await talk.say("/search 台风")
    assert "8 result(s)" in (results.text or "") and "Next ▶" in _labels(results)

    for data in ("a:1:AAAAAA", "p:0:=AAAA:zzzzzz", "s:econ:0", "junk", "a" * 64):
        _tamper(results, data)
        answer, _ = await talk.press(results, data=data)
        assert answer.text == EXPIRED_EN
    (still,) = await talk.say("/ping")
    assert still.text == "pong"  # the bot is alive and said nothing else


async def _group(fake: FakeBotApi) -> None:
    alice = fake.add_user("Alice", language_code="zh-hans")
    group = fake.add_group("萧山读者群", members=[alice])
    talk = Conversation(fake, alice, group)
    (today,) = await talk.say("/today@newsbrief_test_bot")
    assert "2023年7月31日" in (today.text or "")
    (results,) = await talk.say("/search 台风")
    assert "共 8 条结果" in (results.text or "")
    await talk.press_and_wait_edit(results, "下一页 ▶")
    assert "第 2/2 页" in (results.text or "")
    await talk.say_ignored("/today@otherbot")  # privacy mode: not even delivered
    await talk.say_ignored("台风来了吗")

    # where the bot is an admin it sees everything, and must still ignore what isn't for it
    admin_group = fake.add_group("管理群", members=[alice], bot_status="administrator")
    loud = Conversation(fake, alice, admin_group)
    await loud.say_ignored("/today@otherbot")
    await loud.say_ignored("台风来了吗")
    (answered,) = await loud.say("/sections")
    assert "经济（1）" in _labels(answered)


# ------------------------------------------------------------------------------------------ tests


async def test_polling_bot_serves_every_kind_of_reader(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], bot_db: str, tmp_path: Path
) -> None:
    env = _env(fake_bot_env, bot_db)
    async with running_bot(fake_bot_api, env, tmp_path) as bot:
        assert fake_bot_api.commands() and fake_bot_api.commands(language_code="en")
        en_menu = fake_bot_api.commands({"type": "all_private_chats"}, "en") or []
        assert {"command": "search", "description": "Search articles, e.g. /search 台风"} in \
            en_menu
        default_menu = fake_bot_api.commands({"type": "all_private_chats"}) or []
        names = [c["command"] for c in default_menu]
        assert names[0] == "start"
        assert {"today", "sections", "section", "search", "help"} <= set(names)
        assert "ping" not in names and "status" not in names

        await _private_zh_hans(fake_bot_api)
        await _private_zh_hant(fake_bot_api)
        await _private_en(fake_bot_api)
        await _group(fake_bot_api)

        # a second process on the same database refuses to start
        code, _, err = await _run_cli(["run"], env, tmp_path)
        assert code == 1 and "already running" in err

        assert await bot.terminate() == 0
    assert "Traceback" not in bot.log, bot.log
    assert "error handling update" not in bot.log


async def test_webhook_bot_answers_and_stops_cleanly(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], bot_db: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = _env(fake_bot_env, bot_db)
    url = f"http://127.0.0.1:{port}/newsbrief-hook"
    args = ("--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port))
    async with running_bot(fake_bot_api, env, tmp_path, *args) as bot:
        user = fake_bot_api.add_user("Web", language_code="zh-hans")
        talk = Conversation(fake_bot_api, user, fake_bot_api.private_chat(user))
        (results,) = await talk.say("/search 台风")
        assert "共 8 条结果" in (results.text or "")
        await talk.press_and_wait_edit(results, "下一页 ▶")
        assert "第 2/2 页" in (results.text or "")
        # PTB calls setWebhook just before its server listens, so a first delivery may be
        # refused and retried (as Telegram does); every update must end up delivered.
        delivered = {d.update_id for d in fake_bot_api.webhook_deliveries if d.ok}
        assert {u["update_id"] for u in fake_bot_api.updates_log} <= delivered
        assert await bot.terminate() == 0
    assert "Traceback" not in bot.log, bot.log


async def test_webhook_refuses_bad_json_and_handles_a_repeated_update_once(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], bot_db: str, tmp_path: Path
) -> None:
    """Issue 18 point 13: malformed JSON with the right secret is 400 (PTB's server: 500), a
    wrong secret 403, and an ``update_id`` posted twice is answered once."""
    import aiohttp

    port = _free_port()
    env = _env(fake_bot_env, bot_db)
    url = f"http://127.0.0.1:{port}/newsbrief-hook"
    args = ("--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port))
    async with running_bot(fake_bot_api, env, tmp_path, *args) as bot:
        user = fake_bot_api.add_user("Web", language_code="zh-hans")
        chat = fake_bot_api.private_chat(user)
        talk = Conversation(fake_bot_api, user, chat)
        await talk.say("/ping")
        assert fake_bot_api._webhook is not None
        secret = fake_bot_api._webhook["secret_token"]
        update = fake_bot_api.updates_log[-1]
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=b'{"update_id": 1, "message": {', headers=headers) \
                    as answer:
                assert answer.status == 400
            async with session.post(url, data=b"\xff\xfe", headers=headers) as answer:
                assert answer.status == 400
            async with session.post(url, data=json.dumps(update), headers={
                    **headers, "X-Telegram-Bot-Api-Secret-Token": "wrong"}) as answer:
                assert answer.status == 403
            async with session.post(url, data=json.dumps(update), headers=headers) as answer:
                assert answer.status == 200  # the repeat is accepted (or Telegram retries it)
        await talk.say("/ping")  # a later update is answered: the repeat has been passed over
        replies = fake_bot_api.messages_in(chat, from_bot=True)
        assert len(replies) == 2, [m.text for m in replies]
        assert await bot.terminate() == 0
    assert "Traceback" not in bot.log, bot.log
    assert "error handling update" not in bot.log


async def test_a_reader_flooding_the_bot_gets_the_waiting_answers_combined(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], bot_db: str, tmp_path: Path
) -> None:
    """Telegram lets a chat get about one message a second. Ten /ping at once used to be ten
    messages, the last ~7 s after the first; now the answers still waiting for the chat's turn
    go out together, in order (a handler hands its chat on once its reply is queued)."""
    fake_bot_api.rate_limits.per_chat_per_second = 1.0  # Telegram's own, not the scaled one
    env = _env(fake_bot_env, bot_db) | {"NEWSBRIEF_DELIVERY_CHAT_INTERVAL": "1"}
    async with running_bot(fake_bot_api, env, tmp_path) as bot:
        user = fake_bot_api.add_user("Flood", language_code="en")
        chat = fake_bot_api.private_chat(user)
        for _ in range(10):
            fake_bot_api.send_text(user, chat, "/ping")

        def answers() -> list[str]:
            return [piece for m in fake_bot_api.messages_in(chat, from_bot=True)
                    for piece in (m.text or "").split("\n\n")]

        await fake_bot_api.wait_for(lambda: len(answers()) >= 10, STEP_TIMEOUT, "ten answers")
        assert answers() == ["pong"] * 10
        assert len(fake_bot_api.messages_in(chat, from_bot=True)) < 10
        assert await bot.terminate() == 0
    assert "Traceback" not in bot.log, bot.log


async def test_run_without_token_says_how_to_get_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(REPO)
    env["NEWSBRIEF_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    code, _, err = await _run_cli(["run"], env, tmp_path)
    assert code == 2
    assert "@BotFather" in err and "newsbrief chat" in err




async def test_admin_section_button_correction_survives_reingest(
    fake_bot_api: FakeBotApi, fake_bot_env: dict[str, str], bot_db: str, tmp_path: Path
) -> None:
    """An admin's 版块 button files an article elsewhere (operator), a reader sees no such
    button, and loading the same page again keeps the correction."""
    admin_user = fake_bot_api.add_user("编辑", user_id=4242, language_code="zh-hans")
    reader_user = fake_bot_api.add_user("读者", language_code="zh-hans")
    env = {**_env(fake_bot_env, bot_db), "NEWSBRIEF_ADMIN_IDS": "4242"}
    async with running_bot(fake_bot_api, env, tmp_path) as bot:
        reader = Conversation(fake_bot_api, reader_user, fake_bot_api.private_chat(reader_user))
        (today,) = await reader.say("/today")
        (opened,) = await reader.press_for_messages(today, "1", replies=1)
        assert "版块" not in _labels(opened)

        admin = Conversation(fake_bot_api, admin_user, fake_bot_api.private_chat(admin_user))
        (today,) = await admin.say("/today")
        (opened,) = await admin.press_for_messages(today, "1", replies=1)
        title = (opened.text or "").splitlines()[0]
        (picker,) = await admin.press_for_messages(opened, "版块", replies=1)
        assert "自动分类" in (picker.text or "") and "文体" in _labels(picker)
        # a reader replaying the admin's button is refused and nothing changes
        stolen = next(b["callback_data"] for b in picker.buttons if b["text"] == "文体")
        (reader_today,) = await reader.say("/today")
        _tamper(reader_today, stolen)
        answer, _ = await reader.press(reader_today, data=stolen)
        assert "管理员" in str(answer)
        await admin.press_and_wait_edit(picker, "文体")
        assert "【文体】" in (picker.text or "")
        assert await bot.terminate() == 0
    code, _, err = await _run_cli(["ingest", str(FIXTURE_PAGE)], env, tmp_path)
    assert code == 0, err
    code, out, err = await _run_cli(["search", title, "--json"], env, tmp_path)
    hits = json.loads(out)["results"]
    assert code == 0 and hits and hits[0]["section"] == "文体", (title, hits)
