"""The ``security`` API group (``client.security``)."""
# Generated from wxkit/miniprogram/_async/security.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from ._base import MiniProgramAPI

__all__ = ["SecurityAPI"]


class SecurityAPI(MiniProgramAPI):
    """The ``security`` group."""
