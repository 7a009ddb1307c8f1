"""Access tokens: ``GET /cgi-bin/token`` and ``POST /cgi-bin/stable_token``.

Semantics (WeChat's documented ones):

* classic: every fetch issues a new token and invalidates the app's previous
  classic token;
* stable: a normal fetch returns the current stable token while it is valid
  (with its remaining ``expires_in``), a ``force_refresh`` fetch issues a new
  one and invalidates the previous stable token; classic and stable tokens do
  not affect each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

router = Router()


def _credentials(emu: Emulator, appid: Any, secret: Any, grant_type: Any) -> AppState:
    if grant_type != "client_credential":
        raise WeChatAPIError(40002, "invalid grant_type")
    app = emu.apps.get(str(appid or ""))
    if app is None:
        raise WeChatAPIError(40013, "invalid appid")
    if secret != app.secret:
        raise WeChatAPIError(40125, "invalid appsecret")
    return app


@router.route("GET", "/cgi-bin/token", auth=False)
def classic_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Issue a new classic token, invalidating the previous one."""
    q = req.query
    app = _credentials(emu, q.get("appid"), q.get("secret"), q.get("grant_type"))
    token = emu.issue_token(app, kind="classic")
    return {"access_token": token, "expires_in": emu.token_lifetime}


@router.route("POST", "/cgi-bin/stable_token", auth=False)
def stable_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Return the current stable token, or a new one when absent, expired or ``force_refresh``."""
    app = _credentials(emu, req.field("appid"), req.field("secret"), req.field("grant_type"))
    force = req.field("force_refresh", False) is True
    current = app.stable_token
    if current is not None and not force:
        remaining = int(emu.tokens[current][1] - emu.now())
        if remaining > 0:
            return {"access_token": current, "expires_in": remaining}
    token = emu.issue_token(app, kind="stable")
    return {"access_token": token, "expires_in": emu.token_lifetime}
