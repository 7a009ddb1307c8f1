"""WeChat Pay v3 ``transfers`` API group (``pay.transfers``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["TransfersAPI"]


class TransfersAPI:
    """WeChat Pay v3 ``transfers`` APIs."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<TransfersAPI>"
