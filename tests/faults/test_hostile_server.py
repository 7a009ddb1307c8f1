"""Fault injection, hostile-server part: a loopback HTTP server that answers every way WeChat never should.

:class:`HostileServer` (raw sockets on ``127.0.0.1``, port 0) drips its status line, headers or body a byte
at a time, stalls, resets the connection, closes it mid-body, answers garbage, HTML, empty or truncated
JSON, JSON nested 100 000 deep, bodies of 200 MB (declared or chunked), a gzip bomb (100 GB inflated),
invalid UTF-8, a wrong content type or encoding, redirects (to another host, and to itself), 5xx,
too many headers, and errcode answers. A ``wxkit.Client`` (``token_source`` skips token fetches), a v3
``PayClient`` (answers signed with the WeChat Pay public key it trusts, so that its JSON layer is
reached), a ``PayClientV2`` and an ``OAuth`` are pointed at it in turn, and the async twins
``AsyncClient`` and ``AsyncOAuth`` (httpx) with the same expectations.

For every behaviour and client: the result is a documented wxkit exception of the expected type (or
the expected success), never another exception; time is bounded by the per-call deadline, checked
structurally (the call raised the deadline error and the dripping server saw the connection closed
before it had sent everything — never a stopwatch); memory is bounded structurally (the server could
not send the 200 MB / 100 MB-on-the-wire bodies before the client hung up, and a bill's gzip bomb is
refused with traced memory far below its inflated size). Counts per client: inputs tried, unexpected
exceptions (must be 0), wrong results (must be 0); one line of figures each (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import io
import secrets
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from Crypto.PublicKey import RSA

from wxkit import AsyncClient, Client, WxError
from wxkit._async.oauth import AsyncOAuth
from wxkit.core.ahttp import AsyncHTTPClient
from wxkit.core.http import HTTPClient
from wxkit.errors import (
    AccessTokenError,
    APIError,
    PayError,
    RateLimitError,
    SignatureError,
    SystemBusyError,
    TransportError,
)
from wxkit.oauth import OAuth
from wxkit.pay import v2
from wxkit.pay.v3 import PayClient
from wxkit.pay.v3.crypto import rsa_sign
from wxkit.pay.v3.signer import build_message
from wxkit.testing.pay import platform_key
from wxkit.xmlcodec import render_xml

#: Every client's bound on what it holds in memory here (JSON, XML, downloads, bills).
LIMIT = 1 << 20
#: Every client's per-call deadline here, and its (connect, read) timeout: a read timeout alone never
#: trips on a server dripping a byte every 20 ms.
DEADLINE = 1.0
TIMEOUT = (1.0, 0.5)
DRIP_INTERVAL = 0.02
DRIP_TOTAL = 500  # 10 s of dripping: far past the deadline
HUGE = 200 * 1024 * 1024
PAY_KEY_ID = "PUB_KEY_ID_0000000000000000000000HOSTILE"
APIV3_KEY = "0123456789abcdef0123456789abcdef"
V2_KEY = "hostile-v2-api-key-0123456789abc"
DEEP = b"[" * 100_000 + b"]" * 100_000

_ZEROS = bytes(1 << 20)
_DEFLATE = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
#: 1 MiB of zeros as a raw deflate block after a full flush: repeatable, about 1 KB each.
BOMB_BLOCK = _DEFLATE.compress(_ZEROS) + _DEFLATE.flush(zlib.Z_FULL_FLUSH)
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"


def bill_bomb(megabytes: int = 200) -> bytes:
    """A complete, valid gzip file of ``megabytes`` MiB of zeros (about 1 KB on the wire per MiB)."""
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(_ZEROS, crc)
    trailer = struct.pack("<II", crc, (megabytes << 20) & 0xFFFFFFFF)
    return GZIP_HEADER + BOMB_BLOCK * megabytes + b"\x03\x00" + trailer


# -- the server ------------------------------------------------------------------------------------------
class ClientGone(Exception):
    """The client closed the connection while the server was still sending."""


@attrs.define(eq=False)
class Exchange:
    """One request the server saw and what it managed to answer."""

    method: str
    path: str
    behaviour: str
    sent: int = 0  # bytes of the answer handed to the kernel
    total: int = 0  # bytes the behaviour meant to send (0: not counted)
    client_gone: bool = False
    done: threading.Event = attrs.Factory(threading.Event)


class HostileServer:
    """A raw-socket HTTP/1.1 server; ``behaviour`` (set by the test) decides every next answer."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.behaviour = "ok"
        self.content_type = "application/json"
        self.ok_body: Callable[[bool], bytes] = lambda signed: b'{"errcode": 0, "ok": true}'
        self.sign_key: RSA.RsaKey | None = None  # set: answers carry Wechatpay-* signature headers
        self.redirect_to = ""
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def of(self, behaviour: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.behaviour == behaviour]

    def settle(self) -> None:
        """Wait until every exchange so far has finished on the server's side."""
        with self._lock:
            pending = list(self.exchanges)
        for exchange in pending:
            assert exchange.done.wait(30), f"the server is still busy with {exchange.behaviour}"

    # -- plumbing ------------------------------------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)  # no big send buffer to hide in
        conn.settimeout(10)
        exchange = None
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            head, _, body = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            while len(body) < length:
                body += conn.recv(65536)
            exchange = Exchange(method, path, self.behaviour)
            with self._lock:
                self.exchanges.append(exchange)
            BEHAVIOURS[exchange.behaviour](self, conn, exchange)
        except (ClientGone, OSError):
            if exchange is not None:
                exchange.client_gone = True
        finally:
            conn.close()
            if exchange is not None:
                exchange.done.set()

    def send(self, conn: socket.socket, exchange: Exchange, data: bytes) -> None:
        try:
            conn.sendall(data)
        except OSError:
            raise ClientGone from None
        exchange.sent += len(data)

    def signature(self, body: bytes) -> list[tuple[str, str]]:
        if self.sign_key is None:
            return []
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        return [
            ("Wechatpay-Timestamp", timestamp),
            ("Wechatpay-Nonce", nonce),
            ("Wechatpay-Serial", PAY_KEY_ID),
            ("Wechatpay-Signature", rsa_sign(self.sign_key, build_message(timestamp, nonce, body))),
        ]

    @staticmethod
    def head(status: str, headers: list[tuple[str, Any]]) -> bytes:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "Connection: close", "", ""]
        return "\r\n".join(lines).encode("latin-1")

    def answer(
        self,
        conn: socket.socket,
        exchange: Exchange,
        body: bytes,
        *,
        status: str = "200 OK",
        content_type: str | None = None,
        extra: tuple[tuple[str, Any], ...] = (),
        signed: bool = True,
    ) -> None:
        headers = [("Content-Type", content_type or self.content_type), ("Content-Length", len(body)), *extra]
        if signed:
            headers += self.signature(body)
        self.send(conn, exchange, self.head(status, headers) + body)

    def chunked(
        self, conn: socket.socket, exchange: Exchange, chunks: Iterator[bytes], total: int, extra: tuple[Any, ...] = ()
    ) -> None:
        exchange.total = total
        self.send(conn, exchange, self.head("200 OK", [("Content-Type", self.content_type), *extra,
                                                       ("Transfer-Encoding", "chunked")]))  # fmt: skip
        for chunk in chunks:
            self.send(conn, exchange, b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.send(conn, exchange, b"0\r\n\r\n")

    def drip(self, conn: socket.socket, exchange: Exchange, data: bytes) -> None:
        for i in range(len(data)):
            self.send(conn, exchange, data[i : i + 1])
            time.sleep(DRIP_INTERVAL)


# -- the behaviours ---------------------------------------------------------------------------------------
def _ok(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    s.answer(conn, ex, s.ok_body(True))


def _unsigned(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    s.answer(conn, ex, s.ok_body(False), signed=False)


def _drip_body(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    body = b'{"errcode": 0, "pad": "' + b"x" * (DRIP_TOTAL - 25) + b'"}'
    head = s.head("200 OK", [("Content-Type", s.content_type), ("Content-Length", len(body))])
    s.send(conn, ex, head)
    ex.total = len(head) + len(body)
    s.drip(conn, ex, body)


def _drip_headers(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    data = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * DRIP_TOTAL + b"\r\nContent-Length: 2\r\n\r\n{}"
    ex.total = len(data)
    s.drip(conn, ex, data)


def _stall(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    if conn.recv(1) == b"":  # nothing ever comes: returns once the client hangs up
        raise ClientGone


def _reset(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends RST


def _close_mid_body(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    s.send(conn, ex, s.head("200 OK", [("Content-Type", s.content_type), ("Content-Length", 1000)]) + b'{"a": "')


def _close_before_answer(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    pass


def _garbage(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    s.send(conn, ex, b"\x00\xffTHIS IS NOT HTTP\r\n\r\n" + secrets.token_bytes(200))


def _body(data: bytes, **kwargs: Any) -> Callable[[HostileServer, socket.socket, Exchange], None]:
    def behaviour(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
        s.answer(conn, ex, data, **kwargs)

    return behaviour


def _huge_declared(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    ex.total = HUGE
    s.send(conn, ex, s.head("200 OK", [("Content-Type", s.content_type), ("Content-Length", HUGE)]))
    for _ in range(HUGE // len(_ZEROS)):
        s.send(conn, ex, _ZEROS)


def _huge_chunked(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    s.chunked(conn, ex, (_ZEROS for _ in range(HUGE // len(_ZEROS))), HUGE)


def _gzip_bomb(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    blocks = 100_000  # 100 GiB inflated, about 100 MB on the wire
    chunks = iter([GZIP_HEADER, *(BOMB_BLOCK * 64 for _ in range(blocks // 64))])
    s.chunked(conn, ex, chunks, len(GZIP_HEADER) + len(BOMB_BLOCK) * blocks, (("Content-Encoding", "gzip"),))


def _bill_bomb(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    s.answer(conn, ex, BILL_BOMB, content_type="application/octet-stream", signed=False)


def _redirect(s: HostileServer, conn: socket.socket, ex: Exchange, location: str) -> None:
    s.answer(conn, ex, b"", status="302 Found", extra=(("Location", location),))


def _too_many_headers(s: HostileServer, conn: socket.socket, ex: Exchange) -> None:
    s.answer(conn, ex, s.ok_body(True), extra=tuple((f"X-Header-{i}", "v") for i in range(200)))


BILL_BOMB = bill_bomb()
BEHAVIOURS: dict[str, Callable[[HostileServer, socket.socket, Exchange], None]] = {
    "ok": _ok,
    "unsigned": _unsigned,
    "drip_body": _drip_body,
    "drip_headers": _drip_headers,
    "stall": _stall,
    "reset": _reset,
    "close_mid_body": _close_mid_body,
    "close_before_answer": _close_before_answer,
    "garbage": _garbage,
    "html": _body(b"<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"),
    "empty": _body(b""),
    "truncated_json": _body(b'{"errcode": 0, "ip_list": ["101.226.1'),
    "not_utf8": _body(b'{"errcode": 0, "nickname": "\xff\xfe\xed\xa0\x80"}'),
    "deep_json": _body(DEEP),
    "deep_xml": _body(b"<xml>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</xml>", content_type="text/xml"),
    "json_array": _body(b"[1, 2, 3]"),
    "huge_declared": _huge_declared,
    "huge_chunked": _huge_chunked,
    "gzip_bomb": _gzip_bomb,
    "bad_gzip": _body(b"this is not gzip at all", extra=(("Content-Encoding", "gzip"),)),
    "unknown_encoding": _body(b"\x0b\x02\x80{}\x03", extra=(("Content-Encoding", "br"),)),
    "wrong_content_type": lambda s, c, e: s.answer(c, e, s.ok_body(True), content_type="application/octet-stream"),
    "redirect_other_host": lambda s, c, e: _redirect(s, c, e, s.redirect_to),
    "redirect_loop": lambda s, c, e: _redirect(s, c, e, s.url + e.path),
    "http_500": _body(b'{"errcode": 0}', status="500 Internal Server Error"),
    "http_502": _body(b"<html>bad gateway</html>", status="502 Bad Gateway", content_type="text/html"),
    "http_503": _body(b"", status="503 Service Unavailable"),
    "too_many_headers": _too_many_headers,
    "errcode_rate_limit": _body(b'{"errcode": 45009, "errmsg": "reach max api daily quota limit"}'),
    "errcode_busy": _body(b'{"errcode": -1, "errmsg": "system error"}'),
    "errcode_token": _body(b'{"errcode": 40001, "errmsg": "invalid credential"}'),
    "errcode_infinity": _body(b'{"errcode": Infinity, "errmsg": "1e400"}'),
    "pay_error_400": _body(b'{"code": "PARAM_ERROR", "message": "bad"}', status="400 Bad Request"),
    "bill_bomb": _bill_bomb,  # run only against the bill downloads
}

#: Failures of the exchange itself: a TransportError from every client.
TRANSPORT = [
    "drip_body", "drip_headers", "stall", "reset", "close_mid_body", "close_before_answer", "garbage",
    "huge_declared", "huge_chunked", "gzip_bomb", "bad_gzip", "unknown_encoding", "redirect_other_host",
    "redirect_loop", "http_500", "http_502", "http_503", "too_many_headers",
]  # fmt: skip
#: Bodies that are not what the client reads (JSON, or XML for v2).
MALFORMED = ["html", "empty", "truncated_json", "not_utf8", "deep_json", "deep_xml", "json_array"]

Expected = tuple[type[WxError], ...] | None  # None: a success


def expected(kind: str, behaviour: str) -> Expected:
    """What each client must do with each behaviour."""
    if behaviour in TRANSPORT:
        return (TransportError,)
    if behaviour == "ok":
        return None
    if kind in ("client", "oauth"):
        return {
            "unsigned": None,  # nothing is signed on this platform
            "wrong_content_type": (TransportError,) if kind == "client" else None,  # OAuth decodes any type
            "errcode_rate_limit": (RateLimitError,),
            "errcode_busy": (SystemBusyError,),
            "errcode_token": (AccessTokenError,),
            "errcode_infinity": (APIError,),
            "pay_error_400": (TransportError,),
        }.get(behaviour, (TransportError,))
    if kind == "v3":
        if behaviour in MALFORMED:
            return None if behaviour == "empty" else (PayError,)  # a signed empty 200 is "{}"
        return {"unsigned": (SignatureError,), "pay_error_400": (PayError,)}.get(behaviour)  # errcodes mean nothing
    # v2: XML, signed inside the body
    return {"unsigned": (SignatureError,), "wrong_content_type": None}.get(behaviour, (PayError,))


# -- the run ----------------------------------------------------------------------------------------------
@attrs.define
class Figures:
    client: str
    inputs: int = 0
    unexpected: int = 0
    wrong: int = 0
    problems: list[str] = attrs.Factory(list)

    def record(self, what: str, outcome: Any, want: Expected, check: Callable[[Any], str | None] | None) -> None:
        self.inputs += 1
        if isinstance(outcome, BaseException) and not isinstance(outcome, WxError):
            self.unexpected += 1
            self.problems.append(f"{what}: unexpected {type(outcome).__name__}: {outcome}")
            return
        ok = not isinstance(outcome, BaseException) if want is None else isinstance(outcome, want)
        problem = None if ok else f"got {outcome!r}, expected {want}"
        if problem is None and check is not None:
            problem = check(outcome)
        if problem is not None:
            self.wrong += 1
            self.problems.append(f"{what}: {problem}")

    def check(self) -> None:
        print(f"\n[hostile server] {self.client}: inputs={self.inputs} unexpected={self.unexpected} wrong={self.wrong}")
        assert self.inputs > 0
        assert (self.unexpected, self.wrong) == (0, 0), "\n".join(self.problems)


def _attempt(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:  # the point: anything not a WxError is counted
        return exc


def structural(server: HostileServer, behaviour: str, sends: int) -> Callable[[Any], str | None]:
    """The checks that bound time and memory without a clock: what the server saw."""

    def check(outcome: Any) -> str | None:
        server.settle()
        exchanges = server.of(behaviour)[-sends:] if sends else []
        watched = behaviour.startswith("drip") or behaviour in ("huge_declared", "huge_chunked", "gzip_bomb", "stall")
        if watched and not exchanges:
            return "the server saw no request"
        if behaviour.startswith("drip"):
            if "deadline" not in str(outcome):
                return f"not stopped by the deadline: {outcome}"
            if not all(e.client_gone and e.sent < e.total for e in exchanges):
                return f"the dripping server was not cut off: {[(e.sent, e.total) for e in exchanges]}"
        huge = behaviour in ("huge_declared", "huge_chunked", "gzip_bomb")
        if huge and not all(e.client_gone and e.sent < e.total // 2 for e in exchanges):
            return f"the client read too much: {[(e.sent, e.total) for e in exchanges]}"
        if behaviour == "redirect_loop" and len(exchanges) != 1:
            return f"a redirect was followed: {len(exchanges)} requests"
        if behaviour == "stall" and not all(e.client_gone for e in exchanges):
            return "the client never hung up on a stalled server"
        return None

    return check


def run(server: HostileServer, kind: str, call: Callable[[], Any], figures: Figures, *, idempotent: bool) -> None:
    """Every behaviour against one client call."""
    for behaviour in BEHAVIOURS:
        if behaviour == "bill_bomb":
            continue
        server.behaviour = behaviour
        before = len(server.of(behaviour))
        outcome = _attempt(call)
        sends = len(server.of(behaviour)) - before
        check = structural(server, behaviour, sends)
        figures.record(f"{kind} {behaviour}", outcome, expected(kind, behaviour), check)
        if behaviour in ("http_500", "http_502", "http_503"):
            tries = 2 if idempotent else 1  # max_retries=1: re-sent once where that is safe
            if sends != tries:
                figures.wrong += 1
                figures.problems.append(f"{kind} {behaviour}: sent {sends} times, expected {tries}")


@pytest.fixture
def server() -> Iterator[HostileServer]:
    main, other = HostileServer(), HostileServer()
    main.redirect_to = other.url + "/stolen"
    yield main
    main.settle()
    assert other.exchanges == [], "a redirect to another host was followed"
    main.close()
    other.close()


LIMITS: dict[str, Any] = {"timeout": TIMEOUT, "max_retries": 1, "backoff": 0.0, "deadline": DEADLINE}


def _same(value: Any) -> Any:
    return value


def _client_figures(name: str, server: HostileServer, tmp_path: Path, client: Any, go: Callable[[Any], Any]) -> Figures:
    """Every behaviour against ``client`` (a Client, or an AsyncClient whose calls ``go`` runs to the end)."""
    figures = Figures(name)
    run(server, "client", lambda: go(client.get("/cgi-bin/hostile")), figures, idempotent=True)
    # A promised field that is no number: int(Infinity) overflowed out of the group method.
    server.behaviour = "ok"
    server.ok_body = lambda signed: b'{"errcode": 0, "msgid": Infinity}'
    outcome = _attempt(lambda: go(client.template.send("o_user", "TEMPLATE_ID", {"thing1": {"value": "hi"}})))
    figures.record("template.send msgid=Infinity", outcome, (TransportError,), None)
    server.ok_body = lambda signed: b'{"errcode": 0, "ok": true}'
    # Downloads: streamed, the same deadline, bounded even when written to a file.
    server.content_type = "image/jpeg"
    for behaviour in ("ok", "drip_body", "huge_chunked", "gzip_bomb", "close_mid_body"):
        server.behaviour = behaviour
        target = tmp_path / f"{behaviour}.jpg"
        before = len(server.of(behaviour))
        outcome = _attempt(lambda: go(client.media.download("MEDIA_ID", target)))  # noqa: B023 - called at once
        want = None if behaviour == "ok" else (TransportError,)
        sends = len(server.of(behaviour)) - before
        figures.record(f"media.download {behaviour}", outcome, want, structural(server, behaviour, sends))
        if behaviour != "ok" and target.exists():
            figures.wrong += 1
            figures.problems.append(f"media.download {behaviour}: a partial file was left")
        outcome = _attempt(lambda: go(client.material.get("MEDIA_ID")))  # the bytes, held in memory
        figures.record(f"material.get {behaviour}", outcome, want, structural(server, behaviour, 1))
    return figures


def test_client(server: HostileServer, tmp_path: Path) -> None:
    client = Client("wxhostile", base_url=server.url, token_source=lambda: "TOKEN", max_body_size=LIMIT,
                    max_download_size=LIMIT, **LIMITS)  # fmt: skip
    _client_figures("Client", server, tmp_path, client, _same).check()


def test_async_client(server: HostileServer, tmp_path: Path) -> None:
    """The same behaviours, expectations and figures for the AsyncClient (httpx), run on one event loop."""
    loop = asyncio.new_event_loop()
    try:
        client = AsyncClient("wxhostile", base_url=server.url, token_source=lambda: "TOKEN", max_body_size=LIMIT,
                             max_download_size=LIMIT, **LIMITS)  # fmt: skip
        figures = _client_figures("AsyncClient", server, tmp_path, client, loop.run_until_complete)
        loop.run_until_complete(client.aclose())
    finally:
        loop.close()
    figures.check()


def test_oauth(server: HostileServer) -> None:
    server.ok_body = lambda signed: (
        b'{"access_token": "A", "expires_in": 7200, "refresh_token": "R", "openid": "O", "scope": "snsapi_base"}'
    )
    oauth = OAuth("wxhostile", "secret", http=HTTPClient(server.url, max_body_size=LIMIT, **LIMITS))
    figures = Figures("OAuth")
    run(server, "oauth", lambda: oauth.fetch_token("CODE"), figures, idempotent=False)
    figures.check()


def test_async_oauth(server: HostileServer) -> None:
    server.ok_body = lambda signed: (
        b'{"access_token": "A", "expires_in": 7200, "refresh_token": "R", "openid": "O", "scope": "snsapi_base"}'
    )
    loop = asyncio.new_event_loop()
    try:
        http = AsyncHTTPClient(server.url, max_body_size=LIMIT, **LIMITS)
        oauth = AsyncOAuth("wxhostile", "secret", http=http)
        figures = Figures("AsyncOAuth")
        go = loop.run_until_complete
        run(server, "oauth", lambda: go(oauth.fetch_token("CODE")), figures, idempotent=False)
        loop.run_until_complete(http.aclose())
    finally:
        loop.close()
    figures.check()


def test_pay_v3(server: HostileServer, tmp_path: Path) -> None:
    platform = platform_key(0)
    server.sign_key = platform
    server.ok_body = lambda signed: b'{"code_url": "weixin://wxpay/bizpayurl?pr=hostile"}'
    pay = PayClient(
        "1900000109", "MERCHANT_SERIAL", platform_key(100), APIV3_KEY, base_url=server.url,
        public_key=platform.public_key().export_key().decode(), public_key_id=PAY_KEY_ID, use_certificates=False,
        max_body_size=LIMIT, max_bill_size=LIMIT, **LIMITS,
    )  # fmt: skip
    figures = Figures("PayClient (v3)")
    run(server, "v3", lambda: pay.request("GET", "/v3/pay/transactions/id/4200000001"), figures, idempotent=True)
    # Bills: not signed by WeChat; in memory bounded by max_bill_size, streamed to a file by save().
    server.sign_key = None
    url = server.url + "/v3/billdownload/file?token=hostile"
    for behaviour, want in (("bill_bomb", (PayError,)), ("drip_body", (TransportError,))):
        server.behaviour = behaviour
        tracemalloc.start()
        try:
            outcome = _attempt(lambda: pay.bills.download(url))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        figures.record(f"bills.download {behaviour}", outcome, want, structural(server, behaviour, 1))
        if peak > 16 * LIMIT:  # the bomb inflates to 200 MiB; at most LIMIT of it may be held
            figures.wrong += 1
            figures.problems.append(f"bills.download {behaviour}: {peak} bytes traced")
        if behaviour == "drip_body":
            target = tmp_path / "bill.csv"
            outcome = _attempt(lambda: pay.bills.save(url, target))  # noqa: B023 - called at once
            figures.record("bills.save drip_body", outcome, (TransportError,), structural(server, behaviour, 1))
            if target.exists() or list(tmp_path.iterdir()):
                figures.wrong += 1
                figures.problems.append("bills.save: a partial file was left")
    figures.check()


def test_pay_v2(server: HostileServer) -> None:
    def ok_body(signed: bool) -> bytes:
        fields = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": "wxhostile", "mch_id": "1900000109",
                  "nonce_str": "n", "out_trade_no": "T1", "trade_state": "NOTPAY"}  # fmt: skip
        if signed:
            fields["sign"] = v2.sign(fields, V2_KEY)
        return render_xml(fields).encode()

    server.ok_body = ok_body
    server.content_type = "text/xml"
    pay = v2.PayClientV2("wxhostile", "1900000109", V2_KEY, base_url=server.url, max_body_size=LIMIT,
                         max_bill_size=LIMIT, **LIMITS)  # fmt: skip
    figures = Figures("PayClientV2")
    run(server, "v2", lambda: pay.order_query(out_trade_no="T1"), figures, idempotent=True)
    server.behaviour = "bill_bomb"
    tracemalloc.start()
    try:
        outcome = _attempt(lambda: pay.download_bill("20240101"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    figures.record("download_bill bill_bomb", outcome, (PayError,), None)
    if peak > 16 * LIMIT:
        figures.wrong += 1
        figures.problems.append(f"download_bill bill_bomb: {peak} bytes traced")
    figures.check()


def test_bill_bomb_is_a_real_200_mib_gzip_file() -> None:
    """The control: the bomb the clients refuse is valid gzip, 200 MiB inflated, about 200 KB on the wire."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    size = 0
    view = io.BytesIO(BILL_BOMB)
    while chunk := view.read(4096):
        while chunk:
            size += len(decoder.decompress(chunk, 1 << 20))
            chunk = decoder.unconsumed_tail
    assert decoder.eof
    assert size == 200 << 20
    assert len(BILL_BOMB) < 256 * 1024
