"""The ``misc`` API group (``client.misc``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["MiscAPI"]


class MiscAPI(BaseAPI):
    """WeChat's ``misc`` API group."""
