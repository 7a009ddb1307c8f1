"""The JS-SDK group (``client.jssdk``): tickets, ``wx.config`` signatures and card signatures.

::

    config = client.jssdk.signature("https://example.com/page?id=1")
    # {"appId": ..., "timestamp": ..., "nonceStr": ..., "signature": ...} -> wx.config({...config, jsApiList: [...]})

Tickets (``GET /cgi-bin/ticket/getticket``) have a small daily quota, so they
are cached in the client's storage under ``wxkit:jsapi_ticket:<appid>:<type>``
until their expiry minus a margin, and fetched under the same locking rules as
the access token (:class:`~wxkit.core.cache.SharedValue`): with a shared
storage, one fetch for every thread and process.
"""
# Generated from wxkit/client/_async/jssdk.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from ..bounds import clamp_expires_in
from ..core.base import BaseAPI
from ..core.cache import SharedValue
from ..errors import APIError

if TYPE_CHECKING:
    from .client import Client

__all__ = ["JSSDKAPI", "sign_card", "sign_jsapi"]

_TICKET_PATH = "/cgi-bin/ticket/getticket"


def sign_jsapi(jsapi_ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """The ``wx.config`` signature: hex SHA1 of ``jsapi_ticket=...&noncestr=...&timestamp=...&url=...``.

    The four keys in ASCII order, raw values (no URL escaping); ``url`` is the
    page's full URL without ``#`` and what follows (removed here if present).
    """
    from ..crypto import sha1_signature  # wxkit.crypto loads pycryptodome: only when something is signed

    page = url.split("#", 1)[0]
    string1 = f"jsapi_ticket={jsapi_ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page}"
    return sha1_signature(string1)


def sign_card(*values: str) -> str:
    """The card (卡券) signature: hex SHA1 of the non-empty ``values`` sorted as strings and joined.

    For ``cardExt`` (``addCard``): the ``wx_card`` api_ticket, timestamp,
    card_id, code, openid and nonce_str; other card APIs sign their own field
    sets the same way.
    """
    from ..crypto import sha1_signature

    return sha1_signature(*(v for v in values if v))


class JSSDKAPI(BaseAPI):
    """WeChat's JS-SDK group: cached tickets and the signatures pages need."""

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self._client: Client = client
        self._tickets: dict[str, SharedValue] = {}
        self._tickets_lock = threading.Lock()

    def get_ticket(self, type: str = "jsapi", *, force_refresh: bool = False) -> str:
        """Return the ``jsapi`` (or ``wx_card``) ticket: ``GET /cgi-bin/ticket/getticket?type=...``.

        Cached in the client's storage under ``wxkit:jsapi_ticket:<appid>:<type>``
        until five minutes before it expires; concurrent callers share one fetch.
        ``force_refresh`` replaces the cached ticket, e.g. after pages report an
        invalid signature; callers that saw the same ticket share one refetch.
        """
        shared = self._shared(type)
        if force_refresh:
            current = shared.read()
            if current:
                return shared.refresh(current)
        return shared.get()

    def signature(self, url: str, *, noncestr: str | None = None, timestamp: int | None = None) -> dict[str, Any]:
        """The ``wx.config`` fields for the page at ``url``: ``appId``, ``timestamp``, ``nonceStr``, ``signature``.

        Uses the cached ``jsapi`` ticket (``GET /cgi-bin/ticket/getticket`` when
        needed). ``url`` is the page's full URL (its ``#fragment`` is dropped);
        ``noncestr`` (default: 16 random hex digits) and ``timestamp`` (default:
        now, in seconds) can be fixed for tests.
        """
        nonce = noncestr if noncestr is not None else secrets.token_hex(8)
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        ticket = self.get_ticket("jsapi")
        return {
            "appId": self._client.appid,
            "timestamp": stamp,
            "nonceStr": nonce,
            "signature": sign_jsapi(ticket, nonce, stamp, url),
        }

    def card_signature(
        self,
        card_id: str,
        *,
        code: str = "",
        openid: str = "",
        noncestr: str | None = None,
        timestamp: int | None = None,
    ) -> dict[str, str]:
        """The ``cardExt`` fields of ``wx.addCard`` for ``card_id``, signed with the ``wx_card`` ticket.

        Returns ``timestamp`` (a string, as the docs require), ``nonce_str``,
        ``signature`` and ``code`` / ``openid`` when given (a custom-code card
        needs ``code``; a ``bind_openid`` card needs ``openid``). The ticket comes
        from ``GET /cgi-bin/ticket/getticket?type=wx_card`` (cached).
        """
        nonce = noncestr if noncestr is not None else secrets.token_hex(8)
        stamp = str(int(time.time()) if timestamp is None else int(timestamp))
        ticket = self.get_ticket("wx_card")
        ext = {"code": code, "openid": openid, "timestamp": stamp, "nonce_str": nonce}
        ext = {k: v for k, v in ext.items() if v}
        ext["signature"] = sign_card(ticket, stamp, card_id, code, openid, nonce)
        return ext

    # -- internals ------------------------------------------------------------
    def _shared(self, type: str) -> SharedValue:
        with self._tickets_lock:
            shared = self._tickets.get(type)
            if shared is None:
                shared = SharedValue(
                    self._client.storage,
                    f"wxkit:jsapi_ticket:{self._client.appid}:{type}",
                    lambda failed: self._fetch(type),
                    what=f"the {type} ticket",
                )
                self._tickets[type] = shared
            return shared

    def _fetch(self, type: str) -> tuple[str, float]:
        data = self._get(_TICKET_PATH, params={"type": type})
        ticket = data.get("ticket")
        if not isinstance(ticket, str) or not ticket:
            url = self._client.http.url(_TICKET_PATH) + f"?type={type}"
            raise APIError(-2, "getticket answered without a ticket", method="GET", url=url, response=data)
        source = f"the {type} ticket endpoint ({self._client.appid})"
        return ticket, float(clamp_expires_in(data.get("expires_in"), source=source))
