"""The ``template`` API group (``client.template``)."""

from __future__ import annotations

from .base import BaseAPI

__all__ = ["TemplateAPI"]


class TemplateAPI(BaseAPI):
    """WeChat's ``template`` API group."""
