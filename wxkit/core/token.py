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
stable-token endpoint by default, ``mode="classic"`` for ``/cgi-bin/token``),
:class:`WorkTokenManager` (WeCom: ``/cgi-bin/gettoken``, one token per
``corpid`` and secret, since every WeCom app and the contacts and
external-contact secrets have their own), and the open platform's two:
:class:`ComponentTokenManager` (a third-party platform's
``component_access_token``, made from the ``component_verify_ticket`` WeChat
pushes) and :class:`AuthorizerTokenManager` (the ``authorizer_access_token``
of an account that authorized the platform, made from its refresh token);
and WeCom third-party suites' two: :class:`SuiteTokenManager` (the
``suite_access_token``, made from the ``suite_ticket`` WeCom pushes, stored
under :func:`suite_ticket_key`) and :class:`CorpTokenManager` (an installing
corp's token, made from its permanent code, stored under
:func:`suite_permanent_code_key`).

Storage keys the open platform's other parts write (nothing secret in a key):
:func:`component_verify_ticket_key` (``wxkit:component_verify_ticket:<component_appid>``,
written by the push handler) and :func:`authorizer_refresh_token_key`
(``wxkit:authorizer_refresh_token:<component_appid>:<authorizer_appid>``,
written by the authorization flow and kept current by
:class:`AuthorizerTokenManager`).
"""
# Generated from wxkit/core/_async/token.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..bounds import clamp_expires_in
from ..errors import TOKEN_ERRCODES, WORK_TOKEN_ERRCODES, AccessTokenError, APIError, ConfigError, StorageError
from ..storage import Storage
from .cache import SharedValue
from .redact import redact_url

if TYPE_CHECKING:
    from .http import HTTPClient

__all__ = [
    "AuthorizerTokenManager",
    "COMPONENT_VERIFY_TICKET_TTL",
    "ComponentTokenManager",
    "CorpTokenManager",
    "SUITE_TICKET_TTL",
    "SuiteTokenManager",
    "TOKEN_MODES",
    "TokenManager",
    "TokenProvider",
    "TokenSource",
    "WorkTokenManager",
    "authorizer_refresh_token_key",
    "component_verify_ticket_key",
    "suite_permanent_code_key",
    "suite_ticket_key",
]

logger = logging.getLogger("wxkit.client")

#: Supported ``token_mode`` values.
TOKEN_MODES = ("stable", "classic")
#: A central token service: returns the current token (sync, or ``def`` for the async clients).
TokenSource = Callable[[], "str | Awaitable[str]"]
#: Seconds a ``component_verify_ticket`` is valid (WeChat: 12 hours; a new one is pushed every 10 minutes).
COMPONENT_VERIFY_TICKET_TTL = 12 * 3600
#: Seconds a WeCom ``suite_ticket`` is valid (30 minutes; WeCom pushes a new one every 10 minutes).
SUITE_TICKET_TTL = 30 * 60


def suite_ticket_key(suite_id: str) -> str:
    """The storage key of a WeCom third-party suite's latest ``suite_ticket``: ``wxkit:suite_ticket:<suite_id>``.

    :class:`~wxkit.work.WorkApplication` writes each ticket WeCom pushes there
    (for :data:`SUITE_TICKET_TTL` seconds); :class:`SuiteTokenManager` reads it.
    """
    return f"wxkit:suite_ticket:{suite_id}"


def suite_permanent_code_key(suite_id: str, corpid: str) -> str:
    """The storage key of a corp's permanent code for a suite: ``wxkit:suite_permanent_code:<suite_id>:<corpid>``.

    Stored without expiry by :meth:`wxkit.work.Suite.get_permanent_code`;
    :class:`CorpTokenManager` reads it.
    """
    return f"wxkit:suite_permanent_code:{suite_id}:{corpid}"


def component_verify_ticket_key(component_appid: str) -> str:
    """The storage key of a third-party platform's latest ``component_verify_ticket``.

    ``wxkit:component_verify_ticket:<component_appid>``: the open platform's
    push handler writes the ticket WeChat pushes every 10 minutes there (for
    :data:`COMPONENT_VERIFY_TICKET_TTL` seconds); :class:`ComponentTokenManager`
    reads it.
    """
    return f"wxkit:component_verify_ticket:{component_appid}"


def authorizer_refresh_token_key(component_appid: str, authorizer_appid: str) -> str:
    """The storage key of an authorizer's refresh token (``authorizer_refresh_token``).

    ``wxkit:authorizer_refresh_token:<component_appid>:<authorizer_appid>``,
    stored without expiry: the authorization flow writes the first one, and
    :class:`AuthorizerTokenManager` replaces it whenever WeChat hands back a
    new one.
    """
    return f"wxkit:authorizer_refresh_token:{component_appid}:{authorizer_appid}"


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
        if token_source is not None and inspect.iscoroutinefunction(token_source):
            raise ConfigError("token_source is async: use it with the async client")
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
            if inspect.iscoroutine(token):
                token.close()  # never awaited: no "coroutine was never awaited" warning later
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
        token, expires_in, _ = self._token_answer(method, path, safe_url, params=params, json_body=json_body)
        return token, expires_in

    def _token_answer(
        self,
        method: str,
        path: str,
        safe_url: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        field: str = "access_token",
    ) -> tuple[str, int, dict[str, Any]]:
        """Send a token request; return ``(data[field], expires_in, data)``, errors as AccessTokenError."""
        self.fetch_count += 1
        response = self.http.send(method, path, params=params, json_body=json_body, idempotent=True)
        try:
            data = self.http.decode(response, method=method, safe_url=safe_url)
        except APIError as exc:
            raise AccessTokenError(
                exc.errcode, exc.errmsg, method=method, url=safe_url, response=exc.response
            ) from None
        token = data.get(field)
        if not isinstance(token, str) or not token:
            raise AccessTokenError(-2, f"token endpoint answered without {field}", method=method, url=safe_url)
        # Infinity, 1e30, 0 or -5 would overflow, be refused by Redis, or mean a fetch per call.
        return token, clamp_expires_in(data.get("expires_in"), source=f"the token endpoint ({self.key})"), data

    def _storage(self, what: str, key: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Call the storage (in a thread on the async side); a failure is a StorageError naming ``key``."""
        try:
            return self.shared._io(fn, *args)
        except Exception as exc:
            raise StorageError(f"the storage failed {what} ({type(exc).__name__})", key=key) from exc


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
        safe_url = redact_url(self.http.url(path), params)  # the secret stays out of errors and logs
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
        token, expires_in = self._token_call("GET", path, redact_url(self.http.url(path), params), params=params)
        logger.info("fetched a new WeCom access token for %s", self.corpid)
        return token, float(expires_in)


class ComponentTokenManager(TokenProvider):
    """A third-party platform's ``component_access_token`` (the open platform, 第三方平台).

    ``POST /cgi-bin/component/api_component_token`` with ``component_appid``,
    ``component_appsecret`` and the latest ``component_verify_ticket``, read
    from the storage key :func:`component_verify_ticket_key` (the open
    platform's push handler writes it; :meth:`set_verify_ticket` does the same).
    No ticket stored is an :class:`~wxkit.errors.AccessTokenError` with errcode
    -2 naming that key; WeChat's 61005 / 61006 (ticket expired / invalid) come
    through as they are. The token is cached under
    ``wxkit:component_access_token:<component_appid>`` (lock: ``..._lock:``),
    with every rule of :class:`TokenProvider`.
    """

    def __init__(
        self,
        http: HTTPClient,
        component_appid: str,
        component_appsecret: str | None,
        storage: Storage,
        *,
        token_source: TokenSource | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if token_source is None and not component_appsecret:
            raise ConfigError("a component_appsecret (or a token_source) is required")
        if not component_appid:
            raise ConfigError("a component_appid is required")
        self.component_appid = component_appid
        self._secret = component_appsecret
        #: Where the latest ``component_verify_ticket`` is read from.
        self.ticket_key = component_verify_ticket_key(component_appid)
        super().__init__(
            http,
            storage,
            key=f"wxkit:component_access_token:{component_appid}",
            lock_key=f"wxkit:component_access_token_lock:{component_appid}",
            what="the component access token",
            token_source=token_source,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(component_appid={self.component_appid!r})"  # never the secret or a token

    def set_verify_ticket(self, ticket: str, *, ttl: float = COMPONENT_VERIFY_TICKET_TTL) -> None:
        """Store a ``component_verify_ticket`` (what the push handler does with each one WeChat pushes)."""
        if not ticket or not isinstance(ticket, str):
            raise ConfigError("a component_verify_ticket must be a non-empty string")
        self._storage(
            "storing the component_verify_ticket", self.ticket_key, self.storage.set, self.ticket_key, ticket, ttl
        )

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        ticket = self._storage(
            "reading the component_verify_ticket", self.ticket_key, self.storage.get, self.ticket_key
        )
        path = "/cgi-bin/component/api_component_token"
        safe_url = self.http.url(path)
        if not ticket:
            raise AccessTokenError(
                -2,
                f"no component_verify_ticket in the storage under {self.ticket_key!r}: WeChat pushes one every"
                " 10 minutes to the platform's authorization event URL, whose handler stores it there",
                method="POST",
                url=safe_url,
            )
        body = {
            "component_appid": self.component_appid,
            "component_appsecret": self._secret,
            "component_verify_ticket": ticket,
        }
        token, expires_in, _ = self._token_answer(
            "POST", path, safe_url, json_body=body, field="component_access_token"
        )
        logger.info("fetched a new component access token for %s", self.component_appid)
        return token, float(expires_in)


class AuthorizerTokenManager(TokenProvider):
    """The ``authorizer_access_token`` of an account (official account, mini program) that authorized a platform.

    ``POST /cgi-bin/component/api_authorizer_token?component_access_token=...``
    with ``component_appid``, ``authorizer_appid`` and the refresh token read
    from :func:`authorizer_refresh_token_key`. ``component`` provides the
    platform's token: when WeChat refuses it (40001 / 40014 / 42001) it is
    dropped (if still current) and the call is made once more.

    The refresh token is read, sent and, when WeChat answers a new one,
    replaced, all while this authorizer's token lock is held, so two
    processes never use and overwrite it at the same time; the new one is
    stored before the access token is returned (a storage that fails that
    write is a :class:`~wxkit.errors.StorageError`, since losing it would
    mean asking the account to authorize again). If WeChat answers 61023
    (refresh token invalid) while another process stored a newer one meanwhile
    (a lock that expired mid-fetch), the call is made once more with that one.
    No refresh token stored is an :class:`~wxkit.errors.AccessTokenError` with
    errcode -2 naming the key. The token is cached under
    ``wxkit:authorizer_access_token:<component_appid>:<authorizer_appid>``.
    """

    def __init__(
        self,
        http: HTTPClient,
        component: ComponentTokenManager,
        authorizer_appid: str,
        storage: Storage,
        *,
        token_source: TokenSource | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if not authorizer_appid:
            raise ConfigError("an authorizer_appid is required")
        self.component = component
        self.component_appid = component.component_appid
        self.authorizer_appid = authorizer_appid
        #: Where the authorizer's refresh token is kept.
        self.refresh_key = authorizer_refresh_token_key(self.component_appid, authorizer_appid)
        if lock_ttl is None:  # a fetch may first wait for, and make, the component token
            lock_ttl = component.shared.wait_timeout + default_lock_ttl(http)
        name = f"{self.component_appid}:{authorizer_appid}"
        super().__init__(
            http,
            storage,
            key=f"wxkit:authorizer_access_token:{name}",
            lock_key=f"wxkit:authorizer_access_token_lock:{name}",
            what="the authorizer access token",
            token_source=token_source,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(component_appid={self.component_appid!r},"
            f" authorizer_appid={self.authorizer_appid!r})"  # never a token
        )

    def set_refresh_token(self, refresh_token: str) -> None:
        """Store the authorizer's refresh token (what the authorization flow does after ``api_query_auth``)."""
        if not refresh_token or not isinstance(refresh_token, str):
            raise ConfigError("an authorizer_refresh_token must be a non-empty string")
        self._write_refresh_token(refresh_token)

    def _read_refresh_token(self) -> str | None:
        value: str | None = self._storage(
            "reading the authorizer refresh token", self.refresh_key, self.storage.get, self.refresh_key
        )
        return value

    def _write_refresh_token(self, refresh_token: str) -> None:
        self._storage(
            "storing the authorizer refresh token", self.refresh_key, self.storage.set, self.refresh_key, refresh_token
        )

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        path = "/cgi-bin/component/api_authorizer_token"
        refresh_token = self._read_refresh_token()
        if not refresh_token:
            raise AccessTokenError(
                -2,
                f"no authorizer_refresh_token in the storage under {self.refresh_key!r}: the authorization flow"
                " (api_query_auth) stores it when the account authorizes the platform; an account that"
                " unauthorized the platform has none until it authorizes again",
                method="POST",
                url=self.http.url(path),
            )
        component_token = self.component.get()
        component_retried = refresh_retried = False
        while True:
            params = {"component_access_token": component_token}
            body = {
                "component_appid": self.component_appid,
                "authorizer_appid": self.authorizer_appid,
                "authorizer_refresh_token": refresh_token,
            }
            safe_url = redact_url(self.http.url(path), params)  # the component token stays out of errors and logs
            try:
                token, expires_in, data = self._token_answer(
                    "POST", path, safe_url, params=params, json_body=body, field="authorizer_access_token"
                )
            except AccessTokenError as exc:
                if exc.errcode in TOKEN_ERRCODES and not component_retried:
                    component_retried = True
                    component_token = self.component.refresh(component_token)
                    continue
                if exc.errcode == 61023 and not refresh_retried:
                    refresh_retried = True
                    stored = self._read_refresh_token()
                    if stored and stored != refresh_token:
                        logger.info("refresh token of %s replaced meanwhile; retrying with it", self.authorizer_appid)
                        refresh_token = stored
                        continue
                raise
            break
        rotated = data.get("authorizer_refresh_token")
        if isinstance(rotated, str) and rotated and rotated != refresh_token:
            self._write_refresh_token(rotated)
            logger.info("stored the new refresh token of %s", self.authorizer_appid)
        logger.info("fetched a new authorizer access token for %s", self.authorizer_appid)
        return token, float(expires_in)


class SuiteTokenManager(TokenProvider):
    """A WeCom third-party suite's ``suite_access_token`` (第三方应用凭证).

    ``POST /cgi-bin/service/get_suite_token`` with ``suite_id``,
    ``suite_secret`` and the latest ``suite_ticket``, read from
    :func:`suite_ticket_key` (the suite's callback handler writes it;
    :meth:`set_suite_ticket` does the same). No ticket stored is an
    :class:`~wxkit.errors.AccessTokenError` with errcode -2 naming that key;
    WeCom's refusal of an expired or wrong ticket (40085) comes through as an
    ``AccessTokenError`` with WeCom's errcode. Cached under
    ``wxkit:suite_access_token:<suite_id>`` with every rule of :class:`TokenProvider`.
    """

    def __init__(
        self,
        http: HTTPClient,
        suite_id: str,
        suite_secret: str | None,
        storage: Storage,
        *,
        token_source: TokenSource | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if not suite_id:
            raise ConfigError("a suite_id is required")
        if token_source is None and not suite_secret:
            raise ConfigError("a suite_secret (or a token_source) is required")
        self.suite_id = suite_id
        self._secret = suite_secret
        #: Where the latest ``suite_ticket`` is read from.
        self.ticket_key = suite_ticket_key(suite_id)
        super().__init__(
            http,
            storage,
            key=f"wxkit:suite_access_token:{suite_id}",
            lock_key=f"wxkit:suite_access_token_lock:{suite_id}",
            what="the suite access token",
            token_source=token_source,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(suite_id={self.suite_id!r})"  # never the secret, the ticket or a token

    def set_suite_ticket(self, ticket: str, *, ttl: float = SUITE_TICKET_TTL) -> None:
        """Store a ``suite_ticket`` (what the callback handler does with each one WeCom pushes)."""
        if not ticket or not isinstance(ticket, str):
            raise ConfigError("a suite_ticket must be a non-empty string")
        self._storage("storing the suite_ticket", self.ticket_key, self.storage.set, self.ticket_key, ticket, ttl)

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        ticket = self._storage("reading the suite_ticket", self.ticket_key, self.storage.get, self.ticket_key)
        path = "/cgi-bin/service/get_suite_token"
        safe_url = self.http.url(path)
        if not ticket:
            raise AccessTokenError(
                -2,
                f"no suite_ticket in the storage under {self.ticket_key!r}: WeCom pushes one every 10 minutes"
                " to the suite's instruction callback URL, whose WorkApplication stores it there",
                method="POST",
                url=safe_url,
            )
        body = {"suite_id": self.suite_id, "suite_secret": self._secret, "suite_ticket": ticket}
        token, expires_in, _ = self._token_answer("POST", path, safe_url, json_body=body, field="suite_access_token")
        logger.info("fetched a new suite access token for %s", self.suite_id)
        return token, float(expires_in)


class CorpTokenManager(WorkTokenManager):
    """The access token of a corp that installed a WeCom third-party suite (企业凭证).

    ``POST /cgi-bin/service/get_corp_token?suite_access_token=...`` with
    ``auth_corpid`` and the corp's permanent code, read from
    :func:`suite_permanent_code_key`. ``suite`` provides the suite token: when
    WeCom refuses it (40082 / 40014 / 42001) it is dropped (if still current)
    and the call is made once more. No permanent code stored is an
    :class:`~wxkit.errors.AccessTokenError` with errcode -2 naming the key.
    One token per suite and corp, cached under
    ``wxkit:suite_corp_token:<suite_id>:<corpid>``: many corps in one process
    never share one. A :class:`WorkTokenManager` (so it can serve a
    ``WorkClient``: :meth:`wxkit.work.Suite.corp_client`) that has no secret.
    """

    def __init__(
        self,
        http: HTTPClient,
        suite: SuiteTokenManager,
        corpid: str,
        storage: Storage,
        *,
        token_source: TokenSource | None = None,
        margin: float = 300.0,
        lock_ttl: float | None = None,
        wait_timeout: float | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        if not corpid:
            raise ConfigError("a corpid is required")
        self.suite = suite
        self.suite_id = suite.suite_id
        self.corpid = corpid
        #: Where the corp's permanent code is kept.
        self.code_key = suite_permanent_code_key(self.suite_id, corpid)
        if lock_ttl is None:  # a fetch may first wait for, and make, the suite token
            lock_ttl = suite.shared.wait_timeout + default_lock_ttl(http)
        name = f"{self.suite_id}:{corpid}"
        self._secret = None
        TokenProvider.__init__(
            self,
            http,
            storage,
            key=f"wxkit:suite_corp_token:{name}",
            lock_key=f"wxkit:suite_corp_token_lock:{name}",
            what="the corp access token",
            token_source=token_source,
            margin=margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(suite_id={self.suite_id!r}, corpid={self.corpid!r})"  # never a code or token

    def _fetch_new(self, failed: str | None) -> tuple[str, float]:
        path = "/cgi-bin/service/get_corp_token"
        code = self._storage("reading the permanent code", self.code_key, self.storage.get, self.code_key)
        if not code:
            raise AccessTokenError(
                -2,
                f"no permanent code in the storage under {self.code_key!r}: Suite.get_permanent_code stores it"
                " when the corp installs the suite (create_auth)",
                method="POST",
                url=self.http.url(path),
            )
        suite_token = self.suite.get()
        retried = False
        while True:
            params = {"suite_access_token": suite_token}
            body = {"auth_corpid": self.corpid, "permanent_code": code}
            safe_url = redact_url(self.http.url(path), params)  # the suite token stays out of errors and logs
            try:
                token, expires_in, _ = self._token_answer("POST", path, safe_url, params=params, json_body=body)
            except AccessTokenError as exc:
                if exc.errcode in WORK_TOKEN_ERRCODES and not retried:
                    retried = True
                    suite_token = self.suite.refresh(suite_token)
                    continue
                raise
            break
        logger.info("fetched a new corp access token for %s (suite %s)", self.corpid, self.suite_id)
        return token, float(expires_in)
