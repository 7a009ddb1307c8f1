"""WorkClient.department over real HTTP against the emulator, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import APIError
from wxkit.testing.work import CorpState
from wxkit.work import Department


def test_crud_and_lists(contacts_client: Any, corp: CorpState) -> None:
    dept_id = contacts_client.department.create("Sales", 1, name_en="Sales", order=5)
    assert dept_id == 3
    sub = contacts_client.department.create("North", dept_id, id=30)
    assert sub == 30
    got = contacts_client.department.get(dept_id)
    assert isinstance(got, Department)
    assert (got.id, got.name, got.name_en, got.parentid, got.order) == (3, "Sales", "Sales", 1, 5)
    contacts_client.department.update(dept_id, name="Sales & Marketing")
    assert corp.departments[3]["name"] == "Sales & Marketing"
    assert [d.id for d in contacts_client.department.detailed_list()] == [1, 2, 3, 30]
    assert [d.id for d in contacts_client.department.detailed_list(dept_id)] == [3, 30]
    simple = contacts_client.department.simple_list(dept_id)
    assert [(d.id, d.parentid) for d in simple] == [(3, 1), (30, 3)]
    assert simple[0].name == ""
    contacts_client.department.delete(30)
    assert 30 not in corp.departments


def test_refusals(contacts_client: Any, work_client: Any) -> None:
    cases = [
        (lambda: contacts_client.department.get(404), 60123),
        (lambda: contacts_client.department.create("X", 404), 60004),
        (lambda: contacts_client.department.create("Dup", 1, id=2), 60008),
        (lambda: contacts_client.department.delete(2), 60005),  # bob is in it
        (lambda: contacts_client.department.delete(1), 60006),
        (lambda: work_client.department.create("Nope", 1), 60011),
    ]
    for call, errcode in cases:
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == errcode
