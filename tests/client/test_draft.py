"""client.draft against the emulator: the draft box end to end, with WeChat's errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from wxkit import APIError, Client, InvalidArgumentError
from wxkit.testing import AppState


@contextlib.contextmanager
def _raises(client: Client, cls: type[APIError], errcode: int) -> Iterator[None]:
    """Expect ``cls`` with ``errcode``, its message free of the access token."""
    with pytest.raises(cls) as info:
        yield
    assert info.value.errcode == errcode
    assert client.access_token not in str(info.value)


@pytest.fixture
def cover(wechat_client: Client) -> str:
    return str(wechat_client.material.add("thumb", ("cover.jpg", b"\xff\xd8\xff"))["media_id"])


def _article(cover: str, title: str = "Hello", **fields: Any) -> dict[str, Any]:
    return {"title": title, "content": f"<p>{title}</p>", "thumb_media_id": cover, "author": "wxkit", **fields}


def test_add_and_get(wechat_client: Client, wechat_app: AppState, cover: str) -> None:
    media_id = wechat_client.draft.add([_article(cover, "One"), _article(cover, "Two", need_open_comment=1)])
    stored = wechat_app.data["drafts"][media_id]["news_item"]
    assert [a["title"] for a in stored] == ["One", "Two"]
    items = wechat_client.draft.get(media_id)["news_item"]
    assert [(a["title"], a.get("need_open_comment", 0)) for a in items] == [("One", 0), ("Two", 1)]
    assert items[0]["thumb_url"] == wechat_app.data["material"][cover]["url"]
    assert items[0]["url"].startswith("https://")


def test_picture_article(wechat_client: Client, wechat_app: AppState) -> None:
    image = wechat_client.material.add("image", ("a.png", b"\x89PNG"))["media_id"]
    article = {"article_type": "newspic", "title": "Pics", "content": "look", "image_info": {"image_list": []}}
    with _raises(wechat_client, InvalidArgumentError, 47001):
        wechat_client.draft.add([article])
    article["image_info"] = {"image_list": [{"image_media_id": image}]}
    media_id = wechat_client.draft.add([article])
    assert wechat_app.data["drafts"][media_id]["news_item"][0]["article_type"] == "newspic"


@pytest.mark.parametrize(
    ("change", "cls", "errcode"),
    [
        ({"title": ""}, InvalidArgumentError, 47001),
        ({"content": None}, InvalidArgumentError, 44004),
        ({"thumb_media_id": "no-such-material"}, InvalidArgumentError, 40007),
        ({"article_type": "video"}, InvalidArgumentError, 47001),
    ],
    ids=["no-title", "no-content", "bad-cover", "bad-type"],
)
def test_add_is_checked(
    wechat_client: Client, wechat_app: AppState, cover: str, change: dict[str, Any], cls: type[APIError], errcode: int
) -> None:
    with _raises(wechat_client, cls, errcode):
        wechat_client.draft.add([_article(cover, **change)])
    with _raises(wechat_client, InvalidArgumentError, 44003):
        wechat_client.draft.add([])
    assert not wechat_app.data.get("drafts")


def test_cover_must_be_permanent(wechat_client: Client, cover: str) -> None:
    temporary = wechat_client.media.upload("thumb", ("t.jpg", b"\xff\xd8"))["media_id"]
    with _raises(wechat_client, InvalidArgumentError, 40007):
        wechat_client.draft.add([_article(temporary)])


def test_update(wechat_client: Client, wechat_app: AppState, cover: str) -> None:
    media_id = wechat_client.draft.add([_article(cover, "One"), _article(cover, "Two")])
    assert wechat_client.draft.update(media_id, 1, _article(cover, "Deux"))["errcode"] == 0
    assert [a["title"] for a in wechat_app.data["drafts"][media_id]["news_item"]] == ["One", "Deux"]
    with _raises(wechat_client, InvalidArgumentError, 40097):
        wechat_client.draft.update(media_id, 2, _article(cover))
    with _raises(wechat_client, InvalidArgumentError, 40007):
        wechat_client.draft.update("no-such-draft", 0, _article(cover))


def test_delete(wechat_client: Client, wechat_app: AppState, cover: str) -> None:
    media_id = wechat_client.draft.add([_article(cover)])
    assert wechat_client.draft.delete(media_id)["errcode"] == 0
    assert media_id not in wechat_app.data["drafts"]
    for call in (wechat_client.draft.delete, wechat_client.draft.get):
        with _raises(wechat_client, InvalidArgumentError, 40007):
            call(media_id)


def test_count_and_batch_get(wechat_client: Client, cover: str) -> None:
    ids = [wechat_client.draft.add([_article(cover, f"Post {i}")]) for i in range(3)]
    assert wechat_client.draft.count()["total_count"] == 3
    page = wechat_client.draft.batch_get(offset=1, count=5, no_content=True)
    assert (page["total_count"], page["item_count"]) == (3, 2)
    assert [item["media_id"] for item in page["item"]] == ids[1:]
    news = page["item"][0]["content"]["news_item"][0]
    assert news["title"] == "Post 1"
    assert "content" not in news
    assert wechat_client.draft.batch_get()["item"][0]["content"]["news_item"][0]["content"] == "<p>Post 0</p>"
    with _raises(wechat_client, InvalidArgumentError, 40097):
        wechat_client.draft.batch_get(count=0)


def test_switch(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.data["draft_switch"] = 0
    assert wechat_client.draft.switch(checkonly=True)["is_open"] == 0
    assert wechat_app.data["draft_switch"] == 0
    assert wechat_client.draft.switch()["is_open"] == 1
    assert wechat_app.data["draft_switch"] == 1
