"""The ``links`` API group (``client.links``)."""
# Generated from wxkit/miniprogram/_async/links.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["LinksAPI"]


class LinksAPI(MiniProgramAPI):
    """The ``links`` group."""
