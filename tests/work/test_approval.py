"""WorkClient.approval (审批, OA) over real HTTP against the emulator, sync and async."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wxkit import APIError, InvalidArgumentError
from wxkit.errors import AccessTokenError
from wxkit.testing import Emulator
from wxkit.testing.work import CorpState
from wxkit.work import ApprovalDetail, ApprovalTemplate

TEMPLATE = "3TmmcVxSXNgmZJM8ZpbrZVuucxadbweg7pdtEmaQ"
LEAVE = [{"control": "Text", "id": "Text-1", "value": {"text": "3 days off"}}]


@pytest.fixture
def oa_client(work_client: Any, corp: CorpState) -> Any:
    """The app's client, with a leave template (a required text, an optional number)."""
    corp.add_approval_template(TEMPLATE, "请假", (("Text", "Text-1", True), ("Number", "Number-1", False)))
    return work_client


def test_template_apply_list_and_detail(oa_client: Any, wechat_emulator: Emulator) -> None:
    template = oa_client.approval.get_template_detail(TEMPLATE)
    assert isinstance(template, ApprovalTemplate)
    assert (template.name, template.control_ids) == ("请假", ("Text-1", "Number-1"))
    now = int(wechat_emulator.now())
    first = oa_client.approval.apply_event("alice", TEMPLATE, LEAVE, summary=["Leave: 3 days"], notifyers=["bob"])
    second = oa_client.approval.apply_event(
        "bob", TEMPLATE, LEAVE, use_template_approver=False, approvers=[{"attr": 1, "userid": ["alice"]}]
    )
    assert len(first) == 12
    assert first.isdigit()
    assert first != second
    numbers, cursor = oa_client.approval.list_sp_nos(now - 60, now + 60, size=1)
    assert (numbers, bool(cursor)) == ([first], True)
    assert list(oa_client.approval.iter_sp_nos(now - 60, now + 60, size=1)) == [first, second]
    filtered, _ = oa_client.approval.list_sp_nos(now - 60, now + 60, filters=[{"key": "creator", "value": "bob"}])
    assert filtered == [second]
    assert oa_client.approval.list_sp_nos(now + 3600, now + 7200) == ([], "")
    detail = oa_client.approval.get_detail(second)
    assert isinstance(detail, ApprovalDetail)
    assert (detail.sp_no, detail.sp_name, detail.sp_status, detail.template_id) == (second, "请假", 1, TEMPLATE)
    assert detail.applyer_userid == "bob"
    assert detail.contents[0]["value"] == {"text": "3 days off"}
    assert detail.records[0]["details"][0]["approver"]["userid"] == "alice"
    assert oa_client.approval.get_detail(first).notifyers == ("bob",)


def test_refusals(oa_client: Any, make_work_client: Any, wechat_emulator: Emulator) -> None:
    now = int(wechat_emulator.now())
    cases: list[tuple[Callable[[], Any], int]] = [
        (lambda: oa_client.approval.get_template_detail("no-such-template"), 40035),
        (lambda: oa_client.approval.apply_event("ghost", TEMPLATE, LEAVE), 60111),
        (lambda: oa_client.approval.apply_event("alice", "no-such-template", LEAVE), 40035),
        (lambda: oa_client.approval.apply_event("alice", TEMPLATE, [{"control": "Text", "id": "Text-9"}]), 40035),
        (lambda: oa_client.approval.apply_event("alice", TEMPLATE, [{"control": "Number", "id": "Number-1"}]), 40035),
        (lambda: oa_client.approval.get_detail("000000000000"), 40035),
        (lambda: oa_client.approval.list_sp_nos(now - 60, now, cursor="bogus"), 40035),
    ]
    for call, errcode in cases:
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == errcode, call
    checked: list[Callable[[], Any]] = [
        lambda: oa_client.approval.apply_event("alice", TEMPLATE, []),
        lambda: oa_client.approval.apply_event("alice", TEMPLATE, LEAVE, use_template_approver=False),
        lambda: oa_client.approval.list_sp_nos(now, now - 1),
        lambda: oa_client.approval.list_sp_nos(now - 32 * 86400, now),
        lambda: oa_client.approval.list_sp_nos(now - 60, now, size=101),
    ]
    for check in checked:
        with pytest.raises(InvalidArgumentError):
            check()
    with pytest.raises(AccessTokenError):
        make_work_client("wrong-secret").approval.get_detail("202401010001")
