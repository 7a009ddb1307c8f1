"""Typed inbound events (``MsgType=event``) of official accounts.

Each class names the WeChat ``Event`` it is registered under (``wx_type``,
matched case-insensitively) and the handler that receives it. Events wxkit
does not know parse into :class:`UnknownEvent`, never an exception.

============================  ========================================  ===================================
Event                         class                                     handler
============================  ========================================  ===================================
subscribe                     :class:`SubscribeEvent`                   ``on_subscribe``
unsubscribe                   :class:`UnsubscribeEvent`                 ``on_unsubscribe``
SCAN                          :class:`ScanEvent`                        ``on_scan``
LOCATION                      :class:`LocationEvent`                    ``on_location_update``
CLICK                         :class:`ClickEvent`                       ``on_click``
VIEW                          :class:`ViewEvent`                        ``on_view``
scancode_push                 :class:`ScanCodePushEvent`                ``on_scancode_push``
scancode_waitmsg              :class:`ScanCodeWaitMsgEvent`             ``on_scancode_waitmsg``
pic_sysphoto                  :class:`PicSysPhotoEvent`                 ``on_pic_sysphoto``
pic_photo_or_album            :class:`PicPhotoOrAlbumEvent`             ``on_pic_photo_or_album``
pic_weixin                    :class:`PicWeixinEvent`                   ``on_pic_weixin``
location_select               :class:`LocationSelectEvent`              ``on_location_select``
view_miniprogram              :class:`ViewMiniProgramEvent`             ``on_view_miniprogram``
TEMPLATESENDJOBFINISH         :class:`TemplateSendJobFinishEvent`       ``on_template_send_job_finish``
MASSSENDJOBFINISH             :class:`MassSendJobFinishEvent`           ``on_mass_send_job_finish``
subscribe_msg_popup_event     :class:`SubscribeMsgPopupEvent`           ``on_subscribe_msg_popup_event``
subscribe_msg_change_event    :class:`SubscribeMsgChangeEvent`          ``on_subscribe_msg_change_event``
subscribe_msg_sent_event      :class:`SubscribeMsgSentEvent`            ``on_subscribe_msg_sent_event``
kf_create_session             :class:`KfCreateSessionEvent`             ``on_kf_create_session``
kf_close_session              :class:`KfCloseSessionEvent`              ``on_kf_close_session``
kf_switch_session             :class:`KfSwitchSessionEvent`             ``on_kf_switch_session``
PUBLISHJOBFINISH              :class:`PublishJobFinishEvent`            ``on_publish_job_finish``
qualification_verify_success  :class:`QualificationVerifySuccessEvent`  ``on_qualification_verify_success``
qualification_verify_fail     :class:`QualificationVerifyFailEvent`     ``on_qualification_verify_fail``
naming_verify_success         :class:`NamingVerifySuccessEvent`         ``on_naming_verify_success``
naming_verify_fail            :class:`NamingVerifyFailEvent`            ``on_naming_verify_fail``
annual_renew                  :class:`AnnualRenewEvent`                 ``on_annual_renew``
verify_expired                :class:`VerifyExpiredEvent`               ``on_verify_expired``
(anything else)               :class:`UnknownEvent`                     ``on_unknown``
============================  ========================================  ===================================
"""

# ``wxfield`` returns ``attrs.field(...)``: its calls are field specifiers, not shared mutable defaults.

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from ._eventbase import Event, UnknownEvent
from ._model import Converter, WxObject, as_float, as_int, nested, nested_list, wxfield
from .errors import ParseError
from .messages import MESSAGE_CLASSES, Coordinates, TypeRegistry, UnknownMessage

__all__ = [
    "AnnualRenewEvent",
    "ArticleDetail",
    "ArticleUrlItem",
    "ArticleUrlResult",
    "ClickEvent",
    "CopyrightCheckItem",
    "CopyrightCheckResult",
    "EVENT_CLASSES",
    "Event",
    "KfCloseSessionEvent",
    "KfCreateSessionEvent",
    "KfSwitchSessionEvent",
    "LocationEvent",
    "LocationSelectEvent",
    "MassSendJobFinishEvent",
    "NamingVerifyFailEvent",
    "NamingVerifySuccessEvent",
    "PicItem",
    "PicPhotoOrAlbumEvent",
    "PicSysPhotoEvent",
    "PicWeixinEvent",
    "PublishEventInfo",
    "PublishJobFinishEvent",
    "PublishedArticle",
    "QualificationVerifyFailEvent",
    "QualificationVerifySuccessEvent",
    "ScanCodeInfo",
    "ScanCodePushEvent",
    "ScanCodeWaitMsgEvent",
    "ScanEvent",
    "SendLocationInfo",
    "SendPicsInfo",
    "SubscribeEvent",
    "SubscribeMsgChangeEvent",
    "SubscribeMsgChangeItem",
    "SubscribeMsgPopupEvent",
    "SubscribeMsgPopupItem",
    "SubscribeMsgSentEvent",
    "SubscribeMsgSentItem",
    "TemplateSendJobFinishEvent",
    "UnknownEvent",
    "UnsubscribeEvent",
    "VerifyExpiredEvent",
    "ViewEvent",
    "ViewMiniProgramEvent",
    "official_registry",
]


def _repeated(cls: type[WxObject]) -> Converter:
    """Build a converter for an element repeated in place (a dict or a list of dicts) into a tuple of ``cls``."""

    def convert(name: str, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return ()
        items = value if isinstance(value, list) else [value]
        out = []
        for it in items:
            if not isinstance(it, dict):
                raise ParseError(f"<{name}> must contain elements")
            out.append(cls.from_dict(it))
        return tuple(out)

    return convert


def _int_list(name: str, value: Any) -> tuple[int, ...]:
    """Convert an element that may repeat in place (``<x>1</x><x>2</x>``) into a tuple of ints; blanks are skipped."""
    items = value if isinstance(value, list) else [value]
    return tuple(as_int(name, it) for it in items if not (isinstance(it, str) and not it.strip()))


# --------------------------------------------------------------------------- follow, QR codes, location
# (Event and UnknownEvent are defined in wxkit._eventbase: the inbound core needs them at import.)


@attrs.frozen(kw_only=True, repr=False, eq=False)
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


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UnsubscribeEvent(Event):
    """A user unfollowed the account; WeChat asks that their data be deleted."""

    wx_type: ClassVar[str] = "unsubscribe"
    handler: ClassVar[str] = "on_unsubscribe"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ScanEvent(Event):
    """A follower scanned a parametric QR code; ``event_key`` is the scene (no ``qrscene_`` prefix)."""

    wx_type: ClassVar[str] = "SCAN"
    handler: ClassVar[str] = "on_scan"
    event_key: str = wxfield("EventKey")
    ticket: str = wxfield("Ticket")

    @property
    def scene(self) -> str:
        """The QR scene (``scene_id`` or ``scene_str``), same as ``event_key``."""
        return self.event_key


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LocationEvent(Event):
    """A location report sent when the user enters the chat (or every 5 seconds), if they agreed."""

    wx_type: ClassVar[str] = "LOCATION"
    handler: ClassVar[str] = "on_location_update"
    latitude: float = wxfield("Latitude", as_float, 0.0)
    longitude: float = wxfield("Longitude", as_float, 0.0)
    precision: float = wxfield("Precision", as_float, 0.0)


# --------------------------------------------------------------------------- custom menu


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ClickEvent(Event):
    """A click on a menu button of type ``click``."""

    wx_type: ClassVar[str] = "CLICK"
    handler: ClassVar[str] = "on_click"
    event_key: str = wxfield("EventKey")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ViewEvent(Event):
    """A click on a menu button of type ``view``; ``event_key`` is the URL opened."""

    wx_type: ClassVar[str] = "VIEW"
    handler: ClassVar[str] = "on_view"
    event_key: str = wxfield("EventKey")
    #: Id of the (conditional) menu that was clicked.
    menu_id: str = wxfield("MenuId")

    @property
    def url(self) -> str:
        """The URL the button opened (alias of ``event_key``)."""
        return self.event_key


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ScanCodeInfo(WxObject):
    """``<ScanCodeInfo>``: what the menu-launched scanner read."""

    scan_type: str = wxfield("ScanType")
    scan_result: str = wxfield("ScanResult")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ScanCodePushEvent(Event):
    """A ``scancode_push`` menu button: the user scanned a code, WeChat handled it itself."""

    wx_type: ClassVar[str] = "scancode_push"
    handler: ClassVar[str] = "on_scancode_push"
    event_key: str = wxfield("EventKey")
    scan_code_info: ScanCodeInfo | None = wxfield("ScanCodeInfo", nested(ScanCodeInfo), None)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ScanCodeWaitMsgEvent(Event):
    """A ``scancode_waitmsg`` menu button: the user scanned a code and waits for a reply."""

    wx_type: ClassVar[str] = "scancode_waitmsg"
    handler: ClassVar[str] = "on_scancode_waitmsg"
    event_key: str = wxfield("EventKey")
    scan_code_info: ScanCodeInfo | None = wxfield("ScanCodeInfo", nested(ScanCodeInfo), None)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PicItem(WxObject):
    """One ``<PicList><item>``: the MD5 of a sent picture."""

    pic_md5_sum: str = wxfield("PicMd5Sum")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SendPicsInfo(WxObject):
    """``<SendPicsInfo>``: the pictures sent through a picture menu button."""

    count: int = wxfield("Count", as_int, 0)
    pic_list: tuple[PicItem, ...] = wxfield("PicList", nested_list(PicItem), ())


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PicSysPhotoEvent(Event):
    """A ``pic_sysphoto`` menu button: the user took photos with the system camera."""

    wx_type: ClassVar[str] = "pic_sysphoto"
    handler: ClassVar[str] = "on_pic_sysphoto"
    event_key: str = wxfield("EventKey")
    send_pics_info: SendPicsInfo | None = wxfield("SendPicsInfo", nested(SendPicsInfo), None)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PicPhotoOrAlbumEvent(Event):
    """A ``pic_photo_or_album`` menu button: the user took or picked photos."""

    wx_type: ClassVar[str] = "pic_photo_or_album"
    handler: ClassVar[str] = "on_pic_photo_or_album"
    event_key: str = wxfield("EventKey")
    send_pics_info: SendPicsInfo | None = wxfield("SendPicsInfo", nested(SendPicsInfo), None)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PicWeixinEvent(Event):
    """A ``pic_weixin`` menu button: the user picked photos from the WeChat album."""

    wx_type: ClassVar[str] = "pic_weixin"
    handler: ClassVar[str] = "on_pic_weixin"
    event_key: str = wxfield("EventKey")
    send_pics_info: SendPicsInfo | None = wxfield("SendPicsInfo", nested(SendPicsInfo), None)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SendLocationInfo(Coordinates, WxObject):
    """``<SendLocationInfo>``: latitude ``location_x``, longitude ``location_y``, map scale, label, POI name."""

    location_x: float = wxfield("Location_X", as_float, 0.0)
    location_y: float = wxfield("Location_Y", as_float, 0.0)
    scale: int = wxfield("Scale", as_int, 0)
    label: str = wxfield("Label")
    poiname: str = wxfield("Poiname")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LocationSelectEvent(Event):
    """A ``location_select`` menu button: the user picked a location."""

    wx_type: ClassVar[str] = "location_select"
    handler: ClassVar[str] = "on_location_select"
    event_key: str = wxfield("EventKey")
    send_location_info: SendLocationInfo | None = wxfield("SendLocationInfo", nested(SendLocationInfo), None)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ViewMiniProgramEvent(Event):
    """A ``miniprogram`` menu button; ``event_key`` is the mini program page path opened."""

    wx_type: ClassVar[str] = "view_miniprogram"
    handler: ClassVar[str] = "on_view_miniprogram"
    event_key: str = wxfield("EventKey")
    #: Id of the (conditional) menu that was clicked.
    menu_id: str = wxfield("MenuId")

    @property
    def page_path(self) -> str:
        """The mini program page path (alias of ``event_key``)."""
        return self.event_key


# --------------------------------------------------------------------------- template and mass messages


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TemplateSendJobFinishEvent(Event):
    """Delivery result of a template message: ``status`` is ``success`` or ``failed:<reason>``."""

    wx_type: ClassVar[str] = "TEMPLATESENDJOBFINISH"
    handler: ClassVar[str] = "on_template_send_job_finish"
    msg_id: str = wxfield("MsgID")
    status: str = wxfield("Status")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CopyrightCheckItem(WxObject):
    """One ``<CopyrightCheckResult><ResultList><item>``: the originality check of one article."""

    article_idx: int = wxfield("ArticleIdx", as_int, 0)
    user_declare_state: int = wxfield("UserDeclareState", as_int, 0)
    audit_state: int = wxfield("AuditState", as_int, 0)
    original_article_url: str = wxfield("OriginalArticleUrl")
    original_article_type: int = wxfield("OriginalArticleType", as_int, 0)
    can_reprint: int = wxfield("CanReprint", as_int, 0)
    need_replace_content: int = wxfield("NeedReplaceContent", as_int, 0)
    need_show_reprint_source: int = wxfield("NeedShowReprintSource", as_int, 0)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CopyrightCheckResult(WxObject):
    """``<CopyrightCheckResult>``; ``check_state`` 1 = not a reprint, 2 = reprint allowed, 3 = reprint refused."""

    count: int = wxfield("Count", as_int, 0)
    result_list: tuple[CopyrightCheckItem, ...] = wxfield("ResultList", nested_list(CopyrightCheckItem), ())
    check_state: int = wxfield("CheckState", as_int, 0)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ArticleUrlItem(WxObject):
    """One ``<ArticleUrlResult><ResultList><item>``: the URL of one sent article."""

    article_idx: int = wxfield("ArticleIdx", as_int, 0)
    article_url: str = wxfield("ArticleUrl")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ArticleUrlResult(WxObject):
    """``<ArticleUrlResult>``: the URLs of the articles of a mass send."""

    count: int = wxfield("Count", as_int, 0)
    result_list: tuple[ArticleUrlItem, ...] = wxfield("ResultList", nested_list(ArticleUrlItem), ())


@attrs.frozen(kw_only=True, repr=False, eq=False)
class MassSendJobFinishEvent(Event):
    """Result of a mass send: ``status`` is ``send success``, ``send fail`` or ``err(<code>)``."""

    wx_type: ClassVar[str] = "MASSSENDJOBFINISH"
    handler: ClassVar[str] = "on_mass_send_job_finish"
    msg_id: str = wxfield("MsgID")
    status: str = wxfield("Status")
    #: Followers targeted (group or openid list).
    total_count: int = wxfield("TotalCount", as_int, 0)
    #: Followers left after filtering; ``filter_count == sent_count + error_count`` in principle.
    filter_count: int = wxfield("FilterCount", as_int, 0)
    sent_count: int = wxfield("SentCount", as_int, 0)
    error_count: int = wxfield("ErrorCount", as_int, 0)
    copyright_check_result: CopyrightCheckResult | None = wxfield(
        "CopyrightCheckResult", nested(CopyrightCheckResult), None
    )
    article_url_result: ArticleUrlResult | None = wxfield("ArticleUrlResult", nested(ArticleUrlResult), None)


# --------------------------------------------------------------------------- subscription notifications


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SubscribeMsgPopupItem(WxObject):
    """One ``<List>`` of a popup event: ``accept`` / ``reject`` for one template; scene 1 = H5, 2 = article."""

    template_id: str = wxfield("TemplateId")
    subscribe_status_string: str = wxfield("SubscribeStatusString")
    popup_scene: int = wxfield("PopupScene", as_int, 0)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SubscribeMsgChangeItem(WxObject):
    """One ``<List>`` of a change event: the user turned a template off (``reject``)."""

    template_id: str = wxfield("TemplateId")
    subscribe_status_string: str = wxfield("SubscribeStatusString")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SubscribeMsgSentItem(WxObject):
    """One ``<List>`` of a sent event: delivery result of one notification (``error_code`` 0 = success)."""

    template_id: str = wxfield("TemplateId")
    msg_id: str = wxfield("MsgID")
    error_code: int = wxfield("ErrorCode", as_int, 0)
    error_status: str = wxfield("ErrorStatus")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SubscribeMsgPopupEvent(Event):
    """The user answered a subscription-notification popup (one item per template)."""

    wx_type: ClassVar[str] = "subscribe_msg_popup_event"
    handler: ClassVar[str] = "on_subscribe_msg_popup_event"
    items: tuple[SubscribeMsgPopupItem, ...] = wxfield(
        "SubscribeMsgPopupEvent", nested_list(SubscribeMsgPopupItem, item="List"), ()
    )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SubscribeMsgChangeEvent(Event):
    """The user changed subscription notifications in the service-notification settings."""

    wx_type: ClassVar[str] = "subscribe_msg_change_event"
    handler: ClassVar[str] = "on_subscribe_msg_change_event"
    items: tuple[SubscribeMsgChangeItem, ...] = wxfield(
        "SubscribeMsgChangeEvent", nested_list(SubscribeMsgChangeItem, item="List"), ()
    )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SubscribeMsgSentEvent(Event):
    """Delivery result of subscription notifications sent by the account."""

    wx_type: ClassVar[str] = "subscribe_msg_sent_event"
    handler: ClassVar[str] = "on_subscribe_msg_sent_event"
    items: tuple[SubscribeMsgSentItem, ...] = wxfield(
        "SubscribeMsgSentEvent", nested_list(SubscribeMsgSentItem, item="List"), ()
    )


# --------------------------------------------------------------------------- customer service sessions


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KfCreateSessionEvent(Event):
    """A customer-service agent took the user's session."""

    wx_type: ClassVar[str] = "kf_create_session"
    handler: ClassVar[str] = "on_kf_create_session"
    kf_account: str = wxfield("KfAccount")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KfCloseSessionEvent(Event):
    """A customer-service agent closed the user's session."""

    wx_type: ClassVar[str] = "kf_close_session"
    handler: ClassVar[str] = "on_kf_close_session"
    kf_account: str = wxfield("KfAccount")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class KfSwitchSessionEvent(Event):
    """The user's session moved from one customer-service agent to another."""

    wx_type: ClassVar[str] = "kf_switch_session"
    handler: ClassVar[str] = "on_kf_switch_session"
    from_kf_account: str = wxfield("FromKfAccount")
    to_kf_account: str = wxfield("ToKfAccount")


# --------------------------------------------------------------------------- publishing


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PublishedArticle(WxObject):
    """One ``<article_detail><item>``: number and permanent URL of a published article."""

    idx: int = wxfield("idx", as_int, 0)
    article_url: str = wxfield("article_url")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ArticleDetail(WxObject):
    """``<article_detail>``: the articles of a successful publish."""

    count: int = wxfield("count", as_int, 0)
    items: tuple[PublishedArticle, ...] = wxfield("item", _repeated(PublishedArticle), ())


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PublishEventInfo(WxObject):
    """``<PublishEventInfo>``; ``publish_status`` 0 = success, 1 = publishing, 2-6 = failures."""

    publish_id: str = wxfield("publish_id")
    publish_status: int = wxfield("publish_status", as_int, 0)
    #: Set when ``publish_status`` is 0.
    article_id: str = wxfield("article_id")
    article_detail: ArticleDetail | None = wxfield("article_detail", nested(ArticleDetail), None)
    #: Numbers (from 1) of the rejected articles when ``publish_status`` is 2 or 4.
    fail_idx: tuple[int, ...] = wxfield("fail_idx", _int_list, ())


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PublishJobFinishEvent(Event):
    """Result of a publish job (freepublish)."""

    wx_type: ClassVar[str] = "PUBLISHJOBFINISH"
    handler: ClassVar[str] = "on_publish_job_finish"
    publish_event_info: PublishEventInfo | None = wxfield("PublishEventInfo", nested(PublishEventInfo), None)


# --------------------------------------------------------------------------- account verification


@attrs.frozen(kw_only=True, repr=False, eq=False)
class _VerifyExpiryEvent(Event):
    """Base of the verification events that carry ``ExpiredTime``."""

    #: Timestamp at which the verification expires (or expired, for ``verify_expired``).
    expired_time: int = wxfield("ExpiredTime", as_int, 0)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class _VerifyFailureEvent(Event):
    """Base of the verification events that carry ``FailTime`` / ``FailReason``."""

    fail_time: int = wxfield("FailTime", as_int, 0)
    fail_reason: str = wxfield("FailReason")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class QualificationVerifySuccessEvent(_VerifyExpiryEvent):
    """Qualification verification passed (API permissions granted at once)."""

    wx_type: ClassVar[str] = "qualification_verify_success"
    handler: ClassVar[str] = "on_qualification_verify_success"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class QualificationVerifyFailEvent(_VerifyFailureEvent):
    """Qualification verification failed."""

    wx_type: ClassVar[str] = "qualification_verify_fail"
    handler: ClassVar[str] = "on_qualification_verify_fail"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class NamingVerifySuccessEvent(_VerifyExpiryEvent):
    """Name verification passed (the account gets the verified tick)."""

    wx_type: ClassVar[str] = "naming_verify_success"
    handler: ClassVar[str] = "on_naming_verify_success"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class NamingVerifyFailEvent(_VerifyFailureEvent):
    """Name verification failed (API permissions stay, without the verified tick)."""

    wx_type: ClassVar[str] = "naming_verify_fail"
    handler: ClassVar[str] = "on_naming_verify_fail"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AnnualRenewEvent(_VerifyExpiryEvent):
    """The annual verification review is due (``expired_time``: when it lapses unless renewed)."""

    wx_type: ClassVar[str] = "annual_renew"
    handler: ClassVar[str] = "on_annual_renew"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class VerifyExpiredEvent(_VerifyExpiryEvent):
    """The account verification has expired."""

    wx_type: ClassVar[str] = "verify_expired"
    handler: ClassVar[str] = "on_verify_expired"


#: Every official-account event class.
EVENT_CLASSES: tuple[type[Event], ...] = (
    SubscribeEvent,
    UnsubscribeEvent,
    ScanEvent,
    LocationEvent,
    ClickEvent,
    ViewEvent,
    ScanCodePushEvent,
    ScanCodeWaitMsgEvent,
    PicSysPhotoEvent,
    PicPhotoOrAlbumEvent,
    PicWeixinEvent,
    LocationSelectEvent,
    ViewMiniProgramEvent,
    TemplateSendJobFinishEvent,
    MassSendJobFinishEvent,
    SubscribeMsgPopupEvent,
    SubscribeMsgChangeEvent,
    SubscribeMsgSentEvent,
    KfCreateSessionEvent,
    KfCloseSessionEvent,
    KfSwitchSessionEvent,
    PublishJobFinishEvent,
    QualificationVerifySuccessEvent,
    QualificationVerifyFailEvent,
    NamingVerifySuccessEvent,
    NamingVerifyFailEvent,
    AnnualRenewEvent,
    VerifyExpiredEvent,
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
