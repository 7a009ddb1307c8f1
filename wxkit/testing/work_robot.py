"""The emulator's WeCom group robots (消息推送, formerly 群机器人): webhooks that record what they receive.

::

    with Emulator() as emu:
        robot = emu.add_robot()                           # a robot and its random webhook key
        GroupRobot(robot.key, base_url=emu.work_url).text("hi")
        robot.received                                    # [{"msgtype": "text", "text": {"content": "hi"}}]

Routes (:mod:`wxkit.testing.routes.work_robot`, on :attr:`Emulator.work_url`):
``POST /cgi-bin/webhook/send?key=`` and ``POST /cgi-bin/webhook/upload_media?key=&type=``.
An unknown key answers 93000 ("invalid webhook url"). A robot accepts
:data:`ROBOT_RATE_LIMIT` messages per 60 seconds of emulator time
(:meth:`Emulator.advance` moves it); the next one answers
``limit_errcode`` (45009, as WeCom usually does; set 130101 to try the
other answer) and is not recorded. Images are checked as WeCom does: the
decoded bytes at most 2 MB (else 40009) and their md5 matching ``md5``
(else 40009 too, the emulator's choice). File and voice messages need a
``media_id`` this robot uploaded (else 40007).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import deque
from secrets import token_hex
from typing import TYPE_CHECKING, Any

import attrs

from .routes import WeChatAPIError

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["ROBOT_RATE_LIMIT", "RobotState", "robot_accept"]

#: Messages a robot accepts per 60 seconds.
ROBOT_RATE_LIMIT = 20
_IMAGE_MAX = 2 * 1024 * 1024
_TYPES = ("text", "markdown", "markdown_v2", "image", "news", "file", "voice", "template_card")


@attrs.define
class RobotState:
    """One group robot: its webhook ``key``, the messages it ``received`` and the ``media`` uploaded to it.

    ``media`` maps media_id -> ``(type, filename, bytes)``; ``refused``
    counts the messages answered with the rate-limit errcode.
    """

    key: str = attrs.field(repr=False)
    received: list[dict[str, Any]] = attrs.field(factory=list)
    media: dict[str, tuple[str, str, bytes]] = attrs.field(factory=dict, repr=False)
    limit_errcode: int = 45009
    refused: int = 0
    _times: deque[float] = attrs.field(factory=deque, repr=False)

    @classmethod
    def new(cls, key: str | None = None) -> RobotState:
        """A robot with ``key`` (a random UUID-like one unless given)."""
        if key is None:
            raw = token_hex(16)
            key = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
        return cls(key)


def robot_accept(emu: Emulator, robot: RobotState, message: dict[str, Any]) -> None:
    """Check ``message`` as WeCom would and record it, or raise the WeCom error (rate limit first)."""
    with emu.lock:
        now = emu.now()
        while robot._times and robot._times[0] <= now - 60:
            robot._times.popleft()
        if len(robot._times) >= ROBOT_RATE_LIMIT:
            robot.refused += 1
            raise WeChatAPIError(robot.limit_errcode, "api freq out of limit")
        _check(robot, message)
        robot._times.append(now)
        robot.received.append(message)


def _check(robot: RobotState, message: dict[str, Any]) -> None:
    kind = message.get("msgtype")
    if kind not in _TYPES:
        raise WeChatAPIError(40008, "invalid message type")
    body = message.get(kind)
    if not isinstance(body, dict):
        raise WeChatAPIError(40035, f"invalid {kind}")
    if kind in ("text", "markdown", "markdown_v2") and not body.get("content"):
        raise WeChatAPIError(44004, "empty content")
    if kind == "image":
        try:
            data = base64.b64decode(str(body.get("base64", "")), validate=True)
        except (binascii.Error, ValueError):
            raise WeChatAPIError(40009, "invalid image base64") from None
        if not data or len(data) > _IMAGE_MAX:
            raise WeChatAPIError(40009, "invalid image size")
        if hashlib.md5(data).hexdigest() != body.get("md5"):  # noqa: S324 - WeCom's checksum
            raise WeChatAPIError(40009, "image md5 not match")
    if kind == "news":
        articles = body.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
            raise WeChatAPIError(40035, "invalid articles")
    if kind in ("file", "voice"):
        media = robot.media.get(str(body.get("media_id", "")))
        if media is None or media[0] != kind:
            raise WeChatAPIError(40007, "invalid media_id")
    if kind == "template_card" and not body.get("card_type"):
        raise WeChatAPIError(40035, "invalid card_type")
