"""The emulator's API routes, one module per WeChat API group.

A route is a function ``(emulator, request) -> dict | EmulatorResponse``
registered on a module's :class:`Router` with ``@router.route(METHOD, PATH)``.
Routes that need an access token get ``request.app`` (the calling app's
:class:`~wxkit.testing.emulator.AppState`) already checked: an unknown token
answers 40001, an expired one 42001. Answer WeChat errors by raising
:class:`WeChatAPIError` (``raise WeChatAPIError(40003, "invalid openid")``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["EmulatorRequest", "EmulatorResponse", "Route", "RouteHandler", "Router", "WeChatAPIError", "ok"]


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
        data = self.json
        if not isinstance(data, dict):
            raise WeChatAPIError(47001, "data format error")
        return data.get(name, default)

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


class Router:
    """Collects the routes of one API group."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, path: str, *, auth: bool = True) -> Callable[[RouteHandler], RouteHandler]:
        """Register ``handler`` for ``METHOD path``; ``auth=False`` for token and OAuth endpoints."""

        def register(handler: RouteHandler) -> RouteHandler:
            self.routes.append(Route(method.upper(), path, handler, auth))
            return handler

        return register


def ok(**fields: Any) -> dict[str, Any]:
    """WeChat's success body: ``{"errcode": 0, "errmsg": "ok", **fields}``."""
    return {"errcode": 0, "errmsg": "ok", **fields}
