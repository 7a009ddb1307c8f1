"""The ``shipping`` API group (``client.shipping``)."""
# Generated from wxkit/miniprogram/_async/shipping.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["ShippingAPI"]


class ShippingAPI(MiniProgramAPI):
    """The ``shipping`` group."""
