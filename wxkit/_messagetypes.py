"""The official account's concrete message classes (internal; they are :mod:`wxkit.messages`' names).

They live apart from the base classes so that ``from wxkit import WxApplication``
does not build them at import (each ``attrs`` class costs start-up time):
:mod:`wxkit.messages` loads this module on the first access to one of them, and
the application's registry (:mod:`wxkit.events`) on the first push it parses.
Import them from :mod:`wxkit.messages`.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from ._model import as_float, as_int, wxfield
from .messages import Coordinates, Message

__all__ = [
    "MESSAGE_CLASSES",
    "ImageMessage",
    "LinkMessage",
    "LocationMessage",
    "ShortVideoMessage",
    "TextMessage",
    "VideoMessage",
    "VoiceMessage",
]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TextMessage(Message):
    """A text message (``MsgType=text``)."""

    wx_type: ClassVar[str] = "text"
    handler: ClassVar[str] = "on_text"
    content: str = wxfield("Content")
    #: ``bizmsgmenuid``: the id of a tapped menu item in a customer-service menu message.
    biz_msg_menu_id: str = wxfield("bizmsgmenuid")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ImageMessage(Message):
    """An image message (``MsgType=image``)."""

    wx_type: ClassVar[str] = "image"
    handler: ClassVar[str] = "on_image"
    pic_url: str = wxfield("PicUrl")
    media_id: str = wxfield("MediaId")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class VoiceMessage(Message):
    """A voice message; ``recognition`` holds speech-to-text when enabled."""

    wx_type: ClassVar[str] = "voice"
    handler: ClassVar[str] = "on_voice"
    media_id: str = wxfield("MediaId")
    format: str = wxfield("Format")
    media_id_16k: str = wxfield("MediaId16K")
    recognition: str = wxfield("Recognition")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class VideoMessage(Message):
    """A video message (``MsgType=video``)."""

    wx_type: ClassVar[str] = "video"
    handler: ClassVar[str] = "on_video"
    media_id: str = wxfield("MediaId")
    thumb_media_id: str = wxfield("ThumbMediaId")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ShortVideoMessage(Message):
    """A short video message (``MsgType=shortvideo``)."""

    wx_type: ClassVar[str] = "shortvideo"
    handler: ClassVar[str] = "on_shortvideo"
    media_id: str = wxfield("MediaId")
    thumb_media_id: str = wxfield("ThumbMediaId")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LocationMessage(Coordinates, Message):
    """A location message: latitude ``location_x``, longitude ``location_y``."""

    wx_type: ClassVar[str] = "location"
    handler: ClassVar[str] = "on_location"
    location_x: float = wxfield("Location_X", as_float, 0.0)
    location_y: float = wxfield("Location_Y", as_float, 0.0)
    scale: int = wxfield("Scale", as_int, 0)
    label: str = wxfield("Label")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LinkMessage(Message):
    """A link message (``MsgType=link``)."""

    wx_type: ClassVar[str] = "link"
    handler: ClassVar[str] = "on_link"
    title: str = wxfield("Title")
    description: str = wxfield("Description")
    url: str = wxfield("Url")


#: Every official-account message class, registered by :data:`wxkit.events.official_registry`.
MESSAGE_CLASSES: tuple[type[Message], ...] = (
    TextMessage,
    ImageMessage,
    VoiceMessage,
    VideoMessage,
    ShortVideoMessage,
    LocationMessage,
    LinkMessage,
)

# Public home: pickles, reprs and docs name wxkit.messages (which loads this module on first use), not this module.
for _cls in MESSAGE_CLASSES:
    _cls.__module__ = "wxkit.messages"
del _cls
