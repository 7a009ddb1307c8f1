"""iLink media: AES-128-ECB round trips through the emulator's CDN, sync and async; key forms; bad keys."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from wxkit.errors import ConfigError, DecryptError, TransportError
from wxkit.ilink import FileItem, ILinkMessage, ImageItem, TextItem
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
