"""Emulator routes for the ``tag`` API group: user tags and tagging.

Tags live in ``app.data["tag"]["tags"]`` (id -> ``{"id", "name"}``); every
app starts with WeChat's system tag 2 "星标组". New ids start at 100 (0, 1
and 2 are reserved). A follower's tags are its ``tagid_list`` in
``app.followers``, kept in step by tagging, untagging and deleting a tag.

Errors: a duplicate or empty name 45157, a name over 30 bytes 45158, more
than 100 tags 45056, a reserved tag (0, 1, 2) edited or deleted 45058, an
unknown tag id 45159, an unknown openid 40003, more than 50 (or no) openids
40032, a follower already carrying 20 tags 45059.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, follower, ok
from .user import page

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

#: Openids per page of ``POST /cgi-bin/user/tag/get``.
PAGE_SIZE = 10_000
#: The first id given to a created tag.
FIRST_TAG_ID = 100
#: Ids WeChat keeps for itself.
RESERVED_IDS = frozenset({0, 1, 2})
MAX_TAGS = 100
MAX_TAGS_PER_USER = 20
MAX_OPENIDS = 50
NAME_BYTES = 30

router = QuotaRouter()


def _state(app: AppState) -> dict[str, Any]:
    state: dict[str, Any] = app.data.setdefault("tag", {})
    state.setdefault("tags", {2: {"id": 2, "name": "星标组"}})
    state.setdefault("next_id", FIRST_TAG_ID)
    return state


def _tag_id(req: EmulatorRequest, value: Any, *, editable: bool = False) -> int:
    if editable and value in RESERVED_IDS:
        raise WeChatAPIError(45058, "can't modify sys tag")
    if not isinstance(value, int) or isinstance(value, bool) or value not in _state(calling_app(req))["tags"]:
        raise WeChatAPIError(45159, "invalid tag id")
    return value


def _name(app: AppState, name: Any, *, keep: int | None = None) -> str:
    if not isinstance(name, str) or not name:
        raise WeChatAPIError(45157, "invalid tag name")
    if len(name.encode("utf-8")) > NAME_BYTES:
        raise WeChatAPIError(45158, "tag name too long")
    if any(tag["name"] == name and tag_id != keep for tag_id, tag in _state(app)["tags"].items()):
        raise WeChatAPIError(45157, "invalid tag name")
    return name


def _members(app: AppState, tag_id: int) -> list[str]:
    return [openid for openid, user in app.followers.items() if tag_id in user.get("tagid_list", [])]


def _tag_field(req: EmulatorRequest) -> dict[str, Any]:
    tag = req.field("tag")
    if not isinstance(tag, dict):
        raise WeChatAPIError(44002, "empty post data")
    return tag


def _openids(req: EmulatorRequest) -> list[dict[str, Any]]:
    openids = req.field("openid_list")
    if not isinstance(openids, list) or not openids or len(openids) > MAX_OPENIDS:
        raise WeChatAPIError(40032, "invalid openid list size")
    return [follower(calling_app(req), openid) for openid in openids]


@router.route("POST", "/cgi-bin/tags/create")
def create(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Create a tag; answers ``{"tag": {"id", "name"}}``."""
    app = calling_app(req)
    state = _state(app)
    name = _name(app, _tag_field(req).get("name"))
    if sum(1 for tag_id in state["tags"] if tag_id not in RESERVED_IDS) >= MAX_TAGS:
        raise WeChatAPIError(45056, "too many tags")
    tag = {"id": state["next_id"], "name": name}
    state["tags"][tag["id"]] = tag
    state["next_id"] += 1
    return {"tag": dict(tag)}


@router.route("GET", "/cgi-bin/tags/get")
def tags(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Every tag with its follower count."""
    app = calling_app(req)
    return {"tags": [{**tag, "count": len(_members(app, tag_id))} for tag_id, tag in _state(app)["tags"].items()]}


@router.route("POST", "/cgi-bin/tags/update")
def update(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Rename a tag."""
    app = calling_app(req)
    body = _tag_field(req)
    tag_id = _tag_id(req, body.get("id"), editable=True)
    _state(app)["tags"][tag_id]["name"] = _name(app, body.get("name"), keep=tag_id)
    return ok()


@router.route("POST", "/cgi-bin/tags/delete")
def delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete a tag and take it off every follower."""
    app = calling_app(req)
    tag_id = _tag_id(req, _tag_field(req).get("id"), editable=True)
    members = _members(app, tag_id)
    if len(members) > 100_000:
        raise WeChatAPIError(45057, "can't delete the tag that has too many fans")
    for openid in members:
        app.followers[openid]["tagid_list"].remove(tag_id)
    del _state(app)["tags"][tag_id]
    return ok()


@router.route("POST", "/cgi-bin/tags/members/batchtagging")
def tag_users(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Put a tag on up to 50 followers."""
    tag_id = _tag_id(req, req.field("tagid"))
    users = _openids(req)
    fresh = [user for user in users if tag_id not in user.setdefault("tagid_list", [])]
    if any(len(user["tagid_list"]) >= MAX_TAGS_PER_USER for user in fresh):
        raise WeChatAPIError(45059, "has fans that has too many tags")
    for user in fresh:
        user["tagid_list"].append(tag_id)
    return ok()


@router.route("POST", "/cgi-bin/tags/members/batchuntagging")
def untag_users(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Take a tag off up to 50 followers."""
    tag_id = _tag_id(req, req.field("tagid"))
    for user in _openids(req):
        if tag_id in user.get("tagid_list", []):
            user["tagid_list"].remove(tag_id)
    return ok()


@router.route("POST", "/cgi-bin/user/tag/get")
def members(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """One page of the followers carrying a tag."""
    tag_id = _tag_id(req, req.field("tagid"))
    body = page(_members(calling_app(req), tag_id), req.field("next_openid") or None, PAGE_SIZE)
    del body["total"]
    return body


@router.route("POST", "/cgi-bin/tags/getidlist")
def tags_of(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The tag ids a follower carries."""
    return {"tagid_list": list(follower(calling_app(req), req.field("openid")).get("tagid_list", []))}
