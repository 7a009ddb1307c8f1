"""WeCom temporary media (素材管理) on the WeCom site: ``media/upload``, ``get``, ``uploadimg``, ``upload_by_url``.

State is ``corp.media`` (media_id -> (filename, content, content type, type)).
An unknown ``type`` answers 40004, an empty file 44001, no ``media`` part
41005, an unknown media_id 40007. ``uploadimg`` answers a URL on the
emulator's own origin. ``upload_by_url`` does not fetch anything (the
emulator never reaches the internet): after checking the request it finishes
the job at once with an empty medium of that filename, so the result call
answers ``status`` 2 with a ``media_id``; an unknown jobid answers 40058.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, EmulatorResponse, Router, WeChatAPIError, json_object, ok
from .work_user import calling_corp

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = Router(site="qyapi")

_TYPES = ("image", "voice", "video", "file")


def _store(emu: Emulator, req: EmulatorRequest, media_type: str) -> tuple[str, int]:
    part = req.files().get("media")
    if part is None:
        raise WeChatAPIError(41005, "media data missing")
    filename, content, ctype = part
    if not content:
        raise WeChatAPIError(44001, "empty media data")
    media_id = f"WM{secrets.token_urlsafe(24)}"
    with emu.lock:
        calling_corp(req).media[media_id] = (filename or "media", content, ctype, media_type)
    return media_id, int(emu.now())


@router.route("POST", "/cgi-bin/media/upload")
def upload(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Upload a temporary medium."""
    media_type = req.query.get("type", "")
    if media_type not in _TYPES:
        raise WeChatAPIError(40004, "invalid media type")
    media_id, created = _store(emu, req, media_type)
    return ok(type=media_type, media_id=media_id, created_at=str(created))


@router.route("GET", "/cgi-bin/media/get")
def get(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse | dict[str, Any]:
    """Download a temporary medium."""
    with emu.lock:
        entry = calling_corp(req).media.get(req.query.get("media_id", ""))
    if entry is None:
        raise WeChatAPIError(40007, "invalid media_id")
    filename, content, ctype, _ = entry
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return EmulatorResponse(200, content, ctype or "application/octet-stream", headers)


@router.route("POST", "/cgi-bin/media/uploadimg")
def uploadimg(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Upload an image for message bodies; answer its URL."""
    media_id, _ = _store(emu, req, "image")
    origin = req.origin or emu.work_url
    return ok(url=f"{origin}/wwpic/{media_id}/0")


@router.route("POST", "/cgi-bin/media/upload_by_url")
def upload_by_url(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Start an upload-by-URL job (finished at once)."""
    body = json_object(req)
    media_type, url, filename, md5 = (body.get(k) for k in ("type", "url", "filename", "md5"))
    if media_type not in ("video", "file"):
        raise WeChatAPIError(40004, "invalid media type")
    if not isinstance(url, str) or not re.match(r"https?://", url):
        raise WeChatAPIError(40058, "invalid url")
    if not isinstance(filename, str) or not filename:
        raise WeChatAPIError(40058, "invalid filename")
    if not isinstance(md5, str) or not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
        raise WeChatAPIError(40058, "invalid md5")
    jobid = secrets.token_hex(16)
    media_id = f"WM{secrets.token_urlsafe(24)}"
    with emu.lock:
        corp = calling_corp(req)
        corp.media[media_id] = (filename, b"", "application/octet-stream", media_type)
        detail = {"errcode": 0, "errmsg": "ok", "media_id": media_id, "created_at": str(int(emu.now()))}
        corp.jobs[jobid] = {"kind": "upload_by_url", "status": 2, "detail": detail}
    return ok(jobid=jobid)


@router.route("POST", "/cgi-bin/media/get_upload_by_url_result")
def get_upload_by_url_result(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An upload-by-URL job's result."""
    jobid = json_object(req).get("jobid")
    with emu.lock:
        job = calling_corp(req).jobs.get(jobid) if isinstance(jobid, str) else None
        if job is None or job.get("kind") != "upload_by_url":
            raise WeChatAPIError(40058, "invalid jobid")
        return ok(status=job["status"], detail=dict(job["detail"]))
