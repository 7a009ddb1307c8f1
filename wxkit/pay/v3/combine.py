"""WeChat Pay v3 ``combine`` API group (``pay.combine``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["CombineAPI"]


class CombineAPI:
    """WeChat Pay v3 ``combine`` APIs."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<CombineAPI>"
