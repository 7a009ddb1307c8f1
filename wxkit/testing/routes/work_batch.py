"""WeCom asynchronous contacts imports (异步批量接口) on the WeCom site: ``batch/*`` jobs and their results.

The routes are ``batch/syncuser``, ``replaceuser``, ``replaceparty`` and ``getresult``.

The ``media_id`` is a CSV uploaded as a ``file`` (``media/upload``; 40007 if
unknown), UTF-8 with a header row. Members: ``姓名`` (or ``name``), ``帐号`` /
``账号`` (or ``userid``), ``手机号`` (``mobile``), ``邮箱`` (``email``),
``所在部门`` (``department``: ids separated by ``;``), ``职位``
(``position``). Departments: ``部门名称`` (``name``), ``部门ID`` (``id``),
``父部门ID`` (``parentid``), ``排序`` (``order``). A job runs at once: its
result answers ``status`` 3 and one row per CSV line with its own
``errcode`` (40003 bad userid, 60003 unknown department ...); the good rows
are applied. Needs the contacts secret's token (60011 otherwise); an unknown
jobid answers 40058.
"""

from __future__ import annotations

import csv
import io
import secrets
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp, require_contacts

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..work import CorpState

__all__ = ["router"]

router = Router(site="qyapi")

_USER_COLUMNS = {
    "姓名": "name",
    "帐号": "userid",
    "账号": "userid",
    "手机号": "mobile",
    "邮箱": "email",
    "所在部门": "department",
    "职位": "position",
}
_PARTY_COLUMNS = {"部门名称": "name", "部门ID": "id", "父部门ID": "parentid", "排序": "order"}


def _rows(corp: CorpState, media_id: Any, columns: dict[str, str]) -> list[dict[str, str]]:
    entry = corp.media.get(media_id) if isinstance(media_id, str) else None
    if entry is None:
        raise WeChatAPIError(40007, "invalid media_id")
    try:
        text = entry[1].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WeChatAPIError(60104, "invalid file: not UTF-8 CSV") from None
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({columns.get((k or "").strip(), (k or "").strip()): (v or "").strip() for k, v in row.items()})
    return rows


def _job(corp: CorpState, kind: str, result: list[dict[str, Any]]) -> str:
    jobid = secrets.token_hex(16)
    corp.jobs[jobid] = {"kind": kind, "status": 3, "total": len(result), "percentage": 100, "result": result}
    return jobid


def _import_users(emu: Emulator, req: EmulatorRequest, *, replace: bool) -> dict[str, Any]:
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        rows = _rows(corp, body.get("media_id"), _USER_COLUMNS)
        result: list[dict[str, Any]] = []
        seen: set[str] = set()
        for row in rows:
            userid, name = row.get("userid", ""), row.get("name", "")
            depts_text = [d for d in row.get("department", "1").split(";") if d] or ["1"]
            if not userid or not name:
                result.append({"userid": userid, "errcode": 40003, "errmsg": "invalid userid"})
                continue
            if not all(d.isdigit() and int(d) in corp.departments for d in depts_text):
                result.append({"userid": userid, "errcode": 60003, "errmsg": "department not found"})
                continue
            fields = {k: v for k, v in row.items() if k in ("mobile", "email", "position") and v}
            user = corp.users.get(userid)
            if user is None:
                corp.add_user(userid, name, department=tuple(int(d) for d in depts_text), **fields)
            else:
                user.update(name=name, department=[int(d) for d in depts_text], **fields)
            seen.add(userid)
            result.append({"userid": userid, "errcode": 0, "errmsg": "ok"})
        if replace:
            for userid in [u for u in corp.users if u not in seen]:
                del corp.users[userid]
        jobid = _job(corp, "replace_user" if replace else "sync_user", result)
    return ok(jobid=jobid)


@router.route("POST", "/cgi-bin/batch/syncuser")
def syncuser(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add or update the CSV's members."""
    return _import_users(emu, req, replace=False)


@router.route("POST", "/cgi-bin/batch/replaceuser")
def replaceuser(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Make the members exactly the CSV's."""
    return _import_users(emu, req, replace=True)


@router.route("POST", "/cgi-bin/batch/replaceparty")
def replaceparty(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Make the departments exactly the CSV's (the root stays)."""
    body = json_object(req)
    with emu.lock:
        corp = require_contacts(req)
        rows = _rows(corp, body.get("media_id"), _PARTY_COLUMNS)
        wanted: dict[int, dict[str, Any]] = {1: corp.departments[1]}
        result: list[dict[str, Any]] = []
        for row in rows:
            raw_id, raw_parent = row.get("id", ""), row.get("parentid", "1") or "1"
            if not raw_id.isdigit() or not raw_parent.isdigit() or not row.get("name"):
                result.append({"action": 0, "partyid": 0, "errcode": 60123, "errmsg": "invalid party id"})
                continue
            dept_id = int(raw_id)
            order = int(row["order"]) if row.get("order", "").isdigit() else 0
            action = 2 if dept_id in corp.departments else 1
            wanted[dept_id] = {"id": dept_id, "name": row["name"], "parentid": int(raw_parent), "order": order}
            result.append({"action": action, "partyid": dept_id, "errcode": 0, "errmsg": "ok"})
        orphans = True
        while orphans:  # a department whose parent is missing goes, and then its children
            orphans = False
            for dept_id in [d for d in wanted if d != 1 and wanted[d]["parentid"] not in wanted]:
                orphans = True
                del wanted[dept_id]
                for row_result in result:
                    if row_result["partyid"] == dept_id:
                        row_result.update(errcode=60004, errmsg="parent department not found")
        corp.departments.clear()
        corp.departments.update(wanted)
        jobid = _job(corp, "replace_party", result)
    return ok(jobid=jobid)


@router.route("GET", "/cgi-bin/batch/getresult")
def getresult(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A job's status and per-row results."""
    with emu.lock:
        job = calling_corp(req).jobs.get(req.query.get("jobid", ""))
        if job is None or job.get("kind") not in ("sync_user", "replace_user", "replace_party"):
            raise WeChatAPIError(40058, "invalid jobid")
        return ok(
            status=job["status"],
            type=job["kind"],
            total=job["total"],
            percentage=job["percentage"],
            result=[dict(r) for r in job["result"]],
        )
