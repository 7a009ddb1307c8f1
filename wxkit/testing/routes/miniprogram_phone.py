"""Emulator routes for the mini-program ``phone`` group: ``POST /wxa/business/getuserphonenumber``.

A code from :meth:`~wxkit.testing.Emulator.miniprogram_phone_code` answers
``phone_info`` (``phoneNumber``, ``purePhoneNumber``, ``countryCode``,
``watermark`` with the app's appid) once; a used, expired
(:data:`~wxkit.testing.miniprogram.CODE_LIFETIME`), unknown or other app's
code answers 40029 ("invalid code"); a missing one 41008. The ``countryCode``
is a number, as in WeChat's published sample.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = QuotaRouter()


@router.route("POST", "/wxa/business/getuserphonenumber")
def getuserphonenumber(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Exchange a one-time phone-number code."""
    app = calling_app(req)
    code = as_text(json_object(req).get("code"))
    if not code:
        raise WeChatAPIError(41008, "missing code")
    entry = miniprogram_state(app).phone_codes.get(code)
    if entry is None or entry["used"] or emu.now() >= entry["expires_at"]:
        raise WeChatAPIError(40029, "invalid code")
    entry["used"] = True
    info = dict(entry["phone_info"])
    country = info.get("countryCode")
    if isinstance(country, str) and country.isdigit():
        info["countryCode"] = int(country)
    return ok(phone_info=info)
