"""The async HTTP layer under :class:`wxkit.AsyncClient`: ``httpx.AsyncClient`` with the sync layer's rules.

:class:`AsyncHTTPClient` is the twin of :class:`wxkit.core.http.HTTPClient`
(see its module for the rules): one ``httpx.AsyncClient`` per client with
keep-alive, a default ``(connect, read)`` timeout, a total deadline per call
(enforced with one ``asyncio.timeout`` around every try, the reading of a
whole body included, and one per chunk of a streamed body: no task is made
per call; ``asyncio.wait_for`` on Python 3.10), answers read in chunks and
decoded here within ``max_body_size`` / ``max_download_size``, re-sends
only where they cannot duplicate an effect, redirects refused (a caller's
session that follows them included), more than 100 headers refused
(``http.client``'s bound on the sync side), network failures and calls on a
closed client as :class:`~wxkit.errors.TransportError` and errcodes as
:class:`~wxkit.errors.APIError` subclasses.

``httpx`` (the ``wxkit[async]`` extra) is imported when the first
:class:`AsyncHTTPClient` is made, so importing wxkit or using the sync client
never imports it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from ..bounds import BodyDecoder, Deadline, default_deadline
from ..errors import ConfigError, ParseError, TransportError
from ..jsoncodec import load_json
from ._loops import loop_changed
from .http_rules import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_DOWNLOAD_SIZE,
    DEFAULT_TIMEOUT,
    Timeout,
    check_errcode,
    dump_json,
)
from .redact import redact_url

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncHTTPClient"]

logger = logging.getLogger("wxkit.client")
_CHUNK = 64 * 1024
#: The most header lines an answer may carry: http.client's bound, which the sync transport has too.
_MAX_HEADERS = 100


_T = TypeVar("_T")

if sys.version_info >= (3, 11):

    async def _within(awaitable: Awaitable[_T], seconds: float | None) -> _T:
        """``await awaitable``, or raise ``TimeoutError`` after ``seconds``: in this task, no task made per call."""
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10 has no asyncio.timeout

    async def _within(awaitable: Awaitable[_T], seconds: float | None) -> _T:
        """``await awaitable``, or raise ``asyncio.TimeoutError`` after ``seconds``."""
        return await asyncio.wait_for(awaitable, seconds)


class _ReadFailed(Exception):
    def __init__(self, error: TransportError) -> None:
        super().__init__(str(error))
        self.error = error


#: httpx's default TLS context (its CA bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), made once per process and
#: per value of those two variables: loading the CA bundle costs ~50 ms, which httpx pays for every client it makes.
#: An ``ssl.SSLContext`` is safe to share between pools, threads and event loops.
_TLS_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
_TLS_LOCK = threading.Lock()
#: Binding a client's pool to an event loop (AsyncHTTPClient._bind): rare, so one lock for every client.
_BIND_LOCK = threading.Lock()


#: How many distinct ``(connect, read)`` timeouts a client keeps its ``httpx.Timeout`` of.
_MAX_TIMEOUTS = 32


def _tls_context(httpx: Any) -> ssl.SSLContext:
    """The default TLS context for the pools wxkit makes (``httpx.create_ssl_context()``, shared)."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _TLS_LOCK:
        context = _TLS_CONTEXTS.get(key)
        if context is None:
            context = _TLS_CONTEXTS[key] = httpx.create_ssl_context()
        return context


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigError("the async client needs httpx: pip install 'wxkit[async]'") from None
    return httpx


class AsyncHTTPClient:
    """Sends requests to one base URL with wxkit's timeout, deadline, size, retry and error rules, on asyncio.

    ``session`` may be an ``httpx.AsyncClient`` of yours (then closing it is
    yours too); otherwise one is made (keep-alive, 100 connections, redirects
    off, ``trust_env`` on). ``deadline``, ``max_body_size`` and
    ``max_download_size`` mean what they mean on
    :class:`~wxkit.core.http.HTTPClient`; ``sleep`` (an async function) is
    injectable for tests.
    """

    #: The deadline of each streamed response still to be read (gone with the response).
    _deadlines: weakref.WeakKeyDictionary[httpx.Response, Deadline]
    #: The ``httpx.Timeout`` of each ``(connect, read)`` pair, made once (the first :data:`_MAX_TIMEOUTS` pairs).
    _timeouts: dict[tuple[float, float], httpx.Timeout]

    def __init__(
        self,
        base_url: str,
        *,
        session: httpx.AsyncClient | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        backoff: float = 0.2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE,
    ) -> None:
        httpx = _httpx()
        self.base_url = base_url.rstrip("/")
        self._own_session = session is None
        self._httpx = httpx
        self.session = session if session is not None else self._new_session()
        #: The event loop the pool's connections belong to (bound on first use).
        self._loop: asyncio.AbstractEventLoop | None = None
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self.deadline = deadline
        self.max_body_size = max_body_size
        self.max_download_size = max_download_size
        self._deadlines = weakref.WeakKeyDictionary()
        self._timeouts = {}

    def __repr__(self) -> str:
        return f"AsyncHTTPClient(base_url={self.base_url!r})"

    def _new_session(self) -> httpx.AsyncClient:
        lib = self._httpx
        session: httpx.AsyncClient = lib.AsyncClient(
            follow_redirects=False,
            limits=lib.Limits(max_connections=100, max_keepalive_connections=32),
            timeout=lib.Timeout(None),
            headers={"Accept-Encoding": ACCEPT_ENCODING},  # what BodyDecoder reads; set once, not per call
            verify=_tls_context(lib),
        )
        return session

    def _bind(self, running: asyncio.AbstractEventLoop, method: str, safe_url: str) -> None:
        """Use the pool on ``running``: the first loop binds it; after that loop has gone, a new pool is opened.

        Under a lock: two threads whose first calls race must not both bind (one of them gets ConfigError).
        """
        with _BIND_LOCK:
            self._bind_locked(running, method, safe_url)

    def _bind_locked(self, running: asyncio.AbstractEventLoop, method: str, safe_url: str) -> None:
        state = loop_changed(self._loop, running)
        if state == "rebind" and self._loop is not None and not self.session.is_closed:
            if not self._own_session:
                raise ConfigError(
                    f"{method} {safe_url}: the httpx.AsyncClient given as session belongs to an event loop that "
                    "has ended; give the client a session made in the running loop"
                )
            # The old pool's connections belong to a loop that is gone: they cannot even be closed from here.
            self.session = self._new_session()
        elif state == "foreign":
            raise ConfigError(
                f"{method} {safe_url}: this async client is in use by another running event loop (thread); "
                "make one client per event loop (they may share a storage, and so one token)"
            )
        self._loop = running

    async def aclose(self) -> None:
        """Close the connection pool (a session given by the caller is left open)."""
        if self._own_session:
            running = asyncio.get_running_loop()
            if self._loop is not None and running is not self._loop:  # as a call would: a new pool, or ConfigError
                self._bind(running, "aclose()", self.base_url)
            await self.session.aclose()

    async def pause(self, attempt: int) -> None:
        """Sleep the backoff before re-send number ``attempt`` (1-based, exponential)."""
        await self._sleep(self.backoff * 2 ** (attempt - 1))

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

    def _timeout(self, wait: Timeout, left: float) -> httpx.Timeout:
        connect, read = wait if isinstance(wait, tuple) else (wait, wait)
        connect, read = float(connect), float(read)
        if left >= connect and left >= read:  # the common case: the deadline is further away than the timeouts
            cached = self._timeouts.get((connect, read))
            if cached is None:
                cached = self._httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
                if len(self._timeouts) < _MAX_TIMEOUTS:  # per-call timeouts may all differ: a bounded cache
                    self._timeouts[(connect, read)] = cached
            return cached
        connect, read = min(connect, left), min(read, left)
        return self._httpx.Timeout(connect=connect, read=read, write=read, pool=connect)  # type: ignore[no-any-return]

    async def send(
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
    ) -> httpx.Response:
        """Send one request (re-sent only where safe) and return the response; see ``HTTPClient.send``."""
        httpx = self._httpx
        method = method.upper()
        url = self.url(path)
        hdrs = dict(headers or {})
        if not self._own_session:  # a caller's session may offer codings BodyDecoder does not read (br, zstd)
            hdrs.setdefault("Accept-Encoding", ACCEPT_ENCODING)
        content: bytes | None = None
        if json_body is not None:
            content = dump_json(json_body)
            hdrs.setdefault("Content-Type", "application/json; charset=utf-8")
            data = None
        elif isinstance(data, (bytes, str)):
            content, data = (data.encode("utf-8") if isinstance(data, str) else data), None
        elif isinstance(data, (list, tuple)):  # form pairs, repeated names kept in order (requests' form too)
            if files is None:
                content, data = urlencode([(str(k), str(v)) for k, v in data]).encode("ascii"), None
                hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                pairs: dict[str, list[str]] = {}
                for k, v in data:
                    pairs.setdefault(str(k), []).append(str(v))
                data = pairs
        query = {k: v for k, v in (params or {}).items() if v is not None}
        has_query = "?" in url
        safe_url = redact_url(url, params)
        retry_all = (method == "GET") if idempotent is None else idempotent
        wait = timeout if timeout is not None else self.timeout
        if deadline is None:
            deadline = self.new_deadline(wait)
        limit = self.max_body_size if max_size is None else max_size
        running = asyncio.get_running_loop()
        if running is not self._loop:
            self._bind(running, method, safe_url)
        if self.session.is_closed:  # httpx would raise a RuntimeError
            raise TransportError(
                f"{method} {safe_url} could not be sent: the client is closed", method=method, url=safe_url
            )
        attempt = 0
        while True:
            left = deadline.remaining()
            if left <= 0:
                deadline.hit = True
                raise deadline.error(method, safe_url)
            try:
                request = self.session.build_request(
                    method,
                    # httpx replaces a URL's own query by ``params``: merge them instead, as requests does.
                    httpx.URL(url).copy_merge_params(query) if query and has_query else url,
                    params=query if query and not has_query else None,
                    content=content,
                    data=data,
                    files=files,
                    headers=hdrs,
                    timeout=self._timeout(wait, left),
                )
                port = request.url.port
                if port is not None and not 0 < port < 65536:  # anyio would raise an ExceptionGroup
                    raise ValueError("port out of range")
            except (TypeError, ValueError, UnicodeError, httpx.InvalidURL) as exc:
                raise TransportError(
                    f"{method} {safe_url} could not be sent: {type(exc).__name__}", method=method, url=safe_url
                ) from None
            try:
                # One timer for the whole try, the answer's body included (the deadline is one moment).
                response = await _within(
                    self._exchange(request, read=not stream, limit=limit, method=method, url=safe_url), left
                )
            except _ReadFailed as failed:
                if retry_all and attempt < self.max_retries:
                    attempt += 1
                    logger.info("retrying %s %s after %s", method, safe_url, failed)
                    await self._pause_within(attempt, deadline, method, safe_url)
                    continue
                raise failed.error from None
            except (asyncio.TimeoutError, httpx.HTTPError) as exc:
                if isinstance(exc, asyncio.TimeoutError) or deadline.expired():
                    deadline.hit = True
                    raise deadline.error(method, safe_url) from None
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if (never_sent or retry_all) and attempt < self.max_retries and isinstance(exc, httpx.TransportError):
                    attempt += 1
                    logger.info("retrying %s %s after %s", method, safe_url, type(exc).__name__)
                    await self._pause_within(attempt, deadline, method, safe_url)
                    continue
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                raise TransportError(
                    f"{method} {safe_url} {kind}: {type(exc).__name__}", method=method, url=safe_url
                ) from None
            status = response.status_code
            if status >= 500:
                await response.aclose()
                if retry_all and attempt < self.max_retries:
                    attempt += 1
                    logger.info("retrying %s %s after HTTP %s", method, safe_url, status)
                    await self._pause_within(attempt, deadline, method, safe_url)
                    continue
                raise TransportError(f"{method} {safe_url} answered HTTP {status}", method=method, url=safe_url)
            if 300 <= status < 400:
                await response.aclose()
                raise TransportError(
                    f"{method} {safe_url} answered a redirect (HTTP {status}), which wxkit does not follow",
                    method=method,
                    url=safe_url,
                )
            if len(response.headers.raw) > _MAX_HEADERS:
                await response.aclose()
                raise TransportError(
                    f"{method} {safe_url} answered more than {_MAX_HEADERS} headers", method=method, url=safe_url
                )
            if stream:
                self._deadlines[response] = deadline
            return response

    async def _exchange(
        self, request: httpx.Request, *, read: bool, limit: int | None, method: str, url: str
    ) -> httpx.Response:
        """Send ``request``; with ``read``, read the body of an answer that will be returned (not 3xx / 5xx)."""
        # Never followed, even by a caller's session made with follow_redirects=True.
        response = await self.session.send(request, stream=True, follow_redirects=False)
        status = response.status_code
        if (
            read
            and (status < 300 or 400 <= status < 500)
            and len(response.headers) <= _MAX_HEADERS
            and getattr(response, "_content", None) is None  # a transport's answer already in memory (MockTransport)
        ):
            try:
                response._content = await self._collect(response, limit=limit, method=method, url=url)
            finally:
                await response.aclose()
        return response

    async def _pause_within(self, attempt: int, deadline: Deadline, method: str, url: str) -> None:
        if self.backoff * 2 ** (attempt - 1) >= deadline.remaining():
            deadline.hit = True
            raise deadline.error(method, url)
        await self.pause(attempt)

    # -- reading answers -------------------------------------------------------------------------
    async def read(
        self,
        response: httpx.Response,
        *,
        max_size: int | None = None,
        deadline: Deadline | None = None,
        method: str = "",
        url: str = "",
    ) -> bytes:
        """The decoded body of ``response``, read now if it was streamed; see ``HTTPClient.read``."""
        limit = self.max_body_size if max_size is None else max_size
        try:
            return await self._read_whole(response, limit=limit, deadline=deadline, method=method, url=url)
        except _ReadFailed as failed:
            raise failed.error from None

    async def aiter_body(
        self,
        response: httpx.Response,
        *,
        max_size: int | None = None,
        deadline: Deadline | None = None,
        method: str = "",
        url: str = "",
    ) -> AsyncIterator[bytes]:
        """Yield the decoded body of a streamed ``response`` chunk by chunk, then close it."""
        try:
            async for chunk in self._chunks(response, limit=max_size, deadline=deadline, method=method, url=url):
                yield chunk
        except _ReadFailed as failed:
            await response.aclose()
            raise failed.error from None
        finally:
            await response.aclose()

    async def aclose_response(self, response: httpx.Response) -> None:
        """Close a streamed response without reading the rest of its body."""
        self._deadlines.pop(response, None)
        await response.aclose()

    async def _read_whole(
        self, response: httpx.Response, *, limit: int | None, deadline: Deadline | None, method: str, url: str
    ) -> bytes:
        cached = getattr(response, "_content", None)
        if cached is not None:
            return bytes(cached)
        if deadline is None:
            deadline = self._deadlines.pop(response, None) or Deadline(None)
        try:
            left = deadline.remaining()
            if left <= 0:
                deadline.hit = True
                raise deadline.error(method, url)
            try:
                # One timer for the whole body (the deadline is one moment), not one per chunk.
                body = await _within(
                    self._collect(response, limit=limit, method=method, url=url),
                    None if left == float("inf") else left,
                )
            except asyncio.TimeoutError:
                deadline.hit = True
                raise deadline.error(method, url) from None
        finally:
            await response.aclose()
        response._content = body  # what httpx caches: response.content keeps working
        return body

    def _decoder(self, response: httpx.Response, *, limit: int | None, method: str, url: str) -> BodyDecoder:
        """The body's decoder; an answer announcing more than ``limit`` plain bytes is refused before reading."""
        what = f"{method} {url} answered".strip()

        def error(message: str) -> TransportError:
            return TransportError(message, method=method, url=url)

        headers = response.headers
        decoder = BodyDecoder(headers.get("Content-Encoding", ""), limit=limit, what=what, error=error)
        if limit is not None and not decoder.coding:
            try:
                length = int(headers.get("Content-Length", ""))
            except ValueError:
                length = None
            if length is not None and length > limit:
                raise error(f"{what} with {length} bytes, more than the {limit} allowed")
        return decoder

    async def _collect(self, response: httpx.Response, *, limit: int | None, method: str, url: str) -> bytes:
        """Read and decode the whole body within ``limit`` (the caller bounds the time)."""
        decoder = self._decoder(response, limit=limit, method=method, url=url)
        parts: list[bytes] = []
        try:
            async for chunk in response.aiter_raw(_CHUNK):
                parts.extend(decoder.decode(chunk))
        except (self._httpx.HTTPError, OSError) as exc:
            what = f"{method} {url} answered".strip()
            error = TransportError(f"{what} with a body cut short: {type(exc).__name__}", method=method, url=url)
            raise _ReadFailed(error) from None
        decoder.finish()
        return b"".join(parts)

    async def _chunks(
        self, response: httpx.Response, *, limit: int | None, deadline: Deadline | None, method: str, url: str
    ) -> AsyncIterator[bytes]:
        httpx = self._httpx
        if deadline is None:
            deadline = self._deadlines.pop(response, None) or Deadline(None)
        decoder = self._decoder(response, limit=limit, method=method, url=url)
        what = f"{method} {url} answered".strip()
        raw = response.aiter_raw(_CHUNK)
        while True:
            left = deadline.remaining()
            if left <= 0:
                deadline.hit = True
                raise deadline.error(method, url)
            try:
                chunk = await _within(anext(raw, b""), None if left == float("inf") else left)
            except asyncio.TimeoutError:
                deadline.hit = True
                raise deadline.error(method, url) from None
            except (httpx.HTTPError, OSError) as exc:
                error = TransportError(f"{what} with a body cut short: {type(exc).__name__}", method=method, url=url)
                raise _ReadFailed(error) from None
            if not chunk:
                break
            for piece in decoder.decode(chunk):
                yield piece
        decoder.finish()

    async def decode(self, response: httpx.Response, *, method: str, safe_url: str) -> dict[str, Any]:
        """Decode a JSON body and raise the :class:`~wxkit.errors.APIError` for a non-zero errcode."""
        body = await self.read(response, method=method, url=safe_url)
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
        if not 200 <= response.status_code < 300:
            raise TransportError(
                f"{method} {safe_url} answered HTTP {response.status_code}", method=method, url=safe_url
            )
        return data
