"""Login / AsyncLogin against the emulator: code2session, the key kept server-side, rawData and encryptedData checks.

Every scenario runs on ``Login`` (MiniProgramClient) and on ``AsyncLogin`` (AsyncMiniProgramClient, driven
through the shared ``SyncView``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from wxkit import DecryptError, InvalidArgumentError, MemoryStorage, SignatureError, StorageError
from wxkit.miniprogram import AsyncLogin, Login, LoginResult, UserData
from wxkit.miniprogram._login import Keys, dump_keys, raw_signature, storage_key
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import encrypt_user_data

PROFILE = {"nickName": "Band", "gender": 1, "city": "Guangzhou"}


@pytest.fixture
def make_login(make_mp_client: Any, mp_kind: str, sync_view: Any) -> Any:
    """``make_login(storage=None, **kwargs)``: a ``Login`` (sync run) or a sync view of an ``AsyncLogin``."""

    def make(storage: Any = None, **kwargs: Any) -> Any:
        client = make_mp_client()
        if mp_kind == "sync":
            return Login(client, storage, **kwargs)
        return sync_view(AsyncLogin(object.__getattribute__(client, "_target"), storage, **kwargs))

    return make


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


def _login(emu: Emulator, app: AppState, login: Any, openid: str = "o_user_1", **kwargs: Any) -> LoginResult:
    result: LoginResult = login.login(emu.miniprogram_login(app.appid, openid, **kwargs))
    return result


def _raw(emu: Emulator, app: AppState, openid: str) -> tuple[str, str]:
    raw_data = json.dumps(PROFILE, ensure_ascii=False)
    return raw_data, raw_signature(raw_data, emu.miniprogram_session_key(app.appid, openid))


def _flip(b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# -- login ----------------------------------------------------------------------------------------
def test_login_keeps_the_session_key_server_side_and_returns_the_ids_only(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any, storage: MemoryStorage
) -> None:
    login = make_login(storage)
    result = _login(wechat_emulator, wechat_app, login, unionid="o_union_1")
    assert result == LoginResult("o_user_1", "o_union_1")
    key = wechat_emulator.miniprogram_session_key(wechat_app.appid, "o_user_1")
    assert not hasattr(result, "session_key")
    assert key not in repr(result)
    assert key not in repr(login)
    stored = storage.get(storage_key(wechat_app.appid, "o_user_1"))
    assert stored is not None
    assert json.loads(stored)["k"] == key


def test_a_reused_or_unknown_code_is_refused_and_stores_nothing(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any, storage: MemoryStorage
) -> None:
    login = make_login(storage)
    code = wechat_emulator.miniprogram_login(wechat_app.appid, "o_user_1")
    login.login(code)
    before = storage.get(storage_key(wechat_app.appid, "o_user_1"))
    with pytest.raises(InvalidArgumentError) as reused:
        login.login(code)
    assert reused.value.errcode == 40163
    with pytest.raises(InvalidArgumentError) as unknown:
        login.login("not-a-code")
    assert unknown.value.errcode == 40029
    assert storage.get(storage_key(wechat_app.appid, "o_user_1")) == before


# -- rawData ----------------------------------------------------------------------------------------
def test_check_raw_data(wechat_emulator: Emulator, wechat_app: AppState, make_login: Any) -> None:
    login = make_login()
    with pytest.raises(SignatureError, match="log the user in first"):
        login.check_raw_data("o_user_1", "{}", "0" * 40)
    _login(wechat_emulator, wechat_app, login)
    raw_data, signature = _raw(wechat_emulator, wechat_app, "o_user_1")
    login.check_raw_data("o_user_1", raw_data, signature)
    login.check_raw_data("o_user_1", raw_data, signature.upper())


@pytest.mark.parametrize(
    "change",
    [
        lambda raw, sig: (raw.replace("Band", "Bond"), sig),  # rawData edited after signing
        lambda raw, sig: (raw, "0" * 40),
        lambda raw, sig: (raw, ""),
        lambda raw, sig: (raw, sig[:-1]),
        lambda raw, sig: (raw, "签名"),
        lambda raw, sig: (raw, None),
        lambda raw, sig: ({"nickName": "Band"}, sig),
    ],
)
def test_a_bad_signature_on_raw_data_is_refused(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any, change: Any
) -> None:
    login = make_login()
    _login(wechat_emulator, wechat_app, login)
    raw_data, signature = change(*_raw(wechat_emulator, wechat_app, "o_user_1"))
    with pytest.raises(SignatureError):
        login.check_raw_data("o_user_1", raw_data, signature)


def test_raw_data_signed_with_the_previous_session_key_says_so(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any
) -> None:
    login = make_login()
    _login(wechat_emulator, wechat_app, login)
    raw_data, old_signature = _raw(wechat_emulator, wechat_app, "o_user_1")
    _login(wechat_emulator, wechat_app, login)  # the user logs in again: a new session_key
    with pytest.raises(SignatureError, match="previous session_key"):
        login.check_raw_data("o_user_1", raw_data, old_signature)
    login.check_raw_data("o_user_1", *_raw(wechat_emulator, wechat_app, "o_user_1"))


# -- encryptedData ---------------------------------------------------------------------------------
def test_decrypt_with_the_stored_key(wechat_emulator: Emulator, wechat_app: AppState, make_login: Any) -> None:
    login = make_login()
    _login(wechat_emulator, wechat_app, login)
    encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", PROFILE)
    info = login.decrypt("o_user_1", encrypted, iv)
    assert isinstance(info, UserData)
    assert (info["nickName"], info.get("gender"), info.get("missing", "-")) == ("Band", 1, "-")
    assert info.watermark.appid == wechat_app.appid
    assert info.watermark.timestamp == int(wechat_emulator.now())
    assert "Band" not in repr(info)  # personal data stays out of reprs


@pytest.mark.parametrize(
    "tamper",
    [
        lambda enc, iv: (_flip(enc, 0), iv),  # first block: garbles the JSON
        lambda enc, iv: (_flip(enc, -1), iv),  # last block: breaks the padding
        lambda enc, iv: (enc[:-24] + "==", iv),  # cut short
        lambda enc, iv: (enc, _flip(iv, 0)),  # another iv: garbles the first block
        lambda enc, iv: ("not base64!", iv),
        lambda enc, iv: (enc, "c2hvcnQ="),  # an iv of 5 bytes
        lambda enc, iv: (enc + enc, iv),  # a valid ciphertext twice: padding in the middle
        lambda enc, iv: (None, iv),
    ],
)
def test_tampered_encrypted_data_is_refused(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any, tamper: Any
) -> None:
    login = make_login()
    _login(wechat_emulator, wechat_app, login)
    encrypted, iv = tamper(*encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", PROFILE))
    with pytest.raises(DecryptError):
        login.decrypt("o_user_1", encrypted, iv)


def test_a_wrong_watermark_appid_is_refused(wechat_emulator: Emulator, wechat_app: AppState, make_login: Any) -> None:
    login = make_login()
    _login(wechat_emulator, wechat_app, login)
    for watermark in ({"appid": "wx_another_app", "timestamp": 1}, {"timestamp": 1}, "not an object", None):
        data = {**PROFILE, "watermark": watermark}
        encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", data)
        with pytest.raises(DecryptError, match="watermark"):
            login.decrypt("o_user_1", encrypted, iv)


def test_a_changed_session_key_gives_a_clear_error(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any
) -> None:
    login = make_login()
    _login(wechat_emulator, wechat_app, login)
    encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", PROFILE)
    _login(wechat_emulator, wechat_app, login)  # the user logged in again before sending the data
    with pytest.raises(DecryptError, match=r"previous session_key.*logged in again"):
        login.decrypt("o_user_1", encrypted, iv)
    _login(wechat_emulator, wechat_app, login)  # and once more: the first key is forgotten
    with pytest.raises(DecryptError, match="does not decrypt with the user's session_key"):
        login.decrypt("o_user_1", encrypted, iv)
    fresh, fresh_iv = encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", PROFILE)
    assert login.decrypt("o_user_1", fresh, fresh_iv)["nickName"] == "Band"


def test_a_login_that_keeps_the_key_keeps_the_previous_one_too(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any, storage: MemoryStorage
) -> None:
    login = make_login(storage)
    _login(wechat_emulator, wechat_app, login)
    first = wechat_emulator.miniprogram_session_key(wechat_app.appid, "o_user_1")
    _login(wechat_emulator, wechat_app, login)
    _login(wechat_emulator, wechat_app, login, rotate_key=False)  # WeChat kept the key: nothing is forgotten
    stored = json.loads(storage.get(storage_key(wechat_app.appid, "o_user_1")) or "{}")
    assert stored["p"] == first


def test_no_stored_key_and_logout(wechat_emulator: Emulator, wechat_app: AppState, make_login: Any) -> None:
    login = make_login()
    encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", PROFILE)
    with pytest.raises(DecryptError, match="log the user in first"):
        login.decrypt("o_user_1", encrypted, iv)
    _login(wechat_emulator, wechat_app, login)
    encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", PROFILE)
    login.decrypt("o_user_1", encrypted, iv)
    login.logout("o_user_1")
    with pytest.raises(DecryptError, match="log the user in first"):
        login.decrypt("o_user_1", encrypted, iv)


def test_check_session_follows_wechat(wechat_emulator: Emulator, wechat_app: AppState, make_login: Any) -> None:
    login = make_login()
    assert login.check_session("o_user_1") is False
    _login(wechat_emulator, wechat_app, login)
    assert login.check_session("o_user_1") is True
    wechat_emulator.miniprogram_login(wechat_app.appid, "o_user_1")  # logged in again, our backend not told
    assert login.check_session("o_user_1") is False


# -- the watermark's age ----------------------------------------------------------------------------
WXA = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "vectors.json").read_text("utf-8"))["messages"][
    "wxa_decrypt_encrypted_data"
]["inputs"]


def _sample_login(make_login: Any, **kwargs: Any) -> Any:
    """A Login holding the key of WeChat's own 2016 sample for its openid (stored as login() would)."""
    storage = MemoryStorage()
    storage.set(storage_key(WXA["appid"], "o_sample"), dump_keys(Keys(WXA["session_key"])))
    return make_login(storage, appid=WXA["appid"], **kwargs)


def test_wechats_2016_sample_decrypts_by_default(make_login: Any) -> None:
    info = _sample_login(make_login).decrypt("o_sample", WXA["encrypted_data"], WXA["iv"])
    assert (info["nickName"], info.watermark.appid, info.watermark.timestamp) == ("Band", WXA["appid"], 1477314187)


def test_max_age_is_off_by_default_and_refuses_old_data_when_set(make_login: Any) -> None:
    login = _sample_login(make_login, max_age=3600)
    with pytest.raises(DecryptError, match="older than max_age"):
        login.decrypt("o_sample", WXA["encrypted_data"], WXA["iv"])
    assert login.decrypt("o_sample", WXA["encrypted_data"], WXA["iv"], max_age=None)["nickName"] == "Band"
    now = 1477314187 + 100
    fresh = _sample_login(make_login, max_age=3600, clock=lambda: now)
    assert fresh.decrypt("o_sample", WXA["encrypted_data"], WXA["iv"])["city"] == "Guangzhou"
    future = _sample_login(make_login, max_age=3600, clock=lambda: 1477314187 - 3600)
    with pytest.raises(DecryptError, match="in the future"):
        future.decrypt("o_sample", WXA["encrypted_data"], WXA["iv"])


# -- storage and arguments --------------------------------------------------------------------------
class _Down(MemoryStorage):
    def get(self, key: str) -> str | None:
        raise ConnectionError("redis is down")

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        raise ConnectionError("redis is down")


def test_a_failing_storage_is_a_storage_error_without_the_key(
    wechat_emulator: Emulator, wechat_app: AppState, make_login: Any
) -> None:
    login = make_login(_Down())
    with pytest.raises(StorageError) as failed:
        _login(wechat_emulator, wechat_app, login)
    key = wechat_emulator.miniprogram_session_key(wechat_app.appid, "o_user_1")
    assert key not in str(failed.value)
    assert failed.value.key == storage_key(wechat_app.appid, "o_user_1")
    with pytest.raises(StorageError):
        login.decrypt("o_user_1", "x", "y")


def test_a_value_not_of_ours_in_the_storage_counts_as_no_login(
    wechat_app: AppState, make_login: Any, storage: MemoryStorage
) -> None:
    login = make_login(storage)
    for value in ("not json", "[]", '{"k": ""}', '{"k": 5}'):
        storage.set(storage_key(wechat_app.appid, "o_user_1"), value)
        with pytest.raises(DecryptError, match="log the user in first"):
            login.decrypt("o_user_1", "x", "y")


@pytest.mark.parametrize("openid", ["", "a b", "a:b", "ö", "x" * 129, None, "a\nb"])
def test_openids_that_cannot_name_a_key_are_refused(make_login: Any, openid: Any) -> None:
    with pytest.raises(ValueError, match="openid"):
        make_login().decrypt(openid, "x", "y")


class _DictStorage:
    """A storage that is not a MemoryStorage: the async flow calls it off the event loop."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.calls = 0

    def get(self, key: str) -> str | None:
        self.calls += 1
        return self.data.get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.calls += 1
        self.data[key] = value

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        return self.data.setdefault(key, value) == value

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        self.data.pop(key, None)


def test_any_storage_works(wechat_emulator: Emulator, wechat_app: AppState, make_login: Any) -> None:
    storage = _DictStorage()
    login = make_login(storage)
    _login(wechat_emulator, wechat_app, login)
    encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, "o_user_1", PROFILE)
    assert login.decrypt("o_user_1", encrypted, iv)["nickName"] == "Band"
    assert storage.calls == 3  # login: get + set; decrypt: get
