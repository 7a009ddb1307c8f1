"""Emulator routes for the JS-SDK group: ``GET /cgi-bin/ticket/getticket``.

Every fetch issues a new ticket valid for 7200 s of emulator time; earlier
tickets stay valid until their own expiry. State in ``app.data``:

* ``"tickets"``: ``{type: {ticket: expires_at}}`` - every ticket issued;
* ``"ticket_fetches"``: a :class:`~collections.Counter` of fetches per type
  (``app.data["ticket_fetches"]["jsapi"]``).

``type`` must be ``jsapi`` or ``wx_card`` (else 40097). Fetches are metered
like every API call (:class:`~wxkit.testing.routes.QuotaRouter`):
``app.quota_limits["/cgi-bin/ticket/getticket"] = 1`` makes the second fetch
answer 45009. :func:`check_config` tells whether a ``wx.config`` dict
would pass, the way the JS-SDK checks it in the browser.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import TYPE_CHECKING, Any

from ...crypto import sha1_signature
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, ok

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["TICKET_LIFETIME", "TICKET_TYPES", "check_config", "router"]

router = QuotaRouter()

#: ``expires_in`` of the tickets the emulator issues.
TICKET_LIFETIME = 7200
#: The ticket types WeChat documents.
TICKET_TYPES = ("jsapi", "wx_card")


def _tickets(app: AppState, type: str) -> dict[str, float]:
    tickets: dict[str, dict[str, float]] = app.data.setdefault("tickets", {})
    return tickets.setdefault(type, {})


@router.route("GET", "/cgi-bin/ticket/getticket")
def get_ticket(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Issue a new ticket of ``type`` for the calling app and count the fetch."""
    app = calling_app(req)
    type = req.query.get("type", "")
    if type not in TICKET_TYPES:
        raise WeChatAPIError(40097, "invalid args: type must be jsapi or wx_card")
    ticket = f"{type.upper()}_TICKET_{secrets.token_urlsafe(24)}"
    _tickets(app, type)[ticket] = emu.now() + TICKET_LIFETIME
    fetches: Counter[str] = app.data.setdefault("ticket_fetches", Counter())
    fetches[type] += 1
    return ok(ticket=ticket, expires_in=TICKET_LIFETIME)


def check_config(emu: Emulator, app: AppState, url: str, config: dict[str, Any]) -> bool:
    """Whether ``config`` (``appId``, ``timestamp``, ``nonceStr``, ``signature``) is valid for the page ``url``.

    True when ``appId`` is the app's and ``signature`` signs ``url`` (without
    its ``#fragment``) with one of the app's unexpired ``jsapi`` tickets.
    """
    if config.get("appId") != app.appid:
        return False
    page = url.split("#", 1)[0]
    now = emu.now()
    with emu.lock:
        live = [t for t, expires_at in _tickets(app, "jsapi").items() if expires_at > now]
    for ticket in live:
        string1 = (
            f"jsapi_ticket={ticket}&noncestr={config.get('nonceStr')}&timestamp={config.get('timestamp')}&url={page}"
        )
        if secrets.compare_digest(sha1_signature(string1), str(config.get("signature", ""))):
            return True
    return False
