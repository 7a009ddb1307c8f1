"""The open platform's message URL: one WxApplication for every authorizer, the release check, the login page."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import uuid
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests

from wxkit import WxApplication
from wxkit.adapters.asgi import make_asgi_app
from wxkit.adapters.wsgi import make_wsgi_app
from wxkit.core.token import component_verify_ticket_key
from wxkit.errors import ConfigError, ParseError
from wxkit.messages import TextMessage
from wxkit.open import AsyncComponent, AuthorizedEvent, Component
from wxkit.open.release import RELEASE_TEST_APPIDS, RELEASE_TEST_OFFICIAL_ACCOUNTS
from wxkit.storage import MemoryStorage
from wxkit.testing import Emulator
from wxkit.testing.open import ComponentState
from wxkit.testing.push import WeChatPusher

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN = "event-token"
TEST_APPID = "wx570bc396a51b8ff8"


class Platform(Component):
    """The authorization event URL: trades every authorization code (as most platforms do)."""

    def on_authorized(self, event: AuthorizedEvent) -> None:
        self.query_auth(event.authorization_code)


class Bot(WxApplication):
    """Answers which account a message is for."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: list[TextMessage] = []

    def on_text(self, msg: TextMessage) -> str:
        self.seen.append(msg)
        return f"{msg.authorizer_appid}|{msg.to_user_name}|{msg.content}"


class AsyncBot(Bot):
    async def on_text(self, msg: TextMessage) -> str:  # type: ignore[override]  # the async twin
        self.seen.append(msg)
        return f"{msg.authorizer_appid}|{msg.to_user_name}|{msg.content}"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class ASGIServer:
    """An ASGI app on a free loopback port: threaded wsgiref in front, one event loop behind (as uvicorn runs it)."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.app, self.loop = app, loop
        self.httpd = make_server("127.0.0.1", 0, self._wsgi, server_class=_ThreadingServer, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": environ["REQUEST_METHOD"],
            "path": environ.get("PATH_INFO") or "/",
            "query_string": str(environ.get("QUERY_STRING") or "").encode("latin-1"),
            "headers": [(b"content-length", str(len(body)).encode())],
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        asyncio.run_coroutine_threadsafe(self.app(scope, receive, send), self.loop).result(30)
        status = sent[0]["status"]
        headers = [(k.decode(), v.decode()) for k, v in sent[0]["headers"]]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [b"".join(m.get("body", b"") for m in sent[1:])]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def state(wechat_emulator: Emulator) -> ComponentState:
    return wechat_emulator.add_component(
        f"wxc{uuid.uuid4().hex[:14]}", "component-secret", token=TOKEN, aes_key=AES_KEY
    )


@pytest.fixture
def platform(state: ComponentState, wechat_emulator: Emulator) -> Iterator[Platform]:
    """A sync platform (the authorization event URL) with its ticket stored."""
    made = Platform(state.appid, state.secret, TOKEN, AES_KEY, MemoryStorage(), base_url=wechat_emulator.url)
    state.push_verify_ticket(made)
    state.event_target = made
    yield made
    made.close()


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(10)
    running.close()


@pytest.fixture(params=["sync", "async"])
def serve_messages(
    request: pytest.FixtureRequest,
    platform: Platform,
    wechat_emulator: Emulator,
    wsgi_server: Callable[[Any], str],
    loop: asyncio.AbstractEventLoop,
) -> Iterator[Callable[..., tuple[Bot, str]]]:
    """``serve_messages(**options)``: ``(application, message URL with $APPID$)``, over WSGI (sync) or ASGI (async).

    The async run's application comes from an AsyncComponent sharing the sync platform's storage.
    """
    servers: list[ASGIServer] = []
    components: list[AsyncComponent] = []

    def serve(**options: Any) -> tuple[Bot, str]:
        if request.param == "sync":
            app = platform.application(Bot, **options)
            return app, f"{wsgi_server(make_wsgi_app(app))}/wx/$APPID$"
        component = AsyncComponent(
            platform.component_appid, "component-secret", TOKEN, AES_KEY, platform.storage, base_url=wechat_emulator.url
        )
        components.append(component)
        app = component.application(AsyncBot, **options)
        server = ASGIServer(make_asgi_app(app), loop)
        servers.append(server)
        return app, f"{server.url}/wx/$APPID$"

    yield serve
    for server in servers:
        server.close()
    for component in components:
        asyncio.run_coroutine_threadsafe(component.aclose(), loop).result(10)


def test_two_authorizers_messages_through_one_application(state: ComponentState, serve_messages: Any) -> None:
    app, url = serve_messages()
    for appid in ("wx_shop", "wx_cafe"):
        state.authorize(appid, state.event_target)
    for appid in ("wx_shop", "wx_cafe"):
        push = state.pusher(appid).text(f"hello {appid}")
        reply = state.push_message(url, appid, push)  # the reply is verified and decrypted with the platform's key
        assert reply.status == 200
        assert reply.encrypted
        assert reply.content == f"{appid}|{state.user_name(appid)}|hello {appid}"
        assert reply.data["ToUserName"] == "o_test_user"
    assert [m.authorizer_appid for m in app.seen] == ["wx_shop", "wx_cafe"]


def test_appid_inside_the_path_as_wechats_documented_example(state: ComponentState, serve_messages: Any) -> None:
    # WeChat's message-push page: "https://www.qq.com/$APPID$/revice" is pushed to as /wxba5fad812f8e6fb9/revice
    app, url = serve_messages()
    url = url.replace("/wx/$APPID$", "/$APPID$/revice")
    appid = "wxba5fad812f8e6fb9"
    reply = state.push_message(url, appid, state.pusher(appid).text("hi"))
    assert reply.status == 200
    assert reply.content == f"{appid}|{state.user_name(appid)}|hi"  # not "revice"
    assert [m.authorizer_appid for m in app.seen] == [appid]


def test_replay_keys_are_per_account(platform: Platform, state: ComponentState) -> None:
    app = platform.application(Bot)
    same = {"MsgId": "5000000001", "CreateTime": "1700000000", "FromUserName": "o_same"}
    pushes = {appid: state.pusher(appid).text("same push", **same) for appid in ("wx_shop", "wx_cafe")}
    for appid, push in pushes.items():  # equal MsgId, FromUserName and CreateTime in two accounts
        assert app.handle("POST", push.params, push.body, authorizer_appid=appid).status == 200
    assert [m.authorizer_appid for m in app.seen] == ["wx_shop", "wx_cafe"]  # no collision across accounts
    again = pushes["wx_shop"]  # WeChat's retry
    assert app.handle("POST", again.params, again.body, authorizer_appid="wx_shop").status == 200
    assert len(app.seen) == 2  # the same account's retry is not handled again
    keys = [k for k in app.storage._data if k.startswith("wxkit:seen:")]  # type: ignore[union-attr]
    assert any(":wx_shop:" in k for k in keys)
    assert any(":wx_cafe:" in k for k in keys)
    flowing = platform.application(AsyncBot, storage=MemoryStorage())  # the async path's flow keys alike

    async def twice() -> None:
        for appid in ("wx_shop", "wx_cafe", "wx_shop"):
            push = pushes[appid]
            assert (await flowing.handle_async("POST", push.params, push.body, authorizer_appid=appid)).status == 200

    asyncio.run(twice())
    assert [m.authorizer_appid for m in flowing.seen] == ["wx_shop", "wx_cafe"]


@pytest.mark.parametrize("entry", ["sync", "async"])
def test_a_push_replayed_under_another_accounts_url_is_refused(
    platform: Platform, state: ComponentState, entry: str
) -> None:
    """The appid of the URL is not signed: an account's signed ToUserName is bound to the appid it first came under."""
    app = platform.application(Bot if entry == "sync" else AsyncBot, storage=MemoryStorage())

    def post(push: Any, appid: str) -> int:
        if entry == "sync":
            return app.handle("POST", push.params, push.body, authorizer_appid=appid).status
        return asyncio.run(app.handle_async("POST", push.params, push.body, authorizer_appid=appid)).status

    captured = state.pusher("wx_shop").text("pay 100 to eve")
    assert post(captured, "wx_shop") == 200
    assert post(captured, "wx_cafe") == 403  # re-posted to another account's URL: never handled as wx_cafe
    fresh = state.pusher("wx_shop").text("a new push, still wx_shop's")
    assert post(fresh, "wx_cafe") == 403  # the binding holds for every later push of the account
    assert [(m.authorizer_appid, m.content) for m in app.seen] == [("wx_shop", "pay 100 to eve")]
    assert post(state.pusher("wx_cafe").text("hello"), "wx_cafe") == 200
    assert app.storage.get("wxkit:open:account:gh_wx_shop") == "wx_shop"  # type: ignore[union-attr]
    restarted = platform.application(Bot, storage=app.storage)  # another process sharing the storage
    assert restarted.handle("POST", fresh.params, fresh.body, authorizer_appid="wx_cafe").status == 403


def test_async_entry_points_carry_the_appid(platform: Platform, state: ComponentState) -> None:
    app = platform.application(AsyncBot)
    push = state.pusher("wx_shop").text("hi")
    response = asyncio.run(app.handle_async("POST", push.params, push.body, authorizer_appid="wx_shop"))
    assert state.pusher("wx_shop").read_reply(response.status, response.body).content.startswith("wx_shop|")
    push = state.pusher("wx_cafe").text("hi")
    body = asyncio.run(app.process_async(push.params, push.body, authorizer_appid="wx_cafe"))
    assert state.pusher("wx_cafe").read_reply(200, body).content.startswith("wx_cafe|")


def test_pushes_for_another_platform_or_badly_signed_are_refused(platform: Platform, state: ComponentState) -> None:
    app = platform.application(Bot)
    other = WeChatPusher(TOKEN, app_id="wx_other_component", aes_key=AES_KEY).text("forged")  # wrong receive id
    assert app.handle("POST", other.params, other.body, authorizer_appid="wx_shop").status == 400
    push = state.pusher("wx_shop").text("tampered")
    bad = dict(push.params, msg_signature="0" * 40)
    assert app.handle("POST", bad, push.body, authorizer_appid="wx_shop").status == 403
    plain = WeChatPusher(TOKEN).text("plaintext")  # an open-platform push is always encrypted
    assert app.handle("POST", plain.params, plain.body, authorizer_appid="wx_shop").status == 403
    assert app.seen == []


def test_missing_malformed_or_refused_appid(platform: Platform, state: ComponentState) -> None:
    class Picky(Bot):
        def accepts_authorizer(self, authorizer_appid: str) -> bool:
            return authorizer_appid == "wx_shop"

    app = platform.application(Picky)
    push = state.pusher("wx_shop").text("hi")
    assert app.handle("POST", push.params, push.body).status == 400
    assert app.handle("POST", push.params, push.body, authorizer_appid="../etc").status == 400
    assert app.handle("POST", push.params, push.body, authorizer_appid="").status == 400
    assert app.handle("POST", push.params, push.body, authorizer_appid="wx_cafe").status == 403
    with pytest.raises(ParseError):
        app.process(push.params, push.body)
    assert app.seen == []
    assert app.handle("POST", push.params, push.body, authorizer_appid="wx_shop").status == 200
    with pytest.raises(ConfigError):  # an account's own application takes no authorizer appid
        Bot(token=TOKEN).handle("POST", push.params, push.body, authorizer_appid="wx_shop")
    with pytest.raises(ConfigError):
        Bot(token=TOKEN, open_platform=True)  # pushes are always encrypted: the platform's key is needed
    with pytest.raises(ConfigError):
        Bot(token=TOKEN, release_check=True)


def test_release_check_without_a_component_is_refused_at_construction(platform: Platform) -> None:
    # else the check's QUERY_AUTH_CODE push fails only in the background, with a log line
    with pytest.raises(ConfigError, match="component"):
        Bot(token=TOKEN, aes_key=AES_KEY, app_id=platform.component_appid, open_platform=True, release_check=True)
    platform.application(Bot, release_check=True)  # Component.application() passes itself


def test_release_check_passes(state: ComponentState, serve_messages: Any) -> None:
    app, url = serve_messages(release_check=True)
    result = state.run_release_check(url)  # the Platform's on_authorized trades the code first (61009 later)
    assert result.passed, result.failures
    assert app.seen == []  # answered before the handlers


def test_release_check_for_a_test_mini_program_without_an_event_url(
    platform: Platform, state: ComponentState, wechat_emulator: Emulator
) -> None:
    app = platform.application(Bot, release_check=True)
    state.event_target = None  # authorized is not pushed: the message's query_auth trades the code
    result = state.run_release_check(app, appid="wxd101a85aa106f53e")
    assert result.passed, result.failures
    assert "wxd101a85aa106f53e" in RELEASE_TEST_APPIDS


def test_release_check_off_or_other_accounts_reach_the_handlers(platform: Platform, state: ComponentState) -> None:
    app = platform.application(Bot)  # release_check off
    push = state.pusher(TEST_APPID).text("TESTCOMPONENT_MSG_TYPE_TEXT")
    reply = state.pusher(TEST_APPID).read_reply(
        *_status_body(app.handle("POST", push.params, push.body, authorizer_appid=TEST_APPID))
    )
    assert reply.content == f"{TEST_APPID}|{RELEASE_TEST_OFFICIAL_ACCOUNTS[TEST_APPID]}|TESTCOMPONENT_MSG_TYPE_TEXT"
    checked = platform.application(Bot, release_check=True)
    push = state.pusher("wx_shop").text("TESTCOMPONENT_MSG_TYPE_TEXT")  # not a test account
    response = checked.handle("POST", push.params, push.body, authorizer_appid="wx_shop")
    assert state.pusher("wx_shop").read_reply(*_status_body(response)).content.startswith("wx_shop|")


def _status_body(response: Any) -> tuple[int, str]:
    return response.status, response.body


# -- the authorization page ----------------------------------------------------------------
@pytest.mark.parametrize("page", ["pc", "mobile"])
def test_authorization_page_redirects_with_the_auth_code(
    platform: Platform, state: ComponentState, wechat_emulator: Emulator, page: str
) -> None:
    pre_auth_code = platform.get_pre_auth_code()
    if page == "pc":
        url = platform.authorization_url(
            pre_auth_code, "https://example.com/done?x=1", base_url=f"{wechat_emulator.url}/cgi-bin/componentloginpage"
        )
    else:
        url = platform.mobile_authorization_url(
            pre_auth_code, "https://example.com/done", base_url=f"{wechat_emulator.url}/wxaopen/safe/bindcomponent"
        )
    response = requests.get(url, params={"emu_authorizer_appid": "wx_shop"}, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://example.com/done"
    query = parse_qs(location.query)
    assert query["expires_in"] == ["3600"]
    assert query["auth_code"][0].startswith("queryauthcode@@@")
    assert "wx_shop" in state.authorizers
    assert state.pushes[-1].is_success  # authorized pushed to the platform, which traded the code
    wechat_emulator.apps["wx_shop"].add_follower("o_fan")
    with platform.client("wx_shop") as client:
        assert client.user.get("o_fan")["openid"] == "o_fan"


def test_authorization_page_refuses_bad_requests(
    platform: Platform, state: ComponentState, wechat_emulator: Emulator
) -> None:
    page = f"{wechat_emulator.url}/cgi-bin/componentloginpage"

    def get(**query: str) -> requests.Response:
        base = {"component_appid": state.appid, "redirect_uri": "https://example.com/done"}
        return requests.get(page, params={**base, **query}, allow_redirects=False, timeout=10)

    for response in (
        get(pre_auth_code="preauthcode@@@unknown", emu_authorizer_appid="wx_shop"),
        get(emu_authorizer_appid="wx_shop"),  # no pre_auth_code
        get(pre_auth_code=platform.get_pre_auth_code()),  # no account
        get(pre_auth_code=platform.get_pre_auth_code(), emu_authorizer_appid="wx_shop", biz_appid="wx_cafe"),
        get(pre_auth_code=platform.get_pre_auth_code(), emu_authorizer_appid="wx_shop", redirect_uri="javascript:x"),
        get(pre_auth_code=platform.get_pre_auth_code(), emu_authorizer_appid="wx_shop", component_appid="wx_nope"),
    ):
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/html")
    code = platform.get_pre_auth_code()
    assert get(pre_auth_code=code, emu_authorizer_appid="wx_shop").status_code == 302
    assert get(pre_auth_code=code, emu_authorizer_appid="wx_shop").status_code == 400  # spent
    state.next_authorizer = "wx_cafe"
    assert get(pre_auth_code=platform.get_pre_auth_code()).status_code == 302
    assert "wx_cafe" in state.authorizers
    assert platform.storage.get(component_verify_ticket_key(state.appid))


# -- the runnable example ------------------------------------------------------------------------
def test_the_example_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/open_platform.py: two accounts' messages through one application, and the release check."""
    path = Path(__file__).resolve().parents[2] / "examples" / "open_platform.py"
    spec = importlib.util.spec_from_file_location("wxkit_example_open_platform", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    out = capsys.readouterr().out
    assert "wx_shop answered: wx_shop heard: hello" in out
    assert "wx_cafe answered: wx_cafe heard: hello" in out
    assert "release check: passed" in out


def test_a_storage_failure_while_binding_the_account_answers_500(platform: Platform, state: ComponentState) -> None:
    class Down(MemoryStorage):
        def add(self, key: str, value: str, ttl: float | None = None) -> bool:
            if key.startswith("wxkit:open:account:"):
                raise ConnectionError("redis is down")
            return super().add(key, value, ttl)

    app = platform.application(Bot, storage=Down())
    push = state.pusher("wx_shop").text("hi")
    assert app.handle("POST", push.params, push.body, authorizer_appid="wx_shop").status == 500  # WeChat retries
    assert app.seen == []  # not handled: the retry will be


def test_an_application_never_reads_another_applications_authorizer(platform: Platform, state: ComponentState) -> None:
    """A handler of one open-platform app calling another's process() without an appid is refused, not mis-routed."""
    inner = platform.application(Bot, storage=MemoryStorage())
    forwarded = state.pusher("wx_cafe").text("forwarded")
    outcome: list[BaseException | str] = []

    class Outer(Bot):
        def on_text(self, msg: TextMessage) -> str:
            try:
                outcome.append(inner.process(forwarded.params, forwarded.body))  # no authorizer_appid
            except ParseError as exc:
                outcome.append(exc)
            return super().on_text(msg)

    outer = platform.application(Outer, storage=MemoryStorage())
    push = state.pusher("wx_shop").text("hi")
    assert outer.handle("POST", push.params, push.body, authorizer_appid="wx_shop").status == 200
    assert len(outcome) == 1
    assert isinstance(outcome[0], ParseError)  # not handled as wx_shop's, the outer push's account
    assert "authorizer appid" in str(outcome[0])
    assert inner.seen == []
    reply = inner.process(forwarded.params, forwarded.body, authorizer_appid="wx_cafe")  # named: served
    assert state.pusher("wx_cafe").read_reply(200, reply).content.startswith("wx_cafe|")
