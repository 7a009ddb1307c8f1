"""Emulator routes for the mini-program ``wxacode`` group: codes answered as images, errors as JSON.

* ``POST /wxa/getwxacode`` and ``POST /cgi-bin/wxaapp/createwxaqrcode`` -
  ``path`` of 1-1024 characters (40159 otherwise); together at most
  ``state.code_limit`` codes per app (45029 after; 100,000 by default).
* ``POST /wxa/getwxacodeunlimit`` - ``scene`` of 1-32 characters among
  digits, letters and ``!#$&'()*+,/:;=?@-._~`` (40169 otherwise); ``page``
  must be a published page (``state.pages``, see
  :func:`wxkit.testing.miniprogram.set_pages`) unless ``check_path`` is
  false (41030 otherwise); ``env_version`` ``release`` / ``trial`` /
  ``develop`` (40097 otherwise).

``width`` outside 280-1280 is clamped, as WeChat does. Success answers a
small JPEG (``image/jpeg``), or a PNG with ``is_hyaline``; every code made is
recorded in ``state.wxacodes`` (the endpoint, the body and the image).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state
from . import EmulatorRequest, EmulatorResponse, QuotaRouter, WeChatAPIError, calling_app, json_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["JPEG_SIGNATURE", "PNG_SIGNATURE", "router"]

router = QuotaRouter()

#: What the JPEG answers start with.
JPEG_SIGNATURE = b"\xff\xd8\xff\xe0"
#: What the PNG answers (``is_hyaline``) start with.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SCENE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")


def _image(app: AppState, api: str, body: dict[str, Any]) -> EmulatorResponse:
    width = body.get("width", 430)
    if not isinstance(width, int) or isinstance(width, bool):
        width = 430
    body = dict(body, width=min(max(width, 280), 1280))
    digest = hashlib.sha256(repr(sorted(body.items(), key=str)).encode()).digest()
    hyaline = body.get("is_hyaline") is True
    image = (PNG_SIGNATURE if hyaline else JPEG_SIGNATURE) + digest
    miniprogram_state(app).wxacodes.append({"api": api, "body": body, "image": image})
    return EmulatorResponse(200, image, "image/png" if hyaline else "image/jpeg")


def _limited(app: AppState, req: EmulatorRequest, api: str) -> EmulatorResponse:
    body = json_object(req)
    path = body.get("path")
    if not isinstance(path, str) or not 1 <= len(path) <= 1024:
        raise WeChatAPIError(40159, "invalid length for path, or the data is not json string")
    state = miniprogram_state(app)
    if sum(1 for code in state.wxacodes if code["api"] != "/wxa/getwxacodeunlimit") >= state.code_limit:
        raise WeChatAPIError(45029, "qrcode count out of limit")
    return _image(app, api, body)


@router.route("POST", "/wxa/getwxacode")
def getwxacode(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """A limited mini-program code for a path."""
    return _limited(calling_app(req), req, "/wxa/getwxacode")


@router.route("POST", "/cgi-bin/wxaapp/createwxaqrcode")
def createwxaqrcode(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """A limited square QR code for a path."""
    return _limited(calling_app(req), req, "/cgi-bin/wxaapp/createwxaqrcode")


@router.route("POST", "/wxa/getwxacodeunlimit")
def getwxacodeunlimit(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """An unlimited mini-program code carrying a scene."""
    app, body = calling_app(req), json_object(req)
    scene = body.get("scene")
    if not isinstance(scene, str) or not _SCENE.fullmatch(scene):
        raise WeChatAPIError(40169, "invalid length for scene, or the data is not json string")
    env = body.get("env_version", "release")
    if env not in ("release", "trial", "develop"):
        raise WeChatAPIError(40097, "invalid args")
    page = body.get("page")
    pages = miniprogram_state(app).pages
    if page is not None and body.get("check_path", True) is not False and pages is not None and page not in pages:
        raise WeChatAPIError(41030, "invalid page")
    return _image(app, "/wxa/getwxacodeunlimit", body)
