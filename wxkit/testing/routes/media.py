"""Emulator routes for the `media` API group."""

from __future__ import annotations

from . import Router

__all__ = ["router"]

router = Router()
