"""The async transport (``AsyncClient`` on httpx) under the sync one's rules, against the emulator and loopback servers.

Each test is a plain function running its scenario with ``asyncio.run`` (no pytest plugin). What the sync
transport promises (wxkit/core/http.py) is checked here on the async one: the pool closed by ``aclose()`` /
``async with`` (a caller's ``httpx.AsyncClient`` left open), default timeouts, re-sends only where they cannot
duplicate an effect, errcodes as typed errors, network failures as ``TransportError``, redirects refused,
streamed downloads bounded in size and time (nothing left behind by an interrupted one), uploads read once,
the total deadline against a dripping server (checked structurally, never on a clock), gzip bombs refused,
token refresh, ``token_source`` in both forms, and that neither ``import wxkit`` nor the sync client imports
httpx. The sync client's ``close()`` / ``with`` are here too.
"""

from __future__ import annotations

import asyncio
import gc
import io
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import requests

from wxkit import (
    AccessTokenError,
    APIError,
    AsyncClient,
    Client,
    ConfigError,
    InvalidArgumentError,
    PermissionDeniedError,
    RateLimitError,
    SystemBusyError,
    TransportError,
    UserStateError,
)
from wxkit._async.oauth import AsyncOAuth
from wxkit.bounds import default_deadline
from wxkit.core.ahttp import AsyncHTTPClient
from wxkit.core.http_rules import DEFAULT_TIMEOUT
from wxkit.testing import AppState, Emulator

ECHO = "/cgi-bin/wxkit_test/echo"  # served by tests/client/conftest.py
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(200_000)  # more than one read chunk


def _count(emu: Emulator, path: str) -> int:
    return sum(1 for _, p, _ in emu.requests if p == path)


class Sleeps:
    """An async ``sleep`` that records the pauses and does not wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


def _client(emu: Emulator, app: AppState, **kwargs: Any) -> AsyncClient:
    kwargs.setdefault("base_url", emu.url)
    kwargs.setdefault("backoff", 0.0)
    kwargs.setdefault("sleep", Sleeps())
    return AsyncClient(app.appid, app.secret, **kwargs)


def run(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run an async scenario to the end on a fresh event loop."""
    return asyncio.run(scenario())


# -- a loopback server whose answers the test writes -------------------------------------------------------
class ClientGone(Exception):
    """The client closed the connection while the server was still sending."""


@attrs.define(eq=False)
class Seen:
    """One request the loopback server received, and how far its answer got."""

    method: str
    target: str
    body: bytes
    sent: int = 0
    total: int = 0  # bytes the answer meant to send (0: not counted)
    client_gone: bool = False
    done: threading.Event = attrs.Factory(threading.Event)


Answer = Callable[["Loopback", socket.socket, Seen], None]


class Loopback:
    """A raw-socket HTTP/1.1 server on ``127.0.0.1``: request ``n`` gets ``answers[n]`` (the last one repeats)."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def settle(self) -> list[Seen]:
        """Wait until the server is done with every request so far; return them."""
        with self._lock:
            seen = list(self.seen)
        for one in seen:
            assert one.done.wait(30), "the loopback server is still sending"
        return seen

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        conn.settimeout(10)
        seen = None
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                more = conn.recv(65536)
                if not more:
                    return
                data += more
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            while len(body) < length:
                body += conn.recv(65536)
            seen = Seen(method, target, body)
            with self._lock:
                index = len(self.seen)
                self.seen.append(seen)
            self.answers[min(index, len(self.answers) - 1)](self, conn, seen)
        except (ClientGone, OSError):
            if seen is not None:
                seen.client_gone = True
        finally:
            conn.close()
            if seen is not None:
                seen.done.set()

    @staticmethod
    def send(conn: socket.socket, seen: Seen, data: bytes) -> None:
        try:
            conn.sendall(data)
        except OSError:
            raise ClientGone from None
        seen.sent += len(data)

    @staticmethod
    def head(status: str, headers: list[tuple[str, Any]]) -> bytes:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "Connection: close", "", ""]
        return "\r\n".join(lines).encode("latin-1")


@pytest.fixture
def loopback() -> Iterator[Callable[..., Loopback]]:
    """``loopback(*answers)``: a started :class:`Loopback` (closed after the test)."""
    servers: list[Loopback] = []

    def start(*answers: Answer) -> Loopback:
        server = Loopback(*answers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.settle()
        server.close()


def reply(body: bytes = b'{"errcode": 0, "ok": true}', *, status: str = "200 OK", ctype: str = "application/json",
          extra: tuple[tuple[str, Any], ...] = ()) -> Answer:  # fmt: skip
    """An answer: ``body`` with its length."""

    def answer(s: Loopback, conn: socket.socket, seen: Seen) -> None:
        headers = [("Content-Type", ctype), ("Content-Length", len(body)), *extra]
        s.send(conn, seen, s.head(status, headers) + body)

    return answer


def close_mid_body(ctype: str = "application/json") -> Answer:
    """Headers promising 100 000 bytes, 1 000 of them, then the connection closes."""

    def answer(s: Loopback, conn: socket.socket, seen: Seen) -> None:
        s.send(conn, seen, s.head("200 OK", [("Content-Type", ctype), ("Content-Length", 100_000)]) + b"x" * 1000)

    return answer


def drop(s: Loopback, conn: socket.socket, seen: Seen) -> None:
    """Close the connection without answering."""


def drip(part: str, ctype: str = "application/json") -> Answer:
    """Drip the headers or the body a byte every 20 ms, 10 s in all: far past any deadline here."""

    def answer(s: Loopback, conn: socket.socket, seen: Seen) -> None:
        if part == "headers":
            data = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 500 + b"\r\nContent-Length: 2\r\n\r\n{}"
        else:
            body = b'{"errcode": 0, "pad": "' + b"x" * 475 + b'"}'
            head = s.head("200 OK", [("Content-Type", ctype), ("Content-Length", len(body))])
            s.send(conn, seen, head)
            seen.sent, data = 0, body
        seen.total = len(data)
        for i in range(len(data)):
            s.send(conn, seen, data[i : i + 1])
            time.sleep(0.02)

    return answer


_DEFLATE = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
#: 1 MiB of zeros, deflated after a full flush: about 1 KB each, repeatable.
BOMB_BLOCK = _DEFLATE.compress(bytes(1 << 20)) + _DEFLATE.flush(zlib.Z_FULL_FLUSH)


def gzip_bomb(ctype: str = "application/json") -> Answer:
    """100 GiB of zeros gzipped (about 100 MB on the wire), chunked."""

    def answer(s: Loopback, conn: socket.socket, seen: Seen) -> None:
        headers = [("Content-Type", ctype), ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
        s.send(conn, seen, s.head("200 OK", headers))
        seen.sent, seen.total = 0, 10 + len(BOMB_BLOCK) * 100_000
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
        s.send(conn, seen, b"%x\r\n%s\r\n" % (len(header), header))
        chunk = BOMB_BLOCK * 64
        for _ in range(100_000 // 64):
            s.send(conn, seen, b"%x\r\n%s\r\n" % (len(chunk), chunk))
        s.send(conn, seen, b"0\r\n\r\n")

    return answer


def redirect(location: str) -> Answer:
    return reply(b"", status="302 Found", extra=(("Location", location),))


def _loopback_client(server: Loopback, **kwargs: Any) -> AsyncClient:
    kwargs.setdefault("backoff", 0.0)
    kwargs.setdefault("sleep", Sleeps())
    return AsyncClient("wxloop", token_source=lambda: "LOOP-TOKEN", base_url=server.url, **kwargs)


# -- closing -------------------------------------------------------------------------------------------------
def test_async_with_and_aclose_close_the_pool(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            assert (await client.get(ECHO))["appid"] == wechat_app.appid
            assert not client.http.session.is_closed
        assert client.http.session.is_closed
        other = _client(wechat_emulator, wechat_app)
        await other.get(ECHO)
        await other.aclose()
        assert other.http.session.is_closed
        with pytest.raises(TransportError, match="closed") as info:  # not httpx's RuntimeError
            await other.get(ECHO)
        assert info.value.method == "GET"

    run(scenario)


def test_a_callers_httpx_client_is_left_open(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient() as session:
            async with _client(wechat_emulator, wechat_app, session=session) as client:
                await client.get(ECHO)
                assert client.http.session is session
            assert not session.is_closed
            client2 = _client(wechat_emulator, wechat_app, session=session)
            await client2.aclose()
            assert not session.is_closed
            # still usable by its owner
            assert (await session.get(f"{wechat_emulator.url}/cgi-bin/get_api_domain_ip")).status_code == 200

    run(scenario)


def test_a_client_outlives_its_event_loop(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    """A script calling asyncio.run() twice (or a loop per test) keeps using one client: a new pool on the new loop."""
    client = _client(wechat_emulator, wechat_app)
    first = run(lambda: client.get(ECHO))
    pool = client.http.session
    second = run(lambda: client.get(ECHO))  # the first loop is closed: its connections cannot be reused
    assert first["appid"] == second["appid"] == wechat_app.appid
    assert client.http.session is not pool

    async def contended() -> list[dict[str, Any]]:
        await client.tokens.invalidate(await client.tokens.get())  # the next calls fetch a token, racing for the lock
        return list(await asyncio.gather(*(client.get(ECHO) for _ in range(5))))

    assert len(run(contended)) == 5
    run(client.aclose)


def test_a_client_in_use_by_another_running_loop_says_so(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    client = _client(wechat_emulator, wechat_app)
    started, release = threading.Event(), threading.Event()

    async def hold() -> None:
        await client.get(ECHO)
        started.set()
        while not release.is_set():
            await asyncio.sleep(0.01)

    holder = threading.Thread(target=lambda: asyncio.run(hold()))
    holder.start()
    try:
        assert started.wait(10)
        with pytest.raises(ConfigError, match="another running event loop"):
            run(lambda: client.get(ECHO))
        with pytest.raises(ConfigError, match=r"aclose\(\).*another running event loop"):  # not from here
            run(client.aclose)
        assert not client.http.session.is_closed
    finally:
        release.set()
        holder.join(10)
    assert run(lambda: client.get(ECHO))["appid"] == wechat_app.appid  # that loop has ended: a new pool here


def test_a_callers_session_from_an_ended_loop_is_a_config_error(
    wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    session = httpx.AsyncClient()
    client = _client(wechat_emulator, wechat_app, session=session)
    run(lambda: client.get(ECHO))
    with pytest.raises(ConfigError, match="given as session belongs to an event loop that has ended"):
        run(lambda: client.get(ECHO))
    assert client.http.session is session  # never replaced behind the caller's back


class _RecordingAdapter(requests.adapters.HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


def test_sync_close_and_with(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    with wechat_emulator.client(wechat_app.appid, wechat_app.secret) as client:
        client.get(ECHO)
        adapter = _RecordingAdapter()
        client.http.session.mount("http://", adapter)
        client.get(ECHO)
    assert adapter.closed == 1  # ``with`` closed the pool
    client2 = wechat_emulator.client(wechat_app.appid, wechat_app.secret)
    adapter2 = _RecordingAdapter()
    client2.http.session.mount("http://", adapter2)
    client2.close()
    assert adapter2.closed == 1
    # a caller's session is the caller's to close
    session = requests.Session()
    mine = _RecordingAdapter()
    session.mount("http://", mine)
    with wechat_emulator.client(wechat_app.appid, wechat_app.secret, session=session) as client3:
        client3.get(ECHO)
    wechat_emulator.client(wechat_app.appid, wechat_app.secret, session=session).close()
    assert mine.closed == 0
    session.close()


def test_standalone_async_oauth_closes_its_own_pool_only(wechat_emulator: Emulator) -> None:
    async def scenario() -> None:
        async with AsyncOAuth("wx1", "s", base_url=wechat_emulator.url) as oauth:
            assert not oauth.http.session.is_closed
        assert oauth.http.session.is_closed
        http = AsyncHTTPClient(wechat_emulator.url)
        oauth = AsyncOAuth("wx1", "s", http=http)
        await oauth.aclose()
        assert not http.session.is_closed  # a client's shared transport is the client's to close
        await http.aclose()

    run(scenario)


# -- timeouts -------------------------------------------------------------------------------------------------
def test_default_timeouts_match_the_sync_client(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    sync, bare = Client("wx1", "s"), AsyncClient("wx1", "s")
    seen: list[dict[str, Any]] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.extensions["timeout"])

    async def scenario() -> None:
        async with httpx.AsyncClient(event_hooks={"request": [hook]}) as session:
            async with _client(wechat_emulator, wechat_app, session=session) as client:
                assert client.http.timeout == bare.http.timeout == sync.http.timeout == DEFAULT_TIMEOUT
                assert bare.http.new_deadline().seconds == sync.http.new_deadline().seconds
                assert bare.http.new_deadline().seconds == default_deadline(DEFAULT_TIMEOUT, max_retries=2,
                                                                            backoff=0.2)  # fmt: skip
                await client.get(ECHO)
                assert seen[-1] == {"connect": 3.05, "read": 10.0, "write": 10.0, "pool": 3.05}
                await client.get(ECHO, timeout=1.5)
                assert seen[-1] == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}
            async with _client(wechat_emulator, wechat_app, session=session, timeout=(2, 4)) as client:
                await client.post(ECHO, {"x": 1})
                assert seen[-1] == {"connect": 2.0, "read": 4.0, "write": 4.0, "pool": 2.0}
        await bare.aclose()

    run(scenario)


def test_per_call_timeouts_do_not_grow_the_client(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    """A timeout computed per call (each one different) is applied, and the client keeps a bounded cache of them."""
    seen: list[dict[str, Any]] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.extensions["timeout"])

    async def scenario() -> None:
        session = httpx.AsyncClient(event_hooks={"request": [hook]})
        async with session, _client(wechat_emulator, wechat_app, session=session) as client:
            for n in range(100):
                await client.get(ECHO, timeout=5 + n / 1000)
                assert seen[-1]["read"] == 5 + n / 1000
            assert len(client.http._timeouts) <= 32

    run(scenario)


def test_read_timeouts_resend_reads_only(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app, timeout=(1.0, 0.2), max_retries=1) as client:
            await client.get(ECHO)
            fault = wechat_emulator.inject(ECHO, method="GET", delay=1.0, times=2)
            with pytest.raises(TransportError, match="timed out"):
                await client.get(ECHO)
            assert fault.fired == 2  # the first try and one re-send, each cut by the read timeout
            fault = wechat_emulator.inject(ECHO, method="POST", delay=1.0, times=5)
            with pytest.raises(TransportError, match="timed out"):
                await client.post(ECHO, {"x": 1})
            assert fault.fired == 1  # a POST that may have arrived is not re-sent
            wechat_emulator.clear_faults()

    run(scenario)


# -- re-sends -------------------------------------------------------------------------------------------------
def test_5xx_resent_for_reads_not_for_posts(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        sleeps = Sleeps()
        async with _client(wechat_emulator, wechat_app, backoff=0.25, sleep=sleeps) as client:
            await client.get(ECHO)
            fault = wechat_emulator.inject(ECHO, status=502, times=1)
            assert (await client.get(ECHO))["method"] == "GET"
            assert (fault.fired, sleeps.calls) == (1, [0.25])
            fault = wechat_emulator.inject(ECHO, method="POST", status=503, times=5)
            with pytest.raises(TransportError, match="HTTP 503"):
                await client.post(ECHO, {"x": 1})
            assert fault.fired == 1
            wechat_emulator.clear_faults()
            fault = wechat_emulator.inject(ECHO, method="POST", status=500, times=1)
            assert (await client.post(ECHO, {"x": 2}, idempotent=True))["body"] == {"x": 2}  # a read marked so
            assert fault.fired == 1

    run(scenario)


def test_dropped_connections_resend_reads_only(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            await client.get(ECHO)
            fault = wechat_emulator.inject(ECHO, method="GET", drop=True, times=2)
            assert (await client.get(ECHO))["method"] == "GET"
            assert fault.fired == 2
            before = _count(wechat_emulator, ECHO)
            fault = wechat_emulator.inject(ECHO, method="POST", drop=True, times=5)
            with pytest.raises(TransportError) as info:
                await client.post(ECHO, {"pay": 1})
            assert fault.fired == 1
            assert _count(wechat_emulator, ECHO) == before
            token = await client.get_access_token()
            assert token not in str(info.value)
            wechat_emulator.clear_faults()

    run(scenario)


def test_a_body_cut_short_resends_reads_only(loopback: Callable[..., Loopback]) -> None:
    async def scenario() -> None:
        server = loopback(close_mid_body(), reply())
        async with _loopback_client(server) as client:
            assert (await client.get("/cgi-bin/read"))["ok"] is True
            assert len(server.settle()) == 2
            server.answers = [close_mid_body(), reply()]
            server.seen.clear()
            with pytest.raises(TransportError, match="cut short"):
                await client.post("/cgi-bin/write", {"x": 1})
            assert len(server.settle()) == 1

    run(scenario)


def test_connect_failures_are_retried_even_for_posts() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed

    async def scenario() -> None:
        sleeps = Sleeps()
        client = AsyncClient("wx1", token_source=lambda: "T", base_url=f"http://127.0.0.1:{port}", backoff=0.1,
                             sleep=sleeps)  # fmt: skip
        async with client:
            with pytest.raises(TransportError, match="failed") as info:
                await client.post(ECHO, {"x": 1})
        assert sleeps.calls == [0.1, 0.2]  # nothing was sent: tried three times, with backoff
        assert info.value.method == "POST"

    run(scenario)


def test_system_busy_resent_for_reads_only(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            await client.get(ECHO)
            wechat_emulator.inject(ECHO, errcode=-1)
            assert (await client.get(ECHO))["method"] == "GET"
            wechat_emulator.inject(ECHO, errcode=-1)
            with pytest.raises(SystemBusyError):
                await client.post(ECHO, {"x": 1})

    run(scenario)


# -- errors ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("errcode", "cls"),
    [
        (45009, RateLimitError),
        (40003, InvalidArgumentError),
        (43004, UserStateError),
        (48001, PermissionDeniedError),
        (-1, SystemBusyError),
        (99999, APIError),
    ],
)
def test_errcodes_are_typed(wechat_emulator: Emulator, wechat_app: AppState, errcode: int, cls: type[APIError]) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            wechat_emulator.inject(ECHO, errcode=errcode, errmsg=f"emulated {errcode}")
            with pytest.raises(cls) as info:
                await client.post(ECHO, {"x": 1})
            err = info.value
            assert type(err) is cls
            assert (err.errcode, err.errmsg, err.method) == (errcode, f"emulated {errcode}", "POST")
            assert err.url == f"{wechat_emulator.url}{ECHO}"
            assert await client.get_access_token() not in str(err)

    run(scenario)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (reply(b"", status="502 Bad Gateway"), "HTTP 502"),
        (drop, "failed"),
        (lambda s, c, seen: s.send(c, seen, b"\x00\xffNOT HTTP\r\n\r\n"), "failed"),
        (reply(b"<html>", ctype="text/html"), "not JSON|JSON"),
        (reply(b'{"errcode": 0', ctype="application/json"), "JSON"),
        (reply(b"[1]"), "not an object"),
        (reply(b"not gzip", extra=(("Content-Encoding", "gzip"),)), "gzip|decode|body"),
        (reply(b'{"x": 1}', status="404 Not Found"), "HTTP 404"),
        (reply(extra=tuple((f"X-Header-{i}", "v") for i in range(150))), "more than 100 headers"),  # as http.client
    ],
    ids=["5xx", "dropped", "garbage", "html", "truncated", "array", "bad-gzip", "404", "too-many-headers"],
)
def test_network_failures_are_transport_errors(loopback: Callable[..., Loopback], answer: Answer, match: str) -> None:
    async def scenario() -> None:
        server = loopback(answer)
        async with _loopback_client(server, max_retries=0) as client:
            with pytest.raises(TransportError, match=match) as info:
                await client.get("/cgi-bin/x", params={"a": "1"})
        assert info.value.method == "GET"
        assert info.value.url == f"{server.url}/cgi-bin/x?a=1"
        assert "LOOP-TOKEN" not in str(info.value)

    run(scenario)


def test_bad_urls_and_parameters_are_transport_errors(loopback: Callable[..., Loopback]) -> None:
    async def scenario() -> None:
        server = loopback(reply())
        async with _loopback_client(server) as client:
            with pytest.raises(TransportError, match="could not be sent"):
                await client.get("/cgi-bin/x y\n")  # httpx.InvalidURL escaped
            with pytest.raises(TransportError, match="could not be sent") as info:
                await client.get("/cgi-bin/x", params={"name": "\ud800"})  # a lone surrogate
            assert info.value.url.encode("utf-8")  # the error's text is printable
        assert server.settle() == []

    run(scenario)
    sync = Client("wx1", token_source=lambda: "T", base_url="http://127.0.0.1:9")
    with pytest.raises(TransportError, match="could not be sent"):
        sync.get("/cgi-bin/x", params={"name": "\ud800"})


# -- redirects ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("follow", [False, True], ids=["own-session", "callers-session-following-redirects"])
def test_redirects_are_refused(loopback: Callable[..., Loopback], follow: bool) -> None:
    async def scenario() -> None:
        elsewhere = loopback(reply())
        server = loopback(redirect(elsewhere.url + "/stolen"))
        async with (
            httpx.AsyncClient(follow_redirects=follow) as session,
            _loopback_client(server, session=session) as client,
        ):
            with pytest.raises(TransportError, match="redirect") as info:
                await client.get("/cgi-bin/x")
        assert "LOOP-TOKEN" not in str(info.value)
        assert len(server.settle()) == 1
        assert elsewhere.settle() == []  # the token never went to another host

    run(scenario)


# -- downloads ------------------------------------------------------------------------------------------------
def test_streamed_downloads_to_a_path_or_file(wechat_emulator: Emulator, wechat_app: AppState, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            media_id = (await client.media.upload("image", ("photo.jpg", JPEG)))["media_id"]
            target = tmp_path / "copy.jpg"
            info = await client.media.download(media_id, target)
            assert info == {"size": len(JPEG), "content_type": "image/jpeg", "filename": f"{media_id}.jpg"}
            assert target.read_bytes() == JPEG
            buffer = io.BytesIO()
            assert (await client.media.download(media_id, buffer))["size"] == len(JPEG)
            assert buffer.getvalue() == JPEG
            permanent = (await client.material.add("image", ("photo.jpg", JPEG)))["media_id"]
            assert await client.material.get(permanent) == JPEG  # held in memory
        async with _client(wechat_emulator, wechat_app, max_download_size=len(JPEG) - 1) as small:
            target = tmp_path / "too-big.jpg"
            with pytest.raises(TransportError, match="more than"):
                await small.media.download(media_id, target)
            assert not target.exists()
            with pytest.raises(TransportError, match="more than"):
                await small.media.download(media_id, io.BytesIO())
            with pytest.raises(TransportError, match="more than"):
                await small.material.get(permanent)

    run(scenario)


def test_interrupted_download_leaves_no_file(loopback: Callable[..., Loopback], tmp_path: Path) -> None:
    """The async twin of tests/client/test_media.py::test_interrupted_download_leaves_no_file."""

    async def scenario() -> None:
        server = loopback(close_mid_body("image/jpeg"))
        target = tmp_path / "copy.jpg"
        async with _loopback_client(server) as client:
            with pytest.raises(TransportError, match="cut short") as info:
                await client.media.download("MEDIA_ID", target)
        assert "LOOP-TOKEN" not in str(info.value)
        assert not target.exists()
        assert list(tmp_path.iterdir()) == []
        assert len(server.settle()) == 1  # a streamed download is not re-sent once its body started

    run(scenario)


@pytest.mark.parametrize("answer", ["drip_body", "gzip_bomb"])
def test_downloads_are_bounded_in_time_and_size(loopback: Callable[..., Loopback], tmp_path: Path,
                                                answer: str) -> None:  # fmt: skip
    async def scenario() -> None:
        server = loopback(drip("body", "image/jpeg") if answer == "drip_body" else gzip_bomb("image/jpeg"))
        target = tmp_path / "copy.jpg"
        async with _loopback_client(server, deadline=0.5, max_download_size=1 << 20) as client:
            with pytest.raises(TransportError, match="deadline" if answer == "drip_body" else "more than"):
                await client.media.download("MEDIA_ID", target)
        assert not target.exists()
        (seen,) = server.settle()
        assert seen.client_gone
        assert seen.sent < seen.total // 2

    run(scenario)


def test_a_streamed_response_closed_by_the_caller_leaves_nothing_behind(loopback: Callable[..., Loopback]) -> None:
    async def scenario() -> None:
        server = loopback(reply(b"\x89PNG", ctype="image/png"))
        async with _loopback_client(server) as client:
            for _ in range(3):
                response, decoded = await client.send("GET", "/cgi-bin/qrcode", stream=True)
                assert decoded is None
                await response.aclose()  # httpx's own close, not the transport's
            del response
            gc.collect()
            assert len(client.http._deadlines) == 0  # the call's deadline went with its response

    run(scenario)


# -- uploads --------------------------------------------------------------------------------------------------
class CountingFile(io.BytesIO):
    """A binary file that counts its reads."""

    name = "photo.jpg"

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def test_uploads_read_once_and_resent_whole_after_a_token_refresh(
    wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            await client.get_access_token()
            wechat_emulator.invalidate_tokens(wechat_app.appid)
            before = _count(wechat_emulator, "/cgi-bin/media/upload")
            handle = CountingFile(JPEG)
            result = await client.media.upload("image", handle)
            assert wechat_app.data["media"][result["media_id"]]["content"] == JPEG
            assert handle.reads == 1  # read once: the re-send after the refresh carried the same bytes
            assert wechat_app.token_fetches == 2
            assert _count(wechat_emulator, "/cgi-bin/media/upload") == before + 2  # refused (no effect), accepted

    run(scenario)


def test_a_dropped_upload_is_never_resent(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            await client.get_access_token()
            fault = wechat_emulator.inject("/cgi-bin/media/upload", drop=True, times=3)
            with pytest.raises(TransportError):
                await client.media.upload("image", CountingFile(JPEG))
            assert fault.fired == 1
            assert not wechat_app.data.get("media")
            wechat_emulator.clear_faults()

    run(scenario)


# -- the total deadline and the size bounds -------------------------------------------------------------------
@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_dripping_server_is_cut_off_by_the_deadline(loopback: Callable[..., Loopback], part: str) -> None:
    async def scenario() -> None:
        server = loopback(drip(part))
        # A read timeout alone never trips on a byte every 20 ms: only the total deadline stops this.
        async with _loopback_client(server, timeout=(1.0, 0.5), deadline=0.5, max_retries=0) as client:
            with pytest.raises(TransportError, match="deadline"):
                await client.get("/cgi-bin/slow")
        (seen,) = server.settle()
        assert seen.client_gone
        assert seen.sent < seen.total  # hung up on before the server had sent everything

    run(scenario)


def test_gzip_bombs_are_refused(loopback: Callable[..., Loopback]) -> None:
    async def scenario() -> None:
        server = loopback(gzip_bomb())
        async with _loopback_client(server, max_body_size=1 << 20, max_retries=0) as client:
            with pytest.raises(TransportError, match="more than"):
                await client.get("/cgi-bin/bomb")
        (seen,) = server.settle()
        assert seen.client_gone
        assert seen.sent < seen.total // 2  # never inflated whole

    run(scenario)


# -- tokens ---------------------------------------------------------------------------------------------------
def test_token_refresh_drops_only_the_current_token(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as client:
            old = await client.get_access_token()
            wechat_emulator.invalidate_tokens(wechat_app.appid)
            before = _count(wechat_emulator, ECHO)
            # a burst of calls all refused with the dead token: exactly one refetch
            answers = await asyncio.gather(*(client.post(ECHO, {"n": n}) for n in range(8)))
            assert [a["body"] for a in answers] == [{"n": n} for n in range(8)]
            assert wechat_app.token_fetches == 2
            new = await client.get_access_token()
            assert new != old
            assert _count(wechat_emulator, ECHO) == before + 16  # each sent twice: refused (no effect), accepted
            key = client.tokens.key
            await client.tokens.invalidate(old)  # no longer current: kept
            assert client.storage.get(key) == new
            await client.tokens.invalidate(new)
            assert client.storage.get(key) is None
            wechat_emulator.inject(ECHO, errcode=40001, errmsg="invalid credential", times=2)
            with pytest.raises(AccessTokenError) as info:
                await client.get(ECHO)
            assert info.value.errcode == 40001

    run(scenario)


def test_token_source_async_or_sync_on_the_async_client(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    async def scenario() -> None:
        async with _client(wechat_emulator, wechat_app) as central:
            token = await central.get_access_token()
        calls: list[str] = []

        async def async_source() -> str:
            calls.append("async")
            await asyncio.sleep(0)
            return token

        def sync_source() -> str:
            calls.append("sync")
            return token

        for source in (async_source, sync_source):
            async with AsyncClient(wechat_app.appid, token_source=source, base_url=wechat_emulator.url) as client:
                assert (await client.get(ECHO))["appid"] == wechat_app.appid
        assert calls == ["async", "sync"]
        assert wechat_app.token_fetches == 1  # only the central client fetched

        async def dead() -> str:
            return "DEAD"

        async with AsyncClient(wechat_app.appid, token_source=dead, base_url=wechat_emulator.url) as client:
            with pytest.raises(AccessTokenError):
                await client.get(ECHO)

    run(scenario)


def test_an_async_token_source_on_the_sync_client_is_a_config_error(wechat_emulator: Emulator) -> None:
    async def source() -> str:
        return "T"

    with pytest.raises(ConfigError, match="async"):
        Client("wx1", token_source=source, base_url=wechat_emulator.url)
    # one not recognisable as async until called: refused then, its coroutine closed (no "never awaited")
    client = Client("wx1", token_source=lambda: source(), base_url=wechat_emulator.url)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ConfigError, match="async"):
            client.get(ECHO)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []


# -- imports --------------------------------------------------------------------------------------------------
def _modules_after(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_inbound_core_imports_neither_requests_nor_httpx() -> None:
    code = "import sys, wxkit\nwxkit.WxApplication\nprint('requests' in sys.modules, 'httpx' in sys.modules)"
    assert _modules_after(code) == "False False"


def test_the_sync_client_never_imports_httpx() -> None:
    code = (
        "import sys, threading\n"
        "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
        "import wxkit.client\n"
        "class H(BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        '        body = b\'{"errcode": 0, "ok": true}\'\n'
        "        self.send_response(200)\n"
        "        self.send_header('Content-Type', 'application/json')\n"
        "        self.send_header('Content-Length', str(len(body)))\n"
        "        self.end_headers()\n"
        "        self.wfile.write(body)\n"
        "    def log_message(self, *args): pass\n"
        "server = ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
        "threading.Thread(target=server.serve_forever, daemon=True).start()\n"
        "url = f'http://127.0.0.1:{server.server_port}'\n"
        "with wxkit.client.Client('wx1', token_source=lambda: 'T', base_url=url) as client:\n"
        "    assert client.get('/cgi-bin/x')['ok'] is True\n"
        "    client.oauth.authorize_url('https://example.com/')\n"
        "wxkit.Client\n"
        "print('httpx' in sys.modules, 'httpcore' in sys.modules)\n"
    )
    assert _modules_after(code) == "False False"


# -- sessions of every kind ---------------------------------------------------------------------------------
def test_a_session_on_httpx_mock_transport_works() -> None:
    """A caller's ``httpx.AsyncClient(transport=httpx.MockTransport(...))``: answers arrive already in memory."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "TOKEN", "expires_in": 7200})
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "msgid": 42})

    async def scenario() -> int:
        session = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        async with AsyncClient("wx1", "secret", base_url="https://api.example", session=session) as aclient:
            msgid = await aclient.template.send("o_user", "T1", {"thing1": {"value": "hi"}})
        await session.aclose()
        return msgid

    assert run(scenario) == 42
    sent = seen[-1]
    assert sent.url.params["access_token"] == "TOKEN"
    assert sent.headers["Accept-Encoding"] == "gzip, deflate"  # only what wxkit's reader decodes


def test_the_own_pool_asks_for_the_codings_wxkit_decodes(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    """``Accept-Encoding`` is a default of the client's own pool (set once), sent on every call."""

    async def scenario() -> tuple[str, str]:
        async with _client(wechat_emulator, wechat_app) as aclient:
            await aclient.get_access_token()
            response = await aclient.http.send("GET", "/cgi-bin/get_api_domain_ip", params={"access_token": "x"})
            return response.request.headers["Accept-Encoding"], aclient.http.session.headers["Accept-Encoding"]

    assert run(scenario) == ("gzip, deflate", "gzip, deflate")


@pytest.mark.parametrize("port", [0, 65536, 99999])
def test_a_port_out_of_range_is_a_transport_error_on_both_transports(port: int) -> None:
    """anyio raised a bare ExceptionGroup for such a URL; requests a ValueError-like error: both TransportError."""
    from wxkit.core.http import HTTPClient

    url = f"http://127.0.0.1:{port}/x"

    async def scenario() -> None:
        http = AsyncHTTPClient("http://127.0.0.1:1", max_retries=0)
        try:
            with pytest.raises(TransportError, match=r"could not be sent|failed"):
                await http.send("GET", url)
        finally:
            await http.aclose()

    run(scenario)
    sync_http = HTTPClient("http://127.0.0.1:1", max_retries=0)
    try:
        with pytest.raises(TransportError):
            sync_http.send("GET", url)
    finally:
        sync_http.close()
