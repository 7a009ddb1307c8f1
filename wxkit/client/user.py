"""The ``user`` API group (``client.user``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["UserAPI"]


class UserAPI(BaseAPI):
    """WeChat's ``user`` API group."""
