"""The sender's keep-alive HTTP client against a scripted local server: framing, reuse, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.delivery.keepalive_http import HttpProtocolError, KeepAliveClient, Target

Answer = Callable[[bytes], list[bytes]]  # request bytes -> chunks to write back (b"" = close)


class ScriptedServer:
    """Reads one request (head + Content-Length body) at a time and writes what ``answer`` says."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/bot123:abc/sendMessage"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                for chunk in self.answer(request):
                    if chunk == b"":
                        writer.close()
                        return
                    writer.write(chunk)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def ok(body: bytes = b'{"ok":true}') -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body), body]


@pytest.fixture
async def client() -> AsyncIterator[KeepAliveClient]:
    made = KeepAliveClient(pool_size=4)
    yield made
    made.close()


async def post(client: KeepAliveClient, url: str, body: bytes = b'{"a":1}') -> tuple[int, bytes]:
    return await client.post_json(url, body, timeout=5, connect_timeout=5)


async def test_posts_json_and_reuses_the_connection(client: KeepAliveClient) -> None:
    async with ScriptedServer(lambda _: ok(b'{"ok":true,"result":{"message_id":7}}')) as server:
        for _ in range(3):
            assert await post(client, server.url, '{"text":"台风"}'.encode()) == (
                200, b'{"ok":true,"result":{"message_id":7}}'
            )
    assert server.connections == 1
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /bot123:abc/sendMessage HTTP/1.1\r\n")
    assert b"Content-Type: application/json" in head
    assert body.decode() == '{"text":"台风"}'


async def test_chunked_and_interim_answers_are_read_whole(client: KeepAliveClient) -> None:
    def answer(_: bytes) -> list[bytes]:
        return [b"HTTP/1.1 100 Continue\r\n\r\n",
                b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"ok\"",
                b"\r\n7;ext=1\r\n:false}\r\n0\r\n\r\n"]

    async with ScriptedServer(answer) as server:
        assert await post(client, server.url) == (429, b'{"ok":false}')
        assert await post(client, server.url) == (429, b'{"ok":false}')
    assert server.connections == 1


async def test_a_body_ended_by_close_and_connection_close(client: KeepAliveClient) -> None:
    async with ScriptedServer(lambda _: [b"HTTP/1.0 200 OK\r\n\r\n", b"{\"ok\":", b"true}", b""]
                              ) as server:
        assert await post(client, server.url) == (200, b'{"ok":true}')
        assert await post(client, server.url) == (200, b'{"ok":true}')
    assert server.connections == 2  # never reused: the answer had no length


async def test_a_server_that_closes_idle_connections_gets_a_new_one(
    client: KeepAliveClient,
) -> None:
    async with ScriptedServer(lambda _: [*ok(), b""]) as server:  # answers, then hangs up
        assert await post(client, server.url) == (200, b'{"ok":true}')
        await asyncio.sleep(0.05)  # the close reaches us
        assert await post(client, server.url) == (200, b'{"ok":true}')
    assert server.connections == 2


async def test_failures_raise_plain_exceptions(client: KeepAliveClient) -> None:
    async with ScriptedServer(lambda _: [b""]) as server:  # hangs up without answering
        with pytest.raises(ConnectionResetError):
            await post(client, server.url)
    async with ScriptedServer(lambda _: [b"SMTP ready\r\n\r\n"]) as server:
        with pytest.raises(HttpProtocolError):
            await post(client, server.url)
    async with ScriptedServer(lambda _: []) as server:  # never answers
        with pytest.raises(TimeoutError):
            await client.post_json(server.url, b"{}", timeout=0.2, connect_timeout=5)
    with pytest.raises(OSError):
        await post(client, "http://127.0.0.1:9/x")  # nothing listens on the discard port


def test_targets_default_ports_and_host_header() -> None:
    target = Target.parse("https://api.telegram.org/bot1:x/sendMessage", "nb")
    assert (target.scheme, target.host, target.port) == ("https", "api.telegram.org", 443)
    assert target.prefix.startswith(
        b"POST /bot1:x/sendMessage HTTP/1.1\r\nHost: api.telegram.org\r\n"
    )
    local = Target.parse("http://127.0.0.1:8081/bot1:x/sendMessage", "nb")
    assert local.port == 8081 and b"Host: 127.0.0.1:8081\r\n" in local.prefix
    with pytest.raises(ValueError):
        Target.parse("ftp://example.org/x", "nb")
