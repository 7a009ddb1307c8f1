"""The base of the WeCom API groups: :class:`BaseAPI` plus typed answers and the checks they share.

:meth:`WorkAPI._model` builds a typed answer (:mod:`wxkit.work.models`)
from a successful call; an answer WeCom would never send is a
:class:`~wxkit.errors.TransportError` naming the call, never a ``KeyError``.
An argument refused before sending raises the
:class:`~wxkit.errors.InvalidArgumentError` WeCom would answer
(:meth:`WorkAPI._refuse`).
"""
# Generated from wxkit/work/_async/_base.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.base import BaseAPI
from ..errors import ConfigError, InvalidArgumentError, ParseError, TransportError

if TYPE_CHECKING:
    from .client import WorkClient

__all__ = ["WorkAPI", "join_ids"]

_T = TypeVar("_T")


def join_ids(ids: str | int | Iterable[str | int] | None) -> str:
    """Recipients as WeCom's ``|``-joined text: ``["bob", "eve"]`` -> ``"bob|eve"``; text is taken as is."""
    if ids is None:
        return ""
    if isinstance(ids, (str, int)):
        return str(ids)
    return "|".join(str(i) for i in ids)


class WorkAPI(BaseAPI):
    """An API group of the WeCom client."""

    _client: WorkClient

    def _model(self, build: Callable[[Any], _T], data: Any, *, path: str, method: str = "POST") -> _T:
        """``build(data)``; a :class:`~wxkit.errors.ParseError` becomes a TransportError naming ``METHOD path``."""
        try:
            return build(data)
        except ParseError as exc:
            url = self._client.http.url(path)
            raise TransportError(f"{method} {url} answered {exc}", method=method, url=url) from None

    def _models(self, build: Callable[[Any], _T], items: Any, *, path: str, method: str = "POST") -> list[_T]:
        """``[build(item) for item in items]``; ``items`` not a list is a TransportError naming the call."""
        if items is None:
            return []
        if not isinstance(items, list):
            url = self._client.http.url(path)
            raise TransportError(f"{method} {url} answered a list that is not a list", method=method, url=url)
        return [self._model(build, item, path=path, method=method) for item in items]

    def _refuse(self, errcode: int, errmsg: str, *, path: str, method: str = "POST") -> InvalidArgumentError:
        """The error WeCom would answer for an argument refused before sending (WeCom's own errcode)."""
        url = self._client.http.url(path)
        return InvalidArgumentError(errcode, errmsg, method=method, url=url)

    def _agent(self, agent_id: int | None) -> int:
        """``agent_id``, or the client's; a :class:`~wxkit.errors.ConfigError` when neither is set."""
        agent = agent_id if agent_id is not None else self._client.agent_id
        if agent is None:
            raise ConfigError("this call needs an agent_id: pass agent_id= or WorkClient(..., agent_id=...)")
        return int(agent)
