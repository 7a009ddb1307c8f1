"""client.user against the emulator: profiles, follower paging, remarks, the blacklist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wxkit import Client
from wxkit.errors import APIError, InvalidArgumentError, RateLimitError
from wxkit.testing import AppState
from wxkit.testing.routes import user as user_routes


def expect(client: Client, cls: type[APIError], code: int, call: Callable[[], Any]) -> APIError:
    with pytest.raises(cls) as info:
        call()
    assert info.value.errcode == code
    assert client.access_token not in str(info.value)
    return info.value


@pytest.fixture
def openids(wechat_app: AppState) -> list[str]:
    ids = [f"o_user_{i}" for i in range(5)]
    for openid in ids:
        wechat_app.add_follower(openid, nickname=openid.upper())
    return ids


def test_get_returns_the_profile(wechat_client: Client, openids: list[str]) -> None:
    profile = wechat_client.user.get(openids[0], lang="en")
    assert profile["openid"] == openids[0]
    assert profile["subscribe"] == 1


def test_profiles_withhold_nickname_avatar_sex_and_region_like_wechat(
    wechat_client: Client, wechat_app: AppState
) -> None:
    """user/info answers these empty since 2021 (nickname/avatar 2021-12-27, sex/region 2021-10-20)."""
    wechat_app.add_follower("o_ann", nickname="Ann", headimgurl="https://x/0", sex=2, city="Shenzhen", country="CN")
    withheld = {"nickname": "", "headimgurl": "", "sex": 0, "country": "", "province": "", "city": ""}
    profile = wechat_client.user.get("o_ann")
    assert {key: profile[key] for key in withheld} == withheld
    assert (profile["subscribe"], profile["openid"], profile["language"]) == (1, "o_ann", "zh_CN")
    listed = wechat_client.user.batch_get(["o_ann"])["user_info_list"][0]
    assert {key: listed[key] for key in withheld} == withheld
    assert wechat_app.followers["o_ann"]["nickname"] == "Ann"  # the emulator's state keeps the real profile


def test_get_of_a_user_who_left_has_only_subscribe_and_openid(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.add_follower("o_gone", subscribe=0, nickname="secret")
    assert wechat_client.user.get("o_gone") == {"subscribe": 0, "openid": "o_gone", "unionid": ""}


def test_batch_get_accepts_openids_and_dicts(wechat_client: Client, openids: list[str]) -> None:
    answer = wechat_client.user.batch_get([openids[0], {"openid": openids[1], "lang": "en"}])
    assert [u["openid"] for u in answer["user_info_list"]] == openids[:2]


@pytest.mark.parametrize("size", [0, 101])
def test_batch_get_size_limits(wechat_client: Client, openids: list[str], size: int) -> None:
    expect(wechat_client, InvalidArgumentError, 40032, lambda: wechat_client.user.batch_get([openids[0]] * size))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.user.get("o_nobody"),
        lambda c: c.user.batch_get(["o_nobody"]),
        lambda c: c.user.update_remark("o_nobody", "x"),
        lambda c: c.user.block(["o_nobody"]),
        lambda c: c.user.followers(next_openid="o_nobody"),
    ],
    ids=["get", "batch_get", "update_remark", "block", "followers"],
)
def test_unknown_openid_is_40003(wechat_client: Client, call: Callable[[Client], Any]) -> None:
    expect(wechat_client, InvalidArgumentError, 40003, lambda: call(wechat_client))


def test_followers_one_page(wechat_client: Client, openids: list[str]) -> None:
    page = wechat_client.user.followers()
    assert page == {"total": 5, "count": 5, "data": {"openid": openids}, "next_openid": ""}


def test_followers_lists_and_counts_only_subscribed_users(
    wechat_client: Client, openids: list[str], wechat_app: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    wechat_app.followers[openids[1]]["subscribe"] = 0  # unfollowed
    wechat_app.add_follower("o_gone", subscribe=0)
    staying = [openids[0], *openids[2:]]
    assert wechat_client.user.followers() == {"total": 4, "count": 4, "data": {"openid": staying}, "next_openid": ""}
    monkeypatch.setattr(user_routes, "PAGE_SIZE", 2)
    first = wechat_client.user.followers()
    assert (first["total"], first["data"]["openid"], first["next_openid"]) == (4, staying[:2], staying[1])
    assert list(wechat_client.user.iter_followers()) == staying
    # A cursor naming someone who unfollowed after their page was served still continues after them.
    wechat_app.followers[staying[1]]["subscribe"] = 0
    second = wechat_client.user.followers(next_openid=staying[1])
    assert (second["total"], second["data"]["openid"]) == (3, staying[2:])


def test_followers_pages_follow_next_openid(
    wechat_client: Client, openids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(user_routes, "PAGE_SIZE", 2)
    first = wechat_client.user.followers()
    assert (first["count"], first["next_openid"]) == (2, openids[1])
    second = wechat_client.user.followers(next_openid=first["next_openid"])
    assert second["data"]["openid"] == openids[2:4]
    assert list(wechat_client.user.iter_followers()) == openids


def test_iter_followers_with_no_followers(wechat_client: Client) -> None:
    assert list(wechat_client.user.iter_followers()) == []


def test_update_remark(wechat_client: Client, wechat_app: AppState, openids: list[str]) -> None:
    assert wechat_client.user.update_remark(openids[0], "老客户")["errcode"] == 0
    assert wechat_app.followers[openids[0]]["remark"] == "老客户"


def test_update_remark_too_long(wechat_client: Client, openids: list[str]) -> None:
    expect(wechat_client, APIError, 40092, lambda: wechat_client.user.update_remark(openids[0], "长" * 10))


def test_block_unblock_and_blacklist_paging(
    wechat_client: Client, wechat_app: AppState, openids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(user_routes, "BLACKLIST_PAGE_SIZE", 2)
    wechat_client.user.block(openids[:3])
    wechat_client.user.block([openids[0]])  # blocking twice keeps one entry
    assert wechat_app.data["user"]["blacklist"] == openids[:3]
    first = wechat_client.user.get_blacklist()
    assert (first["total"], first["data"]["openid"], first["next_openid"]) == (3, openids[:2], openids[1])
    assert wechat_client.user.get_blacklist(begin_openid=openids[1])["data"]["openid"] == [openids[2]]
    assert list(wechat_client.user.iter_blacklist()) == openids[:3]
    wechat_client.user.unblock([openids[1]])
    assert list(wechat_client.user.iter_blacklist()) == [openids[0], openids[2]]


@pytest.mark.parametrize("size", [0, 21])
@pytest.mark.parametrize("method", ["block", "unblock"])
def test_block_size_limits(wechat_client: Client, openids: list[str], method: str, size: int) -> None:
    expect(wechat_client, InvalidArgumentError, 40032, lambda: getattr(wechat_client.user, method)([openids[0]] * size))


def test_daily_quota(wechat_client: Client, wechat_app: AppState, openids: list[str]) -> None:
    wechat_app.quota_limits["/cgi-bin/user/info"] = 1
    wechat_client.user.get(openids[0])
    expect(wechat_client, RateLimitError, 45009, lambda: wechat_client.user.get(openids[0]))
    assert wechat_app.quota["/cgi-bin/user/info"] == 1
