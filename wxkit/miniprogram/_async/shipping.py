"""The ``shipping`` API group (``client.shipping``)."""

from __future__ import annotations

from ._base import AsyncMiniProgramAPI

__all__ = ["AsyncShippingAPI"]


class AsyncShippingAPI(AsyncMiniProgramAPI):
    """The ``shipping`` group."""
