"""wxkit.bounds: deadlines, bounded decoding and expires_in clamping, unit by unit and where they are used."""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import math
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wxkit import Client
from wxkit.bounds import (
    MAX_EXPIRES_IN,
    MIN_EXPIRES_IN,
    BodyDecoder,
    Deadline,
    clamp_expires_in,
    current_deadline,
    default_deadline,
)
from wxkit.errors import PayError, TransportError
from wxkit.oauth import UserToken
from wxkit.storage import MemoryStorage, RedisStorage, Storage

_SOURCES = itertools.count()


def source() -> str:
    """A fresh source name: warnings are logged once per source per process."""
    return f"the test endpoint #{next(_SOURCES)}"


# -- clamp_expires_in ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7200, 7200),
        ("7200", 7200),
        (7200.9, 7200),
        (None, 7200),
        (math.inf, MAX_EXPIRES_IN),
        ("Infinity", MAX_EXPIRES_IN),
        (1e30, MAX_EXPIRES_IN),
        (10**20, MAX_EXPIRES_IN),
        (10**400, MAX_EXPIRES_IN),  # float() of it overflows
        (0, MIN_EXPIRES_IN),
        (-5, MIN_EXPIRES_IN),
        (-math.inf, MIN_EXPIRES_IN),
        (math.nan, 7200),
        ("soon", 7200),
        (True, 7200),
        ([7200], 7200),
    ],
)
def test_clamp_expires_in(value: object, expected: int) -> None:
    assert clamp_expires_in(value, source=source()) == expected


def test_clamp_warns_once_per_source(caplog: pytest.LogCaptureFixture) -> None:
    name = source()
    with caplog.at_level(logging.WARNING, logger="wxkit.client"):
        for _ in range(3):
            clamp_expires_in(math.inf, source=name)
        clamp_expires_in(7200, source=source())  # in range: nothing to say
    assert [r.getMessage() for r in caplog.records] == [f"{name} announced expires_in=inf; using 604800 s"]


def test_oauth_user_token_expires_in_never_overflows() -> None:
    data = {"access_token": "a", "openid": "o", "refresh_token": "r", "scope": "snsapi_base"}
    assert UserToken.from_response({**data, "expires_in": math.inf}).expires_in == MAX_EXPIRES_IN
    assert UserToken.from_response({**data, "expires_in": 0}).expires_in == MIN_EXPIRES_IN
    assert UserToken.from_response(data).expires_in == 7200


# -- expires_in from the token and ticket endpoints, cached ---------------------------------------------
class _TokenServer:
    """A WSGI app answering the stable-token and getticket endpoints with a chosen ``expires_in`` literal."""

    def __init__(self, expires_in: str) -> None:
        self.expires_in = expires_in
        self.hits: dict[str, int] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"]
        self.hits[path] = self.hits.get(path, 0) + 1
        field = "access_token" if path.endswith("stable_token") else "ticket"
        tail = "" if self.expires_in == "missing" else f', "expires_in": {self.expires_in}'
        body = f'{{"errcode": 0, "{field}": "VALUE-{self.hits[path]}"{tail}}}'.encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    if request.param == "memory":
        yield MemoryStorage()
        return
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    client.flushdb()
    yield RedisStorage(client)
    client.close()


@pytest.mark.parametrize("expires_in", ["Infinity", "1e30", str(10**20), "0", "-5", '"soon"', "missing"])
def test_absurd_expires_in_is_cached_within_bounds(
    wsgi_server: Callable[[Any], str], storage: Storage, expires_in: str
) -> None:
    """Before the fix: OverflowError (Infinity), a Redis ResponseError (1e30), a fetch per call (0)."""
    server = _TokenServer(expires_in)
    client = Client(f"wxclamp{next(_SOURCES)}", "secret", base_url=wsgi_server(server), storage=storage)
    assert client.access_token == client.access_token == "VALUE-1"
    assert client.jssdk.get_ticket() == client.jssdk.get_ticket() == "VALUE-1"
    assert server.hits == {"/cgi-bin/stable_token": 1, "/cgi-bin/ticket/getticket": 1}
    if isinstance(storage, RedisStorage):
        ttl = storage.redis.pttl(storage.prefix + client.tokens.key) / 1000
        assert 0 < ttl <= MAX_EXPIRES_IN


# -- Deadline --------------------------------------------------------------------------------------------
def test_default_deadline_is_the_documented_worst_case() -> None:
    assert default_deadline((3.05, 10.0), max_retries=2, backoff=0.2) == pytest.approx(3 * 13.05 + 0.2 + 0.4)
    assert default_deadline(1.0, max_retries=0, backoff=5.0) == 2.0


def test_deadline_with_a_fake_clock() -> None:
    now = [100.0]
    deadline = Deadline(5.0, clock=lambda: now[0])
    assert deadline.remaining() == 5.0
    assert not deadline.expired()
    deadline.check("GET", "https://x/y")
    now[0] = 105.0
    assert deadline.expired()
    with pytest.raises(TransportError, match="GET https://x/y timed out: exceeded its deadline of 5 s") as info:
        deadline.check("GET", "https://x/y")
    assert (info.value.method, info.value.url, deadline.hit) == ("GET", "https://x/y", True)
    assert Deadline(None).remaining() == math.inf


def test_deadline_scope() -> None:
    outer, inner = Deadline(10), Deadline(1)
    assert current_deadline() is None
    with outer.active():
        with inner.active():
            assert current_deadline() is inner
        assert current_deadline() is outer
    assert current_deadline() is None


# -- BodyDecoder ------------------------------------------------------------------------------------------
def decode_all(decoder: BodyDecoder, data: bytes, chunk: int = 4096) -> bytes:
    out = b"".join(p for i in range(0, len(data), chunk) for p in decoder.decode(data[i : i + chunk]))
    decoder.finish()
    return out


@pytest.mark.parametrize("chunk", [1, 5, 4096, 10**9])
@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "deflate-raw", "", "identity"])
def test_decodes_in_any_chunking(encoding: str, chunk: int) -> None:
    data = json.dumps({"k": list(range(20_000))}).encode()
    wire = {
        "gzip": gzip.compress(data, mtime=0),
        "x-gzip": gzip.compress(data, mtime=0),
        "deflate": zlib.compress(data),
        "deflate-raw": zlib.compress(data)[2:-4],
    }.get(encoding, data)
    header = "deflate" if encoding == "deflate-raw" else encoding
    assert decode_all(BodyDecoder(header, limit=len(data)), wire, chunk) == data


def test_several_gzip_members_and_trailing_bytes() -> None:
    wire = gzip.compress(b"abc", mtime=0) + gzip.compress(b"def", mtime=0)
    assert decode_all(BodyDecoder("gzip", limit=None), wire, 3) == b"abcdef"
    assert decode_all(BodyDecoder("gzip", limit=None), gzip.compress(b"abc", mtime=0) + b"\n\n") == b"abc"


def test_gzip_bomb_is_refused_after_at_most_the_limit() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, mtime=0)  # about 50 KB on the wire
    decoder = BodyDecoder("gzip", limit=1_000_000, what="GET https://x answered")
    with pytest.raises(TransportError, match="GET https://x answered with more than 1000000 bytes"):
        decode_all(decoder, bomb, 1 << 20)
    assert decoder.size <= 1_000_001  # never inflated whole


def test_unbounded_decoding_still_inflates_step_by_step() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000, mtime=0)
    pieces = list(BodyDecoder("gzip", limit=None).decode(bomb))
    assert sum(map(len, pieces)) == 5_000_000
    assert max(map(len, pieces)) <= 256 * 1024


@pytest.mark.parametrize(
    ("encoding", "wire", "message"),
    [
        ("br", b"x", "unsupported Content-Encoding 'br'"),
        ("gzip, deflate", b"x", "unsupported Content-Encoding"),
        ("gzip", b"definitely not gzip", "not valid gzip"),
        ("gzip", gzip.compress(b"x" * 1000, mtime=0)[:-10], "truncated gzip"),
        ("deflate", zlib.compress(b"x" * 1000)[:8], "truncated deflate"),
    ],
)
def test_bad_encodings_are_the_given_error(encoding: str, wire: bytes, message: str) -> None:
    def error(text: str) -> PayError:
        return PayError("INVALID_RESPONSE", text)

    with pytest.raises(PayError, match=message):
        decode_all(BodyDecoder(encoding, limit=None, error=error), wire)


def test_identity_limit_and_empty_bodies() -> None:
    with pytest.raises(TransportError, match="more than 3 bytes"):
        decode_all(BodyDecoder("", limit=3), b"abcd")
    assert decode_all(BodyDecoder("gzip", limit=3), b"") == b""  # an empty body, e.g. a 204
