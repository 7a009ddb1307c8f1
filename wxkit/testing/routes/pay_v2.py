"""Emulator routes: ``pay_v2``."""

from __future__ import annotations

from . import Router

__all__ = ["router"]

router = Router()
