"""The old ``wechat`` SDK's request and response objects, on wxkit's replies.

:class:`WxRequest` is what compat handlers receive: a push's XML elements as
CamelCase attributes (``req.Content``, ``req.FromUserName``), with wxkit's
typed message behind it (``req.message``; its snake_case fields are reachable
too, ``req.content``). The responses (:class:`WxTextResponse`,
:class:`WxImageResponse`, ...) are :class:`wxkit.replies.Reply` subclasses,
so a compat handler may return them and so may a native wxkit handler;
:meth:`WxResponse.as_reply` gives the native reply.

The media records (:class:`WxImage`, :class:`WxVoice`, :class:`WxVideo`,
:class:`WxMusic`, :class:`WxArticle`, :class:`WxLink`) are named tuples with
the old SDK's CamelCase fields, plus the spellings its documentation uses
(``WxMusic(Url=...)``, ``WxArticle(Picurl=...)``).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

from ..events import official_registry
from ..messages import BaseMessage
from ..replies import Article, ImageReply, MusicReply, NewsReply, Reply, SuccessReply, TextReply, VideoReply, VoiceReply
from ..xmlcodec import cdata, parse_xml

__all__ = [
    "WxArticle",
    "WxEmptyResponse",
    "WxImage",
    "WxImageResponse",
    "WxLink",
    "WxMusic",
    "WxMusicResponse",
    "WxNewsResponse",
    "WxRequest",
    "WxResponse",
    "WxTextResponse",
    "WxVideo",
    "WxVideoResponse",
    "WxVoice",
    "WxVoiceResponse",
]

logger = logging.getLogger("wxkit.compat")

_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}\Z")


class WxRequest:
    """A push as the old SDK handed it to handlers: every XML element is an attribute.

    ``req.ToUserName``, ``req.FromUserName``, ``req.CreateTime``,
    ``req.MsgType``, ``req.MsgId``, and per type ``req.Content``,
    ``req.PicUrl``, ``req.MediaId``, ``req.Event``, ``req.EventKey``, ... hold
    the element's text exactly as WeChat sent it (a ``str``; nested elements
    are dicts). An element the push does not carry raises
    :class:`AttributeError`, as in the old SDK. ``req.message`` is wxkit's
    typed message, and lower-case names fall through to it (``req.content``),
    which lets a handler move to wxkit's names one line at a time.

    Built by the compat applications; ``WxRequest(xml)`` also parses an XML
    string, as the old class did.
    """

    __slots__ = ("__dict__", "_message")
    _message: BaseMessage | None

    def __init__(self, source: BaseMessage | Mapping[str, Any] | str | bytes | None = None) -> None:
        message: BaseMessage | None
        if source is None:
            message, raw = None, {}
        elif isinstance(source, BaseMessage):
            message, raw = source, source.raw
        else:
            raw = parse_xml(source) if isinstance(source, (str, bytes)) else dict(source)
            message = official_registry.parse(raw)
        object.__setattr__(self, "_message", message)
        self.__dict__.update(raw)

    @property
    def message(self) -> BaseMessage | None:
        """Wxkit's typed message for this push (``None`` for an empty request)."""
        return self._message

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the XML element is not there.
        message = object.__getattribute__(self, "_message")
        if message is not None and name[:1].islower():
            try:
                return getattr(message, name)
            except AttributeError:
                pass
        msg_type = str(self.__dict__.get("MsgType", "?"))[:32]
        raise AttributeError(
            f"this {msg_type!r} push has no {name!r} element "
            "(WxRequest attributes are WeChat's XML element names: Content, FromUserName, ...)"
        )

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={str(self.__dict__[k])[:32]!r}" for k in ("MsgType", "Event") if k in self.__dict__)
        return f"<WxRequest {fields}>"


def _addressing(request: Any) -> tuple[str, str]:
    """(ToUserName, FromUserName) of a reply to ``request`` (a WxRequest or a wxkit message)."""
    if request is None:
        return "", ""
    if isinstance(request, BaseMessage):
        return request.from_user_name, request.to_user_name
    return str(getattr(request, "FromUserName", "")), str(getattr(request, "ToUserName", ""))


def _field(data: Any, name: str) -> str:
    """Read field ``name`` of a media record, a mapping or any object; missing is ``""``."""
    value = data.get(name, "") if isinstance(data, Mapping) else getattr(data, name, "")
    return "" if value is None else str(value)


def _extra_element(name: Any, value: Any) -> str:
    if not isinstance(name, str) or not _XML_NAME.match(name):
        raise ValueError(f"WxResponse.Extra: {str(name)[:64]!r} is not an XML element name")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"<{name}>{value}</{name}>"
    return f"<{name}>{cdata(str(value))}</{name}>"


class WxResponse(Reply):
    """Base of the old SDK's responses: ``WxXxxResponse(data, request)``.

    ``request`` is the push being answered (it sets ``ToUserName`` /
    ``FromUserName`` as in the old SDK; the application fills in the same
    addressing when it renders). ``Extra`` is a dict of extra top-level
    elements rendered after the body. Unlike wxkit's frozen replies these
    objects are mutable, as the old ones were.
    """

    MsgType: ClassVar[str] = ""

    def __init__(self, request: Any = None) -> None:
        to_user, from_user = _addressing(request)
        self.ToUserName = to_user
        self.FromUserName = from_user
        self.CreateTime = int(time.time())
        self.Extra: dict[str, Any] = {}

    # Reply is a frozen attrs class; the old responses were plain mutable objects.
    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} MsgType={self.MsgType!r}>"

    def as_reply(self) -> Reply:
        """The equivalent native wxkit reply (``TextReply``, ``ImageReply``, ...)."""
        raise NotImplementedError(f"{type(self).__name__} has no reply body")

    def render(self, to_user_name: str, from_user_name: str, create_time: int) -> str:
        """Render the reply XML via :meth:`as_reply`, with ``Extra`` elements appended."""
        xml = self.as_reply().render(to_user_name, from_user_name, create_time)
        if self.Extra and xml.endswith("</xml>"):
            extra = "".join(_extra_element(k, v) for k, v in self.Extra.items())
            xml = xml[: -len("</xml>")] + extra + "</xml>"
        return xml

    def as_xml(self) -> str:
        """The reply XML addressed as set at construction (the old SDK's method)."""
        return self.render(self.ToUserName, self.FromUserName, self.CreateTime)


class WxEmptyResponse(WxResponse):
    """No reply: WeChat shows nothing (rendered as ``success``). ``request`` is optional."""

    def as_reply(self) -> Reply:
        """A :class:`~wxkit.replies.SuccessReply`."""
        return SuccessReply()

    def render(self, to_user_name: str, from_user_name: str, create_time: int) -> str:
        """Return ``"success"``."""
        return "success"

    def as_xml(self) -> str:
        """Return ``""``, as the old SDK did."""
        return ""


class WxTextResponse(WxResponse):
    """A text reply: ``WxTextResponse("hello", req)``."""

    MsgType: ClassVar[str] = "text"

    def __init__(self, text: Any, request: Any = None) -> None:
        if text is None:
            raise TypeError("WxTextResponse: text is None (is UNSUPPORT_TXT / WELCOME_TXT unset?)")
        super().__init__(request)
        self.text = text

    def as_reply(self) -> Reply:
        """A :class:`~wxkit.replies.TextReply`."""
        return TextReply(str(self.text))


class _CompoundResponse(WxResponse):
    """A reply built from one media record: ``WxXxxResponse(record, req)``."""

    def __init__(self, data: Any, request: Any = None) -> None:
        super().__init__(request)
        self.data = data


class WxImageResponse(_CompoundResponse):
    """An image reply: ``WxImageResponse(WxImage(MediaId="..."), req)``."""

    MsgType: ClassVar[str] = "image"

    def as_reply(self) -> Reply:
        """An :class:`~wxkit.replies.ImageReply`."""
        return ImageReply(_field(self.data, "MediaId"))


class WxVoiceResponse(_CompoundResponse):
    """A voice reply: ``WxVoiceResponse(WxVoice(MediaId="..."), req)``."""

    MsgType: ClassVar[str] = "voice"

    def as_reply(self) -> Reply:
        """A :class:`~wxkit.replies.VoiceReply`."""
        return VoiceReply(_field(self.data, "MediaId"))


class WxVideoResponse(_CompoundResponse):
    """A video reply: ``WxVideoResponse(WxVideo(MediaId=..., Title=..., Description=...), req)``."""

    MsgType: ClassVar[str] = "video"

    def as_reply(self) -> Reply:
        """A :class:`~wxkit.replies.VideoReply`."""
        return VideoReply(
            _field(self.data, "MediaId"), title=_field(self.data, "Title"), description=_field(self.data, "Description")
        )


class WxMusicResponse(_CompoundResponse):
    """A music reply: ``WxMusicResponse(WxMusic(...), req)``.

    WeChat's music reply carries ``ThumbMediaId`` (the cover's media id, which
    WeChat requires) and no picture URL: a :class:`WxMusic` without
    ``ThumbMediaId`` is sent with an empty one and logged as a warning, and
    ``PicUrl`` is never sent.
    """

    MsgType: ClassVar[str] = "music"

    def __init__(self, data: Any, request: Any = None) -> None:
        super().__init__(data, request)
        if not _field(data, "ThumbMediaId"):
            logger.warning(
                "WxMusicResponse without ThumbMediaId: WeChat requires the cover's media id "
                "(upload it with the media API); PicUrl is not part of WeChat's music reply"
            )

    def as_reply(self) -> Reply:
        """A :class:`~wxkit.replies.MusicReply`."""
        data = self.data
        return MusicReply(
            _field(data, "ThumbMediaId"),
            title=_field(data, "Title"),
            description=_field(data, "Description"),
            music_url=_field(data, "MusicUrl"),
            hq_music_url=_field(data, "HQMusicUrl"),
        )


class WxNewsResponse(WxResponse):
    """A news reply: ``WxNewsResponse(WxArticle(...), req)`` or a list of 1 to 8 articles."""

    MsgType: ClassVar[str] = "news"

    def __init__(self, articles: Any, request: Any = None) -> None:
        super().__init__(request)
        # one article (a WxArticle is a named tuple, so not "a tuple of articles"), or a list / tuple of them
        single = not isinstance(articles, (list, tuple)) or hasattr(articles, "_fields")
        self.articles = [articles] if single else list(articles)

    def as_reply(self) -> Reply:
        """A :class:`~wxkit.replies.NewsReply`."""
        # NewsReply converts with tuple(); its generic signature is opaque to mypy's attrs plugin
        articles: Any = tuple(
            Article(
                _field(a, "Title"),
                description=_field(a, "Description"),
                pic_url=_field(a, "PicUrl"),
                url=_field(a, "Url"),
            )
            for a in self.articles
        )
        return NewsReply(articles)


class WxImage(NamedTuple):
    """An image for :class:`WxImageResponse`: ``WxImage(MediaId="...")``."""

    MediaId: str


class WxVoice(NamedTuple):
    """A voice clip for :class:`WxVoiceResponse`: ``WxVoice(MediaId="...")``."""

    MediaId: str


class WxVideo(NamedTuple):
    """A video for :class:`WxVideoResponse`: ``WxVideo(MediaId, Title, Description)``."""

    MediaId: str
    Title: str = ""
    Description: str = ""


class WxLink(NamedTuple):
    """A link record, as the old SDK exported it: ``WxLink(Title, Description, Url)``."""

    Title: str = ""
    Description: str = ""
    Url: str = ""


class _MusicFields(NamedTuple):
    Title: str = ""
    Description: str = ""
    MusicUrl: str = ""
    HQMusicUrl: str = ""
    ThumbMediaId: str = ""
    PicUrl: str = ""


def _alias(kind: str, name: str, value: str, alias: str, alias_value: str | None) -> str:
    if alias_value is None:
        return value
    if value and value != alias_value:
        raise TypeError(f"{kind}: give {name} or {alias}, not both")
    return alias_value


class WxMusic(_MusicFields):
    """A track for :class:`WxMusicResponse`.

    Positional order as in the old SDK: ``Title, Description, MusicUrl,
    HQMusicUrl``, then ``ThumbMediaId`` (WeChat requires it) and ``PicUrl``
    (kept, never sent: WeChat's music reply has no picture URL). ``Url`` is
    accepted for ``MusicUrl``, as the old SDK's documentation writes it.
    """

    __slots__ = ()

    def __new__(
        cls,
        Title: str = "",
        Description: str = "",
        MusicUrl: str = "",
        HQMusicUrl: str = "",
        ThumbMediaId: str = "",
        PicUrl: str = "",
        *,
        Url: str | None = None,
    ) -> WxMusic:
        """Build the record (``Url`` is an alias of ``MusicUrl``)."""
        music_url = _alias("WxMusic", "MusicUrl", MusicUrl, "Url", Url)
        return super().__new__(cls, Title, Description, music_url, HQMusicUrl, ThumbMediaId, PicUrl)


class _ArticleFields(NamedTuple):
    Title: str = ""
    Description: str = ""
    PicUrl: str = ""
    Url: str = ""


class WxArticle(_ArticleFields):
    """An article for :class:`WxNewsResponse`: ``WxArticle(Title, Description, PicUrl, Url)``.

    ``Picurl`` is accepted for ``PicUrl``, as the old SDK's documentation writes it.
    """

    __slots__ = ()

    def __new__(
        cls,
        Title: str = "",
        Description: str = "",
        PicUrl: str = "",
        Url: str = "",
        *,
        Picurl: str | None = None,
    ) -> WxArticle:
        """Build the record (``Picurl`` is an alias of ``PicUrl``)."""
        pic_url = _alias("WxArticle", "PicUrl", PicUrl, "Picurl", Picurl)
        return super().__new__(cls, Title, Description, pic_url, Url)
