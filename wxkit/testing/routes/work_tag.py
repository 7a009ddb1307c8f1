"""WeCom tags (标签管理) on the WeCom site: ``tag/*``.

State is ``corp.tags``. Writes need the contacts secret's token (60011
otherwise). An unknown tag answers 40068 "invalid tagid", a taken name
40071. Adding or removing members answers the unknown userids as
``invalidlist`` (``|``-joined) and the unknown departments as
``invalidparty`` (a list); all of them unknown is 40070.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp, require_contacts

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["router"]

router = Router(site="qyapi")


def lookup_tag(corp: CorpState, value: Any) -> dict[str, Any]:
    """The tag ``value`` (an int or digits); 40068 otherwise."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value not in corp.tags:
        raise WeChatAPIError(40068, "invalid tagid")
    return corp.tags[value]


def _name(corp: CorpState, name: Any, tagid: int | None = None) -> str:
    if not isinstance(name, str) or not name or len(name) > 32:
        raise WeChatAPIError(40072, "invalid tag name length")
    if any(t["tagname"] == name and t["tagid"] != tagid for t in corp.tags.values()):
        raise WeChatAPIError(40071, "tag name exists")
    return name


@router.route("POST", "/cgi-bin/tag/create")
def create(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add a tag."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        name = _name(corp, body.get("tagname"))
        tagid = body.get("tagid")
        if tagid is None:
            tagid = max(corp.tags, default=0) + 1
        elif not isinstance(tagid, int) or isinstance(tagid, bool) or tagid < 1 or tagid in corp.tags:
            raise WeChatAPIError(40068, "invalid tagid")
        corp.tags[tagid] = {"tagid": tagid, "tagname": name, "userlist": [], "partylist": []}
    return ok(tagid=tagid)


@router.route("POST", "/cgi-bin/tag/update")
def update(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Rename a tag."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        tag = lookup_tag(corp, body.get("tagid"))
        tag["tagname"] = _name(corp, body.get("tagname"), tag["tagid"])
    return ok()


@router.route("GET", "/cgi-bin/tag/delete")
def delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Remove a tag."""
    with emu.lock:
        corp = require_contacts(req)
        del corp.tags[lookup_tag(corp, req.query.get("tagid", ""))["tagid"]]
    return ok()


@router.route("GET", "/cgi-bin/tag/get")
def get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A tag's members."""
    with emu.lock:
        corp = calling_corp(req)
        tag = lookup_tag(corp, req.query.get("tagid", ""))
        users = [{"userid": u, "name": corp.users[u]["name"]} for u in tag["userlist"] if u in corp.users]
        return ok(tagname=tag["tagname"], userlist=users, partylist=list(tag["partylist"]))


def _change(emu: Emulator, req: EmulatorRequest, *, add: bool) -> dict[str, Any]:
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        tag = lookup_tag(corp, body.get("tagid"))
        users, parties = body.get("userlist") or [], body.get("partylist") or []
        if not isinstance(users, list) or not isinstance(parties, list) or not (users or parties):
            raise WeChatAPIError(40031, "invalid userid list")
        bad_users = [u for u in users if u not in corp.users]
        bad_parties = [p for p in parties if p not in corp.departments]
        if len(bad_users) + len(bad_parties) == len(users) + len(parties):
            raise WeChatAPIError(40070, "all listed userid and partyid are invalid")
        for key, items, bad in (("userlist", users, bad_users), ("partylist", parties, bad_parties)):
            for item in items:
                if item in bad:
                    continue
                if add and item not in tag[key]:
                    tag[key].append(item)
                elif not add and item in tag[key]:
                    tag[key].remove(item)
    answer: dict[str, Any] = ok()
    if bad_users:
        answer["invalidlist"] = "|".join(bad_users)
    if bad_parties:
        answer["invalidparty"] = bad_parties
    return answer


@router.route("POST", "/cgi-bin/tag/addtagusers")
def add_users(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Tag members and departments."""
    return _change(emu, req, add=True)


@router.route("POST", "/cgi-bin/tag/deltagusers")
def remove_users(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Untag members and departments."""
    return _change(emu, req, add=False)


@router.route("GET", "/cgi-bin/tag/list")
def tag_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Every tag."""
    with emu.lock:
        corp = calling_corp(req)
        return ok(taglist=[{"tagid": t["tagid"], "tagname": t["tagname"]} for t in corp.tags.values()])
