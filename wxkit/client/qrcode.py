"""The ``qrcode`` API group (``client.qrcode``): parametric QR codes.

::

    code = client.qrcode.create_temporary(42, expire_seconds=3600)   # QR_SCENE
    code = client.qrcode.create_permanent("shop-7")                  # QR_LIMIT_STR_SCENE
    image = client.qrcode.download(code["ticket"], "shop-7.jpg")

A scan pushes a ``subscribe`` (new follower) or ``SCAN`` event carrying the
scene to your bot.
"""
# Generated from wxkit/client/_async/qrcode.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from ..core.base import BaseAPI
from ..core.http_rules import Timeout
from ..errors import TransportError

__all__ = ["QRCodeAPI"]

#: Where ``showqrcode`` lives (not api.weixin.qq.com).
SHOW_QRCODE_BASE_URL = "https://mp.weixin.qq.com"
#: The longest life of a temporary code: 30 days.
MAX_EXPIRE_SECONDS = 2_592_000


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _action(scene: int | str, *, permanent: bool) -> tuple[str, dict[str, Any]]:
    if isinstance(scene, bool) or not isinstance(scene, (int, str)):
        raise TypeError(f"scene must be an int or a str, not {type(scene).__name__}")
    prefix = "QR_LIMIT_" if permanent else "QR_"
    if isinstance(scene, int):
        return f"{prefix}SCENE", {"scene": {"scene_id": scene}}
    return f"{prefix}STR_SCENE", {"scene": {"scene_str": scene}}


class QRCodeAPI(BaseAPI):
    """Parametric QR codes: temporary (up to 30 days, many) and permanent (up to 100000)."""

    def create_temporary(self, scene: int | str, *, expire_seconds: int = MAX_EXPIRE_SECONDS) -> dict[str, Any]:
        """A temporary code: ``POST /cgi-bin/qrcode/create`` with ``QR_SCENE`` / ``QR_STR_SCENE``.

        An int ``scene`` is a ``scene_id`` (32-bit, non-zero), a str a
        ``scene_str`` (1-64 characters). Returns ``{"ticket",
        "expire_seconds", "url"}``.
        """
        action, info = _action(scene, permanent=False)
        body = {"expire_seconds": expire_seconds, "action_name": action, "action_info": info}
        return self._post("/cgi-bin/qrcode/create", body)

    def create_permanent(self, scene: int | str) -> dict[str, Any]:
        """A permanent code: ``POST /cgi-bin/qrcode/create`` with ``QR_LIMIT_SCENE`` / ``QR_LIMIT_STR_SCENE``.

        An int ``scene`` is a ``scene_id`` in 1..100000, a str a
        ``scene_str`` (1-64 characters). Returns ``{"ticket", "url"}``.
        """
        action, info = _action(scene, permanent=True)
        return self._post("/cgi-bin/qrcode/create", {"action_name": action, "action_info": info})

    def show_url(self, ticket: str, *, base_url: str | None = None) -> str:
        """The image URL of a ticket, ``https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=...`` (no HTTP call).

        The ticket is URL-encoded; the URL needs no access token and may be
        handed to browsers. ``base_url`` replaces ``https://mp.weixin.qq.com``
        (the emulator's URL in tests).
        """
        root = (base_url or SHOW_QRCODE_BASE_URL).rstrip("/")
        return f"{root}/cgi-bin/showqrcode?ticket={quote(ticket, safe='')}"

    def download(
        self,
        ticket: str,
        dest: str | os.PathLike[str] | _Writable | None = None,
        *,
        base_url: str | None = None,
        timeout: Timeout | None = None,
    ) -> bytes:
        """The code's image bytes: ``GET /cgi-bin/showqrcode`` on mp.weixin.qq.com (no access token).

        ``dest`` may be a file path (written) or a binary file object
        (written to); the bytes are returned either way. An unknown or
        expired ticket (WeChat answers HTTP 404) raises
        :class:`~wxkit.errors.TransportError`.
        """
        url = self.show_url(ticket, base_url=base_url)
        response, decoded = self._client.send("GET", url, timeout=timeout, with_token=False, stream=True)
        if decoded is not None or response.status_code != 200:
            self._client.http.close_response(response)
            what = "JSON" if decoded is not None else f"HTTP {response.status_code}"
            raise TransportError(f"GET {url} answered {what}, not an image", method="GET", url=url)
        http = self._client.http
        image = http.read(response, max_size=http.max_download_size, method="GET", url=url)
        if isinstance(dest, (str, os.PathLike)):
            Path(dest).write_bytes(image)
        elif dest is not None:
            dest.write(image)
        return image
