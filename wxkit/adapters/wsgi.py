"""WSGI adapter: serve a wxkit application from any WSGI server.

::

    from wsgiref.simple_server import make_server
    from wxkit.adapters.wsgi import make_wsgi_app

    make_server("", 8000, make_wsgi_app(bot)).serve_forever()

The WSGI application answers on whatever path it is served or mounted at:
``GET`` is WeChat's URL check, ``POST`` a push, anything else 405.

Request bodies (only a ``POST`` body is read):

* a ``Content-Length`` over ``app.max_body_size`` is answered **413** without
  reading the body; a malformed ``Content-Length`` is answered 400;
* without a ``Content-Length`` the body is read only when the server sets
  ``wsgi.input_terminated`` (chunked requests), at most
  ``app.max_body_size + 1`` bytes, and a longer body is answered 413;
  otherwise the body is empty, as PEP 3333 requires.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from ..app import WxResponse, _path_appid

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..app import BaseApplication

__all__ = ["make_wsgi_app"]

_CHUNK = 64 * 1024


def make_wsgi_app(app: BaseApplication) -> WSGIApplication:
    """Return a WSGI application that serves ``app`` through :meth:`~wxkit.BaseApplication.handle`."""
    open_platform = bool(getattr(app, "open_platform", False))  # read once: set when the application is made

    def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        query = str(environ.get("QUERY_STRING") or "")
        body = _read_body(environ, app.max_body_size) if method == "POST" else None
        if isinstance(body, WxResponse):
            response = body
        else:
            params = _query_params(query)
            if open_platform:  # the message URL's /$APPID$ (see _path_appid)
                path = str(environ.get("PATH_INFO") or "").encode("latin-1", "replace").decode("utf-8", "replace")
                response = app.handle(method, params, body, authorizer_appid=_path_appid(path))  # type: ignore[call-arg]  # a WxApplication's
            else:
                response = app.handle(method, params, body)
        payload = response.body.encode("utf-8")
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(payload)))]
        if response.status == 405:
            headers.append(("Allow", "GET, POST"))
        status = response.status
        line = _STATUS_LINES.get(status)
        if line is None:
            line = _STATUS_LINES[status] = f"{status} {HTTPStatus(status).phrase}"
        start_response(line, headers)
        return [payload]

    return wsgi_app


#: Status lines by code, built once each (the few wxkit answers: 200, 400, 403, 405, 413, 500).
_STATUS_LINES: dict[int, str] = {}


def _query_params(query: str) -> dict[str, list[str]]:
    """``parse_qs(query, keep_blank_values=True)`` of a PEP 3333 query string, as UTF-8.

    PEP 3333 query strings are latin-1 "native strings" holding the raw bytes. WeChat's
    (``signature``, ``timestamp``, ``nonce``, ``openid``, ``msg_signature`` ...) are ASCII
    without escapes, and are split here directly: the same dict ``parse_qs`` gives (its
    ``unquote`` leaves such text as it is), at a quarter of the cost. Anything else (an
    escape, ``+``, a byte over 127) is decoded and parsed by ``parse_qs``. tests/adapters
    checks with Hypothesis that both agree.
    """
    if query.isascii() and "%" not in query and "+" not in query:
        params: dict[str, list[str]] = {}
        for field in query.split("&"):
            if field:  # parse_qs skips empty fields
                name, _, value = field.partition("=")  # no "=": a blank value, as keep_blank_values gives
                values = params.get(name)
                if values is None:
                    params[name] = [value]
                else:
                    values.append(value)
        return params
    return parse_qs(query.encode("latin-1", "replace").decode("utf-8", "replace"), keep_blank_values=True)


def _read_body(environ: WSGIEnvironment, limit: int | None) -> bytes | WxResponse:
    """Read a POST body, never more than ``limit + 1`` bytes; an error response if it is refused."""
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    remaining: int | None  # bytes still to read; None: read until EOF
    if declared:
        if not (declared.isascii() and declared.isdigit()):
            return WxResponse(400, "malformed Content-Length")
        remaining = int(declared)
        if limit is not None and remaining > limit:
            return WxResponse(413, "request body too large")
    elif environ.get("wsgi.input_terminated"):
        remaining = None if limit is None else limit + 1
    else:
        return b""
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    if declared and remaining is not None and remaining <= _CHUNK:  # a push: one read, usually all of it
        chunk: bytes = stream.read(remaining)
        if len(chunk) == remaining:
            return chunk
        chunks.append(chunk)  # a short read: go on reading below
        remaining -= len(chunk)
    while remaining is None or remaining > 0:
        chunk = stream.read(_CHUNK if remaining is None else min(remaining, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        if remaining is not None:
            remaining -= len(chunk)
    body = b"".join(chunks)
    if limit is not None and len(body) > limit:
        return WxResponse(413, "request body too large")
    return body
