"""Access tokens: ``GET /cgi-bin/token`` and ``POST /cgi-bin/stable_token``.

Semantics (WeChat's documented ones):

* classic: every fetch issues a new token; the app's previous classic token
  keeps working for ``emu.token_overlap`` seconds (WeChat: "within 5 minutes
  both the new and the old access_token work"), then answers 40001;
* stable: a normal fetch returns the current stable token (with its remaining
  ``expires_in``) until its last ``token_overlap`` seconds; a normal fetch in
  those issues a new one, the old one working until its own expiry ("the
  platform renews the access_token 5 minutes early", so ``expires_in`` is
  never below 300 s). A ``force_refresh`` fetch issues a new one and kills the
  previous one at once ("会导致上次获取的 access_token 失效"). With a
  ``token_lifetime`` shorter than twice the overlap, the early renewal starts
  at half the lifetime instead.

Classic and stable tokens do not affect each other. A third-party
platform's appid (:meth:`Emulator.add_component`) answers 61024: it gets its
token from ``api_component_token`` (:mod:`wxkit.testing.routes.component`).
:meth:`Emulator.invalidate_tokens` kills every token of an app at once.
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
    if app is None and str(appid or "") in emu.components:
        raise WeChatAPIError(61024, "must use api(api_component_token) to get token for component acct")
    if app is None:
        raise WeChatAPIError(40013, "invalid appid")
    if secret != app.secret:
        raise WeChatAPIError(40125, "invalid appsecret")
    return app


@router.route("GET", "/cgi-bin/token", auth=False)
def classic_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Issue a new classic token; the previous one works ``emu.token_overlap`` seconds more."""
    q = req.query
    app = _credentials(emu, q.get("appid"), q.get("secret"), q.get("grant_type"))
    token = emu.issue_token(app, kind="classic")
    return {"access_token": token, "expires_in": emu.token_lifetime}


@router.route("POST", "/cgi-bin/stable_token", auth=False)
def stable_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The current stable token; a new one when absent, in its last minutes, or ``force_refresh``."""
    app = _credentials(emu, req.field("appid"), req.field("secret"), req.field("grant_type"))
    force = req.field("force_refresh", False) is True
    with emu.lock:  # two fetches in the renewal window must not both renew
        current = app.stable_token
        entry = emu.tokens.get(current) if current is not None else None
        if entry is not None and not force:
            remaining = entry[1] - emu.now()
            if remaining > min(emu.token_overlap, emu.token_lifetime // 2):
                return {"access_token": current, "expires_in": int(remaining)}
        token = emu.issue_token(app, kind="stable", kill_previous=force)
    return {"access_token": token, "expires_in": emu.token_lifetime}
