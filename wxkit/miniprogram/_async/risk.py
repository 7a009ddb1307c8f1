"""The ``risk`` API group (``client.risk``)."""

from __future__ import annotations

from ._base import AsyncMiniProgramAPI

__all__ = ["AsyncRiskAPI"]


class AsyncRiskAPI(AsyncMiniProgramAPI):
    """The ``risk`` group."""
