"""The base of the mini-program API groups: :class:`BaseAPI` plus typed answers.

:meth:`MiniProgramAPI._model` builds a typed answer (:mod:`wxkit.miniprogram.models`)
from a successful call; an answer WeChat would never send (a missing or
mistyped field) is a :class:`~wxkit.errors.TransportError` naming the call,
never a ``KeyError`` or a half-filled object. An argument refused before
sending raises the :class:`~wxkit.errors.InvalidArgumentError` WeChat would
answer, with WeChat's errcode for it (:meth:`MiniProgramAPI._refuse`).
"""
# Generated from wxkit/miniprogram/_async/_base.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.base import BaseAPI
from ..errors import InvalidArgumentError, ParseError, TransportError

if TYPE_CHECKING:
    from .client import MiniProgramClient

__all__ = ["MiniProgramAPI"]

_T = TypeVar("_T")


class MiniProgramAPI(BaseAPI):
    """An API group of the mini-program client."""

    _client: MiniProgramClient

    def _model(self, build: Callable[[Any], _T], data: Any, *, path: str, method: str = "POST") -> _T:
        """``build(data)``; a :class:`~wxkit.errors.ParseError` becomes a TransportError naming ``METHOD path``."""
        try:
            return build(data)
        except ParseError as exc:
            url = self._client.http.url(path)
            raise TransportError(f"{method} {url} answered {exc}", method=method, url=url) from None

    def _refuse(self, errcode: int, errmsg: str, *, path: str, method: str = "POST") -> InvalidArgumentError:
        """The error WeChat would answer for an argument refused before sending (WeChat's own errcode)."""
        url = self._client.http.url(path)
        return InvalidArgumentError(errcode, errmsg, method=method, url=url)

    def _code(self, value: object, *, path: str, method: str = "POST") -> str:
        """A one-time code from the front end: 41008 "missing code" (as WeChat answers) when empty or not text."""
        if not isinstance(value, str) or not value:
            raise self._refuse(41008, "missing code (checked before sending)", path=path, method=method)
        return value

    def _object(self, answer: Mapping[str, Any], name: str, *, path: str, method: str = "POST") -> dict[str, Any]:
        """``answer[name]`` when it is a JSON object; else a TransportError naming the call."""
        return self._field(answer, name, _as_dict, path=path, method=method)


def _as_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value
