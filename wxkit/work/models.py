"""Typed answers of the WeCom (企业微信) server API: SendResult, WorkUser, Department, Tag ...

Each is an ``attrs`` frozen, slotted class with snake_case fields and ``raw``,
the answer it was built from (new WeCom fields never get lost). ``from_dict``
builds one from WeCom's JSON; a value of the wrong type is a
:class:`~wxkit.errors.ParseError`, which the API groups report as a broken
exchange (:class:`~wxkit.errors.TransportError`) naming the call.

WeCom answers lists of invalid recipients as ``|``-joined text
(``"invaliduser": "bob|eve"``); they are lists here (:func:`split_ids`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from .._jsonmodel import OPTIONAL, JsonModel, json_name, split_ids
from .._jsonmodel import integer as _int
from .._jsonmodel import items as _list
from .._jsonmodel import mapping as _mapping
from .._jsonmodel import text as _text
from ..errors import ParseError

__all__ = [
    "AppChat",
    "ApprovalDetail",
    "ApprovalTemplate",
    "BatchJobResult",
    "ContactWay",
    "CorpTag",
    "CorpTagGroup",
    "Department",
    "DeptUser",
    "ExternalContact",
    "ExternalContactDetail",
    "FollowInfo",
    "GroupChat",
    "GroupMsgSend",
    "InviteResult",
    "KfAccount",
    "KfMessage",
    "KfServicer",
    "KfServicerResult",
    "MsgTemplateResult",
    "SendResult",
    "Tag",
    "TagMembers",
    "TagMembersResult",
    "UploadByUrlResult",
    "UploadedMedia",
    "WorkOAuthUser",
    "WorkUser",
    "WorkUserDetail",
    "split_ids",
]


@attrs.frozen
class SendResult(JsonModel):
    """What ``message/send`` (and ``batch/invite``) answers: the message id and the recipients refused.

    A partial failure is visible: :attr:`ok` is false when any user, party
    or tag was invalid (or any user unlicensed) though the others got the
    message. Every recipient invalid is errcode 81013, raised as an error.
    """

    msgid: str = attrs.field(metadata=OPTIONAL)
    invalid_users: tuple[str, ...] = attrs.field(default=(), metadata=json_name("invaliduser", ids=True))
    invalid_parties: tuple[str, ...] = attrs.field(default=(), metadata=json_name("invalidparty", ids=True))
    invalid_tags: tuple[str, ...] = attrs.field(default=(), metadata=json_name("invalidtag", ids=True))
    unlicensed_users: tuple[str, ...] = attrs.field(default=(), metadata=json_name("unlicenseduser", ids=True))
    response_code: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when every recipient was reached (nothing invalid, nobody unlicensed)."""
        return not (self.invalid_users or self.invalid_parties or self.invalid_tags or self.unlicensed_users)


@attrs.frozen
class InviteResult(JsonModel):
    """What ``batch/invite`` answers: the users, parties and tags that could not be invited."""

    invalid_users: tuple[str, ...] = attrs.field(default=(), metadata=json_name("invaliduser", ids=True))
    invalid_parties: tuple[str, ...] = attrs.field(default=(), metadata=json_name("invalidparty", ids=True))
    invalid_tags: tuple[str, ...] = attrs.field(default=(), metadata=json_name("invalidtag", ids=True))
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when everyone was invited."""
        return not (self.invalid_users or self.invalid_parties or self.invalid_tags)


@attrs.frozen
class WorkUser(JsonModel):
    """A member (成员) of the corp: ``user/get`` or one entry of ``user/list`` / ``user/simplelist``."""

    _what: ClassVar[str] = "a member"

    userid: str
    name: str = ""
    department: tuple[int, ...] = ()
    position: str = ""
    mobile: str = ""
    email: str = ""
    status: int = 0
    open_userid: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class DeptUser(JsonModel):
    """One entry of ``user/list_id``: a userid and the department it belongs to."""

    _what: ClassVar[str] = "a dept_user entry"

    userid: str
    department: int = attrs.field(metadata=OPTIONAL)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Department(JsonModel):
    """A department (部门): ``department/get`` or one entry of ``department/list`` / ``simplelist``."""

    _what: ClassVar[str] = "a department"

    id: int
    name: str = ""
    name_en: str = ""
    parentid: int = 0
    order: int = 0
    department_leader: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Tag(JsonModel):
    """A tag (标签) of ``tag/list``."""

    _what: ClassVar[str] = "a tag"

    tagid: int
    tagname: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class TagMembers(JsonModel):
    """``tag/get``: a tag's name, its members (userids) and its departments."""

    tagname: str = attrs.field(metadata=OPTIONAL)
    userids: tuple[str, ...] = ()
    party_ids: tuple[int, ...] = attrs.field(default=(), metadata=json_name("partylist"))
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> TagMembers:
        """Build from WeCom's answer."""
        d = _mapping(data, "the answer")
        users = tuple(_text(_mapping(e, "a userlist entry"), "userid", required=True) for e in _list(d, "userlist"))
        return cls._build(d, userids=users)


@attrs.frozen
class TagMembersResult(JsonModel):
    """``tag/addtagusers`` / ``deltagusers``: the userids and departments refused (the others were applied)."""

    invalid_users: tuple[str, ...] = attrs.field(default=(), metadata=json_name("invalidlist", ids=True))
    invalid_parties: tuple[int, ...] = attrs.field(default=(), metadata=json_name("invalidparty"))
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not (self.invalid_users or self.invalid_parties)


@attrs.frozen
class AppChat(JsonModel):
    """A group chat created by an app (``appchat/get``'s ``chat_info``)."""

    _what: ClassVar[str] = "chat_info"

    chatid: str
    name: str = ""
    owner: str = ""
    userlist: tuple[str, ...] = ()
    chat_type: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class UploadedMedia(JsonModel):
    """``media/upload``: the temporary media's id (valid 3 days), type and upload time (unix seconds)."""

    media_id: str
    type: str = ""
    created_at: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class UploadByUrlResult(JsonModel):
    """``media/get_upload_by_url_result``: ``status`` 1 running, 2 done, 3 failed; the media once done."""

    status: int
    media_id: str = ""
    created_at: int = 0
    errcode: int = 0
    errmsg: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def done(self) -> bool:
        """True once the job finished (succeeded or failed)."""
        return self.status in (2, 3)

    @classmethod
    def from_dict(cls, data: Any) -> UploadByUrlResult:
        """Build from WeCom's answer (the outcome is under ``detail``)."""
        d = _mapping(data, "the answer")
        detail = _mapping(d.get("detail") or {}, "detail")
        return cls._build(detail, status=_int(d, "status", required=True), raw=dict(d))


@attrs.frozen
class BatchJobResult(JsonModel):
    """``batch/getresult``: ``status`` 1 queued, 2 running, 3 done; ``result`` per row once done."""

    status: int
    type: str = ""
    total: int = 0
    percentage: int = 0
    result: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def done(self) -> bool:
        """True once the job finished."""
        return self.status == 3

    @property
    def failures(self) -> tuple[Mapping[str, Any], ...]:
        """The rows whose ``errcode`` is not 0 (a job can finish with some rows refused)."""
        return tuple(row for row in self.result if row.get("errcode", 0) != 0)

    @classmethod
    def from_dict(cls, data: Any) -> BatchJobResult:
        """Build from WeCom's answer."""
        d = _mapping(data, "the answer")
        rows = tuple(_mapping(row, "a result row") for row in _list(d, "result"))
        return cls._build(d, result=rows)


@attrs.frozen
class WorkOAuthUser(JsonModel):
    """``auth/getuserinfo``: a member (``userid``, and ``user_ticket`` with ``snsapi_privateinfo``) or an outsider.

    Someone outside the corp has ``openid`` (and ``external_userid`` when
    they are an external contact) instead of a ``userid``. The
    ``user_ticket`` is kept out of the repr.
    """

    userid: str = ""
    user_ticket: str = attrs.field(default="", repr=False)
    expires_in: int = 0
    openid: str = ""
    external_userid: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def is_member(self) -> bool:
        """True for a member of the corp (a ``userid``), false for an outsider."""
        return bool(self.userid)

    @classmethod
    def from_dict(cls, data: Any) -> WorkOAuthUser:
        """Build from WeCom's answer (``userid``, or the older ``UserId``); one of userid / openid is required."""
        d = _mapping(data, "the answer")
        userid = _text(d, "userid") or _text(d, "UserId")
        openid = _text(d, "openid") or _text(d, "OpenId")
        if not userid and not openid:
            raise ParseError("neither userid nor openid in the answer")
        return cls._build(d, userid=userid, openid=openid)


@attrs.frozen
class WorkUserDetail(JsonModel):
    """``auth/getuserdetail``: what the member agreed to share (``gender`` "0" unknown, "1" male, "2" female)."""

    userid: str
    gender: str = ""
    avatar: str = ""
    qr_code: str = ""
    mobile: str = ""
    email: str = ""
    biz_mail: str = ""
    address: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


# --------------------------------------------------------------------------- 微信客服 (kf)


@attrs.frozen
class KfAccount(JsonModel):
    """A 微信客服 account of ``kf/account/list``: its ``open_kfid``, name and avatar URL."""

    _what: ClassVar[str] = "an account_list entry"

    open_kfid: str
    name: str = ""
    avatar: str = ""
    #: Whether this app may manage the account (``manage_privilege``).
    manage_privilege: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class KfServicer(JsonModel):
    """A servicer (接待人员) of ``kf/servicer/list``: a member's ``userid`` (or a department) and its status."""

    _what: ClassVar[str] = "a servicer_list entry"

    userid: str = ""
    #: 0: receiving (接待中), 1: paused (停止接待).
    status: int = 0
    department_id: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class KfServicerResult(JsonModel):
    """``kf/servicer/add`` / ``del``: the members refused, userid -> WeCom's errcode (the others were applied)."""

    failed: Mapping[str, int] = attrs.field(factory=dict)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when every member was applied."""
        return not self.failed

    @classmethod
    def from_dict(cls, data: Any) -> KfServicerResult:
        """Build from WeCom's answer (``result_list``: one ``{userid, errcode, errmsg}`` per member)."""
        d = _mapping(data, "the answer")
        failed: dict[str, int] = {}
        for entry in _list(d, "result_list"):
            e = _mapping(entry, "a result_list entry")
            code = _int(e, "errcode")
            if code:
                failed[_text(e, "userid") or str(_int(e, "department_id"))] = code
        return cls(failed=failed, raw=dict(d))


@attrs.frozen
class KfMessage(JsonModel):
    """A message or event read by ``kf/sync_msg`` (``client.kf.sync_msg``).

    ``msgtype`` is ``text``, ``image``, ``voice``, ``video``, ``file``,
    ``location``, ``link``, ``business_card``, ``miniprogram``, ``msgmenu``,
    ``event`` ...; ``payload`` is the object named after it (``raw["text"]``
    ...). ``content`` (text), ``media_id`` (media) and ``event_type`` /
    ``welcome_code`` (events, e.g. ``enter_session``) are lifted out of it.
    ``origin``: 3 a WeChat customer, 4 a system event, 5 a servicer's reply.
    """

    msgid: str
    msgtype: str
    open_kfid: str = ""
    external_userid: str = ""
    send_time: int = 0
    origin: int = 0
    servicer_userid: str = ""
    content: str = ""
    media_id: str = ""
    event_type: str = ""
    welcome_code: str = ""
    payload: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def from_customer(self) -> bool:
        """True for what a WeChat customer sent (``origin`` 3)."""
        return self.origin == 3

    @classmethod
    def from_dict(cls, data: Any) -> KfMessage:
        """Build from a ``msg_list`` entry."""
        d = _mapping(data, "a msg_list entry")
        msgtype = _text(d, "msgtype", required=True)
        payload = d.get(msgtype)
        body: Mapping[str, Any] = _mapping(payload, msgtype) if payload is not None else {}
        event = d.get("event") if msgtype == "event" else None
        ev: Mapping[str, Any] = _mapping(event, "event") if event is not None else {}
        return cls._build(
            d,
            msgtype=msgtype,
            open_kfid=_text(d, "open_kfid") or _text(ev, "open_kfid"),
            external_userid=_text(d, "external_userid") or _text(ev, "external_userid"),
            servicer_userid=_text(d, "servicer_userid") or _text(ev, "servicer_userid"),
            content=_text(body, "content") if msgtype == "text" else "",
            media_id=_text(body, "media_id"),
            event_type=_text(ev, "event_type"),
            welcome_code=_text(ev, "welcome_code"),
            payload=dict(body),
        )


# --------------------------------------------------------------------------- 客户联系 (external contacts)


def _tag_ids(entries: list[Any]) -> tuple[str, ...]:
    """Tag ids of ``follow_user[].tags`` (objects with ``tag_id``) or ``follow_info.tag_id`` (plain ids)."""
    ids = []
    for entry in entries:
        if isinstance(entry, Mapping):
            ids.append(_text(entry, "tag_id"))
        elif isinstance(entry, str):
            ids.append(entry)
        else:
            raise ParseError("a tag must be an object or an id")
    return tuple(i for i in ids if i)


@attrs.frozen
class ExternalContact(JsonModel):
    """A customer (外部联系人): ``type`` 1 a WeChat user, 2 a WeCom user; ``gender`` 0 unknown, 1 male, 2 female."""

    _what: ClassVar[str] = "external_contact"

    external_userid: str
    name: str = ""
    type: int = 0
    avatar: str = ""
    gender: int = 0
    unionid: str = ""
    corp_name: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class FollowInfo(JsonModel):
    """A member who added the customer (``follow_user`` / ``follow_info``): remark, tags, how they met."""

    userid: str
    remark: str = ""
    description: str = ""
    createtime: int = 0
    tag_ids: tuple[str, ...] = ()
    remark_mobiles: tuple[str, ...] = ()
    #: The ``state`` of the contact way (渠道) the customer came through.
    state: str = ""
    add_way: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> FollowInfo:
        """Build from a ``follow_user`` entry or a ``follow_info`` object."""
        d = _mapping(data, "follow_user")
        return cls._build(d, tag_ids=_tag_ids(_list(d, "tags") or _list(d, "tag_id")))


@attrs.frozen
class ExternalContactDetail(JsonModel):
    """``externalcontact/get`` (or one ``batch/get_by_user`` entry): the customer and the members following them."""

    contact: ExternalContact
    follow_users: tuple[FollowInfo, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> ExternalContactDetail:
        """Build from ``{external_contact, follow_user: [...]}`` or ``{external_contact, follow_info: {...}}``."""
        d = _mapping(data, "the answer")
        follows = [FollowInfo.from_dict(f) for f in _list(d, "follow_user")]
        if d.get("follow_info") is not None:
            follows.append(FollowInfo.from_dict(d["follow_info"]))
        return cls(
            contact=ExternalContact.from_dict(d.get("external_contact")), follow_users=tuple(follows), raw=dict(d)
        )


@attrs.frozen
class ContactWay(JsonModel):
    """A contact way (联系我 / 渠道活码): ``type`` 1 one member, 2 several; ``scene`` 1 mini program, 2 QR code."""

    _what: ClassVar[str] = "contact_way"

    config_id: str
    type: int = 0
    scene: int = 0
    qr_code: str = ""
    state: str = ""
    remark: str = ""
    skip_verify: bool = True
    users: tuple[str, ...] = attrs.field(default=(), metadata=json_name("user"))
    parties: tuple[int, ...] = attrs.field(default=(), metadata=json_name("party"))
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class GroupChat(JsonModel):
    """A customer group chat (客户群) of ``groupchat/get``; ``members`` are the raw ``member_list`` entries."""

    chat_id: str
    name: str = ""
    owner: str = ""
    create_time: int = 0
    notice: str = ""
    members: tuple[Mapping[str, Any], ...] = ()
    admins: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def member_ids(self) -> tuple[str, ...]:
        """The members' ``userid`` (a member's, or a customer's external_userid)."""
        return tuple(str(m.get("userid", "")) for m in self.members)

    @classmethod
    def from_dict(cls, data: Any) -> GroupChat:
        """Build from ``group_chat``."""
        d = _mapping(data, "group_chat")
        members = tuple(dict(_mapping(m, "a member_list entry")) for m in _list(d, "member_list"))
        admins = tuple(_text(_mapping(a, "an admin_list entry"), "userid") for a in _list(d, "admin_list"))
        return cls._build(d, members=members, admins=admins)


@attrs.frozen
class CorpTag(JsonModel):
    """A customer tag (企业客户标签) of a :class:`CorpTagGroup`."""

    _what: ClassVar[str] = "a tag entry"

    id: str
    name: str = ""
    order: int = 0
    create_time: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class CorpTagGroup(JsonModel):
    """A group of customer tags (``get_corp_tag_list`` / ``add_corp_tag``)."""

    group_id: str
    group_name: str = ""
    order: int = 0
    create_time: int = 0
    tags: tuple[CorpTag, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> CorpTagGroup:
        """Build from a ``tag_group`` entry."""
        d = _mapping(data, "a tag_group entry")
        return cls._build(d, tags=tuple(CorpTag.from_dict(t) for t in _list(d, "tag")))


@attrs.frozen
class MsgTemplateResult(JsonModel):
    """``add_msg_template``: the task's ``msgid`` and the customers it could not reach (``fail_list``)."""

    msgid: str
    fail_list: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when every customer listed can receive the message."""
        return not self.fail_list


@attrs.frozen
class GroupMsgSend(JsonModel):
    """One row of ``get_groupmsg_task`` / ``get_groupmsg_send_result``: ``status`` 0 pending, 1 sent, 2/3 not sent."""

    _what: ClassVar[str] = "a task_list entry"

    userid: str = ""
    external_userid: str = ""
    chat_id: str = ""
    status: int = 0
    send_time: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


# --------------------------------------------------------------------------- 审批 (OA approvals)


def _lang_texts(entries: list[Any]) -> tuple[str, ...]:
    return tuple(_text(_mapping(e, "a text entry"), "text") for e in entries)


@attrs.frozen
class ApprovalTemplate(JsonModel):
    """``oa/gettemplatedetail``: the template's names (one per language) and its controls (控件)."""

    names: tuple[str, ...] = ()
    controls: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def name(self) -> str:
        """The first name (Chinese unless only another language is set)."""
        return self.names[0] if self.names else ""

    @property
    def control_ids(self) -> tuple[str, ...]:
        """The controls' ids (``property.id``), what ``apply_event``'s contents name."""
        return tuple(str((c.get("property") or {}).get("id", "")) for c in self.controls)

    @classmethod
    def from_dict(cls, data: Any) -> ApprovalTemplate:
        """Build from WeCom's answer."""
        d = _mapping(data, "the answer")
        content = _mapping(d.get("template_content") or {}, "template_content")
        controls = tuple(dict(_mapping(c, "a control")) for c in _list(content, "controls"))
        return cls(names=_lang_texts(_list(d, "template_names")), controls=controls, raw=dict(d))


@attrs.frozen
class ApprovalDetail(JsonModel):
    """``oa/getapprovaldetail``'s ``info``: ``sp_status`` 1 pending, 2 approved, 3 rejected, 4 withdrawn ..."""

    sp_no: str
    sp_name: str = ""
    sp_status: int = 0
    template_id: str = ""
    apply_time: int = 0
    applyer_userid: str = ""
    #: The approval nodes (``sp_record``) as received.
    records: tuple[Mapping[str, Any], ...] = ()
    notifyers: tuple[str, ...] = ()
    #: The filled controls (``apply_data.contents``) as received.
    contents: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> ApprovalDetail:
        """Build from ``info``."""
        d = _mapping(data, "info")
        applyer = _mapping(d.get("applyer") or {}, "applyer")
        apply_data = _mapping(d.get("apply_data") or {}, "apply_data")
        return cls._build(
            d,
            applyer_userid=_text(applyer, "userid"),
            records=tuple(dict(_mapping(r, "an sp_record entry")) for r in _list(d, "sp_record")),
            notifyers=tuple(_text(_mapping(n, "a notifyer entry"), "userid") for n in _list(d, "notifyer")),
            contents=tuple(dict(_mapping(c, "a content")) for c in _list(apply_data, "contents")),
        )
