"""The ASGI adapter: through Starlette's TestClient (mounted) and as a raw ASGI 3 app."""

from __future__ import annotations

import asyncio
import io
import threading
import warnings
from urllib.parse import parse_qs, urlencode

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from wxkit.adapters.asgi import make_asgi_app

from .conftest import AES_KEY, APP_ID, BODY_LIMIT, CORP_ID, TOKEN, AdapterContract, EchoBot, HttpResult, WorkEchoBot

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


# -- async def handlers (handle_async) ------------------------------------------------------------
class AsyncEchoBot(EchoBot):
    """EchoBot with async def handlers and hooks."""

    async def on_text(self, message):
        await asyncio.sleep(0)
        if message.content == "boom":
            raise RuntimeError("handler failed")
        return f"async echo: {message.content}"

    async def on_error(self, message, error):
        return f"sorry ({type(error).__name__})"


class AsyncWorkBot(WorkEchoBot):
    async def on_text(self, message):
        return f"async work: {message.content}"


def asgi_send(app, method, params, body=None, path="/wechat/"):
    """One request through httpx's in-process ASGI transport (a real HTTP exchange, no socket)."""
    import httpx

    async def call():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, path, params=params, content=body)

    response = asyncio.run(call())
    return HttpResult(response.status_code, response.headers.get("content-type", ""), response.text)


@pytest.fixture
def async_app():
    """A Starlette app serving the async bots (mounted and as a route)."""
    bot = AsyncEchoBot(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, max_body_size=BODY_LIMIT)
    work = AsyncWorkBot(token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY)
    return Starlette(routes=[Mount("/wechat", app=make_asgi_app(bot)), Route("/work", endpoint=make_asgi_app(work))])


def test_async_handlers_through_the_adapter(async_app, pushes):
    pushes.assert_echo(pushes.text_reply(asgi_send(async_app, "POST", *pushes.plain("hi"))), "async echo: hi")
    reply = pushes.decrypted_reply(asgi_send(async_app, "POST", *pushes.safe("secret")))
    pushes.assert_echo(reply, "async echo: secret")
    reply = pushes.decrypted_reply(asgi_send(async_app, "POST", *pushes.work_push("w"), path="/work"), work=True)
    pushes.assert_echo(reply, "async work: w")
    assert pushes.text_reply(asgi_send(async_app, "POST", *pushes.plain("boom")))["Content"] == ("sorry (RuntimeError)")


def test_async_bot_errors_through_the_adapter(async_app, pushes):
    assert asgi_send(async_app, "GET", pushes.url_check("e-9")).text == "e-9"
    assert asgi_send(async_app, "POST", *pushes.bad_signature()).status == 403
    assert asgi_send(async_app, "POST", *pushes.malformed()).status == 400
    assert asgi_send(async_app, "POST", *pushes.oversized()).status == 413
    params, body = pushes.plain("twice")
    assert asgi_send(async_app, "POST", params, body).status == 200
    retry = asgi_send(async_app, "POST", params, body)  # WeChat's retry of a fast push: not handled again
    assert (retry.status, retry.text) == (200, "success")


@pytest.mark.parametrize("blocking", [True, False])
def test_plain_handlers_run_in_a_thread_unless_declared_non_blocking(pushes, blocking):
    class Bot(EchoBot):
        handlers_block = blocking

        def on_text(self, message):
            self.handler_thread = threading.get_ident()
            return "plain"

    bot = Bot(token=TOKEN)
    app = make_asgi_app(bot)
    params, body = pushes.plain("x")
    scope = http_scope(query=urlencode(params).encode())
    loop_threads = []

    async def main():
        loop_threads.append(threading.get_ident())
        sent = []

        async def receive():
            return {"type": "http.request", "body": body.encode(), "more_body": False}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent

    sent = asyncio.run(main())
    assert sent[0]["status"] == 200
    assert (bot.handler_thread != loop_threads[0]) is blocking


def test_sync_adapters_refuse_an_async_bot(pushes):
    from wxkit.adapters.wsgi import make_wsgi_app
    from wxkit.errors import ConfigError

    bot = AsyncEchoBot(token=TOKEN)
    params, body = pushes.plain("hi")
    environ = {
        "REQUEST_METHOD": "POST",
        "QUERY_STRING": urlencode(params),
        "CONTENT_LENGTH": str(len(body.encode())),
        "wsgi.input": io.BytesIO(body.encode()),
    }
    with pytest.raises(ConfigError, match=r"on_text.*handle_async"):
        make_wsgi_app(bot)(environ, lambda *args: None)


@pytest.mark.parametrize(
    "query",
    [b"echostr=abc&signature=s", b"echostr=%E4%B8%AD+x&a", "echostr=中 é".encode(), b"echostr=\xff\xfe&&=v"],
)
def test_query_strings_are_read_as_parse_qs_of_the_utf8_text(query):
    """The fast split of plain ASCII and the parse_qs path give what parse_qs of the decoded text gives."""
    seen = []

    class Recorder(EchoBot):
        async def handle_async(self, method, params, body, **kwargs):
            seen.append(params)
            return await super().handle_async(method, params, body, **kwargs)

    app = make_asgi_app(Recorder(token="t"))
    run(app, http_scope("GET", query), [])
    assert seen == [parse_qs(query.decode("utf-8", "replace"), keep_blank_values=True)]
