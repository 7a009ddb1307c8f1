"""The client core against the emulator: tokens, retries, faults, error families, secrets."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import pytest
import requests

from wxkit import (
    AccessTokenError,
    APIError,
    Client,
    ConfigError,
    InvalidArgumentError,
    PermissionDeniedError,
    RateLimitError,
    SystemBusyError,
    TransportError,
    UserStateError,
)
from wxkit.storage import MemoryStorage, StorageLock
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes import EmulatorRequest, EmulatorResponse, WeChatAPIError

ECHO = "/cgi-bin/wxkit_test/echo"  # served by tests/client/conftest.py


def _count(emu: Emulator, path: str) -> int:
    return sum(1 for _, p, _ in emu.requests if p == path)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


# -- tokens --------------------------------------------------------------------
def test_stable_token_is_the_default_and_cached(wechat_client: Client, wechat_app: AppState) -> None:
    for _ in range(3):
        assert wechat_client.get(ECHO)["appid"] == wechat_app.appid
    assert wechat_app.token_fetches == 1
    assert wechat_app.stable_token == wechat_client.access_token
    assert wechat_app.classic_token is None


def test_classic_mode(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    client = wechat_emulator.client(wechat_app.appid, wechat_app.secret, token_mode="classic")
    client.get(ECHO)
    assert wechat_app.classic_token == client.access_token
    assert wechat_app.stable_token is None


def test_emulator_token_semantics(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    """Normal stable fetches keep the token; force_refresh and classic fetches replace theirs."""
    http = requests.Session()
    url = wechat_emulator.url
    body = {"grant_type": "client_credential", "appid": wechat_app.appid, "secret": wechat_app.secret}
    first = http.post(f"{url}/cgi-bin/stable_token", json=body).json()["access_token"]
    assert http.post(f"{url}/cgi-bin/stable_token", json=body).json()["access_token"] == first
    forced = http.post(f"{url}/cgi-bin/stable_token", json={**body, "force_refresh": True}).json()["access_token"]
    assert forced != first
    assert first not in wechat_emulator.tokens
    params = {"grant_type": "client_credential", "appid": wechat_app.appid, "secret": wechat_app.secret}
    c1 = http.get(f"{url}/cgi-bin/token", params=params).json()["access_token"]
    c2 = http.get(f"{url}/cgi-bin/token", params=params).json()["access_token"]
    assert c1 != c2
    assert wechat_emulator.app_for_token(c1) is wechat_app  # the replaced one overlaps for five minutes
    wechat_emulator.advance(wechat_emulator.token_overlap)
    with pytest.raises(WeChatAPIError) as refused:
        wechat_emulator.app_for_token(c1)
    assert refused.value.errcode == 40001
    assert wechat_emulator.app_for_token(c2) is wechat_app
    assert forced in wechat_emulator.tokens  # classic fetches leave stable tokens alone
    bad = http.post(f"{url}/cgi-bin/stable_token", json={**body, "secret": "wrong"}).json()
    assert bad["errcode"] == 40125


def test_expired_token_is_refetched(wechat_emulator: Emulator, wechat_client: Client, wechat_app: AppState) -> None:
    wechat_client.get(ECHO)
    wechat_emulator.advance(7200 + 1)  # the emulator's token expired, the client's cache did not (yet)
    wechat_client.storage.set(wechat_client.tokens.key, wechat_app.stable_token or "", ttl=3600)
    assert wechat_client.get(ECHO)["appid"] == wechat_app.appid
    assert wechat_app.token_fetches == 2


def test_invalidated_token_dropped_and_retried_once(
    wechat_emulator: Emulator, wechat_client: Client, wechat_app: AppState
) -> None:
    wechat_client.get(ECHO)
    old = wechat_client.access_token
    before = _count(wechat_emulator, ECHO)
    wechat_emulator.invalidate_tokens(wechat_app.appid)
    assert wechat_client.post(ECHO, {"n": 1})["body"] == {"n": 1}
    assert wechat_client.access_token != old
    assert wechat_app.token_fetches == 2
    # the POST was sent twice: refused (no effect) with the dead token, then accepted
    assert _count(wechat_emulator, ECHO) == before + 2


def test_stable_refetch_returning_the_refused_token_forces_a_refresh(
    wechat_emulator: Emulator, wechat_client: Client, wechat_app: AppState
) -> None:
    wechat_client.get(ECHO)
    token = wechat_client.access_token
    # WeChat refuses the token (e.g. rotated elsewhere) but stable_token still hands it out
    wechat_emulator.inject(ECHO, errcode=40001, errmsg="invalid credential")
    assert wechat_client.get(ECHO)["appid"] == wechat_app.appid
    assert wechat_client.access_token != token
    assert wechat_app.token_fetches == 2  # the normal fetch (same token) did not count: forced one did


def test_token_error_twice_raises_access_token_error(wechat_emulator: Emulator, wechat_client: Client) -> None:
    wechat_client.get(ECHO)
    wechat_emulator.inject(ECHO, errcode=40001, errmsg="invalid credential", times=2)
    with pytest.raises(AccessTokenError) as info:
        wechat_client.get(ECHO)
    assert info.value.errcode == 40001


def test_drop_only_if_still_the_failed_token(wechat_client: Client) -> None:
    storage = wechat_client.storage
    storage.set(wechat_client.tokens.key, "NEW-TOKEN", ttl=600)
    wechat_client.tokens.invalidate("OLD-TOKEN")
    assert storage.get(wechat_client.tokens.key) == "NEW-TOKEN"
    wechat_client.tokens.invalidate("NEW-TOKEN")
    assert storage.get(wechat_client.tokens.key) is None


def test_token_fetch_waits_on_the_cross_process_lock(wechat_client: Client, wechat_app: AppState) -> None:
    tokens = wechat_client.tokens
    assert tokens.lock_key == f"wxkit:access_token_lock:{wechat_app.appid}"
    other_process = StorageLock(wechat_client.storage, tokens.lock_key, ttl=60)
    assert other_process.acquire()
    tokens.shared.wait_timeout = 0.05
    with pytest.raises(AccessTokenError) as info:
        tokens.get()
    assert info.value.errcode == -2
    assert "the access token" in str(info.value)
    assert (tokens.fetch_count, wechat_app.token_fetches) == (0, 0)
    other_process.release()
    assert tokens.get() == wechat_app.stable_token
    assert tokens.fetch_count == 1


def test_one_fetch_for_many_threads(wechat_emulator: Emulator, wechat_client: Client, wechat_app: AppState) -> None:
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            wechat_client.get(ECHO)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert wechat_app.token_fetches == 1


def test_bad_secret_is_access_token_error(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    client = wechat_emulator.client(wechat_app.appid, "not-the-secret")
    with pytest.raises(AccessTokenError) as info:
        client.get(ECHO)
    assert info.value.errcode == 40125
    assert "not-the-secret" not in str(info.value)


def test_token_source(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    central = wechat_emulator.client(wechat_app.appid, wechat_app.secret)
    calls: list[int] = []

    def source() -> str:
        calls.append(1)
        return central.access_token

    client = Client(wechat_app.appid, token_source=source, base_url=wechat_emulator.url)
    assert client.get(ECHO)["appid"] == wechat_app.appid
    assert calls
    assert wechat_app.token_fetches == 1  # only the central service fetched


def test_token_source_returning_a_refused_token(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    client = Client(wechat_app.appid, token_source=lambda: "DEAD", base_url=wechat_emulator.url)
    with pytest.raises(AccessTokenError):
        client.get(ECHO)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({}, "secret"), ({"secret": "s", "token_mode": "weird"}, "token_mode")],
)
def test_client_configuration_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Client("wx1", **kwargs)


# -- error families ------------------------------------------------------------
@pytest.mark.parametrize(
    ("errcode", "cls"),
    [
        (45009, RateLimitError),
        (45011, RateLimitError),
        (40003, InvalidArgumentError),
        (40037, InvalidArgumentError),
        (43004, UserStateError),
        (45015, UserStateError),
        (43101, UserStateError),
        (40005, InvalidArgumentError),
        (40130, InvalidArgumentError),
        (45008, InvalidArgumentError),
        (45065, APIError),
        (48001, PermissionDeniedError),
        (-1, SystemBusyError),
        (99999, APIError),
    ],
)
def test_errcodes_map_to_families(wechat_emulator: Emulator, wechat_client: Client, errcode: int, cls: type) -> None:
    wechat_emulator.inject(ECHO, errcode=errcode, errmsg=f"emulated {errcode}")
    with pytest.raises(cls) as info:
        wechat_client.post(ECHO, {"x": 1})
    err = info.value
    assert type(err) is cls
    assert (err.errcode, err.errmsg, err.method) == (errcode, f"emulated {errcode}", "POST")
    assert err.url.endswith(ECHO)
    assert "access_token" not in str(err)


def test_system_busy_is_retried_for_reads_only(wechat_emulator: Emulator, wechat_client: Client) -> None:
    wechat_client.get(ECHO)
    wechat_emulator.inject(ECHO, errcode=-1)
    assert wechat_client.get(ECHO)["method"] == "GET"
    wechat_emulator.inject(ECHO, errcode=-1)
    with pytest.raises(SystemBusyError):
        wechat_client.post(ECHO, {"x": 1})
    wechat_emulator.inject(ECHO, errcode=-1)
    assert wechat_client.post(ECHO, {"x": 2}, idempotent=True)["body"] == {"x": 2}


# -- transport faults ------------------------------------------------------------
def test_http_5xx_retried_for_get_not_for_post(wechat_emulator: Emulator, wechat_client: Client) -> None:
    wechat_client.get(ECHO)
    before = _count(wechat_emulator, ECHO)
    wechat_emulator.inject(ECHO, status=502, times=1)
    assert wechat_client.get(ECHO)["method"] == "GET"
    wechat_emulator.inject(ECHO, status=503, method="POST")
    with pytest.raises(TransportError, match="HTTP 503"):
        wechat_client.post(ECHO, {"x": 1})
    assert _count(wechat_emulator, ECHO) == before + 1  # faults answer before routing: only the good GET counted


def test_dropped_connection_post_is_never_resent(wechat_emulator: Emulator, wechat_client: Client) -> None:
    wechat_client.get(ECHO)
    fault = wechat_emulator.inject(ECHO, method="POST", drop=True, times=5)
    with pytest.raises(TransportError) as info:
        wechat_client.post(ECHO, {"pay": 1})
    assert fault.fired == 1
    assert "access_token" not in str(info.value)
    wechat_emulator.clear_faults()


def test_dropped_connection_get_is_retried(wechat_emulator: Emulator, wechat_client: Client) -> None:
    wechat_client.get(ECHO)
    fault = wechat_emulator.inject(ECHO, method="GET", drop=True, times=2)
    assert wechat_client.get(ECHO)["method"] == "GET"
    assert fault.fired == 2


def test_timeout_raises_within_the_configured_bound(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    sleeps = Sleeps()
    client = wechat_emulator.client(wechat_app.appid, wechat_app.secret, timeout=0.2, max_retries=1, sleep=sleeps)
    client.get(ECHO)
    fault = wechat_emulator.inject(ECHO, method="GET", delay=1.0, times=2)
    with pytest.raises(TransportError, match="timed out"):
        client.get(ECHO)
    assert fault.fired == 2  # the first try and one retry, each cut by the read timeout
    fault2 = wechat_emulator.inject(ECHO, method="POST", delay=1.0, times=5)
    with pytest.raises(TransportError, match="timed out"):
        client.post(ECHO, {"x": 1}, timeout=0.2)
    assert fault2.fired == 1  # a POST that may have arrived is not re-sent
    wechat_emulator.clear_faults()


def test_connect_error_is_retried_even_for_post() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    client = Client(
        "wx1", token_source=lambda: "T", base_url=f"http://127.0.0.1:{port}", max_retries=2, backoff=0.1, sleep=sleeps
    )
    with pytest.raises(TransportError, match="failed"):
        client.post(ECHO, {"x": 1})
    assert sleeps.calls == [0.1, 0.2]  # nothing was sent: safe to try again, with backoff


def test_non_json_answer_is_transport_error(wechat_emulator: Emulator, wechat_client: Client) -> None:
    wechat_emulator.add_route(
        "GET", "/cgi-bin/wxkit_test/html", lambda e, r: EmulatorResponse(200, b"<html>", "application/octet-stream")
    )
    with pytest.raises(TransportError, match="not JSON"):
        wechat_client.get("/cgi-bin/wxkit_test/html")


# -- the raw escape hatch --------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "field", "call"),
    [
        ({}, "msgid", lambda c: c.template.send("o_user", "TPL", {})),
        ({"msgid": "not-a-number"}, "msgid", lambda c: c.template.send("o_user", "TPL", {})),
        ({"media_id": ""}, "media_id", lambda c: c.draft.add([{"title": "t"}])),
        ({}, "publish_id", lambda c: c.freepublish.submit("MEDIA_ID")),
        ({}, "url", lambda c: c.media.upload_image(("a.png", b"\x89PNG"))),
        ({"tag": "VIP"}, "tag", lambda c: c.tag.create("VIP")),
    ],
    ids=["missing", "not-int", "empty", "publish_id", "url", "not-object"],
)
def test_success_without_the_promised_field_is_a_transport_error(
    wechat_client: Client, stub_method: Any, answer: dict[str, Any], field: str, call: Any
) -> None:
    stub_method(wechat_client, "post", {"errcode": 0, "errmsg": "ok", **answer})
    with pytest.raises(TransportError, match=repr(field)) as info:
        call(wechat_client)
    assert info.value.method == "POST"
    assert info.value.url.startswith(wechat_client.http.base_url)


def test_raw_get_and_post(wechat_client: Client) -> None:
    assert wechat_client.get(ECHO, params={"a": "1"})["q"]["a"] == "1"
    body = {"text": "中文 😀", "n": [1, 2]}
    assert wechat_client.post(ECHO, body)["body"] == body


def test_json_is_utf8_without_ascii_escapes(wechat_emulator: Emulator, wechat_client: Client) -> None:
    seen: list[bytes] = []

    def capture(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
        seen.append(req.body)
        return {"errcode": 0}

    wechat_emulator.add_route("POST", "/cgi-bin/wxkit_test/capture", capture)
    wechat_client.post("/cgi-bin/wxkit_test/capture", {"text": "中文"})
    assert seen == ['{"text":"中文"}'.encode()]


# -- secrets -----------------------------------------------------------------------
def test_no_secret_or_token_in_logs_reprs_or_errors(
    wechat_emulator: Emulator, wechat_app: AppState, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = wechat_emulator.client(wechat_app.appid, wechat_app.secret, token_mode="classic")
    client.get(ECHO)
    token = client.access_token
    texts = [repr(client), repr(client.tokens), repr(client.http), repr(client.storage)]
    wechat_emulator.inject(ECHO, status=500, times=5)
    try:
        client.get(ECHO)
    except TransportError as exc:
        texts.append(str(exc))
    wechat_emulator.inject(ECHO, errcode=40001, times=5)
    try:
        client.get(ECHO)
    except AccessTokenError as exc:
        texts.append(str(exc))
        texts.append(exc.url)
    bad = wechat_emulator.client(wechat_app.appid, "WRONG-SECRET-VALUE", token_mode="classic")
    try:
        bad.get(ECHO)
    except AccessTokenError as exc:
        texts.append(str(exc))
    texts.append(caplog.text)
    joined = "\n".join(texts)
    assert wechat_app.secret not in joined
    assert "WRONG-SECRET-VALUE" not in joined
    assert token not in joined
    assert "RateLimitError" not in joined  # sanity: the texts are what we think
    assert "500" in joined


def test_memory_storage_default_is_private() -> None:
    a = Client("wx1", "s")
    b = Client("wx1", "s")
    assert isinstance(a.storage, MemoryStorage)
    assert a.storage is not b.storage


class _LockReplyLost(MemoryStorage):
    """The token lock's ``SET NX`` is applied but its reply is lost; redis-py's retry then answers "exists"."""

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        super().add(key, value, ttl)
        return super().add(key, value, ttl)


def test_a_token_lock_whose_reply_was_lost_is_held_by_its_taker(
    wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    storage = _LockReplyLost()
    client = wechat_emulator.client(wechat_app.appid, storage=storage)
    client.tokens.shared.wait_timeout = 0.5  # before the fix: every call waited the lock out (~88 s by default)
    assert client.get(ECHO)["appid"] == wechat_app.appid
    assert client.tokens.fetch_count == 1
    assert storage.get(client.tokens.lock_key) is None  # released by its owner
