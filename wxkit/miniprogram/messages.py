"""Typed mini-program pushes (消息推送): customer-service messages and events.

A mini program's server receives these from WeChat in XML or in JSON (the
"data format" chosen in the console); :class:`~wxkit.miniprogram.app.MiniProgramApplication`
parses both into the same classes. Every class is an ``attrs`` frozen, slotted
class with snake_case fields; ``raw`` keeps the push as a dict in one shape
whatever the format (JSON numbers become text, as XML gives them), and
``data_format`` says which format it came in (``"xml"`` or ``"json"``).
Classes shared with official accounts subclass theirs
(:class:`MiniProgramTextMessage` is a :class:`wxkit.messages.TextMessage`), so a
handler written for one works for the other. Pushes wxkit does not know parse
into :class:`MiniProgramUnknownMessage` / :class:`MiniProgramUnknownEvent`
(subclasses of :class:`~wxkit.messages.UnknownMessage` /
:class:`~wxkit.events.UnknownEvent`) with everything kept in ``raw``.

==========================  ============================================  ==================================
MsgType / Event             class                                         handler
==========================  ============================================  ==================================
text                        :class:`MiniProgramTextMessage`               ``on_text``
image                       :class:`MiniProgramImageMessage`              ``on_image``
miniprogrampage             :class:`MiniProgramPageMessage`               ``on_miniprogrampage``
user_enter_tempsession      :class:`UserEnterTempSessionEvent`            ``on_user_enter_tempsession``
wxa_media_check             :class:`MediaCheckEvent`                      ``on_wxa_media_check``
subscribe_msg_popup_event   :class:`MiniProgramSubscribeMsgPopupEvent`    ``on_subscribe_msg_popup_event``
subscribe_msg_change_event  :class:`MiniProgramSubscribeMsgChangeEvent`   ``on_subscribe_msg_change_event``
subscribe_msg_sent_event    :class:`MiniProgramSubscribeMsgSentEvent`     ``on_subscribe_msg_sent_event``
(any other message / event) :class:`MiniProgramUnknownMessage` /          ``on_unknown``
                            :class:`MiniProgramUnknownEvent`
==========================  ============================================  ==================================

The subscribe-message events carry a list (``items``): in XML a wrapper
element (``<SubscribeMsgPopupEvent><List>..</List></SubscribeMsgPopupEvent>``),
in JSON a top-level ``"List"`` that is an object for one item and an array for
several (as WeChat's docs say); both give the same tuple.
"""

# ``wxfield`` returns ``attrs.field(...)``: its calls are field specifiers, not shared mutable defaults.

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, TypeVar, cast

import attrs

from .._model import Converter, WxObject, as_int, nested, wxfield
from ..errors import ParseError
from ..events import (
    Event,
    SubscribeMsgChangeEvent,
    SubscribeMsgPopupEvent,
    SubscribeMsgSentEvent,
    UnknownEvent,
)
from ..messages import ImageMessage, Message, TextMessage, TypeRegistry, UnknownMessage

__all__ = [
    "MINIPROGRAM_CLASSES",
    "MediaCheckDetail",
    "MediaCheckEvent",
    "MediaCheckResult",
    "MiniProgramImageMessage",
    "MiniProgramPageMessage",
    "MiniProgramSubscribeMsgChangeEvent",
    "MiniProgramSubscribeMsgPopupEvent",
    "MiniProgramSubscribeMsgSentEvent",
    "MiniProgramTextMessage",
    "MiniProgramUnknownEvent",
    "MiniProgramUnknownMessage",
    "UserEnterTempSessionEvent",
    "miniprogram_registry",
]

T = TypeVar("T", bound=WxObject)

#: The two ``data_format`` values: the push's body format, chosen in the mini program's console.
XML = "xml"
JSON = "json"


def _data_format() -> Any:
    """The ``data_format`` field every mini-program class has (set by the application, not read from the push)."""
    return attrs.field(default=XML, kw_only=True)


def _items(cls: type[WxObject]) -> Converter:
    """Converter for a value holding one object or a list of them (JSON arrays, repeated XML elements)."""

    def convert(name: str, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return ()
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise ParseError(f"<{name}> must contain objects")
            out.append(cls.from_dict(item))
        return tuple(out)

    return convert


def _digest(*parts: str) -> str:
    """A short, stable digest of ``parts`` for a de-duplication key (never a secret: ids and statuses)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]  # noqa: S324 - not security


# --------------------------------------------------------------------------- customer-service messages


@attrs.frozen(kw_only=True)
class MiniProgramTextMessage(TextMessage):
    """A text message a user sent in the customer-service conversation (``MsgType=text``)."""

    data_format: str = _data_format()


@attrs.frozen(kw_only=True)
class MiniProgramImageMessage(ImageMessage):
    """An image a user sent in the customer-service conversation; ``media_id`` fetches it (temporary media)."""

    data_format: str = _data_format()


@attrs.frozen(kw_only=True)
class MiniProgramPageMessage(Message):
    """A mini-program card a user sent in the customer-service conversation (``MsgType=miniprogrampage``).

    ``app_id`` is the card's mini program, ``page_path`` its page;
    ``thumb_url`` is a temporary CDN link to the cover and ``thumb_media_id``
    its temporary media id.
    """

    wx_type: ClassVar[str] = "miniprogrampage"
    handler: ClassVar[str] = "on_miniprogrampage"
    title: str = wxfield("Title")
    app_id: str = wxfield("AppId")
    page_path: str = wxfield("PagePath")
    thumb_url: str = wxfield("ThumbUrl")
    thumb_media_id: str = wxfield("ThumbMediaId")
    data_format: str = _data_format()


# --------------------------------------------------------------------------- events


@attrs.frozen(kw_only=True)
class UserEnterTempSessionEvent(Event):
    """A user opened the customer-service conversation (``<button open-type="contact">``).

    ``session_from`` is the button's ``session-from`` attribute. The 48-hour
    window for customer-service messages to this user opens now.
    """

    wx_type: ClassVar[str] = "user_enter_tempsession"
    handler: ClassVar[str] = "on_user_enter_tempsession"
    session_from: str = wxfield("SessionFrom")
    data_format: str = _data_format()


@attrs.frozen(kw_only=True)
class MediaCheckResult(WxObject):
    """The overall verdict of an async media check: ``suggest`` (``pass`` / ``review`` / ``risky``) and ``label``.

    ``label`` is the category: 100 normal, 10001 ads, 20001 politics, 20002
    porn, 20003 abuse, 20006 crime, 20008 fraud, 20012 vulgar, 20013
    copyright, 21000 other.
    """

    suggest: str = wxfield("suggest")
    label: int = wxfield("label", as_int, 0)


@attrs.frozen(kw_only=True)
class MediaCheckDetail(WxObject):
    """One strategy's finding in an async media check (a ``detail`` item).

    ``strategy`` is ``content_model`` or ``keyword``; ``errcode`` is 0 when the
    strategy ran; ``prob`` (0-100) is the model's confidence.
    """

    strategy: str = wxfield("strategy")
    errcode: int = wxfield("errcode", as_int, 0)
    suggest: str = wxfield("suggest")
    label: int = wxfield("label", as_int, 0)
    prob: int = wxfield("prob", as_int, 0)
    keyword: str = wxfield("keyword")


@attrs.frozen(kw_only=True)
class MediaCheckEvent(Event):
    """The result of ``security.media_check_async`` (``Event=wxa_media_check``), pushed within 30 minutes.

    Match it to your request with ``trace_id`` (what ``media_check_async``
    answered). Version 2 pushes carry ``result`` (:class:`MediaCheckResult`)
    and ``details``; :attr:`suggest` and :attr:`passed` read the result, which
    is valid only when ``errcode`` is 0 (-1008: the media could not be
    downloaded).
    Version 1 pushes carry ``isrisky`` (:attr:`is_risky`) and ``status_code``
    instead. The push is de-duplicated on ``trace_id``: two results in one
    second are two pushes.
    """

    wx_type: ClassVar[str] = "wxa_media_check"
    handler: ClassVar[str] = "on_wxa_media_check"
    appid: str = wxfield("appid")
    trace_id: str = wxfield("trace_id")
    version: int = wxfield("version", as_int, 0)
    errcode: int = wxfield("errcode", as_int, 0)
    errmsg: str = wxfield("errmsg")
    result: MediaCheckResult | None = wxfield("result", nested(MediaCheckResult), None)
    details: tuple[MediaCheckDetail, ...] = wxfield("detail", _items(MediaCheckDetail), ())
    #: Version 1: 1 when a risk was found, else 0.
    isrisky: int = wxfield("isrisky", as_int, 0)
    #: Version 1: 0, or an error such as 4294966288 (-1008: the media could not be downloaded).
    status_code: int = wxfield("status_code", as_int, 0)
    data_format: str = _data_format()

    @property
    def suggest(self) -> str:
        """``result.suggest`` (``pass`` / ``review`` / ``risky``); ``""`` for a version 1 push."""
        return self.result.suggest if self.result is not None else ""

    @property
    def passed(self) -> bool:
        """Whether WeChat suggests letting the media through (``suggest == "pass"``)."""
        return self.suggest == "pass"

    @property
    def is_risky(self) -> bool:
        """A version 1 push's ``isrisky`` as a bool, or a version 2 result of ``risky``."""
        return bool(self.isrisky) or self.suggest == "risky"

    @property
    def dedup_key(self) -> str:
        """``trace_id`` when present (one result per check), else sender + time + event."""
        if self.trace_id:
            return f"media_check:{self.trace_id}"
        return super().dedup_key


def _lift_list(data: dict[str, Any], wrapper: str) -> dict[str, Any]:
    """The JSON shapes of a subscribe event in the XML shape ``{wrapper: {"List": ...}}``.

    JSON pushes put ``"List"`` (one object, or an array of several) at the top
    level; some deliveries nest an array under the wrapper directly.
    """
    inner = data.get(wrapper)
    if inner is None and "List" in data:
        return {**data, wrapper: {"List": data["List"]}}
    if isinstance(inner, list):
        return {**data, wrapper: {"List": inner}}
    return data


class _ListEvent(WxObject):
    """Shared by the three subscribe-message events: both list shapes of the items."""

    __slots__ = ()
    wrapper: ClassVar[str] = ""

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Build from a push dict, the list under ``wrapper`` (XML) or a top-level ``List`` (JSON)."""
        shaped = _lift_list(data, getattr(cls, "wrapper", ""))
        obj = super().from_dict(shaped)  # the event class's from_dict, next in the MRO
        if shaped is data:
            return obj
        return cast(T, attrs.evolve(cast(Any, obj), raw=data))  # raw: the push as it came (an attrs class)


@attrs.frozen(kw_only=True)
class MiniProgramSubscribeMsgPopupEvent(_ListEvent, SubscribeMsgPopupEvent):
    """The user answered a subscribe-message popup (``wx.requestSubscribeMessage``): one item per template.

    Each item (:class:`~wxkit.events.SubscribeMsgPopupItem`) has
    ``template_id``, ``subscribe_status_string`` (``accept`` / ``reject``) and
    ``popup_scene`` (0: in a mini-program page).
    """

    wrapper: ClassVar[str] = "SubscribeMsgPopupEvent"
    data_format: str = _data_format()

    @property
    def dedup_key(self) -> str:
        """Sender + time + event + a digest of the items (two popups in one second are two pushes)."""
        parts = [f"{i.template_id}={i.subscribe_status_string}" for i in self.items]
        return f"{super().dedup_key}:{_digest(*parts)}"


@attrs.frozen(kw_only=True)
class MiniProgramSubscribeMsgChangeEvent(_ListEvent, SubscribeMsgChangeEvent):
    """The user changed subscriptions in the service-notification settings (WeChat pushes only ``reject``)."""

    wrapper: ClassVar[str] = "SubscribeMsgChangeEvent"
    data_format: str = _data_format()

    @property
    def dedup_key(self) -> str:
        """Sender + time + event + a digest of the items."""
        parts = [f"{i.template_id}={i.subscribe_status_string}" for i in self.items]
        return f"{super().dedup_key}:{_digest(*parts)}"


@attrs.frozen(kw_only=True)
class MiniProgramSubscribeMsgSentEvent(_ListEvent, SubscribeMsgSentEvent):
    """The delivery result of subscribe messages you sent (``subscribe.send``): one item per message.

    Each item (:class:`~wxkit.events.SubscribeMsgSentItem`) has
    ``template_id``, ``msg_id`` (what ``send`` answered), ``error_code`` (0:
    delivered) and ``error_status``. Only failures of the asynchronous
    delivery are pushed as errors.
    """

    wrapper: ClassVar[str] = "SubscribeMsgSentEvent"
    data_format: str = _data_format()

    @property
    def dedup_key(self) -> str:
        """Sender + time + event + the items' message ids (two sends in one second are two pushes)."""
        parts = [f"{i.msg_id}:{i.error_code}" for i in self.items]
        return f"{super().dedup_key}:{_digest(*parts)}"


# --------------------------------------------------------------------------- fallbacks


@attrs.frozen(kw_only=True)
class MiniProgramUnknownMessage(UnknownMessage):
    """A message type wxkit does not know; everything is in ``raw``."""

    data_format: str = _data_format()


@attrs.frozen(kw_only=True)
class MiniProgramUnknownEvent(UnknownEvent):
    """An event wxkit does not know (``debug_demo``, a new WeChat event ...); everything is in ``raw``."""

    data_format: str = _data_format()


#: Every mini-program message and event class registered in :data:`miniprogram_registry`.
MINIPROGRAM_CLASSES: tuple[type[Message] | type[Event], ...] = (
    MiniProgramTextMessage,
    MiniProgramImageMessage,
    MiniProgramPageMessage,
    UserEnterTempSessionEvent,
    MediaCheckEvent,
    MiniProgramSubscribeMsgPopupEvent,
    MiniProgramSubscribeMsgChangeEvent,
    MiniProgramSubscribeMsgSentEvent,
)


def _build_registry() -> TypeRegistry:
    reg = TypeRegistry(MiniProgramUnknownMessage, MiniProgramUnknownEvent)
    for cls in MINIPROGRAM_CLASSES:
        if issubclass(cls, Event):
            reg.register_event(cls)
        else:
            reg.register_message(cls)
    return reg


#: MsgType / Event -> class for mini-program pushes; ``miniprogram_registry.parse(d)``.
miniprogram_registry: TypeRegistry = _build_registry()
