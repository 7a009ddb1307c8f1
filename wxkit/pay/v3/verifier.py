"""Verifying what WeChat Pay v3 sends: responses and notifications.

The signed message is ``TIMESTAMP\\nNONCE\\nBODY\\n`` with the headers
``Wechatpay-Timestamp``, ``Wechatpay-Nonce``, ``Wechatpay-Signature`` and
``Wechatpay-Serial``. The serial names the key: a platform certificate serial
(looked up in a :class:`KeySource`, e.g. the downloaded platform
certificates) or the WeChat Pay public key id (``PUB_KEY_ID_...``). During
WeChat's switch-over both are accepted at once. The timestamp must be within
5 minutes (``abs(now - ts) >= 300`` is refused), checked before the signature.
Any failure is a :class:`~wxkit.errors.SignatureError`.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from ...errors import SignatureError
from .crypto import KeyLike, load_public_key
from .signer import build_message

__all__ = ["TIMESTAMP_WINDOW", "KeySource", "Verifier", "header"]

#: Seconds a v3 response or notification timestamp may differ from now (exclusive).
TIMESTAMP_WINDOW = 300


class KeySource(Protocol):
    """Where platform keys come from (e.g. :class:`~wxkit.pay.v3.certificates.PlatformCertificates`)."""

    def key_for(self, serial: str) -> RSA.RsaKey | None:
        """The public key for ``serial`` (refreshing if unknown, rate-limited), or None."""
        ...


def header(headers: Mapping[str, str], name: str) -> str:
    """Read a header case-insensitively (``""`` if absent)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, val in headers.items():
            if key.lower() == lowered:
                value = val
                break
    return str(value) if value is not None else ""


class Verifier:
    """Checks v3 signatures with a public key (``public_key`` + ``public_key_id``) and/or platform certificates.

    ``clock`` gives the wall time in seconds (injectable for tests).
    """

    def __init__(
        self,
        *,
        public_key: KeyLike | None = None,
        public_key_id: str | None = None,
        certificates: KeySource | None = None,
        clock: Callable[[], float] = time.time,
        window: int = TIMESTAMP_WINDOW,
    ) -> None:
        if (public_key is None) != (public_key_id is None):
            raise ValueError("public_key and public_key_id go together")
        self._public_key = load_public_key(public_key) if public_key is not None else None
        self.public_key_id = public_key_id
        self.certificates = certificates
        self._clock = clock
        self.window = window

    def __repr__(self) -> str:
        return f"Verifier(public_key_id={self.public_key_id!r}, certificates={self.certificates is not None})"

    def key_for(self, serial: str) -> RSA.RsaKey:
        """The key ``serial`` names, or :class:`SignatureError` for an unknown serial."""
        if self._public_key is not None and serial == self.public_key_id:
            return self._public_key
        if self.certificates is not None and serial and not serial.startswith("PUB_KEY_ID_"):
            key = self.certificates.key_for(serial)
            if key is not None:
                return key
        raise SignatureError(f"unknown Wechatpay-Serial {serial!r}")

    def check_timestamp(self, timestamp: str) -> None:
        """Refuse a missing, malformed or stale (>= 5 minutes off) ``Wechatpay-Timestamp``."""
        try:
            ts = int(timestamp)
        except ValueError:
            raise SignatureError("missing or malformed Wechatpay-Timestamp") from None
        if abs(self._clock() - ts) >= self.window:
            raise SignatureError("Wechatpay-Timestamp is outside the 5-minute window")

    def verify(self, headers: Mapping[str, str], body: str | bytes) -> None:
        """Verify a response or notification; raise :class:`SignatureError` unless it is authentic and fresh."""
        timestamp = header(headers, "Wechatpay-Timestamp")
        nonce = header(headers, "Wechatpay-Nonce")
        signature = header(headers, "Wechatpay-Signature")
        serial = header(headers, "Wechatpay-Serial")
        if not (nonce and signature and serial):
            raise SignatureError("missing Wechatpay-Nonce / -Signature / -Serial header")
        self.check_timestamp(timestamp)
        key = self.key_for(serial)
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("Wechatpay-Signature is not base64") from None
        message = build_message(timestamp, nonce, body)
        try:
            pkcs1_15.new(key).verify(SHA256.new(message), raw)
        except (ValueError, TypeError):
            raise SignatureError("Wechatpay-Signature does not match") from None
