"""The ``tag`` API group (``client.tag``): user tags and tagging followers.

::

    vip = client.tag.create("VIP")
    client.tag.tag_users(vip["id"], ["o_user_1", "o_user_2"])
    assert vip["id"] in client.tag.tags_of("o_user_1")
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterable
from typing import Any

from ...core._async.base import AsyncBaseAPI
from .user import iter_openids

__all__ = ["AsyncTagAPI"]


class AsyncTagAPI(AsyncBaseAPI):
    """WeChat's user tags (ids 0, 1 and 2 are WeChat's own; created tags start at 100)."""

    async def create(self, name: str) -> dict[str, Any]:
        """Create a tag (name up to 30 bytes, unique): ``POST /cgi-bin/tags/create``.

        Returns the new tag, ``{"id": ..., "name": ...}``.
        """
        path = "/cgi-bin/tags/create"
        return self._field(await self._post(path, {"tag": {"name": name}}), "tag", dict, path=path)

    async def list(self) -> dict[str, Any]:
        """Every tag with its follower count: ``GET /cgi-bin/tags/get``; returns ``{"tags": [...]}``."""
        return await self._get("/cgi-bin/tags/get")

    async def update(self, tag_id: int, name: str) -> dict[str, Any]:
        """Rename a tag: ``POST /cgi-bin/tags/update``."""
        return await self._post("/cgi-bin/tags/update", {"tag": {"id": tag_id, "name": name}})

    async def delete(self, tag_id: int) -> dict[str, Any]:
        """Delete a tag (it leaves every follower): ``POST /cgi-bin/tags/delete``."""
        return await self._post("/cgi-bin/tags/delete", {"tag": {"id": tag_id}})

    async def tag_users(self, tag_id: int, openids: Iterable[str]) -> dict[str, Any]:
        """Put a tag on up to 50 followers: ``POST /cgi-bin/tags/members/batchtagging``."""
        return await self._post("/cgi-bin/tags/members/batchtagging", {"openid_list": list(openids), "tagid": tag_id})

    async def untag_users(self, tag_id: int, openids: Iterable[str]) -> dict[str, Any]:
        """Take a tag off up to 50 followers: ``POST /cgi-bin/tags/members/batchuntagging``."""
        return await self._post("/cgi-bin/tags/members/batchuntagging", {"openid_list": list(openids), "tagid": tag_id})

    async def users_of(self, tag_id: int, *, next_openid: str | None = None) -> dict[str, Any]:
        """One page of the followers carrying a tag: ``POST /cgi-bin/user/tag/get``.

        Returns ``{"count", "data": {"openid": [...]}, "next_openid"}``. A read,
        retried like a GET.
        """
        body = {"tagid": tag_id, "next_openid": next_openid or ""}
        return await self._post("/cgi-bin/user/tag/get", body, idempotent=True)

    def iter_users_of(self, tag_id: int) -> AsyncIterator[str]:
        """Every openid carrying a tag, page after page of ``POST /cgi-bin/user/tag/get``."""
        return iter_openids(lambda cursor: self.users_of(tag_id, next_openid=cursor))

    async def tags_of(self, openid: str) -> builtins.list[int]:
        """The ids of the tags a follower carries: ``POST /cgi-bin/tags/getidlist``; returns the list."""
        answer = await self._post("/cgi-bin/tags/getidlist", {"openid": openid}, idempotent=True)
        return [int(tag_id) for tag_id in answer.get("tagid_list", [])]
