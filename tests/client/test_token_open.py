"""The open platform's token providers, sync and async: component tokens from the stored ticket, authorizer tokens
from the stored refresh token (kept current when WeChat rotates it)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from wxkit import AccessTokenError, ConfigError, StorageError
from wxkit.core.token import COMPONENT_VERIFY_TICKET_TTL, authorizer_refresh_token_key, component_verify_ticket_key
from wxkit.storage import MemoryStorage
from wxkit.testing import Emulator
from wxkit.testing.open import AuthorizerState, ComponentState

ECHO = "/cgi-bin/wxkit_test/echo"  # served by tests/client/conftest.py


@pytest.fixture
def component(wechat_emulator: Emulator) -> Iterator[ComponentState]:
    state = wechat_emulator.add_component(f"wx{uuid.uuid4().hex[:16]}", "component-secret")
    yield state
    wechat_emulator.clear_faults()
    wechat_emulator.reset_clock()


@pytest.fixture
def shop(component: ComponentState) -> AuthorizerState:
    return component.add_authorizer(f"wx{uuid.uuid4().hex[:16]}")


def _component(make_core: Any, emu: Emulator, component: ComponentState, storage: MemoryStorage, **kw: Any) -> Any:
    return make_core("token", "ComponentTokenManager", emu.url, component.appid, component.secret, storage, **kw)


def _authorizer(make_core: Any, emu: Emulator, provider: Any, appid: str, storage: MemoryStorage) -> Any:
    return make_core("token", "AuthorizerTokenManager", emu.url, provider, appid, storage)


def test_storage_keys() -> None:
    assert component_verify_ticket_key("wxc") == "wxkit:component_verify_ticket:wxc"
    assert authorizer_refresh_token_key("wxc", "wxa") == "wxkit:authorizer_refresh_token:wxc:wxa"
    assert COMPONENT_VERIFY_TICKET_TTL == 12 * 3600


# -- ComponentTokenManager -----------------------------------------------------------------------------------------
def test_no_ticket_stored_is_a_clear_error_before_any_request(
    wechat_emulator: Emulator, component: ComponentState, make_core: Any
) -> None:
    tokens = _component(make_core, wechat_emulator, component, MemoryStorage())
    with pytest.raises(AccessTokenError) as info:
        tokens.get()
    assert info.value.errcode == -2
    assert f"wxkit:component_verify_ticket:{component.appid}" in str(info.value)
    assert (tokens.fetch_count, component.token_fetches) == (0, 0)


def test_component_token_cached_and_shared(
    wechat_emulator: Emulator, component: ComponentState, make_core: Any
) -> None:
    storage = MemoryStorage()
    first = _component(make_core, wechat_emulator, component, storage)
    second = _component(make_core, wechat_emulator, component, storage)  # another process, same storage
    first.set_verify_ticket(component.issue_verify_ticket())
    assert storage.get(first.ticket_key) is not None
    token = first.get()
    assert token == component.token
    assert first.get() == second.get() == token
    assert component.token_fetches == 1
    assert first.key == f"wxkit:component_access_token:{component.appid}"
    assert "component-secret" not in repr(first)


def test_component_token_locked_across_threads_and_instances(
    wechat_emulator: Emulator, component: ComponentState, make_core: Any
) -> None:
    storage = MemoryStorage()
    providers = [_component(make_core, wechat_emulator, component, storage) for _ in range(2)]
    providers[0].set_verify_ticket(component.issue_verify_ticket())
    seen: list[str] = []
    threads = [threading.Thread(target=lambda i=i: seen.append(providers[i % 2].get())) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert set(seen) == {component.token}
    assert component.token_fetches == 1


def test_component_token_refetched_once_per_generation(
    wechat_emulator: Emulator, component: ComponentState, make_core: Any
) -> None:
    tokens = _component(make_core, wechat_emulator, component, MemoryStorage())
    tokens.set_verify_ticket(component.issue_verify_ticket())
    first = tokens.get()
    second = tokens.refresh(first)
    assert second != first
    assert tokens.refresh(first) == second  # a second caller failing on the same old token: no new fetch
    assert component.token_fetches == 2


@pytest.mark.parametrize(("ticket", "errcode"), [("ticket@@@forged", 61006), ("EXPIRED", 61005)])
def test_refused_ticket_is_access_token_error(
    wechat_emulator: Emulator, component: ComponentState, make_core: Any, ticket: str, errcode: int
) -> None:
    tokens = _component(make_core, wechat_emulator, component, MemoryStorage())
    if ticket == "EXPIRED":
        ticket = component.issue_verify_ticket()
        wechat_emulator.advance(COMPONENT_VERIFY_TICKET_TTL)
    tokens.set_verify_ticket(ticket)
    with pytest.raises(AccessTokenError) as info:
        tokens.get()
    assert info.value.errcode == errcode
    assert ticket not in str(info.value)


def test_wrong_component_secret(wechat_emulator: Emulator, component: ComponentState, make_core: Any) -> None:
    tokens = make_core("token", "ComponentTokenManager", wechat_emulator.url, component.appid, "wrong", MemoryStorage())
    tokens.set_verify_ticket(component.issue_verify_ticket())
    with pytest.raises(AccessTokenError) as info:
        tokens.get()
    assert info.value.errcode == 40125
    assert "wrong" not in str(info.value)


def test_component_configuration_errors(wechat_emulator: Emulator, make_core: Any) -> None:
    with pytest.raises(ConfigError, match="component_appsecret"):
        make_core("token", "ComponentTokenManager", wechat_emulator.url, "wxc", "", MemoryStorage())
    tokens = make_core("token", "ComponentTokenManager", wechat_emulator.url, "wxc", "s", MemoryStorage())
    with pytest.raises(ConfigError, match="non-empty"):
        tokens.set_verify_ticket("")


# -- AuthorizerTokenManager ----------------------------------------------------------------------------------------
@pytest.fixture
def platform(
    wechat_emulator: Emulator, component: ComponentState, shop: AuthorizerState, make_core: Any
) -> dict[str, Any]:
    """A component provider with a ticket stored, and the shop's refresh token stored, on one storage."""
    storage = MemoryStorage()
    provider = _component(make_core, wechat_emulator, component, storage)
    provider.set_verify_ticket(component.issue_verify_ticket())
    storage.set(authorizer_refresh_token_key(component.appid, shop.appid), shop.refresh_token)
    return {"storage": storage, "component": provider}


def test_authorizer_token_works_on_the_official_routes(
    wechat_emulator: Emulator, shop: AuthorizerState, platform: dict[str, Any], make_core: Any
) -> None:
    tokens = _authorizer(make_core, wechat_emulator, platform["component"], shop.appid, platform["storage"])
    token = tokens.get()
    assert token == shop.app.authorizer_token
    assert tokens.get() == token
    assert shop.token_fetches == 1
    answer = requests.get(wechat_emulator.url + ECHO, params={"access_token": token}, timeout=10).json()
    assert answer["appid"] == shop.appid
    assert tokens.key == f"wxkit:authorizer_access_token:{tokens.component_appid}:{shop.appid}"
    assert shop.refresh_token not in repr(tokens)


def test_no_refresh_token_stored_is_a_clear_error(
    wechat_emulator: Emulator, component: ComponentState, platform: dict[str, Any], make_core: Any
) -> None:
    tokens = _authorizer(make_core, wechat_emulator, platform["component"], "wx_not_authorized", platform["storage"])
    with pytest.raises(AccessTokenError) as info:
        tokens.get()
    assert info.value.errcode == -2
    assert f"wxkit:authorizer_refresh_token:{component.appid}:wx_not_authorized" in str(info.value)
    assert component.token_fetches == 0


def test_rotated_refresh_token_is_kept(
    wechat_emulator: Emulator, shop: AuthorizerState, platform: dict[str, Any], make_core: Any
) -> None:
    storage = platform["storage"]
    shop.rotate_refresh_token = True
    tokens = _authorizer(make_core, wechat_emulator, platform["component"], shop.appid, storage)
    original = shop.refresh_token
    first = tokens.get()
    assert shop.refresh_token != original
    assert storage.get(tokens.refresh_key) == shop.refresh_token  # the new one is stored
    second = tokens.refresh(first)  # only works if the rotated refresh token was kept
    assert second != first
    assert storage.get(tokens.refresh_key) == shop.refresh_token
    assert tokens.refresh(first) == second
    assert shop.token_fetches == 2


def test_refused_component_token_is_refetched_once(
    wechat_emulator: Emulator,
    component: ComponentState,
    shop: AuthorizerState,
    platform: dict[str, Any],
    make_core: Any,
) -> None:
    tokens = _authorizer(make_core, wechat_emulator, platform["component"], shop.appid, platform["storage"])
    platform["component"].get()
    wechat_emulator.component_tokens.clear()  # WeChat no longer knows the cached component token: 40001
    assert tokens.get() == shop.app.authorizer_token
    assert component.token_fetches == 2
    assert shop.token_fetches == 1


def test_invalid_refresh_token_is_access_token_error(
    wechat_emulator: Emulator, shop: AuthorizerState, platform: dict[str, Any], make_core: Any
) -> None:
    tokens = _authorizer(make_core, wechat_emulator, platform["component"], shop.appid, platform["storage"])
    tokens.set_refresh_token("refreshtoken@@@revoked")
    with pytest.raises(AccessTokenError) as info:
        tokens.get()
    assert info.value.errcode == 61023
    assert "revoked" not in str(info.value)


class _StaleOnce(MemoryStorage):
    """Answers the first read of ``key`` with ``stale``: another process rotated the refresh token meanwhile."""

    def __init__(self, key: str, stale: str) -> None:
        super().__init__()
        self.key = key
        self.stale: str | None = stale

    def get(self, key: str) -> str | None:
        if key == self.key and self.stale is not None:
            stale, self.stale = self.stale, None
            return stale
        return super().get(key)


def test_refresh_token_replaced_meanwhile_is_used(
    wechat_emulator: Emulator, component: ComponentState, shop: AuthorizerState, make_core: Any
) -> None:
    key = authorizer_refresh_token_key(component.appid, shop.appid)
    storage = _StaleOnce(key, "refreshtoken@@@superseded")
    provider = _component(make_core, wechat_emulator, component, storage)
    provider.set_verify_ticket(component.issue_verify_ticket())
    storage.set(key, shop.refresh_token)
    tokens = _authorizer(make_core, wechat_emulator, provider, shop.appid, storage)
    assert tokens.get() == shop.app.authorizer_token  # 61023 with the stale one, then the stored one
    assert shop.token_fetches == 1


class _RefreshWriteFails(MemoryStorage):
    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.armed = False

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        if self.armed and key == self.key:
            raise ConnectionError("redis went away")
        super().set(key, value, ttl)


def test_a_rotated_refresh_token_that_cannot_be_stored_is_a_storage_error(
    wechat_emulator: Emulator, component: ComponentState, shop: AuthorizerState, make_core: Any
) -> None:
    key = authorizer_refresh_token_key(component.appid, shop.appid)
    storage = _RefreshWriteFails(key)
    provider = _component(make_core, wechat_emulator, component, storage)
    provider.set_verify_ticket(component.issue_verify_ticket())
    tokens = _authorizer(make_core, wechat_emulator, provider, shop.appid, storage)
    tokens.set_refresh_token(shop.refresh_token)
    shop.rotate_refresh_token = True
    storage.armed = True
    with pytest.raises(StorageError) as info:
        tokens.get()
    assert info.value.key == key
    assert shop.refresh_token not in str(info.value)
    assert storage.get(tokens.key) is None  # the access token is not cached past a lost refresh token


def test_authorizer_locked_across_threads_and_instances(
    wechat_emulator: Emulator,
    component: ComponentState,
    shop: AuthorizerState,
    platform: dict[str, Any],
    make_core: Any,
) -> None:
    storage = platform["storage"]
    shop.rotate_refresh_token = True
    providers = [_authorizer(make_core, wechat_emulator, platform["component"], shop.appid, storage) for _ in range(2)]
    seen: list[str] = []
    threads = [threading.Thread(target=lambda i=i: seen.append(providers[i % 2].get())) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert set(seen) == {shop.app.authorizer_token}
    assert (shop.token_fetches, component.token_fetches) == (1, 1)
    assert storage.get(providers[0].refresh_key) == shop.refresh_token
