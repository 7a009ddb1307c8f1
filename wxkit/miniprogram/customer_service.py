"""The ``customer_service`` API group (``client.customer_service``)."""
# Generated from wxkit/miniprogram/_async/customer_service.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["CustomerServiceAPI"]


class CustomerServiceAPI(MiniProgramAPI):
    """The ``customer_service`` group."""
