"""Emulator routes for media and content: ``media``, ``material``, ``draft`` and ``freepublish``.

State lives in ``app.data`` (one dict per key, created on first use):

``"media"``
    temporary media: media_id -> ``{"type", "filename", "ext", "content", "content_type", "created_at"}``;
    an id answers 40007 "invalid media_id" three days (emulator time) after upload.
``"material"``
    permanent material: media_id -> ``{"type", "name", "ext", "content", "content_type", "url",
    "title", "introduction", "update_time"}``.
``"article_images"``
    images uploaded with ``media/uploadimg``: url -> bytes.
``"drafts"``
    media_id -> ``{"news_item": [...], "create_time", "update_time"}``.
``"publish_jobs"``
    publish_id (str) -> ``{"publish_id", "publish_status", "article_id", "media_id"}``.
``"published_articles"``
    article_id -> ``{"news_item": [...], "create_time", "update_time", "publish_id"}``.
``"draft_switch"``
    1 when the draft box / publishing is switched on (the default), 0 when off.

Files are checked like WeChat does: an unknown ``type`` answers 40004, a file
extension the type does not allow 40005, an empty file 44001, no ``media``
part 41005 and a file over the size limit the type's size errcode (image
40009, voice 40010, video 40011, thumb 40012). A publish succeeds at once
(``publish_status`` 0) and takes the draft out of the draft box. Every call is
metered by its API path (:class:`~wxkit.testing.routes.QuotaRouter`): 45009
once ``app.quota_limits["/cgi-bin/media/upload"]`` (say) is reached.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, EmulatorResponse, QuotaRouter, WeChatAPIError, as_text, calling_app, ok, require_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["TEMPORARY_MEDIA_LIFETIME", "lookup_media", "router"]

router = QuotaRouter()

#: Seconds a temporary media id stays valid (three days).
TEMPORARY_MEDIA_LIFETIME = 3 * 86400

_KB = 1024
_MB = 1024 * 1024
_MEDIA_TYPES = ("image", "voice", "video", "thumb")
_SIZE_ERRORS = {
    "image": (40009, "invalid image size"),
    "voice": (40010, "invalid voice size"),
    "video": (40011, "invalid video size"),
    "thumb": (40012, "invalid thumb size"),
}
# type -> (allowed extensions, maximum bytes)
_TEMPORARY_RULES: dict[str, tuple[frozenset[str], int]] = {
    "image": (frozenset({"png", "jpeg", "jpg", "gif"}), 10 * _MB),
    "voice": (frozenset({"amr", "mp3"}), 2 * _MB),
    "video": (frozenset({"mp4"}), 10 * _MB),
    "thumb": (frozenset({"jpg", "jpeg"}), 64 * _KB),
}
_MATERIAL_RULES: dict[str, tuple[frozenset[str], int]] = {
    "image": (frozenset({"bmp", "png", "jpeg", "jpg", "gif"}), 10 * _MB),
    "voice": (frozenset({"mp3", "wma", "wav", "amr"}), 2 * _MB),
    "video": (frozenset({"mp4"}), 10 * _MB),
    "thumb": (frozenset({"jpg", "jpeg"}), 64 * _KB),
}
# media/uploadimg: jpg/png "below 1MB"
_ARTICLE_IMAGE_RULE = (frozenset({"jpg", "jpeg", "png"}), _MB - 1)
_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "amr": "audio/amr",
    "mp3": "audio/mpeg",
    "wma": "audio/x-ms-wma",
    "wav": "audio/wav",
    "mp4": "video/mp4",
}
_EXTENSIONS = {ctype: ext for ext, ctype in reversed(_CONTENT_TYPES.items())}
_MEDIA_HOST = "https://mmbiz.wxkit.invalid"
_ARTICLE_HOST = "https://mp.wxkit.invalid"

Handler = Callable[["Emulator", EmulatorRequest, "AppState"], Any]


def _route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register ``handler(emu, req, app)`` on :data:`router` (metered, under the emulator lock)."""

    def register(handler: Handler) -> Handler:
        def serve(emu: Emulator, req: EmulatorRequest) -> Any:
            return handler(emu, req, calling_app(req))

        serve.__doc__ = handler.__doc__
        router.route(method, path)(serve)
        return handler

    return register


def _store(app: AppState, name: str) -> dict[str, Any]:
    store: dict[str, Any] = app.data.setdefault(name, {})
    return store


def _new_id(emu: Emulator, prefix: str) -> str:
    return f"{prefix}_{emu.next_id()}_{os.urandom(6).hex()}"


def _number(req: EmulatorRequest, name: str, default: int) -> int:
    value = req.field(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WeChatAPIError(40097, f"invalid args: {name}")
    return value


def _page(req: EmulatorRequest) -> tuple[int, int, bool]:
    """``offset``, ``count`` (1..20) and ``no_content`` of a batch-get body."""
    offset = _number(req, "offset", 0)
    count = _number(req, "count", 20)
    if offset < 0 or not 1 <= count <= 20:
        raise WeChatAPIError(40097, "invalid args: offset/count")
    return offset, count, req.field("no_content") in (1, True)


def _paged(items: list[dict[str, Any]], offset: int, count: int) -> dict[str, Any]:
    page = items[offset : offset + count]
    return {"total_count": len(items), "item_count": len(page), "item": page}


def _extension(filename: str, content_type: str) -> str:
    ext = os.path.splitext(filename)[1].lstrip(".").lower()
    return ext or _EXTENSIONS.get(content_type.lower(), "")


def _read_upload(req: EmulatorRequest, kind: str, rule: tuple[frozenset[str], int]) -> tuple[str, bytes, str]:
    """Check the ``media`` part against ``rule``; return ``(filename, content, extension)``."""
    part = req.files().get("media")
    if part is None or not part[0]:
        raise WeChatAPIError(41005, "media data missing")
    filename, content, content_type = part
    if not content:
        raise WeChatAPIError(44001, "empty media data")
    allowed, limit = rule
    ext = _extension(filename, content_type)
    if ext not in allowed:
        raise WeChatAPIError(40005, "invalid file type")
    if len(content) > limit:
        raise WeChatAPIError(*_SIZE_ERRORS[kind])
    return filename, content, ext


def _media_type(req: EmulatorRequest) -> str:
    kind = req.query.get("type", "")
    if kind not in _MEDIA_TYPES:
        raise WeChatAPIError(40004, "invalid media type")
    return kind


def _temporary(emu: Emulator, app: AppState, media_id: str) -> dict[str, Any]:
    item: dict[str, Any] | None = _store(app, "media").get(media_id)
    if item is None or emu.now() >= item["created_at"] + TEMPORARY_MEDIA_LIFETIME:
        raise WeChatAPIError(40007, "invalid media_id")
    return item


def _permanent(app: AppState, req: EmulatorRequest) -> tuple[str, dict[str, Any]]:
    media_id = as_text(req.field("media_id"))
    if not media_id:
        raise WeChatAPIError(41006, "media_id missing")
    item: dict[str, Any] | None = _store(app, "material").get(media_id)
    if item is None:
        raise WeChatAPIError(40007, "invalid media_id")
    return media_id, item


def _file_response(name: str, content: bytes, content_type: str) -> EmulatorResponse:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-cache, must-revalidate"}
    return EmulatorResponse(200, content, content_type, headers)


def lookup_media(emu: Emulator, app: AppState, media_id: str) -> dict[str, Any] | None:
    """The temporary (unexpired) or permanent media ``media_id`` of ``app``, or ``None``.

    For other route modules that take media ids (messages, customer service ...).
    The dict has at least ``"type"`` (image, voice, video, thumb) and ``"content"``.
    """
    with emu.lock:
        item: dict[str, Any] | None = _store(app, "media").get(media_id)
        if item is not None and emu.now() < item["created_at"] + TEMPORARY_MEDIA_LIFETIME:
            return item
        found: dict[str, Any] | None = _store(app, "material").get(media_id)
        return found


# -- temporary media -----------------------------------------------------------------
@_route("POST", "/cgi-bin/media/upload")
def media_upload(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Store a temporary media file for three days."""
    kind = _media_type(req)
    filename, content, ext = _read_upload(req, kind, _TEMPORARY_RULES[kind])
    media_id = _new_id(emu, "media")
    created_at = int(emu.now())
    _store(app, "media")[media_id] = {
        "type": kind,
        "filename": filename,
        "ext": ext,
        "content": content,
        "content_type": _CONTENT_TYPES[ext],
        "created_at": created_at,
    }
    return ok(type=kind, media_id=media_id, created_at=created_at)


@_route("GET", "/cgi-bin/media/get")
def media_get(emu: Emulator, req: EmulatorRequest, app: AppState) -> Any:
    """Answer a temporary file's bytes, or ``{"video_url"}`` for a video."""
    media_id = req.query.get("media_id", "")
    item = _temporary(emu, app, media_id)
    if item["type"] == "video":
        return {"video_url": f"{_MEDIA_HOST}/video/{media_id}.mp4"}
    return _file_response(f"{media_id}.{item['ext']}", item["content"], item["content_type"])


@_route("GET", "/cgi-bin/media/get/jssdk")
def media_get_jssdk(emu: Emulator, req: EmulatorRequest, app: AppState) -> Any:
    """Answer a voice as ``voice/speex`` (the emulator does not transcode: the uploaded bytes)."""
    media_id = req.query.get("media_id", "")
    item = _temporary(emu, app, media_id)
    if item["type"] != "voice":
        raise WeChatAPIError(40007, "invalid media_id")
    return _file_response(f"{media_id}.speex", item["content"], "voice/speex")


@_route("POST", "/cgi-bin/media/uploadimg")
def media_uploadimg(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Store an image for article bodies (jpg/png below 1MB); answer its URL."""
    _, content, ext = _read_upload(req, "image", _ARTICLE_IMAGE_RULE)
    url = f"{_MEDIA_HOST}/article/{emu.next_id()}.{ext}"
    _store(app, "article_images")[url] = content
    return ok(url=url)


# -- permanent material ----------------------------------------------------------------
@_route("POST", "/cgi-bin/material/add_material")
def material_add(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Store a permanent material; a video needs the ``description`` form field (JSON)."""
    kind = _media_type(req)
    filename, content, ext = _read_upload(req, kind, _MATERIAL_RULES[kind])
    title = introduction = ""
    if kind == "video":
        raw = req.files().get("description")
        try:
            parsed = json.loads(raw[1]) if raw is not None else None
        except ValueError:
            parsed = None
        description = require_object(parsed, "description")
        title = str(description.get("title", ""))
        introduction = str(description.get("introduction", ""))
    media_id = _new_id(emu, "material")
    url = f"{_MEDIA_HOST}/material/{media_id}.{ext}"
    _store(app, "material")[media_id] = {
        "type": kind,
        "name": filename,
        "ext": ext,
        "content": content,
        "content_type": _CONTENT_TYPES[ext],
        "url": url,
        "title": title,
        "introduction": introduction,
        "update_time": int(emu.now()),
    }
    return ok(media_id=media_id, url=url) if kind == "image" else ok(media_id=media_id)


@_route("POST", "/cgi-bin/material/get_material")
def material_get(emu: Emulator, req: EmulatorRequest, app: AppState) -> Any:
    """Answer a video's JSON, or the file's bytes for other types."""
    media_id, item = _permanent(app, req)
    if item["type"] == "video":
        return {"title": item["title"], "description": item["introduction"], "down_url": item["url"]}
    return _file_response(f"{media_id}.{item['ext']}", item["content"], item["content_type"])


@_route("POST", "/cgi-bin/material/del_material")
def material_delete(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Delete a permanent material."""
    media_id, _ = _permanent(app, req)
    del _store(app, "material")[media_id]
    return ok()


def _listed_type(item: dict[str, Any]) -> str:
    """Thumbs are listed and counted with images."""
    return "image" if item["type"] == "thumb" else str(item["type"])


@_route("GET", "/cgi-bin/material/get_materialcount")
def material_count(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Count permanent material per type (thumbs count as images; no news: add_news is retired)."""
    counts = {"voice_count": 0, "video_count": 0, "image_count": 0, "news_count": 0}
    for item in _store(app, "material").values():
        counts[f"{_listed_type(item)}_count"] += 1
    return counts


@_route("POST", "/cgi-bin/material/batchget_material")
def material_batchget(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """List permanent material of one type (image, video, voice, news), oldest first."""
    kind = as_text(req.field("type"))
    if kind not in ("image", "video", "voice", "news"):
        raise WeChatAPIError(40004, "invalid media type")
    offset, count, _ = _page(req)
    items = [
        {"media_id": media_id, "name": item["name"], "update_time": item["update_time"], "url": item["url"]}
        for media_id, item in _store(app, "material").items()
        if _listed_type(item) == kind
    ]
    return _paged(items, offset, count)


# -- drafts ------------------------------------------------------------------------------
def _article(app: AppState, raw: Any) -> dict[str, Any]:
    """Check one draft article; return the stored copy."""
    kind = require_object(raw).get("article_type") or "news"
    if kind not in ("news", "newspic"):
        raise WeChatAPIError(47001, "data format error: article_type")
    if not isinstance(raw.get("title"), str) or not raw["title"]:
        raise WeChatAPIError(47001, "data format error: title")
    if not isinstance(raw.get("content"), str) or not raw["content"]:
        raise WeChatAPIError(44004, "empty content")
    material = _store(app, "material")
    if kind == "news":
        thumb = material.get(raw.get("thumb_media_id") or "")
        if thumb is None or _listed_type(thumb) != "image":
            raise WeChatAPIError(40007, "invalid media_id")
    else:
        images = (raw.get("image_info") or {}).get("image_list") if isinstance(raw.get("image_info"), dict) else None
        if not isinstance(images, list) or not images:
            raise WeChatAPIError(47001, "data format error: image_info")
        for image in images:
            found = material.get(image.get("image_media_id", "")) if isinstance(image, dict) else None
            if found is None or _listed_type(found) != "image":
                raise WeChatAPIError(40007, "invalid media_id")
    return {**raw, "article_type": kind}


def _rendered(app: AppState, article: dict[str, Any], url: str, *, no_content: bool = False) -> dict[str, Any]:
    """An article as WeChat answers it: with ``url`` and the cover's ``thumb_url``."""
    thumb = _store(app, "material").get(article.get("thumb_media_id") or "")
    shown = {**article, "url": url, "thumb_url": thumb["url"] if thumb else ""}
    if no_content:
        shown.pop("content", None)
    return shown


def _draft(app: AppState, req: EmulatorRequest) -> tuple[str, dict[str, Any]]:
    media_id = as_text(req.field("media_id"))
    draft: dict[str, Any] | None = _store(app, "drafts").get(media_id)
    if draft is None:
        raise WeChatAPIError(40007, "invalid media_id")
    return media_id, draft


def _draft_items(app: AppState, media_id: str, draft: dict[str, Any], no_content: bool = False) -> list[Any]:
    return [
        _rendered(app, article, f"{_ARTICLE_HOST}/draft/{media_id}/{idx}", no_content=no_content)
        for idx, article in enumerate(draft["news_item"], 1)
    ]


@_route("POST", "/cgi-bin/draft/add")
def draft_add(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Save a draft of one or more articles."""
    articles = req.field("articles")
    if not isinstance(articles, list) or not articles:
        raise WeChatAPIError(44003, "empty news data")
    news = [_article(app, article) for article in articles]
    media_id = _new_id(emu, "draft")
    now = int(emu.now())
    _store(app, "drafts")[media_id] = {"news_item": news, "create_time": now, "update_time": now}
    return ok(media_id=media_id)


@_route("POST", "/cgi-bin/draft/get")
def draft_get(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Answer a draft's articles."""
    media_id, draft = _draft(app, req)
    return ok(news_item=_draft_items(app, media_id, draft))


@_route("POST", "/cgi-bin/draft/delete")
def draft_delete(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Delete a draft."""
    media_id, _ = _draft(app, req)
    del _store(app, "drafts")[media_id]
    return ok()


@_route("POST", "/cgi-bin/draft/update")
def draft_update(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Replace the article at ``index`` (0-based) of a draft."""
    _, draft = _draft(app, req)
    index = _number(req, "index", -1)
    if not 0 <= index < len(draft["news_item"]):
        raise WeChatAPIError(40097, "invalid args: index")
    draft["news_item"][index] = _article(app, req.field("articles"))
    draft["update_time"] = int(emu.now())
    return ok()


@_route("GET", "/cgi-bin/draft/count")
def draft_count(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Count drafts."""
    return ok(total_count=len(_store(app, "drafts")))


@_route("POST", "/cgi-bin/draft/batchget")
def draft_batchget(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """List drafts, oldest first."""
    offset, count, no_content = _page(req)
    items = [
        {
            "media_id": media_id,
            "content": {"news_item": _draft_items(app, media_id, draft, no_content)},
            "update_time": draft["update_time"],
        }
        for media_id, draft in _store(app, "drafts").items()
    ]
    return ok(**_paged(items, offset, count))


@_route("POST", "/cgi-bin/draft/switch")
def draft_switch(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Report (``checkonly=1``) or switch on the draft box and publishing."""
    if req.query.get("checkonly") != "1":
        app.data["draft_switch"] = 1
    return ok(is_open=app.data.get("draft_switch", 1))


# -- publishing ----------------------------------------------------------------------------
def _published(app: AppState, req: EmulatorRequest) -> tuple[str, dict[str, Any]]:
    article_id = as_text(req.field("article_id"))
    article: dict[str, Any] | None = _store(app, "published_articles").get(article_id)
    if article is None:
        raise WeChatAPIError(53600, "Article ID 无效")
    return article_id, article


def _published_items(app: AppState, article: dict[str, Any], no_content: bool = False) -> list[Any]:
    return [_rendered(app, item, item["url"], no_content=no_content) for item in article["news_item"]]


@_route("POST", "/cgi-bin/freepublish/submit")
def freepublish_submit(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Publish a draft at once (status 0); the draft leaves the draft box."""
    media_id, draft = _draft(app, req)
    del _store(app, "drafts")[media_id]
    publish_id = emu.next_id()
    article_id = _new_id(emu, "article")
    news = [
        {**article, "url": f"{_ARTICLE_HOST}/s/{article_id}/{idx}", "is_deleted": False}
        for idx, article in enumerate(draft["news_item"], 1)
    ]
    now = int(emu.now())
    _store(app, "published_articles")[article_id] = {
        "news_item": news,
        "create_time": now,
        "update_time": now,
        "publish_id": publish_id,
    }
    _store(app, "publish_jobs")[str(publish_id)] = {
        "publish_id": publish_id,
        "publish_status": 0,
        "article_id": article_id,
        "media_id": media_id,
    }
    return ok(publish_id=publish_id, msg_data_id=str(emu.next_id()))


@_route("POST", "/cgi-bin/freepublish/get")
def freepublish_get(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Answer a publish job's status and, on success, its articles' links."""
    job: dict[str, Any] | None = _store(app, "publish_jobs").get(str(req.field("publish_id", "")))
    if job is None:
        raise WeChatAPIError(53502, "Publish ID 无效")
    answer = {**job, "fail_idx": []}
    answer.pop("media_id")
    if job["publish_status"] == 0:
        article = _store(app, "published_articles")[job["article_id"]]
        links = [{"idx": idx, "article_url": item["url"]} for idx, item in enumerate(article["news_item"], 1)]
        answer["article_detail"] = {"count": len(links), "item": links}
    return ok(**answer)


@_route("POST", "/cgi-bin/freepublish/delete")
def freepublish_delete(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Delete one published article (``index`` from 1) or all of them (``index`` 0 or absent)."""
    _, article = _published(app, req)
    index = _number(req, "index", 0)
    items = article["news_item"]
    if not 0 <= index <= len(items):
        raise WeChatAPIError(40097, "invalid args: index")
    for item in items if index == 0 else [items[index - 1]]:
        item["is_deleted"] = True
    article["update_time"] = int(emu.now())
    if all(item["is_deleted"] for item in items):
        _store(app, "publish_jobs")[str(article["publish_id"])]["publish_status"] = 5
    return ok()


@_route("POST", "/cgi-bin/freepublish/getarticle")
def freepublish_getarticle(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """Answer a published article's items (deleted ones flagged ``is_deleted``)."""
    _, article = _published(app, req)
    return ok(news_item=_published_items(app, article))


@_route("POST", "/cgi-bin/freepublish/batchget")
def freepublish_batchget(emu: Emulator, req: EmulatorRequest, app: AppState) -> dict[str, Any]:
    """List published articles, oldest first."""
    offset, count, no_content = _page(req)
    items = [
        {
            "article_id": article_id,
            "content": {
                "news_item": _published_items(app, article, no_content),
                "create_time": article["create_time"],
                "update_time": article["update_time"],
            },
            "update_time": article["update_time"],
        }
        for article_id, article in _store(app, "published_articles").items()
    ]
    return ok(**_paged(items, offset, count))
