"""The ``wxacode`` API group (``client.wxacode``)."""
# Generated from wxkit/miniprogram/_async/wxacode.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["WxaCodeAPI"]


class WxaCodeAPI(MiniProgramAPI):
    """The ``wxacode`` group."""
