"""Typed inbound messages and events of WeCom (企业微信) self-built apps.

Every WeCom push carries ``AgentID``; every class here has ``agent_id`` (0
when a push has none, e.g. contact changes). Classes shared with official
accounts subclass the official-account class (``WorkTextMessage`` is a
:class:`wxkit.messages.TextMessage`), so handlers written for one work for
the other. Pushes wxkit does not know parse into :class:`WorkUnknownMessage`
or :class:`WorkUnknownEvent`, never an exception.

``change_contact`` events are dispatched further on ``ChangeType``: a known
one gets its own class and handler, an unknown one falls back to
:class:`WorkChangeContactEvent` (``on_change_contact``).

===================================  ====================================  ==================================
MsgType / Event (:ChangeType)        class                                 handler
===================================  ====================================  ==================================
text                                 :class:`WorkTextMessage`              ``on_text``
image                                :class:`WorkImageMessage`             ``on_image``
voice                                :class:`WorkVoiceMessage`             ``on_voice``
video                                :class:`WorkVideoMessage`             ``on_video``
location                             :class:`WorkLocationMessage`          ``on_location``
link                                 :class:`WorkLinkMessage`              ``on_link``
subscribe                            :class:`WorkSubscribeEvent`           ``on_subscribe``
unsubscribe                          :class:`WorkUnsubscribeEvent`         ``on_unsubscribe``
enter_agent                          :class:`WorkEnterAgentEvent`          ``on_enter_agent``
LOCATION                             :class:`WorkLocationEvent`            ``on_location_update``
batch_job_result                     :class:`WorkBatchJobResultEvent`      ``on_batch_job_result``
change_contact (unknown ChangeType)  :class:`WorkChangeContactEvent`       ``on_change_contact``
change_contact:create_user           :class:`WorkCreateUserEvent`          ``on_change_contact_create_user``
change_contact:update_user           :class:`WorkUpdateUserEvent`          ``on_change_contact_update_user``
change_contact:delete_user           :class:`WorkDeleteUserEvent`          ``on_change_contact_delete_user``
change_contact:create_party          :class:`WorkCreatePartyEvent`         ``on_change_contact_create_party``
change_contact:update_party          :class:`WorkUpdatePartyEvent`         ``on_change_contact_update_party``
change_contact:delete_party          :class:`WorkDeletePartyEvent`         ``on_change_contact_delete_party``
change_contact:update_tag            :class:`WorkUpdateTagEvent`           ``on_change_contact_update_tag``
click                                :class:`WorkClickEvent`               ``on_click``
view                                 :class:`WorkViewEvent`                ``on_view``
view_miniprogram                     :class:`WorkViewMiniProgramEvent`     ``on_view_miniprogram``
scancode_push                        :class:`WorkScanCodePushEvent`        ``on_scancode_push``
scancode_waitmsg                     :class:`WorkScanCodeWaitMsgEvent`     ``on_scancode_waitmsg``
pic_sysphoto                         :class:`WorkPicSysPhotoEvent`         ``on_pic_sysphoto``
pic_photo_or_album                   :class:`WorkPicPhotoOrAlbumEvent`     ``on_pic_photo_or_album``
pic_weixin                           :class:`WorkPicWeixinEvent`           ``on_pic_weixin``
location_select                      :class:`WorkLocationSelectEvent`      ``on_location_select``
open_approval_change                 :class:`WorkOpenApprovalChangeEvent`  ``on_open_approval_change``
share_agent_change                   :class:`WorkShareAgentChangeEvent`    ``on_share_agent_change``
template_card_event                  :class:`WorkTemplateCardEvent`        ``on_template_card_event``
template_card_menu_event             :class:`WorkTemplateCardMenuEvent`    ``on_template_card_menu_event``
(any other message / event)          :class:`WorkUnknownMessage` /         ``on_unknown``
                                     :class:`WorkUnknownEvent`
===================================  ====================================  ==================================
"""

# ``wxfield`` returns ``attrs.field(...)``: its calls are field specifiers, not shared mutable defaults.

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from .._model import Converter, WxObject, as_int, as_str, nested, nested_list, wxfield
from ..errors import ParseError
from ..events import (
    ClickEvent,
    Event,
    LocationEvent,
    LocationSelectEvent,
    PicPhotoOrAlbumEvent,
    PicSysPhotoEvent,
    PicWeixinEvent,
    ScanCodePushEvent,
    ScanCodeWaitMsgEvent,
    SubscribeEvent,
    UnknownEvent,
    UnsubscribeEvent,
    ViewEvent,
    ViewMiniProgramEvent,
)
from ..messages import (
    ImageMessage,
    LinkMessage,
    LocationMessage,
    Message,
    TextMessage,
    TypeRegistry,
    UnknownMessage,
    VideoMessage,
    VoiceMessage,
)

__all__ = [
    "WORK_CLASSES",
    "WorkApprovalInfo",
    "WorkApprovalItem",
    "WorkApprovalNode",
    "WorkBatchJob",
    "WorkBatchJobResultEvent",
    "WorkChangeContactEvent",
    "WorkClickEvent",
    "WorkCreatePartyEvent",
    "WorkCreateUserEvent",
    "WorkDeletePartyEvent",
    "WorkDeleteUserEvent",
    "WorkEnterAgentEvent",
    "WorkExtAttr",
    "WorkExtAttrText",
    "WorkExtAttrWeb",
    "WorkImageMessage",
    "WorkKfMsgOrEvent",
    "WorkLinkMessage",
    "WorkLocationEvent",
    "WorkLocationMessage",
    "WorkLocationSelectEvent",
    "WorkOpenApprovalChangeEvent",
    "WorkPicPhotoOrAlbumEvent",
    "WorkPicSysPhotoEvent",
    "WorkPicWeixinEvent",
    "WorkScanCodePushEvent",
    "WorkScanCodeWaitMsgEvent",
    "WorkSelectedItem",
    "WorkShareAgentChangeEvent",
    "WorkSubscribeEvent",
    "WorkTemplateCardEvent",
    "WorkTemplateCardMenuEvent",
    "WorkTextMessage",
    "WorkUnknownEvent",
    "WorkUnknownMessage",
    "WorkUnsubscribeEvent",
    "WorkUpdatePartyEvent",
    "WorkUpdateTagEvent",
    "WorkUpdateUserEvent",
    "WorkUserChangeEvent",
    "WorkVideoMessage",
    "WorkViewEvent",
    "WorkViewMiniProgramEvent",
    "WorkVoiceMessage",
    "work_registry",
]


def _agent_id() -> Any:
    """Declare the ``AgentID`` field every WeCom push carries (0 when absent)."""
    return wxfield("AgentID", as_int, 0)


def _csv(name: str, value: Any) -> tuple[str, ...]:
    """Convert a comma-separated text value (``"a,b"``) into a tuple of non-empty strings."""
    return tuple(part for part in (p.strip() for p in as_str(name, value).split(",")) if part)


def _csv_int(name: str, value: Any) -> tuple[int, ...]:
    """Convert a comma-separated text value (``"1,2"``) into a tuple of ints."""
    return tuple(as_int(name, part) for part in _csv(name, value))


def _text_list(item: str) -> Converter:
    """Build a converter for ``<Name><item>a</item><item>b</item></Name>`` into a tuple of strings."""

    def convert(name: str, value: Any) -> tuple[str, ...]:
        if value == "":
            return ()
        if not isinstance(value, dict):
            raise ParseError(f"<{name}> must contain <{item}> elements")
        items = value.get(item, [])
        if not isinstance(items, list):
            items = [items]
        return tuple(as_str(item, it) for it in items)

    return convert


# --------------------------------------------------------------------------- messages


@attrs.frozen(kw_only=True)
class WorkTextMessage(TextMessage):
    """A WeCom text message."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkImageMessage(ImageMessage):
    """A WeCom image message; ``media_id`` can be fetched for three days."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkVoiceMessage(VoiceMessage):
    """A WeCom voice message (``format`` is e.g. ``amr``)."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkVideoMessage(VideoMessage):
    """A WeCom video message."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkLocationMessage(LocationMessage):
    """A WeCom location message; ``app_type`` is ``wxwork`` from the WeCom app, empty from WeChat."""

    agent_id: int = _agent_id()
    app_type: str = wxfield("AppType")


@attrs.frozen(kw_only=True)
class WorkLinkMessage(LinkMessage):
    """A WeCom link message; ``pic_url`` is the cover thumbnail."""

    agent_id: int = _agent_id()
    pic_url: str = wxfield("PicUrl")


@attrs.frozen(kw_only=True)
class WorkUnknownMessage(UnknownMessage):
    """A WeCom message type wxkit does not know; everything is in ``raw``."""

    agent_id: int = _agent_id()


# --------------------------------------------------------------------------- member and app events


@attrs.frozen(kw_only=True)
class WorkUnknownEvent(UnknownEvent):
    """A WeCom event wxkit does not know; everything is in ``raw``."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkSubscribeEvent(SubscribeEvent):
    """A member entered the app's visible range (or joined the corp inside it)."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkUnsubscribeEvent(UnsubscribeEvent):
    """A member left the app's visible range, left the corp or was disabled."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkEnterAgentEvent(Event):
    """A member opened the app (when "report entering the app" is on); ``event_key`` is empty."""

    wx_type: ClassVar[str] = "enter_agent"
    handler: ClassVar[str] = "on_enter_agent"
    agent_id: int = _agent_id()
    event_key: str = wxfield("EventKey")


@attrs.frozen(kw_only=True)
class WorkLocationEvent(LocationEvent):
    """A location report sent when a member enters the app's chat, if location reporting is on."""

    agent_id: int = _agent_id()
    #: ``wxwork`` from the WeCom app, empty from WeChat.
    app_type: str = wxfield("AppType")


@attrs.frozen(kw_only=True)
class WorkBatchJob(WxObject):
    """``<BatchJob>``: an async contact job; ``job_type`` is ``sync_user``, ``replace_user``, ... ."""

    job_id: str = wxfield("JobId")
    job_type: str = wxfield("JobType")
    err_code: int = wxfield("ErrCode", as_int, 0)
    err_msg: str = wxfield("ErrMsg")


@attrs.frozen(kw_only=True)
class WorkBatchJobResultEvent(Event):
    """An async job (batch member / department import) finished; ``batch_job.err_code`` 0 is success."""

    wx_type: ClassVar[str] = "batch_job_result"
    handler: ClassVar[str] = "on_batch_job_result"
    agent_id: int = _agent_id()
    batch_job: WorkBatchJob | None = wxfield("BatchJob", nested(WorkBatchJob), None)

    @property
    def dedup_key(self) -> str:
        """Sender + CreateTime + Event + JobId: several jobs may finish in one second."""
        job_id = self.batch_job.job_id if self.batch_job is not None else ""
        return f"{super().dedup_key}:{job_id}"


# --------------------------------------------------------------------------- contact changes


@attrs.frozen(kw_only=True)
class WorkChangeContactEvent(Event):
    """A contact change (``Event=change_contact``); this class takes the ``ChangeType``s wxkit does not know."""

    wx_type: ClassVar[str] = "change_contact"
    handler: ClassVar[str] = "on_change_contact"
    agent_id: int = _agent_id()
    change_type: str = wxfield("ChangeType")

    @property
    def dedup_key(self) -> str:
        """Sender + CreateTime + Event + ChangeType + changed id: one import sends many changes a second."""
        ident = ""
        for name in ("UserID", "Id", "TagId"):
            value = self.raw.get(name)
            if isinstance(value, str):
                ident = value
                break
        return f"{super().dedup_key}:{self.change_type}:{ident}"


@attrs.frozen(kw_only=True)
class WorkExtAttrText(WxObject):
    """``<Text>`` of a custom member attribute of type 0."""

    value: str = wxfield("Value")


@attrs.frozen(kw_only=True)
class WorkExtAttrWeb(WxObject):
    """``<Web>`` of a custom member attribute of type 1 (a link)."""

    title: str = wxfield("Title")
    url: str = wxfield("Url")


@attrs.frozen(kw_only=True)
class WorkExtAttr(WxObject):
    """One ``<ExtAttr><Item>``: a custom member attribute; ``type`` 0 = text, 1 = web link."""

    name: str = wxfield("Name")
    type: int = wxfield("Type", as_int, 0)
    text: WorkExtAttrText | None = wxfield("Text", nested(WorkExtAttrText), None)
    web: WorkExtAttrWeb | None = wxfield("Web", nested(WorkExtAttrWeb), None)

    @property
    def value(self) -> str:
        """The text value, or the URL of a web attribute, or ``""``."""
        if self.text is not None:
            return self.text.value
        if self.web is not None:
            return self.web.url
        return ""


@attrs.frozen(kw_only=True)
class WorkUserChangeEvent(WorkChangeContactEvent):
    """Base of the member create / update events: the member fields WeCom may send.

    Since 2022-08-15 newly configured contact-sync callbacks send only
    ``UserID`` and ``Department``; the other fields then keep their defaults.
    """

    user_id: str = wxfield("UserID")
    name: str = wxfield("Name")
    #: Department ids the member belongs to.
    department: tuple[int, ...] = wxfield("Department", _csv_int, ())
    main_department: int = wxfield("MainDepartment", as_int, 0)
    #: One flag per ``department``: 1 = leader of that department.
    is_leader_in_dept: tuple[int, ...] = wxfield("IsLeaderInDept", _csv_int, ())
    #: UserIDs of the member's direct leaders.
    direct_leader: tuple[str, ...] = wxfield("DirectLeader", _csv, ())
    position: str = wxfield("Position")
    mobile: str = wxfield("Mobile")
    #: 1 = male, 2 = female (0 = not set).
    gender: int = wxfield("Gender", as_int, 0)
    email: str = wxfield("Email")
    biz_mail: str = wxfield("BizMail")
    #: 1 = activated, 2 = disabled, 4 = not activated, 5 = left the corp.
    status: int = wxfield("Status", as_int, 0)
    avatar: str = wxfield("Avatar")
    alias: str = wxfield("Alias")
    telephone: str = wxfield("Telephone")
    address: str = wxfield("Address")
    ext_attr: tuple[WorkExtAttr, ...] = wxfield("ExtAttr", nested_list(WorkExtAttr, item="Item"), ())


@attrs.frozen(kw_only=True)
class WorkCreateUserEvent(WorkUserChangeEvent):
    """A member was added to the corp."""

    wx_type: ClassVar[str] = "change_contact:create_user"
    handler: ClassVar[str] = "on_change_contact_create_user"


@attrs.frozen(kw_only=True)
class WorkUpdateUserEvent(WorkUserChangeEvent):
    """A member was changed; ``new_user_id`` is set when their UserID changed."""

    wx_type: ClassVar[str] = "change_contact:update_user"
    handler: ClassVar[str] = "on_change_contact_update_user"
    new_user_id: str = wxfield("NewUserID")


@attrs.frozen(kw_only=True)
class WorkDeleteUserEvent(WorkChangeContactEvent):
    """A member was deleted."""

    wx_type: ClassVar[str] = "change_contact:delete_user"
    handler: ClassVar[str] = "on_change_contact_delete_user"
    user_id: str = wxfield("UserID")


@attrs.frozen(kw_only=True)
class WorkCreatePartyEvent(WorkChangeContactEvent):
    """A department was created."""

    wx_type: ClassVar[str] = "change_contact:create_party"
    handler: ClassVar[str] = "on_change_contact_create_party"
    id: int = wxfield("Id", as_int, 0)
    name: str = wxfield("Name")
    parent_id: int = wxfield("ParentId", as_int, 0)
    order: int = wxfield("Order", as_int, 0)


@attrs.frozen(kw_only=True)
class WorkUpdatePartyEvent(WorkChangeContactEvent):
    """A department was renamed or moved (only changed fields are sent)."""

    wx_type: ClassVar[str] = "change_contact:update_party"
    handler: ClassVar[str] = "on_change_contact_update_party"
    id: int = wxfield("Id", as_int, 0)
    name: str = wxfield("Name")
    parent_id: int = wxfield("ParentId", as_int, 0)


@attrs.frozen(kw_only=True)
class WorkDeletePartyEvent(WorkChangeContactEvent):
    """A department was deleted."""

    wx_type: ClassVar[str] = "change_contact:delete_party"
    handler: ClassVar[str] = "on_change_contact_delete_party"
    id: int = wxfield("Id", as_int, 0)


@attrs.frozen(kw_only=True)
class WorkUpdateTagEvent(WorkChangeContactEvent):
    """The members or departments of a tag changed."""

    wx_type: ClassVar[str] = "change_contact:update_tag"
    handler: ClassVar[str] = "on_change_contact_update_tag"
    tag_id: int = wxfield("TagId", as_int, 0)
    add_user_items: tuple[str, ...] = wxfield("AddUserItems", _csv, ())
    del_user_items: tuple[str, ...] = wxfield("DelUserItems", _csv, ())
    add_party_items: tuple[int, ...] = wxfield("AddPartyItems", _csv_int, ())
    del_party_items: tuple[int, ...] = wxfield("DelPartyItems", _csv_int, ())


# --------------------------------------------------------------------------- custom menu
#
# WeCom sends the official-account menu events with the same elements, plus
# ``AgentID`` (and ``AppType`` for ``location_select``): each class below
# subclasses its official-account class and reuses its nested structures
# (:class:`~wxkit.events.ScanCodeInfo`, :class:`~wxkit.events.SendPicsInfo`,
# :class:`~wxkit.events.SendLocationInfo`).


@attrs.frozen(kw_only=True)
class WorkClickEvent(ClickEvent):
    """A click on a menu button of type ``click``."""

    wx_type: ClassVar[str] = "click"
    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkViewEvent(ViewEvent):
    """A click on a menu button of type ``view``; ``event_key`` is the URL opened (``menu_id`` stays empty)."""

    wx_type: ClassVar[str] = "view"
    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkViewMiniProgramEvent(ViewMiniProgramEvent):
    """A click on a menu button that opens a mini program; ``event_key`` is the page path (``menu_id`` stays empty)."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkScanCodePushEvent(ScanCodePushEvent):
    """A ``scancode_push`` menu button: the member scanned a code, WeCom handled it itself."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkScanCodeWaitMsgEvent(ScanCodeWaitMsgEvent):
    """A ``scancode_waitmsg`` menu button: the member scanned a code and waits for a reply."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkPicSysPhotoEvent(PicSysPhotoEvent):
    """A ``pic_sysphoto`` menu button: the member took photos with the system camera."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkPicPhotoOrAlbumEvent(PicPhotoOrAlbumEvent):
    """A ``pic_photo_or_album`` menu button: the member took or picked photos."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkPicWeixinEvent(PicWeixinEvent):
    """A ``pic_weixin`` menu button: the member picked photos from the album."""

    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkLocationSelectEvent(LocationSelectEvent):
    """A ``location_select`` menu button: the member picked a location."""

    agent_id: int = _agent_id()
    #: ``wxwork`` from the WeCom app, empty from WeChat.
    app_type: str = wxfield("AppType")


# --------------------------------------------------------------------------- approvals, sharing, template cards


@attrs.frozen(kw_only=True)
class WorkApprovalItem(WxObject):
    """One approver (``<Items><Item>``) or cc'd member (``<NotifyNode>``) of an approval."""

    item_name: str = wxfield("ItemName")
    item_user_id: str = wxfield("ItemUserId")
    item_party: str = wxfield("ItemParty")
    item_image: str = wxfield("ItemImage")
    #: Approvers only: 1 = pending, 2 = approved, 3 = rejected, 4 = transferred.
    item_status: int = wxfield("ItemStatus", as_int, 0)
    #: Approvers only: the approver's comment.
    item_speech: str = wxfield("ItemSpeech")
    #: Approvers only: when they acted (0 = not yet).
    item_op_time: int = wxfield("ItemOpTime", as_int, 0)


@attrs.frozen(kw_only=True)
class WorkApprovalNode(WxObject):
    """One ``<ApprovalNode>``: a step of the approval flow and its approvers."""

    #: 1 = pending, 2 = approved, 3 = rejected, 4 = transferred.
    node_status: int = wxfield("NodeStatus", as_int, 0)
    #: 1 = any approver suffices (或签), 2 = all approvers must approve (会签).
    node_attr: int = wxfield("NodeAttr", as_int, 0)
    #: 1 = fixed members, 2 = the applicant's leader.
    node_type: int = wxfield("NodeType", as_int, 0)
    items: tuple[WorkApprovalItem, ...] = wxfield("Items", nested_list(WorkApprovalItem, item="Item"), ())


@attrs.frozen(kw_only=True)
class WorkApprovalInfo(WxObject):
    """``<ApprovalInfo>`` of an approval started through the approval-flow engine."""

    third_no: str = wxfield("ThirdNo")
    open_sp_name: str = wxfield("OpenSpName")
    open_template_id: str = wxfield("OpenTemplateId")
    #: 1 = pending, 2 = approved, 3 = rejected, 4 = withdrawn.
    open_sp_status: int = wxfield("OpenSpStatus", as_int, 0)
    apply_time: int = wxfield("ApplyTime", as_int, 0)
    apply_user_name: str = wxfield("ApplyUserName")
    apply_user_id: str = wxfield("ApplyUserId")
    apply_user_party: str = wxfield("ApplyUserParty")
    apply_user_image: str = wxfield("ApplyUserImage")
    approval_nodes: tuple[WorkApprovalNode, ...] = wxfield(
        "ApprovalNodes", nested_list(WorkApprovalNode, item="ApprovalNode"), ()
    )
    notify_nodes: tuple[WorkApprovalItem, ...] = wxfield(
        "NotifyNodes", nested_list(WorkApprovalItem, item="NotifyNode"), ()
    )
    #: Index of the current approval node (WeCom spells the element ``approverstep``).
    approver_step: int = wxfield("approverstep", as_int, 0)


@attrs.frozen(kw_only=True)
class WorkOpenApprovalChangeEvent(Event):
    """The status of an approval started by the app changed, or an approver acted on it."""

    wx_type: ClassVar[str] = "open_approval_change"
    handler: ClassVar[str] = "on_open_approval_change"
    agent_id: int = _agent_id()
    approval_info: WorkApprovalInfo | None = wxfield("ApprovalInfo", nested(WorkApprovalInfo), None)

    @property
    def dedup_key(self) -> str:
        """Sender + CreateTime + Event + ThirdNo + status: several approvals may change in one second."""
        info = self.approval_info
        suffix = f"{info.third_no}:{info.open_sp_status}" if info is not None else ""
        return f"{super().dedup_key}:{suffix}"


@attrs.frozen(kw_only=True)
class WorkShareAgentChangeEvent(Event):
    """The parent corp shared this self-built app with a member corp, or removed it (corp interconnection)."""

    wx_type: ClassVar[str] = "share_agent_change"
    handler: ClassVar[str] = "on_share_agent_change"
    agent_id: int = _agent_id()


@attrs.frozen(kw_only=True)
class WorkKfMsgOrEvent(Event):
    """微信客服 has news for ``open_kfid``: read it with ``client.kf.sync_msg(open_kfid, token=token)``."""

    wx_type: ClassVar[str] = "kf_msg_or_event"
    handler: ClassVar[str] = "on_kf_msg_or_event"
    agent_id: int = _agent_id()
    #: What ``kf/sync_msg`` takes as ``token`` (valid 10 minutes).
    token: str = wxfield("Token")
    open_kfid: str = wxfield("OpenKfId")

    @property
    def dedup_key(self) -> str:
        """The callback's ``Token``: one per callback, the same on WeCom's retries."""
        return f"kf:{self.token}" if self.token else super().dedup_key


@attrs.frozen(kw_only=True)
class WorkSelectedItem(WxObject):
    """One ``<SelectedItems><SelectedItem>``: the options picked for one question of a card."""

    question_key: str = wxfield("QuestionKey")
    option_ids: tuple[str, ...] = wxfield("OptionIds", _text_list("OptionId"), ())


@attrs.frozen(kw_only=True)
class WorkTemplateCardEvent(Event):
    """A button or submit of an interactive template card; ``response_code`` updates the card once, within 72 h."""

    wx_type: ClassVar[str] = "template_card_event"
    handler: ClassVar[str] = "on_template_card_event"
    agent_id: int = _agent_id()
    #: The ``key`` of the button clicked.
    event_key: str = wxfield("EventKey")
    task_id: str = wxfield("TaskId")
    #: ``text_notice``, ``news_notice``, ``button_interaction``, ``vote_interaction`` or ``multiple_interaction``.
    card_type: str = wxfield("CardType")
    response_code: str = wxfield("ResponseCode")
    selected_items: tuple[WorkSelectedItem, ...] = wxfield(
        "SelectedItems", nested_list(WorkSelectedItem, item="SelectedItem"), ()
    )


@attrs.frozen(kw_only=True)
class WorkTemplateCardMenuEvent(Event):
    """A click on the top-right menu of a template card; ``event_key`` is the menu item's key."""

    wx_type: ClassVar[str] = "template_card_menu_event"
    handler: ClassVar[str] = "on_template_card_menu_event"
    agent_id: int = _agent_id()
    event_key: str = wxfield("EventKey")
    task_id: str = wxfield("TaskId")
    card_type: str = wxfield("CardType")
    response_code: str = wxfield("ResponseCode")


#: Every WeCom message and event class registered in :data:`work_registry`.
WORK_CLASSES: tuple[type[Message] | type[Event], ...] = (
    WorkTextMessage,
    WorkImageMessage,
    WorkVoiceMessage,
    WorkVideoMessage,
    WorkLocationMessage,
    WorkLinkMessage,
    WorkSubscribeEvent,
    WorkUnsubscribeEvent,
    WorkEnterAgentEvent,
    WorkLocationEvent,
    WorkBatchJobResultEvent,
    WorkChangeContactEvent,
    WorkCreateUserEvent,
    WorkUpdateUserEvent,
    WorkDeleteUserEvent,
    WorkCreatePartyEvent,
    WorkUpdatePartyEvent,
    WorkDeletePartyEvent,
    WorkUpdateTagEvent,
    WorkClickEvent,
    WorkViewEvent,
    WorkViewMiniProgramEvent,
    WorkScanCodePushEvent,
    WorkScanCodeWaitMsgEvent,
    WorkPicSysPhotoEvent,
    WorkPicPhotoOrAlbumEvent,
    WorkPicWeixinEvent,
    WorkLocationSelectEvent,
    WorkOpenApprovalChangeEvent,
    WorkShareAgentChangeEvent,
    WorkTemplateCardEvent,
    WorkTemplateCardMenuEvent,
    WorkKfMsgOrEvent,
)


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
