"""The ``user`` API group (``client.user``): follower profiles, the follower list, remarks, the blacklist.

::

    profile = client.user.get("o_user_1")
    for openid in client.user.iter_followers():
        ...
    client.user.block(["o_spammer"])
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from typing import Any

from ...core._async.base import AsyncBaseAPI

_Page = Awaitable[dict[str, Any]]  # unasync: _Page = dict[str, Any]

__all__ = ["AsyncUserAPI"]


async def iter_openids(fetch: Callable[[str | None], _Page]) -> AsyncIterator[str]:
    """Yield the openids of every page ``fetch(cursor)`` returns, following ``next_openid``.

    Stops on an empty page, an empty ``next_openid`` or one that does not move.
    """
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        openids: list[str] = (page.get("data") or {}).get("openid") or []
        for openid in openids:
            yield openid
        following = page.get("next_openid") or ""
        if not page.get("count") or not openids or not following or following == cursor:
            return
        cursor = following


class AsyncUserAPI(AsyncBaseAPI):
    """WeChat's user management: profiles, followers, remarks and the blacklist."""

    async def get(self, openid: str, *, lang: str = "zh_CN") -> dict[str, Any]:
        """A follower's profile: ``GET /cgi-bin/user/info``.

        ``lang`` is ``zh_CN``, ``zh_TW`` or ``en``. A user who unfollowed
        comes back as ``{"subscribe": 0, "openid": ...}``. WeChat no longer
        says who the user is: ``nickname`` and ``headimgurl`` come back empty
        (since 2021-12-27), ``sex`` 0 and the region empty (since 2021-10-20);
        web OAuth (``snsapi_userinfo``) is the way to a nickname and avatar.
        """
        return await self._get("/cgi-bin/user/info", {"openid": openid, "lang": lang})

    async def batch_get(self, users: Iterable[str | Mapping[str, str]], *, lang: str = "zh_CN") -> dict[str, Any]:
        """Up to 100 profiles in one call: ``POST /cgi-bin/user/info/batchget``.

        ``users`` are openids, or ``{"openid": ..., "lang": ...}`` dicts to
        set the language per user (``lang`` is the default). Returns the JSON
        with ``user_info_list``. A read, so it is retried like a GET.
        """
        user_list = [{"openid": u, "lang": lang} if isinstance(u, str) else {"lang": lang, **u} for u in users]
        return await self._post("/cgi-bin/user/info/batchget", {"user_list": user_list}, idempotent=True)

    async def followers(self, *, next_openid: str | None = None) -> dict[str, Any]:
        """One page (up to 10000) of follower openids: ``GET /cgi-bin/user/get``.

        Returns ``{"total", "count", "data": {"openid": [...]}, "next_openid"}``;
        pass ``next_openid`` back to get the following page.
        """
        return await self._get("/cgi-bin/user/get", {"next_openid": next_openid} if next_openid else None)

    def iter_followers(self) -> AsyncIterator[str]:
        """Every follower openid, page after page of ``GET /cgi-bin/user/get`` (``async for`` when async)."""
        return iter_openids(lambda cursor: self.followers(next_openid=cursor))

    async def update_remark(self, openid: str, remark: str) -> dict[str, Any]:
        """Set the remark (under 30 bytes) shown for a follower: ``POST /cgi-bin/user/info/updateremark``."""
        return await self._post("/cgi-bin/user/info/updateremark", {"openid": openid, "remark": remark})

    async def get_blacklist(self, *, begin_openid: str | None = None) -> dict[str, Any]:
        """One page of blocked openids: ``POST /cgi-bin/tags/members/getblacklist``.

        Same shape as :meth:`followers`; pass the page's ``next_openid`` as
        ``begin_openid`` for the following page. A read, retried like a GET.
        """
        return await self._post(
            "/cgi-bin/tags/members/getblacklist", {"begin_openid": begin_openid or ""}, idempotent=True
        )

    def iter_blacklist(self) -> AsyncIterator[str]:
        """Every blocked openid, page after page of ``POST /cgi-bin/tags/members/getblacklist``."""
        return iter_openids(lambda cursor: self.get_blacklist(begin_openid=cursor))

    async def block(self, openids: Iterable[str]) -> dict[str, Any]:
        """Block up to 20 followers: ``POST /cgi-bin/tags/members/batchblacklist``."""
        return await self._post("/cgi-bin/tags/members/batchblacklist", {"openid_list": list(openids)})

    async def unblock(self, openids: Iterable[str]) -> dict[str, Any]:
        """Unblock up to 20 followers: ``POST /cgi-bin/tags/members/batchunblacklist``."""
        return await self._post("/cgi-bin/tags/members/batchunblacklist", {"openid_list": list(openids)})
