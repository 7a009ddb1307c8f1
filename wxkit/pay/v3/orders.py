"""WeChat Pay v3 ``orders`` API group (``pay.orders``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["OrdersAPI"]


class OrdersAPI:
    """WeChat Pay v3 ``orders`` APIs."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<OrdersAPI>"
