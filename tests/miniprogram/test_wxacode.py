"""client.wxacode: images or errors, never error bytes as an image; sync and async against the emulator."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from wxkit.errors import APIError, InvalidArgumentError, RateLimitError, TransportError
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import miniprogram_state, set_pages
from wxkit.testing.routes import EmulatorRequest, EmulatorResponse
from wxkit.testing.routes.miniprogram_wxacode import JPEG_SIGNATURE, PNG_SIGNATURE


def test_get_unlimited_answers_a_jpeg(mp_client: Any, wechat_app: AppState) -> None:
    image = mp_client.wxacode.get_unlimited("id=42", page="pages/item/item", width=300, env_version="trial")
    assert image.startswith(JPEG_SIGNATURE)
    made = miniprogram_state(wechat_app).wxacodes[-1]
    assert made["body"] | {"width": 300} == {
        "scene": "id=42",
        "page": "pages/item/item",
        "width": 300,
        "env_version": "trial",
    }
    assert made["image"] == image


def test_get_and_create_qrcode_write_to_dest(mp_client: Any, wechat_app: AppState, tmp_path: Path) -> None:
    target = tmp_path / "code.png"
    image = mp_client.wxacode.get("pages/index/index?from=poster", is_hyaline=True, dest=target)
    assert image.startswith(PNG_SIGNATURE)
    assert target.read_bytes() == image
    buffer = io.BytesIO()
    qrcode = mp_client.wxacode.create_qrcode("pages/index/index", width=280, dest=buffer)
    assert qrcode.startswith(JPEG_SIGNATURE)
    assert buffer.getvalue() == qrcode
    assert [c["api"] for c in miniprogram_state(wechat_app).wxacodes] == [
        "/wxa/getwxacode",
        "/cgi-bin/wxaapp/createwxaqrcode",
    ]


@pytest.mark.parametrize("scene", ["x" * 33, "", "中文", "a b", "100%"], ids=["33", "empty", "cjk", "space", "pct"])
def test_a_bad_scene_is_refused_before_sending(mp_client: Any, wechat_emulator: Emulator, scene: str) -> None:
    sent = len(wechat_emulator.requests)
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.wxacode.get_unlimited(scene)
    assert info.value.errcode == 40169
    assert len(wechat_emulator.requests) == sent


def test_the_longest_scene_passes(mp_client: Any) -> None:
    assert mp_client.wxacode.get_unlimited("a" * 31 + "~").startswith(JPEG_SIGNATURE)


def test_the_emulator_refuses_a_bad_scene_too(mp_client: Any, wechat_emulator: Emulator) -> None:
    with pytest.raises(APIError) as info:
        mp_client.post("/wxa/getwxacodeunlimit", {"scene": "x" * 33})
    assert info.value.errcode == 40169


def test_an_unpublished_page_is_41030_unless_check_path_is_off(mp_client: Any, wechat_app: AppState) -> None:
    set_pages(wechat_app, ["pages/index/index"])
    with pytest.raises(APIError) as info:
        mp_client.wxacode.get_unlimited("id=1", page="pages/new/new")
    assert info.value.errcode == 41030
    assert mp_client.wxacode.get_unlimited("id=1", page="pages/new/new", check_path=False)


def test_an_over_long_path_is_refused_before_sending(mp_client: Any, wechat_emulator: Emulator) -> None:
    sent = len(wechat_emulator.requests)
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.wxacode.get("p" * 1025)
    assert info.value.errcode == 40159
    assert len(wechat_emulator.requests) == sent


def test_a_json_error_raises_its_errcode(mp_client: Any, wechat_emulator: Emulator) -> None:
    wechat_emulator.inject("/wxa/getwxacodeunlimit", errcode=45009, errmsg="reach max api daily quota limit")
    with pytest.raises(RateLimitError) as info:
        mp_client.wxacode.get_unlimited("id=1")
    assert info.value.errcode == 45009


def test_the_limited_codes_run_out(mp_client: Any, wechat_app: AppState) -> None:
    miniprogram_state(wechat_app).code_limit = 1
    mp_client.wxacode.get("pages/index/index")
    with pytest.raises(APIError) as info:
        mp_client.wxacode.create_qrcode("pages/index/index")
    assert info.value.errcode == 45029
    assert mp_client.wxacode.get_unlimited("id=1")  # unlimited codes are not counted


def test_a_json_error_labelled_as_an_image_is_still_an_error(mp_client: Any, override_route: Any) -> None:
    def mislabelled(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse(200, b'{"errcode":41030,"errmsg":"invalid page"}', "image/jpeg")

    override_route("POST", "/wxa/getwxacodeunlimit", mislabelled)
    with pytest.raises(APIError) as info:
        mp_client.wxacode.get_unlimited("id=1")
    assert info.value.errcode == 41030


@pytest.mark.parametrize(
    ("body", "ctype"),
    [(b"<html>502 Bad Gateway</html>", "image/jpeg"), (b"", "image/jpeg"), (b'{"errcode":0}', "image/jpeg")],
    ids=["html", "empty", "json-ok"],
)
def test_a_body_that_is_not_an_image_is_a_transport_error(
    mp_client: Any, override_route: Any, body: bytes, ctype: str
) -> None:
    override_route("POST", "/wxa/getwxacode", lambda emu, req: EmulatorResponse(200, body, ctype))
    with pytest.raises(TransportError, match="not an image"):
        mp_client.wxacode.get("pages/index/index")


def test_json_success_without_an_image_is_a_transport_error(mp_client: Any, override_route: Any) -> None:
    override_route("POST", "/wxa/getwxacode", lambda emu, req: {"errcode": 0, "errmsg": "ok"})
    with pytest.raises(TransportError, match="without an image"):
        mp_client.wxacode.get("pages/index/index")


def test_the_image_is_bounded_by_max_download_size(make_mp_client: Any) -> None:
    client = make_mp_client(max_download_size=16)
    with pytest.raises(TransportError):
        client.wxacode.get_unlimited("id=1")


def test_env_version_is_checked(mp_client: Any) -> None:
    with pytest.raises(ValueError, match="env_version"):
        mp_client.wxacode.get("pages/index/index", env_version="beta")
