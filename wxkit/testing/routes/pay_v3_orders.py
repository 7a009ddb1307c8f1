"""Emulator routes: ``pay_v3_orders``."""

from __future__ import annotations

from . import Router

__all__ = ["router"]

router = Router()
