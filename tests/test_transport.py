"""The Bot API transport (aiohttp behind PTB's BaseRequest) against a local aiohttp server: JSON
bodies posted as encoded, answers mapped to PTB's error types, timeouts and dead servers reported
as PTB's network errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.transport import AiohttpRequest


class Recorder:
    """A tiny Bot API stand-in: answers what ``answer`` says and keeps each request's body."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, bytes]] = []
        self.answer: web.Response = web.json_response({"ok": True, "result": {"message_id": 7}})
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append((request.content_type, await request.read()))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.answer


@pytest.fixture
async def server() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield recorder, f"http://127.0.0.1:{port}/bot123:abc"
    await runner.cleanup()


@pytest.fixture
async def request_backend() -> AsyncIterator[AiohttpRequest]:
    backend = AiohttpRequest(pool_size=4, read_timeout=0.5)
    await backend.initialize()
    yield backend
    await backend.shutdown()


async def test_a_json_body_is_posted_as_encoded_and_the_result_returned(
    server: tuple[Recorder, str], request_backend: AiohttpRequest
) -> None:
    recorder, base = server
    body = json.dumps({"chat_id": 5, "text": "台风<b>卡努</b>"}, ensure_ascii=False).encode()
    assert await request_backend.post_json(f"{base}/sendMessage", body) == {"message_id": 7}
    assert recorder.bodies == [("application/json", body)]


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
               "parameters": {"retry_after": 3}}, RetryAfter),
        (403, {"ok": False, "error_code": 403,
               "description": "Forbidden: bot was blocked by the user"}, Forbidden),
        (400, {"ok": False, "error_code": 400,
               "description": "Bad Request: message is too long"}, BadRequest),
    ],
)
async def test_error_answers_become_ptbs_error_types(
    server: tuple[Recorder, str], request_backend: AiohttpRequest,
    status: int, answer: dict[str, object], error: type[Exception],
) -> None:
    recorder, base = server
    recorder.answer = web.json_response(answer, status=status)
    with pytest.raises(error):
        await request_backend.post_json(f"{base}/sendMessage", b'{"chat_id":1,"text":"x"}')


async def test_a_slow_answer_is_timed_out_and_a_dead_server_is_a_network_error(
    server: tuple[Recorder, str], request_backend: AiohttpRequest
) -> None:
    recorder, base = server
    recorder.delay = 2.0
    with pytest.raises(TimedOut):
        await request_backend.post_json(f"{base}/sendMessage", b"{}")
    with pytest.raises(NetworkError):
        await request_backend.post_json("http://127.0.0.1:9/bot1:x/sendMessage", b"{}")


async def test_ptbs_own_calls_go_through_the_same_backend(
    server: tuple[Recorder, str], request_backend: AiohttpRequest
) -> None:
    recorder, base = server
    recorder.answer = web.json_response(
        {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "nb", "username": "nb_bot"}}
    )
    bot = Bot("123:abc", base_url=base.rsplit("/bot", 1)[0] + "/bot", request=request_backend)
    me = await bot.get_me()
    assert me.username == "nb_bot"
    assert len(recorder.bodies) == 1
