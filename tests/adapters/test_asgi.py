"""The ASGI adapter: through Starlette's TestClient (mounted) and as a raw ASGI 3 app."""

from __future__ import annotations

import asyncio
import warnings
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from wxkit.adapters.asgi import make_asgi_app

from .conftest import AdapterContract

with warnings.catch_warnings():
    # starlette >= 1.x prefers the httpx2 package for its test client; httpx still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


@pytest.fixture
def client(bot, work_bot):
    app = Starlette(
        routes=[
            Mount("/wechat", app=make_asgi_app(bot)),
            Route("/work", endpoint=make_asgi_app(work_bot)),
        ]
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def send(client, pushes):
    def send(method, params=None, body=None, path="/wechat/"):
        response = client.request(method, path, params=params, content=body)
        return pushes.result(response.status_code, response.headers.get("content-type"), response.text)

    return send


class TestContract(AdapterContract):
    """The checks every adapter passes (see ``conftest.py``)."""


def test_mount_without_trailing_slash_redirects(send, pushes):
    result = send("GET", pushes.url_check("e-2"), path="/wechat")
    assert (result.status, result.text) == (200, "e-2")


def test_put_is_405(client, pushes):
    response = client.put("/wechat/", params=pushes.signed(), content="<xml/>")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


# -- raw ASGI, no framework -------------------------------------------------


def run(app, scope, incoming):
    """Run one ASGI call with ``incoming`` messages; return what the app sent and how many it received."""
    sent, queue = [], list(incoming)

    async def receive():
        if not queue:
            raise AssertionError("the app read more than it needed")
        return queue.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, len(incoming) - len(queue)


def http_scope(method="POST", query=b"", headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "method": method,
        "path": "/",
        "query_string": query,
        "headers": list(headers),
    }


def test_lifespan(bot):
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent, received = run(make_asgi_app(bot), {"type": "lifespan", "asgi": {"version": "3.0"}}, incoming)
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert received == 2


def test_websocket_is_closed(bot):
    sent, _ = run(make_asgi_app(bot), {"type": "websocket", "path": "/"}, [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close", "code": 1000}]


def test_raw_push_in_chunks(bot, pushes):
    params, body = pushes.plain("chunks")
    data = body.encode()
    incoming = [
        {"type": "http.request", "body": data[:10], "more_body": True},
        {"type": "http.request", "body": data[10:], "more_body": False},
    ]
    sent, _ = run(make_asgi_app(bot), http_scope(query=urlencode(params).encode()), incoming)
    start, body_message = sent
    assert start["status"] == 200
    assert dict(start["headers"])[b"content-length"] == str(len(body_message["body"])).encode()
    assert b"echo: chunks" in body_message["body"]


def test_declared_length_over_limit_is_413_without_reading(bot):
    scope = http_scope(headers=[(b"content-length", b"99999999")])
    sent, received = run(make_asgi_app(bot), scope, [])
    assert sent[0]["status"] == 413
    assert received == 0


def test_bad_content_length_is_400(bot):
    sent, _ = run(make_asgi_app(bot), http_scope(headers=[(b"content-length", b"-1")]), [])
    assert sent[0]["status"] == 400


def test_streamed_body_stops_at_the_limit(bot):
    chunk = {"type": "http.request", "body": b"x" * 1000, "more_body": True}
    sent, received = run(make_asgi_app(bot), http_scope(), [chunk] * 10)
    assert sent[0]["status"] == 413
    assert received == 5  # 5000 bytes > 4096: the rest is never read


def test_disconnect_sends_nothing(bot):
    sent, _ = run(make_asgi_app(bot), http_scope(), [{"type": "http.disconnect"}])
    assert sent == []
