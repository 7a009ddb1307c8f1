"""WeCom group robot webhooks: ``/cgi-bin/webhook/send`` and ``/cgi-bin/webhook/upload_media``.

See :mod:`wxkit.testing.work_robot` for what they check and record.
"""

from __future__ import annotations

from secrets import token_urlsafe
from typing import TYPE_CHECKING, Any

from ..work_robot import RobotState, robot_accept
from . import EmulatorRequest, Router, WeChatAPIError, json_object

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = Router(site="qyapi")


def _robot(emu: Emulator, req: EmulatorRequest) -> RobotState:
    robot: RobotState | None = emu.robots.get(req.query.get("key", ""))
    if robot is None:
        raise WeChatAPIError(93000, "invalid webhook url")
    return robot


@router.route("POST", "/cgi-bin/webhook/send", auth=False)
def send(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Record a robot message (20 a minute at most)."""
    robot = _robot(emu, req)
    robot_accept(emu, robot, dict(json_object(req)))
    return {"errcode": 0, "errmsg": "ok"}


@router.route("POST", "/cgi-bin/webhook/upload_media", auth=False)
def upload_media(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Keep an uploaded file or voice; answer its media_id."""
    robot = _robot(emu, req)
    kind = req.query.get("type", "")
    if kind not in ("file", "voice"):
        raise WeChatAPIError(40004, "invalid media type")
    part = req.files().get("media")
    if part is None or not part[1]:
        raise WeChatAPIError(41005, "media data missing")
    limit = 2 * 1024 * 1024 if kind == "voice" else 20 * 1024 * 1024
    if len(part[1]) < 5 or len(part[1]) > limit:
        raise WeChatAPIError(40006, "invalid file size")
    media_id = f"rm_{token_urlsafe(18)}"
    with emu.lock:
        robot.media[media_id] = (kind, part[0], part[1])
    return {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": str(int(emu.now()))}
