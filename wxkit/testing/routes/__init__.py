"""The emulator's API routes, one module per WeChat API group.

A route is a function ``(emulator, request) -> dict | EmulatorResponse``
registered on a module's :class:`Router` with ``@router.route(METHOD, PATH)``.
Routes that need an access token get ``request.app`` (the calling app's
:class:`~wxkit.testing.emulator.AppState`) already checked: an unknown token
answers 40001, an expired one 42001. Answer WeChat errors by raising
:class:`WeChatAPIError` (``raise WeChatAPIError(40003, "invalid openid")``).

Route modules whose endpoints have a daily quota register them on a
:class:`QuotaRouter`: each call runs under the emulator lock and is counted by
:func:`charge` against its full API path (``app.quota["/cgi-bin/user/info"]``),
answering 45009 once ``app.quota_limits`` for that path is reached; the
``misc`` routes report (``openapi/quota/get``) and reset (``clear_quota``)
those counters.

Every route belongs to one site, as WeChat's endpoints belong to one host:
``"api"`` (``api.weixin.qq.com``: official accounts, mini programs, the open
platform; WeChat Pay's routes share it) or ``"qyapi"`` (``qyapi.weixin.qq.com``:
WeCom), set with ``Router(site="qyapi")``. The emulator serves each site on
its own listener (``emu.url``, ``emu.work_url``); a token-checked ``"qyapi"``
route gets ``request.corp`` (the calling corp's
:class:`~wxkit.testing.work.CorpState`) and ``request.secret_name`` instead of
``request.app``. The helpers :func:`calling_app`, :func:`json_object`,
:func:`require_object`, :func:`as_text` and :func:`follower` hold the checks
most routes share (47001 for a body that is not an object, 40003 for an
unknown openid ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = [
    "EmulatorRequest",
    "EmulatorResponse",
    "QuotaRouter",
    "Route",
    "RouteHandler",
    "Router",
    "SITES",
    "WeChatAPIError",
    "as_text",
    "calling_app",
    "charge",
    "follower",
    "json_object",
    "ok",
    "require_object",
]


class WeChatAPIError(Exception):
    """Raised by a route to answer ``{"errcode": errcode, "errmsg": errmsg}``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@attrs.define
class EmulatorRequest:
    """One request as a route sees it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    app: AppState | None = None
    #: The request target exactly as sent (``/path?query``), which v3 signatures cover.
    target: str = ""
    #: Values of ``{name}`` segments of the route's path.
    path_params: dict[str, str] = attrs.field(factory=dict)
    #: Set by WeChat Pay routes: the authenticated merchant.
    merchant: Any = None
    #: The verified TLS client certificate (``common_name``, ``serial_no``, ``issuer``);
    #: ``None`` over plain HTTP or when the client sent none (:meth:`Emulator.start_tls`).
    client_cert: dict[str, str] | None = None
    #: The API origin the client addressed, for URLs a route hands back: the receiving
    #: listener's scheme (``https`` on :meth:`Emulator.start_tls`'s) and the ``Host`` header
    #: the client sent (the listener's address when missing or malformed); ``""`` for a
    #: request built by hand (routes then fall back to :attr:`Emulator.url`).
    origin: str = ""
    #: The site whose listener received the request: ``"api"`` or ``"qyapi"`` (WeCom).
    site: str = "api"
    #: On a token-checked WeCom route: the calling corp (:class:`~wxkit.testing.work.CorpState`) and
    #: the name of the secret its token was issued for (an app's agentid as text, ``"contacts"`` ...).
    corp: Any = None
    secret_name: str = ""
    _json: Any = attrs.field(default=None, init=False)
    _json_loaded: bool = attrs.field(default=False, init=False)

    @property
    def json(self) -> Any:
        """The body decoded as JSON; a body that is not JSON answers 47001 like WeChat."""
        if not self._json_loaded:
            try:
                self._json = json.loads(self.body or b"{}")
            except ValueError:
                raise WeChatAPIError(47001, "data format error") from None
            self._json_loaded = True
        return self._json

    def field(self, name: str, default: Any = None) -> Any:
        """A field of the JSON body object (``default`` if absent)."""
        return json_object(self).get(name, default)

    def files(self) -> dict[str, tuple[str, bytes, str]]:
        """Multipart form parts: name -> (filename, content, content type)."""
        from email.parser import BytesParser
        from email.policy import HTTP

        ctype = self.headers.get("content-type", "")
        if not ctype.startswith("multipart/"):
            return {}
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self.body)
        parts: dict[str, tuple[str, bytes, str]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                payload = b""
            parts[str(name)] = (part.get_filename() or "", payload, part.get_content_type())
        return parts


@attrs.frozen
class EmulatorResponse:
    """A non-JSON answer (media downloads, redirects) or a JSON one with a custom status."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = attrs.field(factory=dict)


#: A route: ``(emulator, request) -> dict | EmulatorResponse``.
RouteHandler = Callable[["Emulator", EmulatorRequest], Any]


@attrs.frozen
class Route:
    """A registered route."""

    method: str
    path: str
    handler: RouteHandler
    auth: bool
    #: ``"api"`` (api.weixin.qq.com) or ``"qyapi"`` (qyapi.weixin.qq.com, WeCom).
    site: str = "api"


#: The emulator's sites, each served on its own listener: name -> the WeChat host it plays.
SITES = {"api": "api.weixin.qq.com", "qyapi": "qyapi.weixin.qq.com"}


class Router:
    """Collects the routes of one API group, all on one ``site`` (``"api"`` or ``"qyapi"``)."""

    def __init__(self, *, site: str = "api") -> None:
        if site not in SITES:
            raise ValueError(f"site must be one of {sorted(SITES)}, not {site!r}")
        self.site = site
        self.routes: list[Route] = []

    def route(self, method: str, path: str, *, auth: bool = True) -> Callable[[RouteHandler], RouteHandler]:
        """Register ``handler`` for ``METHOD path``; ``auth=False`` for token and OAuth endpoints."""

        def register(handler: RouteHandler) -> RouteHandler:
            self.routes.append(Route(method.upper(), path, handler, auth, self.site))
            return handler

        return register


def charge(app: AppState, path: str) -> None:
    """Count one call of the API ``path`` for ``app``; 45009 if its daily limit is already reached.

    The counter is ``app.quota[path]`` and the limit ``app.quota_limits[path]``
    (no limit when absent), keyed by the full API path, e.g.
    ``"/cgi-bin/message/template/send"``: the ``cgi_path`` that
    ``POST /cgi-bin/openapi/quota/get`` reports and ``clear_quota`` resets.
    """
    limit = app.quota_limits.get(path)
    if limit is not None and app.quota[path] >= limit:
        raise WeChatAPIError(45009, "reach max api daily quota limit")
    app.quota[path] += 1


class QuotaRouter(Router):
    """A :class:`Router` whose token-checked routes run under the emulator lock, metered by :func:`charge`.

    Every call of such a route counts one against its path's daily quota
    before the handler runs (whatever it answers), so a handler needs neither
    its own lock nor its own quota check. Routes with ``auth=False`` (no app to
    charge) run under the lock unmetered.
    """

    def route(self, method: str, path: str, *, auth: bool = True) -> Callable[[RouteHandler], RouteHandler]:
        """Register ``handler`` for ``METHOD path``, metered when ``auth``."""
        register = super().route(method, path, auth=auth)

        def wrap(handler: RouteHandler) -> RouteHandler:
            def metered(emu: Emulator, req: EmulatorRequest) -> Any:
                with emu.lock:
                    if auth:
                        charge(calling_app(req), path)
                    return handler(emu, req)

            metered.__doc__ = handler.__doc__
            register(metered)
            return handler

        return wrap


def ok(**fields: Any) -> dict[str, Any]:
    """WeChat's success body: ``{"errcode": 0, "errmsg": "ok", **fields}``."""
    return {"errcode": 0, "errmsg": "ok", **fields}


# -- helpers shared by the route modules --------------------------------------------------
def calling_app(req: EmulatorRequest) -> AppState:
    """The app whose access token a token-checked route was called with (set by the emulator)."""
    app = req.app
    assert app is not None, "calling_app() needs a token-checked route (auth=True)"
    return app


def json_object(req: EmulatorRequest) -> dict[str, Any]:
    """The request's JSON body as an object; 47001 "data format error" for anything else."""
    return require_object(req.json)


def require_object(value: Any, name: str = "") -> dict[str, Any]:
    """``value`` if it is a JSON object; else 47001 "data format error" (naming ``name`` when given)."""
    if not isinstance(value, dict):
        raise WeChatAPIError(47001, f"data format error: {name}" if name else "data format error")
    return value


def as_text(value: Any) -> str:
    """``value`` if it is a string, else ``""`` (for ids looked up in the emulator's state)."""
    return value if isinstance(value, str) else ""


def follower(app: AppState, openid: Any, *, subscribed: bool = False) -> dict[str, Any]:
    """The follower ``openid`` of ``app``: 40003 "invalid openid" if unknown.

    With ``subscribed=True`` a user who unfollowed (``subscribe`` 0) answers
    43004 "require subscribe", as message sends do.
    """
    user = app.followers.get(openid) if isinstance(openid, str) else None
    if user is None:
        raise WeChatAPIError(40003, "invalid openid")
    if subscribed and not user.get("subscribe", 1):
        raise WeChatAPIError(43004, "require subscribe")
    return user
