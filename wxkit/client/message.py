"""The ``message`` API group (``client.message``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["MessageAPI"]


class MessageAPI(BaseAPI):
    """WeChat's ``message`` API group."""
