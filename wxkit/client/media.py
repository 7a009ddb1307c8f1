"""The ``media`` API group (``client.media``): temporary media, valid for three days.

::

    media_id = client.media.upload("image", "photo.jpg")["media_id"]
    client.media.download(media_id, "copy.jpg")         # streamed to disk in chunks

Files to upload may be given as a path, a binary file object or a
``(filename, bytes or file object)`` pair; the content type is guessed from the
file name. An upload is sent once and never re-sent (it could store the file
twice). Downloads are streamed to a path or a binary file object and never
held in memory whole.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
from collections.abc import Iterator, Mapping
from email.message import Message
from typing import IO, TYPE_CHECKING, Any

import requests

from ..errors import TransportError
from .base import BaseAPI
from .http import redact_url

if TYPE_CHECKING:
    from . import Client

__all__ = ["DownloadTarget", "MediaAPI", "UploadFile"]

#: A file to upload: a path, a binary file object, or ``(filename, bytes or binary file object)``.
UploadFile = str | os.PathLike[str] | IO[bytes] | tuple[str, bytes | IO[bytes]]
#: Where a download goes: a path (created or truncated) or a binary file object (written to).
DownloadTarget = str | os.PathLike[str] | IO[bytes]

_CHUNK = 64 * 1024


@contextlib.contextmanager
def _open_upload(file: UploadFile, *, default_name: str = "media") -> Iterator[tuple[str, bytes | IO[bytes], str]]:
    """Yield the multipart ``(filename, content, content type)`` for ``file``; a path is opened and closed."""
    if isinstance(file, tuple):
        filename, content = file
        yield filename, content, _guess_type(filename)
    elif isinstance(file, (str, os.PathLike)):
        filename = os.path.basename(os.fspath(file))
        with open(file, "rb") as handle:
            yield filename, handle, _guess_type(filename)
    elif hasattr(file, "read"):
        name = getattr(file, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else default_name
        yield filename, file, _guess_type(filename)
    else:
        raise TypeError(f"cannot upload a {type(file).__name__}: give a path, a binary file or (filename, bytes)")


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _disposition_filename(value: str) -> str:
    if not value:
        return ""
    message = Message()
    message["Content-Disposition"] = value
    return message.get_filename() or ""


def _stream_download(
    client: Client,
    method: str,
    path: str,
    dest: DownloadTarget | None,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
) -> dict[str, Any] | bytes:
    """Send a download call; return WeChat's JSON, the bytes (``dest`` None) or what was written.

    A JSON answer (an errcode raises, a video answers a URL) is returned as is
    and nothing is written. Otherwise the body is streamed to ``dest`` in
    chunks and ``{"size", "content_type", "filename"}`` is returned; a path
    left half-written by a failure is removed.
    """
    response, decoded = client.send(method, path, params=params, json=json, idempotent=True, stream=True)
    if decoded is not None:
        return decoded
    safe_url = redact_url(client.http.url(path), params)
    info = {
        "size": 0,
        "content_type": response.headers.get("Content-Type", ""),
        "filename": _disposition_filename(response.headers.get("Content-Disposition", "")),
    }
    with response:
        try:
            if dest is None:
                return response.content
            if isinstance(dest, (str, os.PathLike)):
                try:
                    with open(dest, "wb") as handle:
                        info["size"] = _copy(response, handle)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.remove(dest)
                    raise
            else:
                info["size"] = _copy(response, dest)
        except requests.RequestException as exc:
            raise TransportError(
                f"{method} {safe_url} download interrupted: {type(exc).__name__}", method=method, url=safe_url
            ) from None
    return info


def _copy(response: requests.Response, handle: IO[bytes]) -> int:
    size = 0
    for chunk in response.iter_content(_CHUNK):
        handle.write(chunk)
        size += len(chunk)
    return size


def _download(result: dict[str, Any] | bytes) -> dict[str, Any]:
    assert isinstance(result, dict)  # bytes only when no dest is given
    return result


class MediaAPI(BaseAPI):
    """Temporary media: upload and download files kept three days (``/cgi-bin/media/*``)."""

    def upload(self, media_type: str, file: UploadFile) -> dict[str, Any]:
        """Upload a temporary file: ``POST /cgi-bin/media/upload?type=...``.

        ``media_type`` is ``"image"`` (PNG/JPEG/GIF, 10 MB), ``"voice"``
        (AMR/MP3, 2 MB, 60 s), ``"video"`` (MP4, 10 MB) or ``"thumb"`` (JPG,
        64 KB). Returns ``{"type", "media_id", "created_at"}``; the id is
        valid for three days. Never re-sent after it may have reached WeChat.
        """
        with _open_upload(file) as part:
            return self._client.post("/cgi-bin/media/upload", params={"type": media_type}, files={"media": part})

    def download(self, media_id: str, dest: DownloadTarget) -> dict[str, Any]:
        """Stream a temporary file to ``dest``: ``GET /cgi-bin/media/get``.

        ``dest`` is a path or a binary file object. Returns
        ``{"size", "content_type", "filename"}`` of what was written; for a
        video WeChat answers ``{"video_url": ...}`` instead, returned as is
        with nothing written. An expired or unknown id raises
        :class:`~wxkit.errors.InvalidArgumentError` (40007).
        """
        return _download(
            _stream_download(self._client, "GET", "/cgi-bin/media/get", dest, params={"media_id": media_id})
        )

    def get_hd_voice(self, media_id: str, dest: DownloadTarget) -> dict[str, Any]:
        """Stream a JSSDK ``uploadVoice`` recording as 16 kHz speex: ``GET /cgi-bin/media/get/jssdk``.

        Same arguments and result as :meth:`download`.
        """
        return _download(
            _stream_download(self._client, "GET", "/cgi-bin/media/get/jssdk", dest, params={"media_id": media_id})
        )

    def upload_image(self, file: UploadFile) -> str:
        """Upload an image for article bodies and return its URL: ``POST /cgi-bin/media/uploadimg``.

        JPG or PNG below 1 MB; it does not count against the material library.
        """
        with _open_upload(file) as part:
            return str(self._client.post("/cgi-bin/media/uploadimg", files={"media": part})["url"])
