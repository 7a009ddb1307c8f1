"""MiniProgramClient / AsyncMiniProgramClient: the token, the escape hatch, reprs, the light import."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import attrs
import pytest

from wxkit import MemoryStorage
from wxkit.errors import AccessTokenError
from wxkit.miniprogram import PhoneInfo, Session
from wxkit.testing import AppState, Emulator


def test_the_escape_hatch(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    code = wechat_emulator.miniprogram_phone_code(wechat_app.appid, "13800138000")
    answer = mp_client.post("/wxa/business/getuserphonenumber", {"code": code})
    assert answer["phone_info"]["purePhoneNumber"] == "13800138000"
    js_code = wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")
    params = {"appid": wechat_app.appid, "secret": wechat_app.secret, "js_code": js_code}
    assert (
        mp_client.get("/sns/jscode2session", params | {"grant_type": "authorization_code"}, with_token=False)["openid"]
        == "o_ann"
    )


def test_the_token_is_the_official_accounts_one(
    make_mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState
) -> None:
    storage = MemoryStorage()
    official = wechat_emulator.client(wechat_app.appid, wechat_app.secret, storage=storage)
    try:
        token = official.access_token
    finally:
        official.close()
    client = make_mp_client(storage=storage)
    assert client.access_token == token
    assert wechat_app.token_fetches == 1
    assert storage.get(f"wxkit:access_token:{wechat_app.appid}") is not None


def test_a_refused_token_is_fetched_again_once(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    mp_client.subscribe.get_category()
    wechat_emulator.invalidate_tokens(wechat_app.appid)
    assert mp_client.subscribe.get_category()["data"]
    assert wechat_app.token_fetches == 2


def test_a_wrong_secret_is_an_access_token_error(make_mp_client: Any) -> None:
    client = make_mp_client(secret="wrong")
    with pytest.raises(AccessTokenError):
        client.subscribe.get_category()


def test_reprs_hold_no_secret(mp_client: Any, wechat_app: AppState) -> None:
    assert wechat_app.secret not in repr(mp_client)
    assert wechat_app.appid in repr(mp_client)
    assert repr(mp_client.auth) in ("<AuthAPI>", "<AsyncAuthAPI>")


def test_typed_answers_are_frozen() -> None:
    session = Session.from_dict({"openid": "o", "session_key": "k"})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        session.openid = "x"  # type: ignore[misc]
    info = PhoneInfo.from_dict(
        {"phoneNumber": "1", "purePhoneNumber": "1", "countryCode": 86, "watermark": {"appid": "wx", "timestamp": 1}}
    )
    assert info.country_code == "86"
    assert not hasattr(info, "__dict__")


def test_importing_the_package_imports_no_http_library() -> None:
    code = (
        "import sys\n"
        "import wxkit.miniprogram as mp\n"
        "light = not {'requests', 'httpx'} & set(sys.modules)\n"
        "mp.MiniProgramClient\n"
        "print(light, 'httpx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
