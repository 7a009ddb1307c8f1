"""The ``analysis`` API group (``client.analysis``)."""

from __future__ import annotations

from ._base import AsyncMiniProgramAPI

__all__ = ["AsyncAnalysisAPI"]


class AsyncAnalysisAPI(AsyncMiniProgramAPI):
    """The ``analysis`` group."""
