"""The ``kf`` API group (``client.kf``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["KfAPI"]


class KfAPI(BaseAPI):
    """WeChat's ``kf`` API group."""
