"""client.customer_service: messages to a user in session, typing, temporary media; sync and async."""

from __future__ import annotations

import io
from typing import Any

import pytest

from wxkit.errors import InvalidArgumentError, UserStateError
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import enter_session

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def in_session(wechat_emulator: Emulator, wechat_app: AppState) -> None:
    enter_session(wechat_emulator, wechat_app, "o_ann")


def test_every_message_type(mp_client: Any, wechat_app: AppState) -> None:
    media_id = mp_client.customer_service.upload_temp_media(("card.png", PNG))["media_id"]
    mp_client.customer_service.send_text("o_ann", "shipped")
    mp_client.customer_service.send_image("o_ann", media_id)
    mp_client.customer_service.send_link(
        "o_ann", "Docs", "How to", "https://example.com/doc", "https://example.com/t.png"
    )
    mp_client.customer_service.send_miniprogram_page("o_ann", "Order 42", "pages/order/order?id=42", media_id)
    sent = [m for m in wechat_app.sent if m["kind"] == "custom"][-4:]
    assert [m["msgtype"] for m in sent] == ["text", "image", "link", "miniprogrampage"]
    assert sent[0]["text"] == {"content": "shipped"}
    assert sent[3]["miniprogrampage"] == {
        "title": "Order 42",
        "pagepath": "pages/order/order?id=42",
        "thumb_media_id": media_id,
    }


def test_typing(mp_client: Any, wechat_app: AppState) -> None:
    mp_client.customer_service.typing("o_ann")
    assert wechat_app.data["typing"]["o_ann"] == "Typing"
    mp_client.customer_service.typing("o_ann", typing=False)
    assert wechat_app.data["typing"]["o_ann"] == "CancelTyping"


def test_outside_the_session_window(mp_client: Any, wechat_emulator: Emulator) -> None:
    wechat_emulator.advance(48 * 3600 + 1)
    with pytest.raises(UserStateError) as info:
        mp_client.customer_service.send_text("o_ann", "late")
    assert info.value.errcode == 45015


def test_temporary_media_round_trip(mp_client: Any) -> None:
    uploaded = mp_client.customer_service.upload_temp_media(("card.png", io.BytesIO(PNG)))
    assert uploaded["type"] == "image"
    out = io.BytesIO()
    info = mp_client.customer_service.get_temp_media(uploaded["media_id"], out)
    assert out.getvalue() == PNG
    assert info["size"] == len(PNG)
    with pytest.raises(InvalidArgumentError) as error:
        mp_client.customer_service.get_temp_media("no-such-media", io.BytesIO())
    assert error.value.errcode == 40007
