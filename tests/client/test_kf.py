"""client.kf against the emulator: customer-service accounts, invitations, avatars and sessions."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wxkit import Client
from wxkit.errors import APIError, InvalidArgumentError
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes.kf import add_wait_case, bind_worker

ALICE, BOB = "alice@gh_shop", "bob@gh_shop"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 16


def expect(client: Client, cls: type[APIError], code: int, call: Callable[[], Any]) -> APIError:
    with pytest.raises(cls) as info:
        call()
    assert info.value.errcode == code
    assert client.access_token not in str(info.value)
    return info.value


@pytest.fixture
def accounts(wechat_client: Client, wechat_app: AppState) -> dict[str, Any]:
    wechat_app.add_follower("o_user_1")
    wechat_app.add_follower("o_user_2")
    wechat_client.kf.add(ALICE, "Alice")
    wechat_client.kf.add(BOB, "Bob")
    accounts: dict[str, Any] = wechat_app.data["kf"]["accounts"]
    return accounts


def test_add_update_delete(wechat_client: Client, accounts: dict[str, Any]) -> None:
    listed = wechat_client.kf.list()["kf_list"]
    assert [(a["kf_account"], a["kf_nick"]) for a in listed] == [(ALICE, "Alice"), (BOB, "Bob")]
    wechat_client.kf.update(ALICE, "Alice Z")
    assert accounts[ALICE]["kf_nick"] == "Alice Z"
    wechat_client.kf.delete(BOB)
    assert list(accounts) == [ALICE]


def test_delete_by_query_string_still_served(wechat_client: Client, accounts: dict[str, Any]) -> None:
    wechat_client.get("/customservice/kfaccount/del", {"kf_account": BOB})  # the older documented form
    assert BOB not in accounts


@pytest.mark.parametrize(
    ("account", "nickname", "code"),
    [
        ("no_at_sign", "N", 65404),
        ("elevenchars@gh_shop", "N", 65404),
        ("carol@gh_shop", "", 65403),
        ("carol@gh_shop", "n" * 17, 65403),
        (ALICE, "Again", 65406),
    ],
)
def test_add_errors(wechat_client: Client, accounts: dict[str, Any], account: str, nickname: str, code: int) -> None:
    expect(wechat_client, APIError, code, lambda: wechat_client.kf.add(account, nickname))


def test_at_most_100_accounts(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.data["kf"] = {"accounts": {f"k{i}@gh": {} for i in range(100)}, "sessions": {}, "waiting": {}}
    expect(wechat_client, APIError, 65405, lambda: wechat_client.kf.add("one@gh", "One"))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.kf.update("nobody@gh_shop", "N"),
        lambda c: c.kf.delete("nobody@gh_shop"),
        lambda c: c.kf.invite_worker("nobody@gh_shop", "valid_wx"),
        lambda c: c.kf.upload_avatar("nobody@gh_shop", JPEG),
        lambda c: c.kf.create_session("nobody@gh_shop", "o_user_1"),
        lambda c: c.kf.close_session("nobody@gh_shop", "o_user_1"),
        lambda c: c.kf.list_sessions("nobody@gh_shop"),
    ],
    ids=["update", "delete", "invite", "avatar", "create_session", "close_session", "list_sessions"],
)
def test_unknown_account_is_65401(wechat_client: Client, accounts: dict[str, Any], call: Callable[..., Any]) -> None:
    expect(wechat_client, APIError, 65401, lambda: call(wechat_client))


def test_invitation_flow(
    wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState, accounts: dict[str, Any]
) -> None:
    wechat_client.kf.invite_worker(ALICE, "alice_wx")
    assert accounts[ALICE]["invite_status"] == "waiting"
    expect(wechat_client, APIError, 65408, lambda: wechat_client.kf.invite_worker(ALICE, "alice_wx"))
    expect(wechat_client, APIError, 65411, lambda: wechat_client.kf.invite_worker(ALICE, "other_wx"))
    wechat_emulator.advance(7 * 86400)
    wechat_client.kf.invite_worker(ALICE, "other_wx")  # the first invitation expired
    bind_worker(wechat_app, ALICE, "alice_wx")
    assert wechat_client.kf.list()["kf_list"][0]["kf_wx"] == "alice_wx"
    expect(wechat_client, APIError, 65412, lambda: wechat_client.kf.invite_worker(ALICE, "third_wx"))
    expect(wechat_client, APIError, 65407, lambda: wechat_client.kf.invite_worker(BOB, "alice_wx"))
    expect(wechat_client, APIError, 65409, lambda: wechat_client.kf.invite_worker(BOB, "1bad"))


def test_upload_avatar_from_bytes_path_and_file(
    wechat_client: Client, accounts: dict[str, Any], tmp_path: Path
) -> None:
    wechat_client.kf.upload_avatar(ALICE, JPEG)
    url = accounts[ALICE]["kf_headimgurl"]
    assert url.startswith("http://mmbiz.qpic.cn/")
    (tmp_path / "a.jpg").write_bytes(JPEG)
    wechat_client.kf.upload_avatar(ALICE, tmp_path / "a.jpg")
    wechat_client.kf.upload_avatar(ALICE, io.BytesIO(JPEG))
    assert accounts[ALICE]["kf_headimgurl"] == url
    expect(wechat_client, InvalidArgumentError, 40005, lambda: wechat_client.kf.upload_avatar(ALICE, b"GIF89a"))


def test_sessions(wechat_client: Client, wechat_app: AppState, accounts: dict[str, Any]) -> None:
    bind_worker(wechat_app, ALICE, "alice_wx")
    bind_worker(wechat_app, BOB, "bob_wx")
    add_wait_case(wechat_app, "o_user_2", 1_700_000_100)
    add_wait_case(wechat_app, "o_user_1", 1_700_000_000)
    waiting = wechat_client.kf.waiting_sessions()
    assert waiting["count"] == 2
    assert [w["openid"] for w in waiting["waitcaselist"]] == ["o_user_1", "o_user_2"]

    assert wechat_client.kf.get_session("o_user_1") == {"createtime": 0, "kf_account": ""}
    wechat_client.kf.create_session(ALICE, "o_user_1")
    wechat_client.kf.create_session(ALICE, "o_user_1")  # already in session with Alice: ok
    assert wechat_client.kf.get_session("o_user_1")["kf_account"] == ALICE
    assert [s["openid"] for s in wechat_client.kf.list_sessions(ALICE)["sessionlist"]] == ["o_user_1"]
    assert wechat_client.kf.waiting_sessions()["count"] == 1
    online = {o["kf_account"]: o["accepted_case"] for o in wechat_client.kf.online_list()["kf_online_list"]}
    assert online == {ALICE: 1, BOB: 0}

    expect(wechat_client, APIError, 65414, lambda: wechat_client.kf.create_session(BOB, "o_user_1"))
    expect(wechat_client, APIError, 65413, lambda: wechat_client.kf.close_session(BOB, "o_user_1"))
    wechat_client.kf.close_session(ALICE, "o_user_1")
    assert wechat_app.data["kf"]["sessions"] == {}


def test_session_needs_a_bound_online_account_and_a_follower(
    wechat_client: Client, wechat_app: AppState, accounts: dict[str, Any]
) -> None:
    expect(wechat_client, APIError, 65402, lambda: wechat_client.kf.create_session(ALICE, "o_user_1"))
    bind_worker(wechat_app, ALICE, "alice_wx", online=False)
    expect(wechat_client, APIError, 65415, lambda: wechat_client.kf.create_session(ALICE, "o_user_1"))
    assert wechat_client.kf.online_list() == {"kf_online_list": []}
    for call in (
        lambda: wechat_client.kf.create_session(ALICE, "o_nobody"),
        lambda: wechat_client.kf.get_session("o_nobody"),
    ):
        expect(wechat_client, InvalidArgumentError, 40003, call)
