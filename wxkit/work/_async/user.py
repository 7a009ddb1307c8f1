"""Members (成员管理): create, read, update, delete, list, id conversions, invitations.

Contacts writes need the contacts (通讯录) secret's client; reads work with an
app's secret for the members the app can see. An unknown userid is WeCom's
60111 ("userid not found"), raised as :class:`~wxkit.errors.APIError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from ..models import DeptUser, InviteResult, WorkUser
from ._base import AsyncWorkAPI

__all__ = ["AsyncUserAPI"]


class AsyncUserAPI(AsyncWorkAPI):
    """``client.user``: the corp's members."""

    async def create(self, userid: str, name: str, *, department: Iterable[int] = (), **fields: Any) -> None:
        """Add a member: ``POST /cgi-bin/user/create`` (``fields``: ``mobile``, ``email``, ``position`` ...)."""
        body: dict[str, Any] = {**fields, "userid": userid, "name": name}
        departments = list(department)
        if departments:
            body["department"] = departments
        await self._post("/cgi-bin/user/create", body)

    async def get(self, userid: str) -> WorkUser:
        """A member: ``GET /cgi-bin/user/get`` (60111 for an unknown userid)."""
        path = "/cgi-bin/user/get"
        answer = await self._get(path, {"userid": userid})
        return self._model(WorkUser.from_dict, answer, path=path, method="GET")

    async def update(self, userid: str, **fields: Any) -> None:
        """Change a member's ``fields`` (``name``, ``department``, ``mobile`` ...): ``POST /cgi-bin/user/update``."""
        await self._post("/cgi-bin/user/update", {**fields, "userid": userid})

    async def delete(self, userid: str) -> None:
        """Remove a member: ``GET /cgi-bin/user/delete``."""
        await self._get("/cgi-bin/user/delete", {"userid": userid})

    async def batch_delete(self, userids: Iterable[str]) -> None:
        """Remove up to 200 members at once: ``POST /cgi-bin/user/batchdelete``."""
        await self._post("/cgi-bin/user/batchdelete", {"useridlist": list(userids)})

    async def simple_list(self, department_id: int) -> list[WorkUser]:
        """The members of a department, userid and name only: ``GET /cgi-bin/user/simplelist``."""
        path = "/cgi-bin/user/simplelist"
        answer = await self._get(path, {"department_id": department_id})
        return self._models(WorkUser.from_dict, answer.get("userlist"), path=path, method="GET")

    async def detailed_list(self, department_id: int) -> list[WorkUser]:
        """The members of a department with their details: ``GET /cgi-bin/user/list``."""
        path = "/cgi-bin/user/list"
        answer = await self._get(path, {"department_id": department_id})
        return self._models(WorkUser.from_dict, answer.get("userlist"), path=path, method="GET")

    async def list_ids(self, *, cursor: str | None = None, limit: int = 10000) -> tuple[list[DeptUser], str]:
        """One page of every member's userid and department: ``POST /cgi-bin/user/list_id``.

        Returns ``(entries, next_cursor)``; ``next_cursor`` is ``""`` on the
        last page. :meth:`iter_ids` follows the pages. A read, retried like a GET.
        """
        path = "/cgi-bin/user/list_id"
        if not 1 <= limit <= 10000:
            raise self._refuse(40058, "limit must be 1 to 10000 (checked before sending)", path=path)
        body: dict[str, Any] = {"limit": limit}
        if cursor:
            body["cursor"] = cursor
        answer = await self._post(path, body, idempotent=True)
        entries = self._models(DeptUser.from_dict, answer.get("dept_user"), path=path)
        following = answer.get("next_cursor") or ""
        return entries, following if isinstance(following, str) else ""

    async def iter_ids(self, *, limit: int = 10000) -> AsyncIterator[DeptUser]:
        """Every member's userid and department, page after page of ``user/list_id`` (``async for`` when async).

        Stops after a page without ``next_cursor`` (or one whose cursor does not move).
        """
        cursor: str | None = None
        while True:
            entries, following = await self.list_ids(cursor=cursor, limit=limit)
            for entry in entries:
                yield entry
            if not following or following == cursor:
                return
            cursor = following

    async def convert_to_openid(self, userid: str) -> str:
        """The openid of a member (for WeChat Pay and the like): ``POST /cgi-bin/user/convert_to_openid``."""
        path = "/cgi-bin/user/convert_to_openid"
        answer = await self._post(path, {"userid": userid}, idempotent=True)
        return self._field(answer, "openid", str, path=path)

    async def convert_to_userid(self, openid: str) -> str:
        """The userid behind an openid: ``POST /cgi-bin/user/convert_to_userid``."""
        path = "/cgi-bin/user/convert_to_userid"
        answer = await self._post(path, {"openid": openid}, idempotent=True)
        return self._field(answer, "userid", str, path=path)

    async def get_userid_by_mobile(self, mobile: str) -> str:
        """The userid of the member with this mobile number: ``POST /cgi-bin/user/getuserid`` (46004 if none)."""
        path = "/cgi-bin/user/getuserid"
        answer = await self._post(path, {"mobile": mobile}, idempotent=True)
        return self._field(answer, "userid", str, path=path)

    async def get_userid_by_email(self, email: str, *, email_type: int = 1) -> str:
        """The userid of the member with this email (``email_type`` 1 corp mail, 2 personal): 46004 if none."""
        path = "/cgi-bin/user/get_userid_by_email"
        answer = await self._post(path, {"email": email, "email_type": email_type}, idempotent=True)
        return self._field(answer, "userid", str, path=path)

    async def invite(
        self, *, users: Iterable[str] = (), parties: Iterable[int] = (), tags: Iterable[int] = ()
    ) -> InviteResult:
        """Invite members to join WeCom: ``POST /cgi-bin/batch/invite``; the ones refused are listed."""
        path = "/cgi-bin/batch/invite"
        body = {"user": list(users), "party": list(parties), "tag": list(tags)}
        if not (body["user"] or body["party"] or body["tag"]):
            raise self._refuse(40035, "users, parties and tags are all empty (checked before sending)", path=path)
        answer = await self._post(path, body)
        return self._model(InviteResult.from_dict, answer, path=path)
