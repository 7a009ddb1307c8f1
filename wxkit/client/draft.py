"""The ``draft`` API group (``client.draft``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["DraftAPI"]


class DraftAPI(BaseAPI):
    """WeChat's ``draft`` API group."""
