"""iLink media: AES-128-ECB round trips through the emulator's CDN, sync and async; key forms; bad keys."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from wxkit.errors import ConfigError, DecryptError, TransportError
from wxkit.ilink import FileItem, ILinkError, ILinkMessage, ImageItem, TextItem, VideoItem
from wxkit.ilink.media import ECBDecryptor, decrypt, encrypt, padded_size, parse_aes_key
from wxkit.ilink.types import parse_item
from wxkit.testing.ilink import ILinkEmulator

ALICE = "alice@im.wechat"
DATA = os.urandom(5000) + b"tail"


class Keep:
    def on_image(self, message: ILinkMessage) -> None:
        self.__dict__.setdefault("seen", []).append(message)

    def on_file(self, message: ILinkMessage) -> None:
        self.__dict__.setdefault("seen", []).append(message)

    def on_video(self, message: ILinkMessage) -> None:
        self.__dict__.setdefault("seen", []).append(message)

    def on_voice(self, message: ILinkMessage) -> None:
        self.__dict__.setdefault("seen", []).append(message)


def _bot(ilink: ILinkEmulator, make_bot: Any, **kwargs: Any) -> tuple[Any, Any, str]:
    account = ilink.add_bot()
    token = account.send_text(ALICE, "hi")["context_token"]
    return account, make_bot(Keep, account.bot_token, cdn_base_url=ilink.cdn_url, **kwargs), token


@pytest.mark.parametrize("kind", ["image", "file", "video"])
def test_sent_media_round_trip(ilink: ILinkEmulator, make_bot: Any, kind: str) -> None:
    account, bot, token = _bot(ilink, make_bot)
    if kind == "image":
        bot.send_image(ALICE, DATA, context_token=token)
    elif kind == "file":
        bot.send_file(ALICE, DATA, file_name="a.bin", context_token=token)
    else:
        bot.send_video(ALICE, DATA, context_token=token)
    item_raw = account.sent[-1]["msg"]["item_list"][0]
    media = next(v for k, v in item_raw.items() if k.endswith("_item"))["media"]
    stored = ilink.cdn_files[media["encrypt_query_param"]]
    assert len(stored) == padded_size(len(DATA))
    assert DATA not in stored  # encrypted on the CDN
    # The key travels as base64 of its hex string.
    assert len(base64.b64decode(media["aes_key"])) == 32
    got = bot.download(parse_item(item_raw))
    assert hashlib.md5(got).hexdigest() == hashlib.md5(DATA).hexdigest()


@pytest.mark.parametrize("kind", ["image", "voice", "file", "video"])
def test_received_media_downloads_and_streams(ilink: ILinkEmulator, make_bot: Any, kind: str, tmp_path: Path) -> None:
    account, bot, _ = _bot(ilink, make_bot)
    account.send_media(ALICE, DATA, kind, file_name="report.pdf")
    assert bot.poll_once() == 2
    item = bot.seen[0].item
    assert bot.download(item) == DATA
    target = tmp_path / "out.bin"
    assert bot.download_to(item, target) == len(DATA)
    assert target.read_bytes() == DATA
    if kind == "file":
        assert isinstance(item, FileItem)
        assert item.file_name == "report.pdf"


def test_a_wrong_key_is_a_decrypt_error_and_leaves_no_file(ilink: ILinkEmulator, make_bot: Any, tmp_path: Path) -> None:
    account, bot, _ = _bot(ilink, make_bot)
    account.send_media(ALICE, DATA, "image")
    bot.poll_once()
    item = bot.seen[0].item
    assert isinstance(item, ImageItem)
    wrong = ImageItem(media=item.media, aeskey="00" * 16, raw=item.raw)
    with pytest.raises(DecryptError):
        bot.download(wrong)
    target = tmp_path / "out.bin"
    with pytest.raises(DecryptError):
        bot.download_to(wrong, target)
    assert not target.exists()
    with pytest.raises(DecryptError):
        bot.download(ImageItem(media=item.media, aeskey="abcd", raw=item.raw))


def test_cdn_errors(ilink: ILinkEmulator, make_bot: Any) -> None:
    account, bot, token = _bot(ilink, make_bot)
    ilink.inject("c2c/upload", status=503, body=b"busy")
    bot.send_file(ALICE, b"x" * 100, file_name="a", context_token=token)  # a 5xx is retried
    assert len(account.sent) == 1
    ilink.inject("c2c/upload", status=403, body=b"no", times=3)
    with pytest.raises(TransportError, match="403"):
        bot.send_file(ALICE, b"y", file_name="b", context_token=token)  # a 4xx is not
    ilink.inject("c2c/download", status=404, body=b"gone")
    account.send_media(ALICE, DATA, "file")
    bot.poll_once()
    with pytest.raises(TransportError, match="404"):
        bot.download(bot.seen[0].item)
    with pytest.raises(ConfigError):
        bot.download(TextItem(text="no media"))
    with pytest.raises(ConfigError):
        bot.send_image(ALICE, b"z", context_token="")


def test_key_forms() -> None:
    key = bytes(range(16))
    assert parse_aes_key(key.hex()) == key
    assert parse_aes_key(base64.b64encode(key).decode()) == key
    assert parse_aes_key(base64.b64encode(key.hex().encode()).decode()) == key
    for bad in ["", "zz", base64.b64encode(b"short").decode(), "g" * 32]:
        with pytest.raises(DecryptError):
            parse_aes_key(bad)


def test_ecb_helpers() -> None:
    key = os.urandom(16)
    for size in (0, 1, 15, 16, 17, 1000):
        data = os.urandom(size)
        cipher = encrypt(data, key)
        assert len(cipher) == padded_size(size)
        assert decrypt(cipher, key) == data
        stream = ECBDecryptor(key)
        out = b"".join(stream.feed(cipher[i : i + 7]) for i in range(0, len(cipher), 7)) + stream.finish()
        assert out == data
    with pytest.raises(DecryptError):
        decrypt(b"x" * 15, key)
    with pytest.raises(DecryptError):
        encrypt(b"x", b"short")
    truncated = ECBDecryptor(key)
    truncated.feed(encrypt(b"abc", key)[:10])
    with pytest.raises(DecryptError):
        truncated.finish()


class MediaReplies:
    def on_text(self, message: ILinkMessage) -> Any:
        from wxkit.ilink import ILinkFileReply, ILinkImageReply, ILinkVideoReply

        return {
            "image": ILinkImageReply(DATA),
            "file": ILinkFileReply(DATA, file_name="r.pdf"),
            "video": ILinkVideoReply(DATA),
        }[message.text]


def test_handlers_may_return_media_replies(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    for kind in ("image", "file", "video"):
        account.send_text(ALICE, kind)
    bot = make_bot(MediaReplies, account.bot_token, cdn_base_url=ilink.cdn_url)
    assert bot.poll_once() == 3
    items = [s["msg"]["item_list"][0] for s in account.sent]
    assert [i["type"] for i in items] == [2, 4, 5]
    assert items[1]["file_item"]["file_name"] == "r.pdf"
    assert all(bot.download(parse_item(i)) == DATA for i in items)


def test_upload_answers_without_what_is_needed(ilink: ILinkEmulator, make_bot: Any) -> None:
    from wxkit.ilink import ILinkError

    account, bot, token = _bot(ilink, make_bot)
    ilink.inject("ilink/bot/getuploadurl", body=b'{"ret": 0}')
    with pytest.raises(ILinkError, match="no upload URL"):
        bot.send_image(ALICE, b"img", context_token=token)
    ilink.inject("c2c/upload", status=200, body=b"", times=3)
    with pytest.raises(TransportError, match="x-encrypted-param"):
        bot.send_image(ALICE, b"img", context_token=token)
    assert account.sent == []


THUMB = os.urandom(700) + b"thumb"


@pytest.mark.parametrize("kind", ["image", "video"])
@pytest.mark.parametrize("as_path", [False, True])
def test_a_thumbnail_is_declared_uploaded_and_downloads(
    ilink: ILinkEmulator, make_bot: Any, kind: str, as_path: bool, tmp_path: Path
) -> None:
    account, bot, token = _bot(ilink, make_bot)
    thumbnail: Any = THUMB
    if as_path:
        thumbnail = tmp_path / "thumb.jpg"
        thumbnail.write_bytes(THUMB)
    send = bot.send_image if kind == "image" else bot.send_video
    send(ALICE, DATA, context_token=token, thumbnail=thumbnail)
    asked = [r["body"] for r in ilink.requests if r["path"] == "ilink/bot/getuploadurl"][-1]
    assert asked["no_need_thumb"] is False
    assert asked["thumb_rawsize"] == len(THUMB)
    assert asked["thumb_rawfilemd5"] == hashlib.md5(THUMB).hexdigest()
    assert asked["thumb_filesize"] == padded_size(len(THUMB))
    item_raw = account.sent[-1]["msg"]["item_list"][0]
    body = item_raw["image_item" if kind == "image" else "video_item"]
    thumb_param = body["thumb_media"]["encrypt_query_param"]
    assert body["thumb_size"] == len(ilink.cdn_files[thumb_param]) == padded_size(len(THUMB))
    assert THUMB not in ilink.cdn_files[thumb_param]  # encrypted on the CDN
    item = parse_item(item_raw)
    assert bot.download(item, thumbnail=True) == THUMB
    assert bot.download(item) == DATA
    target = tmp_path / "thumb.out"
    assert bot.download_to(item, target, thumbnail=True) == len(THUMB)
    assert target.read_bytes() == THUMB


def test_without_a_thumbnail_none_is_declared_as_the_reference_client_does(ilink: ILinkEmulator, make_bot: Any) -> None:
    account, bot, token = _bot(ilink, make_bot)
    bot.send_image(ALICE, DATA, context_token=token)
    asked = [r["body"] for r in ilink.requests if r["path"] == "ilink/bot/getuploadurl"][-1]
    assert asked["no_need_thumb"] is True
    assert "thumb_rawsize" not in asked
    body = account.sent[-1]["msg"]["item_list"][0]["image_item"]
    assert "thumb_media" not in body
    with pytest.raises(ConfigError, match="thumbnail"):
        bot.download(parse_item(account.sent[-1]["msg"]["item_list"][0]), thumbnail=True)


def test_thumbnail_replies_and_received_thumbnails(ilink: ILinkEmulator, make_bot: Any) -> None:
    from wxkit.ilink import ILinkImageReply, ILinkVideoReply

    class Replies:
        def on_text(self, message: ILinkMessage) -> Any:
            return ILinkImageReply(DATA, thumbnail=THUMB) if message.text == "i" else ILinkVideoReply(DATA, THUMB)

        def on_video(self, message: ILinkMessage) -> None:
            self.__dict__["video"] = message

    account = ilink.add_bot()
    account.send_text(ALICE, "i")
    account.send_text(ALICE, "v")
    account.send_media(ALICE, DATA, "video", thumbnail=THUMB)
    bot = make_bot(Replies, account.bot_token, cdn_base_url=ilink.cdn_url)
    assert bot.poll_once() == 3
    for sent in account.sent:
        assert bot.download(parse_item(sent["msg"]["item_list"][0]), thumbnail=True) == THUMB
    received = bot.video.item
    assert isinstance(received, VideoItem)
    assert received.thumb_media
    assert bot.download(received, thumbnail=True) == THUMB


def test_thumbnail_bad_input(ilink: ILinkEmulator, make_bot: Any, tmp_path: Path) -> None:
    account, bot, token = _bot(ilink, make_bot)
    with pytest.raises(ConfigError, match="cannot read the thumbnail"):
        bot.send_image(ALICE, DATA, context_token=token, thumbnail=tmp_path / "missing.jpg")
    with pytest.raises(ConfigError, match="empty"):
        bot.send_video(ALICE, DATA, context_token=token, thumbnail=b"")
    with pytest.raises(ConfigError, match="bytes or a path"):
        bot.send_image(ALICE, DATA, context_token=token, thumbnail=123)
    with pytest.raises(ConfigError, match="only images and videos"):
        bot.upload(ALICE, DATA, media_type=3, thumbnail=THUMB)
    with pytest.raises(ConfigError, match="thumbnail must be bytes, not int"):  # bytes(123) would be 123 zeros
        bot.upload(ALICE, DATA, media_type=1, thumbnail=123)
    with pytest.raises(ConfigError, match="the media must be bytes, not int"):
        bot.upload(ALICE, 64, media_type=1)
    # An iLink that gives no thumbnail upload URL is a clear error, not a message without its thumbnail.
    ilink.inject("ilink/bot/getuploadurl", body=b'{"ret": 0, "upload_param": "up-x"}')
    with pytest.raises(ILinkError, match="thumb_upload_param"):
        bot.send_image(ALICE, DATA, context_token=token, thumbnail=THUMB)
    assert account.sent == []


def test_the_emulator_checks_the_declared_thumbnail(ilink: ILinkEmulator, make_bot: Any) -> None:
    _, bot, _ = _bot(ilink, make_bot)
    base = {
        "filekey": "f" * 32,
        "media_type": 1,
        "to_user_id": ALICE,
        "rawsize": 3,
        "rawfilemd5": hashlib.md5(b"abc").hexdigest(),
        "filesize": 16,
        "aeskey": "00" * 16,
    }
    with pytest.raises(ILinkError, match="thumb_rawsize"):
        bot.call("ilink/bot/getuploadurl", base)  # an image without no_need_thumb must declare its thumbnail
    with pytest.raises(ILinkError, match="thumb_filesize"):
        bot.call(
            "ilink/bot/getuploadurl",
            {**base, "thumb_rawsize": 5, "thumb_rawfilemd5": "0" * 32, "thumb_filesize": 5},
        )
    key = bytes(16)
    answer = bot.call(
        "ilink/bot/getuploadurl",
        {**base, "thumb_rawsize": 5, "thumb_rawfilemd5": hashlib.md5(b"12345").hexdigest(), "thumb_filesize": 16},
    )
    upload = f"{ilink.cdn_url}/upload?encrypted_query_param={answer['thumb_upload_param']}&filekey={'f' * 32}"
    wrong = bot.http.send("POST", upload, data=encrypt(b"54321", key))  # declared MD5 does not match
    assert wrong.status_code == 400
    assert "mismatch" in wrong.headers["x-error-message"]


def test_media_keys_stay_out_of_the_reprs_of_received_items() -> None:
    from wxkit.ilink.types import parse_message

    key = os.urandom(16)
    as_b64 = base64.b64encode(key.hex().encode("ascii")).decode("ascii")
    media = {"encrypt_query_param": "dl-x", "aes_key": as_b64, "encrypt_type": 1}
    items = [
        {"type": 2, "image_item": {"media": media, "aeskey": key.hex(), "thumb_media": media}},
        {"type": 3, "voice_item": {"media": media, "text": "hi"}},
        {"type": 4, "file_item": {"media": media, "file_name": "a.pdf", "len": "3"}},
        {"type": 5, "video_item": {"media": media, "thumb_media": media}},
    ]
    message = parse_message({"message_id": "1", "from_user_id": ALICE, "item_list": items})
    assert len(message.items) == 4
    shown = repr(message) + "".join(repr(item) for item in message.items)
    assert key.hex() not in shown
    assert as_b64 not in shown
    assert "a.pdf" in shown  # the rest is still shown
