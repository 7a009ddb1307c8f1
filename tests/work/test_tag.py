"""WorkClient.tag over real HTTP against the emulator, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import APIError, InvalidArgumentError
from wxkit.testing.work import CorpState
from wxkit.work import Tag, TagMembers, TagMembersResult


def test_crud_members_and_list(contacts_client: Any, corp: CorpState) -> None:
    tagid = contacts_client.tag.create("ops")
    assert tagid == 1
    assert contacts_client.tag.create("dev", tagid=10) == 10
    contacts_client.tag.update(tagid, "operations")
    result = contacts_client.tag.add_users(tagid, userids=["alice", "ghost"], party_ids=[2, 404])
    assert isinstance(result, TagMembersResult)
    assert not result.ok
    assert result.invalid_users == ("ghost",)
    assert result.invalid_parties == (404,)
    members = contacts_client.tag.get(tagid)
    assert isinstance(members, TagMembers)
    assert (members.tagname, members.userids, members.party_ids) == ("operations", ("alice",), (2,))
    assert contacts_client.tag.remove_users(tagid, userids=["alice"]).ok
    assert contacts_client.tag.get(tagid).userids == ()
    tags = contacts_client.tag.list_all()
    assert all(isinstance(t, Tag) for t in tags)
    assert [(t.tagid, t.tagname) for t in tags] == [(1, "operations"), (10, "dev")]
    contacts_client.tag.delete(10)
    assert 10 not in corp.tags


def test_refusals(contacts_client: Any, work_client: Any) -> None:
    contacts_client.tag.create("ops")
    cases = [
        (lambda: contacts_client.tag.get(404), 40068),
        (lambda: contacts_client.tag.create("ops"), 40071),
        (lambda: contacts_client.tag.add_users(1, userids=["ghost"]), 40070),
        (lambda: work_client.tag.create("x"), 60011),
    ]
    for call, errcode in cases:
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == errcode
    with pytest.raises(InvalidArgumentError):
        contacts_client.tag.add_users(1)
