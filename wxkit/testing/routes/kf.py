"""Emulator routes for the ``kf`` API group: customer-service accounts and sessions.

State in ``app.data["kf"]``: ``accounts`` (kf_account -> the ``kf_list``
entry plus ``status``), ``sessions`` (openid -> ``{"kf_account",
"createtime"}``) and ``waiting`` (openid -> the time of the user's last
message). A new account has no bound WeChat ID; :func:`bind_worker` plays
the worker accepting the invitation (and going online), :func:`add_wait_case`
queues a user waiting for service.

Errors as documented: an account not ``prefix@wechat_id`` (prefix of 1-10
letters, digits or ``_``) 65404, a nickname empty or over 16 characters
65403, a duplicate 65406, more than 100 accounts 65405, an unknown account
65401, an invitation to an invalid WeChat ID 65409, to a worker of the
account already 65407, while one is pending 65411, to a bound account 65412;
an avatar that is not a JPEG 40005; a session with an account not bound
65402 or offline 65415, for a user served by another account 65414; closing
a session that does not exist 65413; an unknown openid 40003.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, follower, ok

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["add_wait_case", "bind_worker", "router"]

MAX_ACCOUNTS = 100
MAX_NICKNAME = 16
#: Seconds an invitation stays valid.
INVITE_SECONDS = 7 * 86400
#: Entries in a ``getwaitcase`` answer (``count`` is the full number).
WAITCASE_LIMIT = 100
_ACCOUNT = re.compile(r"^[A-Za-z0-9_]{1,10}@[A-Za-z0-9_-]{1,30}$")
_WECHAT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")
_JPEG = b"\xff\xd8\xff"

router = QuotaRouter()


def _state(app: AppState) -> dict[str, Any]:
    state: dict[str, Any] = app.data.setdefault("kf", {})
    state.setdefault("accounts", {})
    state.setdefault("sessions", {})
    state.setdefault("waiting", {})
    return state


def bind_worker(app: AppState, kf_account: str, wechat_id: str, *, online: bool = True) -> None:
    """Bind ``wechat_id`` to an existing ``kf_account`` (the invitation accepted); online unless told."""
    account = _state(app)["accounts"][kf_account]
    for key in ("invite_wx", "invite_expire_time", "invite_status"):
        account.pop(key, None)
    account["kf_wx"] = wechat_id
    account["status"] = 1 if online else 0


def add_wait_case(app: AppState, openid: str, latest_time: int) -> None:
    """Queue ``openid`` as waiting for customer service since ``latest_time`` (its last message)."""
    _state(app)["waiting"][openid] = latest_time


def _account(req: EmulatorRequest, value: Any) -> dict[str, Any]:
    account: dict[str, Any] | None = _state(calling_app(req))["accounts"].get(value) if isinstance(value, str) else None
    if account is None:
        raise WeChatAPIError(65401, "invalid custom service account")
    return account


def _nickname(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NICKNAME:
        raise WeChatAPIError(65403, "invalid nickname")
    return value


def _public(account: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in account.items() if k != "status"}


@router.route("GET", "/cgi-bin/customservice/getkflist")
def kf_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Every customer-service account."""
    return {"kf_list": [_public(a) for a in _state(calling_app(req))["accounts"].values()]}


@router.route("GET", "/cgi-bin/customservice/getonlinekflist")
def online_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The online accounts with their number of sessions."""
    state = _state(calling_app(req))
    online = []
    for name, account in state["accounts"].items():
        if account.get("kf_wx") and account.get("status"):
            cases = sum(1 for s in state["sessions"].values() if s["kf_account"] == name)
            online.append(
                {"kf_account": name, "status": account["status"], "kf_id": account["kf_id"], "accepted_case": cases}
            )
    return {"kf_online_list": online}


@router.route("POST", "/customservice/kfaccount/add")
def add(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add an account."""
    accounts = _state(calling_app(req))["accounts"]
    name = req.field("kf_account")
    if not isinstance(name, str) or not _ACCOUNT.match(name):
        raise WeChatAPIError(65404, "invalid custom service account")
    nickname = _nickname(req.field("nickname"))
    if name in accounts:
        raise WeChatAPIError(65406, "custom service account exists")
    if len(accounts) >= MAX_ACCOUNTS:
        raise WeChatAPIError(65405, "custom service account count reaches limit")
    accounts[name] = {
        "kf_account": name,
        "kf_nick": nickname,
        "kf_id": str(emu.next_id()),
        "kf_headimgurl": "",
        "status": 0,
    }
    return ok()


@router.route("POST", "/customservice/kfaccount/update")
def update(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Change an account's nickname."""
    account = _account(req, req.field("kf_account"))
    account["kf_nick"] = _nickname(req.field("nickname"))
    return ok()


def _delete(req: EmulatorRequest, name: Any) -> dict[str, Any]:
    _account(req, name)
    state = _state(calling_app(req))
    del state["accounts"][name]
    state["sessions"] = {o: s for o, s in state["sessions"].items() if s["kf_account"] != name}
    return ok()


@router.route("POST", "/customservice/kfaccount/del")
def delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete an account (JSON body, current docs) and its sessions."""
    return _delete(req, req.field("kf_account"))


@router.route("GET", "/customservice/kfaccount/del")
def delete_by_query(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete an account named in the query string (the older documented form)."""
    return _delete(req, req.query.get("kf_account"))


@router.route("POST", "/customservice/kfaccount/inviteworker")
def invite_worker(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Invite a WeChat user to work behind an account."""
    account = _account(req, req.field("kf_account"))
    wechat_id = req.field("invite_wx")
    if not isinstance(wechat_id, str) or not _WECHAT_ID.match(wechat_id):
        raise WeChatAPIError(65409, "wechat account invalid")
    if any(a.get("kf_wx") == wechat_id for a in _state(calling_app(req))["accounts"].values()):
        raise WeChatAPIError(65407, "the wechat user have been one of your workers")
    if account.get("kf_wx"):
        raise WeChatAPIError(65412, "the custom service account have been bound by a wechat user")
    if account.get("invite_status") == "waiting" and emu.now() < account["invite_expire_time"]:
        if account.get("invite_wx") == wechat_id:
            raise WeChatAPIError(65408, "you have already invited the wechat user")
        raise WeChatAPIError(65411, "a effective invitation to bind the custom service account exists")
    account.update(invite_wx=wechat_id, invite_expire_time=int(emu.now()) + INVITE_SECONDS, invite_status="waiting")
    return ok()


@router.route("POST", "/customservice/kfaccount/uploadheadimg")
def upload_avatar(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Set an account's avatar from a multipart ``media`` JPEG."""
    account = _account(req, req.query.get("kf_account"))
    media = req.files().get("media")
    if media is None:
        raise WeChatAPIError(41005, "media data missing")
    if not media[1].startswith(_JPEG):
        raise WeChatAPIError(40005, "invalid file type")
    digest = hashlib.sha256(media[1]).hexdigest()[:32]
    account["kf_headimgurl"] = f"http://mmbiz.qpic.cn/mmbiz/{digest}/0"
    return ok()


@router.route("POST", "/customservice/kfsession/create")
def create_session(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Put a follower in session with an online account."""
    app = calling_app(req)
    name = req.field("kf_account")
    account = _account(req, name)
    openid = follower(app, req.field("openid"))["openid"]
    if not account.get("kf_wx"):
        raise WeChatAPIError(65402, "the custom service account has not been bound to a wechat user")
    if not account.get("status"):
        raise WeChatAPIError(65415, "the custom service account is offline")
    state = _state(app)
    current = state["sessions"].get(openid)
    if current is not None and current["kf_account"] != name:
        raise WeChatAPIError(65414, "the user is being served by another custom service account")
    if current is None:
        state["sessions"][openid] = {"kf_account": name, "createtime": int(emu.now())}
    state["waiting"].pop(openid, None)
    return ok()


@router.route("POST", "/customservice/kfsession/close")
def close_session(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """End a follower's session with an account."""
    app = calling_app(req)
    name = req.field("kf_account")
    _account(req, name)
    openid = follower(app, req.field("openid"))["openid"]
    sessions = _state(app)["sessions"]
    if sessions.get(openid, {}).get("kf_account") != name:
        raise WeChatAPIError(65413, "no session for the user")
    del sessions[openid]
    return ok()


@router.route("GET", "/customservice/kfsession/getsession")
def get_session(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A follower's session (``kf_account`` empty when nobody serves them)."""
    app = calling_app(req)
    openid = follower(app, req.query.get("openid"))["openid"]
    session = _state(app)["sessions"].get(openid)
    if session is None:
        return {"createtime": 0, "kf_account": ""}
    return dict(session)


@router.route("GET", "/customservice/kfsession/getsessionlist")
def list_sessions(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The sessions an account serves."""
    name = req.query.get("kf_account")
    _account(req, name)
    sessions = _state(calling_app(req))["sessions"].items()
    return {
        "sessionlist": [{"createtime": s["createtime"], "openid": o} for o, s in sessions if s["kf_account"] == name]
    }


@router.route("GET", "/customservice/kfsession/getwaitcase")
def waiting(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Users waiting for service, oldest first (at most 100 listed)."""
    cases = sorted(_state(calling_app(req))["waiting"].items(), key=lambda item: item[1])
    return {
        "count": len(cases),
        "waitcaselist": [{"latest_time": t, "openid": o} for o, t in cases[:WAITCASE_LIMIT]],
    }
