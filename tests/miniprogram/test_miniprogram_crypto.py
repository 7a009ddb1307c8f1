"""Mini-program ``encryptedData`` decryption: the public vector and every failure mode."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from Crypto.Cipher import AES

from wxkit.crypto import pkcs7_pad
from wxkit.errors import DecryptError
from wxkit.miniprogram import decrypt_encrypted_data

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "vectors.json"
KEY = bytes(range(16))
IV = bytes(range(16, 32))
APPID = "wx_test_appid"


@pytest.fixture(scope="module")
def vector() -> dict:
    return json.loads(VECTORS.read_text(encoding="utf-8"))["messages"]["wxa_decrypt_encrypted_data"]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def encrypt(plain: bytes, *, pad: bool = True) -> str:
    """Encrypt ``plain`` as WeChat does (AES-128-CBC, PKCS#7 to 16) with the test key and IV."""
    return b64(AES.new(KEY, AES.MODE_CBC, IV).encrypt(pkcs7_pad(plain, 16) if pad else plain))


def decrypt(data: str, appid: str | None = APPID, key: str = b64(KEY), iv: str = b64(IV)) -> dict:
    return decrypt_encrypted_data(key, iv, data, appid)


def test_public_vector(vector: dict) -> None:
    inputs = vector["inputs"]
    result = decrypt_encrypted_data(inputs["session_key"], inputs["iv"], inputs["encrypted_data"], inputs["appid"])
    assert result == vector["expected"]["json"]
    assert result["watermark"]["appid"] == vector["expected"]["asserted_fields"]["watermark.appid"]


def test_public_vector_without_appid_check(vector: dict) -> None:
    inputs = vector["inputs"]
    assert (
        decrypt_encrypted_data(inputs["session_key"], inputs["iv"], inputs["encrypted_data"])
        == (vector["expected"]["json"])
    )


def test_public_vector_wrong_appid(vector: dict) -> None:
    inputs = vector["inputs"]
    with pytest.raises(DecryptError, match="appid"):
        decrypt_encrypted_data(inputs["session_key"], inputs["iv"], inputs["encrypted_data"], "wx_someone_else")


def test_round_trip_unicode() -> None:
    payload = {"nickName": "小明", "phoneNumber": "13800138000", "watermark": {"appid": APPID, "timestamp": 1}}
    assert decrypt(encrypt(json.dumps(payload, ensure_ascii=False).encode())) == payload


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"openId": "o"}, id="no-watermark"),
        pytest.param({"watermark": "wx"}, id="watermark-not-object"),
        pytest.param({"watermark": {"timestamp": 1}}, id="no-appid"),
        pytest.param({"watermark": {"appid": APPID.upper()}}, id="appid-case"),
    ],
)
def test_appid_check_failures(payload: dict) -> None:
    data = encrypt(json.dumps(payload).encode())
    with pytest.raises(DecryptError):
        decrypt(data)
    assert decrypt(data, appid=None) == payload


def _valid() -> str:
    return encrypt(json.dumps({"watermark": {"appid": APPID}}).encode())


def _flip_last_byte(data: str) -> str:
    raw = bytearray(base64.b64decode(data))
    raw[-1] ^= 0x01
    return b64(bytes(raw))


BAD_CASES = {
    # base64 problems in each argument
    "session_key-not-base64": {"key": "not base64!!"},
    "session_key-non-ascii": {"key": "密钥密钥"},
    "iv-not-base64": {"iv": "%%%%"},
    "iv-bad-padding": {"iv": b64(IV)[:-2]},
    "data-not-base64": {"data": "@@@@"},
    "data-non-ascii": {"data": "数据"},
    # sizes
    "session_key-24-bytes": {"key": b64(bytes(24))},
    "session_key-32-bytes": {"key": b64(bytes(32))},
    "session_key-empty": {"key": ""},
    "iv-8-bytes": {"iv": b64(bytes(8))},
    "data-empty": {"data": ""},
    "data-not-block-multiple": {"data": b64(bytes(17))},
    "data-truncated": {"data": b64(base64.b64decode(_valid())[:-1])},
    # tampered ciphertext / wrong key or iv
    "data-bad-padding": {"data": _flip_last_byte(_valid())},
    "padding-zero": {"data": encrypt(b'{"a": 1}' + bytes(8), pad=False)},
    "padding-too-large": {"data": encrypt(b'{"a": 1}' + bytes([17]) * 8, pad=False)},
    "wrong-key": {"key": b64(bytes(16))},
    "not-utf8": {"data": encrypt(b"\xff\xfe\xfd")},
    "not-json": {"data": encrypt(b"this is not json")},
    "json-array": {"data": encrypt(b'[{"watermark": {"appid": "wx_test_appid"}}]')},
    "json-string": {"data": encrypt(b'"wx_test_appid"')},
}


@pytest.mark.parametrize("case", list(BAD_CASES.values()), ids=list(BAD_CASES))
def test_every_failure_is_decrypt_error(case: dict) -> None:
    args = {"data": _valid(), "key": b64(KEY), "iv": b64(IV), **case}
    with pytest.raises(DecryptError):
        decrypt(args["data"], key=args["key"], iv=args["iv"])


def test_random_tampering_only_raises_decrypt_error() -> None:
    """Flip every byte of a valid ciphertext in turn: each result is a dict or a DecryptError."""
    raw = base64.b64decode(_valid())
    outcomes = set()
    for i in range(len(raw)):
        tampered = bytearray(raw)
        tampered[i] ^= 0x80
        try:
            decrypt(b64(bytes(tampered)), appid=None)
        except DecryptError:
            outcomes.add("error")
        else:
            outcomes.add("ok")
    assert "error" in outcomes
