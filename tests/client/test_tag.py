"""client.tag against the emulator: tag CRUD, tagging followers, listing both ways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wxkit import Client
from wxkit.errors import APIError, InvalidArgumentError
from wxkit.testing import AppState
from wxkit.testing.routes import tag as tag_routes


def expect(client: Client, cls: type[APIError], code: int, call: Callable[[], Any]) -> APIError:
    with pytest.raises(cls) as info:
        call()
    assert info.value.errcode == code
    assert client.access_token not in str(info.value)
    return info.value


@pytest.fixture
def openids(wechat_app: AppState) -> list[str]:
    ids = [f"o_fan_{i}" for i in range(4)]
    for openid in ids:
        wechat_app.add_follower(openid)
    return ids


def test_create_list_update_delete(wechat_client: Client, wechat_app: AppState, openids: list[str]) -> None:
    vip = wechat_client.tag.create("VIP")
    assert vip == {"id": 100, "name": "VIP"}
    assert wechat_client.tag.create("广东")["id"] == 101
    wechat_client.tag.tag_users(vip["id"], openids[:2])
    counts = {t["name"]: t["count"] for t in wechat_client.tag.list()["tags"]}
    assert counts == {"星标组": 0, "VIP": 2, "广东": 0}
    wechat_client.tag.update(vip["id"], "VVIP")
    assert wechat_app.data["tag"]["tags"][vip["id"]]["name"] == "VVIP"
    wechat_client.tag.delete(vip["id"])
    assert vip["id"] not in wechat_app.data["tag"]["tags"]
    assert all(vip["id"] not in wechat_app.followers[o]["tagid_list"] for o in openids)


def test_tag_untag_keeps_followers_in_sync(wechat_client: Client, wechat_app: AppState, openids: list[str]) -> None:
    a, b = wechat_client.tag.create("a")["id"], wechat_client.tag.create("b")["id"]
    wechat_client.tag.tag_users(a, openids)
    wechat_client.tag.tag_users(b, openids[:1])
    wechat_client.tag.tag_users(a, openids[:1])  # already tagged: unchanged
    assert wechat_client.tag.tags_of(openids[0]) == [a, b]
    wechat_client.tag.untag_users(a, openids[:2])
    assert wechat_app.followers[openids[0]]["tagid_list"] == [b]
    assert wechat_app.followers[openids[1]]["tagid_list"] == []
    assert list(wechat_client.tag.iter_users_of(a)) == openids[2:]


def test_users_of_pages(
    wechat_client: Client, wechat_app: AppState, openids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tag_routes, "PAGE_SIZE", 3)
    tag_id = wechat_client.tag.create("all")["id"]
    wechat_client.tag.tag_users(tag_id, openids)
    first = wechat_client.tag.users_of(tag_id)
    assert (first["count"], first["next_openid"]) == (3, openids[2])
    assert wechat_client.tag.users_of(tag_id, next_openid=openids[2])["data"]["openid"] == openids[3:]
    assert list(wechat_client.tag.iter_users_of(tag_id)) == openids


@pytest.mark.parametrize(
    ("name", "code"),
    [("dup", 45157), ("", 45157), ("长" * 11, 45158)],
    ids=["duplicate", "empty", "over-30-bytes"],
)
def test_bad_names(wechat_client: Client, name: str, code: int) -> None:
    wechat_client.tag.create("dup")
    expect(wechat_client, APIError, code, lambda: wechat_client.tag.create(name))
    other = wechat_client.tag.create("other")["id"]
    expect(wechat_client, APIError, code, lambda: wechat_client.tag.update(other, name))


def test_at_most_100_tags(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.data["tag"] = {"tags": {i: {"id": i, "name": f"t{i}"} for i in range(100, 200)}, "next_id": 200}
    expect(wechat_client, APIError, 45056, lambda: wechat_client.tag.create("one more"))


@pytest.mark.parametrize("tag_id", [0, 1, 2])
@pytest.mark.parametrize("action", ["update", "delete"])
def test_reserved_tags_are_read_only(wechat_client: Client, tag_id: int, action: str) -> None:
    call = getattr(wechat_client.tag, action)
    expect(wechat_client, APIError, 45058, lambda: call(tag_id, "x") if action == "update" else call(tag_id))


@pytest.mark.parametrize(
    "call",
    [
        lambda c, o: c.tag.update(999, "x"),
        lambda c, o: c.tag.delete(999),
        lambda c, o: c.tag.tag_users(999, o),
        lambda c, o: c.tag.untag_users(999, o),
        lambda c, o: c.tag.users_of(999),
    ],
    ids=["update", "delete", "tag_users", "untag_users", "users_of"],
)
def test_unknown_tag_is_45159(wechat_client: Client, openids: list[str], call: Callable[..., Any]) -> None:
    expect(wechat_client, APIError, 45159, lambda: call(wechat_client, openids[:1]))


def test_unknown_openid(wechat_client: Client) -> None:
    tag_id = wechat_client.tag.create("x")["id"]
    expect(wechat_client, InvalidArgumentError, 40003, lambda: wechat_client.tag.tag_users(tag_id, ["o_nobody"]))
    expect(wechat_client, InvalidArgumentError, 40003, lambda: wechat_client.tag.tags_of("o_nobody"))


@pytest.mark.parametrize("size", [0, 51])
def test_openid_list_size(wechat_client: Client, openids: list[str], size: int) -> None:
    tag_id = wechat_client.tag.create("x")["id"]
    expect(wechat_client, InvalidArgumentError, 40032, lambda: wechat_client.tag.tag_users(tag_id, openids[:1] * size))


def test_at_most_20_tags_per_follower(wechat_client: Client, wechat_app: AppState, openids: list[str]) -> None:
    wechat_app.followers[openids[0]]["tagid_list"] = list(range(300, 320))
    tag_id = wechat_client.tag.create("21st")["id"]
    expect(wechat_client, APIError, 45059, lambda: wechat_client.tag.tag_users(tag_id, openids[:2]))
    assert tag_id not in wechat_app.followers[openids[1]]["tagid_list"]  # all or nothing
