"""Django adapter: a CSRF-exempt view serving a wxkit application.

::

    # urls.py
    from django.urls import path
    from wxkit.adapters.django import make_view

    urlpatterns = [path("wechat", make_view(bot))]

``GET`` is WeChat's URL check, ``POST`` a push, anything else 405. The view
is CSRF-exempt (WeChat cannot send a CSRF token; pushes are authenticated by
their signature instead). A ``POST`` whose ``Content-Length`` exceeds
``app.max_body_size`` is answered **413** before Django reads the body; a
body found to be over the limit after reading is answered 413 too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..app import WxResponse

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from ..app import BaseApplication

__all__ = ["make_view"]


def make_view(app: BaseApplication) -> Callable[[HttpRequest], HttpResponse]:
    """Return a CSRF-exempt Django view serving ``app`` through :meth:`~wxkit.BaseApplication.handle`."""
    from django.http import HttpResponse

    open_platform = bool(getattr(app, "open_platform", False))  # read once: set when the application is made

    def view(request: HttpRequest, appid: str | None = None) -> HttpResponse:
        method = str(request.method or "GET").upper()
        limit = app.max_body_size
        body: bytes | None = None
        too_large = False
        if method == "POST":
            declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
            too_large = limit is not None and declared.isascii() and declared.isdigit() and int(declared) > limit
            if not too_large:
                body = bytes(request.body)
                too_large = limit is not None and len(body) > limit
        if too_large:
            result = WxResponse(413, "request body too large")
        elif open_platform:  # the URL pattern's appid (path("wx/<str:appid>", view))
            result = app.handle(method, request.GET, body, authorizer_appid=appid or "")  # type: ignore[call-arg]  # a WxApplication's
        else:
            result = app.handle(method, request.GET, body)
        response = HttpResponse(result.body, status=result.status, content_type=result.content_type)
        if result.status == 405:
            response["Allow"] = "GET, POST"
        return response

    view.csrf_exempt = True  # type: ignore[attr-defined]  # what django's @csrf_exempt sets
    return view
