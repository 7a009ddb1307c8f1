"""Emulator routes for the mini-program ``auth`` group: code2Session and the session-key APIs.

* ``GET /sns/jscode2session`` (no access token) - ``appid`` / ``secret`` /
  ``grant_type=authorization_code`` checked as the token endpoint does (40013,
  40125, 40002); 41008 without ``js_code``; a code from
  :meth:`~wxkit.testing.Emulator.miniprogram_login` answers ``openid``,
  ``session_key`` (and ``unionid`` when the user has one) once: 40163
  ("code been used") after, 40029 ("invalid code") once expired
  (:data:`~wxkit.testing.miniprogram.CODE_LIFETIME`) or for a code that is
  unknown or another app's.
* ``GET /wxa/checksession``, ``GET /wxa/resetusersessionkey``,
  ``POST /wxa/business/getuserencryptkey`` - ``openid``, ``signature``
  (hex ``hmac_sha256`` keyed with the user's current session key over an
  empty string) and ``sig_method=hmac_sha256`` in the query: 40003 for an
  unknown openid, 87009 ("invalid signature") for any other signature or
  method. A reset issues a new session key (the old one answers 87009 from
  then on); the encrypt key list holds one key per user, valid 3600 s.
* ``GET /wxa/getpaidunionid`` - the ``unionid`` of the buyer of an order
  seeded with :func:`wxkit.testing.miniprogram.add_paid_order`, by
  ``transaction_id`` or ``mch_id`` + ``out_trade_no``: 89300 for an unknown
  order or one of another openid, 89002 when the user has no unionid.
* ``POST /wxa/getpluginopenpid`` - the ``openpid`` for a code from
  :func:`wxkit.testing.miniprogram.plugin_code` (40029 otherwise, once only).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state, new_session_key
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

router = QuotaRouter()

#: Seconds a user encryption key (``getuserencryptkey``) lives.
ENCRYPT_KEY_LIFETIME = 3600


@router.route("GET", "/sns/jscode2session", auth=False)
def jscode2session(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Exchange a one-time ``js_code`` for the user's openid and session key."""
    q = req.query
    app = emu.apps.get(q.get("appid", ""))
    if app is None:
        raise WeChatAPIError(40013, "invalid appid")
    if not hmac.compare_digest(q.get("secret", "").encode(), app.secret.encode()):
        raise WeChatAPIError(40125, "invalid appsecret")
    if q.get("grant_type") != "authorization_code":
        raise WeChatAPIError(40002, "invalid grant_type")
    code = q.get("js_code", "")
    if not code:
        raise WeChatAPIError(41008, "missing code")
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


def _signed_user(app: AppState, req: EmulatorRequest) -> dict[str, Any]:
    """The user named by ``openid`` whose current session key signed the request (40003 / 87009)."""
    q = req.query
    user = miniprogram_state(app).users.get(q.get("openid", ""))
    if user is None:
        raise WeChatAPIError(40003, "invalid openid")
    expected = hmac.new(user["session_key"].encode(), b"", hashlib.sha256).hexdigest()
    if q.get("sig_method") != "hmac_sha256" or not hmac.compare_digest(
        q.get("signature", "").encode(), expected.encode()
    ):
        raise WeChatAPIError(87009, "invalid signature")
    return user


@router.route("GET", "/wxa/checksession")
def checksession(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """``errcode 0`` when the signature is the user's current session key's; 87009 otherwise."""
    _signed_user(calling_app(req), req)
    return ok()


@router.route("GET", "/wxa/resetusersessionkey")
def resetusersessionkey(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Replace the user's session key (signed with the current one); answer the new one."""
    user = _signed_user(calling_app(req), req)
    user["session_key"] = new_session_key()
    return ok(openid=user["openid"], session_key=user["session_key"])


@router.route("POST", "/wxa/business/getuserencryptkey")
def getuserencryptkey(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The user's network-encryption key (one, renewed once expired)."""
    user = _signed_user(calling_app(req), req)
    now = int(emu.now())
    key = user.get("encrypt_key")
    if key is None or now >= key["create_time"] + ENCRYPT_KEY_LIFETIME:
        version = key["version"] + 1 if key else 1
        key = {"encrypt_key": new_session_key(), "iv": secrets.token_hex(8), "version": version, "create_time": now}
        user["encrypt_key"] = key
    item = dict(key, expire_in=key["create_time"] + ENCRYPT_KEY_LIFETIME - now)
    return ok(key_info_list=[item])


@router.route("GET", "/wxa/getpaidunionid")
def getpaidunionid(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The unionid of the user who paid an order."""
    app, q = calling_app(req), req.query
    state = miniprogram_state(app)
    order: dict[str, Any] | None = None
    if q.get("transaction_id"):
        order = state.orders.get(q["transaction_id"])
    elif q.get("mch_id") and q.get("out_trade_no"):
        order = next(
            (o for o in state.orders.values() if (o["mchid"], o["out_trade_no"]) == (q["mch_id"], q["out_trade_no"])),
            None,
        )
    if order is None or order["openid"] != q.get("openid"):
        raise WeChatAPIError(89300, "invalid trade")
    unionid = state.users.get(order["openid"], {}).get("unionid")
    if not unionid:
        raise WeChatAPIError(89002, "open not exists")
    return ok(unionid=unionid)


@router.route("POST", "/wxa/getpluginopenpid")
def getpluginopenpid(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A plugin user's openpid from a one-time plugin login code."""
    app = calling_app(req)
    code = as_text(json_object(req).get("code"))
    if not code:
        raise WeChatAPIError(41008, "missing code")
    openid = miniprogram_state(app).plugin_codes.pop(code, None)
    if openid is None:
        raise WeChatAPIError(40029, "invalid code")
    digest = hashlib.sha256(f"{app.appid}:{openid}".encode()).hexdigest()[:26]
    return ok(openpid=f"op{digest}")
