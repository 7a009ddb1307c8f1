"""Verifying what WeChat Pay v3 sends: responses and notifications.

The signed message is ``TIMESTAMP\\nNONCE\\nBODY\\n`` with the headers
``Wechatpay-Timestamp``, ``Wechatpay-Nonce``, ``Wechatpay-Signature`` and
``Wechatpay-Serial``. The serial names the key: a platform certificate serial
(looked up in a :class:`KeySource`, e.g. the downloaded platform
certificates) or the WeChat Pay public key id (``PUB_KEY_ID_...``). During
WeChat's switch-over both are accepted at once. The timestamp must be within
5 minutes (``abs(now - ts) >= 300`` is refused), checked before the signature.
Signatures starting with ``WECHATPAY/SIGNTEST/`` are WeChat's signature
probes and are refused, as WeChat expects. Any failure is a
:class:`~wxkit.errors.SignatureError`.
"""

from __future__ import annotations

import binascii
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from Crypto.PublicKey import RSA

from ...errors import ConfigError, SignatureError
from . import _backend
from .crypto import KeyLike, load_public_key

__all__ = ["KeySource", "PUBLIC_KEY_ID_PREFIX", "SIGNATURE_PROBE_PREFIX", "TIMESTAMP_WINDOW", "Verifier", "header"]

#: Seconds a v3 response or notification timestamp may differ from now (exclusive).
TIMESTAMP_WINDOW = 300

#: WeChat Pay public key ids look like ``PUB_KEY_ID_0112345678902025...``.
PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_"

#: ``Wechatpay-Signature`` values WeChat sends to probe that merchants verify (must fail).
SIGNATURE_PROBE_PREFIX = "WECHATPAY/SIGNTEST/"

_NAMES = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial")
_LOWER = tuple(name.lower() for name in _NAMES)


class KeySource(Protocol):
    """Where platform keys come from (e.g. :class:`~wxkit.pay.v3.certificates.PlatformCertificates`)."""

    def key_for(self, serial: str) -> RSA.RsaKey | None:
        """The public key for ``serial`` (refreshing if unknown, rate-limited), or None."""
        ...


def header(headers: Mapping[str, str], name: str) -> str:
    """Read a header case-insensitively (``""`` if absent)."""
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if value is None:
        lowered = name.lower()
        for key, val in headers.items():
            if key.lower() == lowered:
                value = val
                break
    return str(value) if value is not None else ""


def _signature_headers(headers: Mapping[str, str]) -> tuple[str, str, str, str]:
    """``(timestamp, nonce, signature, serial)``, each ``""`` when absent; one pass in the common cases."""
    get = headers.get
    ts, nonce, sig, serial = (
        get("Wechatpay-Timestamp"),
        get("Wechatpay-Nonce"),
        get("Wechatpay-Signature"),
        get("Wechatpay-Serial"),
    )
    if type(ts) is str and type(nonce) is str and type(sig) is str and type(serial) is str:
        return ts, nonce, sig, serial  # the canonical spelling (a plain dict, requests' CaseInsensitiveDict)
    found: list[Any] = [ts, nonce, sig, serial]
    if None in found:
        found = [value if value is not None else get(low) for value, low in zip(found, _LOWER, strict=True)]
        if None in found:  # e.g. a plain dict in another spelling: one scan
            folded = {str(key).lower(): val for key, val in headers.items()}
            found = [value if value is not None else folded.get(low) for value, low in zip(found, _LOWER, strict=True)]
    ts, nonce, sig, serial = (str(value) if value is not None else "" for value in found)
    return ts, nonce, sig, serial


class Verifier:
    """Checks v3 signatures with a public key (``public_key`` + ``public_key_id``) and/or platform certificates.

    Give both during WeChat's switch-over: the ``Wechatpay-Serial`` of each
    answer picks the key. A ``PUB_KEY_ID_...`` serial never consults the
    certificates. ``clock`` gives the wall time in seconds (injectable for
    tests); ``window`` is the timestamp window in seconds.
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
        if (public_key is None) != (not public_key_id):
            raise ConfigError("public_key and public_key_id go together")
        self._public_key = load_public_key(public_key) if public_key is not None else None
        self.public_key_id = public_key_id or None
        self.certificates = certificates
        self._clock = clock
        self.window = window
        # Each key object in the backend's native form, made once: building it per message would cost on every
        # notification. Kept here (not only in the backend's shared cache) so that no other key traffic evicts it.
        self._natives: dict[int, tuple[RSA.RsaKey, _backend.Backend, _backend.PublicOps]] = {}
        if self._public_key is not None:
            self._native(self._public_key)

    @property
    def public_key(self) -> RSA.RsaKey | None:
        """The WeChat Pay public key (loaded), or None."""
        return self._public_key

    def __repr__(self) -> str:
        return f"Verifier(public_key_id={self.public_key_id!r}, certificates={self.certificates is not None})"

    def key_for(self, serial: str) -> RSA.RsaKey:
        """The key ``serial`` names, or :class:`SignatureError` for an unknown serial."""
        if serial == self.public_key_id and self._public_key is not None:
            return self._public_key
        if serial.startswith(PUBLIC_KEY_ID_PREFIX):
            if self._public_key is None:
                raise SignatureError(
                    f"the answer is signed with the WeChat Pay public key {serial!r}: "
                    "configure public_key and public_key_id"
                )
            raise SignatureError(f"unknown WeChat Pay public key id {serial!r} (configured: {self.public_key_id!r})")
        if self.certificates is None:
            raise SignatureError(
                f"the answer is signed with platform certificate {serial!r} but no platform certificates are used"
            )
        key = self.certificates.key_for(serial) if serial else None
        if key is None:
            raise SignatureError(f"unknown Wechatpay-Serial {serial!r}: not among the platform certificates")
        return key

    def check_timestamp(self, timestamp: str) -> None:
        """Refuse a missing, malformed or stale (>= 5 minutes off, either way) ``Wechatpay-Timestamp``."""
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise SignatureError("missing or malformed Wechatpay-Timestamp")
        if abs(self._clock() - int(timestamp)) >= self.window:
            raise SignatureError("Wechatpay-Timestamp is outside the 5-minute window")

    def _native(self, key: RSA.RsaKey) -> _backend.PublicOps:
        backend = _backend.current()
        entry = self._natives.get(id(key))
        if entry is None or entry[0] is not key or entry[1] is not backend:
            if len(self._natives) > 64:  # keys come and go with rotations; stay small
                self._natives.clear()
            entry = (key, backend, backend.public(key))
            self._natives[id(key)] = entry
        return entry[2]

    def verify(self, headers: Mapping[str, str], body: str | bytes) -> None:
        """Verify a response or notification; raise :class:`SignatureError` unless it is authentic and fresh."""
        timestamp, nonce, signature, serial = _signature_headers(headers)
        if not (nonce and signature and serial):
            missing = [n for n, v in zip(_NAMES[1:], (nonce, signature, serial), strict=True) if not v]
            raise SignatureError(f"missing {', '.join(missing)} header")
        if signature.startswith(SIGNATURE_PROBE_PREFIX):
            raise SignatureError("a WeChat Pay signature probe (WECHATPAY/SIGNTEST/): refused, as WeChat expects")
        self.check_timestamp(timestamp)
        key = self.key_for(serial)
        try:
            raw = _backend.b64decode_strict(signature)
        except (binascii.Error, ValueError):
            raise SignatureError("Wechatpay-Signature is not base64") from None
        try:
            data = body.encode("utf-8") if isinstance(body, str) else body
        except UnicodeEncodeError:  # a lone surrogate: no bytes WeChat signed
            raise SignatureError("the body is not valid Unicode text (a lone surrogate)") from None
        message = b"%s\n%s\n%s\n" % (timestamp.encode("ascii"), nonce.encode("utf-8", "replace"), data)
        entry = self._natives.get(id(key))
        if entry is not None and entry[0] is key and entry[1] is _backend.current():
            native = entry[2]
        else:
            native = self._native(key)
        if not native.verify(message, raw):
            raise SignatureError("Wechatpay-Signature does not match")
