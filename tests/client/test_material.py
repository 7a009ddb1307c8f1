"""client.material against the emulator: the permanent library, fetches, listing, counts, errors."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from wxkit import APIError, Client, InvalidArgumentError, RateLimitError, TransportError
from wxkit.testing import AppState, Emulator

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@contextlib.contextmanager
def _raises(client: Client, cls: type[APIError], errcode: int) -> Iterator[None]:
    """Expect ``cls`` with ``errcode``, its message free of the access token."""
    with pytest.raises(cls) as info:
        yield
    assert info.value.errcode == errcode
    assert client.access_token not in str(info.value)


def test_add_image_and_fetch_it(wechat_client: Client, wechat_app: AppState, tmp_path: Path) -> None:
    result = wechat_client.material.add("image", ("logo.png", PNG))
    media_id = result["media_id"]
    assert result["url"] == wechat_app.data["material"][media_id]["url"]
    assert wechat_client.material.get(media_id) == PNG
    target = tmp_path / "logo.png"
    info = wechat_client.material.get(media_id, dest=target)
    assert info == {"size": len(PNG), "content_type": "image/png", "filename": f"{media_id}.png"}
    assert target.read_bytes() == PNG


def test_add_video_sends_its_description(wechat_client: Client, wechat_app: AppState) -> None:
    result = wechat_client.material.add("video", ("intro.mp4", b"\x00" * 64), title="介绍", introduction="Our shop")
    assert "url" not in result
    media_id = result["media_id"]
    stored = wechat_app.data["material"][media_id]
    assert (stored["title"], stored["introduction"]) == ("介绍", "Our shop")
    buffer = io.BytesIO()
    video = wechat_client.material.get(media_id, dest=buffer)
    assert video["title"] == "介绍"
    assert video["description"] == "Our shop"
    assert video["down_url"] == stored["url"]
    assert buffer.getvalue() == b""


def test_video_without_description_is_refused(wechat_client: Client) -> None:
    with _raises(wechat_client, InvalidArgumentError, 47001):
        wechat_client.post(
            "/cgi-bin/material/add_material", params={"type": "video"}, files={"media": ("a.mp4", b"\x00", "video/mp4")}
        )


def test_delete(wechat_client: Client, wechat_app: AppState) -> None:
    media_id = wechat_client.material.add("voice", ("hi.mp3", b"ID3" + b"\x00" * 16))["media_id"]
    assert wechat_client.material.delete(media_id)["errcode"] == 0
    assert media_id not in wechat_app.data["material"]
    for call in (wechat_client.material.delete, wechat_client.material.get):
        with _raises(wechat_client, InvalidArgumentError, 40007):
            call(media_id)


def test_temporary_media_are_not_material(wechat_client: Client) -> None:
    media_id = wechat_client.media.upload("image", ("a.jpg", b"\xff\xd8"))["media_id"]
    with _raises(wechat_client, InvalidArgumentError, 40007):
        wechat_client.material.get(media_id)


def test_count(wechat_client: Client) -> None:
    for kind, name in [("image", "a.png"), ("image", "b.jpg"), ("thumb", "c.jpg"), ("voice", "d.amr")]:
        wechat_client.material.add(kind, (name, b"\x01" * 8))
    assert wechat_client.material.count() == {"voice_count": 1, "video_count": 0, "image_count": 3, "news_count": 0}


def test_batch_get_and_iter_all(wechat_client: Client) -> None:
    ids = [wechat_client.material.add("image", (f"p{i}.png", PNG))["media_id"] for i in range(5)]
    wechat_client.material.add("voice", ("v.mp3", b"ID3"))
    page = wechat_client.material.batch_get("image", offset=1, count=2)
    assert page["total_count"] == 5
    assert page["item_count"] == 2
    assert [item["media_id"] for item in page["item"]] == ids[1:3]
    assert page["item"][0]["name"] == "p1.png"
    assert [item["media_id"] for item in wechat_client.material.iter_all("image", page_size=2)] == ids
    assert list(wechat_client.material.iter_all("news")) == []


@pytest.mark.parametrize(
    ("kind", "offset", "count", "errcode"),
    [("image", 0, 21, 40097), ("image", -1, 5, 40097), ("thumb", 0, 5, 40004), ("music", 0, 5, 40004)],
)
def test_batch_get_arguments_are_checked(
    wechat_client: Client, kind: str, offset: int, count: int, errcode: int
) -> None:
    with _raises(wechat_client, InvalidArgumentError, errcode):
        wechat_client.material.batch_get(kind, offset=offset, count=count)


def test_batch_get_is_a_retried_read(wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    wechat_emulator.inject("/cgi-bin/material/batchget_material", status=502)
    assert wechat_client.material.batch_get("image")["total_count"] == 0


def test_add_is_never_resent(wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    wechat_client.access_token  # noqa: B018 - fetch the token first: only the upload meets the fault
    fault = wechat_emulator.inject("/cgi-bin/material/add_material", status=502, times=3)
    with pytest.raises(TransportError):
        wechat_client.material.add("image", ("a.png", PNG))
    assert fault.fired == 1
    assert not wechat_app.data.get("material")


@pytest.mark.parametrize(
    ("kind", "file", "errcode"),
    [
        ("image", ("a.webp", b"x"), 40005),
        ("video", ("a.mov", b"x"), 40005),
        ("image", ("a.png", b"x" * (10 * 1024 * 1024 + 1)), 40009),
        ("news", ("a.png", b"x"), 40004),
    ],
)
def test_add_is_checked(
    wechat_client: Client, wechat_app: AppState, kind: str, file: tuple[str, bytes], errcode: int
) -> None:
    with _raises(wechat_client, InvalidArgumentError, errcode):
        wechat_client.material.add(kind, file)
    assert not wechat_app.data.get("material")


def test_quota(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.quota_limits["/cgi-bin/material/get_materialcount"] = 0
    with _raises(wechat_client, RateLimitError, 45009):
        wechat_client.material.count()
