"""Temporary media (素材管理): upload, streamed download, ``uploadimg``, asynchronous upload by URL.

Temporary media (``image``, ``voice``, ``video``, ``file``) live three days;
an image uploaded with :meth:`AsyncMediaAPI.upload_image` gets a lasting URL
(for news and mpnews bodies). Large files (up to 200 MB) are fetched by
WeCom itself from a URL: :meth:`AsyncMediaAPI.upload_by_url` then
:meth:`AsyncMediaAPI.get_upload_by_url_result`.
"""

from __future__ import annotations

from typing import Any, overload

from ...core._async.base import DownloadTarget, UploadFile
from ..models import UploadByUrlResult, UploadedMedia
from ._base import AsyncWorkAPI

__all__ = ["AsyncMediaAPI", "MEDIA_TYPES"]

#: The types of temporary media.
MEDIA_TYPES = frozenset({"image", "voice", "video", "file"})


class AsyncMediaAPI(AsyncWorkAPI):
    """``client.media``: temporary media and images."""

    async def upload(self, media_type: str, file: UploadFile) -> UploadedMedia:
        """Upload a temporary medium (valid 3 days): ``POST /cgi-bin/media/upload?type=...``. Never re-sent."""
        path = "/cgi-bin/media/upload"
        if media_type not in MEDIA_TYPES:
            raise self._refuse(40004, f"invalid media type {media_type!r} (checked before sending)", path=path)
        answer = await self._upload(path, file, params={"type": media_type})
        return self._model(UploadedMedia.from_dict, answer, path=path)

    @overload
    async def download(self, media_id: str, dest: DownloadTarget) -> dict[str, Any]: ...

    @overload
    async def download(self, media_id: str, dest: None = None) -> dict[str, Any] | bytes: ...

    async def download(self, media_id: str, dest: DownloadTarget | None = None) -> dict[str, Any] | bytes:
        """Fetch a temporary medium: ``GET /cgi-bin/media/get``, streamed.

        Without ``dest`` the bytes are returned; with a path or a binary file
        the body is streamed there and ``{"size", "content_type", "filename"}``
        returned. An unknown ``media_id`` raises (40007).
        """
        return await self._download("GET", "/cgi-bin/media/get", dest, params={"media_id": media_id})

    async def upload_image(self, file: UploadFile) -> str:
        """Upload an image for message bodies: ``POST /cgi-bin/media/uploadimg``; return its lasting URL."""
        path = "/cgi-bin/media/uploadimg"
        answer = await self._upload(path, file)
        return self._field(answer, "url", str, path=path)

    async def upload_by_url(
        self, url: str, filename: str, md5: str, *, media_type: str = "video", scene: int = 1
    ) -> str:
        """Have WeCom fetch a large file (``video`` or ``file``): ``POST /cgi-bin/media/upload_by_url``; the jobid."""
        path = "/cgi-bin/media/upload_by_url"
        if media_type not in ("video", "file"):
            raise self._refuse(40004, "upload_by_url takes media_type 'video' or 'file'", path=path)
        body = {"scene": scene, "type": media_type, "filename": filename, "url": url, "md5": md5}
        answer = await self._post(path, body)
        return self._field(answer, "jobid", str, path=path)

    async def get_upload_by_url_result(self, jobid: str) -> UploadByUrlResult:
        """An upload-by-URL job's status and, once done, its media: ``POST /cgi-bin/media/get_upload_by_url_result``."""
        path = "/cgi-bin/media/get_upload_by_url_result"
        answer = await self._post(path, {"jobid": jobid}, idempotent=True)
        return self._model(UploadByUrlResult.from_dict, answer, path=path)
