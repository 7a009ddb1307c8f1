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

from typing import Any

from ...core._async.base import AsyncBaseAPI, DownloadTarget, UploadFile

__all__ = ["AsyncMediaAPI", "DownloadTarget", "UploadFile"]


class AsyncMediaAPI(AsyncBaseAPI):
    """Temporary media: upload and download files kept three days (``/cgi-bin/media/*``)."""

    async def upload(self, media_type: str, file: UploadFile) -> dict[str, Any]:
        """Upload a temporary file: ``POST /cgi-bin/media/upload?type=...``.

        ``media_type`` is ``"image"`` (PNG/JPEG/GIF, 10 MB), ``"voice"``
        (AMR/MP3, 2 MB, 60 s), ``"video"`` (MP4, 10 MB) or ``"thumb"`` (JPG,
        64 KB). Returns ``{"type", "media_id", "created_at"}``; the id is
        valid for three days. Never re-sent after it may have reached WeChat.
        """
        return await self._upload("/cgi-bin/media/upload", file, params={"type": media_type})

    async def download(self, media_id: str, dest: DownloadTarget) -> dict[str, Any]:
        """Stream a temporary file to ``dest``: ``GET /cgi-bin/media/get``.

        ``dest`` is a path or a binary file object. Returns
        ``{"size", "content_type", "filename"}`` of what was written; for a
        video WeChat answers ``{"video_url": ...}`` instead, returned as is
        with nothing written. An expired or unknown id raises
        :class:`~wxkit.errors.InvalidArgumentError` (40007).
        """
        return await self._download("GET", "/cgi-bin/media/get", dest, params={"media_id": media_id})

    async def get_hd_voice(self, media_id: str, dest: DownloadTarget) -> dict[str, Any]:
        """Stream a JSSDK ``uploadVoice`` recording as 16 kHz speex: ``GET /cgi-bin/media/get/jssdk``.

        Same arguments and result as :meth:`download`.
        """
        return await self._download("GET", "/cgi-bin/media/get/jssdk", dest, params={"media_id": media_id})

    async def upload_image(self, file: UploadFile) -> str:
        """Upload an image for article bodies and return its URL: ``POST /cgi-bin/media/uploadimg``.

        JPG or PNG below 1 MB; it does not count against the material library.
        """
        path = "/cgi-bin/media/uploadimg"
        return self._field(await self._upload(path, file), "url", str, path=path)
