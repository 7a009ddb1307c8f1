"""The ``material`` API group (``client.material``): the permanent material library.

::

    cover = client.material.add("image", "cover.jpg")           # {"media_id", "url"}
    client.material.add("video", "intro.mp4", title="Intro", introduction="Our shop")
    for item in client.material.iter_all("image"):
        print(item["media_id"], item["name"])

Uploads take the same file forms as :mod:`wxkit.client.media` and are never
re-sent. Articles ("news") are made with the draft box (``client.draft``); the
old ``add_news`` endpoint is retired by WeChat.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, overload

from ...core._async.base import AsyncBaseAPI, DownloadTarget, UploadFile

__all__ = ["AsyncMaterialAPI"]


class AsyncMaterialAPI(AsyncBaseAPI):
    """Permanent material: add, fetch, list, count and delete (``/cgi-bin/material/*``)."""

    async def add(
        self,
        material_type: str,
        file: UploadFile,
        *,
        title: str | None = None,
        introduction: str | None = None,
    ) -> dict[str, Any]:
        """Add a permanent material: ``POST /cgi-bin/material/add_material?type=...``.

        ``material_type`` is ``"image"`` (BMP/PNG/JPEG/GIF, 10 MB), ``"voice"``
        (MP3/WMA/WAV/AMR, 2 MB), ``"video"`` (MP4, 10 MB) or ``"thumb"`` (JPG,
        64 KB). A video is sent with the ``description`` form field
        ``{"title", "introduction"}``. Returns ``{"media_id"}``, plus ``"url"``
        for an image. Never re-sent after it may have reached WeChat.
        """
        data = None
        if material_type == "video" or title is not None or introduction is not None:
            description = {"title": title or "", "introduction": introduction or ""}
            data = {"description": json.dumps(description, ensure_ascii=False)}
        return await self._upload("/cgi-bin/material/add_material", file, params={"type": material_type}, data=data)

    @overload
    async def get(self, media_id: str, *, dest: None = None) -> dict[str, Any] | bytes: ...

    @overload
    async def get(self, media_id: str, *, dest: DownloadTarget) -> dict[str, Any]: ...

    async def get(self, media_id: str, *, dest: DownloadTarget | None = None) -> dict[str, Any] | bytes:
        """Fetch a permanent material: ``POST /cgi-bin/material/get_material``.

        A video answers JSON ``{"title", "description", "down_url"}`` (and an
        old article ``{"news_item": [...]}``), returned as is. Other types are
        files: streamed to ``dest`` (a path or binary file object) returning
        ``{"size", "content_type", "filename"}``, or returned as ``bytes`` when
        ``dest`` is ``None``. An unknown id raises
        :class:`~wxkit.errors.InvalidArgumentError` (40007).
        """
        return await self._download("POST", "/cgi-bin/material/get_material", dest, json={"media_id": media_id})

    async def delete(self, media_id: str) -> dict[str, Any]:
        """Delete a permanent material: ``POST /cgi-bin/material/del_material``."""
        return await self._post("/cgi-bin/material/del_material", json={"media_id": media_id})

    async def count(self) -> dict[str, Any]:
        """Count the library: ``GET /cgi-bin/material/get_materialcount``.

        Returns ``{"voice_count", "video_count", "image_count", "news_count"}``.
        """
        return await self._get("/cgi-bin/material/get_materialcount")

    async def batch_get(self, material_type: str, *, offset: int = 0, count: int = 20) -> dict[str, Any]:
        """List one type of material: ``POST /cgi-bin/material/batchget_material``.

        ``material_type`` is ``"image"``, ``"video"``, ``"voice"`` or
        ``"news"``; ``count`` is 1 to 20. Returns ``{"total_count",
        "item_count", "item": [...]}`` (items carry ``media_id``, ``name``,
        ``update_time``, ``url``). A read: re-sent on transient failures.
        """
        body = {"type": material_type, "offset": offset, "count": count}
        return await self._post("/cgi-bin/material/batchget_material", json=body, idempotent=True)

    async def iter_all(self, material_type: str, *, page_size: int = 20) -> AsyncIterator[dict[str, Any]]:
        """Yield every item of one type, paging through :meth:`batch_get` (``batchget_material``)."""
        offset = 0
        while True:
            page = await self.batch_get(material_type, offset=offset, count=page_size)
            items = page.get("item") or []
            for item in items:
                yield item
            offset += len(items)
            if not items or offset >= int(page.get("total_count", 0)):
                return
