"""Tags (标签管理): create, rename, delete, members, list (40068 for an unknown tag)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import Tag, TagMembers, TagMembersResult
from ._base import AsyncWorkAPI

__all__ = ["AsyncTagAPI"]


class AsyncTagAPI(AsyncWorkAPI):
    """``client.tag``: the corp's tags and their members."""

    async def create(self, tagname: str, *, tagid: int | None = None) -> int:
        """Add a tag: ``POST /cgi-bin/tag/create``; return its id (40071 if the name is taken)."""
        path = "/cgi-bin/tag/create"
        body: dict[str, Any] = {"tagname": tagname}
        if tagid is not None:
            body["tagid"] = tagid
        answer = await self._post(path, body)
        return self._field(answer, "tagid", int, path=path)

    async def update(self, tagid: int, tagname: str) -> None:
        """Rename a tag: ``POST /cgi-bin/tag/update``."""
        await self._post("/cgi-bin/tag/update", {"tagid": tagid, "tagname": tagname})

    async def delete(self, tagid: int) -> None:
        """Remove a tag: ``GET /cgi-bin/tag/delete``."""
        await self._get("/cgi-bin/tag/delete", {"tagid": tagid})

    async def get(self, tagid: int) -> TagMembers:
        """A tag's name, members and departments: ``GET /cgi-bin/tag/get``."""
        path = "/cgi-bin/tag/get"
        answer = await self._get(path, {"tagid": tagid})
        return self._model(TagMembers.from_dict, answer, path=path, method="GET")

    async def add_users(
        self, tagid: int, *, userids: Iterable[str] = (), party_ids: Iterable[int] = ()
    ) -> TagMembersResult:
        """Tag members and departments: ``POST /cgi-bin/tag/addtagusers``; the refused ones are listed."""
        return await self._members("/cgi-bin/tag/addtagusers", tagid, userids, party_ids)

    async def remove_users(
        self, tagid: int, *, userids: Iterable[str] = (), party_ids: Iterable[int] = ()
    ) -> TagMembersResult:
        """Untag members and departments: ``POST /cgi-bin/tag/deltagusers``; the refused ones are listed."""
        return await self._members("/cgi-bin/tag/deltagusers", tagid, userids, party_ids)

    async def list_all(self) -> list[Tag]:
        """Every tag: ``GET /cgi-bin/tag/list``."""
        path = "/cgi-bin/tag/list"
        answer = await self._get(path)
        return self._models(Tag.from_dict, answer.get("taglist"), path=path, method="GET")

    async def _members(
        self, path: str, tagid: int, userids: Iterable[str], party_ids: Iterable[int]
    ) -> TagMembersResult:
        body: dict[str, Any] = {"tagid": tagid, "userlist": list(userids), "partylist": list(party_ids)}
        if not (body["userlist"] or body["partylist"]):
            raise self._refuse(40035, "userids and party_ids are both empty (checked before sending)", path=path)
        answer = await self._post(path, body)
        return self._model(TagMembersResult.from_dict, answer, path=path)
