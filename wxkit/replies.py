"""Passive replies: what a handler returns, rendered to WeChat's reply XML.

A handler returns a :class:`Reply`, a ``str`` (a :class:`TextReply` to the
sender) or ``None`` (the empty ``"success"`` answer). Addressing is filled in
by the application: a reply goes to the push's sender, from the account.
User-supplied text is always rendered inside CDATA with ``]]>`` split, so it
can never close the section and inject elements.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs

from ._model import AttrsValue
from ._replybase import Reply, _text_body
from .xmlcodec import cdata

__all__ = [
    "Article",
    "EmptyReply",
    "ImageReply",
    "MusicReply",
    "NewsReply",
    "Reply",
    "SuccessReply",
    "TextReply",
    "TransferCustomerServiceReply",
    "VideoReply",
    "VoiceReply",
]


class EmptyReply(Reply):
    """The other "no reply" WeChat documents: an empty body (never encrypted).

    WeChat treats it as ``success``; some checks ask for it by name (the open
    platform's release check answers ``QUERY_AUTH_CODE`` with it).
    """

    __slots__ = ()

    def render(self, to_user_name: str, from_user_name: str, create_time: int) -> str:
        """Return ``""``."""
        return ""


class SuccessReply(Reply):
    """The empty answer: WeChat shows nothing and does not retry (body ``success``)."""

    __slots__ = ()  # no field of its own: Reply's __init__ and slots serve, without an attrs rebuild

    def render(self, to_user_name: str, from_user_name: str, create_time: int) -> str:
        """Return ``"success"``."""
        return "success"


@attrs.frozen(repr=False, eq=False)
class TextReply(Reply):
    """A text reply."""

    msg_type: ClassVar[str] = "text"
    content: str

    def _body(self) -> str:
        return _text_body(self.content)


@attrs.frozen(repr=False, eq=False)
class ImageReply(Reply):
    """An image reply by ``media_id``."""

    msg_type: ClassVar[str] = "image"
    media_id: str

    def _body(self) -> str:
        return f"<Image><MediaId>{cdata(self.media_id)}</MediaId></Image>"


@attrs.frozen(repr=False, eq=False)
class VoiceReply(Reply):
    """A voice reply by ``media_id``."""

    msg_type: ClassVar[str] = "voice"
    media_id: str

    def _body(self) -> str:
        return f"<Voice><MediaId>{cdata(self.media_id)}</MediaId></Voice>"


@attrs.frozen(repr=False, eq=False)
class VideoReply(Reply):
    """A video reply by ``media_id`` with optional title and description."""

    msg_type: ClassVar[str] = "video"
    media_id: str
    title: str = ""
    description: str = ""

    def _body(self) -> str:
        return (
            f"<Video><MediaId>{cdata(self.media_id)}</MediaId><Title>{cdata(self.title)}</Title>"
            f"<Description>{cdata(self.description)}</Description></Video>"
        )


@attrs.frozen(repr=False, eq=False)
class MusicReply(Reply):
    """A music reply; ``thumb_media_id`` is the cover image's media id."""

    msg_type: ClassVar[str] = "music"
    thumb_media_id: str
    title: str = ""
    description: str = ""
    music_url: str = ""
    hq_music_url: str = ""

    def _body(self) -> str:
        return (
            f"<Music><Title>{cdata(self.title)}</Title><Description>{cdata(self.description)}</Description>"
            f"<MusicUrl>{cdata(self.music_url)}</MusicUrl><HQMusicUrl>{cdata(self.hq_music_url)}</HQMusicUrl>"
            f"<ThumbMediaId>{cdata(self.thumb_media_id)}</ThumbMediaId></Music>"
        )


@attrs.frozen(repr=False, eq=False)
class Article(AttrsValue):
    """One article of a :class:`NewsReply`."""

    title: str
    description: str = ""
    pic_url: str = ""
    url: str = ""

    def render(self) -> str:
        """Render the ``<item>`` element."""
        return (
            f"<item><Title>{cdata(self.title)}</Title><Description>{cdata(self.description)}</Description>"
            f"<PicUrl>{cdata(self.pic_url)}</PicUrl><Url>{cdata(self.url)}</Url></item>"
        )


def _articles(articles: Iterable[Article]) -> tuple[Article, ...]:
    # A typed function rather than ``tuple``: attrs reads a converter's signature when the class is made,
    # and a builtin's costs a tokenizer run at import; mypy also types NewsReply's parameter from it.
    return tuple(articles)


def _check_articles(_inst: object, _attr: object, value: tuple[Article, ...]) -> None:
    if not 1 <= len(value) <= 8:
        raise ValueError(f"a news reply carries 1 to 8 articles, got {len(value)}")
    for a in value:
        if not isinstance(a, Article):
            raise TypeError("NewsReply articles must be Article instances")


@attrs.frozen(repr=False, eq=False)
class NewsReply(Reply):
    """A news (article card) reply with 1 to 8 :class:`Article` items."""

    msg_type: ClassVar[str] = "news"
    articles: tuple[Article, ...] = attrs.field(converter=_articles, validator=_check_articles)

    def _body(self) -> str:
        items = "".join(a.render() for a in self.articles)
        return f"<ArticleCount>{len(self.articles)}</ArticleCount><Articles>{items}</Articles>"


@attrs.frozen(repr=False, eq=False)
class TransferCustomerServiceReply(Reply):
    """Hand the conversation to customer service, optionally to one ``kf_account``."""

    msg_type: ClassVar[str] = "transfer_customer_service"
    kf_account: str | None = None

    def _body(self) -> str:
        if not self.kf_account:
            return ""
        return f"<TransInfo><KfAccount>{cdata(self.kf_account)}</KfAccount></TransInfo>"
