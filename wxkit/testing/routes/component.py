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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..open import calling_component, check_verify_ticket, issue_component_token, new_refresh_token
from . import EmulatorRequest, Router, WeChatAPIError, as_text, json_object

if TYPE_CHECKING:
    from ..emulator import Emulator

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
        authorizer.token_fetches += 1
        return {
            "authorizer_access_token": token,
            "expires_in": emu.token_lifetime,
            "authorizer_refresh_token": authorizer.refresh_token,
        }
