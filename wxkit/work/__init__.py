"""WeCom (企业微信): inbound callbacks (:class:`WorkApplication`) and typed messages."""

from .app import WorkApplication
from .messages import work_registry

__all__ = ["WorkApplication", "work_registry"]
