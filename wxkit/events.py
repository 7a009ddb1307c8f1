"""Typed inbound events (``MsgType=event``) of official accounts.

Each class names the WeChat ``Event`` it is registered under (``wx_type``,
matched case-insensitively) and the handler that receives it. Events wxkit
does not know parse into :class:`UnknownEvent`, never an exception.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from ._model import as_float, as_int, wxfield
from .messages import MESSAGE_CLASSES, BaseMessage, TypeRegistry, UnknownMessage

__all__ = [
    "ClickEvent",
    "EVENT_CLASSES",
    "Event",
    "SubscribeEvent",
    "UnknownEvent",
    "official_registry",
]


@attrs.frozen(kw_only=True)
class Event(BaseMessage):
    """Base of every event: ``event`` is WeChat's ``Event`` value as sent."""

    event: str = wxfield("Event")

    @property
    def dedup_key(self) -> str:
        """Sender + CreateTime + Event, as WeChat documents for retried events."""
        return f"{self.from_user_name}:{self.create_time}:{self.event}"


@attrs.frozen(kw_only=True)
class UnknownEvent(Event):
    """An event wxkit does not know; everything is in ``raw``."""

    handler: ClassVar[str] = "on_unknown"


@attrs.frozen(kw_only=True)
class SubscribeEvent(Event):
    """A user followed the account; ``event_key`` is ``qrscene_<scene>`` when via a QR code."""

    wx_type: ClassVar[str] = "subscribe"
    handler: ClassVar[str] = "on_subscribe"
    event_key: str = wxfield("EventKey")
    ticket: str = wxfield("Ticket")

    @property
    def is_scan(self) -> bool:
        """Whether the user followed by scanning a parametric QR code."""
        return self.event_key.startswith("qrscene_")

    @property
    def scene(self) -> str:
        """The QR scene (``event_key`` without ``qrscene_``), or ``""``."""
        return self.event_key[8:] if self.is_scan else ""


@attrs.frozen(kw_only=True)
class ClickEvent(Event):
    """A click on a menu button of type ``click``."""

    wx_type: ClassVar[str] = "CLICK"
    handler: ClassVar[str] = "on_click"
    event_key: str = wxfield("EventKey")


#: Every official-account event class.
EVENT_CLASSES: tuple[type[Event], ...] = (
    SubscribeEvent,
    ClickEvent,
)


def _build_registry() -> TypeRegistry:
    reg = TypeRegistry(UnknownMessage, UnknownEvent)
    for mcls in MESSAGE_CLASSES:
        reg.register_message(mcls)
    for ecls in EVENT_CLASSES:
        reg.register_event(ecls)
    return reg


#: MsgType / Event -> class for official accounts; ``official_registry.parse(d)``.
official_registry: TypeRegistry = _build_registry()

_unused = (as_float,)
