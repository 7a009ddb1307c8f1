"""The ``tag`` API group (``client.tag``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["TagAPI"]


class TagAPI(BaseAPI):
    """WeChat's ``tag`` API group."""
