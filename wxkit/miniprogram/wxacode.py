"""The ``wxacode`` API group (``client.wxacode``): mini-program codes (小程序码) and QR codes.

::

    image = client.wxacode.get_unlimited("id=42", page="pages/item/item")   # JPEG bytes
    client.wxacode.get("pages/index/index?from=poster", dest="poster.jpg")  # written to a file too

WeChat answers an image on success and a JSON error otherwise; every answer
is checked here: a JSON body (whatever its content type) raises the
:class:`~wxkit.errors.APIError` it carries, and a body that is neither JSON
nor a JPEG / PNG / GIF image raises :class:`~wxkit.errors.TransportError`,
so error bytes are never handed on as an image. ``get_unlimited``'s
``scene`` is checked before sending (1-32 characters among digits, letters
and ``!#$&'()*+,/:;=?@-._~``): anything else raises the
:class:`~wxkit.errors.InvalidArgumentError` WeChat answers for it (40169).
``get`` and ``create_qrcode`` share a limit of 100,000 codes per mini
program (45029 once reached); ``get_unlimited`` has none.
"""
# Generated from wxkit/miniprogram/_async/wxacode.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ..errors import ParseError, TransportError, api_error
from ..jsoncodec import load_json
from ._base import MiniProgramAPI

__all__ = ["SCENE_PATTERN", "WxaCodeAPI"]

#: What WeChat accepts as ``scene``: 1-32 visible characters among digits, letters and ``!#$&'()*+,/:;=?@-._~``.
SCENE_PATTERN = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")
#: The longest ``path`` of ``get`` / ``create_qrcode`` (query included).
MAX_PATH_LENGTH = 1024
_ENV_VERSIONS = ("release", "trial", "develop")
_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _options(
    *,
    width: int | None,
    auto_color: bool | None,
    line_color: Mapping[str, int] | None,
    is_hyaline: bool | None,
    env_version: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if width is not None:
        body["width"] = width
    if auto_color is not None:
        body["auto_color"] = auto_color
    if line_color is not None:
        body["line_color"] = dict(line_color)
    if is_hyaline is not None:
        body["is_hyaline"] = is_hyaline
    if env_version is not None:
        if env_version not in _ENV_VERSIONS:
            raise ValueError(f"env_version must be one of {_ENV_VERSIONS}, not {env_version!r}")
        body["env_version"] = env_version
    return body


class WxaCodeAPI(MiniProgramAPI):
    """Mini-program codes: ``get`` (limited, with a path), ``get_unlimited`` (a scene), ``create_qrcode``."""

    def get(
        self,
        path: str,
        *,
        width: int | None = None,
        auto_color: bool | None = None,
        line_color: Mapping[str, int] | None = None,
        is_hyaline: bool | None = None,
        env_version: str | None = None,
        dest: str | os.PathLike[str] | _Writable | None = None,
    ) -> bytes:
        """A mini-program code for a page with its query: ``POST /wxa/getwxacode``.

        ``path`` (``pages/index/index?foo=bar``, at most 1024 characters);
        ``width`` 280-1280 px (430); ``line_color`` ``{"r", "g", "b"}``;
        ``is_hyaline`` a transparent background (PNG); ``env_version``
        ``release`` / ``trial`` / ``develop``. Returns the image bytes (also
        written to ``dest``, a path or a binary file object, when given).
        """
        api = "/wxa/getwxacode"
        body = {"path": self._path(path, api=api, errcode=40159)}
        body |= _options(
            width=width, auto_color=auto_color, line_color=line_color, is_hyaline=is_hyaline, env_version=env_version
        )
        return self._image(api, body, dest)

    def get_unlimited(
        self,
        scene: str,
        *,
        page: str | None = None,
        check_path: bool | None = None,
        width: int | None = None,
        auto_color: bool | None = None,
        line_color: Mapping[str, int] | None = None,
        is_hyaline: bool | None = None,
        env_version: str | None = None,
        dest: str | os.PathLike[str] | _Writable | None = None,
    ) -> bytes:
        """A mini-program code carrying ``scene``, without limit: ``POST /wxa/getwxacodeunlimit``.

        ``scene`` reaches the page as ``query.scene``: 1-32 characters among
        digits, letters and ``!#$&'()*+,/:;=?@-._~`` (checked before
        sending: 40169 otherwise; encode anything else yourself). ``page`` is
        a published page without a query (``pages/item/item``; the home page
        by default); ``check_path=False`` allows an unpublished page. The
        other options are :meth:`get`'s. An unknown page answers 41030.
        """
        api = "/wxa/getwxacodeunlimit"
        if not isinstance(scene, str) or not SCENE_PATTERN.fullmatch(scene):
            raise self._refuse(
                40169,
                "invalid length for scene: 1-32 characters among 0-9 A-Z a-z !#$&'()*+,/:;=?@-._~ "
                "(checked before sending)",
                path=api,
            )
        body: dict[str, Any] = {"scene": scene}
        if page is not None:
            body["page"] = page
        if check_path is not None:
            body["check_path"] = check_path
        body |= _options(
            width=width, auto_color=auto_color, line_color=line_color, is_hyaline=is_hyaline, env_version=env_version
        )
        return self._image(api, body, dest)

    def create_qrcode(
        self, path: str, *, width: int | None = None, dest: str | os.PathLike[str] | _Writable | None = None
    ) -> bytes:
        """A classic square QR code opening ``path``: ``POST /cgi-bin/wxaapp/createwxaqrcode``.

        ``path`` at most 1024 characters (40159 otherwise); ``width`` 280-1280 px.
        """
        api = "/cgi-bin/wxaapp/createwxaqrcode"
        body: dict[str, Any] = {"path": self._path(path, api=api, errcode=40159)}
        if width is not None:
            body["width"] = width
        return self._image(api, body, dest)

    def _path(self, path: str, *, api: str, errcode: int) -> str:
        if not isinstance(path, str) or not path or len(path) > MAX_PATH_LENGTH:
            raise self._refuse(
                errcode, f"invalid length for path: 1-{MAX_PATH_LENGTH} characters (checked before sending)", path=api
            )
        return path

    def _image(self, path: str, body: dict[str, Any], dest: str | os.PathLike[str] | _Writable | None) -> bytes:
        """POST ``body`` and return the image; a JSON answer raises its errcode, anything else not an image too."""
        client = self._client
        http = client.http
        url = http.url(path)
        response, decoded = client.send("POST", path, json=body, stream=True)
        if decoded is not None:  # JSON with errcode 0 and no image: not what WeChat answers
            raise TransportError(f"POST {url} answered JSON without an image", method="POST", url=url)
        try:
            image = http.read(response, max_size=http.max_download_size, method="POST", url=url)
        finally:
            http.close_response(response)
        _check_image(image, url)
        if isinstance(dest, (str, os.PathLike)):
            Path(dest).write_bytes(image)
        elif dest is not None:
            dest.write(image)
        return image


def _check_image(image: bytes, url: str) -> None:
    """Raise the APIError of a JSON error body sent under an image type, or a TransportError for non-images."""
    if image.lstrip()[:1] == b"{":
        try:
            data = load_json(image, what="the answer")
        except ParseError:  # not JSON after all: judged as an image below
            data = None
        if isinstance(data, dict) and data.get("errcode") not in (None, 0, "0"):
            try:
                errcode = int(data["errcode"])
            except (TypeError, ValueError, OverflowError):
                errcode = -2
            raise api_error(errcode, str(data.get("errmsg", "")), method="POST", url=url, response=data)
    if not image.startswith(_IMAGE_SIGNATURES):
        raise TransportError(f"POST {url} answered a body that is not an image", method="POST", url=url)
