"""ASGI adapter: serve a wxkit application from any ASGI 3 server or framework.

Plain ASGI, no framework needed::

    uvicorn mymodule:asgi_app        # asgi_app = make_asgi_app(bot)

Mounted in Starlette or FastAPI (the bot then answers on ``/wechat/``;
Starlette redirects ``/wechat`` there)::

    from starlette.routing import Mount
    starlette_app = Starlette(routes=[Mount("/wechat", app=make_asgi_app(bot))])

    fastapi_app.mount("/wechat", make_asgi_app(bot))

Because the returned object is not a plain function, Starlette's
``Route("/wechat", endpoint=make_asgi_app(bot))`` also treats it as an ASGI
application (no trailing slash needed).

``GET`` is WeChat's URL check, ``POST`` a push, anything else 405. Requests
go through :meth:`~wxkit.BaseApplication.handle_async`: ``async def``
handlers and hooks are awaited on the event loop; plain ones run in a worker
thread (:func:`asyncio.to_thread`), so blocking handlers do not stall the
loop - unless the application sets ``handlers_block = False`` (its plain
handlers never block), which runs them inline. The replay guard's storage
calls run in a worker thread unless the storage is a ``MemoryStorage``.
This needs an asyncio-based server.
Only a ``POST`` body is read: a ``Content-Length`` over
``app.max_body_size`` is answered **413** without reading it, and chunks are
read only until they exceed the limit (413). ``lifespan`` events are
acknowledged; WebSocket connections are closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ..app import WxResponse, _path_appid
from .wsgi import _query_params

if TYPE_CHECKING:
    from ..app import BaseApplication

__all__ = ["make_asgi_app"]

#: The ASGI 3 types, spelled out so that no ASGI framework is needed.
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


#: Content-type header values, encoded once each (wxkit answers with two).
_CONTENT_TYPES: dict[str, bytes] = {}


def make_asgi_app(app: BaseApplication) -> ASGIApp:
    """Return an ASGI 3 application that serves ``app`` through :meth:`~wxkit.BaseApplication.handle_async`."""
    return _ASGIAdapter(app)


class _ASGIAdapter:
    """The ASGI application returned by :func:`make_asgi_app`."""

    def __init__(self, app: BaseApplication) -> None:
        self.app = app
        self.open_platform = bool(getattr(app, "open_platform", False))  # read once: set when the app is made

    def __repr__(self) -> str:
        return f"<wxkit ASGI adapter for {self.app!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})
        if scope["type"] != "http":
            return
        method = str(scope.get("method") or "GET").upper()
        body = await _read_body(scope, receive, self.app.max_body_size) if method == "POST" else None
        if body is None and method == "POST":
            return  # the client went away
        if isinstance(body, WxResponse):
            response = body
        else:
            # latin-1 keeps the raw bytes; _query_params splits WeChat's plain ASCII directly, else decodes UTF-8
            params = _query_params(bytes(scope.get("query_string") or b"").decode("latin-1"))
            if self.open_platform:  # the message URL's /$APPID$ (see _path_appid)
                appid = _path_appid(str(scope.get("path") or ""))
                response = await self.app.handle_async(method, params, body, authorizer_appid=appid)  # type: ignore[call-arg]  # a WxApplication's
            else:
                response = await self.app.handle_async(method, params, body)
        payload = response.body.encode("utf-8")
        content_type = _CONTENT_TYPES.get(response.content_type)
        if content_type is None:
            content_type = _CONTENT_TYPES[response.content_type] = response.content_type.encode("latin-1")
        headers = [(b"content-type", content_type), (b"content-length", str(len(payload)).encode("ascii"))]
        if response.status == 405:
            headers.append((b"allow", b"GET, POST"))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _read_body(scope: Scope, receive: Receive, limit: int | None) -> bytes | WxResponse | None:
    """Read the request body up to ``limit + 1`` bytes; an error response if refused, None on disconnect."""
    for name, value in scope.get("headers") or ():
        if bytes(name).lower() == b"content-length":
            if not bytes(value).strip().isdigit():
                return WxResponse(400, "malformed Content-Length")
            if limit is not None and int(value) > limit:
                return WxResponse(413, "request body too large")
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body") or b""
        if limit is not None and len(body) > limit:
            return WxResponse(413, "request body too large")
        if not message.get("more_body"):
            return bytes(body)


async def _lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge lifespan startup and shutdown (there is nothing to set up)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
