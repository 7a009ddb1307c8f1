"""WorkClient.external_contact (客户联系) over real HTTP against the emulator, sync and async."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wxkit import APIError, InvalidArgumentError
from wxkit.errors import AccessTokenError
from wxkit.testing.work import CorpState
from wxkit.work import (
    ContactWay,
    CorpTagGroup,
    ExternalContactDetail,
    GroupChat,
    GroupMsgSend,
    MsgTemplateResult,
)


@pytest.fixture
def ext_client(make_work_client: Any, corp: CorpState) -> Any:
    """The 客户联系 secret's client, with customers wm_1 .. wm_3 (alice follows all, bob follows wm_1)."""
    corp.add_external_contact("wm_1", "Wang", followers=("alice", "bob"))
    corp.add_external_contact("wm_2", "Li")
    corp.add_external_contact("wm_3", "Zhao")
    return make_work_client(corp.add_secret("external_contact", f"ext-secret-{corp.corpid}"))


def test_customers(ext_client: Any, corp: CorpState) -> None:
    assert ext_client.external_contact.get_follow_user_list() == ["alice", "bob"]
    assert ext_client.external_contact.list_contacts("bob") == ["wm_1"]
    detail = ext_client.external_contact.get("wm_1")
    assert isinstance(detail, ExternalContactDetail)
    assert (detail.contact.external_userid, detail.contact.name, detail.contact.type) == ("wm_1", "Wang", 1)
    assert [f.userid for f in detail.follow_users] == ["alice", "bob"]
    ext_client.external_contact.remark("alice", "wm_1", remark="VIP", remark_mobiles=["13800000000"])
    follow = ext_client.external_contact.get("wm_1").follow_users[0]
    assert (follow.remark, follow.remark_mobiles) == ("VIP", ("13800000000",))


def test_get_joins_follow_user_pages(ext_client: Any, corp: CorpState) -> None:
    for i in range(150):
        corp.add_user(f"m{i}", f"Member {i}")
    corp.add_external_contact("wm_popular", "Popular", followers=tuple(f"m{i}" for i in range(150)))
    detail = ext_client.external_contact.get("wm_popular")
    assert [f.userid for f in detail.follow_users] == [f"m{i}" for i in range(150)]


def test_batch_get_by_user_pages(ext_client: Any) -> None:
    details, cursor = ext_client.external_contact.batch_get_by_user(["alice", "bob"], limit=2)
    assert len(details) == 2
    assert cursor
    every = list(ext_client.external_contact.iter_by_user(["alice", "bob"], limit=2))
    assert all(isinstance(d, ExternalContactDetail) for d in every)
    pairs = [(d.follow_users[0].userid, d.contact.external_userid) for d in every]
    assert pairs == [("alice", "wm_1"), ("alice", "wm_2"), ("alice", "wm_3"), ("bob", "wm_1")]


def test_contact_ways(ext_client: Any) -> None:
    ec = ext_client.external_contact
    way = ec.add_contact_way(1, 2, users=["alice"], state="shop", remark="front desk")
    assert isinstance(way, ContactWay)
    assert way.config_id
    assert way.qr_code.startswith("https://")
    got = ec.get_contact_way(way.config_id)
    assert (got.type, got.scene, got.users, got.state, got.remark) == (1, 2, ("alice",), "shop", "front desk")
    ec.update_contact_way(way.config_id, remark="lobby", users=["bob"])
    assert ec.get_contact_way(way.config_id).remark == "lobby"
    assert ec.get_contact_way(way.config_id).users == ("bob",)
    second = ec.add_contact_way(2, 1, users=["alice", "bob"])
    ids, cursor = ec.list_contact_ways(limit=1)
    assert ids == [way.config_id]
    assert ec.list_contact_ways(cursor=cursor) == ([second.config_id], "")
    ec.delete_contact_way(way.config_id)
    assert ec.list_contact_ways() == ([second.config_id], "")


def test_group_chats(ext_client: Any, corp: CorpState) -> None:
    corp.add_group_chat("wr_1", "alice", ("wm_1", "bob"), name="VIP customers")
    corp.add_group_chat("wr_2", "bob", ("wm_2",))
    ec = ext_client.external_contact
    assert list(ec.iter_group_chats(limit=1)) == ["wr_1", "wr_2"]
    assert ec.list_group_chats(owners=["bob"]) == (["wr_2"], "")
    chat = ec.get_group_chat("wr_1", need_name=True)
    assert isinstance(chat, GroupChat)
    assert (chat.name, chat.owner, chat.member_ids) == ("VIP customers", "alice", ("alice", "wm_1", "bob"))
    assert [m["name"] for m in chat.members] == ["Alice", "Wang", "Bob"]


def test_corp_tags(ext_client: Any) -> None:
    ec = ext_client.external_contact
    group = ec.add_corp_tag(["gold", {"name": "silver", "order": 2}], group_name="level")
    assert isinstance(group, CorpTagGroup)
    gold, silver = group.tags
    assert (group.group_name, gold.name, silver.name, silver.order) == ("level", "gold", "silver", 2)
    more = ec.add_corp_tag(["bronze"], group_id=group.group_id)
    ec.edit_corp_tag(gold.id, name="platinum")
    ec.mark_tag("alice", "wm_1", add=[gold.id, silver.id])
    ec.mark_tag("alice", "wm_1", remove=[silver.id])
    follow = ec.get("wm_1").follow_users[0]
    assert follow.tag_ids == (gold.id,)
    assert follow.raw["tags"][0]["tag_name"] == "platinum"
    [listed] = ec.get_corp_tags()
    assert [t.name for t in listed.tags] == ["platinum", "silver", "bronze"]
    assert [t.name for t in ec.get_corp_tags(tag_ids=[silver.id])[0].tags] == ["silver"]
    ec.delete_corp_tag(tag_ids=[more.tags[0].id])
    assert [t.name for t in ec.get_corp_tags()[0].tags] == ["platinum", "silver"]
    ec.delete_corp_tag(group_ids=[group.group_id])
    assert ec.get_corp_tags() == []


def test_welcome_and_mass_messages(ext_client: Any, corp: CorpState) -> None:
    ec = ext_client.external_contact
    code = corp.external_welcome_code("alice", "wm_2")
    ec.send_welcome_msg(code, text="Welcome!")
    assert corp.sent[-1]["kind"] == "welcome"
    assert corp.sent[-1]["body"]["text"] == {"content": "Welcome!"}
    with pytest.raises(APIError):  # once only
        ec.send_welcome_msg(code, text="again")
    result = ec.add_msg_template(external_userids=["wm_1", "wm_2", "wm_ghost"], sender="alice", text="Sale!")
    assert isinstance(result, MsgTemplateResult)
    assert not result.ok
    assert result.fail_list == ("wm_ghost",)
    tasks, cursor = ec.get_groupmsg_task(result.msgid)
    assert all(isinstance(t, GroupMsgSend) for t in tasks)
    assert ([(t.userid, t.status) for t in tasks], cursor) == ([("alice", 0)], "")
    sends, _ = ec.get_groupmsg_send_result(result.msgid, "alice")
    assert [s.external_userid for s in sends] == ["wm_1", "wm_2"]


def test_refusals(ext_client: Any, make_work_client: Any, corp: CorpState) -> None:
    ec = ext_client.external_contact
    cases: list[tuple[Callable[[], Any], int]] = [
        (lambda: ec.get("wm_ghost"), 40096),
        (lambda: ec.list_contacts("ghost"), 60111),
        (lambda: ec.remark("bob", "wm_2", remark="x"), 84061),
        (lambda: ec.remark("alice", "wm_ghost", remark="x"), 40096),
        (lambda: ec.batch_get_by_user(["alice"], cursor="bogus"), 40035),
        (lambda: ec.batch_get_by_user(["ghost"]), 60111),
        (lambda: ec.get_contact_way("no-such-config"), 40035),
        (lambda: ec.delete_contact_way("no-such-config"), 40035),
        (lambda: ec.add_contact_way(1, 2, users=["alice", "bob"]), 40035),
        (lambda: ec.add_contact_way(1, 2, users=["ghost"]), 60111),
        (lambda: ec.get_group_chat("wr_ghost"), 40050),
        (lambda: ec.list_group_chats(cursor="bogus"), 40035),
        (lambda: ec.edit_corp_tag("et_ghost", name="x"), 40068),
        (lambda: ec.mark_tag("alice", "wm_1", add=["et_ghost"]), 40068),
        (lambda: ec.delete_corp_tag(tag_ids=["et_ghost"]), 40068),
        (lambda: ec.send_welcome_msg("bogus", text="hi"), 40035),
        (lambda: ec.get_groupmsg_task("msg_ghost"), 40035),
        (lambda: ec.add_msg_template(external_userids=["wm_1"], sender="ghost", text="x"), 60111),
    ]
    for call, errcode in cases:
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == errcode, call
    checked: list[Callable[[], Any]] = [
        lambda: ec.batch_get_by_user([]),
        lambda: ec.batch_get_by_user(["alice"], limit=101),
        lambda: ec.add_contact_way(1, 2),
        lambda: ec.add_corp_tag([], group_name="x"),
        lambda: ec.delete_corp_tag(),
        lambda: ec.mark_tag("alice", "wm_1"),
        lambda: ec.send_welcome_msg("code"),
        lambda: ec.add_msg_template(external_userids=["wm_1"]),
        lambda: ec.list_group_chats(limit=0),
    ]
    for check in checked:
        with pytest.raises(InvalidArgumentError):
            check()
    with pytest.raises(AccessTokenError):
        make_work_client("wrong-secret").external_contact.get_follow_user_list()
