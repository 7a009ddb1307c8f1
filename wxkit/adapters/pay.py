"""Serve a :class:`~wxkit.pay.notify.PayNotificationHandler` from WSGI, Django or Flask.

Each adapter reads the request's headers and raw body, calls
:meth:`~wxkit.pay.notify.PayNotificationHandler.handle` and sends its
``(status, body)`` back; nothing else. Give WeChat the URL you serve it at as
the order's / refund's ``notify_url``::

    # WSGI (wsgiref, gunicorn, uWSGI ...)
    from wxkit.adapters.pay import make_wsgi_app
    application = make_wsgi_app(shop)

    # Django urls.py (the view is CSRF-exempt: WeChat signs instead)
    path("pay/notify", make_django_view(shop))

    # Flask
    flask_app.add_url_rule("/pay/notify", view_func=make_flask_view(shop), methods=["POST"])

Only ``POST`` is served (anything else: 405). A ``Content-Length`` over
``handler.max_body_size`` is answered 413 before the body is read. A 204
answer (v3 success) carries no body and no ``Content-Type``.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

from ..pay.notify import content_type_for
from .wsgi import _read_body

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from django.http import HttpRequest, HttpResponse
    from flask import Response

    from ..pay.notify import PayNotificationHandler

__all__ = ["make_django_view", "make_flask_view", "make_wsgi_app"]

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
