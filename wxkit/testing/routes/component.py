"""Open-platform tokens: ``api_component_token`` and ``api_authorizer_token`` (on the ``api`` site).

* ``POST /cgi-bin/component/api_component_token`` with ``component_appid``,
  ``component_appsecret`` and ``component_verify_ticket``: a new
  ``component_access_token`` (see :mod:`wxkit.testing.open`). Errcodes:
  41002 appid missing, 40013 invalid appid, 41004 appsecret missing, 40125
  invalid appsecret, 61006 ticket invalid (or missing), 61005 ticket expired.
* ``POST /cgi-bin/component/api_authorizer_token?component_access_token=...``
  (``access_token=`` is accepted too, as WeChat's newer docs write it) with
  ``component_appid``, ``authorizer_appid`` and ``authorizer_refresh_token``:
  a new ``authorizer_access_token`` and the refresh token. Errcodes: the
  component token's (41001 / 40001 / 42001), 61011 a ``component_appid``
  other than the token's platform, 61003 an account that has not authorized
  the platform, 61023 a refresh token that is not the authorizer's current one.
* ``POST /cgi-bin/component/api_create_preauthcode``: ``pre_auth_code`` and
  ``expires_in`` (1800).
* ``POST /cgi-bin/component/api_query_auth`` with ``component_appid`` and
  ``authorization_code``: ``authorization_info`` (``authorizer_appid``, a new
  ``authorizer_access_token``, ``expires_in``, ``authorizer_refresh_token``,
  ``func_info``); 61009 code invalid or spent, 61010 code expired.
* ``POST /cgi-bin/component/api_get_authorizer_info``: ``authorizer_info``
  and ``authorization_info`` (61003 for an account that has not authorized).
* ``POST /cgi-bin/component/api_get_authorizer_option`` /
  ``api_set_authorizer_option``: options kept per authorizer.
* ``POST /cgi-bin/component/api_get_authorizer_list``: ``total_count`` and a
  page of ``list`` (``offset`` / ``count`` up to 500, else 40097).
* ``GET /sns/component/jscode2session`` and
  ``GET /sns/oauth2/component/access_token`` (``appid``, the code,
  ``grant_type=authorization_code``, ``component_appid``,
  ``component_access_token``): mini-program login and web OAuth on behalf of
  an authorizer, with the codes and errcodes of the account's own endpoints
  (40029 invalid, 40163 used), 61003 for an account that has not authorized.
* ``GET /cgi-bin/componentloginpage`` (the PC page, ``mp.weixin.qq.com``'s
  path) and ``GET /wxaopen/safe/bindcomponent`` (the mobile page,
  ``open.weixin.qq.com``'s path), both on the ``api`` listener: the
  authorization page, "clicked" by requesting it. Query: ``component_appid``,
  ``pre_auth_code``, ``redirect_uri`` (+ ``auth_type`` / ``biz_appid``, as
  the real page takes them) and the emulator's own ``emu_authorizer_appid``:
  the account that authorizes (else ``biz_appid``, else the component's
  ``next_authorizer``). It runs :meth:`~wxkit.testing.open.ComponentState.authorize`
  (``authorized`` pushed to the component's ``event_target``) and answers
  302 to ``redirect_uri`` with ``auth_code`` and ``expires_in`` (3600). An
  unknown platform, a missing or refused (unknown, spent, expired)
  ``pre_auth_code``, a ``redirect_uri`` that is not http(s), no account, or
  an ``emu_authorizer_appid`` other than ``biz_appid`` answer a 400 HTML page.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..open import (
    AUTH_CODE_LIFETIME,
    PRE_AUTH_CODE_LIFETIME,
    AuthorizerState,
    ComponentState,
    calling_component,
    check_verify_ticket,
    issue_component_token,
    new_refresh_token,
)
from . import EmulatorRequest, EmulatorResponse, Router, WeChatAPIError, as_text, json_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

router = Router()


@router.route("POST", "/cgi-bin/component/api_component_token", auth=False)
def api_component_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A new component_access_token for a platform with its secret and a valid verify ticket."""
    body = json_object(req)
    appid = as_text(body.get("component_appid"))
    if not appid:
        raise WeChatAPIError(41002, "appid missing")
    component = emu.components.get(appid)
    if component is None:
        raise WeChatAPIError(40013, "invalid appid")
    secret = as_text(body.get("component_appsecret"))
    if not secret:
        raise WeChatAPIError(41004, "appsecret missing")
    if secret != component.secret:
        raise WeChatAPIError(40125, "invalid appsecret")
    check_verify_ticket(emu, component, body.get("component_verify_ticket"))
    token = issue_component_token(emu, component)
    return {"component_access_token": token, "expires_in": emu.token_lifetime}


@router.route("POST", "/cgi-bin/component/api_authorizer_token", auth=False)
def api_authorizer_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A new authorizer_access_token for an account that authorized the calling platform."""
    component = calling_component(emu, req)
    body = json_object(req)
    if as_text(body.get("component_appid")) != component.appid:
        raise WeChatAPIError(61011, "invalid component")
    with emu.lock:
        authorizer = component.authorizers.get(as_text(body.get("authorizer_appid")))
        if authorizer is None:
            raise WeChatAPIError(61003, "component is not authorized by this account")
        if as_text(body.get("authorizer_refresh_token")) != authorizer.refresh_token:
            raise WeChatAPIError(61023, "refresh_token is invalid")
        if authorizer.rotate_refresh_token:
            new_refresh_token(authorizer)
        token = emu.issue_token(authorizer.app, kind="authorizer")
        authorizer.issued.append(token)
        authorizer.token_fetches += 1
        return {
            "authorizer_access_token": token,
            "expires_in": emu.token_lifetime,
            "authorizer_refresh_token": authorizer.refresh_token,
        }


def _component_call(emu: Emulator, req: EmulatorRequest) -> tuple[ComponentState, dict[str, Any]]:
    """The calling platform and the JSON body; 61011 for a ``component_appid`` other than the token's."""
    component = calling_component(emu, req)
    body = json_object(req)
    if as_text(body.get("component_appid")) != component.appid:
        raise WeChatAPIError(61011, "invalid component")
    return component, body


def _authorizer(component: ComponentState, body: dict[str, Any]) -> AuthorizerState:
    authorizer = component.authorizers.get(as_text(body.get("authorizer_appid")))
    if authorizer is None:
        raise WeChatAPIError(61003, "component is not authorized by this account")
    return authorizer


_FUNC_INFO = [{"funcscope_category": {"id": n}} for n in (1, 2, 3, 4, 7, 11)]


@router.route("POST", "/cgi-bin/component/api_create_preauthcode", auth=False)
def api_create_preauthcode(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A pre-auth code for the authorization page."""
    component, _ = _component_call(emu, req)
    return {"pre_auth_code": component.new_pre_auth_code(), "expires_in": PRE_AUTH_CODE_LIFETIME}


@router.route("POST", "/cgi-bin/component/api_query_auth", auth=False)
def api_query_auth(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Spend an authorization code: the authorizer's first access token and its refresh token."""
    component, body = _component_call(emu, req)
    authorizer = component.redeem_auth_code(as_text(body.get("authorization_code")))
    with emu.lock:
        token = emu.issue_token(authorizer.app, kind="authorizer")
        authorizer.issued.append(token)
        authorizer.token_fetches += 1
        return {
            "authorization_info": {
                "authorizer_appid": authorizer.appid,
                "authorizer_access_token": token,
                "expires_in": emu.token_lifetime,
                "authorizer_refresh_token": authorizer.refresh_token,
                "func_info": _FUNC_INFO,
            }
        }


@router.route("POST", "/cgi-bin/component/api_get_authorizer_info", auth=False)
def api_get_authorizer_info(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An authorizer's profile (emulated values) and grants."""
    component, body = _component_call(emu, req)
    with emu.lock:
        authorizer = _authorizer(component, body)
        return {
            "authorizer_info": {
                "nick_name": f"account {authorizer.appid}",
                "user_name": component.user_name(authorizer.appid),
                "service_type_info": {"id": 2},
                "verify_type_info": {"id": 0},
                "principal_name": "emulated company",
            },
            "authorization_info": {
                "authorizer_appid": authorizer.appid,
                "authorizer_refresh_token": authorizer.refresh_token,
                "func_info": _FUNC_INFO,
            },
        }


_OPTIONS = {"location_report": "0", "voice_recognize": "0", "customer_service": "0"}


@router.route("POST", "/cgi-bin/component/api_get_authorizer_option", auth=False)
def api_get_authorizer_option(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An authorizer option (an unknown option name answers 40097)."""
    component, body = _component_call(emu, req)
    name = as_text(body.get("option_name"))
    with emu.lock:
        authorizer = _authorizer(component, body)
        if name not in _OPTIONS:
            raise WeChatAPIError(40097, "invalid args")
        value = component.data.setdefault("options", {}).get((authorizer.appid, name), _OPTIONS[name])
        return {"authorizer_appid": authorizer.appid, "option_name": name, "option_value": value}


@router.route("POST", "/cgi-bin/component/api_set_authorizer_option", auth=False)
def api_set_authorizer_option(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Set an authorizer option."""
    component, body = _component_call(emu, req)
    name, value = as_text(body.get("option_name")), as_text(body.get("option_value"))
    with emu.lock:
        authorizer = _authorizer(component, body)
        if name not in _OPTIONS or not value:
            raise WeChatAPIError(40097, "invalid args")
        component.data.setdefault("options", {})[(authorizer.appid, name)] = value
        return {}


@router.route("POST", "/cgi-bin/component/api_get_authorizer_list", auth=False)
def api_get_authorizer_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The platform's authorizers, ``offset`` / ``count`` (at most 500; 40097 otherwise) at a time."""
    component, body = _component_call(emu, req)
    offset, count = body.get("offset", 0), body.get("count")
    if not isinstance(offset, int) or not isinstance(count, int) or offset < 0 or not 1 <= count <= 500:
        raise WeChatAPIError(40097, "invalid args")
    with emu.lock:
        everyone = list(component.authorizers.values())
        page = [
            {"authorizer_appid": a.appid, "refresh_token": a.refresh_token, "auth_time": 1_700_000_000}
            for a in everyone[offset : offset + count]
        ]
        return {"total_count": len(everyone), "list": page}


def _sns_authorizer(emu: Emulator, req: EmulatorRequest) -> AppState:
    """The authorizer an ``/sns/`` component call acts for (the component token in ``component_access_token``)."""
    component = calling_component(emu, req)
    q = req.query
    if q.get("component_appid") != component.appid:
        raise WeChatAPIError(61011, "invalid component")
    if q.get("grant_type") != "authorization_code":
        raise WeChatAPIError(40002, "invalid grant_type")
    with emu.lock:
        authorizer = component.authorizers.get(q.get("appid", ""))
        if authorizer is None:
            raise WeChatAPIError(61003, "component is not authorized by this account")
        return authorizer.app


@router.route("GET", "/sns/component/jscode2session", auth=False)
def component_jscode2session(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Mini-program login on behalf of an authorizer: a ``js_code`` from ``emu.miniprogram_login`` (once)."""
    from ..miniprogram import miniprogram_state

    app = _sns_authorizer(emu, req)
    code = req.query.get("js_code", "")
    if not code:
        raise WeChatAPIError(41008, "missing code")
    with emu.lock:
        state = miniprogram_state(app)
        entry = state.codes.get(code)
        if entry is None or emu.now() >= entry["expires_at"]:
            raise WeChatAPIError(40029, "invalid code")
        if entry["used"]:
            raise WeChatAPIError(40163, "code been used")
        entry["used"] = True
        user = state.users[entry["openid"]]
        answer: dict[str, Any] = {"session_key": user["session_key"], "openid": user["openid"]}
        if user.get("unionid"):
            answer["unionid"] = user["unionid"]
        return answer


@router.route("GET", "/sns/oauth2/component/access_token", auth=False)
def component_oauth_access_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Web OAuth on behalf of an official account: a code from ``/connect/oauth2/authorize`` (once, 5 minutes)."""
    from .oauth import CODE_LIFETIME, _issue, _store

    app = _sns_authorizer(emu, req)
    code = req.query.get("code", "")
    if not code:
        raise WeChatAPIError(41008, "missing code")
    with emu.lock:
        entry = _store(app, "oauth_codes").get(code)
        if entry is None or emu.now() - entry["issued_at"] >= CODE_LIFETIME:
            raise WeChatAPIError(40029, "invalid code")
        if entry["used"]:
            raise WeChatAPIError(40163, "code been used")
        entry["used"] = True
        return _issue(emu, app, entry["openid"], entry["scope"])


def _page_error(message: str) -> EmulatorResponse:
    """The authorization page refusing the request: a 400 HTML page."""
    page = f"<!DOCTYPE html><html><body><p>{html.escape(message)}</p></body></html>"
    return EmulatorResponse(400, page.encode(), "text/html; charset=utf-8")


def _authorization_page(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The authorization page "clicked": authorize, push ``authorized``, redirect with the auth code."""
    q = req.query
    component = emu.components.get(q.get("component_appid", ""))
    if component is None:
        return _page_error("unknown component_appid")
    redirect_uri = q.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        return _page_error("redirect_uri must be an http(s) URL")
    pre_auth_code = q.get("pre_auth_code", "")
    if not pre_auth_code:
        return _page_error("pre_auth_code missing")
    biz_appid = q.get("biz_appid", "")
    appid = q.get("emu_authorizer_appid") or biz_appid or component.next_authorizer or ""
    if not appid:
        return _page_error("no account authorizes: pass emu_authorizer_appid (or set next_authorizer)")
    if biz_appid and appid != biz_appid:
        return _page_error("this page only lets biz_appid authorize")
    try:
        code = component.authorize(appid, component.event_target, pre_auth_code=pre_auth_code)
    except ValueError as exc:
        return _page_error(str(exc))
    query = urlencode({"auth_code": code, "expires_in": AUTH_CODE_LIFETIME})
    location = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"
    return EmulatorResponse(302, b"", "text/plain; charset=utf-8", {"Location": location})


@router.route("GET", "/cgi-bin/componentloginpage", auth=False)
def componentloginpage(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The PC authorization page (an admin scans its QR code): see the module docstring."""
    return _authorization_page(emu, req)


@router.route("GET", "/wxaopen/safe/bindcomponent", auth=False)
def bindcomponent(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The mobile authorization page (opened inside WeChat): see the module docstring."""
    return _authorization_page(emu, req)
