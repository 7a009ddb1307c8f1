"""The event classes the inbound core itself dispatches on (internal; they are :mod:`wxkit.events`' names).

:class:`Event` and :class:`UnknownEvent` live here so that ``from wxkit
import WxApplication`` does not build the few dozen other event classes
(``SubscribeEvent`` included): :mod:`wxkit.events` (which re-exports these three) is imported
on the first push an application parses, through :class:`OfficialRegistry`.
Import them from :mod:`wxkit.events`.
"""

# ``wxfield`` returns ``attrs.field(...)``: its calls are field specifiers, not shared mutable defaults.

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from ._model import wxfield
from .messages import BaseMessage

if TYPE_CHECKING:
    from .messages import TypeRegistry

__all__ = ["Event", "OfficialRegistry", "UnknownEvent"]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Event(BaseMessage):
    """Base of every event: ``event`` is WeChat's ``Event`` value as sent."""

    event: str = wxfield("Event")

    @property
    def dedup_key(self) -> str:
        """Sender + CreateTime + Event (WeChat's advice), plus EventKey / MsgID when present.

        A retry repeats every field, so the extra fields never split one
        event's retries; they keep two different events of one second apart
        (two menu clicks, two template-send reports).
        """
        raw = self.raw
        extra = raw.get("EventKey") or raw.get("MsgID") or raw.get("MsgId") or ""
        base = f"{self.from_user_name}:{self.create_time}:{self.event}"
        return f"{base}:{extra}" if extra and isinstance(extra, str) else base


class UnknownEvent(Event):
    """An event wxkit does not know; everything is in ``raw``."""

    __slots__ = ()  # no field of its own: Event's __init__ and slots serve (see UnknownMessage)
    handler: ClassVar[str] = "on_unknown"


class OfficialRegistry:
    """``BaseApplication.registry``: :data:`wxkit.events.official_registry`, imported on first read.

    The first read imports :mod:`wxkit.events` (every official event class)
    and puts its registry in this descriptor's place on the class, so that
    later reads are plain attribute reads.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._owner = owner
        self._name = name

    def __get__(self, obj: object, owner: type | None = None) -> TypeRegistry:
        from .events import official_registry

        setattr(self._owner, self._name, official_registry)
        return official_registry
