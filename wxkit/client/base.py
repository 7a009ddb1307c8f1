"""Base class of the API groups mounted on :class:`wxkit.Client`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Client

__all__ = ["BaseAPI"]


class BaseAPI:
    """An API group: a thin, typed layer of endpoint methods over the client's ``get`` / ``post``."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def _get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        return self._client.get(path, params=params, **kwargs)

    def _post(self, path: str, json: Any = None, **kwargs: Any) -> dict[str, Any]:
        return self._client.post(path, json=json, **kwargs)
