"""Typed inbound messages (the ``MsgType`` other than ``event``).

Every class is an ``attrs`` frozen, slotted class with snake_case fields mapped
from WeChat's CamelCase XML elements; ``raw`` keeps the parsed dict so that
fields WeChat adds later are never lost. Types wxkit does not know parse into
:class:`UnknownMessage` instead of raising.

=================  ========================  =================
MsgType            class                     handler
=================  ========================  =================
text               :class:`TextMessage`      ``on_text``
image              :class:`ImageMessage`     ``on_image``
voice              :class:`VoiceMessage`     ``on_voice``
video              :class:`VideoMessage`     ``on_video``
shortvideo         :class:`ShortVideoMessage`  ``on_shortvideo``
location           :class:`LocationMessage`  ``on_location``
link               :class:`LinkMessage`      ``on_link``
(anything else)    :class:`UnknownMessage`   ``on_unknown``
=================  ========================  =================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ._model import WxObject, as_int, wxfield
from .errors import ParseError

__all__ = [
    "BaseMessage",
    "Coordinates",
    "ImageMessage",
    "LinkMessage",
    "LocationMessage",
    "MESSAGE_CLASSES",
    "Message",
    "ShortVideoMessage",
    "TextMessage",
    "TypeRegistry",
    "UnknownMessage",
    "VideoMessage",
    "VoiceMessage",
]

# The concrete message classes live in wxkit._messagetypes and load on first use (PEP 562), so that
# ``from wxkit import WxApplication`` does not build them; the application's registry loads them on
# the first push it parses. ``wxkit.messages.TextMessage`` works as before.
if TYPE_CHECKING:
    from ._messagetypes import (
        MESSAGE_CLASSES,
        ImageMessage,
        LinkMessage,
        LocationMessage,
        ShortVideoMessage,
        TextMessage,
        VideoMessage,
        VoiceMessage,
    )
else:
    from . import _lazy

    __getattr__, __dir__ = _lazy.attach(
        __name__,
        {
            "._messagetypes": (
                "MESSAGE_CLASSES",
                "ImageMessage",
                "LinkMessage",
                "LocationMessage",
                "ShortVideoMessage",
                "TextMessage",
                "VideoMessage",
                "VoiceMessage",
            )
        },
    )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class BaseMessage(WxObject):
    """Fields every push carries. ``raw`` is the whole parsed XML dict."""

    #: WeChat's type name this class is registered under (MsgType or Event).
    wx_type: ClassVar[str] = ""
    #: Name of the ``WxApplication`` method that handles this type.
    handler: ClassVar[str] = "on_unknown"

    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    to_user_name: str = wxfield("ToUserName")
    from_user_name: str = wxfield("FromUserName")
    create_time: int = wxfield("CreateTime", as_int, 0)
    msg_type: str = wxfield("MsgType")
    #: The open platform's authorizer appid the push is for (the ``/$APPID$`` of the message URL), set by
    #: an ``open_platform`` :class:`~wxkit.WxApplication`; ``""`` for an account's own pushes.
    authorizer_appid: str = attrs.field(default="", repr=False, eq=False)

    @property
    def dedup_key(self) -> str:
        """Key identifying this push for duplicate suppression."""
        return f"{self.from_user_name}:{self.create_time}:{self.msg_type}"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Message(BaseMessage):
    """A user message (anything but an event): carries ``MsgId``."""

    #: ``MsgId``, kept as text: an identifier, compared and stored, never computed with.
    msg_id: str = wxfield("MsgId")
    #: ``MsgDataId`` / ``Idx``: set when the message comes from an article comment.
    msg_data_id: str = wxfield("MsgDataId")
    idx: str = wxfield("Idx")

    @property
    def dedup_key(self) -> str:
        """``MsgId`` when present, else sender + time + type."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"{self.from_user_name}:{self.create_time}:{self.msg_type}"


class Coordinates:
    """``latitude`` / ``longitude`` aliases for classes with WeChat's ``location_x`` / ``location_y``."""

    __slots__ = ()
    location_x: float
    location_y: float

    @property
    def latitude(self) -> float:
        """Alias of ``location_x``."""
        return self.location_x

    @property
    def longitude(self) -> float:
        """Alias of ``location_y``."""
        return self.location_y


class UnknownMessage(Message):
    """A message type wxkit does not know; everything is in ``raw``."""

    # No field of its own, so no attrs decorator (it would only rebuild the class): the attrs-made
    # __init__ and slots of Message serve as they are. It is an attrs class all the same.
    __slots__ = ()
    handler: ClassVar[str] = "on_unknown"


class TypeRegistry:
    """Maps ``MsgType`` (and ``Event`` for events) to typed classes.

    Official accounts and WeCom each have one; :meth:`parse` never raises for
    an unknown type, only for a missing ``MsgType`` or a malformed field.
    """

    def __init__(
        self,
        unknown_message: type[BaseMessage],
        unknown_event: type[BaseMessage],
        *,
        subtype_fields: dict[str, str] | None = None,
    ) -> None:
        self.messages: dict[str, type[BaseMessage]] = {}
        self.events: dict[str, type[BaseMessage]] = {}
        self.unknown_message = unknown_message
        self.unknown_event = unknown_event
        #: Events dispatched further on a sub-type element, e.g. WeCom's
        #: ``change_contact`` on ``ChangeType``: classes register as
        #: ``"change_contact:create_user"`` and fall back to ``"change_contact"``.
        self.subtype_fields: dict[str, str] = {k.lower(): v for k, v in (subtype_fields or {}).items()}
        #: Callbacks that carry ``InfoType`` instead of ``MsgType`` (WeCom third-party suites:
        #: ``suite_ticket``, ``create_auth`` ...), by lower-cased InfoType; see :meth:`register_info`.
        self.infos: dict[str, type[BaseMessage]] = {}
        #: The class of an ``InfoType`` callback not registered (``None``: such a push is a ParseError).
        self.unknown_info: type[BaseMessage] | None = None

    def register_message(self, cls: type[BaseMessage]) -> type[BaseMessage]:
        """Register a message class under its ``wx_type``."""
        self.messages[cls.wx_type] = cls
        return cls

    def register_event(self, cls: type[BaseMessage]) -> type[BaseMessage]:
        """Register an event class under its ``wx_type`` (matched case-insensitively)."""
        self.events[cls.wx_type.lower()] = cls
        return cls

    def register_info(self, cls: type[BaseMessage]) -> type[BaseMessage]:
        """Register an ``InfoType`` callback class under its ``wx_type`` (matched case-insensitively)."""
        self.infos[cls.wx_type.lower()] = cls
        return cls

    def class_for(self, data: dict[str, Any]) -> type[BaseMessage]:
        """Return the class a parsed push dict maps to."""
        msg_type = data.get("MsgType")
        if not msg_type or not isinstance(msg_type, str):
            info = data.get("InfoType")
            if msg_type is None and isinstance(info, str) and info and (self.infos or self.unknown_info):
                found = self.infos.get(info.lower(), self.unknown_info)
                if found is not None:
                    return found
            raise ParseError("missing MsgType")
        if msg_type == "event":
            event = data.get("Event")
            if not isinstance(event, str):
                return self.unknown_event
            key = event.lower()
            sub_field = self.subtype_fields.get(key)
            if sub_field is not None:
                sub = data.get(sub_field)
                if isinstance(sub, str):
                    cls = self.events.get(f"{key}:{sub.lower()}")
                    if cls is not None:
                        return cls
            return self.events.get(key, self.unknown_event)
        return self.messages.get(msg_type, self.unknown_message)

    def parse(self, data: dict[str, Any]) -> BaseMessage:
        """Build the typed object for a parsed push dict."""
        return self.class_for(data).from_dict(data)
