"""The v3 Verifier: signatures, the 5-minute window, serials, public key and certificates (switch-over)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from Crypto.PublicKey import RSA
from requests.structures import CaseInsensitiveDict

from wxkit.errors import ConfigError, SignatureError
from wxkit.pay.v3 import Verifier, rsa_sign
from wxkit.pay.v3.signer import build_message
from wxkit.pay.v3.verifier import SIGNATURE_PROBE_PREFIX, header
from wxkit.testing.pay import platform_key

NOW = 1_700_000_000
PUB_ID = "PUB_KEY_ID_0114232134912410000000000000000001"
CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
BODY = '{"id":"EV-2018022511223320873","resource":{"ciphertext":"..."}}'

# Every test here runs on both crypto backends (tests/pay/conftest.py).
pytestmark = pytest.mark.usefixtures("pay_crypto_backend")


@pytest.fixture(scope="module")
def pay_key() -> RSA.RsaKey:
    return platform_key(100)


@pytest.fixture(scope="module")
def cert_key() -> RSA.RsaKey:
    return platform_key(101)


class Certs:
    """A KeySource stub that records every lookup."""

    def __init__(self, keys: dict[str, RSA.RsaKey]) -> None:
        self.keys = keys
        self.calls: list[str] = []

    def key_for(self, serial: str) -> RSA.RsaKey | None:
        self.calls.append(serial)
        return self.keys.get(serial)


def signed(
    key: RSA.RsaKey, serial: str, body: str | bytes = BODY, *, timestamp: int = NOW, nonce: str | None = None
) -> dict[str, str]:
    nonce = nonce or secrets.token_hex(16)
    data = body.encode() if isinstance(body, str) else body
    return {
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": rsa_sign(key, build_message(str(timestamp), nonce, data)),
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def verifier(pay_key: RSA.RsaKey | None = None, certs: Certs | None = None, now: float = NOW) -> Verifier:
    return Verifier(
        public_key=pay_key.public_key() if pay_key is not None else None,
        public_key_id=PUB_ID if pay_key is not None else None,
        certificates=certs,
        clock=lambda: now,
    )


def test_public_key_answer_verifies_and_never_consults_certificates(pay_key: RSA.RsaKey) -> None:
    certs = Certs({})
    v = verifier(pay_key, certs)
    v.verify(signed(pay_key, PUB_ID), BODY)
    v.verify(signed(pay_key, PUB_ID), BODY.encode())
    assert certs.calls == []
    # A public-key-only verifier: a PUB_KEY_ID of someone else is refused without any certificate lookup.
    with pytest.raises(SignatureError, match="unknown WeChat Pay public key id"):
        v.verify(signed(pay_key, "PUB_KEY_ID_0199999"), BODY)
    assert certs.calls == []


def test_certificate_answer_verifies_through_the_key_source(cert_key: RSA.RsaKey) -> None:
    certs = Certs({CERT_SERIAL: cert_key.public_key()})
    verifier(certs=certs).verify(signed(cert_key, CERT_SERIAL), BODY)
    assert certs.calls == [CERT_SERIAL]


def test_switch_over_accepts_both_at_once(pay_key: RSA.RsaKey, cert_key: RSA.RsaKey) -> None:
    certs = Certs({CERT_SERIAL: cert_key.public_key()})
    v = verifier(pay_key, certs)
    for _ in range(2):
        v.verify(signed(pay_key, PUB_ID), BODY)
        v.verify(signed(cert_key, CERT_SERIAL), BODY)
    assert certs.calls == [CERT_SERIAL, CERT_SERIAL]
    # Each serial checks with its own key: the public key cannot pass for the certificate, nor the reverse.
    with pytest.raises(SignatureError, match="does not match"):
        v.verify(signed(pay_key, CERT_SERIAL), BODY)
    with pytest.raises(SignatureError, match="does not match"):
        v.verify(signed(cert_key, PUB_ID), BODY)


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("forged signature", "does not match"),
        ("tampered body", "does not match"),
        ("tampered nonce", "does not match"),
        ("tampered timestamp", "does not match"),
        ("signature not base64", "not base64"),
        ("signature probe", "probe"),
        ("older than 5 minutes", "5-minute"),
        ("exactly 5 minutes old", "5-minute"),
        ("in the future", "5-minute"),
        ("malformed timestamp", "malformed"),
        ("signed timestamp with sign", "malformed"),
        ("missing timestamp", "malformed"),
        ("missing nonce", "missing Wechatpay-Nonce"),
        ("missing signature", "missing Wechatpay-Signature"),
        ("missing serial", "missing Wechatpay-Serial"),
        ("missing everything", "missing Wechatpay-Nonce, Wechatpay-Signature, Wechatpay-Serial"),
        ("unknown certificate serial", "unknown Wechatpay-Serial"),
        ("unknown public key id", "unknown WeChat Pay public key id"),
    ],
)
def test_bad_answers_are_signature_errors(pay_key: RSA.RsaKey, cert_key: RSA.RsaKey, case: str, match: str) -> None:
    other = platform_key(102)
    certs = Certs({CERT_SERIAL: cert_key.public_key()})
    v = verifier(pay_key, certs)
    headers: dict[str, Any] = signed(cert_key, CERT_SERIAL)
    body = BODY
    if case == "forged signature":
        headers = signed(other, CERT_SERIAL)
    elif case == "tampered body":
        body = BODY.replace("EV-", "EX-")
    elif case == "tampered nonce":
        headers["Wechatpay-Nonce"] += "0"
    elif case == "tampered timestamp":
        headers["Wechatpay-Timestamp"] = str(NOW + 1)
    elif case == "signature not base64":
        headers["Wechatpay-Signature"] = "%%%"
    elif case == "signature probe":
        headers["Wechatpay-Signature"] = SIGNATURE_PROBE_PREFIX + headers["Wechatpay-Signature"]
    elif case == "older than 5 minutes":
        headers = signed(cert_key, CERT_SERIAL, timestamp=NOW - 301)
    elif case == "exactly 5 minutes old":
        headers = signed(cert_key, CERT_SERIAL, timestamp=NOW - 300)
    elif case == "in the future":
        headers = signed(cert_key, CERT_SERIAL, timestamp=NOW + 300)
    elif case == "malformed timestamp":
        headers["Wechatpay-Timestamp"] = "1.7e9"
    elif case == "signed timestamp with sign":
        headers["Wechatpay-Timestamp"] = f"+{NOW}"
    elif case == "missing timestamp":
        del headers["Wechatpay-Timestamp"]
    elif case == "missing nonce":
        del headers["Wechatpay-Nonce"]
    elif case == "missing signature":
        del headers["Wechatpay-Signature"]
    elif case == "missing serial":
        headers["Wechatpay-Serial"] = ""
    elif case == "missing everything":
        headers = {}
    elif case == "unknown certificate serial":
        headers = signed(cert_key, "7132D72A03E93CDDF8C03BBD1F37EEDF0E8FF6D2")
    elif case == "unknown public key id":
        headers = signed(pay_key, "PUB_KEY_ID_0000000000000000000000000000000000")
    with pytest.raises(SignatureError, match=match):
        v.verify(headers, body)


def test_a_recent_answer_inside_the_window_passes(cert_key: RSA.RsaKey) -> None:
    certs = Certs({CERT_SERIAL: cert_key.public_key()})
    for delta in (-299, 0, 299):
        verifier(certs=certs, now=NOW + delta).verify(signed(cert_key, CERT_SERIAL), BODY)


def test_a_certificate_serial_without_certificates_is_refused(cert_key: RSA.RsaKey, pay_key: RSA.RsaKey) -> None:
    with pytest.raises(SignatureError, match="no platform certificates are used"):
        verifier(pay_key).verify(signed(cert_key, CERT_SERIAL), BODY)


def test_a_public_key_answer_without_a_public_key_is_refused(pay_key: RSA.RsaKey, cert_key: RSA.RsaKey) -> None:
    certs = Certs({CERT_SERIAL: cert_key.public_key()})
    with pytest.raises(SignatureError, match="configure public_key and public_key_id"):
        verifier(certs=certs).verify(signed(pay_key, PUB_ID), BODY)
    assert certs.calls == []  # a PUB_KEY_ID never triggers a certificate download


@pytest.mark.parametrize("spelling", ["canonical", "lower", "upper", "CaseInsensitiveDict"])
def test_headers_in_any_case(cert_key: RSA.RsaKey, spelling: str) -> None:
    headers: Any = signed(cert_key, CERT_SERIAL)
    if spelling == "lower":
        headers = {k.lower(): v for k, v in headers.items()}
    elif spelling == "upper":
        headers = {k.upper(): v for k, v in headers.items()}
    elif spelling == "CaseInsensitiveDict":
        headers = CaseInsensitiveDict({k.lower(): v for k, v in headers.items()})
    verifier(certs=Certs({CERT_SERIAL: cert_key.public_key()})).verify(headers, BODY)
    assert header(headers, "wechatpay-serial") == CERT_SERIAL
    assert header(headers, "Wechatpay-Missing") == ""


def test_public_key_and_id_go_together(pay_key: RSA.RsaKey) -> None:
    with pytest.raises(ConfigError):
        Verifier(public_key=pay_key.public_key())
    with pytest.raises(ConfigError):
        Verifier(public_key_id=PUB_ID)
    with pytest.raises(ConfigError):
        Verifier(public_key="not a key.", public_key_id=PUB_ID)


def test_repr_and_errors_carry_no_key_material(pay_key: RSA.RsaKey) -> None:
    v = verifier(pay_key)
    assert repr(v) == f"Verifier(public_key_id={PUB_ID!r}, certificates=False)"
    headers = signed(platform_key(102), PUB_ID)
    with pytest.raises(SignatureError) as info:
        v.verify(headers, BODY)
    assert headers["Wechatpay-Signature"] not in str(info.value)


def test_a_text_body_with_a_lone_surrogate_is_a_signature_error_not_a_crash(pay_key: RSA.RsaKey) -> None:
    # Signed over the bytes such a str would need (no UTF-8 encoder makes them): refused, never UnicodeEncodeError.
    body = BODY[:-1] + "\ud800}"
    headers = signed(pay_key, PUB_ID, body.encode("utf-8", "surrogatepass"))
    with pytest.raises(SignatureError, match="not valid Unicode text"):
        verifier(pay_key).verify(headers, body)
    for name in ("Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"):
        with pytest.raises(SignatureError):
            verifier(pay_key).verify({**signed(pay_key, PUB_ID), name: "x\udc80"}, BODY)
