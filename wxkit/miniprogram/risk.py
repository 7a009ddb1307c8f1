"""The ``risk`` API group (``client.risk``)."""
# Generated from wxkit/miniprogram/_async/risk.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["RiskAPI"]


class RiskAPI(MiniProgramAPI):
    """The ``risk`` group."""
