"""The ``misc`` API group (``client.misc``): platform IPs, the callback check, API quotas and rids.

::

    if request_ip not in client.misc.callback_ips():
        ...
    client.misc.get_quota("/cgi-bin/message/custom/send")["quota"]["remain"]
"""

from __future__ import annotations

from typing import Any

from ...core._async.base import AsyncBaseAPI

__all__ = ["AsyncMiscAPI"]


class AsyncMiscAPI(AsyncBaseAPI):
    """WeChat's basic support and API-management endpoints."""

    async def api_domain_ips(self) -> list[str]:
        """The IPs behind api.weixin.qq.com: ``GET /cgi-bin/get_api_domain_ip``; returns ``ip_list``."""
        return list((await self._get("/cgi-bin/get_api_domain_ip")).get("ip_list", []))

    async def callback_ips(self) -> list[str]:
        """The IPs WeChat pushes from (for an allow-list): ``GET /cgi-bin/getcallbackip``; returns ``ip_list``."""
        return list((await self._get("/cgi-bin/getcallbackip")).get("ip_list", []))

    async def check_callback(self, *, action: str = "all", check_operator: str = "DEFAULT") -> dict[str, Any]:
        """Have WeChat resolve and ping your callback URL: ``POST /cgi-bin/callback/check``.

        ``action`` is ``dns``, ``ping`` or ``all``; ``check_operator`` is
        ``CHINANET``, ``UNICOM``, ``CAP`` or ``DEFAULT``. Returns
        ``{"dns": [...], "ping": [...]}``.
        """
        body = {"action": action, "check_operator": check_operator}
        return await self._post("/cgi-bin/callback/check", body, idempotent=True)

    async def clear_quota(self) -> dict[str, Any]:
        """Reset today's call counters of every API (10 times a month): ``POST /cgi-bin/clear_quota``."""
        return await self._post("/cgi-bin/clear_quota", {"appid": self._client.appid})

    async def get_quota(self, cgi_path: str) -> dict[str, Any]:
        """The daily limit and use of one API: ``POST /cgi-bin/openapi/quota/get``.

        ``cgi_path`` is the path only, e.g. ``"/cgi-bin/message/custom/send"``.
        Returns ``{"quota": {"daily_limit", "used", "remain"}, "rate_limit": ...}``.
        """
        return await self._post("/cgi-bin/openapi/quota/get", {"cgi_path": cgi_path}, idempotent=True)

    async def get_rid(self, rid: str) -> dict[str, Any]:
        """What the call with this ``rid`` sent and got: ``POST /cgi-bin/openapi/rid/get``.

        The rid is in a failed call's errmsg (``rid: ...``) and is kept 7 days.

        Returns ``{"request": {"invoke_time", "cost_in_ms", "request_url",
        "request_body", "response_body", "client_ip"}}``.
        """
        return await self._post("/cgi-bin/openapi/rid/get", {"rid": rid}, idempotent=True)
