"""No secret in any error, repr or log line of either client, with every HTTP library logging at DEBUG.

Every secret query parameter of :data:`wxkit.core.redact.SECRET_PARAMS` (the
app secret, tokens, WeCom's ``corpsecret``, a robot's ``key``, ``js_code``,
``session_key``, the open platform's tickets, codes and refresh tokens ...)
is sent with a unique value through the sync ``Client`` and the
``AsyncClient`` (one test body, the ``make_client`` fixture) against the
emulator, in calls that succeed and calls that fail every way a call fails:
errcode answers, a refused token, HTTP 5xx, a dropped connection, a timeout,
a refused connection, a value that cannot be sent; and through the open platform's token
providers (component secret, verify tickets, refresh tokens). None of those values may
appear in an exception's text, ``args``, ``url`` or traceback, in the
``repr`` of the client and its parts, or in any log record of the root,
urllib3, httpx or httpcore loggers.
"""

from __future__ import annotations

import logging
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import requests.adapters
import urllib3.util.retry

from wxkit import Client, WxError
from wxkit.core import redact
from wxkit.core._async.token import AsyncWorkTokenManager
from wxkit.core.token import WorkTokenManager
from wxkit.oauth_token import DEFAULT_OPEN_URL
from wxkit.storage import MemoryStorage
from wxkit.testing import Emulator
from wxkit.testing.routes.oauth import set_oauth_user

ECHO = "/cgi-bin/wxkit_test/echo"  # served by tests/client/conftest.py
LOGGERS = ("urllib3", "httpx", "httpcore", "wxkit")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at DEBUG: the root logger and urllib3's, httpx's, httpcore's and wxkit's loggers."""
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


class Leaks:
    """The secrets of one test, and every text that must not show them."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.texts: list[str] = []
        self.errors: list[type[BaseException]] = []

    def secret(self, label: str, value: str | None = None) -> str:
        """A unique secret value (or ``value``) to look for."""
        value = value or f"SEKRIT{uuid.uuid4().hex[:12]}{label.replace('_', '')}"
        self.secrets[label] = value
        return value

    def expect_error(self, call: Callable[[], Any]) -> BaseException:
        """Run ``call``, which must raise a wxkit error; keep everything the error shows."""
        with pytest.raises(WxError) as info:
            call()
        exc = info.value
        self.errors.append(type(exc))
        self.texts += [str(exc), repr(exc), repr(exc.args), str(getattr(exc, "url", ""))]
        self.texts.append(repr(getattr(exc, "response", "")))
        self.texts.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        return exc

    def show(self, *objects: object) -> None:
        """Keep the ``repr`` and ``str`` of each object."""
        self.texts += [repr(o) for o in objects] + [str(o) for o in objects]

    def logs(self, caplog: pytest.LogCaptureFixture) -> str:
        """Keep every captured record: its message, its raw ``msg`` and ``args``, and the formatted text."""
        for record in caplog.records:
            self.texts += [record.getMessage(), str(record.msg), repr(record.args)]
        self.texts.append(caplog.text)
        return caplog.text

    def assert_none_shown(self) -> None:
        joined = "\n".join(self.texts)
        shown = {label: value for label, value in self.secrets.items() if value in joined}
        assert not shown, f"secrets shown: {sorted(shown)}"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raw(client: Any) -> Any:
    """The client itself (sync), or the ``AsyncClient`` behind its test view."""
    return getattr(client, "_target", client)


@pytest.mark.parametrize("token_mode", ["classic", "stable"])
def test_no_secret_in_errors_reprs_or_debug_logs(
    wechat_emulator: Emulator,
    make_client: Any,
    client_kind: str,
    async_loop: Any,
    debug_logs: pytest.LogCaptureFixture,
    token_mode: str,
) -> None:
    leaks = Leaks()
    emu = wechat_emulator
    appid = f"wx{uuid.uuid4().hex[:16]}"
    app = emu.add_app(appid, leaks.secret("app_secret"))
    client = make_client(appid, app.secret, token_mode=token_mode, max_retries=1)
    params = {name: leaks.secret(name) for name in sorted(redact.SECRET_PARAMS) if name != "access_token"}
    params["openid"] = "o_visible"

    # a call that succeeds: the token (fetched with the secret: in the query in classic mode) and every
    # secret parameter go over the wire and into urllib3's / httpx's request lines
    assert client.get(ECHO, params)["q"]["js_code"] == params["js_code"]
    leaks.secret("access_token", client.access_token)

    # calls that fail, every way a call fails
    emu.inject(ECHO, errcode=45009, errmsg="reach max api daily quota limit")
    leaks.expect_error(lambda: client.get(ECHO, params))
    emu.inject(ECHO, errcode=40001, errmsg="invalid credential", times=2)  # refused, refetched, refused again
    leaks.expect_error(lambda: client.get(ECHO, params))
    leaks.secret("refetched_token", client.access_token)
    emu.inject(ECHO, status=500, times=2)
    leaks.expect_error(lambda: client.get(ECHO, params))
    emu.inject(ECHO, drop=True, times=2)
    leaks.expect_error(lambda: client.get(ECHO, params))
    leaks.expect_error(lambda: client.post("/cgi-bin/wxkit_test/nowhere", {"a": 1}, params=params))  # errcode 404
    leaks.expect_error(lambda: client.get(ECHO, {**params, "bad": "\ud800"}))  # cannot be sent
    slow = make_client(appid, app.secret, token_mode=token_mode, timeout=0.3, max_retries=0)
    slow.get(ECHO)  # its token first
    emu.inject(ECHO, delay=1.0)
    leaks.expect_error(lambda: slow.get(ECHO, params))  # timed out
    refused = make_client(appid, app.secret, token_mode=token_mode, base_url=f"http://127.0.0.1:{_closed_port()}")
    leaks.expect_error(lambda: refused.get(ECHO, params))  # the token fetch cannot connect
    wrong = make_client(appid, leaks.secret("wrong_secret"), token_mode=token_mode)
    leaks.expect_error(lambda: wrong.get(ECHO, params))  # 40125 / 40013 from the token endpoint

    # WeCom: gettoken?corpid=&corpsecret= on the same transport
    corpsecret = leaks.secret("wecom_secret")
    raw_http = _raw(client).http
    if client_kind == "sync":
        work = WorkTokenManager(raw_http, "ww_corp_visible", corpsecret, MemoryStorage())
        leaks.expect_error(work.get)
    else:
        awork = AsyncWorkTokenManager(raw_http, "ww_corp_visible", corpsecret, MemoryStorage())
        leaks.expect_error(lambda: async_loop.run(awork.get()))
        work = awork  # type: ignore[assignment]

    # web OAuth: bad codes and refresh tokens, then a real login whose user tokens must stay hidden
    oauth = client.oauth
    leaks.expect_error(lambda: oauth.fetch_token(params["code"]))  # 40029
    leaks.expect_error(lambda: oauth.refresh(params["refresh_token"]))  # 40030
    set_oauth_user(app, "o_user")
    page = oauth.authorize_url("https://example.com/cb", "snsapi_base", "s1").replace(DEFAULT_OPEN_URL, emu.url)
    redirect = requests.get(page, allow_redirects=False, timeout=5)
    code = leaks.secret("oauth_code", dict(parse_qsl(urlsplit(redirect.headers["Location"]).query))["code"])
    user = oauth.fetch_token(code)
    leaks.secret("user_access_token", user.access_token)
    leaks.secret("user_refresh_token", user.refresh_token)
    leaks.expect_error(lambda: oauth.fetch_token(code))  # 40163: used already
    leaks.expect_error(lambda: oauth.userinfo(user.access_token, "o_user"))  # 48001: snsapi_base
    leaks.expect_error(lambda: oauth.userinfo(user.access_token, "o_someone_else"))
    renewed = oauth.refresh(user.refresh_token)
    assert oauth.check(renewed.access_token, "o_user")
    leaks.secret("renewed_access_token", renewed.access_token)

    # reprs of the client and everything it holds
    leaks.show(client, client.http, client.tokens, client.tokens.shared, client.storage, client.oauth)
    leaks.show(client.user, client.jssdk, client.media, work, user, renewed, slow, refused, wrong)

    text = leaks.logs(debug_logs)
    leaks.assert_none_shown()
    # the texts are what we think: the request lines were logged, masked, and the failures happened
    assert "corpsecret=***" in text
    assert "js_code=***" in text
    assert "access_token=***" in text
    assert "openid=o_visible" in text
    if token_mode == "classic":
        assert "&secret=***" in text
    library = "urllib3.connectionpool" if client_kind == "sync" else "httpx"
    assert any(r.name == library and "session_key=***" in r.getMessage() for r in debug_logs.records)
    assert len(leaks.errors) == 15


def test_open_platform_tokens_show_no_secret(
    wechat_emulator: Emulator,
    make_client: Any,
    client_kind: str,
    async_loop: Any,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """The component secret, verify tickets, component and authorizer tokens and refresh tokens stay hidden."""
    # the open platform's providers, sync and async twins
    from wxkit.core._async.token import AsyncAuthorizerTokenManager, AsyncComponentTokenManager
    from wxkit.core.token import AuthorizerTokenManager, ComponentTokenManager

    leaks = Leaks()
    emu = wechat_emulator
    suffix = uuid.uuid4().hex[:12]
    platform = emu.add_component(f"wxc{suffix}", leaks.secret("component_appsecret"))
    authorizer = platform.add_authorizer(f"wxa{suffix}", refresh_token=leaks.secret("authorizer_refresh_token"))
    http = _raw(make_client()).http  # the client's transport: requests, or httpx
    if client_kind == "sync":
        component_cls: Any = ComponentTokenManager
        authorizer_cls: Any = AuthorizerTokenManager

        def run(value: Any) -> Any:
            return value
    else:
        component_cls = AsyncComponentTokenManager
        authorizer_cls = AsyncAuthorizerTokenManager

        def run(value: Any) -> Any:
            return async_loop.run(value)

    storage = MemoryStorage()
    component = component_cls(http, platform.appid, platform.secret, storage)
    shop = authorizer_cls(http, component, authorizer.appid, storage)
    leaks.expect_error(lambda: run(component.get()))  # no ticket stored yet
    run(component.set_verify_ticket(leaks.secret("bogus_ticket", f"ticket@@@{uuid.uuid4().hex}")))
    leaks.expect_error(lambda: run(component.get()))  # a ticket WeChat never issued
    run(component.set_verify_ticket(leaks.secret("component_verify_ticket", platform.issue_verify_ticket())))
    leaks.secret("component_access_token", run(component.get()))
    leaks.expect_error(lambda: run(shop.get()))  # no refresh token stored yet
    run(shop.set_refresh_token(leaks.secret("wrong_refresh_token")))
    leaks.expect_error(lambda: run(shop.get()))  # 61023: not the authorizer's refresh token
    run(shop.set_refresh_token(authorizer.refresh_token))
    leaks.secret("authorizer_access_token", run(shop.get()))
    wrong = component_cls(http, platform.appid, leaks.secret("wrong_component_secret"), MemoryStorage())
    run(wrong.set_verify_ticket(platform.issue_verify_ticket()))
    leaks.expect_error(lambda: run(wrong.get()))
    leaks.show(component, shop, wrong, storage)
    text = leaks.logs(debug_logs)
    leaks.assert_none_shown()
    assert "component_access_token=***" in text  # the authorizer token call carries the platform's token
    assert len(leaks.errors) == 5


def test_a_retrying_session_of_yours_logs_no_token(
    wechat_emulator: Emulator, wechat_app: Any, debug_logs: pytest.LogCaptureFixture
) -> None:
    """urllib3's own retries log the URL on ``urllib3.util.retry`` (DEBUG) and ``connectionpool`` (WARNING)."""
    leaks = Leaks()
    session = requests.Session()
    retry = urllib3.util.retry.Retry(total=2, backoff_factor=0)
    session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry))
    client = wechat_emulator.client(wechat_app.appid, wechat_app.secret, session=session, token_mode="classic")
    leaks.secret("app_secret", wechat_app.secret)
    client.get(ECHO)
    leaks.secret("access_token", client.access_token)
    wechat_emulator.inject(ECHO, drop=True)  # urllib3 re-sends on its own
    client.get(ECHO, {"js_code": leaks.secret("js_code")})
    text = leaks.logs(debug_logs)
    leaks.assert_none_shown()
    assert any(r.name == "urllib3.util.retry" for r in debug_logs.records)
    assert "Retrying" in text


@pytest.fixture
def bad_header_server() -> Iterator[str]:
    """A loopback server answering ``{"errcode": 0}`` after a header line urllib3 cannot parse."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.05)  # closing a socket does not wake a thread blocked in accept(): poll the stop flag
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.recv(65536)
                body = b'{"errcode":0}'
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
                conn.sendall(head + b"Connection: close\r\nnot a header line\r\nX-A: b\r\n\r\n" + body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    server.close()
    thread.join(timeout=5)


def test_a_header_parsing_warning_shows_no_token(bad_header_server: str, debug_logs: pytest.LogCaptureFixture) -> None:
    """urllib3 warns "Failed to parse headers (url=...)" with the whole URL: at WARNING, logged by default."""
    leaks = Leaks()
    token = leaks.secret("access_token")
    with Client("wx1", token_source=lambda: token, base_url=bad_header_server) as client:
        assert client.get("/cgi-bin/x", {"code": leaks.secret("code")}) == {"errcode": 0}
    leaks.logs(debug_logs)
    leaks.assert_none_shown()
    assert any(r.name == "urllib3.connection" and r.levelno == logging.WARNING for r in debug_logs.records)
