"""client.media against the emulator: temporary uploads, streamed downloads, expiry, limits, faults."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from wxkit import APIError, Client, InvalidArgumentError, RateLimitError, TransportError
from wxkit.client.media import UploadFile
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes.media import TEMPORARY_MEDIA_LIFETIME, lookup_media

JPEG = b"\xff\xd8\xff\xe0" + os.urandom(300_000)  # bigger than one download chunk


@contextlib.contextmanager
def _raises(client: Client, cls: type[APIError], errcode: int) -> Iterator[None]:
    """Expect ``cls`` with ``errcode``, its message free of the access token."""
    with pytest.raises(cls) as info:
        yield
    assert info.value.errcode == errcode
    assert client.access_token not in str(info.value)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(JPEG)
    return path


@pytest.mark.parametrize("form", ["path", "pathlike", "file", "bytes", "named-bytesio"])
def test_upload_forms(wechat_client: Client, wechat_app: AppState, photo: Path, form: str) -> None:
    with open(photo, "rb") as handle:
        file: UploadFile = {
            "path": str(photo),
            "pathlike": photo,
            "file": handle,
            "bytes": ("photo.jpg", JPEG),
            "named-bytesio": ("photo.jpg", io.BytesIO(JPEG)),
        }[form]
        result = wechat_client.media.upload("image", file)
    assert result["type"] == "image"
    assert isinstance(result["created_at"], int)
    stored = wechat_app.data["media"][result["media_id"]]
    assert (stored["filename"], stored["content"], stored["content_type"]) == ("photo.jpg", JPEG, "image/jpeg")


def test_download_streams_to_a_file(wechat_client: Client, photo: Path, tmp_path: Path) -> None:
    media_id = wechat_client.media.upload("image", photo)["media_id"]
    target = tmp_path / "copy.jpg"
    info = wechat_client.media.download(media_id, target)
    assert target.read_bytes() == JPEG
    assert info == {"size": len(JPEG), "content_type": "image/jpeg", "filename": f"{media_id}.jpg"}
    buffer = io.BytesIO()
    assert wechat_client.media.download(media_id, buffer)["size"] == len(JPEG)
    assert buffer.getvalue() == JPEG


def test_download_of_a_video_answers_its_url(wechat_client: Client, tmp_path: Path) -> None:
    media_id = wechat_client.media.upload("video", ("clip.mp4", b"\x00\x00\x00\x18ftypmp42"))["media_id"]
    target = tmp_path / "clip.mp4"
    result = wechat_client.media.download(media_id, target)
    assert result["video_url"].endswith(f"{media_id}.mp4")
    assert not target.exists()


@pytest.mark.parametrize("expired", [True, False], ids=["expired", "unknown"])
def test_download_of_missing_media(
    wechat_client: Client, wechat_emulator: Emulator, photo: Path, tmp_path: Path, expired: bool
) -> None:
    media_id = wechat_client.media.upload("image", photo)["media_id"] if expired else "no-such-media"
    wechat_emulator.advance(TEMPORARY_MEDIA_LIFETIME if expired else 0)
    target = tmp_path / "copy.jpg"
    with _raises(wechat_client, InvalidArgumentError, 40007):
        wechat_client.media.download(media_id, target)
    assert not target.exists()


def test_media_expires_after_three_days(
    wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState, photo: Path
) -> None:
    media_id = wechat_client.media.upload("image", photo)["media_id"]
    wechat_emulator.advance(TEMPORARY_MEDIA_LIFETIME - 60)
    assert lookup_media(wechat_emulator, wechat_app, media_id) is not None
    wechat_emulator.advance(60)
    assert lookup_media(wechat_emulator, wechat_app, media_id) is None


def test_hd_voice(wechat_client: Client, photo: Path) -> None:
    voice_id = wechat_client.media.upload("voice", ("hello.amr", b"#!AMR\n" + b"\x01" * 64))["media_id"]
    buffer = io.BytesIO()
    info = wechat_client.media.get_hd_voice(voice_id, buffer)
    assert info["content_type"] == "voice/speex"
    assert info["filename"] == f"{voice_id}.speex"
    assert buffer.getvalue() == b"#!AMR\n" + b"\x01" * 64
    image_id = wechat_client.media.upload("image", photo)["media_id"]
    with _raises(wechat_client, InvalidArgumentError, 40007):
        wechat_client.media.get_hd_voice(image_id, io.BytesIO())


@pytest.mark.parametrize(
    ("media_type", "file", "cls", "errcode"),
    [
        ("file", ("a.jpg", b"x"), InvalidArgumentError, 40004),
        ("image", ("a.txt", b"x"), InvalidArgumentError, 40005),
        ("thumb", ("a.png", b"x"), InvalidArgumentError, 40005),
        ("image", io.BytesIO(b"nameless"), InvalidArgumentError, 40005),
        ("image", ("a.jpg", b""), InvalidArgumentError, 44001),
        ("thumb", ("a.jpg", b"x" * (64 * 1024 + 1)), InvalidArgumentError, 40012),
        ("voice", ("a.mp3", b"x" * (2 * 1024 * 1024 + 1)), InvalidArgumentError, 40010),
    ],
    ids=["bad-type", "bad-ext", "thumb-png", "no-name", "empty", "thumb-size", "voice-size"],
)
def test_upload_is_checked(
    wechat_client: Client, wechat_app: AppState, media_type: str, file: UploadFile, cls: type[APIError], errcode: int
) -> None:
    if hasattr(file, "seek"):
        file.seek(0)  # the parameter's file object is shared by the sync and the async run
    with _raises(wechat_client, cls, errcode):
        wechat_client.media.upload(media_type, file)
    assert not wechat_app.data.get("media")


def test_upload_image_for_articles(wechat_client: Client, wechat_app: AppState) -> None:
    url = wechat_client.media.upload_image(("inline.png", b"\x89PNG" + b"\x00" * 32))
    assert url.startswith("https://")
    assert url.endswith(".png")
    assert wechat_app.data["article_images"][url] == b"\x89PNG" + b"\x00" * 32
    with _raises(wechat_client, InvalidArgumentError, 40005):
        wechat_client.media.upload_image(("anim.gif", b"GIF89a"))
    with _raises(wechat_client, InvalidArgumentError, 40009):
        wechat_client.media.upload_image(("big.jpg", b"\xff" * (1024 * 1024)))


def test_dropped_upload_is_never_resent(
    wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState, photo: Path
) -> None:
    wechat_client.access_token  # noqa: B018 - fetch the token first: only the upload meets the fault
    fault = wechat_emulator.inject("/cgi-bin/media/upload", drop=True, times=3)
    with pytest.raises(TransportError) as info:
        wechat_client.media.upload("image", photo)
    assert wechat_client.access_token not in str(info.value)
    assert fault.fired == 1  # the server saw the upload once; the client did not send it again
    served = [r for r in wechat_emulator.requests if r[1] == "/cgi-bin/media/upload" and r[2] == wechat_app.appid]
    assert len(served) <= 1
    assert not wechat_app.data.get("media")


def test_upload_quota(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.quota_limits["/cgi-bin/media/upload"] = 1
    wechat_client.media.upload("image", ("a.jpg", JPEG))
    with _raises(wechat_client, RateLimitError, 45009):
        wechat_client.media.upload("image", ("b.jpg", JPEG))
    assert len(wechat_app.data["media"]) == 1


def test_upload_refuses_other_objects(wechat_client: Client) -> None:
    with pytest.raises(TypeError):
        wechat_client.media.upload("image", 42)  # type: ignore[arg-type]


def test_interrupted_download_leaves_no_file(
    wechat_client: Client, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client_kind: str
) -> None:
    if client_kind == "async":
        pytest.skip("breaks urllib3's reads: the sync transport's test (tests/client/test_async_core.py has httpx's)")
    media_id = wechat_client.media.upload("image", photo)["media_id"]

    reads: list[int] = []

    def broken(self: urllib3.response.HTTPResponse, amt: int | None = None, **kwargs: Any) -> bytes:
        reads.append(1)
        if len(reads) > 1:  # the connection breaks after the first chunk
            raise urllib3.exceptions.ProtocolError("connection broken")
        return b"partial"

    monkeypatch.setattr(urllib3.response.HTTPResponse, "read1", broken)
    monkeypatch.setattr(urllib3.response.HTTPResponse, "read", broken)
    target = tmp_path / "copy.jpg"
    with pytest.raises(TransportError) as info:
        wechat_client.media.download(media_id, target)
    assert "cut short" in str(info.value)
    assert wechat_client.access_token not in str(info.value)
    assert not target.exists()


def test_upload_after_a_token_refresh_sends_the_whole_file(
    wechat_client: Client, wechat_app: AppState, wechat_emulator: Emulator, photo: Path
) -> None:
    wechat_client.access_token  # noqa: B018 - fetch the first token
    wechat_emulator.invalidate_tokens(wechat_app.appid)
    with open(photo, "rb") as handle:  # read by the refused first try: the retry must not send it empty
        result = wechat_client.media.upload("image", handle)
    assert wechat_app.data["media"][result["media_id"]]["content"] == JPEG
