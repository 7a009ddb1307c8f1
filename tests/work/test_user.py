"""WorkClient.user over real HTTP against the emulator, sync and async: CRUD, lists, list_id paging, conversions."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import APIError, InvalidArgumentError, PermissionDeniedError
from wxkit.testing.work import CorpState
from wxkit.work import DeptUser, InviteResult, WorkUser


def test_create_get_update_delete(contacts_client: Any, corp: CorpState) -> None:
    contacts_client.user.create("carol", "Carol", department=[2], mobile="13800000003", position="QA")
    user = contacts_client.user.get("carol")
    assert isinstance(user, WorkUser)
    assert (user.userid, user.name, user.department, user.position) == ("carol", "Carol", (2,), "QA")
    assert user.raw["mobile"] == "13800000003"
    contacts_client.user.update("carol", name="Caroline", department=[1, 2])
    assert contacts_client.user.get("carol").department == (1, 2)
    contacts_client.user.delete("carol")
    assert "carol" not in corp.users
    with pytest.raises(InvalidArgumentError) as info:
        contacts_client.user.get("carol")
    assert info.value.errcode == 60111


def test_unknown_userid_is_60111_everywhere(contacts_client: Any) -> None:
    for call in (
        lambda: contacts_client.user.get("ghost"),
        lambda: contacts_client.user.update("ghost", name="G"),
        lambda: contacts_client.user.delete("ghost"),
        lambda: contacts_client.user.convert_to_openid("ghost"),
        lambda: contacts_client.user.batch_delete(["alice", "ghost"]),
    ):
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == 60111


def test_create_refusals(contacts_client: Any, work_client: Any) -> None:
    with pytest.raises(APIError) as taken:
        contacts_client.user.create("alice", "Again")
    assert taken.value.errcode == 60102
    with pytest.raises(APIError) as dept:
        contacts_client.user.create("dan", "Dan", department=[404])
    assert dept.value.errcode == 60003
    with pytest.raises(APIError) as bad:
        contacts_client.user.create("no spaces!", "X")
    assert bad.value.errcode == 40003
    # An app's secret may read members, not write them.
    with pytest.raises(PermissionDeniedError) as denied:
        work_client.user.create("erin", "Erin")
    assert denied.value.errcode == 60011


def test_batch_delete(contacts_client: Any, corp: CorpState) -> None:
    contacts_client.user.batch_delete(["alice", "bob"])
    assert corp.users == {}


def test_simple_and_detailed_lists(work_client: Any) -> None:
    simple = work_client.user.simple_list(1)
    assert [u.userid for u in simple] == ["alice", "bob"]
    assert all(isinstance(u, WorkUser) for u in simple)
    assert "mobile" not in simple[0].raw
    detailed = work_client.user.detailed_list(2)
    assert [u.userid for u in detailed] == ["bob"]
    assert work_client.user.detailed_list(1)[0].mobile == "13800000001"
    with pytest.raises(APIError) as info:
        work_client.user.simple_list(404)
    assert info.value.errcode == 60123


def test_list_id_pages_as_a_generator(work_client: Any, corp: CorpState) -> None:
    for n in range(5):
        corp.add_user(f"u{n}", department=(2,))
    entries, cursor = work_client.user.list_ids(limit=3)
    assert len(entries) == 3
    assert cursor
    every = list(work_client.user.iter_ids(limit=2))
    assert all(isinstance(e, DeptUser) for e in every)
    pairs = [(e.userid, e.department) for e in every]
    assert pairs[:3] == [("alice", 1), ("bob", 1), ("bob", 2)]
    assert len(pairs) == 8
    with pytest.raises(InvalidArgumentError):
        work_client.user.list_ids(limit=0)


def test_openid_conversions(work_client: Any) -> None:
    openid = work_client.user.convert_to_openid("alice")
    assert openid
    assert work_client.user.convert_to_userid(openid) == "alice"
    with pytest.raises(APIError) as info:
        work_client.user.convert_to_userid("o-unknown")
    assert info.value.errcode == 40003


def test_userid_by_mobile_and_email(work_client: Any) -> None:
    assert work_client.user.get_userid_by_mobile("13800000001") == "alice"
    assert work_client.user.get_userid_by_email("alice@example.com") == "alice"
    for call in (
        lambda: work_client.user.get_userid_by_mobile("13900000000"),
        lambda: work_client.user.get_userid_by_email("nobody@example.com"),
    ):
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == 46004


def test_invite_lists_the_refused(contacts_client: Any, corp: CorpState) -> None:
    result = contacts_client.user.invite(users=["alice", "ghost"], parties=[2, 404], tags=[9])
    assert isinstance(result, InviteResult)
    assert not result.ok
    assert result.invalid_users == ("ghost",)
    assert result.invalid_parties == ("404",)
    assert result.invalid_tags == ("9",)
    assert corp.sent[-1] == {"kind": "invite", "user": ["alice"]}
    assert contacts_client.user.invite(users=["bob"]).ok
    with pytest.raises(InvalidArgumentError):
        contacts_client.user.invite()
