"""Tags (标签管理): create, rename, delete, members, list (40068 for an unknown tag)."""
# Generated from wxkit/work/_async/tag.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._base import WorkAPI
from .models import Tag, TagMembers, TagMembersResult

__all__ = ["TagAPI"]


class TagAPI(WorkAPI):
    """``client.tag``: the corp's tags and their members."""

    def create(self, tagname: str, *, tagid: int | None = None) -> int:
        """Add a tag: ``POST /cgi-bin/tag/create``; return its id (40071 if the name is taken)."""
        path = "/cgi-bin/tag/create"
        body: dict[str, Any] = {"tagname": tagname}
        if tagid is not None:
            body["tagid"] = tagid
        answer = self._post(path, body)
        return self._field(answer, "tagid", int, path=path)

    def update(self, tagid: int, tagname: str) -> None:
        """Rename a tag: ``POST /cgi-bin/tag/update``."""
        self._post("/cgi-bin/tag/update", {"tagid": tagid, "tagname": tagname})

    def delete(self, tagid: int) -> None:
        """Remove a tag: ``GET /cgi-bin/tag/delete``."""
        self._get("/cgi-bin/tag/delete", {"tagid": tagid})

    def get(self, tagid: int) -> TagMembers:
        """A tag's name, members and departments: ``GET /cgi-bin/tag/get``."""
        path = "/cgi-bin/tag/get"
        answer = self._get(path, {"tagid": tagid})
        return self._model(TagMembers.from_dict, answer, path=path, method="GET")

    def add_users(self, tagid: int, *, userids: Iterable[str] = (), party_ids: Iterable[int] = ()) -> TagMembersResult:
        """Tag members and departments: ``POST /cgi-bin/tag/addtagusers``; the refused ones are listed."""
        return self._members("/cgi-bin/tag/addtagusers", tagid, userids, party_ids)

    def remove_users(
        self, tagid: int, *, userids: Iterable[str] = (), party_ids: Iterable[int] = ()
    ) -> TagMembersResult:
        """Untag members and departments: ``POST /cgi-bin/tag/deltagusers``; the refused ones are listed."""
        return self._members("/cgi-bin/tag/deltagusers", tagid, userids, party_ids)

    def list_all(self) -> list[Tag]:
        """Every tag: ``GET /cgi-bin/tag/list``."""
        path = "/cgi-bin/tag/list"
        answer = self._get(path)
        return self._models(Tag.from_dict, answer.get("taglist"), path=path, method="GET")

    def _members(self, path: str, tagid: int, userids: Iterable[str], party_ids: Iterable[int]) -> TagMembersResult:
        body: dict[str, Any] = {"tagid": tagid, "userlist": list(userids), "partylist": list(party_ids)}
        if not (body["userlist"] or body["partylist"]):
            raise self._refuse(40035, "userids and party_ids are both empty (checked before sending)", path=path)
        answer = self._post(path, body)
        return self._model(TagMembersResult.from_dict, answer, path=path)
