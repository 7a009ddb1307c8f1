"""The emulator's own rules: the token store (WeChat's five-minute overlap) and the origin routes hand back."""

from __future__ import annotations

import http.client
import json
import socketserver
from typing import Any

import pytest
import requests

from wxkit.testing import AppState, Emulator
from wxkit.testing.emulator import TOKEN_OVERLAP
from wxkit.testing.routes import EmulatorRequest, WeChatAPIError

ECHO = "/cgi-bin/wxkit_test/emulator_echo"


def classic(emu: Emulator, app: AppState) -> str:
    params = {"grant_type": "client_credential", "appid": app.appid, "secret": app.secret}
    answer: dict[str, Any] = requests.get(f"{emu.url}/cgi-bin/token", params=params, timeout=5).json()
    return str(answer["access_token"])


def stable(emu: Emulator, app: AppState, *, force: bool = False) -> dict[str, Any]:
    body = {"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": force}
    answer: dict[str, Any] = requests.post(f"{emu.url}/cgi-bin/stable_token", json=body, timeout=5).json()
    return answer


def refusal(emu: Emulator, token: str) -> int:
    with pytest.raises(WeChatAPIError) as info:
        emu.app_for_token(token)
    return info.value.errcode


@pytest.fixture(scope="module")
def frozen() -> Any:
    """An emulator whose time moves only by ``advance`` (token arithmetic to the second)."""
    with Emulator(clock=lambda: 1_700_000_000.0) as emu:
        emu.add_route("GET", ECHO, lambda emu, req: {"errcode": 0, "errmsg": "ok"})
        yield emu


@pytest.fixture
def emu(frozen: Emulator) -> Any:
    """The frozen emulator, from its clock's start for each test."""
    yield frozen
    frozen.reset_clock()


@pytest.fixture
def app(emu: Emulator) -> AppState:
    return emu.add_app(f"wx_tokens_{emu.next_id()}", "secret")


# -- tokens ----------------------------------------------------------------------------------------
def test_a_replaced_classic_token_works_five_more_minutes(emu: Emulator, app: AppState) -> None:
    assert emu.token_overlap == TOKEN_OVERLAP == 300
    old = classic(emu, app)
    new = classic(emu, app)
    assert app.classic_token == new
    emu.advance(TOKEN_OVERLAP - 1)
    assert emu.app_for_token(old) is app  # both work during the overlap
    assert emu.app_for_token(new) is app
    emu.advance(1)
    assert refusal(emu, old) == 40001  # "invalid credential ... not latest"
    assert emu.app_for_token(new) is app


def test_a_classic_client_survives_another_fetcher(emu: Emulator, app: AppState) -> None:
    """A second deployment fetching a classic token does not break the first one's calls at once."""
    client = emu.client(app.appid, app.secret, token_mode="classic")
    client.get(ECHO)
    mine = client.access_token
    classic(emu, app)  # someone else fetched
    client.get(ECHO)
    assert (client.access_token, client.tokens.fetch_count) == (mine, 1)  # still good: no refetch
    emu.advance(TOKEN_OVERLAP)
    client.get(ECHO)  # refused with 40001, refetched, sent again
    assert client.access_token != mine
    assert client.tokens.fetch_count == 2


def test_an_overlapping_token_that_reaches_its_own_expiry_is_42001(emu: Emulator, app: AppState) -> None:
    old = classic(emu, app)
    emu.advance(emu.token_lifetime - 100)
    classic(emu, app)
    emu.advance(99)
    assert emu.app_for_token(old) is app
    emu.advance(1)
    assert refusal(emu, old) == 42001  # it expired before its overlap ended


def test_stable_token_is_renewed_in_its_last_five_minutes(emu: Emulator, app: AppState) -> None:
    first = stable(emu, app)
    emu.advance(emu.token_lifetime - TOKEN_OVERLAP - 10)
    same = stable(emu, app)
    assert (same["access_token"], same["expires_in"]) == (first["access_token"], TOKEN_OVERLAP + 10)
    emu.advance(10)
    renewed = stable(emu, app)
    assert renewed["access_token"] != first["access_token"]
    assert renewed["expires_in"] == emu.token_lifetime  # never below 300 s
    assert stable(emu, app)["access_token"] == renewed["access_token"]
    emu.advance(TOKEN_OVERLAP - 1)
    assert emu.app_for_token(first["access_token"]) is app  # the old one until its expiry
    emu.advance(1)
    assert refusal(emu, first["access_token"]) == 42001


def test_stable_force_refresh_kills_the_previous_token_at_once(emu: Emulator, app: AppState) -> None:
    first = stable(emu, app)["access_token"]
    forced = stable(emu, app, force=True)["access_token"]
    assert forced != first
    assert refusal(emu, first) == 40001  # "会导致上次获取的 access_token 失效"
    assert emu.app_for_token(forced) is app


def test_invalidate_tokens_is_an_immediate_kill_overlap_included(emu: Emulator, app: AppState) -> None:
    old = classic(emu, app)
    new = classic(emu, app)
    current = stable(emu, app)["access_token"]
    emu.invalidate_tokens(app.appid)
    assert [refusal(emu, token) for token in (old, new, current)] == [40001] * 3
    assert (app.classic_token, app.stable_token) == (None, None)


def test_short_token_lifetimes_renew_at_half_life() -> None:
    with Emulator(token_lifetime=120, clock=lambda: 1_700_000_000.0) as emu:
        app = emu.add_app("wx_short", "s")
        first = stable(emu, app)["access_token"]
        emu.advance(59)
        assert stable(emu, app)["access_token"] == first  # not renewed on every fetch
        emu.advance(1)
        assert stable(emu, app)["access_token"] != first


# -- the origin routes hand back -----------------------------------------------------------------------
def _origin(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    return {"origin": req.origin}


def _get(port: int, host: str | None) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", "/wxkit_test/origin", skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        answer: dict[str, Any] = json.loads(conn.getresponse().read())
        return answer
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1:{port}", "http://127.0.0.1:{port}"),
        ("localhost:{port}", "http://localhost:{port}"),  # the name the client used
        ("[::1]:{port}", "http://[::1]:{port}"),
        (None, "http://127.0.0.1:{port}"),  # no Host: the listener's address
        ("evil.example/x?y", "http://127.0.0.1:{port}"),  # not a host: the listener's address
        ("a b", "http://127.0.0.1:{port}"),
    ],
)
def test_request_origin_is_the_host_the_client_addressed(
    wechat_emulator: Emulator, host: str | None, expected: str
) -> None:
    wechat_emulator.add_route("GET", "/wxkit_test/origin", _origin, auth=False)
    port = int(wechat_emulator.url.rsplit(":", 1)[1])
    sent = host.format(port=port) if host is not None else None
    assert _get(port, sent) == {"origin": expected.format(port=port)}


def test_the_listeners_poll_for_stop_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """stop() waits up to one poll interval per listener: socketserver's default 0.5 s made each cycle cost 1 s."""
    seen: list[float] = []
    real = socketserver.BaseServer.serve_forever

    def spy(self: socketserver.BaseServer, poll_interval: float = 0.5) -> None:
        seen.append(poll_interval)
        real(self, poll_interval)

    monkeypatch.setattr(socketserver.BaseServer, "serve_forever", spy)
    with Emulator():
        pass  # stop() returns once both listeners' loops have ended, so both have started
    assert len(seen) == 2
    assert max(seen) <= 0.1
