"""WeChat Pay v3 ``bills`` API group (``pay.bills``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["BillsAPI"]


class BillsAPI:
    """WeChat Pay v3 ``bills`` APIs."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<BillsAPI>"
