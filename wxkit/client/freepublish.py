"""The ``freepublish`` API group (``client.freepublish``): publishing drafts as articles.

::

    publish_id = client.freepublish.submit(draft_media_id)
    status = client.freepublish.get(publish_id)       # publish_status 0: published
    if status["publish_status"] == 0:
        article = client.freepublish.get_article(status["article_id"])

Publishing is asynchronous at WeChat: :meth:`FreePublishAPI.submit` only
queues the job; poll :meth:`FreePublishAPI.get` (or handle the
``PUBLISHJOBFINISH`` event). A published article is not pushed to followers.
"""
# Generated from wxkit/client/_async/freepublish.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from typing import Any

from ..core.base import BaseAPI

__all__ = ["FreePublishAPI"]


class FreePublishAPI(BaseAPI):
    """Publishing: submit drafts, poll jobs, read, list and delete articles (``/cgi-bin/freepublish/*``)."""

    def submit(self, media_id: str) -> str:
        """Publish a draft and return the job's ``publish_id`` (as a string): ``POST /cgi-bin/freepublish/submit``.

        The draft leaves the draft box. Never re-sent after it may have reached WeChat.
        """
        path = "/cgi-bin/freepublish/submit"
        return self._field(self._post(path, json={"media_id": media_id}), "publish_id", str, path=path)

    def get(self, publish_id: str | int) -> dict[str, Any]:
        """Poll a publish job: ``POST /cgi-bin/freepublish/get``.

        Returns ``{"publish_id", "publish_status", "article_id",
        "article_detail": {"count", "item": [{"idx", "article_url"}]}, "fail_idx"}``.
        ``publish_status``: 0 published, 1 publishing, 2 originality check
        failed, 3 failed, 4 refused by review, 5 all articles deleted, 6 all
        articles banned.
        """
        return self._post("/cgi-bin/freepublish/get", json={"publish_id": str(publish_id)}, idempotent=True)

    def delete(self, article_id: str, *, index: int = 0) -> dict[str, Any]:
        """Delete published articles (cannot be undone): ``POST /cgi-bin/freepublish/delete``.

        ``index`` is the article's position, counted from 1; 0 deletes them all.
        """
        return self._post("/cgi-bin/freepublish/delete", json={"article_id": article_id, "index": index})

    def get_article(self, article_id: str) -> dict[str, Any]:
        """Read a published article: ``POST /cgi-bin/freepublish/getarticle``; returns ``{"news_item": [...]}``."""
        return self._post("/cgi-bin/freepublish/getarticle", json={"article_id": article_id}, idempotent=True)

    def batch_get(self, *, offset: int = 0, count: int = 20, no_content: bool = False) -> dict[str, Any]:
        """List published articles: ``POST /cgi-bin/freepublish/batchget``.

        ``count`` is 1 to 20; ``no_content=True`` leaves out ``content``.
        Returns ``{"total_count", "item_count", "item": [...]}``, each item
        ``{"article_id", "content": {"news_item": [...], ...}, "update_time"}``.
        """
        body = {"offset": offset, "count": count, "no_content": 1 if no_content else 0}
        return self._post("/cgi-bin/freepublish/batchget", json=body, idempotent=True)
