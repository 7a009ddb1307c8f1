"""WeCom's JS-SDK (``client.jssdk``): the corp and app tickets, ``wx.config`` and ``wx.agentConfig`` signatures.

::

    config = client.jssdk.config_signature("https://app.example.com/page")        # wx.config({...})
    agent = client.jssdk.agent_config_signature("https://app.example.com/page")   # wx.agentConfig({...})

WeCom has two tickets: the corp's (``GET /cgi-bin/get_jsapi_ticket``, for
``wx.config``) and the app's (``GET /cgi-bin/ticket/get?type=agent_config``,
for ``wx.agentConfig``). Both have a small quota, so they are cached in the
client's storage (``wxkit:work_jsapi_ticket:<corpid>:corp`` and
``...:agent:<agentid>``) until shortly before they expire, fetched under the
same locking rules as the access token
(:class:`~wxkit.core.cache.SharedValue`). The signature is the official
accounts' one: hex SHA1 of ``jsapi_ticket=...&noncestr=...&timestamp=...&url=...``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from ...bounds import clamp_expires_in
from ...core._async.cache import AsyncSharedValue
from ...errors import APIError, ConfigError
from ._base import AsyncWorkAPI

if TYPE_CHECKING:
    from .client import AsyncWorkClient

__all__ = ["AsyncWorkJSSDKAPI", "sign_work_jsapi"]

_PATHS = {"corp": ("/cgi-bin/get_jsapi_ticket", None), "agent": ("/cgi-bin/ticket/get", {"type": "agent_config"})}


def sign_work_jsapi(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """The ``wx.config`` / ``wx.agentConfig`` signature (the page URL without its ``#fragment``)."""
    page = url.split("#", 1)[0]
    text = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page}"
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()  # noqa: S324 - WeCom's algorithm


class AsyncWorkJSSDKAPI(AsyncWorkAPI):
    """WeCom's JS-SDK group: cached tickets and the signatures pages need."""

    def __init__(self, client: AsyncWorkClient) -> None:
        super().__init__(client)
        self._tickets: dict[str, AsyncSharedValue] = {}
        self._tickets_lock = threading.Lock()

    async def get_ticket(self, kind: str = "corp", *, agent_id: int | None = None, force_refresh: bool = False) -> str:
        """The ``"corp"`` ticket (``wx.config``) or the ``"agent"`` ticket (``wx.agentConfig``), cached.

        ``force_refresh`` replaces the cached ticket (after pages report an
        invalid signature); callers that saw the same ticket share one refetch.
        """
        shared = self._shared(kind, agent_id)
        if force_refresh:
            current = await shared.read()
            if current:
                return await shared.refresh(current)
        return await shared.get()

    async def config_signature(
        self, url: str, *, noncestr: str | None = None, timestamp: int | None = None
    ) -> dict[str, Any]:
        """The ``wx.config`` fields for the page at ``url``: ``appId`` (the corpid), ``timestamp``, ``nonceStr``, ...

        ... and ``signature``, with the corp ticket. ``noncestr`` and
        ``timestamp`` default to 16 random hex digits and now.
        """
        nonce = noncestr if noncestr is not None else secrets.token_hex(8)
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        ticket = await self.get_ticket("corp")
        return {
            "appId": self._client.corpid,
            "timestamp": stamp,
            "nonceStr": nonce,
            "signature": sign_work_jsapi(ticket, nonce, stamp, url),
        }

    async def agent_config_signature(
        self,
        url: str,
        *,
        agent_id: int | None = None,
        noncestr: str | None = None,
        timestamp: int | None = None,
    ) -> dict[str, Any]:
        """The ``wx.agentConfig`` fields: ``corpid``, ``agentid``, ``timestamp``, ``nonceStr``, ``signature``."""
        agent = self._agent(agent_id)
        nonce = noncestr if noncestr is not None else secrets.token_hex(8)
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        ticket = await self.get_ticket("agent", agent_id=agent)
        return {
            "corpid": self._client.corpid,
            "agentid": agent,
            "timestamp": stamp,
            "nonceStr": nonce,
            "signature": sign_work_jsapi(ticket, nonce, stamp, url),
        }

    # -- internals ------------------------------------------------------------
    def _shared(self, kind: str, agent_id: int | None) -> AsyncSharedValue:
        if kind not in _PATHS:
            raise ConfigError(f"kind must be 'corp' or 'agent', not {kind!r}")
        name = "corp" if kind == "corp" else f"agent:{self._agent(agent_id)}"
        with self._tickets_lock:
            shared = self._tickets.get(name)
            if shared is None:
                shared = AsyncSharedValue(
                    self._client.storage,
                    f"wxkit:work_jsapi_ticket:{self._client.corpid}:{name}",
                    lambda failed: self._fetch(kind),
                    what=f"the WeCom {kind} jsapi ticket",
                )
                self._tickets[name] = shared
            return shared

    async def _fetch(self, kind: str) -> tuple[str, float]:
        path, params = _PATHS[kind]
        data = await self._get(path, params=dict(params) if params else None)
        ticket = data.get("ticket")
        if not isinstance(ticket, str) or not ticket:
            url = self._client.http.url(path)
            raise APIError(-2, f"{path} answered without a ticket", method="GET", url=url, response=data)
        source = f"the WeCom {kind} ticket endpoint ({self._client.corpid})"
        return ticket, float(clamp_expires_in(data.get("expires_in"), source=source))
