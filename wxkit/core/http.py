"""The sync HTTP layer under every sync platform client: one session, timeouts, safe retries, errcodes.

Rules (see docs/client.md):

* one :class:`requests.Session` per client, keep-alive, a default
  ``(connect, read)`` timeout on every call, overridable per client and per call;
* a request is prepared once (JSON encoded once, UTF-8, no ASCII escaping) and
  re-sent only where that cannot duplicate an effect: connect failures before
  anything was sent (any method), and for idempotent calls (GETs, token fetches,
  reads marked ``idempotent=True``) timeouts, dropped connections, HTTP 5xx and
  errcode -1 "system busy";
* a total deadline per call (:class:`~wxkit.bounds.Deadline`; by default the
  documented worst case ``(max_retries + 1) x (connect + read)`` plus the
  backoff pauses) covers every try and the reading of the body: wxkit's own
  connections (:class:`DeadlineAdapter`) check it before every socket read,
  headers included, so a server dripping its answer cannot hold a call longer;
* answers are read in chunks and decoded here (``gzip`` / ``deflate``), and an
  answer held in memory may not pass ``max_body_size`` decoded bytes (JSON /
  XML; 8 MiB by default) or ``max_download_size`` (files held in memory;
  64 MiB): a gzip bomb is refused after that much, never inflated whole;
* a redirect is never followed: it is a :class:`~wxkit.errors.TransportError`;
* network failures, an exceeded deadline or size bound are
  :class:`~wxkit.errors.TransportError`, non-zero errcodes
  :class:`~wxkit.errors.APIError` subclasses; URLs in errors and logs have
  every secret parameter removed (:data:`wxkit.core.redact.SECRET_PARAMS`:
  tokens, secrets, codes, tickets, keys).
"""

from __future__ import annotations

import http.client
import io
import logging
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
import urllib3.poolmanager

from ..bounds import BodyDecoder, Deadline, current_deadline, default_deadline
from ..errors import ParseError, TransportError
from ..jsoncodec import load_json
from .http_rules import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_DOWNLOAD_SIZE,
    DEFAULT_TIMEOUT,
    Timeout,
    check_errcode,
    dump_json,
)
from .redact import RedactSecretsFilter, redact_url

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_DOWNLOAD_SIZE",
    "DEFAULT_TIMEOUT",
    "DeadlineAdapter",
    "HTTPClient",
    "RedactSecretsFilter",
    "Timeout",
    "check_errcode",
    "dump_json",
    "redact_url",
]  # the shared names (http_rules, redact) are re-exported: ``from wxkit.core.http import DEFAULT_TIMEOUT`` works

logger = logging.getLogger("wxkit.client")

_CHUNK = 64 * 1024
#: The deadline of each streamed response still to be read.
_STREAM_DEADLINES: weakref.WeakKeyDictionary[requests.Response, Deadline] = weakref.WeakKeyDictionary()


# -- the deadline, down to each socket read ---------------------------------------------------------------
class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each waiting no longer than the current :class:`~wxkit.bounds.Deadline` allows."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._timeout: float | None = sock.gettimeout()  # the read timeout urllib3 has just set

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        deadline = current_deadline()
        if deadline is not None:
            left = deadline.remaining()
            if left <= 0:
                deadline.hit = True
                raise TimeoutError("the call's deadline has passed")
            self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))
        try:
            return self._raw.readinto(buffer)  # type: ignore[no-any-return]  # SocketIO.readinto: int or None
        except TimeoutError:
            if deadline is not None and deadline.expired():
                deadline.hit = True
            raise

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response reading its status line, headers and body through a :class:`_DeadlineReader`."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # nothing read from it yet
        self.fp = io.BufferedReader(_DeadlineReader(sock))


class _DeadlineHTTPConnection(urllib3.connection.HTTPConnection):
    response_class = _DeadlineResponse


class _DeadlineHTTPSConnection(urllib3.connection.HTTPSConnection):
    response_class = _DeadlineResponse


class _DeadlineHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


def _use_deadline_pools(manager: Any) -> None:
    # Only urllib3's own pools are replaced (a SOCKS proxy manager keeps its own).
    if getattr(manager, "pool_classes_by_scheme", None) is urllib3.poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """A ``requests`` adapter whose connections honour wxkit's per-call deadline on every socket read.

    :class:`HTTPClient` mounts it on the session it makes. A read timeout
    bounds each wait for data; this bounds the whole call, so a server that
    drips its status line, headers or body a byte at a time is cut off when
    the call's :class:`~wxkit.bounds.Deadline` passes. Mount it on a session
    of your own to get the same (``session.mount("https://", DeadlineAdapter())``);
    without it wxkit checks the deadline between body chunks only.
    """

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        """Make the pool manager, with connections that check the deadline."""
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        _use_deadline_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """The proxy's pool manager, with connections that check the deadline."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _use_deadline_pools(manager)
        return manager


def _capped(timeout: Timeout, left: float) -> tuple[float, float]:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return (min(float(connect), left), min(float(read), left))


def _content_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the failure happened before any byte of the request left this machine."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = exc.args[0]
        reason = getattr(reason, "reason", reason)  # urllib3 MaxRetryError wraps the cause
        return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))
    return False


class _ReadFailed(Exception):
    """The connection failed while the body was read (may be retried like a dropped connection)."""

    def __init__(self, error: TransportError) -> None:
        super().__init__(str(error))
        self.error = error


class HTTPClient:
    """Sends requests to one base URL with wxkit's timeout, deadline, size, retry and error rules.

    ``session`` may be supplied (its adapters are kept, and :meth:`close`
    leaves it open); otherwise one is made
    with a keep-alive pool on a :class:`DeadlineAdapter`. ``deadline`` is the
    total seconds one call may take, its re-sends and body included (default
    ``None``: :func:`~wxkit.bounds.default_deadline` of the call's timeout).
    ``max_body_size`` bounds a JSON / XML answer and ``max_download_size`` a
    file held in memory, in decoded bytes. ``sleep`` is injectable for tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        # Proxy / CA settings from the environment, resolved once per origin (requests would
        # redo it on every call), then passed to every send.
        self._env: dict[str, dict[str, Any]] = {}
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self.deadline = deadline
        self.max_body_size = max_body_size
        self.max_download_size = max_download_size

    def __repr__(self) -> str:
        return f"HTTPClient(base_url={self.base_url!r})"

    def pause(self, attempt: int) -> None:
        """Sleep the backoff before re-send number ``attempt`` (1-based, exponential)."""
        self._sleep(self.backoff * 2 ** (attempt - 1))

    def new_deadline(self, timeout: Timeout | None = None) -> Deadline:
        """A :class:`~wxkit.bounds.Deadline` for one call: ``deadline`` seconds, or the worst case of ``timeout``."""
        if self.deadline is not None:
            return Deadline(self.deadline)
        wait = timeout if timeout is not None else self.timeout
        return Deadline(default_deadline(wait, max_retries=self.max_retries, backoff=self.backoff))

    def url(self, path: str) -> str:
        """Absolute URL of an API path (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
        stream: bool = False,
        deadline: Deadline | None = None,
        max_size: int | None = None,
    ) -> requests.Response:
        """Send one request (re-sent only where safe) and return the response.

        ``json_body`` is encoded once with :func:`dump_json`. ``idempotent``
        defaults to ``True`` for GET and ``False`` otherwise. Without
        ``stream`` the body is read here, at most ``max_size`` decoded bytes
        (default ``max_body_size``), and is ``response.content``; with
        ``stream`` read it with :meth:`read` or :meth:`iter_body`. The whole
        call, body included, must end within ``deadline`` (default
        :meth:`new_deadline` of ``timeout``). Raises
        :class:`~wxkit.errors.TransportError` on network failures, HTTP 5xx,
        a redirect, an exceeded deadline or size bound.
        """
        method = method.upper()
        url = self.url(path)
        hdrs = dict(headers or {})
        hdrs.setdefault("Accept-Encoding", ACCEPT_ENCODING)
        if json_body is not None:
            data = dump_json(json_body)
            hdrs.setdefault("Content-Type", "application/json; charset=utf-8")
        request = requests.Request(method, url, params=dict(params or {}), data=data, files=files, headers=hdrs)
        safe_url = redact_url(url, params)
        try:
            prepared = self.session.prepare_request(request)
        except (UnicodeError, ValueError, TypeError) as exc:  # a lone surrogate in a parameter, a bad URL ...
            raise TransportError(
                f"{method} {safe_url} could not be sent: {type(exc).__name__}", method=method, url=safe_url
            ) from None
        origin = url.split("/", 3)[2] if "://" in url else url
        env = self._env.get(origin)
        if env is None:
            # A session's own CA bundle (or False) wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE,
            # which requests would otherwise let override it; True leaves the environment's say.
            verify = None if self.session.verify is True else self.session.verify
            settings = self.session.merge_environment_settings(url, {}, None, verify, None)
            env = {k: v for k, v in dict(settings).items() if k != "stream"}
            self._env[origin] = env
        retry_all = (method == "GET") if idempotent is None else idempotent
        wait = timeout if timeout is not None else self.timeout
        if deadline is None:
            deadline = self.new_deadline(wait)
        limit = self.max_body_size if max_size is None else max_size
        attempt = 0
        while True:
            left = deadline.remaining()
            if left <= 0:
                deadline.hit = True
                raise deadline.error(method, safe_url)
            try:
                with deadline.active():
                    response = self.session.send(
                        prepared, timeout=_capped(wait, left), stream=True, allow_redirects=False, **env
                    )
            except requests.RequestException as exc:
                if deadline.hit or deadline.expired():
                    raise deadline.error(method, safe_url) from None
                never_sent = _never_sent(exc)
                if (never_sent or retry_all) and attempt < self.max_retries:
                    attempt += 1
                    logger.info("retrying %s %s after %s", method, safe_url, type(exc).__name__)
                    self._pause_within(attempt, deadline, method, safe_url)
                    continue
                kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
                raise TransportError(
                    f"{method} {safe_url} {kind}: {type(exc).__name__}", method=method, url=safe_url
                ) from None
            status = response.status_code
            if status >= 500:
                response.close()
                if retry_all and attempt < self.max_retries:
                    attempt += 1
                    logger.info("retrying %s %s after HTTP %s", method, safe_url, status)
                    self._pause_within(attempt, deadline, method, safe_url)
                    continue
                raise TransportError(f"{method} {safe_url} answered HTTP {status}", method=method, url=safe_url)
            if 300 <= status < 400:
                response.close()  # never followed: WeChat's APIs do not redirect, and a redirect could leak the token
                raise TransportError(
                    f"{method} {safe_url} answered a redirect (HTTP {status}), which wxkit does not follow",
                    method=method,
                    url=safe_url,
                )
            if stream:
                _STREAM_DEADLINES[response] = deadline
                return response
            try:
                self._read_whole(response, limit=limit, deadline=deadline, method=method, url=safe_url)
            except _ReadFailed as failed:
                if retry_all and attempt < self.max_retries:
                    attempt += 1
                    logger.info("retrying %s %s after %s", method, safe_url, failed)
                    self._pause_within(attempt, deadline, method, safe_url)
                    continue
                raise failed.error from None
            return response

    def _pause_within(self, attempt: int, deadline: Deadline, method: str, url: str) -> None:
        """:meth:`pause` before a re-send, unless the pause would outlast the deadline."""
        if self.backoff * 2 ** (attempt - 1) >= deadline.remaining():
            deadline.hit = True
            raise deadline.error(method, url)
        self.pause(attempt)

    # -- reading answers -------------------------------------------------------------------------
    def read(
        self,
        response: requests.Response,
        *,
        max_size: int | None = None,
        deadline: Deadline | None = None,
        method: str = "",
        url: str = "",
    ) -> bytes:
        """The decoded body of ``response``, read now if it was streamed (then kept as ``response.content``).

        At most ``max_size`` decoded bytes (default ``max_body_size``), within
        the deadline of the call that sent it (or ``deadline``); ``method`` and
        ``url`` (secrets removed) name the call in errors. Raises
        :class:`~wxkit.errors.TransportError`.
        """
        limit = self.max_body_size if max_size is None else max_size
        try:
            return self._read_whole(response, limit=limit, deadline=deadline, method=method, url=url)
        except _ReadFailed as failed:
            raise failed.error from None

    def iter_body(
        self,
        response: requests.Response,
        *,
        max_size: int | None = None,
        deadline: Deadline | None = None,
        method: str = "",
        url: str = "",
    ) -> Iterator[bytes]:
        """Yield the decoded body of a streamed ``response`` chunk by chunk, then close it.

        ``max_size`` bounds the decoded total (``None``: no bound, e.g. when
        the chunks go to a file); the call's deadline still applies. Raises
        :class:`~wxkit.errors.TransportError`.
        """
        try:
            yield from self._chunks(response, limit=max_size, deadline=deadline, method=method, url=url)
        except _ReadFailed as failed:
            response.close()
            raise failed.error from None
        except BaseException:
            response.close()
            raise
        response.close()

    def close_response(self, response: requests.Response) -> None:
        """Close a streamed response without reading the rest of its body."""
        response.close()

    def close(self) -> None:
        """Close the connection pool (a session given by the caller is left open: closing it is the caller's)."""
        if self._own_session:
            self.session.close()

    def _read_whole(
        self, response: requests.Response, *, limit: int | None, deadline: Deadline | None, method: str, url: str
    ) -> bytes:
        if getattr(response, "_content", False) is not False:  # read already (requests' cache; a response hook)
            return response.content
        try:
            body = b"".join(self._chunks(response, limit=limit, deadline=deadline, method=method, url=url))
        except BaseException:
            response.close()  # drops the connection: its unread rest must not reach the next call
            raise
        response._content = body  # what requests itself caches: response.content keeps working
        response._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag, set by .content
        response.close()  # all read: the connection goes back to the pool
        return body

    def _chunks(
        self, response: requests.Response, *, limit: int | None, deadline: Deadline | None, method: str, url: str
    ) -> Iterator[bytes]:
        """The decoded body chunk by chunk, bounded by ``limit`` and the deadline; I/O errors: :class:`_ReadFailed`."""
        if deadline is None:
            deadline = _STREAM_DEADLINES.get(response) or Deadline(None)
        what = f"{method} {url} answered".strip()

        def error(message: str) -> TransportError:
            return TransportError(message, method=method, url=url)

        decoder = BodyDecoder(response.headers.get("Content-Encoding", ""), limit=limit, what=what, error=error)
        length = _content_length(response)
        if limit is not None and not decoder.coding and length is not None and length > limit:
            raise error(f"{what} with {length} bytes, more than the {limit} allowed")
        raw = response.raw
        read1 = getattr(raw, "read1", None)  # urllib3 >= 2.3: returns what one socket read gave
        while True:
            if deadline.expired():
                deadline.hit = True
                raise deadline.error(method, url)
            try:
                with deadline.active():
                    if read1 is not None:
                        chunk = read1(_CHUNK, decode_content=False)
                    else:
                        chunk = raw.read(_CHUNK, decode_content=False)
            except (OSError, ValueError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
                if deadline.hit or deadline.expired():
                    raise deadline.error(method, url) from None
                raise _ReadFailed(error(f"{what} with a body cut short: {type(exc).__name__}")) from None
            if not chunk:
                break
            yield from decoder.decode(chunk)
        decoder.finish()

    def decode(self, response: requests.Response, *, method: str, safe_url: str) -> dict[str, Any]:
        """Decode a JSON body and raise the :class:`~wxkit.errors.APIError` for a non-zero errcode.

        The body is read first if it was streamed (bounded by ``max_body_size``);
        one that is not a JSON object (not UTF-8, truncated, nested deeper than
        :data:`~wxkit.jsoncodec.MAX_JSON_DEPTH` ...), or a non-2xx answer
        without an errcode, is a :class:`~wxkit.errors.TransportError`.
        """
        body = self.read(response, method=method, url=safe_url)
        try:
            data = load_json(body, what="a body that", max_size=None)
        except ParseError as exc:
            raise TransportError(
                f"{method} {safe_url} answered HTTP {response.status_code} with {exc}", method=method, url=safe_url
            ) from None
        if not isinstance(data, dict):
            raise TransportError(
                f"{method} {safe_url} answered JSON that is not an object", method=method, url=safe_url
            )
        check_errcode(data, method=method, url=safe_url)
        if not 200 <= response.status_code < 300:  # a 4xx without an errcode is no success
            raise TransportError(
                f"{method} {safe_url} answered HTTP {response.status_code}", method=method, url=safe_url
            )
        return data
