"""Emulator routes for the `message` API group."""

from __future__ import annotations

from . import Router

__all__ = ["router"]

router = Router()
