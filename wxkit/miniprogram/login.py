"""The mini-program login flow, framework-free: ``Login`` here, ``Login`` generated.

What a mini program's backend does with ``wx.login`` and the user's
encrypted data, with the ``session_key`` kept on the server::

    login = Login(client, storage)                        # a MiniProgramClient; storage: RedisStorage in production
    user = login.login(js_code)                           # LoginResult(openid, unionid): issue your own token
    login.check_raw_data(user.openid, raw_data, signature)    # rawData + signature from wx.getUserInfo
    info = login.decrypt(user.openid, encrypted_data, iv)     # UserData(data, watermark)

:meth:`Login.login` runs ``code2session`` and stores the ``session_key``
under the openid (``wxkit:miniprogram:session:<appid>:<openid>``, for
``session_ttl`` seconds); it returns the openid and unionid only, so the key
never reaches your front end. :meth:`Login.check_raw_data` checks
``signature == sha1(rawData + session_key)`` in constant time;
:meth:`Login.decrypt` decrypts ``encryptedData`` with the stored key and
checks ``watermark.appid``. The watermark's ``timestamp`` is exposed; an age
limit (``max_age``) is off by default (WeChat's own sample data is from 2016).

A user who logs in again gets a new ``session_key``: data fetched before
that no longer opens with the stored key. The previous key is kept beside the
current one, so this case is told apart: a :class:`~wxkit.errors.DecryptError`
(or :class:`~wxkit.errors.SignatureError` for ``rawData``) saying the data was
made with the previous key, and that the front end must fetch it again.
Tampered data, a wrong watermark appid, no stored key (never logged in, or
expired) are each their own clear error. The storage failing is a
:class:`~wxkit.errors.StorageError`. The session key never appears in an
error, a log line or a repr.
"""
# Generated from wxkit/miniprogram/_async/login.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import StorageError, WxError
from ..storage import MemoryStorage, Storage
from ._login import (
    Keys,
    LoginResult,
    UserData,
    check_openid,
    dump_keys,
    load_keys,
    open_data,
    storage_key,
    verify_raw_data,
)

if TYPE_CHECKING:
    from .client import MiniProgramClient

__all__ = ["Login", "LoginResult", "UserData"]

_T = TypeVar("_T")
_UNSET: Any = object()


class Login:
    """The login flow of one mini program: ``code2session``, the session key kept server-side, user data.

    ``client`` is the mini program's API client, of the same kind as this
    class (sync or awaitable: see :mod:`wxkit.miniprogram`); ``storage``
    holds the session keys (default: a private
    :class:`~wxkit.storage.MemoryStorage`; give every process the same
    :class:`~wxkit.storage.RedisStorage`). ``session_ttl``: seconds a stored key
    is kept (default 30 days; ``None``: until replaced). ``max_age``: refuse
    decrypted data whose watermark is older than this many seconds (default
    ``None``: no limit). ``appid`` defaults to the client's.
    """

    def __init__(
        self,
        client: MiniProgramClient,
        storage: Storage | None = None,
        *,
        session_ttl: float | None = 30 * 86400,
        max_age: float | None = None,
        appid: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.session_ttl = session_ttl
        self.max_age = max_age
        self.appid: str = appid or client.appid
        self._clock = clock
        self._inline = isinstance(self.storage, MemoryStorage)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r})"

    # -- the flow -------------------------------------------------------------
    def login(self, js_code: str) -> LoginResult:
        """Exchange a ``wx.login`` code (``code2session``), store the session key, return who logged in.

        A bad, used or expired code raises the client's
        :class:`~wxkit.errors.InvalidArgumentError` (40029 / 40163); nothing is
        stored then. The key the user had before (if any) is kept as the
        previous one, to explain data made with it (see the module docs).
        """
        session = self.client.auth.code2session(js_code)
        openid = check_openid(session.openid)
        stored = self._load(openid)
        previous = ""
        if stored is not None:
            previous = stored.current if stored.current != session.session_key else stored.previous
        self._save(openid, Keys(session.session_key, previous))
        return LoginResult(openid, session.unionid)

    def check_raw_data(self, openid: str, raw_data: str, signature: str) -> None:
        """Check ``signature == sha1(rawData + session_key)`` (constant time) with the user's stored key.

        Raises :class:`~wxkit.errors.SignatureError`: a wrong signature, one
        made with the user's previous key (they logged in again since: fetch
        ``rawData`` again), values that are not text, or no stored key.
        """
        verify_raw_data(self._load(check_openid(openid)), raw_data, signature)

    def decrypt(self, openid: str, encrypted_data: str, iv: str, *, max_age: float | None = _UNSET) -> UserData:
        """Decrypt ``encryptedData`` with the user's stored key; check the watermark appid (and age).

        ``max_age`` overrides the instance's for this call. Raises
        :class:`~wxkit.errors.DecryptError`: no stored key; data made with the
        user's previous key (they logged in again since: fetch it again);
        data that does not decrypt (tampered, bad base64 or iv); a watermark
        missing, for another appid, or older than ``max_age``.
        """
        keys = self._load(check_openid(openid))
        limit = self.max_age if max_age is _UNSET else max_age
        return open_data(keys, encrypted_data, iv, appid=self.appid, max_age=limit, now=self._clock())

    def check_session(self, openid: str) -> bool:
        """Whether the stored key is still the user's current one (``checksession``); False when none is stored."""
        keys = self._load(check_openid(openid))
        if keys is None:
            return False
        return self.client.auth.check_session_key(openid, keys.current)

    def logout(self, openid: str) -> None:
        """Forget the user's stored session keys."""
        key = self._key(check_openid(openid))
        self._io(key, self.storage.delete, key)

    # -- storage ----------------------------------------------------------------
    def _key(self, openid: str) -> str:
        return storage_key(self.appid, openid)

    def _load(self, openid: str) -> Keys | None:
        key = self._key(openid)
        return load_keys(self._io(key, self.storage.get, key))

    def _save(self, openid: str, keys: Keys) -> None:
        key = self._key(openid)
        self._io(key, self.storage.set, key, dump_keys(keys), self.session_ttl)

    def _io(self, key: str, fn: Callable[..., _T], *args: Any) -> _T:
        """Call the storage (off the event loop unless it is a MemoryStorage); its failures are StorageError."""
        try:
            if self._inline:
                return fn(*args)
            return fn(*args)
        except WxError:
            raise
        except Exception as exc:
            raise StorageError(f"the session-key storage failed: {type(exc).__name__}", key=key) from exc
