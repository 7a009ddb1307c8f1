"""Emulator routes for the ``user`` API group: profiles, the follower list, remarks, the blacklist.

Followers are ``app.followers`` (see :meth:`AppState.add_follower`).
``GET /cgi-bin/user/get`` lists the subscribed ones (``subscribe`` not 0) in
insertion order, :data:`PAGE_SIZE` openids a page (WeChat: 10000); ``total``
counts them too. A user who unfollowed is neither listed nor counted, but a
``next_openid`` naming one (someone who left between two pages) still
continues after their place. The
blacklist is ``app.data["user"]["blacklist"]`` (a list of openids, in the
order they were blocked), :data:`BLACKLIST_PAGE_SIZE` a page. Tests may
monkeypatch both sizes smaller to exercise paging with a few users.

Profiles (``user/info``, ``user/info/batchget``) answer what WeChat answers
since its 2021 changes (the announcements of 2021-09-26, effective 2021-10-20,
and 2021-12-27): ``nickname`` and ``headimgurl`` empty, ``sex`` 0,
``country`` / ``province`` / ``city`` empty, whatever the follower's stored
profile holds (see :data:`WITHHELD`). A user who unfollowed is
``{"subscribe": 0, "openid", "unionid"}``.

Errors: an openid that is not a follower answers 40003; more than 100 users
in a batch get, or more than 20 (or none) in a block/unblock, 40032; a remark
of 30 bytes or more, 40092.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, follower, ok, require_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["WITHHELD", "router"]

#: Openids per page of ``GET /cgi-bin/user/get``.
PAGE_SIZE = 10_000
#: Openids per page of ``POST /cgi-bin/tags/members/getblacklist`` (current docs: 1000).
BLACKLIST_PAGE_SIZE = 1_000
#: Users per ``batchget`` call.
BATCH_LIMIT = 100
#: Users per block / unblock call.
BLOCK_LIMIT = 20
#: A remark must be shorter than this many bytes (UTF-8).
REMARK_BYTES = 30

router = QuotaRouter()


def page(openids: Sequence[str], after: str | None, size: int) -> dict[str, Any]:
    """One page of ``openids`` starting after ``after`` (40003 if unknown), WeChat's list shape."""
    start = 0
    if after:
        try:
            start = list(openids).index(after) + 1
        except ValueError:
            raise WeChatAPIError(40003, "invalid next_openid") from None
    chunk = list(openids[start : start + size])
    more = start + size < len(openids)
    body: dict[str, Any] = {"total": len(openids), "count": len(chunk), "next_openid": chunk[-1] if more else ""}
    if chunk:
        body["data"] = {"openid": chunk}
    return body


#: Profile fields WeChat no longer fills in ``user/info`` answers, with the value it answers instead:
#: nickname and avatar since 2021-12-27, sex and region since 2021-10-20 (the keys stay, emptied).
WITHHELD: dict[str, Any] = {
    "nickname": "",
    "headimgurl": "",
    "sex": 0,
    "country": "",
    "province": "",
    "city": "",
}


def _profile(user: dict[str, Any]) -> dict[str, Any]:
    if user.get("subscribe", 1) == 0:
        return {"subscribe": 0, "openid": user["openid"], "unionid": user.get("unionid", "")}
    return {**user, **WITHHELD}


def _blacklist(app: AppState) -> list[str]:
    state: dict[str, Any] = app.data.setdefault("user", {})
    blacklist: list[str] = state.setdefault("blacklist", [])
    return blacklist


def _openid_list(req: EmulatorRequest, limit: int) -> list[str]:
    openids = req.field("openid_list")
    if not isinstance(openids, list) or not openids or len(openids) > limit:
        raise WeChatAPIError(40032, "invalid openid list size")
    for openid in openids:
        follower(calling_app(req), openid)
    return openids


@router.route("GET", "/cgi-bin/user/info")
def info(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """One follower's profile."""
    return _profile(follower(calling_app(req), req.query.get("openid")))


@router.route("POST", "/cgi-bin/user/info/batchget")
def batch_info(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Up to 100 profiles."""
    app = calling_app(req)
    entries = req.field("user_list")
    if not isinstance(entries, list) or not entries or len(entries) > BATCH_LIMIT:
        raise WeChatAPIError(40032, "invalid openid list size")
    return {"user_info_list": [_profile(follower(app, require_object(entry).get("openid"))) for entry in entries]}


@router.route("GET", "/cgi-bin/user/get")
def followers(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """One page of the openids of subscribed followers (``total`` counts only them)."""
    app = calling_app(req)
    known = list(app.followers)
    after = req.query.get("next_openid")
    start = 0
    if after:
        if after not in app.followers:
            raise WeChatAPIError(40003, "invalid next_openid")
        start = known.index(after) + 1  # may be a user who unfollowed since the previous page
    subscribed = [openid for openid in known if app.followers[openid].get("subscribe", 1)]
    following = [openid for openid in known[start:] if app.followers[openid].get("subscribe", 1)]
    chunk = following[:PAGE_SIZE]
    more = len(following) > PAGE_SIZE
    body: dict[str, Any] = {"total": len(subscribed), "count": len(chunk), "next_openid": chunk[-1] if more else ""}
    if chunk:
        body["data"] = {"openid": chunk}
    return body


@router.route("POST", "/cgi-bin/user/info/updateremark")
def update_remark(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Set a follower's remark (shorter than 30 bytes)."""
    user = follower(calling_app(req), req.field("openid"))
    remark = req.field("remark")
    if not isinstance(remark, str) or len(remark.encode("utf-8")) >= REMARK_BYTES:
        raise WeChatAPIError(40092, "invalid remark name")
    user["remark"] = remark
    return ok()


@router.route("POST", "/cgi-bin/tags/members/getblacklist")
def get_blacklist(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """One page of blocked openids."""
    return page(_blacklist(calling_app(req)), req.field("begin_openid") or None, BLACKLIST_PAGE_SIZE)


@router.route("POST", "/cgi-bin/tags/members/batchblacklist")
def block(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Block up to 20 followers."""
    blacklist = _blacklist(calling_app(req))
    blacklist.extend(_new(_openid_list(req, BLOCK_LIMIT), blacklist))
    return ok()


@router.route("POST", "/cgi-bin/tags/members/batchunblacklist")
def unblock(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Unblock up to 20 followers."""
    gone = set(_openid_list(req, BLOCK_LIMIT))
    blacklist = _blacklist(calling_app(req))
    blacklist[:] = [openid for openid in blacklist if openid not in gone]
    return ok()


def _new(openids: Iterable[str], present: Iterable[str]) -> list[str]:
    seen = set(present)
    fresh = []
    for openid in openids:
        if openid not in seen:
            seen.add(openid)
            fresh.append(openid)
    return fresh
