"""Emulator routes for the mini-program ``links`` group: URL Scheme, NFC Scheme, URL Link, Short Link.

Generated links are kept in the app's :class:`~wxkit.testing.miniprogram.MiniProgramState`
(``schemes``, ``url_links``, ``short_links``) and can be queried:

* ``POST /wxa/generatescheme`` / ``/wxa/generatenfcscheme`` answer an
  ``openlink`` ``weixin://dl/business/?t=...``; ``POST /wxa/generate_urllink``
  a ``url_link`` ``https://wxaurl.cn/...``. Expiry: ``expire_type`` 0 needs an
  ``expire_time`` within 30 days of now, ``expire_type`` 1 an
  ``expire_interval`` of 1-30 days (85401 otherwise); without either a link
  lasts 30 days (permanent links are no longer issued). A ``path`` that is not
  a published page (``state.pages``) answers 40165, a ``query`` over 1024
  characters 40212, an ``env_version`` other than release / trial / develop
  40097; NFC schemes need a ``model_id`` (40097).
* ``POST /wxa/queryscheme`` / ``/wxa/query_urllink`` answer ``scheme_info`` /
  ``url_link_info`` and ``quota_info``; an unknown link answers 40097 (the
  emulator's choice: WeChat's docs list no errcode for it).
* ``POST /wxa/genwxashortlink`` answers a ``link`` ``#小程序://<appid>/<code>``;
  ``page_url`` of 1-1024 characters (40066 otherwise), ``page_title`` at
  most 40 (40097).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok, require_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

router = QuotaRouter()

_MAX_DAYS = 30
_DAY = 86400
#: ``quota_info`` answered by the queries (WeChat's daily limits).
_QUOTA = {"remain_visit_quota": 3_000_000}


def _expiry(emu: Emulator, body: dict[str, Any]) -> int:
    now = int(emu.now())
    kind = body.get("expire_type", 0 if "expire_time" in body else (1 if "expire_interval" in body else None))
    if kind is None:
        return now + _MAX_DAYS * _DAY
    if kind == 0:
        at = body.get("expire_time")
        if not isinstance(at, int) or isinstance(at, bool) or not now + 60 <= at <= now + _MAX_DAYS * _DAY:
            raise WeChatAPIError(85401, "invalid expire_time: between 1 minute and 30 days from now")
        return at
    if kind == 1:
        days = body.get("expire_interval")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= _MAX_DAYS:
            raise WeChatAPIError(85401, "invalid expire_interval: 1-30 days")
        return now + days * _DAY
    raise WeChatAPIError(40097, "invalid args: expire_type")


def _target(app: AppState, jump: dict[str, Any]) -> dict[str, Any]:
    path, query, env = jump.get("path", ""), jump.get("query", ""), jump.get("env_version", "release")
    pages = miniprogram_state(app).pages
    if not isinstance(path, str) or "?" in path or (path and pages is not None and path not in pages):
        raise WeChatAPIError(40165, "invalid weapp pagepath")
    if not isinstance(query, str) or len(query) > 1024:
        raise WeChatAPIError(40212, "invalid query")
    if env not in ("release", "trial", "develop"):
        raise WeChatAPIError(40097, "invalid args: env_version")
    return {"appid": app.appid, "path": path, "query": query, "env_version": env}


@router.route("POST", "/wxa/generatescheme")
def generatescheme(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An encrypted URL Scheme."""
    app, body = calling_app(req), json_object(req)
    info = _target(app, require_object(body.get("jump_wxa", {}), "jump_wxa"))
    info |= {"create_time": int(emu.now()), "expire_time": _expiry(emu, body)}
    openlink = f"weixin://dl/business/?t={secrets.token_urlsafe(8)}"
    miniprogram_state(app).schemes[openlink] = info
    return ok(openlink=openlink)


@router.route("POST", "/wxa/generatenfcscheme")
def generatenfcscheme(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A URL Scheme for an NFC tag."""
    app, body = calling_app(req), json_object(req)
    if not as_text(body.get("model_id")):
        raise WeChatAPIError(40097, "invalid args: model_id")
    info = _target(app, require_object(body.get("jump_wxa", {}), "jump_wxa"))
    info |= {"create_time": int(emu.now()), "expire_time": 0, "model_id": body["model_id"], "sn": body.get("sn", "")}
    openlink = f"weixin://dl/business/?t={secrets.token_urlsafe(8)}"
    miniprogram_state(app).schemes[openlink] = info
    return ok(openlink=openlink)


@router.route("POST", "/wxa/queryscheme")
def queryscheme(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """What a scheme opens."""
    app, body = calling_app(req), json_object(req)
    scheme = as_text(body.get("scheme")).split("&cq=", 1)[0]
    info = miniprogram_state(app).schemes.get(scheme)
    if info is None:
        raise WeChatAPIError(40097, "invalid args: unknown scheme")
    public = {k: info[k] for k in ("appid", "path", "query", "create_time", "expire_time", "env_version")}
    return ok(scheme_info=public, quota_info=dict(_QUOTA))


@router.route("POST", "/wxa/generate_urllink")
def generate_urllink(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An encrypted URL Link."""
    app, body = calling_app(req), json_object(req)
    info = _target(app, body)
    info |= {"create_time": int(emu.now()), "expire_time": _expiry(emu, body)}
    info["cloud_base"] = body.get("cloud_base") or {
        "env": "",
        "domain": "",
        "path": "",
        "query": "",
        "resource_appid": "",
    }
    url_link = f"https://wxaurl.cn/{secrets.token_urlsafe(8)}"
    miniprogram_state(app).url_links[url_link] = info
    return ok(url_link=url_link)


@router.route("POST", "/wxa/query_urllink")
def query_urllink(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """What a URL Link opens."""
    app, body = calling_app(req), json_object(req)
    link = as_text(body.get("url_link")).split("?", 1)[0]
    info = miniprogram_state(app).url_links.get(link)
    if info is None:
        raise WeChatAPIError(40097, "invalid args: unknown url_link")
    return ok(url_link_info=dict(info), quota_info=dict(_QUOTA), visit_openid="")


@router.route("POST", "/wxa/genwxashortlink")
def genwxashortlink(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A Short Link to share inside WeChat."""
    app, body = calling_app(req), json_object(req)
    page_url, title = body.get("page_url"), body.get("page_title", "")
    if not isinstance(page_url, str) or not 1 <= len(page_url) <= 1024:
        raise WeChatAPIError(40066, "invalid url")
    if not isinstance(title, str) or len(title) > 40:
        raise WeChatAPIError(40097, "invalid args: page_title")
    link = f"#小程序://{app.appid}/{secrets.token_urlsafe(6)}"
    miniprogram_state(app).short_links[link] = {
        "page_url": page_url,
        "page_title": title,
        "is_permanent": body.get("is_permanent") is True,
        "create_time": int(emu.now()),
    }
    return ok(link=link)
