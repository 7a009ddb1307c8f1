"""client.freepublish against the emulator: publish a draft, poll, read, list, delete."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from wxkit import APIError, Client, InvalidArgumentError, TransportError
from wxkit.testing import AppState, Emulator


@contextlib.contextmanager
def _raises(client: Client, cls: type[APIError], errcode: int) -> Iterator[None]:
    """Expect ``cls`` with ``errcode``, its message free of the access token."""
    with pytest.raises(cls) as info:
        yield
    assert info.value.errcode == errcode
    assert client.access_token not in str(info.value)


@pytest.fixture
def draft(wechat_client: Client) -> str:
    cover = wechat_client.material.add("image", ("cover.png", b"\x89PNG"))["media_id"]
    articles = [{"title": title, "content": f"<p>{title}</p>", "thumb_media_id": cover} for title in ("One", "Two")]
    return wechat_client.draft.add(articles)


def _published(client: Client, draft: str) -> str:
    return str(client.freepublish.get(client.freepublish.submit(draft))["article_id"])


def test_submit_and_poll(wechat_client: Client, wechat_app: AppState, draft: str) -> None:
    publish_id = wechat_client.freepublish.submit(draft)
    assert isinstance(publish_id, str)
    assert draft not in wechat_app.data["drafts"]  # a published draft leaves the draft box
    status = wechat_client.freepublish.get(publish_id)
    assert status["publish_status"] == 0
    assert status["fail_idx"] == []
    assert status["article_detail"]["count"] == 2
    assert [item["idx"] for item in status["article_detail"]["item"]] == [1, 2]
    assert status["article_id"] in wechat_app.data["published_articles"]


def test_get_article(wechat_client: Client, draft: str) -> None:
    article_id = _published(wechat_client, draft)
    items = wechat_client.freepublish.get_article(article_id)["news_item"]
    assert [(item["title"], item["is_deleted"]) for item in items] == [("One", False), ("Two", False)]
    assert items[0]["url"].startswith("https://")


def test_delete_one_then_all(wechat_client: Client, wechat_app: AppState, draft: str) -> None:
    publish_id = wechat_client.freepublish.submit(draft)
    article_id = wechat_client.freepublish.get(publish_id)["article_id"]
    assert wechat_client.freepublish.delete(article_id, index=2)["errcode"] == 0
    flags = [item["is_deleted"] for item in wechat_client.freepublish.get_article(article_id)["news_item"]]
    assert flags == [False, True]
    assert wechat_client.freepublish.get(publish_id)["publish_status"] == 0
    wechat_client.freepublish.delete(article_id)
    assert all(item["is_deleted"] for item in wechat_app.data["published_articles"][article_id]["news_item"])
    assert wechat_client.freepublish.get(publish_id)["publish_status"] == 5


def test_batch_get(wechat_client: Client, draft: str) -> None:
    article_id = _published(wechat_client, draft)
    page = wechat_client.freepublish.batch_get(no_content=True)
    assert (page["total_count"], page["item_count"]) == (1, 1)
    item = page["item"][0]
    assert item["article_id"] == article_id
    assert [news["title"] for news in item["content"]["news_item"]] == ["One", "Two"]
    assert "content" not in item["content"]["news_item"][0]
    assert wechat_client.freepublish.batch_get(offset=1)["item"] == []
    with _raises(wechat_client, InvalidArgumentError, 40097):
        wechat_client.freepublish.batch_get(count=21)


@pytest.mark.parametrize(
    ("call", "errcode"),
    [
        (lambda c: c.freepublish.submit("no-such-draft"), 40007),
        (lambda c: c.freepublish.get("123"), 53502),
        (lambda c: c.freepublish.get_article("no-such-article"), 53600),
        (lambda c: c.freepublish.delete("no-such-article"), 53600),
    ],
    ids=["submit", "get", "get_article", "delete"],
)
def test_unknown_ids(wechat_client: Client, call: Callable[[Client], object], errcode: int) -> None:
    with _raises(wechat_client, APIError, errcode):
        call(wechat_client)


def test_delete_index_out_of_range(wechat_client: Client, draft: str) -> None:
    article_id = _published(wechat_client, draft)
    with _raises(wechat_client, InvalidArgumentError, 40097):
        wechat_client.freepublish.delete(article_id, index=3)


def test_submit_is_never_resent(
    wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState, draft: str
) -> None:
    fault = wechat_emulator.inject("/cgi-bin/freepublish/submit", drop=True, times=3)
    with pytest.raises(TransportError):
        wechat_client.freepublish.submit(draft)
    assert fault.fired == 1
    assert draft in wechat_app.data["drafts"]
    assert not wechat_app.data.get("published_articles")
