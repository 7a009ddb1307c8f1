"""The ``draft`` API group (``client.draft``): the draft box, where articles are written before publishing.

::

    cover = client.material.add("image", "cover.jpg")["media_id"]
    media_id = client.draft.add([{"title": "Hello", "content": "<p>Hi</p>", "thumb_media_id": cover}])
    client.freepublish.submit(media_id)

An article is a dict of WeChat's fields: ``title``, ``content`` (HTML; images
from ``client.media.upload_image``), ``thumb_media_id`` (a permanent image),
and optionally ``author``, ``digest``, ``content_source_url``,
``need_open_comment``, ``only_fans_can_comment``, ``article_type``
(``"news"`` or ``"newspic"``) ...
"""
# Generated from wxkit/client/_async/draft.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.base import BaseAPI

__all__ = ["DraftAPI"]


class DraftAPI(BaseAPI):
    """The draft box: add, read, update, list and delete drafts (``/cgi-bin/draft/*``)."""

    def add(self, articles: Sequence[Mapping[str, Any]]) -> str:
        """Save a draft of one or more articles and return its ``media_id``: ``POST /cgi-bin/draft/add``."""
        path = "/cgi-bin/draft/add"
        result = self._post(path, json={"articles": [dict(article) for article in articles]})
        return self._field(result, "media_id", str, path=path)

    def get(self, media_id: str) -> dict[str, Any]:
        """Read a draft: ``POST /cgi-bin/draft/get``; returns ``{"news_item": [...]}``."""
        return self._post("/cgi-bin/draft/get", json={"media_id": media_id}, idempotent=True)

    def delete(self, media_id: str) -> dict[str, Any]:
        """Delete a draft (cannot be undone): ``POST /cgi-bin/draft/delete``."""
        return self._post("/cgi-bin/draft/delete", json={"media_id": media_id})

    def update(self, media_id: str, index: int, article: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the article at ``index`` (0 is the first) of a draft: ``POST /cgi-bin/draft/update``."""
        body = {"media_id": media_id, "index": index, "articles": dict(article)}
        return self._post("/cgi-bin/draft/update", json=body)

    def count(self) -> dict[str, Any]:
        """Count the drafts: ``GET /cgi-bin/draft/count``; returns ``{"total_count": n}``."""
        return self._get("/cgi-bin/draft/count")

    def batch_get(self, *, offset: int = 0, count: int = 20, no_content: bool = False) -> dict[str, Any]:
        """List drafts: ``POST /cgi-bin/draft/batchget``.

        ``count`` is 1 to 20; ``no_content=True`` leaves out the articles'
        ``content``. Returns ``{"total_count", "item_count", "item": [...]}``,
        each item ``{"media_id", "content": {"news_item": [...]}, "update_time"}``.
        """
        body = {"offset": offset, "count": count, "no_content": 1 if no_content else 0}
        return self._post("/cgi-bin/draft/batchget", json=body, idempotent=True)

    def switch(self, *, checkonly: bool = False) -> dict[str, Any]:
        """Switch on the draft box and publishing for the account: ``POST /cgi-bin/draft/switch``.

        With ``checkonly=True`` only report the state. Returns ``{"is_open": 0 or 1}``.
        Switching on cannot be undone.
        """
        params = {"checkonly": 1} if checkonly else None
        return self._post("/cgi-bin/draft/switch", params=params, idempotent=checkonly)
