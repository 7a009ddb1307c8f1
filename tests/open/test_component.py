"""The open platform: Component / AsyncComponent end to end against the emulator, and their authorization events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from wxkit import Client
from wxkit.core.token import authorizer_refresh_token_key, component_verify_ticket_key
from wxkit.errors import AccessTokenError, APIError, ConfigError, StaleTimestampError, StorageError
from wxkit.open import (
    AsyncComponent,
    AuthorizedEvent,
    Component,
    ComponentEvent,
    FastRegisterEvent,
    UnauthorizedEvent,
    UpdateAuthorizedEvent,
    VerifyTicketEvent,
)
from wxkit.storage import MemoryStorage
from wxkit.testing import Emulator
from wxkit.testing.open import AUTH_CODE_LIFETIME, ComponentState
from wxkit.testing.routes.miniprogram_code import set_audit_status
from wxkit.testing.routes.oauth import set_oauth_user
from wxkit.testing.routes.template import add_template

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN = "event-token"


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    """``"sync"`` then ``"async"``: which Component the scenario runs on."""
    return str(request.param)


@pytest.fixture
def state(wechat_emulator: Emulator) -> ComponentState:
    return wechat_emulator.add_component(
        f"wxc{uuid.uuid4().hex[:14]}", "component-secret", token=TOKEN, aes_key=AES_KEY
    )


class Recording:
    """Handlers recording every event (mixed into Component / AsyncComponent)."""

    seen: list[ComponentEvent]

    def on_component_verify_ticket(self, event: VerifyTicketEvent) -> None:
        self.seen.append(event)

    def on_authorized(self, event: AuthorizedEvent) -> None:
        self.seen.append(event)
        self.query_auth(event.authorization_code)  # type: ignore[attr-defined]  # the Component's

    def on_updateauthorized(self, event: UpdateAuthorizedEvent) -> None:
        self.seen.append(event)

    def on_unauthorized(self, event: UnauthorizedEvent) -> None:
        self.seen.append(event)

    def on_unknown(self, event: ComponentEvent) -> None:
        self.seen.append(event)


class SyncPlatform(Recording, Component):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = []


class AsyncPlatform(AsyncComponent):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[ComponentEvent] = []

    async def on_component_verify_ticket(self, event: VerifyTicketEvent) -> None:
        self.seen.append(event)

    async def on_authorized(self, event: AuthorizedEvent) -> None:
        self.seen.append(event)
        await self.query_auth(event.authorization_code)

    def on_updateauthorized(self, event: UpdateAuthorizedEvent) -> None:  # a sync handler works too
        self.seen.append(event)

    async def on_unauthorized(self, event: UnauthorizedEvent) -> None:
        self.seen.append(event)

    async def on_unknown(self, event: ComponentEvent) -> None:
        self.seen.append(event)


@pytest.fixture
def make_platform(wechat_emulator: Emulator, kind: str, async_loop: Any, sync_view: Any) -> Iterator[Any]:
    """``make_platform(state, storage)``: a Component, or an AsyncComponent seen through SyncView."""
    made: list[Any] = []

    def make(state: ComponentState, storage: Any = None) -> Any:
        args = (state.appid, state.secret, TOKEN, AES_KEY, storage)
        if kind == "sync":
            platform: Any = SyncPlatform(*args, base_url=wechat_emulator.url, backoff=0.0)
        else:

            async def build() -> AsyncPlatform:
                return AsyncPlatform(*args, base_url=wechat_emulator.url, backoff=0.0, sleep=_no_sleep)

            platform = sync_view(async_loop.run(build()))
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.close()


def _follower_and_template(emu: Emulator, appid: str) -> str:
    app = emu.apps[appid]
    app.add_follower("o_fan", subscribe=1)
    return str(add_template(app, "TPL")["template_id"])


def test_two_authorizers_end_to_end(make_platform: Any, state: ComponentState, wechat_emulator: Emulator) -> None:
    storage = MemoryStorage()
    platform = make_platform(state, storage)

    ticket = state.push_verify_ticket(platform)  # WeChat's push, through handle()
    assert storage.get(component_verify_ticket_key(state.appid)) == ticket
    assert platform.get_component_access_token() == state.token

    pre_auth_code = platform.get_pre_auth_code()
    page = urlsplit(platform.authorization_url(pre_auth_code, "https://example.com/done", auth_type=1))
    assert page.netloc == "mp.weixin.qq.com"
    assert page.path == "/cgi-bin/componentloginpage"
    query = parse_qs(page.query)
    assert query["component_appid"] == [state.appid]
    assert query["pre_auth_code"] == [pre_auth_code]
    assert query["redirect_uri"] == ["https://example.com/done"]
    assert query["auth_type"] == ["1"]

    shop, cafe = f"wxs{uuid.uuid4().hex[:14]}", f"wxf{uuid.uuid4().hex[:14]}"
    state.authorize(shop, platform, pre_auth_code=pre_auth_code)  # "authorized": on_authorized calls query_auth
    wechat_emulator.authorize(state.appid, cafe, platform, pre_auth_code=platform.get_pre_auth_code())
    assert all(reply.is_success for reply in state.pushes)
    for appid in (shop, cafe):
        assert storage.get(authorizer_refresh_token_key(state.appid, appid)) == state.authorizers[appid].refresh_token
    kinds = [type(e) for e in platform.seen]
    assert kinds == [VerifyTicketEvent, AuthorizedEvent, AuthorizedEvent]
    assert [e.authorizer_appid for e in platform.seen[1:]] == [shop, cafe]

    clients = {appid: platform.client(appid) for appid in (shop, cafe)}
    for appid, client in clients.items():
        template_id = _follower_and_template(wechat_emulator, appid)
        assert client.template.send("o_fan", template_id, {"k": {"value": appid}}) > 0
    for appid in (shop, cafe):  # every message went out on the account's own token
        sent = wechat_emulator.apps[appid].sent
        assert [m["data"]["k"]["value"] for m in sent if m["kind"] == "template"] == [appid]
    assert clients[shop].access_token != clients[cafe].access_token
    assert clients[shop].access_token == wechat_emulator.apps[shop].authorizer_token
    for client in clients.values():
        client.close()


def test_authorizer_token_refreshed_after_expiry(
    make_platform: Any, state: ComponentState, wechat_emulator: Emulator
) -> None:
    storage = MemoryStorage()
    platform = make_platform(state, storage)
    state.push_verify_ticket(platform)
    shop = f"wxs{uuid.uuid4().hex[:14]}"
    state.authorize(shop, platform)
    template_id = _follower_and_template(wechat_emulator, shop)
    client = platform.client(shop)
    first = client.access_token
    state.authorizers[shop].rotate_refresh_token = True
    wechat_emulator.advance(wechat_emulator.token_lifetime + 1)  # the token expired (42001), the component's too
    assert client.template.send("o_fan", template_id, {"k": {"value": "v"}}) > 0
    assert client.access_token not in (first, "")
    assert client.access_token == wechat_emulator.apps[shop].authorizer_token
    # the rotated refresh token was stored
    assert storage.get(authorizer_refresh_token_key(state.appid, shop)) == state.authorizers[shop].refresh_token
    client.close()


def test_unauthorized_push_makes_the_client_raise(
    make_platform: Any, state: ComponentState, wechat_emulator: Emulator
) -> None:
    storage = MemoryStorage()
    platform = make_platform(state, storage)
    state.push_verify_ticket(platform)
    shop, cafe = f"wxs{uuid.uuid4().hex[:14]}", f"wxf{uuid.uuid4().hex[:14]}"
    state.authorize(shop, platform)
    state.authorize(cafe, platform)
    for appid in (shop, cafe):
        _follower_and_template(wechat_emulator, appid)
    shop_client, cafe_client = platform.client(shop), platform.client(cafe)
    assert shop_client.template.send("o_fan", "TPL", {"k": {"value": "1"}}) > 0

    state.unauthorize(shop, platform)
    assert isinstance(platform.seen[-1], UnauthorizedEvent)
    assert storage.get(authorizer_refresh_token_key(state.appid, shop)) is None
    with pytest.raises(AccessTokenError, match="unauthorized the platform") as caught:
        shop_client.template.send("o_fan", "TPL", {"k": {"value": "2"}})
    assert caught.value.errcode == -2
    assert cafe_client.template.send("o_fan", "TPL", {"k": {"value": "3"}}) > 0  # the other account still works
    shop_client.close()
    cafe_client.close()


def test_ticket_pushed_over_http_to_a_served_component(state: ComponentState, serve_bot: Any) -> None:
    storage = MemoryStorage()
    platform = Component(state.appid, state.secret, TOKEN, AES_KEY, storage)
    url = serve_bot(platform)
    ticket = state.push_verify_ticket(url)
    assert state.pushes[-1].status == 200
    assert state.pushes[-1].is_success
    assert storage.get(component_verify_ticket_key(state.appid)) == ticket


def test_mobile_authorization_url(state: ComponentState) -> None:
    platform = Component(state.appid, state.secret)
    url = platform.mobile_authorization_url("PAC", "https://example.com/cb", auth_type=3, biz_appid="wx_one")
    parts = urlsplit(url)
    assert parts.netloc == "open.weixin.qq.com"
    assert parts.path == "/wxaopen/safe/bindcomponent"
    assert parts.fragment == "wechat_redirect"
    query = parse_qs(parts.query)
    assert query["action"] == ["bindcomponent"]
    assert query["no_scan"] == ["1"]
    assert query["auth_type"] == ["3"]
    assert query["biz_appid"] == ["wx_one"]
    assert query["component_appid"] == [state.appid]
    with pytest.raises(ValueError, match="pre_auth_code"):
        platform.authorization_url("", "https://example.com/cb")


# -- bad input ------------------------------------------------------------------------------------


def test_wrong_signature_is_refused_403_and_nothing_stored(state: ComponentState) -> None:
    storage = MemoryStorage()
    platform = Component(state.appid, state.secret, TOKEN, AES_KEY, storage)
    push = state.build_push("component_verify_ticket", ComponentVerifyTicket="T1")
    params = {**push.params, "msg_signature": "0" * 40}
    response = platform.handle("POST", params, push.body)
    assert response.status == 403
    assert storage.get(component_verify_ticket_key(state.appid)) is None


def test_push_encrypted_for_another_component_is_refused(wechat_emulator: Emulator, state: ComponentState) -> None:
    other = wechat_emulator.add_component(f"wxo{uuid.uuid4().hex[:14]}", "s", token=TOKEN, aes_key=AES_KEY)
    storage = MemoryStorage()
    platform = Component(state.appid, state.secret, TOKEN, AES_KEY, storage)
    push = other.build_push("component_verify_ticket", ComponentVerifyTicket="T1")  # receive id: the other appid
    response = platform.handle("POST", push.params, push.body)
    assert response.status == 400
    assert "receive id" in response.body
    assert storage.get(component_verify_ticket_key(state.appid)) is None
    assert storage.get(component_verify_ticket_key(other.appid)) is None


def test_unknown_info_type_kept_raw_and_answered_success(make_platform: Any, state: ComponentState) -> None:
    platform = make_platform(state)
    reply = state.push_info(platform, "notify_something_new", status="0", msg="OK", info={"name": "x"})
    assert reply.status == 200
    assert reply.is_success
    event = platform.seen[-1]
    assert type(event) is ComponentEvent
    assert event.info_type == "notify_something_new"
    assert event.raw["msg"] == "OK"
    assert event.raw["info"] == {"name": "x"}


def test_stale_timestamp_and_unencrypted_push_are_refused(state: ComponentState) -> None:
    platform = Component(state.appid, state.secret, TOKEN, AES_KEY, clock=lambda: 0.0)
    push = state.build_push("component_verify_ticket", ComponentVerifyTicket="T1")
    with pytest.raises(StaleTimestampError):
        platform.process(push.params, push.body)
    assert platform.handle("POST", push.params, "<xml><AppId>x</AppId></xml>").status == 400
    assert platform.handle("POST", push.params, "not xml").status == 400
    assert platform.handle("GET", push.params, None).status == 405
    with pytest.raises(ConfigError, match="token and aes_key"):
        Component(state.appid, state.secret).process(push.params, push.body)


def test_missing_ticket_is_a_clear_access_token_error(make_platform: Any, state: ComponentState) -> None:
    platform = make_platform(state)
    with pytest.raises(AccessTokenError, match="no component_verify_ticket") as caught:
        platform.get_pre_auth_code()
    assert caught.value.errcode == -2


def test_expired_or_reused_auth_code(make_platform: Any, state: ComponentState, wechat_emulator: Emulator) -> None:
    platform = make_platform(state)
    state.push_verify_ticket(platform)
    shop = f"wxs{uuid.uuid4().hex[:14]}"
    code = state.authorize(shop)  # no push: the platform gets the code from the redirect
    info = platform.query_auth(code)
    assert info.authorizer_appid == shop
    assert 1 in info.func_info
    assert "authorizer_refresh_token" not in info.raw
    assert "authorizer_access_token" not in info.raw
    with pytest.raises(APIError) as reused:
        platform.query_auth(code)
    assert reused.value.errcode == 61009
    late = state.authorize(shop)
    wechat_emulator.advance(AUTH_CODE_LIFETIME + 1)
    state.push_verify_ticket(platform)  # a fresh ticket: the component token is refetched after the jump
    with pytest.raises(APIError) as expired:
        platform.query_auth(late)
    assert expired.value.errcode == 61010


def test_authorizer_info_and_options(make_platform: Any, state: ComponentState) -> None:
    platform = make_platform(state)
    state.push_verify_ticket(platform)
    shop = f"wxs{uuid.uuid4().hex[:14]}"
    platform.query_auth(state.authorize(shop))
    info = platform.get_authorizer_info(shop)
    assert info["authorization_info"]["authorizer_appid"] == shop
    assert "authorizer_refresh_token" not in info["authorization_info"]
    assert platform.get_authorizer_option(shop, "voice_recognize") == "0"
    platform.set_authorizer_option(shop, "voice_recognize", "1")
    assert platform.get_authorizer_option(shop, "voice_recognize") == "1"
    with pytest.raises(APIError) as caught:
        platform.get_authorizer_info("wx_never_authorized")
    assert caught.value.errcode == 61003


def test_miniprogram_client_uses_the_authorizer_token(make_platform: Any, state: ComponentState) -> None:
    platform = make_platform(state)
    state.push_verify_ticket(platform)
    mini = f"wxm{uuid.uuid4().hex[:14]}"
    platform.query_auth(state.authorize(mini))
    client = platform.miniprogram_client(mini)
    assert client.access_token == state.authorizers[mini].app.authorizer_token
    assert client.tokens.authorizer_appid == mini
    client.close()


def test_repr_and_event_repr_keep_secrets_out(state: ComponentState) -> None:
    platform = Component(state.appid, "component-secret", TOKEN, AES_KEY)
    assert "component-secret" not in repr(platform)
    assert AES_KEY not in repr(platform)
    event = VerifyTicketEvent(ticket="TICKET-SECRET", app_id="wx")
    assert "TICKET-SECRET" not in repr(event)


def test_client_takes_a_token_provider(wechat_emulator: Emulator) -> None:
    app = wechat_emulator.add_app(f"wxa{uuid.uuid4().hex[:14]}", "secret")

    class Fixed:
        def get(self) -> str:
            return wechat_emulator.issue_token(app, kind="classic")

    client = Client(app.appid, tokens=Fixed())  # type: ignore[arg-type]  # duck-typed provider
    assert client.access_token == app.classic_token
    client.close()


def test_a_retried_push_runs_its_handler_once(make_platform: Any, state: ComponentState) -> None:
    platform = make_platform(state)
    push = state.build_push("notify_unknown_kind", Foo="1")
    for _ in range(3):  # WeChat retries a push it got no answer to in time
        response = platform.handle("POST", push.params, push.body)
        assert response.status == 200
        assert response.body == "success"
    assert len(platform.seen) == 1


def test_a_failing_handler_propagates_and_the_retry_runs_again(state: ComponentState) -> None:
    calls: list[str] = []

    class Flaky(Component):
        def on_unknown(self, event: ComponentEvent) -> None:
            calls.append(event.info_type)
            if len(calls) == 1:
                raise RuntimeError("database down")

    platform = Flaky(state.appid, state.secret, TOKEN, AES_KEY)
    push = state.build_push("notify_unknown_kind")
    with pytest.raises(RuntimeError, match="database down"):
        platform.handle("POST", push.params, push.body)
    assert platform.handle("POST", push.params, push.body).status == 200
    assert calls == ["notify_unknown_kind", "notify_unknown_kind"]


class _BrokenStorage(MemoryStorage):
    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        raise ConnectionError("redis down")


def test_a_ticket_the_storage_cannot_keep_answers_500(state: ComponentState) -> None:
    platform = Component(state.appid, state.secret, TOKEN, AES_KEY, _BrokenStorage())
    push = state.build_push("component_verify_ticket", ComponentVerifyTicket="T1")
    response = platform.handle("POST", push.params, push.body)
    assert response.status == 500
    with pytest.raises(StorageError):
        platform.process(push.params, push.body)


def test_list_authorizers_pages_through_every_account(make_platform: Any, state: ComponentState) -> None:
    platform = make_platform(state)
    state.push_verify_ticket(platform)
    appids = [f"wxl{i}{uuid.uuid4().hex[:12]}" for i in range(5)]
    for appid in appids:
        state.add_authorizer(appid)
    listed = list(platform.list_authorizers(count=2))
    assert [item["authorizer_appid"] for item in listed] == appids
    assert all("refresh_token" not in item for item in listed)
    with pytest.raises(ValueError, match="count"):
        list(platform.list_authorizers(count=501))


def test_jscode2session_and_web_oauth_on_behalf_of_authorizers(
    make_platform: Any, state: ComponentState, wechat_emulator: Emulator
) -> None:
    platform = make_platform(state)
    state.push_verify_ticket(platform)
    mini, account = f"wxm{uuid.uuid4().hex[:14]}", f"wxa{uuid.uuid4().hex[:14]}"
    platform.query_auth(state.authorize(mini))
    platform.query_auth(state.authorize(account))

    js_code = wechat_emulator.miniprogram_login(mini, "o_buyer")
    session = platform.jscode2session(mini, js_code)
    assert session["openid"] == "o_buyer"
    with pytest.raises(APIError) as used:
        platform.jscode2session(mini, js_code)
    assert used.value.errcode == 40163

    set_oauth_user(wechat_emulator.apps[account], "o_reader")
    page = requests.get(
        f"{wechat_emulator.url}/connect/oauth2/authorize",
        params={
            "appid": account,
            "redirect_uri": "https://example.com/cb",
            "response_type": "code",
            "scope": "snsapi_base",
            "component_appid": state.appid,
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(page.headers["Location"]).query)["code"][0]
    token = platform.oauth_access_token(account, code)
    assert token["openid"] == "o_reader"
    assert token["scope"] == "snsapi_base"
    with pytest.raises(APIError) as other:
        platform.jscode2session("wx_not_authorized", "code")
    assert other.value.errcode == 61003


def test_code_management_commit_audit_release_rollback(
    make_platform: Any, state: ComponentState, wechat_emulator: Emulator
) -> None:
    platform = make_platform(state)
    state.push_verify_ticket(platform)
    mini = f"wxm{uuid.uuid4().hex[:14]}"
    platform.query_auth(state.authorize(mini))
    client = platform.miniprogram_client(mini)
    app = wechat_emulator.apps[mini]

    with pytest.raises(APIError) as early:
        client.code.submit_audit()
    assert early.value.errcode == 85086
    client.code.commit(template_id=12, ext_json={"extAppid": mini}, user_version="1.0.0", user_desc="first")
    pages = client.code.get_page()
    assert pages
    assert client.code.get_category()[0]["first_class"]
    auditid = client.code.submit_audit(item_list=[{"address": pages[0], "tag": "shop"}])
    assert client.code.get_auditstatus(auditid)["status"] == 2
    with pytest.raises(APIError) as running:
        client.code.submit_audit()
    assert running.value.errcode == 85009
    with pytest.raises(APIError) as not_passed:
        client.code.release()
    assert not_passed.value.errcode == 85019
    set_audit_status(app, auditid, 0)
    assert client.code.get_latest_auditstatus()["auditid"] == auditid
    client.code.release()

    client.code.commit(template_id=13, ext_json="{}", user_version="1.0.1", user_desc="second")
    second = client.code.submit_audit()
    client.code.undo_audit()
    assert client.code.get_auditstatus(second)["status"] == 3
    third = client.code.submit_audit()
    set_audit_status(app, third, 0)
    client.code.release()
    client.code.rollback()
    assert app.data["code"]["released"] == ["1.0.0"]

    domains = client.code.modify_domain("set", requestdomain=["https://api.example.com"])
    assert domains["requestdomain"] == ["https://api.example.com"]
    assert client.code.modify_domain()["requestdomain"] == ["https://api.example.com"]
    with pytest.raises(ValueError, match="action"):
        client.code.modify_domain("replace")
    client.close()


def test_fast_registration_result_is_typed(state: ComponentState) -> None:
    seen: list[FastRegisterEvent] = []

    class Registrar(Component):
        def on_fast_register(self, event: FastRegisterEvent) -> None:
            seen.append(event)

    platform = Registrar(state.appid, state.secret, TOKEN, AES_KEY)
    fields = {"appid": "wx_new_mini", "status": "0", "auth_code": "AUTH-SECRET", "msg": "OK"}
    reply = state.push_info(platform, "notify_third_fasteregister", **fields, info={"name": "Shop Ltd", "code": "91"})
    assert reply.is_success
    (event,) = seen
    assert event.appid == "wx_new_mini"
    assert event.status == 0
    assert event.auth_code == "AUTH-SECRET"
    assert event.company == {"name": "Shop Ltd", "code": "91"}
    assert "AUTH-SECRET" not in repr(event)


def test_the_ticket_timer_runs_on_the_emulators_clock(wechat_emulator: Emulator, state: ComponentState) -> None:
    """WeChat pushes a ticket every 10 minutes: the emulator's timer does, as the test moves its clock."""
    platform = Component(state.appid, "component-secret", TOKEN, AES_KEY, storage=MemoryStorage())
    platform.http.base_url = wechat_emulator.url
    with pytest.raises(AccessTokenError, match="ticket"):  # nothing pushed yet
        platform.get_component_access_token()
    try:  # the emulator is the session's: its clock and this timer must not outlive the test
        state.start_ticket_timer(platform)  # the first ticket at once
        first = platform.storage.get(component_verify_ticket_key(state.appid))
        assert first in state.verify_tickets
        wechat_emulator.advance(599)
        assert len(state.pushes) == 1  # not due yet
        wechat_emulator.advance(1)
        assert len(state.pushes) == 2
        second = platform.storage.get(component_verify_ticket_key(state.appid))
        assert second in state.verify_tickets
        assert second != first
        wechat_emulator.advance(3 * 600)
        assert len(state.pushes) == 5  # one per interval passed
        wechat_emulator.advance(7 * 24 * 3600)
        assert len(state.pushes) == 11  # a week in one step pushes the last few only (MAX_TICKETS_PER_ADVANCE)
        assert platform.get_component_access_token() == state.token  # from the newest ticket
        assert all(reply.status == 200 and reply.body == "success" for reply in state.pushes)
        state.stop_ticket_timer()
        wechat_emulator.advance(3600)
        assert len(state.pushes) == 11
    finally:
        state.stop_ticket_timer()
        wechat_emulator.reset_clock()
        platform.close()
    with pytest.raises(ValueError, match="target"):
        wechat_emulator.add_component(
            f"wxc{uuid.uuid4().hex[:14]}", "s", token=TOKEN, aes_key=AES_KEY
        ).start_ticket_timer()


def test_the_authorized_push_states_the_codes_expiry_on_the_emulators_clock(
    wechat_emulator: Emulator, state: ComponentState
) -> None:
    seen: list[AuthorizedEvent] = []

    class Platform(Component):
        def on_authorized(self, event: AuthorizedEvent) -> None:
            seen.append(event)

    platform = Platform(state.appid, "component-secret", TOKEN, AES_KEY, storage=MemoryStorage())
    try:
        wechat_emulator.advance(86_400)  # a day later on the emulator's clock
        state.authorize("wx_later", platform)
        assert seen[0].authorization_code_expired_time == int(wechat_emulator.now()) + AUTH_CODE_LIFETIME
    finally:
        wechat_emulator.reset_clock()
        platform.close()
