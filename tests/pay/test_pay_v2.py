"""WeChat Pay v2 signatures: string to sign, MD5 / HMAC-SHA256, verification."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from wxkit.pay import v2

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "vectors.json"
KEY = "192006250b4c09247ec02edce69f6a2d"
PARAMS = {"appid": "wx2421b1c4370ec43b", "mch_id": "10000100", "nonce_str": "ibuaiVcKdpRxkhJA", "total_fee": 1}


@pytest.fixture(scope="module")
def vector() -> dict:
    return json.loads(VECTORS.read_text(encoding="utf-8"))["messages"]["pay_v2_md5_sign"]


def hmac_sha256(params: dict, key: str) -> str:
    """An independent HMAC-SHA256 over the documented string to sign."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params)) + f"&key={key}"
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def signed(params: dict, key: str = KEY, sign_type: str = "MD5", **extra: object) -> dict:
    return {**params, **extra, "sign": v2.sign({**params, **extra}, key, sign_type)}


def test_public_vector(vector: dict) -> None:
    params, key = vector["inputs"]["params"], vector["inputs"]["api_key"]
    assert v2.string_to_sign(params, key) == vector["expected"]["string_to_sign"]
    assert v2.sign(params, key) == vector["expected"]["sign"]
    assert v2.verify({**params, "sign": vector["expected"]["sign"]}, key)


def test_string_to_sign_sorts_and_skips_empty_and_sign() -> None:
    params = {"b": "2", "a": 1, "empty": "", "none": None, "sign": "XYZ", "c": "3"}
    assert v2.string_to_sign(params, "k") == "a=1&b=2&c=3&key=k"


def test_string_to_sign_keeps_zero_and_unicode() -> None:
    assert v2.string_to_sign({"fee": 0, "body": "腾讯充值"}, "k") == "body=腾讯充值&fee=0&key=k"


def test_md5_matches_independent_computation() -> None:
    text = "appid=wx2421b1c4370ec43b&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&total_fee=1&key=" + KEY
    expected = hashlib.md5(text.encode()).hexdigest().upper()
    assert v2.sign(PARAMS, KEY) == v2.sign(PARAMS, KEY, "MD5") == expected


def test_hmac_sha256_matches_independent_computation() -> None:
    result = v2.sign(PARAMS, KEY, "HMAC-SHA256")
    assert result == hmac_sha256(PARAMS, KEY)
    assert len(result) == 64
    assert result == result.upper()
    assert result != v2.sign(PARAMS, KEY, "MD5")


@pytest.mark.parametrize("sign_type", v2.SIGN_TYPES)
def test_empty_values_and_sign_do_not_change_the_signature(sign_type: str) -> None:
    noisy = {**PARAMS, "attach": "", "detail": None, "sign": "WHATEVER"}
    assert v2.sign(noisy, KEY, sign_type) == v2.sign(PARAMS, KEY, sign_type)


@pytest.mark.parametrize("sign_type", v2.SIGN_TYPES)
def test_signature_depends_on_key_and_values(sign_type: str) -> None:
    base = v2.sign(PARAMS, KEY, sign_type)
    assert v2.sign(PARAMS, KEY + "x", sign_type) != base
    assert v2.sign({**PARAMS, "total_fee": 2}, KEY, sign_type) != base


@pytest.mark.parametrize("sign_type", ["md5", "SHA256", "HMAC-SHA1", ""])
def test_sign_unknown_type_raises(sign_type: str) -> None:
    with pytest.raises(ValueError, match="sign_type"):
        v2.sign(PARAMS, KEY, sign_type)


@pytest.mark.parametrize("sign_type", v2.SIGN_TYPES)
def test_verify_accepts_good_signature(sign_type: str) -> None:
    assert v2.verify(signed(PARAMS, sign_type=sign_type), KEY, sign_type)


@pytest.mark.parametrize("sign_type", v2.SIGN_TYPES)
def test_verify_accepts_lower_case_signature(sign_type: str) -> None:
    params = signed(PARAMS, sign_type=sign_type)
    assert v2.verify({**params, "sign": params["sign"].lower()}, KEY, sign_type)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: {**p, "total_fee": 100}, id="changed-value"),
        pytest.param(lambda p: {**p, "extra": "x"}, id="added-param"),
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "mch_id"}, id="removed-param"),
        pytest.param(lambda p: {**p, "sign": p["sign"][:-1] + ("0" if p["sign"][-1] != "0" else "1")}, id="bad-sign"),
        pytest.param(lambda p: {**p, "sign": p["sign"][:-1]}, id="short-sign"),
    ],
)
def test_verify_rejects_tampering(tamper) -> None:
    assert not v2.verify(tamper(signed(PARAMS)), KEY)


def test_verify_rejects_wrong_key() -> None:
    assert not v2.verify(signed(PARAMS), KEY + "x")


@pytest.mark.parametrize("sign", [None, "", 123, b"ABC"], ids=["none", "empty", "int", "bytes"])
def test_verify_missing_or_non_string_sign_is_false(sign: object) -> None:
    assert not v2.verify({**PARAMS, "sign": sign}, KEY)
    assert not v2.verify(dict(PARAMS), KEY)


def test_verify_non_ascii_sign_is_false() -> None:
    assert not v2.verify({**PARAMS, "sign": "签名" * 16}, KEY)


def test_verify_takes_sign_type_from_params() -> None:
    params = {**PARAMS, "sign_type": "HMAC-SHA256"}
    params["sign"] = hmac_sha256(params, KEY)
    assert v2.verify(params, KEY)
    # The explicit argument wins over the parameter.
    assert not v2.verify(params, KEY, "MD5")
    # An MD5 signature does not pass when the parameter says HMAC-SHA256.
    assert not v2.verify({**params, "sign": v2.sign(params, KEY, "MD5")}, KEY)


def test_verify_defaults_to_md5() -> None:
    md5_params = signed(PARAMS)
    assert v2.verify(md5_params, KEY)
    assert not v2.verify({**PARAMS, "sign": v2.sign(PARAMS, KEY, "HMAC-SHA256")}, KEY)


@pytest.mark.parametrize(("argument", "param"), [("SHA1", None), (None, "SHA1"), ("RSA", "MD5")])
def test_verify_unknown_sign_type_is_false(argument: str | None, param: str | None) -> None:
    params = signed(PARAMS)
    if param is not None:
        params["sign_type"] = param
    assert not v2.verify(params, KEY, argument)
