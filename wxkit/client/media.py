"""The ``media`` API group (``client.media``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["MediaAPI"]


class MediaAPI(BaseAPI):
    """WeChat's ``media`` API group."""
