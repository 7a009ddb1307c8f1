"""client.menu against the emulator: the default menu, its checks, conditional menus and trymatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wxkit import Client
from wxkit.errors import APIError, InvalidArgumentError
from wxkit.testing import AppState

CLICK = {"type": "click", "name": "Today", "key": "TODAY"}
VIEW = {"type": "view", "name": "Site", "url": "https://example.com/"}
MENU = [CLICK, {"name": "More", "sub_button": [VIEW, {"type": "location_select", "name": "Where", "key": "LOC"}]}]


def expect(client: Client, code: int, call: Callable[[], Any]) -> APIError:
    with pytest.raises(APIError) as info:
        call()
    assert info.value.errcode == code
    assert client.access_token not in str(info.value)
    return info.value


def test_create_get_delete(wechat_client: Client, wechat_app: AppState) -> None:
    assert wechat_client.menu.create(MENU)["errcode"] == 0
    menu = wechat_client.menu.get()["menu"]
    assert menu["button"][0] == {**CLICK, "sub_button": []}
    assert [b["name"] for b in menu["button"][1]["sub_button"]] == ["Site", "Where"]
    assert wechat_app.data["menu"]["default"]["menuid"] == menu["menuid"]
    wechat_client.menu.delete()
    assert wechat_app.data["menu"]["default"] is None
    expect(wechat_client, 46003, wechat_client.menu.get)


def test_current_selfmenu_info(wechat_client: Client) -> None:
    assert wechat_client.menu.get_current_selfmenu_info()["is_menu_open"] == 0
    wechat_client.menu.create(MENU)
    info = wechat_client.menu.get_current_selfmenu_info()
    assert info["is_menu_open"] == 1
    assert info["selfmenu_info"]["button"][0] == CLICK
    assert info["selfmenu_info"]["button"][1]["sub_button"]["list"][0] == VIEW


@pytest.mark.parametrize(
    ("buttons", "code"),
    [
        ([], 40016),
        ([CLICK] * 4, 40016),
        ([{**CLICK, "type": "bogus"}], 40017),
        ([{**CLICK, "name": "x" * 17}], 40018),
        ([{**CLICK, "key": ""}], 40019),
        ([{**VIEW, "url": "h" * 1025}], 40020),
        ([{"name": "More", "sub_button": [{"name": "Deep", "sub_button": [CLICK]}]}], 40022),
        ([{"name": "More", "sub_button": [CLICK] * 6}], 40023),
        ([{"name": "More", "sub_button": [{**CLICK, "type": "bogus"}]}], 40024),
        ([{"name": "More", "sub_button": [{**CLICK, "name": "x" * 61}]}], 40025),
        ([{"name": "More", "sub_button": [{**CLICK, "key": "k" * 129}]}], 40026),
        ([{"name": "More", "sub_button": [{**VIEW, "url": ""}]}], 40027),
        ([{"type": "miniprogram", "name": "App", "url": "https://example.com/"}], 40097),
        ([{"type": "media_id", "name": "Pic"}], 40097),
    ],
)
def test_button_checks(wechat_client: Client, wechat_app: AppState, buttons: list[Any], code: int) -> None:
    assert isinstance(expect(wechat_client, code, lambda: wechat_client.menu.create(buttons)), InvalidArgumentError)
    assert wechat_app.data.get("menu", {}).get("default") is None


def test_sub_button_names_may_be_longer(wechat_client: Client) -> None:
    wechat_client.menu.create([{"name": "More", "sub_button": [{**CLICK, "name": "七个汉字的菜单名"}]}])


def test_conditional_menus_and_trymatch(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.add_follower("o_vip", tagid_list=[100, 101])
    wechat_app.add_follower("o_ios", client_platform_type=1)
    wechat_app.add_follower("o_plain")
    wechat_client.menu.create(MENU)
    old = wechat_client.menu.add_conditional([{**CLICK, "name": "Old"}], {"tag_id": "101"})
    new = wechat_client.menu.add_conditional([{**CLICK, "name": "VIP"}], {"tag_id": "101"})
    ios = wechat_client.menu.add_conditional([{**CLICK, "name": "iOS"}], {"client_platform_type": "1"})
    assert len({old, new, ios}) == 3
    assert [m["menuid"] for m in wechat_client.menu.get()["conditionalmenu"]] == [old, new, ios]

    def first_button(user: str) -> str:
        name: str = wechat_client.menu.try_match(user)["button"][0]["name"]
        return name

    assert [first_button(u) for u in ("o_vip", "o_ios", "o_plain")] == ["VIP", "iOS", "Today"]
    wechat_client.menu.delete_conditional(new)
    assert first_button("o_vip") == "Old"
    wechat_client.menu.delete()
    assert wechat_app.data["menu"]["conditional"] == []


def test_conditional_errors(wechat_client: Client, wechat_app: AppState) -> None:
    add = wechat_client.menu.add_conditional
    expect(wechat_client, 65303, lambda: add([CLICK], {"tag_id": "100"}))
    wechat_client.menu.create(MENU)
    expect(wechat_client, 65304, lambda: add([CLICK], {}))
    expect(wechat_client, 65320, lambda: add([CLICK], {"tag_id": "100", "sex": "1"}))
    expect(wechat_client, 40016, lambda: add([], {"tag_id": "100"}))
    expect(wechat_client, 65301, lambda: wechat_client.menu.delete_conditional("123"))
    expect(wechat_client, 65302, lambda: wechat_client.menu.try_match("o_nobody"))
    assert wechat_app.data["menu"]["conditional"] == []
