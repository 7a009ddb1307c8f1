"""WeChat Pay v3 ``profitsharing`` API group (``pay.profitsharing``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["ProfitSharingAPI"]


class ProfitSharingAPI:
    """WeChat Pay v3 ``profitsharing`` APIs."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<ProfitSharingAPI>"
