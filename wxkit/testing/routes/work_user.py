"""WeCom members (成员管理) on the WeCom site: ``user/*`` and ``batch/invite``.

State is ``corp.users`` (userid -> member object, as ``user/get`` answers it;
:meth:`~wxkit.testing.work.CorpState.add_user` seeds it). Writes need the
contacts secret's token (``corp.add_secret("contacts")``): another secret
answers 60011 "no privilege to access/modify contact/party/agent", as WeCom
does for an app without contacts rights. An unknown userid answers 60111
"userid not found"; an existing one on create 60102; a department that does
not exist 60003; ``getuserid`` / ``get_userid_by_email`` without a match
46004. ``convert_to_openid`` answers a stable openid per (corp, userid).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["router"]

router = Router(site="qyapi")

_USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def calling_corp(req: EmulatorRequest) -> CorpState:
    """The corp whose token a token-checked WeCom route was called with."""
    corp = req.corp
    assert corp is not None, "calling_corp() needs a token-checked qyapi route"
    result: CorpState = corp
    return result


def require_contacts(req: EmulatorRequest) -> CorpState:
    """The calling corp, if its token is the contacts secret's; 60011 otherwise."""
    corp = calling_corp(req)
    if req.secret_name != "contacts":  # noqa: S105 - the contacts secret's name, not a secret
        raise WeChatAPIError(60011, "no privilege to access/modify contact/party/agent")
    return corp


def lookup_user(corp: CorpState, userid: Any) -> dict[str, Any]:
    """The member ``userid``; 60111 "userid not found" otherwise."""
    if not isinstance(userid, str) or userid not in corp.users:
        raise WeChatAPIError(60111, "userid not found")
    return corp.users[userid]


def openid_of(corp: CorpState, userid: str) -> str:
    """The emulator's openid of a member (stable per corp and userid)."""
    return "o" + hashlib.sha256(f"{corp.corpid}:{userid}".encode()).hexdigest()[:27]


def _departments(corp: CorpState, value: Any) -> list[int]:
    if value is None:
        return [1]
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in value):
        raise WeChatAPIError(40066, "invalid department list")
    for dept in value:
        if dept not in corp.departments:
            raise WeChatAPIError(60003, "department not found")
    return list(value)


@router.route("POST", "/cgi-bin/user/create")
def create(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add a member."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        userid, name = body.get("userid"), body.get("name")
        if not isinstance(userid, str) or not _USERID.match(userid):
            raise WeChatAPIError(40003, "invalid userid")
        if not isinstance(name, str) or not name:
            raise WeChatAPIError(60112, "invalid username")
        if userid in corp.users:
            raise WeChatAPIError(60102, "userid existed")
        departments = _departments(corp, body.get("department"))
        corp.add_user(
            userid,
            name,
            department=tuple(departments),
            **{k: v for k, v in body.items() if k not in ("userid", "name", "department")},
        )
    return ok(created="ok")


@router.route("GET", "/cgi-bin/user/get")
def get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A member."""
    with emu.lock:
        return ok(**lookup_user(calling_corp(req), req.query.get("userid", "")))


@router.route("POST", "/cgi-bin/user/update")
def update(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Change a member's fields."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        user = lookup_user(corp, body.get("userid"))
        changes = {k: v for k, v in body.items() if k != "userid"}
        if "department" in changes:
            changes["department"] = _departments(corp, changes["department"])
        if "name" in changes and (not isinstance(changes["name"], str) or not changes["name"]):
            raise WeChatAPIError(60112, "invalid username")
        user.update(changes)
    return ok(updated="ok")


@router.route("GET", "/cgi-bin/user/delete")
def delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Remove a member."""
    with emu.lock:
        corp = require_contacts(req)
        lookup_user(corp, req.query.get("userid", ""))
        del corp.users[req.query["userid"]]
    return ok(deleted="ok")


@router.route("POST", "/cgi-bin/user/batchdelete")
def batch_delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Remove members (all or none: an unknown one answers 60111)."""
    userids = json_object(req).get("useridlist")
    if not isinstance(userids, list) or not userids or len(userids) > 200:
        raise WeChatAPIError(40032, "invalid userid list size")
    with emu.lock:
        corp = require_contacts(req)
        for userid in userids:
            lookup_user(corp, userid)
        for userid in userids:
            corp.users.pop(userid, None)
    return ok(deleted="ok")


def _members(emu: Emulator, req: EmulatorRequest, fields: tuple[str, ...] | None) -> dict[str, Any]:
    raw = req.query.get("department_id", "")
    if not raw.isdigit():
        raise WeChatAPIError(60123, "invalid party id")
    with emu.lock:
        corp = calling_corp(req)
        dept = int(raw)
        if dept not in corp.departments:
            raise WeChatAPIError(60123, "invalid party id")
        users = [u for u in corp.users.values() if dept in u.get("department", [])]
        if fields is not None:
            users = [{k: u[k] for k in fields if k in u} for u in users]
        return ok(userlist=[dict(u) for u in users])


@router.route("GET", "/cgi-bin/user/simplelist")
def simplelist(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A department's members: userid, name, department."""
    return _members(emu, req, ("userid", "name", "department", "open_userid"))


@router.route("GET", "/cgi-bin/user/list")
def detailed_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A department's members with their details."""
    return _members(emu, req, None)


@router.route("POST", "/cgi-bin/user/list_id")
def list_id(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A page of (userid, department); the cursor is an opaque ``C<offset>``."""
    body = json_object(req)
    limit = body.get("limit", 10000)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10000:
        raise WeChatAPIError(40058, "invalid limit")
    cursor = body.get("cursor") or "C0"
    if not isinstance(cursor, str) or not re.fullmatch(r"C\d{1,9}", cursor):
        raise WeChatAPIError(40058, "invalid cursor")
    start = int(cursor[1:])
    with emu.lock:
        corp = calling_corp(req)
        rows = [{"userid": u["userid"], "department": d} for u in corp.users.values() for d in u.get("department", [])]
    page = rows[start : start + limit]
    following = f"C{start + limit}" if start + limit < len(rows) else ""
    return ok(next_cursor=following, dept_user=page)


@router.route("POST", "/cgi-bin/user/convert_to_openid")
def convert_to_openid(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A member's openid."""
    userid = json_object(req).get("userid")
    with emu.lock:
        corp = calling_corp(req)
        lookup_user(corp, userid)
        return ok(openid=openid_of(corp, str(userid)))


@router.route("POST", "/cgi-bin/user/convert_to_userid")
def convert_to_userid(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The member behind an openid (40003 for none)."""
    openid = json_object(req).get("openid")
    with emu.lock:
        corp = calling_corp(req)
        for userid in corp.users:
            if openid_of(corp, userid) == openid:
                return ok(userid=userid)
    raise WeChatAPIError(40003, "invalid openid")


def _by_field(emu: Emulator, req: EmulatorRequest, field: str) -> dict[str, Any]:
    value = json_object(req).get(field)
    if not isinstance(value, str) or not value:
        raise WeChatAPIError(40058, f"invalid {field}")
    with emu.lock:
        for user in calling_corp(req).users.values():
            if user.get(field) == value:
                return ok(userid=user["userid"])
    raise WeChatAPIError(46004, "user not exist")


@router.route("POST", "/cgi-bin/user/getuserid")
def getuserid(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The userid of a mobile number."""
    return _by_field(emu, req, "mobile")


@router.route("POST", "/cgi-bin/user/get_userid_by_email")
def get_userid_by_email(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The userid of an email address."""
    return _by_field(emu, req, "email")


@router.route("POST", "/cgi-bin/batch/invite")
def invite(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Invite members; the unknown ones come back as ``invaliduser`` / ``invalidparty`` / ``invalidtag`` lists."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        users, parties, tags = (body.get(k) or [] for k in ("user", "party", "tag"))
        bad_users = [u for u in users if u not in corp.users]
        bad_parties = [p for p in parties if p not in corp.departments]
        bad_tags = [t for t in tags if t not in corp.tags]
        corp.sent.append({"kind": "invite", "user": [u for u in users if u in corp.users]})
    return ok(invaliduser=bad_users, invalidparty=bad_parties, invalidtag=bad_tags)
