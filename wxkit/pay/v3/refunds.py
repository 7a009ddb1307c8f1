"""WeChat Pay v3 ``refunds`` API group (``pay.refunds``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["RefundsAPI"]


class RefundsAPI:
    """WeChat Pay v3 ``refunds`` APIs."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<RefundsAPI>"
