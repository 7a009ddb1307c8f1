"""Approvals (审批, OA): template details, applying on a member's behalf, listing and reading approvals.

::

    template = client.approval.get_template_detail(template_id)      # template.control_ids
    sp_no = client.approval.apply_event(
        "alice", template_id,
        [{"control": "Text", "id": "Text-1", "value": {"text": "3 days off"}}],
        summary=["Leave: 3 days"],
    )
    for sp_no in client.approval.iter_sp_nos(start, end):             # at most 31 days apart
        print(client.approval.get_detail(sp_no).sp_status)

Use the secret of the 审批 app or of a self-built app listed under
"审批 → 可调用接口的应用". Status changes arrive as the
``open_approval_change`` / ``sys_approval_change`` callbacks.
"""
# Generated from wxkit/work/_async/approval.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ._base import WorkAPI
from .models import ApprovalDetail, ApprovalTemplate

__all__ = ["ApprovalAPI"]

#: The longest span ``getapprovalinfo`` accepts between ``starttime`` and ``endtime`` (31 days).
_MAX_SPAN = 31 * 24 * 3600


class ApprovalAPI(WorkAPI):
    """``client.approval``: the 审批 app's API."""

    def get_template_detail(self, template_id: str) -> ApprovalTemplate:
        """A template's names and controls: ``POST /cgi-bin/oa/gettemplatedetail``."""
        path = "/cgi-bin/oa/gettemplatedetail"
        answer = self._post(path, {"template_id": template_id})
        return self._model(ApprovalTemplate.from_dict, answer, path=path)

    def apply_event(
        self,
        creator_userid: str,
        template_id: str,
        contents: Iterable[Mapping[str, Any]],
        *,
        use_template_approver: bool = True,
        approvers: Sequence[Mapping[str, Any]] = (),
        notifyers: Iterable[str] = (),
        notify_type: int | None = None,
        summary: Iterable[str] = (),
    ) -> str:
        """Apply on ``creator_userid``'s behalf: ``POST /cgi-bin/oa/applyevent``; return the ``sp_no``.

        ``contents`` are the filled controls (``{"control", "id", "value"}``);
        without the template's approval flow (``use_template_approver=False``)
        ``approvers`` is the flow (``[{"attr": 1, "userid": [...]}]``).
        ``summary`` lines show in the approval list (Chinese text).
        """
        path = "/cgi-bin/oa/applyevent"
        filled = [dict(c) for c in contents]
        if not filled:
            raise self._refuse(40035, "contents is empty (checked before sending)", path=path)
        if not use_template_approver and not approvers:
            raise self._refuse(
                40035, "approvers are needed without the template's flow (checked before sending)", path=path
            )
        body: dict[str, Any] = {
            "creator_userid": creator_userid,
            "template_id": template_id,
            "use_template_approver": int(use_template_approver),
            "apply_data": {"contents": filled},
        }
        if approvers:
            body["approver"] = [dict(a) for a in approvers]
        people = list(notifyers)
        if people:
            body["notifyer"] = people
        if notify_type is not None:
            body["notify_type"] = notify_type
        lines = list(summary)
        if lines:
            body["summary_list"] = [{"summary_info": [{"text": line, "lang": "zh_CN"}]} for line in lines]
        answer = self._post(path, body)
        return self._field(answer, "sp_no", str, path=path)

    def list_sp_nos(
        self,
        starttime: int,
        endtime: int,
        *,
        cursor: str = "",
        size: int = 100,
        filters: Iterable[Mapping[str, Any]] = (),
    ) -> tuple[list[str], str]:
        """One page of approval numbers applied in ``[starttime, endtime]``: ``POST /cgi-bin/oa/getapprovalinfo``.

        Return ``(sp_nos, next_cursor)`` (``new_cursor`` / ``new_next_cursor``);
        ``filters`` are WeCom's (``{"key": "sp_status", "value": "1"}`` ...).
        """
        path = "/cgi-bin/oa/getapprovalinfo"
        if not 0 <= endtime - starttime <= _MAX_SPAN:
            raise self._refuse(
                40035, "endtime must follow starttime within 31 days (checked before sending)", path=path
            )
        if not 1 <= size <= 100:
            raise self._refuse(40035, "size must be 1..100 (checked before sending)", path=path)
        body: dict[str, Any] = {"starttime": starttime, "endtime": endtime, "new_cursor": cursor, "size": size}
        rules = [dict(f) for f in filters]
        if rules:
            body["filters"] = rules
        answer = self._post(path, body)
        numbers = self._models(str, answer.get("sp_no_list"), path=path)
        following = answer.get("new_next_cursor")
        return numbers, following if isinstance(following, str) else ""

    def iter_sp_nos(
        self, starttime: int, endtime: int, *, size: int = 100, filters: Iterable[Mapping[str, Any]] = ()
    ) -> Iterator[str]:
        """Every approval number applied in ``[starttime, endtime]``, page after page."""
        rules = [dict(f) for f in filters]
        cursor = ""
        while True:
            numbers, cursor = self.list_sp_nos(starttime, endtime, cursor=cursor, size=size, filters=rules)
            for number in numbers:
                yield number
            if not cursor:
                return

    def get_detail(self, sp_no: str) -> ApprovalDetail:
        """An approval's content and flow: ``POST /cgi-bin/oa/getapprovaldetail``."""
        path = "/cgi-bin/oa/getapprovaldetail"
        answer = self._post(path, {"sp_no": sp_no})
        return self._model(ApprovalDetail.from_dict, answer.get("info"), path=path)
