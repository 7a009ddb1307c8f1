"""What the sync and async iLink bots share: the headers, ``base_info``, answer checks and text splitting.

Facts from Tencent's MIT-licensed reference client (``@tencent-weixin/openclaw-weixin``):
every POST carries ``AuthorizationType: ilink_bot_token``, ``Authorization:
Bearer <bot_token>``, a random ``X-WECHAT-UIN`` (a random uint32 in decimal,
base64-encoded), ``iLink-App-Id`` and ``iLink-App-ClientVersion`` (a uint32
``major<<16 | minor<<8 | patch``), and its JSON body a ``base_info``. Nothing
here imports an HTTP library.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from ..errors import ParseError
from .errors import SESSION_EXPIRED, ILinkError, ILinkSessionExpired

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TEXT_LIMIT",
    "check_answer",
    "client_version",
    "ilink_headers",
    "split_text",
]

#: iLink's API host.
DEFAULT_BASE_URL = "https://ilinkai.weixin.qq.com"
#: The reference client's text chunk limit, in characters.
DEFAULT_TEXT_LIMIT = 4000
#: ``iLink-App-Id``: the reference client's value.
APP_ID = "bot"
#: The ``channel_version`` wxkit declares in ``base_info``.
CHANNEL_VERSION = "2.4.9"
#: ``bot_agent`` in ``base_info``: who is calling (observability only).
BOT_AGENT = "wxkit/0"
#: ``bot_type`` of the login QR code (the reference client's).
BOT_TYPE = "3"
#: ``message_type`` of a message sent by a bot; ``message_state`` of a finished one.
MESSAGE_TYPE_BOT, MESSAGE_STATE_FINISH = 2, 2


def client_version(version: str = CHANNEL_VERSION) -> int:
    """``iLink-App-ClientVersion``: ``major<<16 | minor<<8 | patch`` of a dotted version."""
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:3]] + [0, 0, 0]
    return ((parts[0] & 0xFF) << 16) | ((parts[1] & 0xFF) << 8) | (parts[2] & 0xFF)


def random_uin() -> str:
    """``X-WECHAT-UIN``: a random uint32 in decimal, base64-encoded (new for each request)."""
    return base64.b64encode(str(secrets.randbits(32)).encode("ascii")).decode("ascii")


def ilink_headers(bot_token: str | None) -> dict[str, str]:
    """The headers of one iLink request (``Authorization`` only with a token)."""
    headers = {
        "AuthorizationType": "ilink_bot_token",
        "X-WECHAT-UIN": random_uin(),
        "iLink-App-Id": APP_ID,
        "iLink-App-ClientVersion": str(client_version()),
    }
    if bot_token:
        headers["Authorization"] = f"Bearer {bot_token.strip()}"
    return headers


def base_info() -> dict[str, str]:
    """The ``base_info`` object every request body carries."""
    return {"channel_version": CHANNEL_VERSION, "bot_agent": BOT_AGENT}


def _code(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return -1


def check_answer(data: Any, *, endpoint: str, url: str) -> dict[str, Any]:
    """``data`` if it is a JSON object with ``ret`` and ``errcode`` 0 (or absent); else the error.

    ``-14`` raises :class:`ILinkSessionExpired`, another non-zero code
    :class:`ILinkError`, an answer that is not an object :class:`~wxkit.errors.ParseError`.
    """
    if not isinstance(data, dict):
        raise ParseError(f"iLink {endpoint} answered JSON that is not an object")
    ret, errcode = _code(data.get("ret")), _code(data.get("errcode"))
    code = errcode or ret
    if code == 0:
        return data
    errmsg = data.get("errmsg")
    cls = ILinkSessionExpired if SESSION_EXPIRED in (ret, errcode) else ILinkError
    return_code = SESSION_EXPIRED if cls is ILinkSessionExpired else code
    raise cls(return_code, errmsg if isinstance(errmsg, str) else "", method="POST", url=url, response=data)


def _open_fence(line: str) -> str | None:
    stripped = line.lstrip()
    for mark in ("```", "~~~"):
        if stripped.startswith(mark):
            return mark
    return None


def split_text(text: str, limit: int = DEFAULT_TEXT_LIMIT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters.

    Python strings hold whole characters, so no chunk ends inside a UTF-8
    sequence. Cuts prefer a line end, then a space. A cut inside a Markdown
    code block (```` ``` ```` / ``~~~``) closes the fence at the end of its
    chunk and reopens it (with its info string) at the start of the next, so
    every chunk renders on its own. ``limit`` must leave room for the fences
    (at least 32).
    """
    if limit < 32:
        raise ValueError("limit must be at least 32 characters")
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    fence: str | None = None  # the opening fence line of the block we are in, if any
    rest = text
    while rest:
        prefix = f"{fence}\n" if fence else ""
        room = limit - len(prefix)
        if len(prefix) + len(rest) <= limit:
            chunks.append(prefix + rest)
            break
        closing_room = room - 4  # "\n```" closes a block cut in the middle
        cut = rest.rfind("\n", 0, closing_room + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, closing_room + 1)
        if cut <= 0:
            cut = closing_room
        piece = rest[:cut]
        lines = piece.split("\n")
        # Track the fences inside this piece to know whether the cut falls inside a block.
        inside = fence
        before_last = fence
        for index, line in enumerate(lines):
            if index == len(lines) - 1:
                before_last = inside
            if _open_fence(line) is None:
                continue
            if inside is None:
                inside = line.strip()
            elif line.strip().startswith(inside[:3]) and line.strip().strip(inside[:1]) == "":
                inside = None
        if len(lines) > 1 and before_last is None and inside is not None:
            # The piece ends on a block's opening line: start the next chunk with it instead.
            cut = len(piece) - len(lines[-1]) - 1
            piece, inside = piece[:cut], None
        rest = rest[cut + 1 :] if rest[cut : cut + 1] == "\n" else rest[cut:]
        chunk = prefix + piece
        if inside is not None:
            chunk += "\n" + inside[:3]
        chunks.append(chunk)
        fence = inside
    return chunks
