"""The ``material`` API group (``client.material``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["MaterialAPI"]


class MaterialAPI(BaseAPI):
    """WeChat's ``material`` API group."""
