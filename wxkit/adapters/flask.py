"""Flask adapter: a view function serving a wxkit application.

::

    from flask import Flask
    from wxkit.adapters.flask import make_view

    flask_app = Flask(__name__)
    flask_app.add_url_rule("/wechat", view_func=make_view(bot), methods=["GET", "POST"])

Routing more than one bot in one Flask app needs distinct endpoint names:
``add_url_rule("/work", endpoint="work_bot", view_func=make_view(work_bot), ...)``.

``GET`` is WeChat's URL check, ``POST`` a push, anything else 405. Query
parameters repeated in the URL count by their last value, as in the other
adapters. A ``POST`` whose ``Content-Length`` exceeds ``app.max_body_size``
is answered **413** before Flask reads the body; a body found to be over the
limit after reading (chunked; bound it with Flask's ``MAX_CONTENT_LENGTH``)
is answered 413 too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..app import WxResponse

if TYPE_CHECKING:
    from flask import Response

    from ..app import BaseApplication

__all__ = ["make_view"]


def make_view(app: BaseApplication) -> Callable[[], Response]:
    """Return a Flask view function serving ``app`` through :meth:`~wxkit.BaseApplication.handle`."""
    from flask import Response, request

    open_platform = bool(getattr(app, "open_platform", False))  # read once: set when the application is made

    def view(appid: str | None = None) -> Response:
        method = request.method.upper()
        limit = app.max_body_size
        body: bytes | None = None
        too_large = False
        if method == "POST":
            too_large = limit is not None and (request.content_length or 0) > limit
            if not too_large:
                body = request.get_data(cache=False)
                too_large = limit is not None and len(body) > limit
        if too_large:
            result = WxResponse(413, "request body too large")
        else:
            params = request.args.to_dict(flat=False)
            if open_platform:  # the rule's appid (add_url_rule("/wx/<appid>", ...))
                result = app.handle(method, params, body, authorizer_appid=appid or "")  # type: ignore[call-arg]  # a WxApplication's
            else:
                result = app.handle(method, params, body)
        response = Response(result.body, status=result.status, content_type=result.content_type)
        if result.status == 405:
            response.headers["Allow"] = "GET, POST"
        return response

    return view
