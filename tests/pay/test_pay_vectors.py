"""Every public vector under "pay" in tests/vectors/vectors.json (a copy of shared/vectors), dispatched by kind."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from Crypto.PublicKey import RSA

from wxkit.errors import DecryptError, SignatureError
from wxkit.pay import v2
from wxkit.pay.v3 import Signer, Verifier, aead_decrypt, aead_encrypt, rsa_sign, rsa_verify
from wxkit.pay.v3.signer import build_message

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "vectors.json"
PAY: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text("utf-8"))["pay"]
BY_ID = {v["id"]: v for v in PAY}

# Every test here runs on both crypto backends (tests/pay/conftest.py).
pytestmark = pytest.mark.usefixtures("pay_crypto_backend")


def _private_key(vector_id: str) -> RSA.RsaKey:
    der = base64.b64decode(BY_ID[vector_id]["inputs"]["private_key_pkcs8_der_b64"])
    return RSA.import_key(der)


def check_v2_sign(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    assert v2.string_to_sign(i["params"], i["key"]) == e["sign_string"]
    assert v2.sign(i["params"], i["key"], v["algorithm"]) == e["sign"]
    assert v2.verify({**i["params"], "sign": e["sign"]}, i["key"], v["algorithm"])
    assert not v2.verify({**i["params"], "sign": e["sign"]}, i["key"] + "x", v["algorithm"])


def check_v3_aes_gcm_decrypt(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    args = (i["apiv3_key"], i["nonce"], i["associated_data"], i["ciphertext"])
    if v.get("negative"):
        assert e["error"] is True
        with pytest.raises(DecryptError):
            aead_decrypt(*args)
        return
    assert aead_decrypt(*args) == e["plaintext"].encode("utf-8")
    # Encryption reproduces the vector (GCM is deterministic for a key and nonce).
    assert aead_encrypt(i["apiv3_key"], i["nonce"], i["associated_data"], e["plaintext"]) == i["ciphertext"]


def check_v3_rsa_sign(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    key = _private_key(v["id"])
    # The key as the vector ships it: the bare base64 body of the PKCS#8 PEM.
    assert rsa_sign(i["private_key_pkcs8_der_b64"], i["message"]) == e["signature"]
    assert rsa_sign(key, i["message"]) == e["signature"]
    assert rsa_verify(key.public_key(), i["message"], e["signature"])
    assert not rsa_verify(key.public_key(), i["message"] + " ", e["signature"])


def check_v3_authorization_header(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    key = _private_key(i["private_key_pem_ref"])
    body = i["body"].encode("utf-8")
    message = build_message(i["method"], i["canonical_url"], i["timestamp"], i["nonce_str"], body)
    assert message == e["message"].encode("utf-8")
    signer = Signer(i["mchid"], i["serial_no"], key, clock=lambda: float(i["timestamp"]), nonce=lambda: i["nonce_str"])
    assert signer.sign(message) == e["signature"]
    assert signer.authorization(i["method"], i["canonical_url"], body) == e["authorization"]
    explicit = signer.authorization(
        i["method"].lower(), i["canonical_url"], i["body"], timestamp=i["timestamp"], nonce_str=i["nonce_str"]
    )
    assert explicit == e["authorization"]


def check_v3_timestamp_window(v: dict[str, Any]) -> None:
    cases, accept = v["inputs"]["cases"], v["expected"]["accept"]
    assert len(cases) == len(accept)
    key = RSA.import_key(base64.b64decode(BY_ID["v3-rsa-sign-go"]["inputs"]["private_key_pkcs8_der_b64"]))
    body = b'{"ok":true}'
    for case, ok in zip(cases, accept, strict=True):
        ts = str(case["timestamp"])
        verifier = Verifier(public_key=key, public_key_id="PUB_KEY_ID_VECTOR", clock=float(case["now"]).__float__)
        headers = {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": "NONCE",
            "Wechatpay-Serial": "PUB_KEY_ID_VECTOR",
            "Wechatpay-Signature": rsa_sign(key, build_message(ts, "NONCE", body)),
        }
        if ok:
            verifier.verify(headers, body)
            verifier.check_timestamp(ts)
        else:
            with pytest.raises(SignatureError, match="5-minute"):
                verifier.verify(headers, body)
            # The window is checked before the signature: a stale timestamp with a bad signature says "stale".
            with pytest.raises(SignatureError, match="5-minute"):
                verifier.verify({**headers, "Wechatpay-Signature": "AAAA"}, body)


CHECKS = {
    "v2_sign": check_v2_sign,
    "v3_aes_gcm_decrypt": check_v3_aes_gcm_decrypt,
    "v3_rsa_sign": check_v3_rsa_sign,
    "v3_authorization_header": check_v3_authorization_header,
    "v3_timestamp_window": check_v3_timestamp_window,
}


def test_every_pay_vector_kind_has_a_check() -> None:
    assert {v["kind"] for v in PAY} <= set(CHECKS)


def test_vector_ids_are_unique() -> None:
    assert len(BY_ID) == len(PAY)


@pytest.mark.parametrize("vector_id", sorted(BY_ID))
def test_pay_vector(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    CHECKS[vector["kind"]](vector)
