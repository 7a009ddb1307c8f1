"""client.qrcode against the emulator: creating tickets, the show URL, downloading images."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from wxkit import Client
from wxkit.errors import APIError, TransportError
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes.qrcode import PNG_SIGNATURE

Make = Callable[[Client], dict[str, Any]]


@pytest.mark.parametrize(
    ("make", "action", "scene"),
    [
        (lambda c: c.qrcode.create_temporary(42, expire_seconds=600), "QR_SCENE", {"scene_id": 42}),
        (lambda c: c.qrcode.create_temporary("promo", expire_seconds=600), "QR_STR_SCENE", {"scene_str": "promo"}),
        (lambda c: c.qrcode.create_permanent(100_000), "QR_LIMIT_SCENE", {"scene_id": 100_000}),
        (lambda c: c.qrcode.create_permanent("shop-7"), "QR_LIMIT_STR_SCENE", {"scene_str": "shop-7"}),
    ],
    ids=["temp-int", "temp-str", "perm-int", "perm-str"],
)
def test_create(wechat_client: Client, wechat_app: AppState, make: Make, action: str, scene: dict[str, Any]) -> None:
    code = make(wechat_client)
    assert code["url"].startswith("http://weixin.qq.com/q/")
    stored = wechat_app.data["qrcode"]["tickets"][code["ticket"]]
    assert (stored["action_name"], stored["scene"]) == (action, scene)
    assert ("expire_seconds" in code) == (not action.startswith("QR_LIMIT"))


def test_temporary_expiry_defaults_to_30_days_and_is_capped(wechat_client: Client) -> None:
    assert wechat_client.qrcode.create_temporary(1)["expire_seconds"] == 2_592_000
    assert wechat_client.qrcode.create_temporary(1, expire_seconds=10**9)["expire_seconds"] == 2_592_000


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda c: c.qrcode.create_temporary(0), 40053),
        (lambda c: c.qrcode.create_temporary(2**32), 40053),
        (lambda c: c.qrcode.create_permanent(100_001), 40053),
        (lambda c: c.qrcode.create_permanent(""), 40053),
        (lambda c: c.qrcode.create_temporary("x" * 65), 40053),
        (lambda c: c.post("/cgi-bin/qrcode/create", {"action_name": "QR_BOGUS"}), 40052),
    ],
    ids=["zero", "over-32-bits", "perm-over-100000", "empty-str", "str-over-64", "bad-action"],
)
def test_create_errors(wechat_client: Client, make: Make, code: int) -> None:
    with pytest.raises(APIError) as info:
        make(wechat_client)
    assert info.value.errcode == code
    assert wechat_client.access_token not in str(info.value)


def test_scene_must_be_int_or_str(wechat_client: Client) -> None:
    with pytest.raises(TypeError):
        wechat_client.qrcode.create_permanent(True)


def test_show_url_encodes_the_ticket(wechat_client: Client) -> None:
    url = wechat_client.qrcode.show_url("a+b/c==")
    assert url == "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=a%2Bb%2Fc%3D%3D"
    assert parse_qs(urlsplit(url).query)["ticket"] == ["a+b/c=="]
    assert wechat_client.qrcode.show_url("t", base_url="http://127.0.0.1:9/").startswith("http://127.0.0.1:9/cgi-bin")


def test_download_to_bytes_path_and_file(wechat_client: Client, wechat_emulator: Emulator, tmp_path: Path) -> None:
    ticket = wechat_client.qrcode.create_permanent("door")["ticket"]
    assert {"+", "/", "="} <= set(ticket)  # needs the URL encoding
    image = wechat_client.qrcode.download(ticket, base_url=wechat_emulator.url)
    assert image.startswith(PNG_SIGNATURE)
    wechat_client.qrcode.download(ticket, tmp_path / "door.jpg", base_url=wechat_emulator.url)
    assert (tmp_path / "door.jpg").read_bytes() == image
    sink = io.BytesIO()
    wechat_client.qrcode.download(ticket, sink, base_url=wechat_emulator.url)
    assert sink.getvalue() == image
    assert ("GET", "/cgi-bin/showqrcode", None) in wechat_emulator.requests  # sent without a token


def test_download_of_an_expired_or_unknown_ticket(wechat_client: Client, wechat_emulator: Emulator) -> None:
    ticket = wechat_client.qrcode.create_temporary(7, expire_seconds=60)["ticket"]
    wechat_client.qrcode.download(ticket, base_url=wechat_emulator.url)
    wechat_emulator.advance(61)
    for bad in (ticket, "nope"):
        with pytest.raises(TransportError, match="404") as info:
            wechat_client.qrcode.download(bad, base_url=wechat_emulator.url)
        assert wechat_client.access_token not in str(info.value)
