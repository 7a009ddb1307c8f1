"""The ``subscribe`` API group (``client.subscribe``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["SubscribeAPI"]


class SubscribeAPI(BaseAPI):
    """WeChat's ``subscribe`` API group."""
