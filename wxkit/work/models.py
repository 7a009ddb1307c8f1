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
from typing import Any

import attrs

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


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ParseError(f"{what} must be an object")
    return data


def _text(data: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ParseError(f"{name} is missing")
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ParseError(f"{name} must be text")


def _int(data: Mapping[str, Any], name: str, default: int = 0, *, required: bool = False) -> int:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ParseError(f"{name} is missing")
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) <= 20:
        return int(value)
    raise ParseError(f"{name} must be an integer")


def _list(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise ParseError(f"{name} must be a list")
    return value


def _texts(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    out = []
    for item in _list(data, name):
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ParseError(f"{name} must be a list of ids")
        out.append(str(item))
    return tuple(out)


def _ints(data: Mapping[str, Any], name: str) -> tuple[int, ...]:
    out = []
    for item in _list(data, name):
        if isinstance(item, bool) or not isinstance(item, int):
            raise ParseError(f"{name} must be a list of integers")
        out.append(item)
    return tuple(out)


def split_ids(value: Any, name: str = "ids") -> tuple[str, ...]:
    """WeCom's ``|``-joined id list (``"bob|eve"``) as a tuple; a JSON list is taken as is; empty -> ``()``."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.split("|") if part)
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return tuple(str(v) for v in value)
    raise ParseError(f"{name} must be |-joined text")


@attrs.frozen
class SendResult:
    """What ``message/send`` (and ``batch/invite``) answers: the message id and the recipients refused.

    A partial failure is visible: :attr:`ok` is false when any user, party
    or tag was invalid (or any user unlicensed) though the others got the
    message. Every recipient invalid is errcode 81013, raised as an error.
    """

    msgid: str
    invalid_users: tuple[str, ...] = ()
    invalid_parties: tuple[str, ...] = ()
    invalid_tags: tuple[str, ...] = ()
    unlicensed_users: tuple[str, ...] = ()
    response_code: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when every recipient was reached (nothing invalid, nobody unlicensed)."""
        return not (self.invalid_users or self.invalid_parties or self.invalid_tags or self.unlicensed_users)

    @classmethod
    def from_dict(cls, data: Any) -> SendResult:
        """Build from WeCom's answer."""
        d = _mapping(data, "the answer")
        return cls(
            msgid=_text(d, "msgid"),
            invalid_users=split_ids(d.get("invaliduser"), "invaliduser"),
            invalid_parties=split_ids(d.get("invalidparty"), "invalidparty"),
            invalid_tags=split_ids(d.get("invalidtag"), "invalidtag"),
            unlicensed_users=split_ids(d.get("unlicenseduser"), "unlicenseduser"),
            response_code=_text(d, "response_code"),
            raw=dict(d),
        )


@attrs.frozen
class InviteResult:
    """What ``batch/invite`` answers: the users, parties and tags that could not be invited."""

    invalid_users: tuple[str, ...] = ()
    invalid_parties: tuple[str, ...] = ()
    invalid_tags: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when everyone was invited."""
        return not (self.invalid_users or self.invalid_parties or self.invalid_tags)

    @classmethod
    def from_dict(cls, data: Any) -> InviteResult:
        """Build from WeCom's answer (lists, or ``|``-joined text)."""
        d = _mapping(data, "the answer")
        return cls(
            invalid_users=split_ids(d.get("invaliduser"), "invaliduser"),
            invalid_parties=split_ids(d.get("invalidparty"), "invalidparty"),
            invalid_tags=split_ids(d.get("invalidtag"), "invalidtag"),
            raw=dict(d),
        )


@attrs.frozen
class WorkUser:
    """A member (成员) of the corp: ``user/get`` or one entry of ``user/list`` / ``user/simplelist``."""

    userid: str
    name: str = ""
    department: tuple[int, ...] = ()
    position: str = ""
    mobile: str = ""
    email: str = ""
    status: int = 0
    open_userid: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> WorkUser:
        """Build from WeCom's member object."""
        d = _mapping(data, "a member")
        return cls(
            userid=_text(d, "userid", required=True),
            name=_text(d, "name"),
            department=_ints(d, "department"),
            position=_text(d, "position"),
            mobile=_text(d, "mobile"),
            email=_text(d, "email"),
            status=_int(d, "status"),
            open_userid=_text(d, "open_userid"),
            raw=dict(d),
        )


@attrs.frozen
class DeptUser:
    """One entry of ``user/list_id``: a userid and the department it belongs to."""

    userid: str
    department: int
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> DeptUser:
        """Build from a ``dept_user`` entry."""
        d = _mapping(data, "a dept_user entry")
        return cls(userid=_text(d, "userid", required=True), department=_int(d, "department"), raw=dict(d))


@attrs.frozen
class Department:
    """A department (部门): ``department/get`` or one entry of ``department/list`` / ``simplelist``."""

    id: int
    name: str = ""
    name_en: str = ""
    parentid: int = 0
    order: int = 0
    department_leader: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> Department:
        """Build from WeCom's department object."""
        d = _mapping(data, "a department")
        return cls(
            id=_int(d, "id", required=True),
            name=_text(d, "name"),
            name_en=_text(d, "name_en"),
            parentid=_int(d, "parentid"),
            order=_int(d, "order"),
            department_leader=_texts(d, "department_leader"),
            raw=dict(d),
        )


@attrs.frozen
class Tag:
    """A tag (标签) of ``tag/list``."""

    tagid: int
    tagname: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> Tag:
        """Build from a ``taglist`` entry."""
        d = _mapping(data, "a tag")
        return cls(tagid=_int(d, "tagid", required=True), tagname=_text(d, "tagname"), raw=dict(d))


@attrs.frozen
class TagMembers:
    """``tag/get``: a tag's name, its members (userids) and its departments."""

    tagname: str
    userids: tuple[str, ...] = ()
    party_ids: tuple[int, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> TagMembers:
        """Build from WeCom's answer."""
        d = _mapping(data, "the answer")
        users = []
        for entry in _list(d, "userlist"):
            users.append(_text(_mapping(entry, "a userlist entry"), "userid", required=True))
        return cls(tagname=_text(d, "tagname"), userids=tuple(users), party_ids=_ints(d, "partylist"), raw=dict(d))


@attrs.frozen
class TagMembersResult:
    """``tag/addtagusers`` / ``deltagusers``: the userids and departments refused (the others were applied)."""

    invalid_users: tuple[str, ...] = ()
    invalid_parties: tuple[int, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not (self.invalid_users or self.invalid_parties)

    @classmethod
    def from_dict(cls, data: Any) -> TagMembersResult:
        """Build from WeCom's answer (``invalidlist`` is ``|``-joined text, ``invalidparty`` a list)."""
        d = _mapping(data, "the answer")
        return cls(
            invalid_users=split_ids(d.get("invalidlist"), "invalidlist"),
            invalid_parties=_ints(d, "invalidparty"),
            raw=dict(d),
        )


@attrs.frozen
class AppChat:
    """A group chat created by an app (``appchat/get``'s ``chat_info``)."""

    chatid: str
    name: str = ""
    owner: str = ""
    userlist: tuple[str, ...] = ()
    chat_type: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> AppChat:
        """Build from ``chat_info``."""
        d = _mapping(data, "chat_info")
        return cls(
            chatid=_text(d, "chatid", required=True),
            name=_text(d, "name"),
            owner=_text(d, "owner"),
            userlist=_texts(d, "userlist"),
            chat_type=_int(d, "chat_type"),
            raw=dict(d),
        )


@attrs.frozen
class UploadedMedia:
    """``media/upload``: the temporary media's id (valid 3 days), type and upload time (unix seconds)."""

    media_id: str
    type: str = ""
    created_at: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> UploadedMedia:
        """Build from WeCom's answer (``created_at`` is text on the wire)."""
        d = _mapping(data, "the answer")
        return cls(
            media_id=_text(d, "media_id", required=True),
            type=_text(d, "type"),
            created_at=_int(d, "created_at"),
            raw=dict(d),
        )


@attrs.frozen
class UploadByUrlResult:
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
        return cls(
            status=_int(d, "status", required=True),
            media_id=_text(detail, "media_id"),
            created_at=_int(detail, "created_at"),
            errcode=_int(detail, "errcode"),
            errmsg=_text(detail, "errmsg"),
            raw=dict(d),
        )


@attrs.frozen
class BatchJobResult:
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
        return cls(
            status=_int(d, "status", required=True),
            type=_text(d, "type"),
            total=_int(d, "total"),
            percentage=_int(d, "percentage"),
            result=rows,
            raw=dict(d),
        )


@attrs.frozen
class WorkOAuthUser:
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
        return cls(
            userid=userid,
            user_ticket=_text(d, "user_ticket"),
            expires_in=_int(d, "expires_in"),
            openid=openid,
            external_userid=_text(d, "external_userid"),
            raw=dict(d),
        )


@attrs.frozen
class WorkUserDetail:
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

    @classmethod
    def from_dict(cls, data: Any) -> WorkUserDetail:
        """Build from WeCom's answer."""
        d = _mapping(data, "the answer")
        return cls(
            userid=_text(d, "userid", required=True),
            gender=_text(d, "gender"),
            avatar=_text(d, "avatar"),
            qr_code=_text(d, "qr_code"),
            mobile=_text(d, "mobile"),
            email=_text(d, "email"),
            biz_mail=_text(d, "biz_mail"),
            address=_text(d, "address"),
            raw=dict(d),
        )


# --------------------------------------------------------------------------- 微信客服 (kf)


@attrs.frozen
class KfAccount:
    """A 微信客服 account of ``kf/account/list``: its ``open_kfid``, name and avatar URL."""

    open_kfid: str
    name: str = ""
    avatar: str = ""
    #: Whether this app may manage the account (``manage_privilege``).
    manage_privilege: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> KfAccount:
        """Build from an ``account_list`` entry."""
        d = _mapping(data, "an account_list entry")
        return cls(
            open_kfid=_text(d, "open_kfid", required=True),
            name=_text(d, "name"),
            avatar=_text(d, "avatar"),
            manage_privilege=bool(d.get("manage_privilege", False)),
            raw=dict(d),
        )


@attrs.frozen
class KfServicer:
    """A servicer (接待人员) of ``kf/servicer/list``: a member's ``userid`` (or a department) and its status."""

    userid: str = ""
    #: 0: receiving (接待中), 1: paused (停止接待).
    status: int = 0
    department_id: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> KfServicer:
        """Build from a ``servicer_list`` entry."""
        d = _mapping(data, "a servicer_list entry")
        return cls(
            userid=_text(d, "userid"),
            status=_int(d, "status"),
            department_id=_int(d, "department_id"),
            raw=dict(d),
        )


@attrs.frozen
class KfServicerResult:
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
class KfMessage:
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
        return cls(
            msgid=_text(d, "msgid", required=True),
            msgtype=msgtype,
            open_kfid=_text(d, "open_kfid") or _text(ev, "open_kfid"),
            external_userid=_text(d, "external_userid") or _text(ev, "external_userid"),
            send_time=_int(d, "send_time"),
            origin=_int(d, "origin"),
            servicer_userid=_text(d, "servicer_userid") or _text(ev, "servicer_userid"),
            content=_text(body, "content") if msgtype == "text" else "",
            media_id=_text(body, "media_id"),
            event_type=_text(ev, "event_type"),
            welcome_code=_text(ev, "welcome_code"),
            payload=dict(body),
            raw=dict(d),
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
class ExternalContact:
    """A customer (外部联系人): ``type`` 1 a WeChat user, 2 a WeCom user; ``gender`` 0 unknown, 1 male, 2 female."""

    external_userid: str
    name: str = ""
    type: int = 0
    avatar: str = ""
    gender: int = 0
    unionid: str = ""
    corp_name: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> ExternalContact:
        """Build from an ``external_contact`` object."""
        d = _mapping(data, "external_contact")
        return cls(
            external_userid=_text(d, "external_userid", required=True),
            name=_text(d, "name"),
            type=_int(d, "type"),
            avatar=_text(d, "avatar"),
            gender=_int(d, "gender"),
            unionid=_text(d, "unionid"),
            corp_name=_text(d, "corp_name"),
            raw=dict(d),
        )


@attrs.frozen
class FollowInfo:
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
        return cls(
            userid=_text(d, "userid", required=True),
            remark=_text(d, "remark"),
            description=_text(d, "description"),
            createtime=_int(d, "createtime"),
            tag_ids=_tag_ids(_list(d, "tags") or _list(d, "tag_id")),
            remark_mobiles=_texts(d, "remark_mobiles"),
            state=_text(d, "state"),
            add_way=_int(d, "add_way"),
            raw=dict(d),
        )


@attrs.frozen
class ExternalContactDetail:
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
class ContactWay:
    """A contact way (联系我 / 渠道活码): ``type`` 1 one member, 2 several; ``scene`` 1 mini program, 2 QR code."""

    config_id: str
    type: int = 0
    scene: int = 0
    qr_code: str = ""
    state: str = ""
    remark: str = ""
    skip_verify: bool = True
    users: tuple[str, ...] = ()
    parties: tuple[int, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> ContactWay:
        """Build from ``add_contact_way``'s answer or ``get_contact_way``'s ``contact_way``."""
        d = _mapping(data, "contact_way")
        return cls(
            config_id=_text(d, "config_id", required=True),
            type=_int(d, "type"),
            scene=_int(d, "scene"),
            qr_code=_text(d, "qr_code"),
            state=_text(d, "state"),
            remark=_text(d, "remark"),
            skip_verify=bool(d.get("skip_verify", True)),
            users=_texts(d, "user"),
            parties=_ints(d, "party"),
            raw=dict(d),
        )


@attrs.frozen
class GroupChat:
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
        return cls(
            chat_id=_text(d, "chat_id", required=True),
            name=_text(d, "name"),
            owner=_text(d, "owner"),
            create_time=_int(d, "create_time"),
            notice=_text(d, "notice"),
            members=members,
            admins=admins,
            raw=dict(d),
        )


@attrs.frozen
class CorpTag:
    """A customer tag (企业客户标签) of a :class:`CorpTagGroup`."""

    id: str
    name: str = ""
    order: int = 0
    create_time: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> CorpTag:
        """Build from a ``tag`` entry."""
        d = _mapping(data, "a tag entry")
        return cls(
            id=_text(d, "id", required=True),
            name=_text(d, "name"),
            order=_int(d, "order"),
            create_time=_int(d, "create_time"),
            raw=dict(d),
        )


@attrs.frozen
class CorpTagGroup:
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
        return cls(
            group_id=_text(d, "group_id", required=True),
            group_name=_text(d, "group_name"),
            order=_int(d, "order"),
            create_time=_int(d, "create_time"),
            tags=tuple(CorpTag.from_dict(t) for t in _list(d, "tag")),
            raw=dict(d),
        )


@attrs.frozen
class MsgTemplateResult:
    """``add_msg_template``: the task's ``msgid`` and the customers it could not reach (``fail_list``)."""

    msgid: str
    fail_list: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def ok(self) -> bool:
        """True when every customer listed can receive the message."""
        return not self.fail_list

    @classmethod
    def from_dict(cls, data: Any) -> MsgTemplateResult:
        """Build from WeCom's answer."""
        d = _mapping(data, "the answer")
        return cls(msgid=_text(d, "msgid", required=True), fail_list=_texts(d, "fail_list"), raw=dict(d))


@attrs.frozen
class GroupMsgSend:
    """One row of ``get_groupmsg_task`` / ``get_groupmsg_send_result``: ``status`` 0 pending, 1 sent, 2/3 not sent."""

    userid: str = ""
    external_userid: str = ""
    chat_id: str = ""
    status: int = 0
    send_time: int = 0
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any) -> GroupMsgSend:
        """Build from a ``task_list`` / ``send_list`` entry."""
        d = _mapping(data, "a task_list entry")
        return cls(
            userid=_text(d, "userid"),
            external_userid=_text(d, "external_userid"),
            chat_id=_text(d, "chat_id"),
            status=_int(d, "status"),
            send_time=_int(d, "send_time"),
            raw=dict(d),
        )


# --------------------------------------------------------------------------- 审批 (OA approvals)


def _lang_texts(entries: list[Any]) -> tuple[str, ...]:
    return tuple(_text(_mapping(e, "a text entry"), "text") for e in entries)


@attrs.frozen
class ApprovalTemplate:
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
class ApprovalDetail:
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
        return cls(
            sp_no=_text(d, "sp_no", required=True),
            sp_name=_text(d, "sp_name"),
            sp_status=_int(d, "sp_status"),
            template_id=_text(d, "template_id"),
            apply_time=_int(d, "apply_time"),
            applyer_userid=_text(applyer, "userid"),
            records=tuple(dict(_mapping(r, "an sp_record entry")) for r in _list(d, "sp_record")),
            notifyers=tuple(_text(_mapping(n, "a notifyer entry"), "userid") for n in _list(d, "notifyer")),
            contents=tuple(dict(_mapping(c, "a content")) for c in _list(apply_data, "contents")),
            raw=dict(d),
        )
