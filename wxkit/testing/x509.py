"""Minimal self-signed X.509 certificates for the emulator's WeChat Pay platform keys.

pycryptodome reads certificates but cannot write them; this module DER-encodes
the few fields a v3 client needs (serial, validity, subject, public key) and
signs them with SHA256withRSA. It is test infrastructure, not a CA.
"""

from __future__ import annotations

import base64
import datetime as dt

from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15
from Crypto.Util.asn1 import DerInteger, DerNull, DerObjectId

__all__ = ["make_certificate"]

_SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
_COMMON_NAME = "2.5.4.3"


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _name(common_name: str) -> bytes:
    attr = _seq(DerObjectId(_COMMON_NAME).encode(), _tlv(0x0C, common_name.encode("utf-8")))
    return _seq(_tlv(0x31, attr))


def _time(when: dt.datetime) -> bytes:
    return _tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode("ascii"))


def make_certificate(
    key: RSA.RsaKey,
    serial_hex: str,
    *,
    common_name: str = "Tenpay.com Root CA (wxkit emulator)",
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> str:
    """A PEM certificate for ``key``'s public half with serial ``serial_hex``, self-signed by ``key``."""
    algorithm = _seq(DerObjectId(_SHA256_WITH_RSA).encode(), DerNull().encode())
    tbs = _seq(
        _tlv(0xA0, DerInteger(2).encode()),
        DerInteger(int(serial_hex, 16)).encode(),
        algorithm,
        _name(common_name),
        _seq(_time(not_before), _time(not_after)),
        _name(common_name),
        key.public_key().export_key("DER"),
    )
    signature = pkcs1_15.new(key).sign(SHA256.new(tbs))
    der = _seq(tbs, algorithm, _tlv(0x03, b"\x00" + signature))
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
