"""v3 primitives: SHA256withRSA, AEAD_AES_256_GCM, RSA-OAEP, key loading, the Signer, and PayClient's key checks."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from Crypto.PublicKey import RSA

from wxkit.errors import ConfigError, DecryptError
from wxkit.pay.v3 import (
    PayClient,
    Signer,
    aead_decrypt,
    aead_encrypt,
    load_private_key,
    load_public_key,
    oaep_decrypt,
    oaep_encrypt,
    rsa_sign,
    rsa_verify,
)
from wxkit.pay.v3.signer import AUTH_SCHEMA, build_message
from wxkit.testing.pay import platform_key
from wxkit.testing.x509 import make_certificate

APIV3_KEY = "0123456789abcdef0123456789abcdef"
NONCE = "5K8264ILTKCH"
AD = "transaction"
PLAIN = '{"out_trade_no":"1217752501201407033233368018","amount":{"total":100}}'

# Every test here runs on both crypto backends (tests/pay/conftest.py).
pytestmark = pytest.mark.usefixtures("pay_crypto_backend")


@pytest.fixture(scope="module")
def key() -> RSA.RsaKey:
    return platform_key(100)


@pytest.fixture(scope="module")
def other() -> RSA.RsaKey:
    return platform_key(101)


def _flip(b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# -- SHA256withRSA ----------------------------------------------------------------------------


def test_rsa_round_trip_text_and_bytes(key: RSA.RsaKey) -> None:
    signature = rsa_sign(key, "GET\n/v3/certificates\n1554208460\nNONCE\n\n")
    assert rsa_verify(key.public_key(), "GET\n/v3/certificates\n1554208460\nNONCE\n\n", signature)
    assert rsa_verify(key, b"GET\n/v3/certificates\n1554208460\nNONCE\n\n", signature)  # a private key's public half
    assert rsa_sign(key, "中文") == rsa_sign(key, "中文".encode())


@pytest.mark.parametrize(
    "case",
    ["wrong key", "tampered message", "flipped bit", "not base64", "empty", "truncated", "not text", "probe"],
)
def test_rsa_verify_is_false_for_bad_input(key: RSA.RsaKey, other: RSA.RsaKey, case: str) -> None:
    signature = rsa_sign(key, "message")
    verify_key, message, sig = key.public_key(), "message", signature
    if case == "wrong key":
        verify_key = other.public_key()
    elif case == "tampered message":
        message = "messagE"
    elif case == "flipped bit":
        sig = _flip(signature, 10)
    elif case == "not base64":
        sig = "***"
    elif case == "empty":
        sig = ""
    elif case == "truncated":
        sig = base64.b64encode(base64.b64decode(signature)[:-1]).decode()
    elif case == "not text":
        sig = 12345  # type: ignore[assignment]  # bad input on purpose
    elif case == "probe":
        sig = "WECHATPAY/SIGNTEST/" + signature
    assert rsa_verify(verify_key, message, sig) is False


# -- AEAD_AES_256_GCM -------------------------------------------------------------------------


def test_aead_round_trip() -> None:
    ciphertext = aead_encrypt(APIV3_KEY, NONCE, AD, PLAIN)
    assert aead_decrypt(APIV3_KEY, NONCE, AD, ciphertext) == PLAIN.encode()
    assert aead_decrypt(APIV3_KEY.encode(), NONCE.encode(), AD.encode(), ciphertext.encode()) == PLAIN.encode()
    no_ad = aead_encrypt(APIV3_KEY, NONCE, None, PLAIN)
    assert aead_decrypt(APIV3_KEY, NONCE, "", no_ad) == PLAIN.encode()


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("tag", "tag mismatch"),
        ("ciphertext", "tag mismatch"),
        ("nonce", "tag mismatch"),
        ("associated data", "tag mismatch"),
        ("wrong key", "tag mismatch"),
        ("short key", "16, 24 or 32 bytes"),
        ("not base64", "base64"),
        ("too short", "too short"),
        ("empty nonce", "empty nonce"),
        ("nonce not text", "must be text"),
    ],
)
def test_aead_decrypt_refuses_tampering(case: str, match: str) -> None:
    ciphertext = aead_encrypt(APIV3_KEY, NONCE, AD, PLAIN)
    args: list[Any] = [APIV3_KEY, NONCE, AD, ciphertext]
    raw_len = len(base64.b64decode(ciphertext))
    if case == "tag":
        args[3] = _flip(ciphertext, raw_len - 1)
    elif case == "ciphertext":
        args[3] = _flip(ciphertext, 0)
    elif case == "nonce":
        args[1] = NONCE[:-1] + "X"
    elif case == "associated data":
        args[2] = "refund"
    elif case == "wrong key":
        args[0] = APIV3_KEY[::-1]
    elif case == "short key":
        args[0] = "0123456789abcdef0123"
    elif case == "not base64":
        args[3] = "not base64!"
    elif case == "too short":
        args[3] = base64.b64encode(b"x" * 16).decode()
    elif case == "empty nonce":
        args[1] = ""
    elif case == "nonce not text":
        args[1] = 123456
    with pytest.raises(DecryptError, match=match) as info:
        aead_decrypt(*args)
    assert APIV3_KEY not in str(info.value)


def test_aead_encrypt_refuses_a_bad_key_or_nonce_as_configuration() -> None:
    with pytest.raises(ConfigError, match="32"):
        aead_encrypt("short", NONCE, AD, PLAIN)
    with pytest.raises(ConfigError, match="nonce"):
        aead_encrypt(APIV3_KEY, "", AD, PLAIN)


# -- RSA-OAEP ----------------------------------------------------------------------------------


def test_oaep_round_trip_with_key_and_certificate(key: RSA.RsaKey) -> None:
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    cert = make_certificate(key, "5157F09EFDC096DE15EBE81A47057A72", not_before=now, not_after=now.replace(year=2029))
    for public in (key.public_key(), cert, cert.encode()):
        ciphertext = oaep_encrypt(public, "张三")
        assert oaep_decrypt(key, ciphertext) == "张三"
    assert oaep_encrypt(key, "x") != oaep_encrypt(key, "x")  # randomized padding


@pytest.mark.parametrize("case", ["flipped bit", "wrong key", "not base64", "empty", "truncated"])
def test_oaep_decrypt_refuses_tampering(key: RSA.RsaKey, other: RSA.RsaKey, case: str) -> None:
    ciphertext = oaep_encrypt(key.public_key(), "110101199003077777")
    private = key
    if case == "flipped bit":
        ciphertext = _flip(ciphertext, 5)
    elif case == "wrong key":
        private = other
    elif case == "not base64":
        ciphertext = "@@@"
    elif case == "empty":
        ciphertext = ""
    elif case == "truncated":
        ciphertext = base64.b64encode(base64.b64decode(ciphertext)[:-3]).decode()
    with pytest.raises(DecryptError):
        oaep_decrypt(private, ciphertext)


def test_oaep_decrypt_with_a_public_key_is_a_configuration_error(key: RSA.RsaKey) -> None:
    with pytest.raises(ConfigError, match="private key is required"):
        oaep_decrypt(key.public_key(), oaep_encrypt(key, "x"))


# -- key loading -------------------------------------------------------------------------------


def _forms(key: RSA.RsaKey, tmp_path: Path) -> dict[str, Any]:
    pkcs8 = key.export_key("PEM", pkcs=8).decode()
    path = tmp_path / "apiclient_key.pem"
    path.write_text(pkcs8)
    body = "".join(line for line in pkcs8.splitlines() if not line.startswith("-----"))
    return {
        "pem text (pkcs8)": pkcs8,
        "pem text (pkcs1)": key.export_key("PEM").decode(),
        "pem bytes": pkcs8.encode(),
        "der bytes": key.export_key("DER", pkcs=8),
        "path str": str(path),
        "path object": path,
        "base64 body": body,
        "base64 body with newlines": "\n".join(body[i : i + 64] for i in range(0, len(body), 64)),
        "RsaKey": key,
    }


FORMS = [
    "pem text (pkcs8)",
    "pem text (pkcs1)",
    "pem bytes",
    "der bytes",
    "path str",
    "path object",
    "base64 body",
    "base64 body with newlines",
    "RsaKey",
]


@pytest.mark.parametrize("form", FORMS)
def test_private_key_forms(key: RSA.RsaKey, tmp_path: Path, form: str) -> None:
    loaded = load_private_key(_forms(key, tmp_path)[form])
    assert loaded.has_private()
    assert loaded.n == key.n
    assert rsa_verify(key.public_key(), "m", rsa_sign(_forms(key, tmp_path)[form], "m"))


@pytest.mark.parametrize("form", FORMS)
def test_public_key_forms(key: RSA.RsaKey, tmp_path: Path, form: str) -> None:
    loaded = load_public_key(_forms(key.public_key(), tmp_path)[form] if form != "pem text (pkcs1)" else key)
    assert not loaded.has_private()
    assert loaded.n == key.n


def test_public_key_from_certificate_pem_der_and_file(key: RSA.RsaKey, tmp_path: Path) -> None:
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    pem = make_certificate(key, "ABC123", not_before=now, not_after=now.replace(year=2029))
    der = base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))
    path = tmp_path / "wechatpay_ABC123.pem"
    path.write_text(pem)
    for form in (pem, pem.encode(), der, path, str(path)):
        assert load_public_key(form).n == key.n


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("public RsaKey", "private key is required"),
        ("public PEM", "private key is required"),
        ("certificate", "private key is required"),
        ("garbage text", "neither PEM"),
        ("garbage PEM", "cannot load"),
        ("garbage bytes", "cannot load"),
        ("missing file", "neither PEM"),
        ("missing Path", "cannot read the key file"),
        ("directory", "cannot read the key file"),
        ("int", "unsupported key type"),
    ],
)
def test_bad_private_keys_are_configuration_errors(key: RSA.RsaKey, tmp_path: Path, case: str, match: str) -> None:
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    bad: Any = {
        "public RsaKey": key.public_key(),
        "public PEM": key.public_key().export_key("PEM").decode(),
        "certificate": make_certificate(key, "ABC", not_before=now, not_after=now.replace(year=2029)),
        "garbage text": "this is not a key.",
        "garbage PEM": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "garbage bytes": b"\x30\x03\x02\x01\x00",
        "missing file": str(tmp_path / "nope" / "apiclient_key.pem"),
        "missing Path": tmp_path / "nope.pem",
        "directory": tmp_path,
        "int": 42,
    }[case]
    with pytest.raises(ConfigError, match=match):
        load_private_key(bad)
    with pytest.raises(ConfigError):
        rsa_sign(bad, "m")


def test_bad_public_keys_are_configuration_errors(tmp_path: Path) -> None:
    for bad in ("not a key.", b"\x00\x01", tmp_path / "missing.pem", 3.14):
        with pytest.raises(ConfigError):
            load_public_key(bad)  # type: ignore[arg-type]  # bad input on purpose
        with pytest.raises(ConfigError):
            rsa_verify(bad, "m", "AAAA")  # type: ignore[arg-type]  # bad input on purpose


# -- Signer ------------------------------------------------------------------------------------


def test_signer_authorization_header_shape_and_signature(key: RSA.RsaKey) -> None:
    signer = Signer("1900000001", "MSERIAL", key, clock=lambda: 1700000000.9, nonce=lambda: "N0NCE")
    header = signer.authorization("post", "/v3/pay/transactions/native", '{"a":"中"}')
    assert header.startswith(AUTH_SCHEMA + " ")
    fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
    assert fields == {
        "mchid": "1900000001",
        "nonce_str": "N0NCE",
        "signature": fields["signature"],
        "timestamp": "1700000000",
        "serial_no": "MSERIAL",
    }
    message = build_message("POST", "/v3/pay/transactions/native", "1700000000", "N0NCE", '{"a":"中"}'.encode())
    assert rsa_verify(key, message, fields["signature"])
    assert signer.sign_fields("wx1", "1700000000", "N", "prepay_id=1") == rsa_sign(
        key, "wx1\n1700000000\nN\nprepay_id=1\n"
    )


def test_signer_default_nonce_is_random_and_repr_hides_the_key(key: RSA.RsaKey) -> None:
    signer = Signer("1900000001", "MSERIAL", key)
    first = dict(re.findall(r'(\w+)="([^"]*)"', signer.authorization("GET", "/v3/certificates")))
    second = dict(re.findall(r'(\w+)="([^"]*)"', signer.authorization("GET", "/v3/certificates")))
    assert first["nonce_str"] != second["nonce_str"]
    assert len(first["nonce_str"]) == 32
    assert repr(signer) == "Signer(mchid='1900000001', serial_no='MSERIAL')"


@pytest.mark.parametrize(("mchid", "serial"), [("", "S"), ("1900000001", "")])
def test_signer_requires_mchid_and_serial(key: RSA.RsaKey, mchid: str, serial: str) -> None:
    with pytest.raises(ConfigError):
        Signer(mchid, serial, key)


def test_signer_refuses_a_public_key(key: RSA.RsaKey) -> None:
    with pytest.raises(ConfigError, match="private key is required"):
        Signer("1900000001", "S", key.public_key())


# -- PayClient construction --------------------------------------------------------------------


@pytest.mark.parametrize(
    "apiv3_key",
    ["", "0123456789abcdef", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0", "密钥" * 11, 32],
    ids=["empty", "16", "31", "33", "32 chars but 66 bytes", "int"],
)
def test_pay_client_refuses_an_apiv3_key_that_is_not_32_bytes(key: RSA.RsaKey, apiv3_key: Any) -> None:
    with pytest.raises(ConfigError, match="32") as info:
        PayClient("1900000001", "MSERIAL", key, apiv3_key, base_url="http://127.0.0.1:9")
    if isinstance(apiv3_key, str) and apiv3_key:
        assert apiv3_key not in str(info.value)


def test_pay_client_accepts_a_32_byte_key_as_bytes(key: RSA.RsaKey) -> None:
    client = PayClient("1900000001", "MSERIAL", key, APIV3_KEY.encode(), base_url="http://127.0.0.1:9")
    assert APIV3_KEY not in repr(client)
    assert "PRIVATE" not in repr(client)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"private_key": "PUBLIC"}, "private key is required"),
        ({"public_key": "PUBLIC"}, "go together"),
        ({"public_key_id": "PUB_KEY_ID_0112"}, "go together"),
        ({"public_key": "not a key.", "public_key_id": "PUB_KEY_ID_0112"}, "neither PEM"),
        ({"use_certificates": False}, "public key"),
    ],
)
def test_pay_client_configuration_errors(key: RSA.RsaKey, kwargs: dict[str, Any], match: str) -> None:
    public_pem = key.public_key().export_key("PEM").decode()
    args: dict[str, Any] = {k: (public_pem if v == "PUBLIC" else v) for k, v in kwargs.items()}
    private = args.pop("private_key", key)
    with pytest.raises(ConfigError, match=match):
        PayClient("1900000001", "MSERIAL", private, APIV3_KEY, base_url="http://127.0.0.1:9", **args)
