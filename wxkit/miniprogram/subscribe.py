"""The ``subscribe`` API group (``client.subscribe``)."""
# Generated from wxkit/miniprogram/_async/subscribe.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["SubscribeAPI"]


class SubscribeAPI(MiniProgramAPI):
    """The ``subscribe`` group."""
