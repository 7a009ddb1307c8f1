"""WeCom app group chats (群聊会话) on the WeCom site: ``appchat/create``, ``update``, ``get``, ``send``.

State is ``corp.appchats``. A chat needs 2 to 2000 known members (40031 for
an unknown userid, 40035 for too few); an unknown chatid answers 40050
("chatid not exist"), a chatid already taken 86215. Messages are recorded in
``corp.sent`` (``kind`` ``"appchat"``, ``chatid``, ``msgtype``, ``content``).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["router"]

router = Router(site="qyapi")


def _chat(corp: CorpState, chatid: Any) -> dict[str, Any]:
    if not isinstance(chatid, str) or chatid not in corp.appchats:
        raise WeChatAPIError(40050, "chatid not exist")
    return corp.appchats[chatid]


def _known(corp: CorpState, users: Any) -> list[str]:
    if not isinstance(users, list):
        raise WeChatAPIError(40035, "invalid args")
    for userid in users:
        if userid not in corp.users:
            raise WeChatAPIError(40031, "invalid userid list")
    return list(users)


@router.route("POST", "/cgi-bin/appchat/create")
def create(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Create a group chat."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        users = _known(corp, body.get("userlist"))
        if not 2 <= len(set(users)) <= 2000:
            raise WeChatAPIError(40035, "a group chat needs 2 to 2000 members")
        owner = body.get("owner") or users[0]
        if owner not in users:
            raise WeChatAPIError(40031, "owner is not a member")
        chatid = body.get("chatid") or secrets.token_hex(16)
        if not isinstance(chatid, str) or not chatid.isalnum() or len(chatid) > 32:
            raise WeChatAPIError(86216, "invalid chatid")
        if chatid in corp.appchats:
            raise WeChatAPIError(86215, "chatid existed")
        corp.appchats[chatid] = {
            "chatid": chatid,
            "name": body.get("name") or "",
            "owner": owner,
            "userlist": list(dict.fromkeys(users)),
            "chat_type": 0,
        }
    return ok(chatid=chatid)


@router.route("POST", "/cgi-bin/appchat/update")
def update(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Rename, change owner, add or remove members."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        chat = _chat(corp, body.get("chatid"))
        adds = _known(corp, body.get("add_user_list") or [])
        dels = body.get("del_user_list") or []
        members = [u for u in chat["userlist"] if u not in dels] + [u for u in adds if u not in chat["userlist"]]
        owner = body.get("owner") or chat["owner"]
        if owner not in members:
            raise WeChatAPIError(40031, "owner is not a member")
        if body.get("name") is not None:
            chat["name"] = body["name"]
        chat["owner"] = owner
        chat["userlist"] = members
    return ok()


@router.route("GET", "/cgi-bin/appchat/get")
def get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A group chat."""
    with emu.lock:
        chat = _chat(calling_corp(req), req.query.get("chatid", ""))
        return ok(chat_info={**chat, "userlist": list(chat["userlist"])})


@router.route("POST", "/cgi-bin/appchat/send")
def send(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Post a message to a group chat."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        chat = _chat(corp, body.get("chatid"))
        msgtype = body.get("msgtype")
        content = body.get(msgtype) if isinstance(msgtype, str) else None
        if not isinstance(content, dict) or not content:
            raise WeChatAPIError(40008, "invalid message type")
        corp.sent.append(
            {"kind": "appchat", "chatid": chat["chatid"], "msgtype": msgtype, "content": content, "time": emu.now()}
        )
    return ok()
