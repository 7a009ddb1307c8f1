"""WeCom web sign-in (网页授权登录) on the WeCom site: ``auth/getuserinfo`` and ``auth/getuserdetail``.

The emulator plays the member's browser: :func:`issue_work_oauth_code` hands
out the code WeCom would append to the ``redirect_uri`` (for a member's
``userid``, or for an outsider's ``openid``). A code works once, for five
minutes of emulator time, and only for the corp it was issued in: otherwise
``getuserinfo`` answers 40029 "invalid code". With the ``snsapi_privateinfo``
scope a member's answer carries a ``user_ticket`` (valid 7200 s) that
``getuserdetail`` takes (40058 for an unknown or expired one). Codes and
tickets live in ``corp.data["oauth_codes"]`` / ``corp.data["user_tickets"]``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp, lookup_user

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["OAUTH_CODE_LIFETIME", "USER_TICKET_LIFETIME", "issue_work_oauth_code", "router"]

router = Router(site="qyapi")

#: Seconds a sign-in code stays usable.
OAUTH_CODE_LIFETIME = 300
#: Seconds a ``user_ticket`` stays usable.
USER_TICKET_LIFETIME = 7200


def issue_work_oauth_code(
    emu: Emulator, corp: CorpState, userid: str | None = None, *, openid: str | None = None, scope: str = "snsapi_base"
) -> str:
    """A one-time code for the member ``userid`` (or the outsider ``openid``), as WeCom redirects with it."""
    if (userid is None) == (openid is None):
        raise ValueError("give a userid (a member) or an openid (someone outside the corp)")
    if userid is not None and userid not in corp.users:
        raise ValueError(f"{userid!r} is not a member of {corp.corpid}")
    code = secrets.token_urlsafe(24)
    with emu.lock:
        corp.data.setdefault("oauth_codes", {})[code] = {
            "userid": userid,
            "openid": openid,
            "scope": scope,
            "expires_at": emu.now() + OAUTH_CODE_LIFETIME,
        }
    return code


@router.route("GET", "/cgi-bin/auth/getuserinfo")
def getuserinfo(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Who signed in with ``code`` (single use)."""
    code = req.query.get("code", "")
    if not code:
        raise WeChatAPIError(41008, "missing code")
    with emu.lock:
        corp = calling_corp(req)
        entry = corp.data.setdefault("oauth_codes", {}).pop(code, None)
        if entry is None or emu.now() >= entry["expires_at"]:
            raise WeChatAPIError(40029, "invalid code")
        if entry["userid"] is None:
            return ok(openid=entry["openid"])
        answer = ok(userid=entry["userid"])
        if entry["scope"] == "snsapi_privateinfo":
            ticket = secrets.token_urlsafe(32)
            corp.data.setdefault("user_tickets", {})[ticket] = (entry["userid"], emu.now() + USER_TICKET_LIFETIME)
            answer.update(user_ticket=ticket, expires_in=USER_TICKET_LIFETIME)
        return answer


@router.route("POST", "/cgi-bin/auth/getuserdetail")
def getuserdetail(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The member's shared details for a ``user_ticket``."""
    ticket = json_object(req).get("user_ticket")
    with emu.lock:
        corp = calling_corp(req)
        entry = corp.data.setdefault("user_tickets", {}).get(ticket) if isinstance(ticket, str) else None
        if entry is None or emu.now() >= entry[1]:
            raise WeChatAPIError(40058, "invalid user_ticket")
        user = lookup_user(corp, entry[0])
        fields = ("gender", "avatar", "qr_code", "mobile", "email", "biz_mail", "address")
        return ok(userid=user["userid"], **{k: str(user[k]) for k in fields if k in user})
