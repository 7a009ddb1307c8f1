"""Emulator routes for the `tag` API group."""

from __future__ import annotations

from . import Router

__all__ = ["router"]

router = Router()
