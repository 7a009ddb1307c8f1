"""Typed iLink messages, replies and login credentials (frozen attrs classes keeping the raw dict).

An inbound iLink message (``WeixinMessage`` on the wire) carries a list of
items; :class:`ILinkMessage` keeps them typed in :attr:`ILinkMessage.items`
and its :attr:`~ILinkMessage.kind` is the type of its first item, which picks
the handler (``on_text``, ``on_image`` ...). Unknown item types parse into
:class:`UnknownItem` with the raw dict kept, so new iLink features never break
a bot.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = [
    "FileItem",
    "ILinkCredentials",
    "ILinkFileReply",
    "ILinkImageReply",
    "ILinkMessage",
    "ILinkReply",
    "ILinkTextReply",
    "ILinkVideoReply",
    "ImageItem",
    "Item",
    "QRCode",
    "QRStatus",
    "RefMessage",
    "TextItem",
    "UnknownItem",
    "VideoItem",
    "VoiceItem",
    "parse_item",
    "parse_message",
]

#: ``MessageItemType`` on the wire.
ITEM_TEXT, ITEM_IMAGE, ITEM_VOICE, ITEM_FILE, ITEM_VIDEO = 1, 2, 3, 4, 5


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None or isinstance(value, (dict, list)) else str(value))


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@attrs.frozen
class RefMessage:
    """A quoted message (``ref_msg``): its ``title`` (summary), its item (if sent) and ``svr_id``."""

    title: str
    item: Item | None
    svr_id: str
    raw: dict[str, Any] = attrs.field(repr=False)


@attrs.frozen
class TextItem:
    """A text item: ``text``."""

    text: str
    ref: RefMessage | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen
class ImageItem:
    """An image on the CDN: ``media`` (its CDN reference: ``encrypt_query_param`` ...), ``aeskey`` (hex).

    Neither appears in the repr (nor does any item's ``media``): with the key, anyone can open the file.

    ``thumb_media`` is the thumbnail's CDN reference (``{}`` when none).
    """

    media: dict[str, Any] = attrs.field(repr=False)  # its aes_key opens the file
    aeskey: str = attrs.field(default="", repr=False)
    ref: RefMessage | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)
    thumb_media: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen
class VoiceItem:
    """A voice message: ``text`` (WeChat's transcript, "" when none), ``playtime`` (ms), ``media``."""

    text: str
    playtime: int
    media: dict[str, Any] = attrs.field(repr=False)  # its aes_key opens the file
    ref: RefMessage | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen
class FileItem:
    """A file: ``file_name``, ``md5``, ``length`` (bytes), ``media``."""

    file_name: str
    md5: str
    length: int
    media: dict[str, Any] = attrs.field(repr=False)  # its aes_key opens the file
    ref: RefMessage | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen
class VideoItem:
    """A video: ``video_size`` (bytes), ``play_length`` (s), ``video_md5``, ``media``.

    ``thumb_media`` is the thumbnail's CDN reference (``{}`` when none).
    """

    video_size: int
    play_length: int
    video_md5: str
    media: dict[str, Any] = attrs.field(repr=False)  # its aes_key opens the file
    ref: RefMessage | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)
    thumb_media: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen
class UnknownItem:
    """An item of a type wxkit does not know (``type`` as sent), the raw dict kept."""

    type: int
    ref: RefMessage | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)


#: Any item of a message.
Item = TextItem | ImageItem | VoiceItem | FileItem | VideoItem | UnknownItem

_KINDS: dict[type[Any], str] = {
    TextItem: "text",
    ImageItem: "image",
    VoiceItem: "voice",
    FileItem: "file",
    VideoItem: "video",
    UnknownItem: "unknown",
}


def _ref(raw: Any, depth: int) -> RefMessage | None:
    if not isinstance(raw, dict):
        return None
    inner = raw.get("message_item")
    item = parse_item(inner, _depth=depth + 1) if isinstance(inner, dict) and depth < 3 else None
    return RefMessage(title=_str(raw.get("title")), item=item, svr_id=_str(raw.get("svr_id")), raw=raw)


def parse_item(raw: dict[str, Any], *, _depth: int = 0) -> Item:
    """One ``MessageItem`` dict as a typed item (unknown or malformed types: :class:`UnknownItem`)."""
    kind = _int(raw.get("type"))
    ref = _ref(raw.get("ref_msg"), _depth)
    if kind == ITEM_TEXT:
        return TextItem(text=_str(_dict(raw.get("text_item")).get("text")), ref=ref, raw=raw)
    if kind == ITEM_IMAGE:
        body = _dict(raw.get("image_item"))
        return ImageItem(
            media=_dict(body.get("media")),
            aeskey=_str(body.get("aeskey")),
            ref=ref,
            raw=raw,
            thumb_media=_dict(body.get("thumb_media")),
        )
    if kind == ITEM_VOICE:
        body = _dict(raw.get("voice_item"))
        return VoiceItem(
            text=_str(body.get("text")),
            playtime=_int(body.get("playtime")),
            media=_dict(body.get("media")),
            ref=ref,
            raw=raw,
        )
    if kind == ITEM_FILE:
        body = _dict(raw.get("file_item"))
        return FileItem(
            file_name=_str(body.get("file_name")),
            md5=_str(body.get("md5")),
            length=_int(body.get("len")),
            media=_dict(body.get("media")),
            ref=ref,
            raw=raw,
        )
    if kind == ITEM_VIDEO:
        body = _dict(raw.get("video_item"))
        return VideoItem(
            video_size=_int(body.get("video_size")),
            play_length=_int(body.get("play_length")),
            video_md5=_str(body.get("video_md5")),
            media=_dict(body.get("media")),
            ref=ref,
            raw=raw,
            thumb_media=_dict(body.get("thumb_media")),
        )
    return UnknownItem(type=kind, ref=ref, raw=raw)


@attrs.frozen
class ILinkMessage:
    """An inbound message: who sent it, its ``context_token`` (echoed by every reply) and its typed items."""

    message_id: str
    from_user_id: str
    to_user_id: str
    context_token: str
    create_time_ms: int
    items: tuple[Item, ...]
    raw: dict[str, Any] = attrs.field(repr=False)

    @property
    def kind(self) -> str:
        """``"text"``, ``"image"``, ``"voice"``, ``"file"``, ``"video"`` or ``"unknown"``: its first item's type."""
        return _KINDS[type(self.items[0])] if self.items else "unknown"

    @property
    def item(self) -> Item | None:
        """The first item (most messages carry exactly one), or None."""
        return self.items[0] if self.items else None

    @property
    def text(self) -> str:
        """The text of the text items (and voice transcripts), joined by newlines."""
        parts = [i.text for i in self.items if isinstance(i, (TextItem, VoiceItem)) and i.text]
        return "\n".join(parts)


def parse_message(raw: dict[str, Any]) -> ILinkMessage:
    """A ``WeixinMessage`` dict as an :class:`ILinkMessage` (items that are not objects are dropped)."""
    items = raw.get("item_list")
    parsed = tuple(parse_item(i) for i in items if isinstance(i, dict)) if isinstance(items, list) else ()
    return ILinkMessage(
        message_id=_str(raw.get("message_id")),
        from_user_id=_str(raw.get("from_user_id")),
        to_user_id=_str(raw.get("to_user_id")),
        context_token=_str(raw.get("context_token")),
        create_time_ms=_int(raw.get("create_time_ms")),
        items=parsed,
        raw=raw,
    )


@attrs.frozen
class ILinkTextReply:
    """A text reply (what a handler's ``str`` becomes); long text is split by the bot's ``text_limit``."""

    text: str


@attrs.frozen
class ILinkImageReply:
    """An image reply: the image's bytes (uploaded encrypted to the CDN, then sent) and an optional ``thumbnail``."""

    data: bytes = attrs.field(repr=False)
    thumbnail: bytes | None = attrs.field(default=None, repr=False)


@attrs.frozen
class ILinkFileReply:
    """A file reply: its bytes and the ``file_name`` the user sees."""

    data: bytes = attrs.field(repr=False)
    file_name: str


@attrs.frozen
class ILinkVideoReply:
    """A video reply: the video's bytes and an optional ``thumbnail`` (an image's bytes)."""

    data: bytes = attrs.field(repr=False)
    thumbnail: bytes | None = attrs.field(default=None, repr=False)


#: What a handler may return besides a ``str`` or None.
ILinkReply = ILinkTextReply | ILinkImageReply | ILinkFileReply | ILinkVideoReply


@attrs.frozen
class QRCode:
    """A login QR code: ``qrcode`` (the id to poll) and ``url`` (the content to show or render)."""

    qrcode: str
    url: str


@attrs.frozen
class QRStatus:
    """One answer of ``get_qrcode_status``: ``status`` (``wait``, ``scaned``, ``confirmed``, ``expired`` ...).

    When confirmed it carries the credentials (``bot_token`` is never in the repr).
    """

    status: str
    bot_token: str = attrs.field(default="", repr=False)
    bot_id: str = ""
    user_id: str = ""
    base_url: str = ""
    redirect_host: str = ""


@attrs.frozen
class ILinkCredentials:
    """What a confirmed login gives: the bot token (a secret, never in the repr), bot id, user id, base URL."""

    bot_token: str = attrs.field(repr=False)
    bot_id: str
    user_id: str
    base_url: str

    def to_dict(self) -> dict[str, str]:
        """The credentials as a JSON-able dict (for the storage or a 0600 file)."""
        return {"bot_token": self.bot_token, "bot_id": self.bot_id, "user_id": self.user_id, "base_url": self.base_url}

    @classmethod
    def from_dict(cls, data: Any) -> ILinkCredentials | None:
        """The credentials stored by :meth:`to_dict`, or None when ``data`` is not such a dict."""
        if not isinstance(data, dict) or not isinstance(data.get("bot_token"), str) or not data["bot_token"]:
            return None
        return cls(
            bot_token=data["bot_token"],
            bot_id=_str(data.get("bot_id")),
            user_id=_str(data.get("user_id")),
            base_url=_str(data.get("base_url")),
        )
