"""Emulator routes for the ``qrcode`` API group: parametric QR codes.

``POST /cgi-bin/qrcode/create`` issues a ticket kept in
``app.data["qrcode"]["tickets"]`` (ticket -> ``{"action_name", "scene",
"expire_at"}``; ``expire_at`` is ``None`` for permanent codes).
``GET /cgi-bin/showqrcode?ticket=`` (no access token, like
mp.weixin.qq.com) answers a small PNG labelled ``image/jpg`` as WeChat does,
or HTTP 404 for an unknown or expired ticket.

Checks: an unknown ``action_name`` answers 40052; a ``scene_id`` outside
1..2**32-1 (temporary) or 1..100000 (permanent), or a ``scene_str`` outside
1..64 characters, 40053. ``expire_seconds`` defaults to 60 and is capped at
2592000 (30 days).
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, EmulatorResponse, QuotaRouter, WeChatAPIError, calling_app

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

MAX_EXPIRE_SECONDS = 2_592_000
DEFAULT_EXPIRE_SECONDS = 60
PERMANENT_SCENE_IDS = 100_000
#: action_name -> (permanent, scene key)
ACTIONS = {
    "QR_SCENE": (False, "scene_id"),
    "QR_STR_SCENE": (False, "scene_str"),
    "QR_LIMIT_SCENE": (True, "scene_id"),
    "QR_LIMIT_STR_SCENE": (True, "scene_str"),
}
#: The PNG signature: what ``showqrcode`` bodies start with.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

router = QuotaRouter()


def _valid_scene(key: str, value: Any, permanent: bool) -> bool:
    if key == "scene_str":
        return isinstance(value, str) and 1 <= len(value) <= 64
    top = PERMANENT_SCENE_IDS if permanent else 2**32 - 1
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= top


@router.route("POST", "/cgi-bin/qrcode/create")
def create(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Issue a QR code ticket."""
    app = calling_app(req)
    action = req.field("action_name")
    if action not in ACTIONS:
        raise WeChatAPIError(40052, "invalid action name")
    permanent, key = ACTIONS[action]
    info = req.field("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    value = scene.get(key) if isinstance(scene, dict) else None
    if not _valid_scene(key, value, permanent):
        raise WeChatAPIError(40053, "invalid action info, please check document")
    number = emu.next_id()
    # base64 with '+', '/' and '=' padding: callers must URL-encode it, as WeChat's tickets need.
    raw = b"\xfb\xff\xbf" + f"{app.appid}:{number}".encode()
    raw += b"." * ((1 - len(raw)) % 3)
    ticket = base64.b64encode(raw).decode("ascii")
    code = hashlib.sha256(ticket.encode()).hexdigest()[:20]
    body: dict[str, Any] = {"ticket": ticket, "url": f"http://weixin.qq.com/q/{code}"}
    expire_at = None
    if not permanent:
        seconds = req.field("expire_seconds", DEFAULT_EXPIRE_SECONDS)
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
            seconds = DEFAULT_EXPIRE_SECONDS
        seconds = min(seconds, MAX_EXPIRE_SECONDS)
        body["expire_seconds"] = seconds
        expire_at = emu.now() + seconds
    tickets = app.data.setdefault("qrcode", {}).setdefault("tickets", {})
    tickets[ticket] = {"action_name": action, "scene": {key: value}, "expire_at": expire_at}
    return body


@router.route("GET", "/cgi-bin/showqrcode", auth=False)
def show(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The image of a ticket (HTTP 404 if unknown or expired)."""
    ticket = req.query.get("ticket", "")
    for app in list(emu.apps.values()):
        entry = app.data.get("qrcode", {}).get("tickets", {}).get(ticket)
        if entry is not None and (entry["expire_at"] is None or emu.now() < entry["expire_at"]):
            image = PNG_SIGNATURE + hashlib.sha256(ticket.encode()).digest()
            return EmulatorResponse(200, image, "image/jpg", {"Cache-control": "max-age=604800"})
    return EmulatorResponse(404, b"<html><body>404 Not Found</body></html>", "text/html")
