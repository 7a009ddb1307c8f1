"""The emulator's open platform: component tokens from verify tickets, authorizer tokens from refresh tokens."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from wxkit.testing import Emulator
from wxkit.testing.open import VERIFY_TICKET_LIFETIME, ComponentState

ECHO = "/cgi-bin/wxkit_test/open_echo"


@pytest.fixture(scope="module")
def frozen() -> Any:
    """An emulator whose time moves only by ``advance``."""
    with Emulator(clock=lambda: 1_700_000_000.0) as emu:
        emu.add_route("GET", ECHO, lambda emu, req: {"errcode": 0, "errmsg": "ok", "appid": req.app.appid})
        yield emu


@pytest.fixture
def emu(frozen: Emulator) -> Any:
    yield frozen
    frozen.reset_clock()


@pytest.fixture
def component(emu: Emulator) -> ComponentState:
    return emu.add_component(f"wx_component_{emu.next_id()}", "component-secret")


def component_token(emu: Emulator, component: ComponentState, **fields: Any) -> dict[str, Any]:
    body = {"component_appid": component.appid, "component_appsecret": "component-secret", **fields}
    answer: dict[str, Any] = requests.post(
        f"{emu.url}/cgi-bin/component/api_component_token", json=body, timeout=5
    ).json()
    return answer


def authorizer_token(emu: Emulator, token: str, **fields: Any) -> dict[str, Any]:
    answer: dict[str, Any] = requests.post(
        f"{emu.url}/cgi-bin/component/api_authorizer_token",
        params={"component_access_token": token},
        json=fields,
        timeout=5,
    ).json()
    return answer


def test_component_token_from_a_verify_ticket(emu: Emulator, component: ComponentState) -> None:
    ticket = component.issue_verify_ticket()
    assert ticket.startswith("ticket@@@")
    answer = component_token(emu, component, component_verify_ticket=ticket)
    assert answer["expires_in"] == emu.token_lifetime
    assert answer["component_access_token"] == component.token
    assert component.token_fetches == 1


@pytest.mark.parametrize(
    ("fields", "errcode"),
    [
        ({"component_appid": ""}, 41002),
        ({"component_appid": "wx_unknown_component"}, 40013),
        ({"component_appsecret": ""}, 41004),
        ({"component_appsecret": "wrong"}, 40125),
        ({"component_verify_ticket": "ticket@@@forged"}, 61006),
        ({"component_verify_ticket": None}, 61006),
    ],
)
def test_component_token_errcodes(
    emu: Emulator, component: ComponentState, fields: dict[str, Any], errcode: int
) -> None:
    body = {"component_verify_ticket": component.issue_verify_ticket(), **fields}
    assert component_token(emu, component, **body)["errcode"] == errcode
    assert component.token_fetches == 0


def test_a_verify_ticket_expires_after_twelve_hours(emu: Emulator, component: ComponentState) -> None:
    ticket = component.issue_verify_ticket()
    emu.advance(VERIFY_TICKET_LIFETIME)
    assert component_token(emu, component, component_verify_ticket=ticket)["errcode"] == 61005
    assert "component_access_token" in component_token(
        emu, component, component_verify_ticket=component.issue_verify_ticket()
    )


def test_a_component_appid_cannot_use_the_classic_token(emu: Emulator, component: ComponentState) -> None:
    params = {"grant_type": "client_credential", "appid": component.appid, "secret": "component-secret"}
    assert requests.get(f"{emu.url}/cgi-bin/token", params=params, timeout=5).json()["errcode"] == 61024


def test_component_tokens_overlap_then_expire(emu: Emulator, component: ComponentState) -> None:
    ticket = component.issue_verify_ticket()
    shop = component.add_authorizer("wx_overlap_shop")
    fields = {"component_appid": component.appid, "authorizer_appid": shop.appid}
    first = component_token(emu, component, component_verify_ticket=ticket)["component_access_token"]
    second = component_token(emu, component, component_verify_ticket=ticket)["component_access_token"]
    answer = authorizer_token(emu, first, authorizer_refresh_token=shop.refresh_token, **fields)
    assert "authorizer_access_token" in answer  # the replaced token works during the overlap
    emu.advance(emu.token_overlap)
    assert authorizer_token(emu, first, authorizer_refresh_token=shop.refresh_token, **fields)["errcode"] == 40001
    emu.advance(emu.token_lifetime)
    assert authorizer_token(emu, second, authorizer_refresh_token=shop.refresh_token, **fields)["errcode"] == 42001
    assert authorizer_token(emu, "", **fields)["errcode"] == 41001


def test_authorizer_token_is_an_access_token_of_the_authorizer(emu: Emulator, component: ComponentState) -> None:
    shop = component.add_authorizer("wx_shop_a")
    assert component.add_authorizer("wx_shop_a") is shop
    assert shop.app is emu.app("wx_shop_a")
    token = component_token(emu, component, component_verify_ticket=component.issue_verify_ticket())
    fields = {"component_appid": component.appid, "authorizer_appid": shop.appid}
    answer = authorizer_token(
        emu, token["component_access_token"], authorizer_refresh_token=shop.refresh_token, **fields
    )
    assert answer["authorizer_refresh_token"] == shop.refresh_token  # unchanged unless rotation is on
    assert answer["expires_in"] == emu.token_lifetime
    assert shop.app.authorizer_token == answer["authorizer_access_token"]
    echo = requests.get(f"{emu.url}{ECHO}", params={"access_token": answer["authorizer_access_token"]}, timeout=5)
    assert echo.json()["appid"] == "wx_shop_a"
    assert shop.token_fetches == 1


def test_authorizer_token_errcodes_and_rotation(emu: Emulator, component: ComponentState) -> None:
    shop = component.add_authorizer("wx_shop_b")
    other = emu.add_component(f"wx_other_{emu.next_id()}", "s")
    token = component_token(emu, component, component_verify_ticket=component.issue_verify_ticket())[
        "component_access_token"
    ]
    fields = {"component_appid": component.appid, "authorizer_appid": shop.appid}
    assert authorizer_token(emu, token, **{**fields, "component_appid": other.appid})["errcode"] == 61011
    assert authorizer_token(emu, token, **{**fields, "authorizer_appid": "wx_stranger"})["errcode"] == 61003
    assert authorizer_token(emu, token, authorizer_refresh_token="refreshtoken@@@old", **fields)["errcode"] == 61023
    shop.rotate_refresh_token = True
    old = shop.refresh_token
    answer = authorizer_token(emu, token, authorizer_refresh_token=old, **fields)
    assert answer["authorizer_refresh_token"] == shop.refresh_token != old
    assert authorizer_token(emu, token, authorizer_refresh_token=old, **fields)["errcode"] == 61023
    assert shop.refresh_token not in repr(shop)
    assert "component-secret" not in repr(component)
