"""Serve a :class:`~wxkit.pay.notify.PayNotificationHandler` from WSGI, ASGI, Django or Flask.

Each adapter reads the request's headers and raw body, calls
:meth:`~wxkit.pay.notify.PayNotificationHandler.handle` (the ASGI one
:meth:`~wxkit.pay.notify.PayNotificationHandler.handle_async`) and sends its
``(status, body)`` back; nothing else. Give WeChat the URL you serve it at as
the order's / refund's ``notify_url``::

    # WSGI (wsgiref, gunicorn, uWSGI ...)
    from wxkit.adapters.pay import make_wsgi_app
    application = make_wsgi_app(shop)

    # Django urls.py (the view is CSRF-exempt: WeChat signs instead)
    path("pay/notify", make_django_view(shop))

    # Flask
    flask_app.add_url_rule("/pay/notify", view_func=make_flask_view(shop), methods=["POST"])

    # ASGI: uvicorn, Starlette, FastAPI (async def on_paid / on_refund are awaited)
    from wxkit.adapters.pay import make_asgi_app
    starlette_app = Starlette(routes=[Route("/pay/notify", make_asgi_app(shop))])
    fastapi_app.add_route("/pay/notify", make_asgi_app(shop))   # FastAPI (a Starlette app)

Only ``POST`` is served (anything else: 405). A ``Content-Length`` over
``handler.max_body_size`` is answered 413 before the body is read. A 204
answer (v3 success) carries no body and no ``Content-Type``. The ASGI
adapter reads a body of unknown length only up to ``max_body_size + 1``
bytes, runs plain handlers in a worker thread (unless the handler sets
``handlers_block = False``), acknowledges ``lifespan`` events and closes
WebSocket connections; it needs an asyncio-based server.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

from ..pay.notify import content_type_for
from .asgi import ASGIApp, Receive, Scope, Send, _lifespan
from .asgi import _read_body as _read_asgi_body
from .wsgi import _read_body

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from django.http import HttpRequest, HttpResponse
    from flask import Response

    from ..pay.notify import PayNotificationHandler

__all__ = ["make_asgi_app", "make_django_view", "make_flask_view", "make_wsgi_app"]

_TOO_LARGE = (413, "request body too large")


def _too_large(declared: str | int | None, limit: int | None) -> bool:
    text = str(declared or "").strip()
    return limit is not None and text.isascii() and text.isdigit() and int(text) > limit


def make_wsgi_app(handler: PayNotificationHandler) -> WSGIApplication:
    """A WSGI application answering WeChat Pay notifications with ``handler``."""

    def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if str(environ.get("REQUEST_METHOD") or "").upper() != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
            return [b""]
        body = _read_body(environ, handler.max_body_size)
        if isinstance(body, bytes):
            headers = {
                key[5:].replace("_", "-").title(): str(value)
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            status, text = handler.handle(headers, body)
        else:
            status, text = body.status, body.body
        phrase = f"{status} {HTTPStatus(status).phrase}"
        if status == 204:
            start_response(phrase, [])
            return [b""]
        payload = text.encode("utf-8")
        start_response(phrase, [("Content-Type", content_type_for(text)), ("Content-Length", str(len(payload)))])
        return [payload]

    return wsgi_app


def make_django_view(handler: PayNotificationHandler) -> Callable[[HttpRequest], HttpResponse]:
    """A CSRF-exempt Django view answering WeChat Pay notifications with ``handler``."""
    from django.http import HttpResponse, HttpResponseNotAllowed

    def view(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if _too_large(request.META.get("CONTENT_LENGTH"), handler.max_body_size):
            status, text = _TOO_LARGE
        else:
            status, text = handler.handle(request.headers, bytes(request.body))
        if status == 204:
            response = HttpResponse(status=204)
            del response["Content-Type"]
            return response
        return HttpResponse(text, status=status, content_type=content_type_for(text))

    view.csrf_exempt = True  # type: ignore[attr-defined]  # what django's @csrf_exempt sets
    return view


def make_flask_view(handler: PayNotificationHandler) -> Callable[[], Response]:
    """A Flask view function answering WeChat Pay notifications with ``handler``."""
    from flask import Response, request

    def view() -> Response:
        if request.method != "POST":
            return Response(status=405, headers={"Allow": "POST"})
        if _too_large(request.content_length, handler.max_body_size):
            status, text = _TOO_LARGE
        else:
            headers = dict(request.headers.items())
            status, text = handler.handle(headers, request.get_data(cache=False))
        if status == 204:
            response = Response(status=204)
            response.headers.pop("Content-Type", None)
            return response
        return Response(text, status=status, content_type=content_type_for(text))

    return view


def make_asgi_app(handler: PayNotificationHandler) -> ASGIApp:
    """An ASGI 3 application answering WeChat Pay notifications with ``handler`` (through ``handle_async``)."""
    return _PayASGIAdapter(handler)


class _PayASGIAdapter:
    """The ASGI application returned by :func:`make_asgi_app`."""

    def __init__(self, handler: PayNotificationHandler) -> None:
        self.handler = handler

    def __repr__(self) -> str:
        return f"<wxkit pay ASGI adapter for {self.handler!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})
        if scope["type"] != "http":
            return
        if str(scope.get("method") or "").upper() != "POST":
            await _respond(send, 405, "", [(b"allow", b"POST")])
            return
        body = await _read_asgi_body(scope, receive, self.handler.max_body_size)
        if body is None:
            return  # the client went away
        if isinstance(body, bytes):
            headers = {
                bytes(name).decode("latin-1"): bytes(value).decode("latin-1")
                for name, value in scope.get("headers") or ()
            }
            status, text = await self.handler.handle_async(headers, body)
        else:
            status, text = body.status, body.body
        await _respond(send, status, text)


async def _respond(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send one answer; a 204 carries no body and no ``Content-Type``."""
    headers = list(extra or [])
    payload = b"" if status == 204 else text.encode("utf-8")
    if status != 204:
        headers.append((b"content-type", content_type_for(text).encode("latin-1")))
        headers.append((b"content-length", str(len(payload)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
