"""The ``qrcode`` API group (``client.qrcode``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["QRCodeAPI"]


class QRCodeAPI(BaseAPI):
    """WeChat's ``qrcode`` API group."""
