"""WeCom third-party suites: InfoType callbacks through WorkApplication, and Suite / AsyncSuite end to end."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from wxkit.core.token import suite_permanent_code_key, suite_ticket_key
from wxkit.errors import AccessTokenError, APIError, ConfigError
from wxkit.storage import MemoryStorage, Storage
from wxkit.testing import Emulator, WeChatPusher
from wxkit.testing.work_suite import SUITE_TICKET_LIFETIME, SuiteState
from wxkit.work import (
    AsyncSuite,
    CancelAuthCallback,
    ChangeAuthCallback,
    CreateAuthCallback,
    ResetPermanentCodeCallback,
    Suite,
    SuiteCallback,
    SuiteChangeContactCallback,
    SuiteTicketCallback,
    WorkApplication,
)

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class Recorder(WorkApplication):
    """Records every suite callback; answers text (which must still go out as success)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: list[Any] = []

    def on_suite_ticket(self, info: SuiteTicketCallback) -> str:
        self.seen.append(info)
        return "not a reply"

    def on_create_auth(self, info: CreateAuthCallback) -> None:
        self.seen.append(info)

    def on_change_auth(self, info: ChangeAuthCallback) -> None:
        self.seen.append(info)

    def on_cancel_auth(self, info: CancelAuthCallback) -> None:
        self.seen.append(info)

    def on_suite_change_contact(self, info: SuiteChangeContactCallback) -> None:
        self.seen.append(info)

    def on_reset_permanent_code(self, info: ResetPermanentCodeCallback) -> None:
        self.seen.append(info)

    def on_suite_callback(self, info: SuiteCallback) -> None:
        self.seen.append(info)


def _push(app: WorkApplication, info_type: str, **fields: Any) -> Any:
    pusher = WeChatPusher("cb-token", aes_key=AES_KEY, corp_id="ww_suite_x")
    data = {"SuiteId": "ww_suite_x", "InfoType": info_type, "TimeStamp": int(time.time()), **fields}
    return pusher.deliver(app, pusher.build(data))


def test_every_info_type_is_typed_dispatched_and_answered_success() -> None:
    storage = MemoryStorage()
    app = Recorder(token="cb-token", aes_key=AES_KEY, receive_id="ww_suite_x", storage=storage)
    pushes = [
        ("suite_ticket", {"SuiteTicket": "TICKET-1"}, SuiteTicketCallback),
        ("create_auth", {"AuthCode": "AUTH-1", "State": "s1"}, CreateAuthCallback),
        ("change_auth", {"AuthCorpId": "ww_a", "State": "s2"}, ChangeAuthCallback),
        ("cancel_auth", {"AuthCorpId": "ww_a"}, CancelAuthCallback),
        (
            "change_contact",
            {"AuthCorpId": "ww_a", "ChangeType": "create_user", "UserID": "u1"},
            SuiteChangeContactCallback,
        ),
        ("reset_permanent_code", {"AuthCode": "AUTH-2"}, ResetPermanentCodeCallback),
        ("something_new", {"Foo": "bar"}, SuiteCallback),
    ]
    for info_type, fields, cls in pushes:
        reply = _push(app, info_type, **fields)
        assert reply.status == 200, info_type  # was 400 "missing MsgType"
        assert reply.is_success
        assert type(app.seen[-1]) is cls
        assert app.seen[-1].info_type == info_type
        assert app.seen[-1].suite_id == "ww_suite_x"
    assert storage.get(suite_ticket_key("ww_suite_x")) == "TICKET-1"
    ticket, create, change, _, contact, reset, unknown = app.seen
    assert ticket.suite_ticket == "TICKET-1"
    assert "TICKET-1" not in repr(ticket)
    assert create.auth_code == "AUTH-1"
    assert create.state == "s1"
    assert "AUTH-1" not in repr(create)
    assert change.auth_corp_id == "ww_a"
    assert contact.change_type == "create_user"
    assert contact.user_id == "u1"
    assert reset.auth_code == "AUTH-2"
    assert unknown.raw["Foo"] == "bar"


def test_suite_ticket_stored_even_when_the_handler_fails() -> None:
    class Broken(WorkApplication):
        def on_suite_ticket(self, info: SuiteTicketCallback) -> None:
            raise RuntimeError("bug")

    storage = MemoryStorage()
    app = Broken(token="cb-token", aes_key=AES_KEY, receive_id="ww_suite_x", storage=storage)
    assert _push(app, "suite_ticket", SuiteTicket="T2").is_success
    assert storage.get(suite_ticket_key("ww_suite_x")) == "T2"


def test_suite_ticket_storage_failure_answers_500() -> None:
    class Down(MemoryStorage):
        def set(self, key: str, value: str, ttl: float | None = None) -> None:
            if key.startswith("wxkit:suite_ticket:"):
                raise ConnectionError("redis down")
            super().set(key, value, ttl)

    app = WorkApplication(token="cb-token", aes_key=AES_KEY, receive_id="ww_suite_x", storage=Down())
    assert _push(app, "suite_ticket", SuiteTicket="T3").status == 500  # WeCom pushes it again


def test_suite_ticket_without_ticket_is_400() -> None:
    app = WorkApplication(token="cb-token", aes_key=AES_KEY, receive_id="ww_suite_x", storage=MemoryStorage())
    assert _push(app, "suite_ticket").status == 400


# -- Suite / AsyncSuite against the emulator --------------------------------------------------------


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def suite_state(wechat_emulator: Emulator) -> Iterator[SuiteState]:
    yield wechat_emulator.add_suite(f"ww{uuid.uuid4().hex[:16]}", token="cb-token", aes_key=AES_KEY)
    wechat_emulator.reset_clock()


@pytest.fixture
def make_suite(wechat_emulator: Emulator, work_kind: str, async_loop: Any, sync_view: Any) -> Iterator[Any]:
    """``make_suite(state, storage)``: a Suite, or an AsyncSuite seen through SyncView, on the emulator."""
    made: list[Any] = []

    def make(state: SuiteState, storage: Storage) -> Any:
        args = (state.suite_id, state.secret, state.token, state.aes_key, storage)
        if work_kind == "sync":
            suite: Any = Suite(*args, base_url=wechat_emulator.work_url, backoff=0.0)
        else:

            async def build() -> AsyncSuite:
                return AsyncSuite(*args, base_url=wechat_emulator.work_url, backoff=0.0, sleep=_no_sleep)

            suite = sync_view(async_loop.run(build()))
        made.append(suite)
        return suite

    yield make
    for suite in made:
        suite.close()


def test_install_flow_two_corps_in_one_process(
    make_suite: Any, suite_state: SuiteState, wechat_emulator: Emulator, serve_bot: Any
) -> None:
    storage = MemoryStorage()
    suite = make_suite(suite_state, storage)
    installed: list[str] = []

    class Callbacks(WorkApplication):
        def on_create_auth(self, info: CreateAuthCallback) -> None:
            installed.append(suite.get_permanent_code(info.auth_code).corpid)

    url = serve_bot(Callbacks(**suite.callback_options()))
    ticket = suite_state.push_suite_ticket(url)  # over HTTP, as WeCom pushes it
    assert storage.get(suite_ticket_key(suite_state.suite_id)) == ticket

    pre_auth_code = suite.get_pre_auth_code()
    install = urlsplit(suite.install_url(pre_auth_code, "https://example.com/installed", "s1"))
    query = parse_qs(install.query)
    assert query["suite_id"] == [suite_state.suite_id]
    assert query["pre_auth_code"] == [pre_auth_code]
    assert query["redirect_uri"] == ["https://example.com/installed"]
    assert query["state"] == ["s1"]

    corp_a, corp_b = f"wwa{uuid.uuid4().hex[:12]}", f"wwb{uuid.uuid4().hex[:12]}"
    for corpid in (corp_a, corp_b):
        suite_state.install(corpid, url)
        wechat_emulator.corp(corpid).add_user("alice", "Alice")
    assert installed == [corp_a, corp_b]
    assert all(reply.is_success for reply in suite_state.pushes)
    for corpid in (corp_a, corp_b):
        assert (
            storage.get(suite_permanent_code_key(suite_state.suite_id, corpid)) == suite_state.permanent_codes[corpid]
        )

    clients = {c: suite.corp_client(c, agent_id=suite_state.agent_ids[c]) for c in (corp_a, corp_b)}
    for corpid, client in clients.items():
        client.message.send_text(f"hello {corpid}", touser=["alice"])
    for corpid in (corp_a, corp_b):
        (sent,) = wechat_emulator.corp(corpid).sent
        assert sent["content"] == {"content": f"hello {corpid}"}
        assert sent["touser"] == ["alice"]
        assert sent["agentid"] == suite_state.agent_ids[corpid]
    # tokens never mixed: each corp's token belongs to that corp in WeCom's books
    token_a, token_b = suite.corp_token(corp_a), suite.corp_token(corp_b)
    assert token_a != token_b
    assert wechat_emulator.work_tokens[token_a][0] == corp_a
    assert wechat_emulator.work_tokens[token_b][0] == corp_b
    assert suite_state.token_fetches[corp_a] == 1
    assert suite_state.token_fetches["suite"] == 1
    for client in clients.values():
        client.close()
    text = repr(suite) + repr(suite_state)
    assert suite_state.secret not in text
    assert ticket not in text
    assert AES_KEY not in text


def test_expired_suite_ticket(make_suite: Any, suite_state: SuiteState, wechat_emulator: Emulator) -> None:
    storage = MemoryStorage()
    app = WorkApplication(**{**make_suite(suite_state, storage).callback_options()})
    suite_state.push_suite_ticket(app)
    wechat_emulator.advance(SUITE_TICKET_LIFETIME + 60)  # no newer ticket came
    suite = make_suite(suite_state, storage)
    with pytest.raises(AccessTokenError) as info:
        suite.get_suite_access_token()
    assert info.value.errcode == 40085
    assert suite_state.secret not in str(info.value)
    suite_state.push_suite_ticket(app)  # the next push cures it
    assert suite.get_suite_access_token()


def test_no_ticket_and_no_permanent_code(make_suite: Any, suite_state: SuiteState) -> None:
    suite = make_suite(suite_state, MemoryStorage())
    with pytest.raises(AccessTokenError) as info:
        suite.get_pre_auth_code()
    assert info.value.errcode == -2
    assert "wxkit:suite_ticket:" in str(info.value)
    suite.set_suite_ticket(suite_state.issue_ticket())
    with pytest.raises(AccessTokenError) as info:
        suite.corp_token("ww_not_installed")
    assert info.value.errcode == -2
    assert "permanent code" in str(info.value)


def test_auth_code_works_once_and_refused_suite_token_is_replaced(make_suite: Any, suite_state: SuiteState) -> None:
    suite = make_suite(suite_state, MemoryStorage())
    suite.set_suite_ticket(suite_state.issue_ticket())
    code = suite_state.install(f"wwc{uuid.uuid4().hex[:12]}")
    result = suite.get_permanent_code(code)
    assert result.permanent_code not in repr(result)
    with pytest.raises(APIError) as info:
        suite.get_permanent_code(code)
    assert info.value.errcode == 40078
    suite_state.tokens.clear()  # WeCom revoked the suite token: 40082, fetched again once
    assert suite.get_pre_auth_code()
    assert suite_state.token_fetches["suite"] == 2


def test_suite_config_errors() -> None:
    with pytest.raises(ConfigError):
        Suite("", "secret")
    with pytest.raises(ConfigError):
        Suite("ww_suite", "secret").callback_options()


def test_suite_ticket_through_handle_async() -> None:
    storage = MemoryStorage()
    app = Recorder(token="cb-token", aes_key=AES_KEY, receive_id="ww_suite_x", storage=storage)
    pusher = WeChatPusher("cb-token", aes_key=AES_KEY, corp_id="ww_suite_x")
    push = pusher.build(
        {"SuiteId": "ww_suite_x", "InfoType": "suite_ticket", "TimeStamp": int(time.time()), "SuiteTicket": "T9"}
    )
    response = asyncio.run(app.handle_async("POST", push.params, push.body))
    assert response.status == 200
    assert response.body == "success"
    assert storage.get(suite_ticket_key("ww_suite_x")) == "T9"
    assert type(app.seen[-1]) is SuiteTicketCallback
