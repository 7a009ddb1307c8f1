"""Customer contact (客户联系) on the WeCom site: ``externalcontact/*``.

State is the corp's ``external_contacts``, ``contact_ways``, ``group_chats``,
``corp_tag_groups``, ``external_welcome_codes`` and ``msg_templates``
(:class:`~wxkit.testing.work.CorpState`; seed customers with
``corp.add_external_contact``, groups with ``corp.add_group_chat``). An
unknown external_userid answers 40096, a customer the member does not
follow 84061, an unknown member 60111, an unknown tag or tag group 40068, an
unknown customer group 40050; an unknown config_id, msgid, welcome_code or a
cursor the emulator never issued 40035. Cursors are opaque offsets.
"""

from __future__ import annotations

import base64
import binascii
import time
from secrets import token_urlsafe
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["router"]

router = Router(site="qyapi")

_P = "/cgi-bin/externalcontact"


def _cursor(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode().rstrip("=")


def _offset(kind: str, cursor: Any, size: int) -> int:
    if cursor is None or cursor == "":
        return 0
    try:
        if not isinstance(cursor, str) or len(cursor) > 64:
            raise ValueError
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, _, offset = text.rpartition(":")
        value = int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise WeChatAPIError(40035, "invalid cursor") from None
    if name != kind or not 0 <= value <= size:
        raise WeChatAPIError(40035, "invalid cursor")
    return value


def _page(kind: str, items: list[Any], cursor: Any, limit: Any, most: int) -> tuple[list[Any], str]:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= most:
        raise WeChatAPIError(40035, "invalid limit")
    start = _offset(kind, cursor, len(items))
    end = start + limit
    return items[start:end], (_cursor(kind, end) if end < len(items) else "")


def _member(corp: CorpState, userid: Any) -> str:
    if not isinstance(userid, str) or userid not in corp.users:
        raise WeChatAPIError(60111, "userid not found")
    return userid


def _customer(corp: CorpState, external_userid: Any) -> dict[str, Any]:
    if not isinstance(external_userid, str) or external_userid not in corp.external_contacts:
        raise WeChatAPIError(40096, "invalid external userid")
    return corp.external_contacts[external_userid]


def _follow(corp: CorpState, userid: Any, external_userid: Any) -> dict[str, Any]:
    record = _customer(corp, external_userid)
    _member(corp, userid)
    for follow in record["follow_user"]:
        if follow["userid"] == userid:
            follow_user: dict[str, Any] = follow
            return follow_user
    raise WeChatAPIError(84061, "not external contact")


def _all_tags(corp: CorpState) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for g in corp.corp_tag_groups.values() for t in g["tag"]}


def _public_follow(corp: CorpState, follow: dict[str, Any]) -> dict[str, Any]:
    tags = _all_tags(corp)
    groups = {t["id"]: g for g in corp.corp_tag_groups.values() for t in g["tag"]}
    out = {k: v for k, v in follow.items() if k != "tags"}
    out["tags"] = [
        {"group_name": groups[t]["group_name"], "tag_name": tags[t]["name"], "tag_id": t, "type": 1}
        for t in follow["tags"]
        if t in tags
    ]
    return out


# -- customers ---------------------------------------------------------------------------------


@router.route("GET", f"{_P}/get_follow_user_list")
def get_follow_user_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The members following at least one customer (the emulator's stand-in for the configured range)."""
    with emu.lock:
        corp = calling_corp(req)
        users = sorted({f["userid"] for r in corp.external_contacts.values() for f in r["follow_user"]})
        return ok(follow_user=users)


@router.route("GET", f"{_P}/list")
def contact_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A member's customers."""
    with emu.lock:
        corp = calling_corp(req)
        userid = _member(corp, req.query.get("userid", ""))
        ids = [e for e, r in corp.external_contacts.items() if any(f["userid"] == userid for f in r["follow_user"])]
        return ok(external_userid=ids)


@router.route("GET", f"{_P}/get")
def contact_get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A customer and the members following them (100 per page of ``follow_user``)."""
    with emu.lock:
        corp = calling_corp(req)
        record = _customer(corp, req.query.get("external_userid", ""))
        follows, following = _page("get", record["follow_user"], req.query.get("cursor"), 100, 100)
        answer = ok(
            external_contact=dict(record["external_contact"]),
            follow_user=[_public_follow(corp, f) for f in follows],
        )
        if following:
            answer["next_cursor"] = following
        return answer


@router.route("POST", f"{_P}/batch/get_by_user")
def batch_get_by_user(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The customers of some members, one entry per (member, customer)."""
    body = json_object(req)
    users = body.get("userid_list")
    if not isinstance(users, list) or not users or len(users) > 100:
        raise WeChatAPIError(40035, "invalid userid_list")
    with emu.lock:
        corp = calling_corp(req)
        for userid in users:
            _member(corp, userid)
        rows = [
            {"external_contact": dict(r["external_contact"]), "follow_info": _info(f)}
            for userid in users
            for r in corp.external_contacts.values()
            for f in r["follow_user"]
            if f["userid"] == userid
        ]
        page, following = _page("batch", rows, body.get("cursor"), body.get("limit", 50), 100)
        return ok(external_contact_list=page, next_cursor=following)


def _info(follow: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in follow.items() if k != "tags"}
    out["tag_id"] = list(follow["tags"])
    return out


@router.route("POST", f"{_P}/remark")
def remark(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Set a member's remark on a customer."""
    body = json_object(req)
    with emu.lock:
        follow = _follow(calling_corp(req), body.get("userid"), body.get("external_userid"))
        for name in ("remark", "description", "remark_company", "remark_mobiles", "remark_pic_mediaid"):
            if name in body:
                follow[name] = body[name]
    return ok()


# -- contact ways ----------------------------------------------------------------------------------


def _way_members(corp: CorpState, body: dict[str, Any], way: dict[str, Any]) -> None:
    for name, known in (("user", corp.users), ("party", corp.departments)):
        if name in body:
            values = body[name]
            if not isinstance(values, list) or any(v not in known for v in values):
                raise WeChatAPIError(60111 if name == "user" else 60123, f"invalid {name}")
            way[name] = list(values)


@router.route("POST", f"{_P}/add_contact_way")
def add_contact_way(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add a contact way; answer its config_id and (scene 2) QR code."""
    body = json_object(req)
    if body.get("type") not in (1, 2) or body.get("scene") not in (1, 2):
        raise WeChatAPIError(40035, "invalid type or scene")
    with emu.lock:
        corp = calling_corp(req)
        way: dict[str, Any] = {k: v for k, v in body.items() if k not in ("user", "party")}
        _way_members(corp, body, way)
        if not (way.get("user") or way.get("party")):
            raise WeChatAPIError(40035, "a contact way needs user or party")
        if body["type"] == 1 and len(way.get("user", [])) + len(way.get("party", [])) != 1:
            raise WeChatAPIError(40035, "type 1 takes exactly one member")
        config_id = token_urlsafe(16)
        way["config_id"] = config_id
        answer: dict[str, Any] = ok(config_id=config_id)
        if body["scene"] == 2:
            way["qr_code"] = answer["qr_code"] = f"https://wework.qpic.cn/emulated/contact_way/{config_id}"
        corp.contact_ways[config_id] = way
    return answer


def _way(corp: CorpState, config_id: Any) -> dict[str, Any]:
    if not isinstance(config_id, str) or config_id not in corp.contact_ways:
        raise WeChatAPIError(40035, "invalid config_id")
    return corp.contact_ways[config_id]


@router.route("POST", f"{_P}/get_contact_way")
def get_contact_way(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A contact way."""
    body = json_object(req)
    with emu.lock:
        return ok(contact_way=dict(_way(calling_corp(req), body.get("config_id"))))


@router.route("POST", f"{_P}/list_contact_way")
def list_contact_way(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The contact ways' config_ids, oldest first."""
    body = json_object(req)
    with emu.lock:
        ids = [{"config_id": c} for c in calling_corp(req).contact_ways]
        page, following = _page("ways", ids, body.get("cursor"), body.get("limit", 100), 1000)
        return ok(contact_way=page, next_cursor=following)


@router.route("POST", f"{_P}/update_contact_way")
def update_contact_way(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Change a contact way."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        way = _way(corp, body.get("config_id"))
        _way_members(corp, body, way)
        for name, value in body.items():
            if name not in ("user", "party", "config_id", "type", "scene"):
                way[name] = value
    return ok()


@router.route("POST", f"{_P}/del_contact_way")
def del_contact_way(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete a contact way."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        del corp.contact_ways[_way(corp, body.get("config_id"))["config_id"]]
    return ok()


# -- customer groups -------------------------------------------------------------------------------


@router.route("POST", f"{_P}/groupchat/list")
def groupchat_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Customer group chat ids, filtered by status and owners."""
    body = json_object(req)
    owners = (body.get("owner_filter") or {}).get("userid_list") or []
    status = body.get("status_filter", 0)
    with emu.lock:
        corp = calling_corp(req)
        chats = [
            {"chat_id": c["chat_id"], "status": c["status"]}
            for c in corp.group_chats.values()
            if (not owners or c["owner"] in owners) and (status == 0 or c["status"] == status)
        ]
        page, following = _page("chats", chats, body.get("cursor"), body.get("limit"), 1000)
        return ok(group_chat_list=page, next_cursor=following)


@router.route("POST", f"{_P}/groupchat/get")
def groupchat_get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A customer group chat (names of the members with ``need_name``)."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        chat_id = body.get("chat_id")
        if not isinstance(chat_id, str) or chat_id not in corp.group_chats:
            raise WeChatAPIError(40050, "invalid chatid")
        chat = {k: v for k, v in corp.group_chats[chat_id].items() if k != "status"}
        members = [dict(m) for m in chat["member_list"]]
        if body.get("need_name"):
            for m in members:
                user = corp.users.get(m["userid"])
                customer = corp.external_contacts.get(m["userid"])
                m["name"] = user["name"] if user else customer["external_contact"]["name"] if customer else ""
        chat["member_list"] = members
        return ok(group_chat=chat)


# -- customer tags -----------------------------------------------------------------------------------


@router.route("POST", f"{_P}/get_corp_tag_list")
def get_corp_tag_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The tag groups (all, or those holding the tag ids / with the group ids given)."""
    body = json_object(req)
    tag_ids, group_ids = body.get("tag_id") or [], body.get("group_id") or []
    with emu.lock:
        corp = calling_corp(req)
        groups = []
        for group in corp.corp_tag_groups.values():
            if group_ids and group["group_id"] not in group_ids:
                continue
            tags = [dict(t) for t in group["tag"] if not tag_ids or t["id"] in tag_ids]
            if tag_ids and not tags and group["group_id"] not in group_ids:
                continue
            groups.append({**group, "tag": tags})
        return ok(tag_group=groups)


def _tag_name(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 30:
        raise WeChatAPIError(40072, "invalid tag name length")
    return value


@router.route("POST", f"{_P}/add_corp_tag")
def add_corp_tag(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add tags to a group, or to a new group named ``group_name``."""
    body = json_object(req)
    items = body.get("tag")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise WeChatAPIError(40035, "invalid tag list")
    with emu.lock:
        corp = calling_corp(req)
        now = int(time.time())
        group_id = body.get("group_id")
        group: dict[str, Any] | None
        if group_id is not None:
            if group_id not in corp.corp_tag_groups:
                raise WeChatAPIError(40068, "invalid tagid")
            group = corp.corp_tag_groups[group_id]
        else:
            group_name = _tag_name(body.get("group_name"))
            group = next((g for g in corp.corp_tag_groups.values() if g["group_name"] == group_name), None)
            if group is None:
                new_id = f"et{token_urlsafe(9)}"
                group = {
                    "group_id": new_id,
                    "group_name": group_name,
                    "create_time": now,
                    "order": body.get("order", 0),
                    "tag": [],
                }
                corp.corp_tag_groups[new_id] = group
        added = []
        for item in items:
            name = _tag_name(item.get("name"))
            if any(t["name"] == name for t in group["tag"]):
                raise WeChatAPIError(40071, "tag name exists")
            tag = {"id": f"et{token_urlsafe(9)}", "name": name, "create_time": now, "order": item.get("order", 0)}
            group["tag"].append(tag)
            added.append(tag)
        return ok(tag_group={**{k: v for k, v in group.items() if k != "tag"}, "tag": added})


@router.route("POST", f"{_P}/edit_corp_tag")
def edit_corp_tag(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Rename or reorder a tag or a group."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        target_id = body.get("id")
        target = corp.corp_tag_groups.get(target_id) if isinstance(target_id, str) else None
        name_key = "group_name"
        if target is None:
            target = _all_tags(corp).get(target_id) if isinstance(target_id, str) else None
            name_key = "name"
        if target is None:
            raise WeChatAPIError(40068, "invalid tagid")
        if "name" in body:
            target[name_key] = _tag_name(body["name"])
        if "order" in body:
            target["order"] = body["order"]
    return ok()


@router.route("POST", f"{_P}/del_corp_tag")
def del_corp_tag(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete tags and groups (a group left without tags goes too)."""
    body = json_object(req)
    tag_ids, group_ids = body.get("tag_id") or [], body.get("group_id") or []
    with emu.lock:
        corp = calling_corp(req)
        known = _all_tags(corp)
        if any(t not in known for t in tag_ids) or any(g not in corp.corp_tag_groups for g in group_ids):
            raise WeChatAPIError(40068, "invalid tagid")
        for group_id in group_ids:
            del corp.corp_tag_groups[group_id]
        for group_id, group in list(corp.corp_tag_groups.items()):
            group["tag"] = [t for t in group["tag"] if t["id"] not in tag_ids]
            if not group["tag"]:
                del corp.corp_tag_groups[group_id]
    return ok()


@router.route("POST", f"{_P}/mark_tag")
def mark_tag(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Tag or untag a customer for one member."""
    body = json_object(req)
    add, remove = body.get("add_tag") or [], body.get("remove_tag") or []
    with emu.lock:
        corp = calling_corp(req)
        follow = _follow(corp, body.get("userid"), body.get("external_userid"))
        known = _all_tags(corp)
        if any(t not in known for t in [*add, *remove]):
            raise WeChatAPIError(40068, "invalid tagid")
        follow["tags"] = [t for t in [*follow["tags"], *[a for a in add if a not in follow["tags"]]] if t not in remove]
    return ok()


# -- messages ------------------------------------------------------------------------------------------


@router.route("POST", f"{_P}/send_welcome_msg")
def send_welcome_msg(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Welcome a new customer (a welcome_code works once)."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        code = body.get("welcome_code")
        target = corp.external_welcome_codes.pop(code, None) if isinstance(code, str) else None
        if target is None:
            raise WeChatAPIError(40035, "invalid welcome_code")
        corp.sent.append({"kind": "welcome", "userid": target[0], "external_userid": target[1], "body": body})
    return ok()


@router.route("POST", f"{_P}/add_msg_template")
def add_msg_template(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A mass message: customers that no member (or not ``sender``) follows are in ``fail_list``."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        sender = body.get("sender")
        if sender is not None:
            _member(corp, sender)
        customers = body.get("external_userid") or []
        if not isinstance(customers, list):
            raise WeChatAPIError(40035, "invalid external_userid")
        reached, failed = [], []
        for ext in customers:
            record = corp.external_contacts.get(ext) if isinstance(ext, str) else None
            follows = [f["userid"] for f in record["follow_user"]] if record else []
            if not follows or (sender is not None and sender not in follows):
                failed.append(ext)
            else:
                reached.append((sender or follows[0], ext))
        msgid = f"msg{token_urlsafe(12)}"
        corp.msg_templates[msgid] = {"sender": sender, "reached": reached, "body": body}
    return ok(fail_list=failed, msgid=msgid)


def _template(corp: CorpState, msgid: Any) -> dict[str, Any]:
    if not isinstance(msgid, str) or msgid not in corp.msg_templates:
        raise WeChatAPIError(40035, "invalid msgid")
    return corp.msg_templates[msgid]


@router.route("POST", f"{_P}/get_groupmsg_task")
def get_groupmsg_task(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The members asked to send a mass message (all still pending: status 0)."""
    body = json_object(req)
    with emu.lock:
        template = _template(calling_corp(req), body.get("msgid"))
        members = list(dict.fromkeys(u for u, _ in template["reached"]))
        rows = [{"userid": u, "status": 0} for u in members]
        page, following = _page("task", rows, body.get("cursor"), body.get("limit", 500), 1000)
        return ok(task_list=page, next_cursor=following)


@router.route("POST", f"{_P}/get_groupmsg_send_result")
def get_groupmsg_send_result(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The customers a member's mass message is for (status 0: not sent yet)."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        template = _template(corp, body.get("msgid"))
        userid = _member(corp, body.get("userid"))
        rows = [{"external_userid": e, "userid": u, "status": 0} for u, e in template["reached"] if u == userid]
        page, following = _page("result", rows, body.get("cursor"), body.get("limit", 500), 1000)
        return ok(send_list=page, next_cursor=following)
