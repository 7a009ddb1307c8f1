"""Emulator routes for the mini-program ``security`` group: content checks with a configurable verdict.

* ``POST /wxa/msg_sec_check`` (``version`` 2) answers ``trace_id``,
  ``result`` ``{"suggest", "label"}`` and one ``detail`` per strategy, from
  the verdicts set with :func:`wxkit.testing.miniprogram.set_security_verdict`
  (``pass`` / 100 by default; a keyword verdict applies to content, title,
  nickname or signature holding it and shows in the keyword strategy's
  detail).
* ``POST /wxa/media_check_async`` answers a ``trace_id`` and records the
  request with its verdict in ``state.media_checks`` (the media URL is what the
  keyword verdicts match): the result push (``wxa_media_check``) is for the
  test to deliver to the app.

Checks: ``version`` must be 2 and ``scene`` 1-4 (40129 otherwise), ``openid``
a user of the mini program (40003; 61010 once the user's last login is more
than two hours old, in emulator time), ``content`` present (44002) and at
most 2500 characters (the emulator answers 87014 "risky content" beyond, as
v1 did), ``media_type`` 1 or 2 and ``media_url`` present (40097).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state, verdict
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

router = QuotaRouter()

_RECENT = 2 * 3600


def _trace_id() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def _checked_user(emu: Emulator, app: AppState, body: dict[str, Any]) -> str:
    if body.get("version") != 2 or body.get("scene") not in (1, 2, 3, 4):
        raise WeChatAPIError(40129, "invalid scene")
    openid = as_text(body.get("openid"))
    user = miniprogram_state(app).users.get(openid)
    if user is None:
        raise WeChatAPIError(40003, "invalid openid")
    if emu.now() - user.get("last_seen", emu.now()) > _RECENT:
        raise WeChatAPIError(61010, "user is not in session: no visit in the last two hours")
    return openid


@router.route("POST", "/wxa/msg_sec_check")
def msg_sec_check(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Check a text; answer the configured verdict."""
    app, body = calling_app(req), json_object(req)
    _checked_user(emu, app, body)
    content = body.get("content")
    if not isinstance(content, str) or not content:
        raise WeChatAPIError(44002, "empty post data")
    if len(content) > 2500:
        raise WeChatAPIError(87014, "risky content")
    text = "\n".join(as_text(body.get(name)) for name in ("content", "title", "nickname", "signature"))
    suggest, label, keyword = verdict(app, text)
    details: list[dict[str, Any]] = [
        {
            "strategy": "content_model",
            "errcode": 0,
            "suggest": suggest,
            "label": label,
            "prob": 90 if label != 100 else 0,
        }
    ]
    if keyword:
        details.append(
            {"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label, "level": 20, "keyword": keyword}
        )
    return ok(trace_id=_trace_id(), result={"suggest": suggest, "label": label}, detail=details)


@router.route("POST", "/wxa/media_check_async")
def media_check_async(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Accept a media check; its verdict is kept for the test to push."""
    app, body = calling_app(req), json_object(req)
    openid = _checked_user(emu, app, body)
    url = as_text(body.get("media_url"))
    if not url or body.get("media_type") not in (1, 2):
        raise WeChatAPIError(40097, "invalid args")
    suggest, label, _ = verdict(app, url)
    trace_id = _trace_id()
    miniprogram_state(app).media_checks[trace_id] = {
        "openid": openid,
        "media_url": url,
        "media_type": body["media_type"],
        "scene": body["scene"],
        "result": {"suggest": suggest, "label": label},
    }
    return ok(trace_id=trace_id)
