"""The client every platform shares: ``get`` / ``post`` any API path with the token rules.

:class:`BaseClient` (this source; the sync ``BaseClient`` is generated
from it) adds the access token to every call, follows the HTTP rules of its
transport (:mod:`wxkit.core.http` / :mod:`wxkit.core.http`), and on a token
error (``token_errcodes``: 40001 / 40014 / 42001, and WeCom's 40082 ...)
drops the token only if it is still the one that failed, fetches again and
retries the call once. A platform client is a subclass: a transport, a token
provider and its API groups. ``close()`` / ``with`` (sync) and ``close()`` /
``with`` (async) close the connection pool.
"""
# Generated from wxkit/core/_async/client.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import TOKEN_ERRCODES, AccessTokenError, APIError, SystemBusyError, TransportError
from ..storage import Storage
from .http_rules import Timeout
from .redact import redact_url

if TYPE_CHECKING:
    from typing_extensions import Self

    from .http import HTTPClient
    from .token import TokenProvider

__all__ = ["BaseClient"]


class BaseClient:
    """A platform client: a transport (``http``), a token provider (``tokens``), a storage, its API groups."""

    #: Errcodes that mean "this access token is no good": drop it (if still current), refetch, retry once.
    token_errcodes: frozenset[int] = TOKEN_ERRCODES
    #: The app's id (official account, mini program) or the corp id (WeCom); set by the platform client.
    appid: str = ""

    def __init__(self, http: HTTPClient, tokens: TokenProvider, storage: Storage) -> None:
        self.http = http
        self.tokens = tokens
        self.storage = storage

    def close(self) -> None:
        """Close the connection pool (a session passed in by the caller is left open)."""
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def access_token(self) -> str:
        """The current access token (fetched if needed); ``await client.get_access_token()`` when async."""
        return self.tokens.get()

    def get_access_token(self) -> str:
        """The current access token (fetched if needed)."""
        return self.tokens.get()

    # -- the raw escape hatch ---------------------------------------------------
    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: Timeout | None = None,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """``GET`` any API path with the token, retries and error handling; return the JSON."""
        return self.request("GET", path, params=params, timeout=timeout, with_token=with_token)

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        data: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool = False,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """``POST`` any API path (JSON, or multipart ``files``); return the JSON.

        A POST is never re-sent once it may have reached WeChat, unless
        ``idempotent=True`` (reads such as batch-get).
        """
        return self.request(
            "POST",
            path,
            params=params,
            json=json,
            files=files,
            data=data,
            timeout=timeout,
            idempotent=idempotent,
            with_token=with_token,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """Call an API path and return its decoded JSON (see :meth:`get` / :meth:`post`)."""
        response, decoded = self.send(
            method,
            path,
            params=params,
            json=json,
            files=files,
            data=data,
            timeout=timeout,
            idempotent=idempotent,
            with_token=with_token,
        )
        if decoded is None:
            safe_url = redact_url(self.http.url(path), params)
            ctype = response.headers.get("Content-Type", "")
            self.http.close_response(response)
            raise TransportError(f"{method} {safe_url} answered {ctype!r}, not JSON", method=method, url=safe_url)
        return decoded

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
        with_token: bool = True,
        stream: bool = False,
    ) -> tuple[Any, dict[str, Any] | None]:
        """Send a call with the token rules; return ``(response, decoded JSON or None)``.

        A JSON body is decoded and checked for errcodes; a body of another type
        (a media download) is returned undecoded, streamed if ``stream``.
        """
        method = method.upper()
        read = (method == "GET") if idempotent is None else idempotent
        busy_retries = self.http.max_retries if read else 0
        token: str | None = self.tokens.get() if with_token else None
        refreshed = False
        safe_url = redact_url(self.http.url(path), params)
        if files is not None and with_token:
            # A token refresh re-sends the call: read file objects once so the retry carries the same bytes.
            files = _buffer_files(files)
        while True:
            query = dict(params or {})
            if token is not None:
                query["access_token"] = token
            response = self.http.send(
                method,
                path,
                params=query,
                json_body=json,
                data=data,
                files=files,
                timeout=timeout,
                idempotent=read,
                stream=stream,
            )
            if not _is_json(response):
                return response, None
            try:
                return response, self.http.decode(response, method=method, safe_url=safe_url)
            except APIError as exc:
                if exc.errcode in self.token_errcodes and token is not None:
                    if refreshed:
                        raise AccessTokenError(
                            exc.errcode, exc.errmsg, method=method, url=safe_url, response=exc.response
                        ) from None
                    token = self.tokens.refresh(token)
                    refreshed = True
                    continue
                if isinstance(exc, SystemBusyError) and busy_retries > 0:
                    busy_retries -= 1
                    self.http.pause(1)
                    continue
                raise


def _buffer_files(files: Any) -> Any:
    """Replace file objects in a requests ``files`` mapping by their bytes (read once)."""
    if not isinstance(files, Mapping):
        return files
    out: dict[str, Any] = {}
    for name, value in files.items():
        if isinstance(value, tuple) and len(value) >= 2 and hasattr(value[1], "read"):
            out[name] = (value[0], value[1].read(), *value[2:])
        elif hasattr(value, "read"):
            out[name] = (getattr(value, "name", name), value.read())
        else:
            out[name] = value
    return out


def _is_json(response: Any) -> bool:
    """Whether a response carries JSON (WeChat labels it application/json, text/plain or nothing)."""
    ctype = response.headers.get("Content-Type", "").lower()
    return not ctype or "json" in ctype or ctype.startswith("text/")
