"""client.phone: get_phone_number, sync and async, against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit.errors import InvalidArgumentError, TransportError
from wxkit.miniprogram import PhoneInfo
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes import EmulatorRequest, ok


def test_get_phone_number(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    code = wechat_emulator.miniprogram_phone_code(wechat_app.appid, "13800138000")
    info = mp_client.phone.get_phone_number(code)
    assert isinstance(info, PhoneInfo)
    assert (info.phone_number, info.pure_phone_number, info.country_code) == ("13800138000", "13800138000", "86")
    assert info.watermark.appid == wechat_app.appid
    assert info.raw["countryCode"] == 86  # WeChat's sample sends a number; the typed field is text


def test_a_foreign_number_carries_its_country_code(
    mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    code = wechat_emulator.miniprogram_phone_code(wechat_app.appid, "91234567", country_code="852")
    info = mp_client.phone.get_phone_number(code, openid="o_ann")
    assert (info.phone_number, info.pure_phone_number, info.country_code) == ("+852 91234567", "91234567", "852")


def test_a_bad_phone_code_is_40029(mp_client: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.phone.get_phone_number("not-a-phone-code")
    assert info.value.errcode == 40029


def test_a_phone_code_works_once_and_expires(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    used = wechat_emulator.miniprogram_phone_code(wechat_app.appid, "13800138000")
    mp_client.phone.get_phone_number(used)
    late = wechat_emulator.miniprogram_phone_code(wechat_app.appid, "13800138000")
    wechat_emulator.advance(301)
    for code in (used, late):
        with pytest.raises(InvalidArgumentError) as info:
            mp_client.phone.get_phone_number(code)
        assert info.value.errcode == 40029


def test_an_empty_phone_code_is_refused_before_sending(mp_client: Any, wechat_emulator: Emulator) -> None:
    sent = len(wechat_emulator.requests)
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.phone.get_phone_number("")
    assert info.value.errcode == 41008
    assert len(wechat_emulator.requests) == sent


def test_a_watermark_of_another_appid_is_refused(mp_client: Any, override_route: Any) -> None:
    def other_app(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
        info = {"phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86"}
        return ok(phone_info=info | {"watermark": {"appid": "wx_someone_else", "timestamp": 1}})

    override_route("POST", "/wxa/business/getuserphonenumber", other_app)
    with pytest.raises(TransportError, match="another appid"):
        mp_client.phone.get_phone_number("code")


@pytest.mark.parametrize(
    "phone_info",
    [None, "13800138000", {"purePhoneNumber": "1"}, {"phoneNumber": "1", "watermark": "x"}],
    ids=["missing", "text", "no-number", "bad-watermark"],
)
def test_a_broken_answer_is_a_transport_error(mp_client: Any, override_route: Any, phone_info: Any) -> None:
    def broken(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
        return ok() if phone_info is None else ok(phone_info=phone_info)

    override_route("POST", "/wxa/business/getuserphonenumber", broken)
    with pytest.raises(TransportError, match="getuserphonenumber"):
        mp_client.phone.get_phone_number("code")
