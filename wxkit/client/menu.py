"""The ``menu`` API group (``client.menu``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["MenuAPI"]


class MenuAPI(BaseAPI):
    """WeChat's ``menu`` API group."""
