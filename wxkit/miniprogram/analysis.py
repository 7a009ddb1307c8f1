"""The ``analysis`` API group (``client.analysis``)."""
# Generated from wxkit/miniprogram/_async/analysis.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["AnalysisAPI"]


class AnalysisAPI(MiniProgramAPI):
    """The ``analysis`` group."""
