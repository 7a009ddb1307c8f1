"""What the sync and the async HTTP layers share: timeouts, size bounds, JSON encoding and the errcode check.

Nothing here imports an HTTP library, so :mod:`wxkit.core.http` (``requests``)
and :mod:`wxkit.core.ahttp` (``httpx``) each import only their own.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import api_error

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_DOWNLOAD_SIZE",
    "DEFAULT_TIMEOUT",
    "Timeout",
    "check_errcode",
    "dump_json",
]

#: ``(connect, read)`` seconds, or one number for both.
Timeout = float | tuple[float, float]
#: The default timeout: 3.05 s to connect, 10 s to read.
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
#: The most a JSON or XML answer may hold once decoded, in bytes (8 MiB).
DEFAULT_MAX_BODY_SIZE = 8 * 1024 * 1024
#: The most a download held in memory may hold once decoded, in bytes (64 MiB): media, QR codes.
DEFAULT_MAX_DOWNLOAD_SIZE = 64 * 1024 * 1024
#: wxkit decodes answers itself (bounded), so it asks only for what :class:`~wxkit.bounds.BodyDecoder` reads.
ACCEPT_ENCODING = "gzip, deflate"


def dump_json(payload: Any) -> bytes:
    """Encode ``payload`` once as compact UTF-8 JSON without ASCII escaping (WeChat wants real UTF-8)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def check_errcode(data: dict[str, Any], *, method: str, url: str) -> None:
    """Raise the :class:`~wxkit.errors.APIError` subclass for a non-zero ``errcode`` in ``data``."""
    errcode = data.get("errcode")
    if errcode in (None, 0, "0"):
        return
    try:
        code = int(errcode)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an errcode of Infinity or 1e400
        code = -2
    if code == 0:
        return
    raise api_error(code, str(data.get("errmsg", "")), method=method, url=url, response=data)
