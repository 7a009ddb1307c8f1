"""Emulator routes for web OAuth (网页授权), including the authorize page itself.

The emulator serves the authorize page at its own URL, so a test can follow
the whole flow: point :class:`wxkit.oauth.OAuth` at the emulator with
``OAuth(appid, secret, base_url=emu.url, open_url=emu.url)``, choose who is
"in the browser" with :func:`set_oauth_user`, then request the authorize URL:
the emulator issues a one-time code for that user and answers a 302 to
``redirect_uri?code=...&state=...`` (only ``state`` when the user declines an
``snsapi_userinfo`` request).

* ``GET /connect/oauth2/authorize`` - 10012 without ``appid``, 40013 for an
  unknown one, 10011 without ``redirect_uri``, 10010 without ``scope``, 10005
  for a scope other than ``snsapi_base`` / ``snsapi_userinfo``, 40097 when
  ``response_type`` is not ``code``; HTTP 409 when no user was set.
* ``GET /sns/oauth2/access_token`` - codes are single-use (40163 when reused)
  and expire after :data:`CODE_LIFETIME` seconds of emulator time (then
  40029, as WeChat answers expired codes; 40029 too for unknown codes), 41008
  without a code, 40013 / 40125 / 40002 for a bad appid / secret / grant_type.
* ``GET /sns/oauth2/refresh_token`` - refresh tokens live 30 days (42002
  after, 40030 when unknown, 41003 when missing); an unexpired access token is
  kept and its lifetime renewed, an expired one is replaced.
* ``GET /sns/userinfo`` - the user's profile; 48001 unless the token has the
  ``snsapi_userinfo`` scope. As on WeChat since 2021-10-20 (the announcement
  of 2021-09-26 covers 公众号H5授权登录), ``sex`` is 0 and ``country`` /
  ``province`` / ``city`` are empty whatever the profile holds (see
  :data:`WITHHELD`); ``nickname`` and ``headimgurl`` are the user's own (the
  2021-12-27 change to ``cgi-bin/user/info`` left web OAuth alone).
* ``GET /sns/auth`` - ``{"errcode": 0}`` for a valid token.

User tokens: 41001 when missing, 40001 when unknown, 42001 when expired,
40003 when the ``openid`` is not the token's. State in ``app.data``:
``"oauth_user"`` (the current openid), ``"oauth_profiles"`` (openid ->
profile), ``"oauth_codes"``, ``"oauth_tokens"``, ``"oauth_refresh_tokens"``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from . import EmulatorRequest, EmulatorResponse, Router, WeChatAPIError, ok

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["CODE_LIFETIME", "REFRESH_LIFETIME", "USER_TOKEN_LIFETIME", "WITHHELD", "router", "set_oauth_user"]

router = Router()

#: Seconds a code can be exchanged after it is issued.
CODE_LIFETIME = 300
#: ``expires_in`` of user access tokens.
USER_TOKEN_LIFETIME = 7200
#: Seconds a refresh token lives (30 days).
REFRESH_LIFETIME = 30 * 86400

#: Profile fields ``/sns/userinfo`` no longer fills (since 2021-10-20), with the value it answers instead.
WITHHELD: dict[str, Any] = {"sex": 0, "country": "", "province": "", "city": ""}

_SCOPES = ("snsapi_base", "snsapi_userinfo")
_PROFILE_FIELDS = ("nickname", "sex", "province", "city", "country", "headimgurl", "privilege", "unionid")


def set_oauth_user(
    app: AppState, openid: str, *, consent: bool = True, snapshot: bool = False, **userinfo: Any
) -> dict[str, Any]:
    """Make ``openid`` the user who opens ``app``'s authorize page from now on; return the profile.

    ``userinfo`` sets profile fields (``nickname``, ``sex``, ``province``,
    ``city``, ``country``, ``headimgurl``, ``privilege``, ``unionid``);
    fields a follower of that openid has are used as defaults. ``sex`` and
    the region are kept in the profile but ``/sns/userinfo`` answers them as
    :data:`WITHHELD`, as WeChat does. ``consent=False``
    makes the user decline ``snsapi_userinfo`` requests (the redirect carries no
    code). ``snapshot=True`` marks the user as WeChat's snapshot-page virtual
    user (``is_snapshotuser: 1`` in token answers).
    """
    profile: dict[str, Any] = {
        "openid": openid,
        "nickname": "",
        "sex": 0,
        "province": "",
        "city": "",
        "country": "",
        "headimgurl": "",
        "privilege": [],
    }
    follower = app.followers.get(openid, {})
    profile.update({k: follower[k] for k in _PROFILE_FIELDS if follower.get(k)})
    profile.update(userinfo)
    app.data["oauth_user"] = openid
    app.data.setdefault("oauth_profiles", {})[openid] = profile
    app.data.setdefault("oauth_declines", set()).discard(openid)
    app.data.setdefault("oauth_snapshot_users", set()).discard(openid)
    if not consent:
        app.data["oauth_declines"].add(openid)
    if snapshot:
        app.data["oauth_snapshot_users"].add(openid)
    return profile


def _store(app: AppState, name: str) -> dict[str, dict[str, Any]]:
    store: dict[str, dict[str, Any]] = app.data.setdefault(name, {})
    return store


def _with_params(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


@router.route("GET", "/connect/oauth2/authorize", auth=False)
def authorize(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The authorize page: issue a code for the current user and redirect back."""
    q = req.query
    appid = q.get("appid", "")
    if not appid:
        raise WeChatAPIError(10012, "appid missing")
    app = emu.apps.get(appid)
    if app is None:
        raise WeChatAPIError(40013, "invalid appid")
    redirect_uri = q.get("redirect_uri", "")
    if not redirect_uri:
        raise WeChatAPIError(10011, "redirect_uri missing")
    scope = q.get("scope", "")
    if not scope:
        raise WeChatAPIError(10010, "scope missing")
    if scope not in _SCOPES:
        raise WeChatAPIError(10005, "the account has no permission for this scope")
    if q.get("response_type") != "code":
        raise WeChatAPIError(40097, "invalid args: response_type must be code")
    openid = app.data.get("oauth_user")
    if not openid:
        message = "no OAuth user: call wxkit.testing.routes.oauth.set_oauth_user(app, openid) first"
        return EmulatorResponse(409, message.encode(), "text/plain; charset=utf-8")
    params = {"state": q.get("state", "")}
    if not (scope == "snsapi_userinfo" and openid in app.data.get("oauth_declines", set())):
        code = secrets.token_urlsafe(24)
        with emu.lock:
            _store(app, "oauth_codes")[code] = {"openid": openid, "scope": scope, "issued_at": emu.now(), "used": False}
        params = {"code": code, **params}
    location = _with_params(redirect_uri, params)
    return EmulatorResponse(302, b"", "text/plain; charset=utf-8", {"Location": location})


def _app_with_secret(emu: Emulator, q: dict[str, str], grant_type: str, *, check_secret: bool) -> AppState:
    app = emu.apps.get(q.get("appid", ""))
    if app is None:
        raise WeChatAPIError(40013, "invalid appid")
    if check_secret and q.get("secret") != app.secret:
        raise WeChatAPIError(40125, "invalid appsecret")
    if q.get("grant_type") != grant_type:
        raise WeChatAPIError(40002, "invalid grant_type")
    return app


def _issue(emu: Emulator, app: AppState, openid: str, scope: str) -> dict[str, Any]:
    access_token = f"OAT_{secrets.token_urlsafe(24)}"
    refresh_token = f"ORT_{secrets.token_urlsafe(24)}"
    now = emu.now()
    _store(app, "oauth_tokens")[access_token] = {
        "openid": openid,
        "scope": scope,
        "expires_at": now + USER_TOKEN_LIFETIME,
    }
    _store(app, "oauth_refresh_tokens")[refresh_token] = {
        "openid": openid,
        "scope": scope,
        "expires_at": now + REFRESH_LIFETIME,
        "access_token": access_token,
    }
    answer: dict[str, Any] = {
        "access_token": access_token,
        "expires_in": USER_TOKEN_LIFETIME,
        "refresh_token": refresh_token,
        "openid": openid,
        "scope": scope,
    }
    unionid = app.data.get("oauth_profiles", {}).get(openid, {}).get("unionid")
    if unionid and scope == "snsapi_userinfo":
        answer["unionid"] = unionid
    if openid in app.data.get("oauth_snapshot_users", set()):
        answer["is_snapshotuser"] = 1
    return answer


@router.route("GET", "/sns/oauth2/access_token", auth=False)
def access_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Exchange a code (once, within five minutes) for a user token."""
    app = _app_with_secret(emu, req.query, "authorization_code", check_secret=True)
    code = req.query.get("code", "")
    if not code:
        raise WeChatAPIError(41008, "missing code")
    with emu.lock:
        entry = _store(app, "oauth_codes").get(code)
        if entry is None:
            raise WeChatAPIError(40029, "invalid code")
        if entry["used"]:
            raise WeChatAPIError(40163, "code been used")
        if emu.now() - entry["issued_at"] >= CODE_LIFETIME:
            raise WeChatAPIError(40029, "invalid code")
        entry["used"] = True
        return _issue(emu, app, entry["openid"], entry["scope"])


@router.route("GET", "/sns/oauth2/refresh_token", auth=False)
def refresh_token(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Renew a user token from its refresh token."""
    app = _app_with_secret(emu, req.query, "refresh_token", check_secret=False)
    token = req.query.get("refresh_token", "")
    if not token:
        raise WeChatAPIError(41003, "refresh_token missing")
    with emu.lock:
        entry = _store(app, "oauth_refresh_tokens").get(token)
        if entry is None:
            raise WeChatAPIError(40030, "invalid refresh_token")
        now = emu.now()
        if now >= entry["expires_at"]:
            raise WeChatAPIError(42002, "refresh_token expired")
        tokens = _store(app, "oauth_tokens")
        current = tokens.get(entry["access_token"])
        if current is None or now >= current["expires_at"]:
            tokens.pop(entry["access_token"], None)
            entry["access_token"] = f"OAT_{secrets.token_urlsafe(24)}"
            current = tokens[entry["access_token"]] = {"openid": entry["openid"], "scope": entry["scope"]}
        current["expires_at"] = now + USER_TOKEN_LIFETIME
        return {
            "access_token": entry["access_token"],
            "expires_in": USER_TOKEN_LIFETIME,
            "refresh_token": token,
            "openid": entry["openid"],
            "scope": entry["scope"],
        }


def _user_token(emu: Emulator, req: EmulatorRequest) -> tuple[AppState, dict[str, Any]]:
    token = req.query.get("access_token", "")
    if not token:
        raise WeChatAPIError(41001, "access_token missing")
    with emu.lock:
        for app in emu.apps.values():
            entry = app.data.get("oauth_tokens", {}).get(token)
            if entry is not None:
                break
        else:
            raise WeChatAPIError(40001, "invalid credential, access_token is invalid or not latest")
        if emu.now() >= entry["expires_at"]:
            raise WeChatAPIError(42001, "access_token expired")
    if req.query.get("openid") != entry["openid"]:
        raise WeChatAPIError(40003, "invalid openid")
    return app, entry


@router.route("GET", "/sns/userinfo", auth=False)
def userinfo(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The profile of the token's user (``snsapi_userinfo`` tokens only)."""
    app, entry = _user_token(emu, req)
    if "snsapi_userinfo" not in entry["scope"].split(","):
        raise WeChatAPIError(48001, "api unauthorized")
    profile = dict(app.data.get("oauth_profiles", {}).get(entry["openid"], {"openid": entry["openid"]}))
    profile.update(WITHHELD)
    if not profile.get("unionid"):
        profile.pop("unionid", None)
    return profile


@router.route("GET", "/sns/auth", auth=False)
def auth(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """``errcode 0`` while the user token is valid for ``openid``."""
    _user_token(emu, req)
    return ok()
