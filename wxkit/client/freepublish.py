"""The ``freepublish`` API group (``client.freepublish``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["FreePublishAPI"]


class FreePublishAPI(BaseAPI):
    """WeChat's ``freepublish`` API group."""
