"""Temporary media (素材管理): upload, streamed download, ``uploadimg``, asynchronous upload by URL.

Temporary media (``image``, ``voice``, ``video``, ``file``) live three days;
an image uploaded with :meth:`MediaAPI.upload_image` gets a lasting URL
(for news and mpnews bodies). Large files (up to 200 MB) are fetched by
WeCom itself from a URL: :meth:`MediaAPI.upload_by_url` then
:meth:`MediaAPI.get_upload_by_url_result`.
"""
# Generated from wxkit/work/_async/media.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from typing import Any, overload

from ..core.base import DownloadTarget, UploadFile
from ._base import WorkAPI
from .models import UploadByUrlResult, UploadedMedia

__all__ = ["MEDIA_TYPES", "MediaAPI"]

#: The types of temporary media.
MEDIA_TYPES = frozenset({"image", "voice", "video", "file"})


class MediaAPI(WorkAPI):
    """``client.media``: temporary media and images."""

    def upload(self, media_type: str, file: UploadFile) -> UploadedMedia:
        """Upload a temporary medium (valid 3 days): ``POST /cgi-bin/media/upload?type=...``. Never re-sent."""
        path = "/cgi-bin/media/upload"
        if media_type not in MEDIA_TYPES:
            raise self._refuse(40004, f"invalid media type {media_type!r} (checked before sending)", path=path)
        answer = self._upload(path, file, params={"type": media_type})
        return self._model(UploadedMedia.from_dict, answer, path=path)

    @overload
    def download(self, media_id: str, dest: DownloadTarget) -> dict[str, Any]: ...

    @overload
    def download(self, media_id: str, dest: None = None) -> dict[str, Any] | bytes: ...

    def download(self, media_id: str, dest: DownloadTarget | None = None) -> dict[str, Any] | bytes:
        """Fetch a temporary medium: ``GET /cgi-bin/media/get``, streamed.

        Without ``dest`` the bytes are returned; with a path or a binary file
        the body is streamed there and ``{"size", "content_type", "filename"}``
        returned. An unknown ``media_id`` raises (40007).
        """
        return self._download("GET", "/cgi-bin/media/get", dest, params={"media_id": media_id})

    def upload_image(self, file: UploadFile) -> str:
        """Upload an image for message bodies: ``POST /cgi-bin/media/uploadimg``; return its lasting URL."""
        path = "/cgi-bin/media/uploadimg"
        answer = self._upload(path, file)
        return self._field(answer, "url", str, path=path)

    def upload_by_url(self, url: str, filename: str, md5: str, *, media_type: str = "video", scene: int = 1) -> str:
        """Have WeCom fetch a large file (``video`` or ``file``): ``POST /cgi-bin/media/upload_by_url``; the jobid."""
        path = "/cgi-bin/media/upload_by_url"
        if media_type not in ("video", "file"):
            raise self._refuse(40004, "upload_by_url takes media_type 'video' or 'file'", path=path)
        body = {"scene": scene, "type": media_type, "filename": filename, "url": url, "md5": md5}
        answer = self._post(path, body)
        return self._field(answer, "jobid", str, path=path)

    def get_upload_by_url_result(self, jobid: str) -> UploadByUrlResult:
        """An upload-by-URL job's status and, once done, its media: ``POST /cgi-bin/media/get_upload_by_url_result``."""
        path = "/cgi-bin/media/get_upload_by_url_result"
        answer = self._post(path, {"jobid": jobid}, idempotent=True)
        return self._model(UploadByUrlResult.from_dict, answer, path=path)
