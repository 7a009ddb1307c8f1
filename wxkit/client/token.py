"""Access tokens: fetched once, shared through storage, refreshed safely.

:class:`TokenManager` keeps the app's access token in a
:class:`~wxkit.storage.Storage` until its expiry minus a safety margin.

* The stable-token endpoint (``POST /cgi-bin/stable_token``) is the default;
  ``mode="classic"`` uses ``GET /cgi-bin/token``.
* Cached and locked by a :class:`~wxkit.client.cache.SharedValue`: one fetch
  at a time per process (a thread lock, then the cache is checked again) and,
  with a shared storage, one across processes (the storage lock
  ``wxkit:access_token_lock:<appid>`` with a TTL, released only by its owner;
  waiters poll the cache).
* :meth:`TokenManager.invalidate` drops the cached token only if it is still
  the one that failed, so a burst of failures caused by one stale token
  triggers exactly one refetch. A stable-token refetch that returns the very
  token that failed is repeated once with ``force_refresh``.
* ``token_source``: a callable returning the token, for deployments where a
  central service owns it; wxkit then never fetches or caches tokens itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..bounds import clamp_expires_in
from ..errors import AccessTokenError, APIError, ConfigError
from ..storage import Storage
from .cache import SharedValue
from .http import HTTPClient

__all__ = ["TOKEN_MODES", "TokenManager"]

logger = logging.getLogger("wxkit.client")

#: Supported ``token_mode`` values.
TOKEN_MODES = ("stable", "classic")


class TokenManager:
    """The access token of one app, cached in ``storage`` under ``wxkit:access_token:<appid>``.

    Caching and locking are a :class:`~wxkit.client.cache.SharedValue`
    (``shared``; its storage lock is ``wxkit:access_token_lock:<appid>``,
    its errors :class:`~wxkit.errors.AccessTokenError`); ``margin``,
    ``lock_ttl``, ``wait_timeout`` and ``poll_interval`` are passed to it.
    By default ``lock_ttl`` outlives the slowest legal fetch (every try running
    into the HTTP timeouts, twice for a forced stable refresh), so a second
    process never fetches while the first one still may.
    """

    def __init__(
        self,
        http: HTTPClient,
        appid: str,
        secret: str | None,
        storage: Storage,
        *,
        mode: str = "stable",
        token_source: Callable[[], str] | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if lock_ttl is None:
            # The lock must outlive the slowest legal fetch: every try of a (possibly forced)
            # stable-token fetch running into the timeouts, plus backoff.
            timeout = http.timeout if isinstance(http.timeout, tuple) else (http.timeout, http.timeout)
            one_fetch = (sum(timeout) + http.backoff * 2**http.max_retries) * (http.max_retries + 1)
            if http.deadline is not None:  # an explicit per-call deadline bounds a fetch instead
                one_fetch = max(one_fetch, http.deadline)
            lock_ttl = max(15.0, 2 * one_fetch + 5)
        if wait_timeout is None:
            wait_timeout = lock_ttl + 5
        if mode not in TOKEN_MODES:
            raise ConfigError(f"token_mode must be one of {TOKEN_MODES}, not {mode!r}")
        if token_source is None and not secret:
            raise ConfigError("an app secret (or a token_source) is required")
        self.http = http
        self.appid = appid
        self._secret = secret
        self.storage = storage
        self.mode = mode
        self.token_source = token_source
        self.key = f"wxkit:access_token:{appid}"
        self.lock_key = f"wxkit:access_token_lock:{appid}"
        #: The cached token: one fetch at a time per process and across processes.
        self.shared = SharedValue(
            storage,
            self.key,
            self._fetch_new,
            lock_key=self.lock_key,
            what="the access token",
            error=AccessTokenError,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )
        #: How many tokens this manager fetched from WeChat (for tests and metrics).
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"TokenManager(appid={self.appid!r}, mode={self.mode!r})"

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

    # -- internals ------------------------------------------------------------
    def _from_source(self) -> str:
        assert self.token_source is not None
        token = self.token_source()
        if not token or not isinstance(token, str):
            raise AccessTokenError(40001, "token_source returned no token")
        return token

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        """The :class:`SharedValue` fetcher: a token other than ``failed`` if WeChat allows it."""
        token, expires_in = self._fetch(force=False)
        if failed is not None and token == failed and self.mode == "stable":
            logger.info("stable token for %s still the refused one; forcing a refresh", self.appid)
            token, expires_in = self._fetch(force=True)
        return token, float(expires_in)

    def _fetch(self, *, force: bool) -> tuple[str, int]:
        self.fetch_count += 1
        if self.mode == "stable":
            body: dict[str, Any] = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
            if force:
                body["force_refresh"] = True
            method, path = "POST", "/cgi-bin/stable_token"
            response = self.http.send(method, path, json_body=body, idempotent=True)
            params: dict[str, Any] = {}
        else:
            method, path = "GET", "/cgi-bin/token"
            params = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
            response = self.http.send(method, path, params=params, idempotent=True)
        safe_url = self.http.url(path) + ("?grant_type=client_credential&appid=" + self.appid if params else "")
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
        expires_in = clamp_expires_in(data.get("expires_in"), source=f"the access token endpoint ({self.appid})")
        logger.info("fetched a new access token for %s (%s mode)", self.appid, self.mode)
        return token, expires_in
