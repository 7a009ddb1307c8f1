"""Emulator routes for the mini-program ``code`` group (third-party code management), on an account's token.

The state is kept per app in ``app.data["code"]``: the committed version, the
audits (``auditid`` -> status), the released and previous releases, and the
server domains. ``POST /wxa/commit`` (template_id, ext_json as a JSON string,
user_version, user_desc: 40097 otherwise), ``GET /wxa/get_page``,
``GET /wxa/get_category``, ``POST /wxa/submit_audit`` (85086 before a commit,
85009 while an audit runs; the audit starts as 2 "auditing"),
``POST /wxa/get_auditstatus`` (85012 unknown auditid),
``GET /wxa/get_latest_auditstatus``, ``GET /wxa/undocodeaudit``,
``POST /wxa/release`` (85019 without a passed audit), ``GET
/wxa/revertcoderelease`` (87011 without a previous release) and ``POST
/wxa/modify_domain``. :func:`set_audit_status` decides an audit.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router", "set_audit_status"]

router = QuotaRouter()

_PAGES = ["pages/index/index", "pages/item/item"]
_CATEGORIES = [{"first_class": "工具", "second_class": "效率", "first_id": 287, "second_id": 612}]
_DOMAIN_FIELDS = ("requestdomain", "wsrequestdomain", "uploaddomain", "downloaddomain", "udpdomain", "tcpdomain")


def _state(app: AppState) -> dict[str, Any]:
    state: dict[str, Any] = app.data.setdefault(
        "code", {"committed": None, "audits": {}, "latest": None, "released": [], "domains": {}}
    )
    return state


def set_audit_status(app: AppState, auditid: int, status: int, reason: str = "") -> None:
    """Decide an audit of ``app``: 0 passed, 1 refused (with ``reason``), 2 auditing, 3 withdrawn, 4 delayed."""
    _state(app)["audits"].setdefault(auditid, {}).update(status=status, reason=reason)


@router.route("POST", "/wxa/commit")
def commit(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Commit a template's code (the draft becomes the trial version)."""
    app, body = calling_app(req), json_object(req)
    ext = body.get("ext_json")
    if "template_id" not in body or not isinstance(ext, str) or not as_text(body.get("user_version")):
        raise WeChatAPIError(40097, "invalid args")
    try:
        json.loads(ext)
    except ValueError:
        raise WeChatAPIError(85044, "invalid ext_json") from None
    _state(app)["committed"] = {"template_id": body["template_id"], "version": body["user_version"]}
    return ok()


@router.route("GET", "/wxa/get_page")
def get_page(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The committed code's pages."""
    return ok(page_list=list(_PAGES) if _state(calling_app(req))["committed"] else [])


@router.route("GET", "/wxa/get_category")
def get_category(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The categories set on the mini program."""
    calling_app(req)
    return ok(category_list=[dict(c) for c in _CATEGORIES])


@router.route("POST", "/wxa/submit_audit")
def submit_audit(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Submit the committed code for audit: a new auditid, status 2 (auditing)."""
    app = calling_app(req)
    json_object(req)
    state = _state(app)
    if not state["committed"]:
        raise WeChatAPIError(85086, "must commit before submit audit")
    latest = state["latest"]
    if latest is not None and state["audits"][latest]["status"] in (2, 4):
        raise WeChatAPIError(85009, "already has one auditing version")
    auditid = emu.next_id()
    state["audits"][auditid] = {"status": 2, "reason": "", "version": state["committed"]["version"]}
    state["latest"] = auditid
    return ok(auditid=auditid)


@router.route("POST", "/wxa/get_auditstatus")
def get_auditstatus(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An audit's status and reason."""
    app, body = calling_app(req), json_object(req)
    audit = _state(app)["audits"].get(body.get("auditid"))
    if audit is None:
        raise WeChatAPIError(85012, "invalid audit id")
    return ok(status=audit["status"], reason=audit["reason"])


@router.route("GET", "/wxa/get_latest_auditstatus")
def get_latest_auditstatus(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The latest audit (85058 when none was submitted)."""
    state = _state(calling_app(req))
    if state["latest"] is None:
        raise WeChatAPIError(85058, "no audit version")
    audit = state["audits"][state["latest"]]
    return ok(auditid=state["latest"], status=audit["status"], reason=audit["reason"])


@router.route("GET", "/wxa/undocodeaudit")
def undocodeaudit(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Withdraw the running audit (87013 when none runs)."""
    state = _state(calling_app(req))
    latest = state["latest"]
    if latest is None or state["audits"][latest]["status"] not in (2, 4):
        raise WeChatAPIError(87013, "no auditing version to undo")
    state["audits"][latest]["status"] = 3
    return ok()


@router.route("POST", "/wxa/release")
def release(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Release the latest audit if it passed (85019 otherwise)."""
    state = _state(calling_app(req))
    latest = state["latest"]
    if latest is None or state["audits"][latest]["status"] != 0 or state["audits"][latest].get("released"):
        raise WeChatAPIError(85019, "no passed audit version to release")
    state["audits"][latest]["released"] = True
    state["released"].append(state["audits"][latest].get("version", ""))
    return ok()


@router.route("GET", "/wxa/revertcoderelease")
def revertcoderelease(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Go back to the previous release (87011 when there is none)."""
    state = _state(calling_app(req))
    if len(state["released"]) < 2:
        raise WeChatAPIError(87011, "no previous version to revert")
    state["released"].pop()
    return ok()


@router.route("POST", "/wxa/modify_domain")
def modify_domain(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add / delete / set / get the server domains; answers the domains now set."""
    app, body = calling_app(req), json_object(req)
    action = body.get("action")
    if action not in ("add", "delete", "set", "get"):
        raise WeChatAPIError(40097, "invalid args")
    domains: dict[str, list[str]] = _state(app)["domains"]
    for field in _DOMAIN_FIELDS:
        given = body.get(field)
        if action == "get" or given is None:
            continue
        if not isinstance(given, list) or not all(isinstance(d, str) for d in given):
            raise WeChatAPIError(40097, "invalid args")
        current = domains.setdefault(field, [])
        if action == "set":
            domains[field] = list(given)
        elif action == "add":
            current.extend(d for d in given if d not in current)
        else:
            domains[field] = [d for d in current if d not in given]
    return ok(**{field: list(domains.get(field, [])) for field in _DOMAIN_FIELDS})
