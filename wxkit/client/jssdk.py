"""The ``jssdk`` API group (``client.jssdk``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["JSSDKAPI"]


class JSSDKAPI(BaseAPI):
    """WeChat's ``jssdk`` API group."""
