"""WeCom app messages (应用消息) on the WeCom site: ``message/send``, ``recall``, ``update_template_card``.

The token must be the sending app's: an ``agentid`` the corp does not have
answers 40056, one whose secret is not the token's 301002 ("not allow operate
another agent with this accesstoken"). Recipients are resolved against the
corp's contacts: ``touser`` (``|``-joined, ``@all``), ``toparty`` (a
department's direct members) and ``totag`` (the tag's members and its
departments' members). The unknown ones come back ``|``-joined as
``invaliduser`` / ``invalidparty`` / ``invalidtag`` with errcode 0 and the
others get the message; none known at all answers 81013. Each message sent is
recorded in ``corp.sent`` (``kind`` ``"message"``, ``msgid``, ``agentid``,
``msgtype``, ``touser``: the userids reached, ``content``, ``safe``). With
``enable_duplicate_check`` the same message to the same recipients within
``duplicate_check_interval`` seconds (default 1800) is not sent again and
answers the first one's msgid.
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

_TYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "file",
        "textcard",
        "news",
        "mpnews",
        "markdown",
        "miniprogram_notice",
        "template_card",
    }
)


def sending_agent(emu: Emulator, req: EmulatorRequest, value: Any) -> int:
    """The ``agentid`` of a send, checked against the token: 40056 unknown, 301002 another app's."""
    corp = calling_corp(req)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value not in corp.agents:
        raise WeChatAPIError(40056, "invalid agentid")
    if corp.agents[value] != req.secret_name:
        raise WeChatAPIError(301002, "not allow operate another agent with this accesstoken.")
    return value


def _split(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [part for part in str(value).split("|") if part]
    raise WeChatAPIError(40035, "invalid args")


def resolve(
    corp: CorpState, touser: Any, toparty: Any, totag: Any
) -> tuple[list[str], list[str], list[str], list[str]]:
    """``(userids reached, invalid users, invalid parties, invalid tags)``."""
    users, parties, tags = _split(touser), _split(toparty), _split(totag)
    reached: list[str] = []
    bad_users: list[str] = []
    bad_parties: list[str] = []
    bad_tags: list[str] = []

    def reach(userid: str) -> None:
        if userid not in reached:
            reached.append(userid)

    def reach_party(dept: int) -> None:
        for user in corp.users.values():
            if dept in user.get("department", []):
                reach(user["userid"])

    for userid in users:
        if userid == "@all":
            for known in corp.users:
                reach(known)
        elif userid in corp.users:
            reach(userid)
        else:
            bad_users.append(userid)
    for party in parties:
        if party.isdigit() and int(party) in corp.departments:
            reach_party(int(party))
        else:
            bad_parties.append(party)
    for tag_text in tags:
        tag = corp.tags.get(int(tag_text)) if tag_text.isdigit() else None
        if tag is None:
            bad_tags.append(tag_text)
            continue
        for userid in tag["userlist"]:
            if userid in corp.users:
                reach(userid)
        for dept in tag["partylist"]:
            reach_party(dept)
    return reached, bad_users, bad_parties, bad_tags


@router.route("POST", "/cgi-bin/message/send")
def send(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Send an app message to users, departments and tags."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        agentid = sending_agent(emu, req, body.get("agentid"))
        msgtype = body.get("msgtype")
        if msgtype not in _TYPES:
            raise WeChatAPIError(40008, "invalid message type")
        content = body.get(msgtype)
        if not isinstance(content, dict) or not content:
            raise WeChatAPIError(41016, f"missing {msgtype}")
        if msgtype in ("text", "markdown") and not content.get("content"):
            raise WeChatAPIError(44004, "empty content")
        if not (body.get("touser") or body.get("toparty") or body.get("totag")):
            raise WeChatAPIError(40035, "touser, toparty and totag are all empty")
        reached, bad_users, bad_parties, bad_tags = resolve(
            corp, body.get("touser"), body.get("toparty"), body.get("totag")
        )
        if not reached:
            raise WeChatAPIError(81013, "user & party & tag all invalid")
        now = emu.now()
        if body.get("enable_duplicate_check"):
            interval = body.get("duplicate_check_interval") or 1800
            for earlier in reversed(corp.sent):
                if (
                    earlier.get("kind") == "message"
                    and earlier["agentid"] == agentid
                    and earlier["msgtype"] == msgtype
                    and earlier["content"] == content
                    and earlier["touser"] == reached
                    and now - earlier["time"] < interval
                ):
                    return _answer(earlier["msgid"], bad_users, bad_parties, bad_tags, earlier.get("response_code"))
        msgid = secrets.token_urlsafe(24)
        response_code = secrets.token_urlsafe(16) if msgtype == "template_card" else None
        corp.sent.append(
            {
                "kind": "message",
                "msgid": msgid,
                "agentid": agentid,
                "msgtype": msgtype,
                "touser": reached,
                "content": content,
                "safe": int(body.get("safe") or 0),
                "time": now,
                "response_code": response_code,
                "recalled": False,
            }
        )
    return _answer(msgid, bad_users, bad_parties, bad_tags, response_code)


def _answer(msgid: str, users: list[str], parties: list[str], tags: list[str], code: str | None) -> dict[str, Any]:
    answer = ok(msgid=msgid)
    if users:
        answer["invaliduser"] = "|".join(users)
    if parties:
        answer["invalidparty"] = "|".join(parties)
    if tags:
        answer["invalidtag"] = "|".join(tags)
    if code:
        answer["response_code"] = code
    return answer


@router.route("POST", "/cgi-bin/message/recall")
def recall(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Recall a message of the last 24 hours (40058 for an unknown msgid, 40010... none else)."""
    msgid = json_object(req).get("msgid")
    with emu.lock:
        corp = calling_corp(req)
        for sent in corp.sent:
            if sent.get("kind") == "message" and sent["msgid"] == msgid:
                if emu.now() - sent["time"] > 86400:
                    raise WeChatAPIError(86220, "message too old to recall")
                sent["recalled"] = True
                return ok()
    raise WeChatAPIError(40058, "invalid msgid")


@router.route("POST", "/cgi-bin/message/update_template_card")
def update_template_card(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Update a template card sent before (its ``response_code``); unknown userids come back as a list."""
    body = json_object(req)
    with emu.lock:
        corp = calling_corp(req)
        agentid = sending_agent(emu, req, body.get("agentid"))
        code = body.get("response_code")
        card = next(
            (s for s in corp.sent if s.get("kind") == "message" and code and s.get("response_code") == code), None
        )
        if card is None or card["agentid"] != agentid:
            raise WeChatAPIError(40058, "invalid response_code")
        userids = body.get("userids") or []
        bad = [u for u in userids if u not in corp.users]
        corp.sent.append({"kind": "update_template_card", "response_code": code, "agentid": agentid, "body": body})
    return ok(invaliduser=bad)
