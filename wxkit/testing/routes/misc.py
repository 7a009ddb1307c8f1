"""Emulator routes for the `misc` API group."""

from __future__ import annotations

from . import Router

__all__ = ["router"]

router = Router()
