"""Access tokens for every platform: fetched once, shared through storage, refreshed safely.

A token provider keeps one credential in a :class:`~wxkit.storage.Storage`
until its expiry minus a safety margin, through a
:class:`~wxkit.core.cache.SharedValue` (the async side: ``SharedValue``):

* one fetch at a time per process (a thread lock; on asyncio, a lock per
  event loop), then the cache is checked again; with a shared storage, one
  fetch across processes (a storage lock with a TTL, released only by its
  owner; waiters poll the cache). Sync and async clients of one app sharing
  a storage share one token;
* :meth:`~TokenProvider.refresh` drops the cached token only if it is still
  the one that failed, so a burst of failures caused by one stale token
  triggers exactly one refetch;
* ``token_source``: a callable returning the token (an ``def`` one on
  the async side), for deployments where a central service owns it; wxkit
  then never fetches or caches tokens itself.

Providers: :class:`TokenManager` (official accounts and mini programs: the
stable-token endpoint by default, ``mode="classic"`` for ``/cgi-bin/token``)
and :class:`WorkTokenManager` (WeCom: ``/cgi-bin/gettoken``, one token per
``corpid`` and secret, since every WeCom app and the contacts and
external-contact secrets have their own).
"""
# Generated from wxkit/core/_async/token.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..bounds import clamp_expires_in
from ..errors import AccessTokenError, APIError, ConfigError
from ..storage import Storage
from .cache import SharedValue

if TYPE_CHECKING:
    from .http import HTTPClient

__all__ = ["TOKEN_MODES", "TokenManager", "TokenProvider", "TokenSource", "WorkTokenManager"]

logger = logging.getLogger("wxkit.client")

#: Supported ``token_mode`` values.
TOKEN_MODES = ("stable", "classic")
#: A central token service: returns the current token (sync, or ``def`` for the async clients).
TokenSource = Callable[[], "str | Awaitable[str]"]


def default_lock_ttl(http: HTTPClient, *, fetches: int = 2) -> float:
    """A lock TTL that outlives the slowest legal fetch: ``fetches`` fetches, every try into the timeouts."""
    timeout = http.timeout if isinstance(http.timeout, tuple) else (http.timeout, http.timeout)
    one_fetch = (sum(timeout) + http.backoff * 2**http.max_retries) * (http.max_retries + 1)
    if http.deadline is not None:  # an explicit per-call deadline bounds a fetch instead
        one_fetch = max(one_fetch, http.deadline)
    return float(max(15.0, fetches * one_fetch + 5))


class TokenProvider:
    """What every token provider shares: the cache, the lock, ``token_source`` and drop-only-if-current.

    A subclass sets ``key`` / ``lock_key`` / ``what`` and implements
    :meth:`_fetch_new` (a token other than ``failed`` when WeChat allows it).
    """

    def __init__(
        self,
        http: HTTPClient,
        storage: Storage,
        *,
        key: str,
        lock_key: str,
        what: str,
        token_source: TokenSource | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if lock_ttl is None:
            lock_ttl = default_lock_ttl(http)
        if wait_timeout is None:
            wait_timeout = lock_ttl + 5
        self.http = http
        self.storage = storage
        self.token_source = token_source
        self.key = key
        self.lock_key = lock_key
        #: The cached token: one fetch at a time per process and across processes.
        self.shared = SharedValue(
            storage,
            key,
            self._fetch_new,
            lock_key=lock_key,
            what=what,
            error=AccessTokenError,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )
        #: How many tokens this provider fetched from WeChat (for tests and metrics).
        self.fetch_count = 0

    def get(self) -> str:
        """Return a valid token: from the cache, or fetched once for everyone waiting."""
        if self.token_source is not None:
            return self._from_source()
        return self.shared.get()

    def invalidate(self, failed: str) -> None:
        """Drop the cached token, but only if it is still ``failed``."""
        if self.token_source is None:
            self.shared.invalidate(failed)

    def refresh(self, failed: str) -> str:
        """Drop ``failed`` (if still cached) and return a token other than it, fetching if needed."""
        if self.token_source is not None:
            token = self._from_source()
            if token == failed:
                raise AccessTokenError(40001, "token_source returned the token WeChat refused")
            return token
        return self.shared.refresh(failed)

    def _from_source(self) -> str:
        assert self.token_source is not None
        token: Any = self.token_source()
        if inspect.isawaitable(token):
            raise ConfigError("token_source is async: use it with the async client")
        if not token or not isinstance(token, str):
            raise AccessTokenError(40001, "token_source returned no token")
        return token

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        raise NotImplementedError

    def _token_call(
        self, method: str, path: str, safe_url: str, *, params: dict[str, Any] | None = None, json_body: Any = None
    ) -> tuple[str, int]:
        """Send a token request; return ``(token, expires_in)`` (clamped), errors as AccessTokenError."""
        self.fetch_count += 1
        response = self.http.send(method, path, params=params, json_body=json_body, idempotent=True)
        try:
            data = self.http.decode(response, method=method, safe_url=safe_url)
        except APIError as exc:
            raise AccessTokenError(
                exc.errcode, exc.errmsg, method=method, url=safe_url, response=exc.response
            ) from None
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise AccessTokenError(-2, "token endpoint answered without access_token", method=method, url=safe_url)
        # Infinity, 1e30, 0 or -5 would overflow, be refused by Redis, or mean a fetch per call.
        return token, clamp_expires_in(data.get("expires_in"), source=f"the token endpoint ({self.key})")


class TokenManager(TokenProvider):
    """The access token of an official account or a mini program, under ``wxkit:access_token:<appid>``.

    ``mode`` is ``"stable"`` (``POST /cgi-bin/stable_token``, default) or
    ``"classic"`` (``GET /cgi-bin/token``). A stable-token refetch that
    returns the very token that failed is repeated once with
    ``force_refresh``. The storage lock is ``wxkit:access_token_lock:<appid>``.
    """

    def __init__(
        self,
        http: HTTPClient,
        appid: str,
        secret: str | None,
        storage: Storage,
        *,
        mode: str = "stable",
        token_source: TokenSource | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if mode not in TOKEN_MODES:
            raise ConfigError(f"token_mode must be one of {TOKEN_MODES}, not {mode!r}")
        if token_source is None and not secret:
            raise ConfigError("an app secret (or a token_source) is required")
        self.appid = appid
        self._secret = secret
        self.mode = mode
        super().__init__(
            http,
            storage,
            key=f"wxkit:access_token:{appid}",
            lock_key=f"wxkit:access_token_lock:{appid}",
            what="the access token",
            token_source=token_source,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r}, mode={self.mode!r})"  # never the secret or a token

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        token, expires_in = self._fetch(force=False)
        if failed is not None and token == failed and self.mode == "stable":
            logger.info("stable token for %s still the refused one; forcing a refresh", self.appid)
            token, expires_in = self._fetch(force=True)
        logger.info("fetched a new access token for %s (%s mode)", self.appid, self.mode)
        return token, float(expires_in)

    def _fetch(self, *, force: bool) -> tuple[str, int]:
        if self.mode == "stable":
            body: dict[str, Any] = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
            if force:
                body["force_refresh"] = True
            path = "/cgi-bin/stable_token"
            return self._token_call("POST", path, self.http.url(path), json_body=body)
        path = "/cgi-bin/token"
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
        safe_url = self.http.url(path) + "?grant_type=client_credential&appid=" + self.appid
        return self._token_call("GET", path, safe_url, params=params)


class WorkTokenManager(TokenProvider):
    """A WeCom access token: ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` on ``qyapi.weixin.qq.com``.

    One token per ``(corpid, secret)``: every WeCom app, and the contacts and
    external-contact secrets, have their own. The storage key is
    ``wxkit:work_token:<corpid>:<digest of the secret>`` (the digest names the
    secret without revealing it).
    """

    def __init__(
        self,
        http: HTTPClient,
        corpid: str,
        secret: str | None,
        storage: Storage,
        *,
        token_source: TokenSource | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if token_source is None and not secret:
            raise ConfigError("a WeCom secret (or a token_source) is required")
        self.corpid = corpid
        self._secret = secret
        digest = hashlib.sha256((secret or "source").encode("utf-8")).hexdigest()[:16]
        super().__init__(
            http,
            storage,
            key=f"wxkit:work_token:{corpid}:{digest}",
            lock_key=f"wxkit:work_token_lock:{corpid}:{digest}",
            what="the WeCom access token",
            token_source=token_source,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(corpid={self.corpid!r})"  # never the secret or a token

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        path = "/cgi-bin/gettoken"
        params = {"corpid": self.corpid, "corpsecret": self._secret}
        token, expires_in = self._token_call("GET", path, self.http.url(path) + "?corpid=" + self.corpid, params=params)
        logger.info("fetched a new WeCom access token for %s", self.corpid)
        return token, float(expires_in)
