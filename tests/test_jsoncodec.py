"""wxkit.jsoncodec: one guarded JSON parser for everything read from outside, and every call site using it."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from Crypto.Cipher import AES

from wxkit.crypto import pkcs7_pad
from wxkit.errors import DecryptError, ParseError, SignatureError
from wxkit.jsoncodec import MAX_JSON_DEPTH, load_json
from wxkit.miniprogram import decrypt_encrypted_data
from wxkit.pay.notify import PayNotificationHandler
from wxkit.pay.v3.certificates import PlatformCertificates
from wxkit.pay.v3.crypto import aead_encrypt
from wxkit.storage import MemoryStorage

#: The hostile answer of the issue: far deeper than Python's recursion limit.
DEEP = "[" * 100_000 + "]" * 100_000
#: Deep, but under the notification handler's 64 KiB body limit.
DEEP_SMALL = "[" * 20_000 + "]" * 20_000
APIV3_KEY = "0123456789abcdef0123456789abcdef"


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "[]" + "}" * (depth - 1)


def test_valid_documents() -> None:
    assert load_json('{"errcode": 0, "名字": "值"}') == {"errcode": 0, "名字": "值"}
    assert load_json(b'{"a": [1, 2.5, null, true]}') == {"a": [1, 2.5, None, True]}
    assert load_json(bytearray(b"[]")) == []
    assert load_json("\ufeff{}".encode()) == {}  # a UTF-8 byte order mark is allowed
    assert load_json(nested(MAX_JSON_DEPTH)) is not None  # exactly the bound
    assert load_json("[" + "[1]," * 10_000 + "[]]")  # many brackets, shallow: walked, accepted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP, "nested deeper"),
        (DEEP.encode(), "nested deeper"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested deeper"),
        (nested(MAX_JSON_DEPTH + 1), "nested deeper"),
        ("[" * 100_000, "not JSON|nested deeper"),  # truncated, and deep
        ("", "not JSON"),
        ("<html><body>502 Bad Gateway</body></html>", "not JSON"),
        ('{"errcode": 0, "ip_list": ["1.2', "not JSON"),
        (b'{"a": "\xff\xfe"}', "not UTF-8"),
        (b'{"a": "\xed\xa0\x80"}', "not UTF-8"),  # an encoded surrogate: json.loads(bytes) would let it through
        ('{"a": ' + "9" * 5000 + "}", "not JSON"),  # int() refuses more than 4300 digits
        ("NaN garbage", "not JSON"),
    ],
)
def test_refused_with_parse_error(text: str | bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        load_json(text, what="the answer")


def test_size_bound() -> None:
    with pytest.raises(ParseError, match="larger than 10 bytes"):
        load_json(b'{"a": "0123456789"}', max_size=10)
    with pytest.raises(ParseError, match="larger than 10 characters"):
        load_json('{"a": "0123456789"}', max_size=10)
    assert load_json(b'{"a": "0123456789"}', max_size=None) == {"a": "0123456789"}


def test_non_standard_constants() -> None:
    assert load_json('{"expires_in": Infinity}') == {"expires_in": float("inf")}  # Python's json accepts it
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ParseError, match="not JSON"):
            load_json(f'{{"a": {constant}}}', allow_constants=False)


def test_depth_bound_is_configurable_and_not_text_type() -> None:
    with pytest.raises(ParseError, match="deeper than 2"):
        load_json("[[[]]]", max_depth=2)
    assert load_json("[[]]", max_depth=2) == [[]]
    assert load_json('["[[[[[[[[[["]', max_depth=2) == ["[[[[[[[[[["]  # brackets inside strings do not count
    with pytest.raises(ParseError, match="not text"):
        load_json(42, what="x")  # type: ignore[arg-type]


# -- the call sites ----------------------------------------------------------------------------------
def _mini_program_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> str:
    return base64.b64encode(AES.new(key, AES.MODE_CBC, iv).encrypt(pkcs7_pad(plaintext, 16))).decode()


def test_mini_program_deep_encrypted_data_is_a_decrypt_error() -> None:
    key, iv = b"k" * 16, b"i" * 16
    data = _mini_program_encrypt(key, iv, DEEP.encode())
    with pytest.raises(DecryptError, match="nested deeper"):
        decrypt_encrypted_data(base64.b64encode(key).decode(), base64.b64encode(iv).decode(), data)


class _AcceptAll:
    """A verifier stand-in: these tests are about what comes after the signature check."""

    def verify(self, headers: Any, body: Any) -> None:
        pass


def _handler() -> PayNotificationHandler:
    return PayNotificationHandler(
        verifier=_AcceptAll(),  # type: ignore[arg-type]
        apiv3_key=APIV3_KEY,
        on_paid=lambda t: None,
    )


def test_deep_v3_notification_body_is_refused_not_raised() -> None:
    handler = _handler()
    headers = {"Wechatpay-Serial": "S", "Wechatpay-Signature": "x"}
    with pytest.raises(ParseError, match="nested deeper"):
        handler.parse(headers, '{"resource":' + DEEP + "}")
    status, _ = handler.handle(headers, '{"resource":' + DEEP_SMALL + "}")
    assert status == 400


def test_deep_decrypted_v3_resource_is_a_decrypt_error() -> None:
    handler = _handler()
    ciphertext = aead_encrypt(APIV3_KEY, "n0nce", "transaction", DEEP_SMALL)
    resource = {"algorithm": "AEAD_AES_256_GCM", "nonce": "n0nce", "associated_data": "transaction"}
    body = '{"event_type": "TRANSACTION.SUCCESS", "resource": {' + ", ".join(
        f'"{k}": "{v}"' for k, v in {**resource, "ciphertext": ciphertext}.items()
    )
    headers = {"Wechatpay-Serial": "S", "Wechatpay-Signature": "x"}
    with pytest.raises(DecryptError, match="nested deeper"):
        handler.parse(headers, body + "}}")
    assert handler.handle(headers, body + "}}")[0] == 400


def test_deep_certificates_answer_is_a_signature_error_and_a_deep_cache_is_ignored() -> None:
    storage = MemoryStorage()
    certs = PlatformCertificates("1900000001", APIV3_KEY, storage, lambda: ({}, DEEP.encode()))
    with pytest.raises(SignatureError, match="not the expected JSON"):
        certs.refresh()
    storage.set(certs.key, DEEP)
    assert certs._parse(DEEP) == {}


# -- no JSON parsing outside the guard -------------------------------------------------------------------
_RAW_JSON = re.compile(r"\bjson\.loads?\s*\(|\.json\(\s*\)|from\s+json\s+import\s+[^\n]*\bloads?\b")


def test_every_json_parse_goes_through_load_json() -> None:
    """A new ``json.loads`` / ``response.json()`` in wxkit/ (the emulator aside) fails here: use load_json."""
    package = Path(__file__).resolve().parents[1] / "wxkit"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("testing/") or relative == "jsoncodec.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _RAW_JSON.search(line.split("#", 1)[0]):
                offenders.append(f"wxkit/{relative}:{number}: {line.strip()}")
    assert not offenders, "parse outside data with wxkit.jsoncodec.load_json:\n" + "\n".join(offenders)
