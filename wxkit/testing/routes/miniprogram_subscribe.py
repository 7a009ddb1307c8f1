"""Emulator routes for the mini-program ``subscribe`` group: ``POST /cgi-bin/message/subscribe/send``.

The template library (``/wxaapi/newtmpl/*``) is the official accounts' one,
served by :mod:`wxkit.testing.routes.subscribe` on the same per-app state:
a template added there (or with its ``add_template``) can be sent here to a
user who accepted it (its ``accept_subscription``, the user's tap on
``wx.requestSubscribeMessage``). Behaviour: 40037 for an unknown template,
40003 for an openid that is not a mini-program user of the app (one that
logged in, :meth:`~wxkit.testing.Emulator.miniprogram_login`), 43101 without
an acceptance left, 47003 for ``data`` missing a field the template shows,
47001 for a ``miniprogram_state`` other than developer / trial / formal or a
``lang`` other than zh_CN / en_US / zh_HK / zh_TW. Sends are recorded in
``app.sent`` as ``{"kind": "miniprogram_subscribe", **request_body}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok, require_object

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = QuotaRouter()


@router.route("POST", "/cgi-bin/message/subscribe/send")
def send(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Send a subscribe message the user accepted (one acceptance each, unless long-term)."""
    from .subscribe import _check_data, _grants, _templates

    app, body = calling_app(req), json_object(req)
    template = _templates(app).get(as_text(body.get("template_id")))
    if template is None:
        raise WeChatAPIError(40037, "invalid template_id")
    openid = as_text(body.get("touser"))
    if openid not in miniprogram_state(app).users:
        raise WeChatAPIError(40003, "invalid openid")
    if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
        raise WeChatAPIError(47001, "data format error: miniprogram_state")
    if body.get("lang", "zh_CN") not in ("zh_CN", "en_US", "zh_HK", "zh_TW"):
        raise WeChatAPIError(47001, "data format error: lang")
    require_object(body.get("data"), "data")
    _check_data(template, body.get("data"))
    grants, key = _grants(app), (openid, template["priTmplId"])
    left = grants.get(key, 0)
    if left is not None and left <= 0:
        raise WeChatAPIError(43101, "user refuse to accept the msg")
    if left is not None:
        grants[key] = left - 1
    app.sent.append({"kind": "miniprogram_subscribe", **body})
    return ok(msgid=emu.next_id())
