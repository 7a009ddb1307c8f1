"""The ``auth`` API group (``client.auth``): login (code2Session) and the user's keys and ids.

::

    session = client.auth.code2session(js_code)      # from wx.login() in the mini program
    session.openid, session.unionid                  # who logged in
    session.session_key                              # keep it on the server, never send it back

A ``js_code`` works once and for five minutes: a reused one answers 40163,
an expired or unknown one 40029 (both :class:`~wxkit.errors.InvalidArgumentError`);
40226 means WeChat blocked a high-risk user's login. The calls that prove
you hold a user's ``session_key`` (:meth:`AsyncAuthAPI.check_session_key`,
:meth:`AsyncAuthAPI.reset_session_key`,
:meth:`AsyncAuthAPI.get_user_encrypt_key`) send the ``hmac_sha256``
signature of an empty string keyed with it (:func:`session_signature`),
never the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from ...errors import APIError, ConfigError
from ..models import EncryptKey, Session
from ._base import AsyncMiniProgramAPI

__all__ = ["AsyncAuthAPI", "session_signature"]

#: The errcode of ``checksession`` for a session_key that is not (or no longer) the user's.
INVALID_SIGNATURE = 87009


def session_signature(session_key: str) -> str:
    """The ``signature`` WeChat's session-key APIs take: hex ``hmac_sha256(key=session_key, msg="")``."""
    if not isinstance(session_key, str) or not session_key:
        raise ValueError("session_key must be a non-empty str")
    return hmac.new(session_key.encode("utf-8"), b"", hashlib.sha256).hexdigest()


def _required(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str")
    return value


class AsyncAuthAPI(AsyncMiniProgramAPI):
    """Login and user identity: ``code2session``, session-key checks, paid unionid, plugin openpid, encrypt keys."""

    async def code2session(self, js_code: str) -> Session:
        """Exchange a ``wx.login`` code for the user's session: ``GET /sns/jscode2session``.

        Sends ``appid``, ``secret``, ``js_code`` and
        ``grant_type=authorization_code``, no access token. Returns a
        :class:`~wxkit.miniprogram.models.Session` (``openid``, ``unionid`` or
        ``None``, ``session_key``). A code used before answers 40163, an
        expired or unknown one 40029, an empty one 41008 (all
        :class:`~wxkit.errors.InvalidArgumentError`); 45011
        (:class:`~wxkit.errors.RateLimitError`) is 100 calls a minute per
        user. A client made with a ``token_source`` and no secret cannot
        call it (``ConfigError``).
        """
        path = "/sns/jscode2session"
        code = self._code(js_code, path=path, method="GET")
        secret = self._client._secret
        if not secret:
            raise ConfigError("code2session needs the app secret (the client was made without one)")
        params = {"appid": self._client.appid, "secret": secret, "js_code": code, "grant_type": "authorization_code"}
        answer = await self._client.get(path, params=params, with_token=False)
        return self._model(Session.from_dict, answer, path=path, method="GET")

    async def check_session_key(self, openid: str, session_key: str) -> bool:
        """Whether ``session_key`` is still the user's current one: ``GET /wxa/checksession``.

        Sends the key's ``hmac_sha256`` signature (never the key). ``False``
        when WeChat answers 87009 (invalid signature: the user logged in
        again, or the key is not theirs); other errors raise.
        """
        params = {
            "openid": _required("openid", openid),
            "signature": session_signature(session_key),
            "sig_method": "hmac_sha256",
        }
        try:
            await self._client.get("/wxa/checksession", params=params)
        except APIError as exc:
            if exc.errcode == INVALID_SIGNATURE:
                return False
            raise
        return True

    async def reset_session_key(self, openid: str, session_key: str) -> Session:
        """Replace the user's ``session_key`` with a new one: ``GET /wxa/resetusersessionkey``.

        ``session_key`` is the current key (its signature proves you hold it);
        returns a :class:`~wxkit.miniprogram.models.Session` with the new key
        (``unionid`` is ``None``: this call does not return it). 87009 when the
        key is not the current one.
        """
        path = "/wxa/resetusersessionkey"
        params = {
            "openid": _required("openid", openid),
            "signature": session_signature(session_key),
            "sig_method": "hmac_sha256",
        }
        answer = await self._client.get(path, params=params)
        return self._model(Session.from_dict, answer, path=path, method="GET")

    async def get_paid_unionid(
        self,
        openid: str,
        *,
        transaction_id: str | None = None,
        mch_id: str | None = None,
        out_trade_no: str | None = None,
    ) -> str:
        """The unionid of a user who paid, without their authorization: ``GET /wxa/getpaidunionid``.

        Give ``transaction_id`` (WeChat Pay's order id), or ``mch_id`` and
        ``out_trade_no``. Works within 5 minutes of the payment. 89002 when
        the user has no unionid (the mini program is not bound to an
        open-platform account), 89300 for an unknown order.
        """
        params = {"openid": _required("openid", openid)}
        if transaction_id is not None:
            if mch_id is not None or out_trade_no is not None:
                raise ValueError("give transaction_id, or mch_id and out_trade_no, not both")
            params["transaction_id"] = _required("transaction_id", transaction_id)
        elif mch_id is not None and out_trade_no is not None:
            params["mch_id"] = _required("mch_id", mch_id)
            params["out_trade_no"] = _required("out_trade_no", out_trade_no)
        else:
            raise ValueError("give transaction_id, or mch_id and out_trade_no")
        path = "/wxa/getpaidunionid"
        return self._field(await self._client.get(path, params=params), "unionid", str, path=path, method="GET")

    async def get_plugin_openpid(self, code: str) -> str:
        """A plugin user's openpid from the code ``wx.pluginLogin`` gave: ``POST /wxa/getpluginopenpid``."""
        path = "/wxa/getpluginopenpid"
        answer = await self._client.post(path, json={"code": self._code(code, path=path)})
        return self._field(answer, "openpid", str, path=path)

    async def get_user_encrypt_key(self, openid: str, session_key: str) -> list[EncryptKey]:
        """The user's recent network-encryption keys: ``POST /wxa/business/getuserencryptkey``.

        ``openid``, the key's signature and ``sig_method`` go in the query
        string, as WeChat documents. Returns the ``key_info_list`` items as
        :class:`~wxkit.miniprogram.models.EncryptKey` (newest first, as
        WeChat sends them). 87009 when ``session_key`` is not the current one.
        """
        path = "/wxa/business/getuserencryptkey"
        params = {
            "openid": _required("openid", openid),
            "signature": session_signature(session_key),
            "sig_method": "hmac_sha256",
        }
        answer = await self._client.post(path, params=params)
        items = answer.get("key_info_list")
        if not isinstance(items, list):
            items = self._field(answer, "key_info_list", list, path=path)
        return [self._model(EncryptKey.from_dict, item, path=path) for item in items]
