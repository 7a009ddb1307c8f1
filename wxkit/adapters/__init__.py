"""Thin web-framework adapters over :meth:`wxkit.BaseApplication.handle`.

Each adapter turns an HTTP request into a ``handle(method, params, body)``
call and its :class:`~wxkit.WxResponse` into the framework's response. They
work for every application class (:class:`wxkit.WxApplication`,
:class:`wxkit.work.WorkApplication`, ...). No framework is a dependency of
wxkit: import the adapter of the framework you use.

* :mod:`wxkit.adapters.wsgi` - ``make_wsgi_app(app)``: a plain WSGI
  application (wsgiref, gunicorn, uWSGI, or mounted in any WSGI framework).
* :mod:`wxkit.adapters.asgi` - ``make_asgi_app(app)``: a plain ASGI 3
  application (uvicorn, hypercorn; ``Mount("/wechat", app=...)`` in Starlette
  or ``fastapi_app.mount("/wechat", ...)`` in FastAPI).
* :mod:`wxkit.adapters.django` - ``make_view(app)``: a CSRF-exempt Django view.
* :mod:`wxkit.adapters.flask` - ``make_view(app)``: a Flask view function.

Request bodies: every adapter answers **413** to a POST whose body is larger
than ``app.max_body_size`` (``None`` means no limit). A declared
``Content-Length`` over the limit is refused before the body is read; the
WSGI and ASGI adapters read a body of unknown length (chunked) only up to
``max_body_size + 1`` bytes. The Django and Flask adapters let the framework
read such a body (bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE`` /
``MAX_CONTENT_LENGTH``) and then refuse it if it is over the limit.
"""

__all__: list[str] = []
