"""WeCom JS-SDK tickets on the WeCom site: ``get_jsapi_ticket`` (the corp's) and ``ticket/get?type=agent_config``.

Each secret's token gets its own ticket per kind (``"corp"``, ``"agent"``),
valid 7200 s of emulator time and handed out again while valid; a new one is
issued once it has expired. ``corp.data["jsapi_ticket_fetches"]`` counts the
calls answered per kind and ``corp.data["jsapi_tickets"]`` holds the current
``(ticket, expires_at)`` per ``(kind, secret name)``, for tests that check a
page's signature. ``ticket/get`` with another ``type`` answers 40058; the
agent ticket needs an app's token (another secret answers 301002).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, ok
from .work_user import calling_corp

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = Router(site="qyapi")


def _ticket(emu: Emulator, req: EmulatorRequest, kind: str) -> dict[str, Any]:
    with emu.lock:
        corp = calling_corp(req)
        if kind == "agent" and req.secret_name not in corp.agents.values():
            raise WeChatAPIError(301002, "not allow operate another agent with this accesstoken.")
        fetches = corp.data.setdefault("jsapi_ticket_fetches", {})
        fetches[kind] = fetches.get(kind, 0) + 1
        tickets = corp.data.setdefault("jsapi_tickets", {})
        now = emu.now()
        current = tickets.get((kind, req.secret_name))
        if current is not None and current[1] > now:
            return ok(ticket=current[0], expires_in=max(int(current[1] - now), 1))
        ticket = secrets.token_urlsafe(32)
        tickets[(kind, req.secret_name)] = (ticket, now + 7200)
        return ok(ticket=ticket, expires_in=7200)


@router.route("GET", "/cgi-bin/get_jsapi_ticket")
def get_jsapi_ticket(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The corp's jsapi ticket (for ``wx.config``)."""
    return _ticket(emu, req, "corp")


@router.route("GET", "/cgi-bin/ticket/get")
def ticket_get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The app's ticket (``type=agent_config``, for ``wx.agentConfig``)."""
    if req.query.get("type") != "agent_config":
        raise WeChatAPIError(40058, "invalid type")
    return _ticket(emu, req, "agent")
