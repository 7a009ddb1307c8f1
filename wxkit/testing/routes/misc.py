"""Emulator routes for the ``misc`` API group: platform IPs, the callback check, API quotas and rids.

Endpoints: ``GET /cgi-bin/get_api_domain_ip``, ``GET /cgi-bin/getcallbackip``,
``POST /cgi-bin/callback/check``, ``POST /cgi-bin/clear_quota``,
``POST /cgi-bin/openapi/quota/get`` and ``POST /cgi-bin/openapi/rid/get``.

Quota accounting (:func:`wxkit.testing.routes.charge`, used by every
:class:`~wxkit.testing.routes.QuotaRouter`): every token-checked call counts
one in ``app.quota[path]`` (the full API path, e.g.
``"/cgi-bin/message/template/send"``); when ``app.quota_limits[path]`` is set
and already reached, the call answers 45009 without running.
``openapi/quota/get`` reports a path's counter (``cgi_path``) and
``clear_quota`` resets every counter (10 times per calendar month, then 48006).

State in ``app.data["misc"]``: ``api_domain_ips``, ``callback_ips`` (lists of
IPs), ``callback_url`` (``None`` answers 40201 to the callback check),
``rids`` (rid -> request details, seeded with :func:`add_rid`) and
``quota_clears`` (month -> count).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...pay.dates import china_date
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, ok

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["add_rid", "router"]

#: The ``daily_limit`` reported for a path without ``app.quota_limits`` entry.
DEFAULT_DAILY_LIMIT = 100_000
#: Quota resets allowed per calendar month (WeChat: 10).
MONTHLY_CLEARS = 10
_RID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")
_ACTIONS = frozenset({"dns", "ping", "all"})
_OPERATORS = frozenset({"CHINANET", "UNICOM", "CAP", "DEFAULT"})


router = QuotaRouter()


def _state(app: AppState) -> dict[str, Any]:
    state: dict[str, Any] = app.data.setdefault("misc", {})
    state.setdefault("api_domain_ips", ["203.0.113.10", "203.0.113.11"])
    state.setdefault("callback_ips", ["198.51.100.20", "198.51.100.21"])
    state.setdefault("callback_url", "https://bot.example.com/wechat")
    state.setdefault("rids", {})
    state.setdefault("quota_clears", {})
    return state


def add_rid(app: AppState, rid: str, **request: Any) -> None:
    """Make ``rid`` known to ``openapi/rid/get``, with ``request`` as its details (``request_url``...)."""
    details = {
        "invoke_time": 0,
        "cost_in_ms": 0,
        "request_url": "",
        "request_body": "",
        "response_body": "",
        "client_ip": "127.0.0.1",
    }
    details.update(request)
    _state(app)["rids"][rid] = details


@router.route("GET", "/cgi-bin/get_api_domain_ip")
def api_domain_ips(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The IPs of api.weixin.qq.com."""
    return {"ip_list": list(_state(calling_app(req))["api_domain_ips"])}


@router.route("GET", "/cgi-bin/getcallbackip")
def callback_ips(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The IPs WeChat pushes from."""
    return {"ip_list": list(_state(calling_app(req))["callback_ips"])}


@router.route("POST", "/cgi-bin/callback/check")
def callback_check(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Resolve and ping the callback URL (always reachable in the emulator)."""
    action, operator = req.field("action"), req.field("check_operator")
    if action not in _ACTIONS:
        raise WeChatAPIError(40202, "invalid action")
    if operator not in _OPERATORS:
        raise WeChatAPIError(40203, "invalid check_operator")
    state = _state(calling_app(req))
    if not state["callback_url"]:
        raise WeChatAPIError(40201, "invalid url")
    ips = state["callback_ips"][:1] or ["198.51.100.20"]
    real = "CAP" if operator == "DEFAULT" else operator
    result: dict[str, Any] = {}
    if action in ("dns", "all"):
        result["dns"] = [{"ip": ip, "real_operator": real} for ip in ips]
    if action in ("ping", "all"):
        result["ping"] = [{"ip": ip, "from_operator": real, "package_loss": "0%", "time": "1.000ms"} for ip in ips]
    return result


@router.route("POST", "/cgi-bin/clear_quota")
def clear_quota(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Reset every quota counter of the app (``MONTHLY_CLEARS`` times a month)."""
    app = calling_app(req)
    if not req.field("appid"):
        raise WeChatAPIError(41002, "appid missing")
    if req.field("appid") != app.appid:
        raise WeChatAPIError(40013, "invalid appid")
    month = china_date(emu.now()).strftime("%Y-%m")  # WeChat's months are China time
    clears = _state(app)["quota_clears"]
    if clears.get(month, 0) >= MONTHLY_CLEARS:
        raise WeChatAPIError(48006, "forbid to clear quota because of reaching the limit")
    clears[month] = clears.get(month, 0) + 1
    app.quota.clear()
    return ok()


@router.route("POST", "/cgi-bin/openapi/quota/get")
def quota_get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Report the daily limit, use and remainder of one API path."""
    app = calling_app(req)
    path = req.field("cgi_path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise WeChatAPIError(76003, "invalid cgi_path, must start with /")
    if not any(known == path for _, known in emu._routes):
        raise WeChatAPIError(76021, "cgi_path not found, please check")
    limit = app.quota_limits.get(path, DEFAULT_DAILY_LIMIT)
    used = app.quota[path]
    return ok(
        quota={"daily_limit": limit, "used": used, "remain": max(limit - used, 0)},
        rate_limit={"call_count": limit, "refresh_second": 86400},
        component_rate_limit={"call_count": limit, "refresh_second": 86400},
    )


@router.route("POST", "/cgi-bin/openapi/rid/get")
def rid_get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The details of a request by its rid (rids seeded with :func:`add_rid`)."""
    rid = req.field("rid")
    if not isinstance(rid, str) or not _RID.match(rid):
        raise WeChatAPIError(76002, "rid is error")
    details = _state(calling_app(req))["rids"].get(rid)
    if details is None:
        raise WeChatAPIError(76001, "rid not found")
    return ok(request=dict(details))
