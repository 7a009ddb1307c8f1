"""Typed inbound messages and events of WeCom (企业微信) self-built apps.

Every WeCom push carries ``AgentID``; every class here has ``agent_id``.
Classes shared with official accounts subclass the official-account class
(``WorkTextMessage`` is a :class:`wxkit.messages.TextMessage`), so handlers
written for one work for the other.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from .._model import as_int, wxfield
from ..events import Event
from ..messages import Message, TextMessage, TypeRegistry

__all__ = [
    "WORK_CLASSES",
    "WorkTextMessage",
    "WorkUnknownEvent",
    "WorkUnknownMessage",
    "work_registry",
]


@attrs.frozen(kw_only=True)
class WorkTextMessage(TextMessage):
    """A WeCom text message."""

    agent_id: int = wxfield("AgentID", as_int, 0)


@attrs.frozen(kw_only=True)
class WorkUnknownMessage(Message):
    """A WeCom message type wxkit does not know; everything is in ``raw``."""

    handler: ClassVar[str] = "on_unknown"
    agent_id: int = wxfield("AgentID", as_int, 0)


@attrs.frozen(kw_only=True)
class WorkUnknownEvent(Event):
    """A WeCom event wxkit does not know; everything is in ``raw``."""

    handler: ClassVar[str] = "on_unknown"
    agent_id: int = wxfield("AgentID", as_int, 0)


#: Every WeCom message and event class registered in :data:`work_registry`.
WORK_CLASSES: tuple[type[Message] | type[Event], ...] = (WorkTextMessage,)


def _build_registry() -> TypeRegistry:
    reg = TypeRegistry(
        WorkUnknownMessage,
        WorkUnknownEvent,
        subtype_fields={"change_contact": "ChangeType"},
    )
    for cls in WORK_CLASSES:
        if issubclass(cls, Event):
            reg.register_event(cls)
        else:
            reg.register_message(cls)
    return reg


#: MsgType / Event (/ ChangeType) -> class for WeCom.
work_registry: TypeRegistry = _build_registry()
