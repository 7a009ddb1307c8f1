"""Emulator routes for the mini-program ``risk`` group: ``POST /wxa/getuserriskrank``.

Answers ``risk_rank`` (``state.risk_ranks[openid]``, 0 unless set) and an
``unoin_id`` (WeChat's spelling). ``appid`` must be the caller's (40013),
``openid`` a user of the mini program (40003), ``scene`` 0 or 1 and
``client_ip`` present (40097).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = QuotaRouter()


@router.route("POST", "/wxa/getuserriskrank")
def getuserriskrank(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The user's risk rank."""
    app, body = calling_app(req), json_object(req)
    if body.get("appid") != app.appid:
        raise WeChatAPIError(40013, "invalid appid")
    state = miniprogram_state(app)
    openid = as_text(body.get("openid"))
    if openid not in state.users:
        raise WeChatAPIError(40003, "invalid openid")
    if body.get("scene") not in (0, 1) or not as_text(body.get("client_ip")):
        raise WeChatAPIError(40097, "invalid args")
    return ok(risk_rank=state.risk_ranks.get(openid, 0), unoin_id=emu.next_id())
