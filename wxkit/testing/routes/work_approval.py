"""Approvals (审批, OA) on the WeCom site: ``oa/gettemplatedetail``, ``applyevent`` and the approval lists.

State is the corp's ``approval_templates`` (seeded by
``corp.add_approval_template``) and ``approvals``. ``applyevent`` checks the
creator (60111), the template, that every content names one of its controls
and that the required controls are filled; the approval is pending
(``sp_status`` 1) with the emulator's time as ``apply_time`` and an
``sp_no`` of the form ``YYYYMMDDnnnn``. ``getapprovalinfo`` lists the
numbers applied in ``[starttime, endtime]`` (at most 31 days apart, ``size``
1..100, ``sp_status`` / ``template_id`` / ``creator`` filters), paged by an
opaque cursor. An unknown template, sp_no or cursor is 40035 in the emulator.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["router"]

router = Router(site="qyapi")

_SPAN = 31 * 24 * 3600


def _template(corp: CorpState, template_id: Any) -> dict[str, Any]:
    if not isinstance(template_id, str) or template_id not in corp.approval_templates:
        raise WeChatAPIError(40035, "invalid template_id")
    return corp.approval_templates[template_id]


@router.route("POST", "/cgi-bin/oa/gettemplatedetail")
def get_template_detail(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A template's names and controls."""
    body = json_object(req)
    with emu.lock:
        return ok(**_template(calling_corp(req), body.get("template_id")))


@router.route("POST", "/cgi-bin/oa/applyevent")
def apply_event(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Apply on a member's behalf."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        creator = body.get("creator_userid")
        if not isinstance(creator, str) or creator not in corp.users:
            raise WeChatAPIError(60111, "userid not found")
        template_id = body.get("template_id")
        template = _template(corp, template_id)
        controls = {c["property"]["id"]: c["property"] for c in template["template_content"]["controls"]}
        contents = (body.get("apply_data") or {}).get("contents")
        if not isinstance(contents, list) or not all(isinstance(c, dict) for c in contents):
            raise WeChatAPIError(40035, "invalid apply_data")
        filled = {c.get("id") for c in contents}
        if any(cid not in controls for cid in filled):
            raise WeChatAPIError(40035, "a content names no control of the template")
        missing = [cid for cid, prop in controls.items() if prop.get("require") and cid not in filled]
        if missing:
            raise WeChatAPIError(40035, f"required control {missing[0]} is empty")
        approvers = body.get("approver") or []
        if not body.get("use_template_approver") and not approvers:
            raise WeChatAPIError(40035, "approver is empty")
        now = int(emu.now())
        day = time.strftime("%Y%m%d", time.gmtime(now + 8 * 3600))  # WeCom numbers approvals by Beijing date
        sp_no = f"{day}{sum(1 for n in corp.approvals if n.startswith(day)) + 1:04d}"
        corp.approvals[sp_no] = {
            "sp_no": sp_no,
            "sp_name": template["template_names"][0]["text"],
            "sp_status": 1,
            "template_id": template_id,
            "apply_time": now,
            "applyer": {"userid": creator, "partyid": str(corp.users[creator]["department"][0])},
            "sp_record": [
                {"sp_status": 1, "approverattr": a.get("attr", 1), "details": [{"approver": {"userid": u}}]}
                for a in approvers
                for u in a.get("userid", [])
            ],
            "notifyer": [{"userid": u} for u in body.get("notifyer") or []],
            "apply_data": {"contents": contents},
            "comments": [],
        }
    return ok(sp_no=sp_no)


def _matches(info: dict[str, Any], rules: list[Any]) -> bool:
    for rule in rules:
        key, value = (rule.get("key"), str(rule.get("value"))) if isinstance(rule, dict) else (None, "")
        if key == "sp_status" and str(info["sp_status"]) != value:
            return False
        if key == "template_id" and info["template_id"] != value:
            return False
        if key == "creator" and info["applyer"]["userid"] != value:
            return False
    return True


@router.route("POST", "/cgi-bin/oa/getapprovalinfo")
def get_approval_info(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Approval numbers applied in a time window."""
    body = json_object(req)
    start, end, size = body.get("starttime"), body.get("endtime"), body.get("size", 100)
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(size, int)) or any(
        isinstance(v, bool) for v in (start, end, size)
    ):
        raise WeChatAPIError(40035, "invalid starttime, endtime or size")
    if not 0 <= end - start <= _SPAN or not 1 <= size <= 100:
        raise WeChatAPIError(40035, "invalid time span or size")
    cursor = body.get("new_cursor") or ""
    with emu.lock:
        corp = calling_corp(req)
        numbers = [
            n
            for n, info in corp.approvals.items()
            if start <= info["apply_time"] <= end and _matches(info, body.get("filters") or [])
        ]
        offset = 0
        if cursor:
            if not isinstance(cursor, str) or not cursor.startswith("sp:") or not cursor[3:].isdigit():
                raise WeChatAPIError(40035, "invalid cursor")
            offset = int(cursor[3:])
            if offset > len(numbers):
                raise WeChatAPIError(40035, "invalid cursor")
        page = numbers[offset : offset + size]
        following = f"sp:{offset + size}" if offset + size < len(numbers) else ""
        return ok(sp_no_list=page, new_next_cursor=following)


@router.route("POST", "/cgi-bin/oa/getapprovaldetail")
def get_approval_detail(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An approval's content and flow."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        sp_no = body.get("sp_no")
        if not isinstance(sp_no, str) or sp_no not in corp.approvals:
            raise WeChatAPIError(40035, "invalid sp_no")
        return ok(info=corp.approvals[sp_no])
