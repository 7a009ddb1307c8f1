"""WeCom departments (部门管理) on the WeCom site: ``department/*``.

State is ``corp.departments`` (id -> department object; the root 1 always
exists). Writes need the contacts secret's token (60011 otherwise). An
unknown id answers 60123 "invalid party id", a missing parent 60004, a taken
id 60008, deleting one with members 60005 or with sub-departments 60006.
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


def lookup_department(corp: CorpState, value: Any) -> dict[str, Any]:
    """The department ``value`` (an int or digits); 60123 otherwise."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value not in corp.departments:
        raise WeChatAPIError(60123, "invalid party id")
    return corp.departments[value]


def _below(corp: CorpState, root: int) -> list[dict[str, Any]]:
    out = [corp.departments[root]]
    for dept in corp.departments.values():
        if dept["parentid"] == root and dept["id"] != root:
            out.extend(_below(corp, dept["id"]))
    return out


@router.route("POST", "/cgi-bin/department/create")
def create(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add a department."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        name = body.get("name")
        if not isinstance(name, str) or not name or len(name) > 64:
            raise WeChatAPIError(60009, "invalid department name")
        parent = body.get("parentid")
        if not isinstance(parent, int) or parent not in corp.departments:
            raise WeChatAPIError(60004, "parent department not found")
        dept_id = body.get("id")
        if dept_id is None:
            dept_id = max(corp.departments) + 1
        elif not isinstance(dept_id, int) or isinstance(dept_id, bool) or dept_id < 2:
            raise WeChatAPIError(60123, "invalid party id")
        elif dept_id in corp.departments:
            raise WeChatAPIError(60008, "department existed")
        dept = corp.add_department(dept_id, name, parent, order=int(body.get("order") or 0))
        if body.get("name_en"):
            dept["name_en"] = body["name_en"]
    return ok(id=dept_id)


@router.route("POST", "/cgi-bin/department/update")
def update(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Change a department."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        dept = lookup_department(corp, body.get("id"))
        if "parentid" in body and body["parentid"] not in corp.departments:
            raise WeChatAPIError(60004, "parent department not found")
        dept.update({k: v for k, v in body.items() if k != "id"})
    return ok()


@router.route("GET", "/cgi-bin/department/delete")
def delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Remove an empty department."""
    with emu.lock:
        corp = require_contacts(req)
        dept = lookup_department(corp, req.query.get("id", ""))
        if dept["id"] == 1 or any(d["parentid"] == dept["id"] for d in corp.departments.values()):
            raise WeChatAPIError(60006, "department contains sub-departments")
        if any(dept["id"] in u.get("department", []) for u in corp.users.values()):
            raise WeChatAPIError(60005, "department contains members")
        del corp.departments[dept["id"]]
    return ok()


@router.route("GET", "/cgi-bin/department/get")
def get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """One department."""
    with emu.lock:
        return ok(department=dict(lookup_department(calling_corp(req), req.query.get("id", ""))))


@router.route("GET", "/cgi-bin/department/list")
def detailed_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A department and all below it (all without ``id``)."""
    with emu.lock:
        corp = calling_corp(req)
        root = lookup_department(corp, req.query.get("id") or 1)["id"]
        return ok(department=[dict(d) for d in _below(corp, root)])


@router.route("GET", "/cgi-bin/department/simplelist")
def simplelist(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Ids, parents and orders only."""
    with emu.lock:
        corp = calling_corp(req)
        root = lookup_department(corp, req.query.get("id") or 1)["id"]
        return ok(department_id=[{k: d[k] for k in ("id", "parentid", "order")} for d in _below(corp, root)])
