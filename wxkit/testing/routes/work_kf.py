"""微信客服 (kf) on the WeCom site: accounts, servicers, ``sync_msg``, ``send_msg``, ``send_msg_on_event``.

State is the corp's ``kf_*`` fields (:class:`~wxkit.testing.work.CorpState`):
a test adds accounts (``corp.kf_add_account``) and plays customers
(``corp.kf_enqueue``, ``corp.kf_enter_session``: each returns the callback
``Token``). ``sync_msg`` reads an account's queue from its ``cursor`` (an
opaque text naming the account and a position; none: from the oldest), at
most ``limit`` messages, answering ``next_cursor`` and ``has_more``; a cursor
of another account or not issued is 40035, an unknown ``token`` 95007.
``send_msg`` is allowed 5 times per customer message (95001 after that,
95002 to a customer who never wrote) and is recorded in ``corp.sent``
(``kind`` "kf"); ``send_msg_on_event`` takes a ``welcome_code`` once (95007
otherwise). An unknown ``open_kfid`` is 95000; an unknown avatar ``media_id``
40007; refused servicers come back per member (60111) in ``result_list``.
"""

from __future__ import annotations

import base64
import binascii
from secrets import token_urlsafe
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["router"]

router = Router(site="qyapi")


def _account(corp: CorpState, value: Any) -> dict[str, Any]:
    if not isinstance(value, str) or value not in corp.kf_accounts:
        raise WeChatAPIError(95000, "invalid open_kfid")
    return corp.kf_accounts[value]


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 16:
        raise WeChatAPIError(40035, "invalid name: 1..16 characters")
    return value


def _media(corp: CorpState, value: Any) -> str:
    if not isinstance(value, str) or value not in corp.media:
        raise WeChatAPIError(40007, "invalid media_id")
    return value


@router.route("POST", "/cgi-bin/kf/account/add")
def account_add(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add an account."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        name, media_id = _name(body.get("name")), _media(corp, body.get("media_id"))
        return ok(open_kfid=corp.kf_add_account(name, media_id=media_id))


@router.route("POST", "/cgi-bin/kf/account/del")
def account_del(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete an account (its queue goes with it)."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        kfid = _account(corp, body.get("open_kfid"))["open_kfid"]
        del corp.kf_accounts[kfid]
        corp.kf_messages.pop(kfid, None)
    return ok()


@router.route("POST", "/cgi-bin/kf/account/update")
def account_update(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Rename an account or change its avatar."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        account = _account(corp, body.get("open_kfid"))
        if "name" in body:
            account["name"] = _name(body["name"])
        if "media_id" in body:
            account["media_id"] = _media(corp, body["media_id"])
    return ok()


@router.route("POST", "/cgi-bin/kf/account/list")
def account_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """One page of accounts."""
    body = json_object(req)
    offset, limit = body.get("offset", 0), body.get("limit", 100)
    if not isinstance(offset, int) or not isinstance(limit, int) or offset < 0 or not 1 <= limit <= 100:
        raise WeChatAPIError(40035, "invalid offset or limit")
    with emu.lock:
        corp = calling_corp(req)
        page = list(corp.kf_accounts.values())[offset : offset + limit]
        return ok(
            account_list=[
                {
                    "open_kfid": a["open_kfid"],
                    "name": a["name"],
                    "avatar": f"https://wework.qpic.cn/emulated/{a['media_id']}",
                    "manage_privilege": True,
                }
                for a in page
            ]
        )


@router.route("POST", "/cgi-bin/kf/add_contact_way")
def add_contact_way(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The account's chat link."""
    body = json_object(req)
    scene = body.get("scene", "")
    if not isinstance(scene, str) or len(scene) > 32:
        raise WeChatAPIError(40035, "invalid scene")
    with emu.lock:
        kfid = _account(calling_corp(req), body.get("open_kfid"))["open_kfid"]
    url = f"https://work.weixin.qq.com/kf/{kfid}"
    return ok(url=f"{url}?enc_scene=ENC{scene}" if scene else url)


def _servicers(emu: Emulator, req: EmulatorRequest, *, add: bool) -> dict[str, Any]:
    body = json_object(req)
    users = body.get("userid_list")
    if not isinstance(users, list) or not users or len(users) > 100:
        raise WeChatAPIError(40035, "invalid userid_list")
    results = []
    with emu.lock:
        corp = calling_corp(req)
        account = _account(corp, body.get("open_kfid"))
        for userid in users:
            if not isinstance(userid, str) or userid not in corp.users:
                results.append({"userid": str(userid), "errcode": 60111, "errmsg": "userid not found"})
                continue
            if add and userid not in account["servicers"]:
                account["servicers"].append(userid)
            elif not add and userid in account["servicers"]:
                account["servicers"].remove(userid)
            results.append({"userid": userid, "errcode": 0, "errmsg": "success"})
    return ok(result_list=results)


@router.route("POST", "/cgi-bin/kf/servicer/add")
def servicer_add(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add servicers."""
    return _servicers(emu, req, add=True)


@router.route("POST", "/cgi-bin/kf/servicer/del")
def servicer_del(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Remove servicers."""
    return _servicers(emu, req, add=False)


@router.route("GET", "/cgi-bin/kf/servicer/list")
def servicer_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An account's servicers (all receiving: status 0)."""
    with emu.lock:
        account = _account(calling_corp(req), req.query.get("open_kfid", ""))
        return ok(servicer_list=[{"userid": u, "status": 0} for u in account["servicers"]])


def _encode_cursor(open_kfid: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{open_kfid}:{position}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: Any, open_kfid: str, size: int) -> int:
    if cursor is None or cursor == "":
        return 0
    try:
        if not isinstance(cursor, str) or len(cursor) > 64:
            raise ValueError
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kfid, _, position = text.rpartition(":")
        value = int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise WeChatAPIError(40035, "invalid cursor") from None
    if kfid != open_kfid or not 0 <= value <= size:
        raise WeChatAPIError(40035, "invalid cursor")
    return value


@router.route("POST", "/cgi-bin/kf/sync_msg")
def sync_msg(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Read an account's messages from a cursor."""
    body = json_object(req)
    limit = body.get("limit", 1000)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise WeChatAPIError(40035, "invalid limit")
    with emu.lock:
        corp = calling_corp(req)
        token = body.get("token")
        if token is not None and token != "" and token not in corp.kf_tokens:
            raise WeChatAPIError(95007, "invalid msg token")
        kfid = _account(corp, body.get("open_kfid"))["open_kfid"]
        queue = corp.kf_messages.get(kfid, [])
        start = _decode_cursor(body.get("cursor"), kfid, len(queue))
        page = [dict(m) for m in queue[start : start + limit]]
        end = start + len(page)
        return ok(next_cursor=_encode_cursor(kfid, end), has_more=int(end < len(queue)), msg_list=page)


def _check_content(body: dict[str, Any]) -> str:
    msgtype = body.get("msgtype")
    if not isinstance(msgtype, str) or not isinstance(body.get(msgtype), dict):
        raise WeChatAPIError(40008, "invalid message type")
    if msgtype == "text" and not body[msgtype].get("content"):
        raise WeChatAPIError(44004, "empty content")
    return msgtype


@router.route("POST", "/cgi-bin/kf/send_msg")
def send_msg(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer a customer (5 messages per customer message)."""
    body = json_object(req)
    msgtype = _check_content(body)
    with emu.lock:
        corp = calling_corp(req)
        kfid = _account(corp, body.get("open_kfid"))["open_kfid"]
        touser = body.get("touser")
        key = (kfid, touser if isinstance(touser, str) else "")
        if key not in corp.kf_quota:
            raise WeChatAPIError(95002, "send msg time limit: the customer has not written within 48 hours")
        if corp.kf_quota[key] <= 0:
            raise WeChatAPIError(95001, "send msg count limit")
        corp.kf_quota[key] -= 1
        msgid = body.get("msgid") or f"kfsent_{token_urlsafe(9)}"
        corp.sent.append(
            {"kind": "kf", "open_kfid": kfid, "touser": touser, "msgtype": msgtype, "msgid": msgid, "body": body}
        )
    return ok(msgid=msgid)


@router.route("POST", "/cgi-bin/kf/send_msg_on_event")
def send_msg_on_event(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer an event with its ``welcome_code`` (once)."""
    body = json_object(req)
    msgtype = _check_content(body)
    with emu.lock:
        corp = calling_corp(req)
        code = body.get("code")
        target = corp.kf_welcome_codes.pop(code, None) if isinstance(code, str) else None
        if target is None:
            raise WeChatAPIError(95007, "invalid code")
        msgid = body.get("msgid") or f"kfsent_{token_urlsafe(9)}"
        corp.sent.append(
            {
                "kind": "kf_event",
                "open_kfid": target[0],
                "touser": target[1],
                "msgtype": msgtype,
                "msgid": msgid,
                "body": body,
            }
        )
    return ok(msgid=msgid)
