"""client.auth: code2session and the session-key APIs, sync and async, against the emulator."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from wxkit.errors import APIError, ConfigError, InvalidArgumentError
from wxkit.miniprogram import Session
from wxkit.miniprogram.auth import session_signature
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import add_paid_order, plugin_code


def test_code2session_answers_the_typed_session(
    mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    js_code = wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann", unionid="u_ann")
    session = mp_client.auth.code2session(js_code)
    assert isinstance(session, Session)
    assert (session.openid, session.unionid) == ("o_ann", "u_ann")
    assert session.session_key == wechat_emulator.miniprogram_session_key(wechat_app.appid, "o_ann")
    assert session.session_key not in repr(session)
    assert session.raw["openid"] == "o_ann"


def test_code2session_without_unionid_is_none(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    session = mp_client.auth.code2session(wechat_emulator.miniprogram_login(wechat_app.appid, "o_bob"))
    assert session.unionid is None


def test_code2session_needs_no_access_token(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    mp_client.auth.code2session(wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann"))
    assert wechat_app.token_fetches == 0


def test_a_reused_js_code_is_40163(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    js_code = wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")
    mp_client.auth.code2session(js_code)
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.auth.code2session(js_code)
    assert info.value.errcode == 40163
    assert js_code not in str(info.value)
    assert wechat_app.secret not in str(info.value)


def test_an_expired_js_code_is_40029(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    js_code = wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")
    wechat_emulator.advance(301)
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.auth.code2session(js_code)
    assert info.value.errcode == 40029


def test_an_unknown_or_foreign_js_code_is_40029(
    mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    other = wechat_emulator.add_app("wx_other_mini", "other-secret")
    foreign = wechat_emulator.miniprogram_login(other.appid, "o_ann")
    for code in ("0a1b2c3d", foreign):
        with pytest.raises(InvalidArgumentError) as info:
            mp_client.auth.code2session(code)
        assert info.value.errcode == 40029


@pytest.mark.parametrize("code", ["", None, 42])
def test_an_empty_js_code_is_refused_before_sending(
    mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState, code: Any
) -> None:
    sent = len(wechat_emulator.requests)
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.auth.code2session(code)
    assert info.value.errcode == 41008
    assert len(wechat_emulator.requests) == sent


def test_code2session_needs_the_secret(make_mp_client: Any, wechat_app: AppState) -> None:
    client = make_mp_client(secret="", token_source=lambda: "TOKEN")
    with pytest.raises(ConfigError):
        client.auth.code2session("any")


def test_a_wrong_secret_is_refused(make_mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    client = make_mp_client(secret="not-the-secret")
    with pytest.raises(APIError) as info:
        client.auth.code2session(wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann"))
    assert info.value.errcode == 40125
    assert "not-the-secret" not in str(info.value)


def test_session_signature_is_hmac_sha256_of_nothing() -> None:
    assert session_signature("key") == hmac.new(b"key", b"", hashlib.sha256).hexdigest()
    with pytest.raises(ValueError, match="session_key"):
        session_signature("")


def test_check_session_key(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    session = mp_client.auth.code2session(wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann"))
    assert mp_client.auth.check_session_key("o_ann", session.session_key) is True
    assert mp_client.auth.check_session_key("o_ann", "c3RhbGUta2V5LXN0YWxlIQ==") is False
    # logging in again renews the key: the old one no longer checks
    mp_client.auth.code2session(wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann"))
    assert mp_client.auth.check_session_key("o_ann", session.session_key) is False


def test_check_session_key_of_an_unknown_user_raises(mp_client: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.auth.check_session_key("o_nobody", "a2V5")
    assert info.value.errcode == 40003


def test_reset_session_key(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    old = mp_client.auth.code2session(wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")).session_key
    new = mp_client.auth.reset_session_key("o_ann", old)
    assert new.openid == "o_ann"
    assert new.session_key != old
    assert new.session_key == wechat_emulator.miniprogram_session_key(wechat_app.appid, "o_ann")
    with pytest.raises(APIError) as info:
        mp_client.auth.reset_session_key("o_ann", old)
    assert info.value.errcode == 87009


def test_get_user_encrypt_key(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    key = mp_client.auth.code2session(wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")).session_key
    [first] = mp_client.auth.get_user_encrypt_key("o_ann", key)
    assert first.version == 1
    assert first.expire_in == 3600
    assert first.encrypt_key
    assert len(first.iv) == 16
    assert first.encrypt_key not in repr(first)
    with pytest.raises(APIError) as info:
        mp_client.auth.get_user_encrypt_key("o_ann", "d3Jvbmc=")
    assert info.value.errcode == 87009


def test_get_paid_unionid(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann", unionid="u_ann")
    order = add_paid_order(wechat_emulator, wechat_app, "o_ann", mchid="1230000109", out_trade_no="T-1")
    assert mp_client.auth.get_paid_unionid("o_ann", transaction_id=order["transaction_id"]) == "u_ann"
    assert mp_client.auth.get_paid_unionid("o_ann", mch_id="1230000109", out_trade_no="T-1") == "u_ann"
    with pytest.raises(APIError) as info:
        mp_client.auth.get_paid_unionid("o_bob", transaction_id=order["transaction_id"])
    assert info.value.errcode == 89300


def test_get_paid_unionid_without_unionid_is_89002(
    mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    order = add_paid_order(wechat_emulator, wechat_app, "o_bob")
    with pytest.raises(APIError) as info:
        mp_client.auth.get_paid_unionid("o_bob", transaction_id=order["transaction_id"])
    assert info.value.errcode == 89002


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"mch_id": "1"}, {"transaction_id": "4200", "out_trade_no": "T-1"}],
    ids=["none", "half", "both"],
)
def test_get_paid_unionid_names_the_order_one_way(mp_client: Any, kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="transaction_id"):
        mp_client.auth.get_paid_unionid("o_ann", **kwargs)


def test_get_plugin_openpid(mp_client: Any, wechat_app: AppState) -> None:
    code = plugin_code(wechat_app, "o_ann")
    openpid = mp_client.auth.get_plugin_openpid(code)
    assert openpid.startswith("op")
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.auth.get_plugin_openpid(code)
    assert info.value.errcode == 40029
