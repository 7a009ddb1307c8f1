"""WeCom tokens through the real core, sync and async: WorkTokenManager and a bare client on WeCom's errcodes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from wxkit import AccessTokenError, Client
from wxkit.core._async.client import AsyncBaseClient
from wxkit.core._async.token import AsyncWorkTokenManager
from wxkit.core.ahttp import AsyncHTTPClient
from wxkit.core.client import BaseClient
from wxkit.core.http import HTTPClient
from wxkit.core.token import WorkTokenManager
from wxkit.errors import TOKEN_ERRCODES, WORK_TOKEN_ERRCODES
from wxkit.storage import MemoryStorage, Storage
from wxkit.testing import Emulator
from wxkit.testing.routes import EmulatorRequest
from wxkit.testing.work import CorpState

WORK_ECHO = "/cgi-bin/wxkit_test/work_echo"


def _work_echo(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    assert req.corp is not None
    return {"errcode": 0, "errmsg": "ok", "corpid": req.corp.corpid, "secret_name": req.secret_name}


@pytest.fixture(autouse=True)
def work_echo(wechat_emulator: Emulator) -> str:
    """A token-checked test route on the WeCom site only."""
    wechat_emulator.add_route("GET", WORK_ECHO, _work_echo, site="qyapi")
    return WORK_ECHO


@pytest.fixture
def corp(wechat_emulator: Emulator) -> Iterator[CorpState]:
    """A fresh corp with one app (agentid 1000002) and a contacts secret."""
    state = wechat_emulator.add_corp(f"ww{uuid.uuid4().hex[:16]}")
    state.add_app(1000002, f"app-secret-{state.corpid}")
    state.add_secret("contacts", f"contacts-secret-{state.corpid}")
    yield state
    wechat_emulator.clear_faults()
    wechat_emulator.reset_clock()


# -- a bare WeCom client on the real core (the real WorkClient is built by a later issue) ---------------------------
class _SyncWorkClient(BaseClient):
    token_errcodes = WORK_TOKEN_ERRCODES

    def __init__(self, base_url: str, corpid: str, secret: str, storage: Storage) -> None:
        http = HTTPClient(base_url, backoff=0.0)
        super().__init__(http, WorkTokenManager(http, corpid, secret, storage), storage)
        self.appid = corpid


class _AsyncWorkClient(AsyncBaseClient):
    token_errcodes = WORK_TOKEN_ERRCODES

    def __init__(self, base_url: str, corpid: str, secret: str, storage: Storage) -> None:
        http = AsyncHTTPClient(base_url, backoff=0.0)
        super().__init__(http, AsyncWorkTokenManager(http, corpid, secret, storage), storage)
        self.appid = corpid


@pytest.fixture
def make_work_client(client_kind: str, async_loop: Any, sync_view: Any) -> Iterator[Any]:
    """``make_work_client(base_url, corpid, secret, storage=None)``: a bare WeCom client, sync or async."""
    made: list[Any] = []

    def make(base_url: str, corpid: str, secret: str, storage: Storage | None = None) -> Any:
        store = storage if storage is not None else MemoryStorage()
        if client_kind == "sync":
            client: Any = _SyncWorkClient(base_url, corpid, secret, store)
        else:

            async def build() -> _AsyncWorkClient:
                return _AsyncWorkClient(base_url, corpid, secret, store)

            client = sync_view(async_loop.run(build()))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _work_token(make_core: Any, emu: Emulator, corp: CorpState, name: str, storage: Storage | None = None) -> Any:
    secret = corp.secrets[name]
    return make_core(
        "token",
        "WorkTokenManager",
        emu.work_url,
        corp.corpid,
        secret,
        storage if storage is not None else MemoryStorage(),
    )


# -- WorkTokenManager ----------------------------------------------------------------------------------------------
def test_work_token_errcodes_are_wecoms() -> None:
    assert {40014, 42001, 40082} == WORK_TOKEN_ERRCODES
    assert 40001 not in WORK_TOKEN_ERRCODES  # WeCom's 40001 is a wrong corpsecret
    assert BaseClient.token_errcodes == TOKEN_ERRCODES == AsyncBaseClient.token_errcodes
    assert _SyncWorkClient.token_errcodes == WORK_TOKEN_ERRCODES


def test_one_fetch_per_corp_and_secret(wechat_emulator: Emulator, corp: CorpState, make_core: Any) -> None:
    storage = MemoryStorage()
    first = _work_token(make_core, wechat_emulator, corp, "1000002", storage)
    second = _work_token(make_core, wechat_emulator, corp, "1000002", storage)  # another process, same storage
    token = first.get()
    assert token == corp.tokens["1000002"]
    assert first.get() == second.get() == token
    assert corp.token_fetches["1000002"] == 1
    assert first.fetch_count + second.fetch_count == 1
    assert first.key.startswith(f"wxkit:work_token:{corp.corpid}:")
    assert corp.secrets["1000002"] not in first.key + first.lock_key + repr(first)


def test_two_secrets_of_one_corp_get_two_tokens(wechat_emulator: Emulator, corp: CorpState, make_core: Any) -> None:
    storage = MemoryStorage()
    app = _work_token(make_core, wechat_emulator, corp, "1000002", storage)
    contacts = _work_token(make_core, wechat_emulator, corp, "contacts", storage)
    assert app.key != contacts.key
    assert app.get() != contacts.get()
    assert app.get() == corp.tokens["1000002"]
    assert contacts.get() == corp.tokens["contacts"]
    assert corp.token_fetches == {"1000002": 1, "contacts": 1}


def test_one_fetch_for_many_threads(wechat_emulator: Emulator, corp: CorpState, make_core: Any) -> None:
    storage = MemoryStorage()
    providers = [_work_token(make_core, wechat_emulator, corp, "contacts", storage) for _ in range(2)]
    seen: list[str] = []
    threads = [threading.Thread(target=lambda i=i: seen.append(providers[i % 2].get())) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert set(seen) == {corp.tokens["contacts"]}
    assert corp.token_fetches["contacts"] == 1


@pytest.mark.parametrize(
    ("corpid", "secret", "errcode"),
    [("", "x", 41002), ("ww_no_such_corp", "x", 40013), (None, "wrong-secret", 40001)],
)
def test_bad_corpid_or_secret_is_access_token_error(
    wechat_emulator: Emulator, corp: CorpState, make_core: Any, corpid: str | None, secret: str, errcode: int
) -> None:
    tokens = make_core(
        "token",
        "WorkTokenManager",
        wechat_emulator.work_url,
        corpid if corpid is not None else corp.corpid,
        secret,
        MemoryStorage(),
    )
    with pytest.raises(AccessTokenError) as info:
        tokens.get()
    assert info.value.errcode == errcode
    assert secret not in str(info.value) or secret == "x"
    assert "corpsecret" not in info.value.url


def test_drop_only_if_still_the_failed_token(wechat_emulator: Emulator, corp: CorpState, make_core: Any) -> None:
    tokens = _work_token(make_core, wechat_emulator, corp, "1000002")
    token = tokens.get()
    tokens.invalidate("SOME-OLDER-TOKEN")
    assert tokens.storage.get(tokens.key) == token
    tokens.invalidate(token)
    assert tokens.storage.get(tokens.key) is None


# -- through the core's BaseClient with WeCom's errcodes -----------------------------------------------------------
def test_revoked_token_is_dropped_and_the_call_retried_once(
    wechat_emulator: Emulator, corp: CorpState, make_work_client: Any
) -> None:
    client = make_work_client(wechat_emulator.work_url, corp.corpid, corp.secrets["1000002"])
    assert client.get(WORK_ECHO)["secret_name"] == "1000002"
    first = corp.tokens["1000002"]
    wechat_emulator.invalidate_work_tokens(corp.corpid)  # WeCom answers 40014 from now on
    answer = client.get(WORK_ECHO)
    assert (answer["corpid"], answer["secret_name"]) == (corp.corpid, "1000002")
    assert corp.tokens["1000002"] != first
    assert corp.token_fetches["1000002"] == 2


def test_expired_token_42001_is_refetched(wechat_emulator: Emulator, corp: CorpState, make_work_client: Any) -> None:
    client = make_work_client(wechat_emulator.work_url, corp.corpid, corp.secrets["contacts"])
    client.get(WORK_ECHO)
    first = corp.tokens["contacts"]
    wechat_emulator.advance(wechat_emulator.token_lifetime + 1)  # the client's cache does not know yet
    assert client.get(WORK_ECHO)["secret_name"] == "contacts"
    assert corp.tokens["contacts"] != first
    assert corp.token_fetches["contacts"] == 2


@pytest.mark.parametrize("errcode", sorted(WORK_TOKEN_ERRCODES))
def test_every_work_token_errcode_drops_and_retries_once(
    wechat_emulator: Emulator, corp: CorpState, make_work_client: Any, errcode: int
) -> None:
    client = make_work_client(wechat_emulator.work_url, corp.corpid, corp.secrets["1000002"])
    client.get(WORK_ECHO)
    wechat_emulator.inject(WORK_ECHO, errcode=errcode, errmsg="refused", site="qyapi")
    assert client.get(WORK_ECHO)["corpid"] == corp.corpid
    assert corp.token_fetches["1000002"] == 2  # dropped and fetched again (WeCom hands back the same valid token)


def test_a_second_refusal_raises(wechat_emulator: Emulator, corp: CorpState, make_work_client: Any) -> None:
    client = make_work_client(wechat_emulator.work_url, corp.corpid, corp.secrets["1000002"])
    client.get(WORK_ECHO)
    wechat_emulator.inject(WORK_ECHO, errcode=40014, errmsg="invalid access_token", times=2, site="qyapi")
    with pytest.raises(AccessTokenError) as info:
        client.get(WORK_ECHO)
    assert info.value.errcode == 40014
    assert corp.token_fetches["1000002"] == 2


def test_40001_on_wecom_is_not_a_token_refusal(
    wechat_emulator: Emulator, corp: CorpState, make_work_client: Any
) -> None:
    client = make_work_client(wechat_emulator.work_url, corp.corpid, corp.secrets["1000002"])
    client.get(WORK_ECHO)
    wechat_emulator.inject(WORK_ECHO, errcode=40001, errmsg="invalid credential", site="qyapi")
    with pytest.raises(AccessTokenError) as info:
        client.get(WORK_ECHO)
    assert info.value.errcode == 40001
    assert corp.token_fetches["1000002"] == 1  # nothing dropped, nothing refetched


def test_a_fault_on_one_site_does_not_fire_on_the_other(
    wechat_emulator: Emulator, corp: CorpState, make_work_client: Any
) -> None:
    client = make_work_client(wechat_emulator.work_url, corp.corpid, corp.secrets["1000002"])
    fault = wechat_emulator.inject(WORK_ECHO, status=503, site="api")
    assert client.get(WORK_ECHO)["corpid"] == corp.corpid
    assert fault.fired == 0


# -- the wrong origin ----------------------------------------------------------------------------------------------
def test_a_wecom_client_on_the_official_origin_gets_404(
    wechat_emulator: Emulator, corp: CorpState, make_work_client: Any
) -> None:
    client = make_work_client(wechat_emulator.url, corp.corpid, corp.secrets["1000002"])
    with pytest.raises(AccessTokenError, match="unknown api") as info:  # gettoken is not served there
        client.get(WORK_ECHO)
    assert info.value.errcode == 404
    assert corp.token_fetches["1000002"] == 0
    assert requests.get(wechat_emulator.url + WORK_ECHO, params={"access_token": "x"}, timeout=10).status_code == 404


def test_an_official_client_on_the_wecom_origin_gets_404(wechat_emulator: Emulator, make_client: Any) -> None:
    app = wechat_emulator.add_app(f"wx{uuid.uuid4().hex[:16]}", "s")
    client: Client = make_client(app.appid, "s", base_url=wechat_emulator.work_url)
    with pytest.raises(AccessTokenError, match="unknown api") as info:  # stable_token is not served there
        client.get("/cgi-bin/wxkit_test/echo")
    assert info.value.errcode == 404
    assert app.token_fetches == 0
    echo = requests.get(wechat_emulator.work_url + "/cgi-bin/wxkit_test/echo", params={"access_token": "x"}, timeout=10)
    assert echo.status_code == 404
