"""iLink media: AES-128-ECB (PKCS#7) with a random 16-byte key per file, and the key's wire forms.

Media travel through WeChat's CDN encrypted. The sender encrypts with a fresh
key, uploads the ciphertext to the URL ``getuploadurl`` gives, reads the
download parameter from the CDN's ``x-encrypted-param`` header, and sends a
message whose media reference carries ``encrypt_query_param`` and
``aes_key`` (base64 of the key's hex string). An inbound item's key comes as
hex (``image_item.aeskey``) or base64 (of the 16 raw bytes, or of the hex
string): :func:`parse_aes_key` reads every form.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import attrs
from Crypto.Cipher import AES

from ..errors import DecryptError

__all__ = [
    "DEFAULT_CDN_BASE_URL",
    "ECBDecryptor",
    "UploadedMedia",
    "decrypt",
    "encrypt",
    "media_ref",
    "padded_size",
    "parse_aes_key",
]

#: The CDN's base URL (the reference client's default).
DEFAULT_CDN_BASE_URL = "https://novac2c.cdn.weixin.qq.com/c2c"
#: ``media_type`` of ``getuploadurl``.
MEDIA_IMAGE, MEDIA_VIDEO, MEDIA_FILE, MEDIA_VOICE = 1, 2, 3, 4
_HEX32 = re.compile(r"\A[0-9a-fA-F]{32}\Z")


def padded_size(size: int) -> int:
    """The ciphertext size of ``size`` plaintext bytes (PKCS#7 always adds 1 to 16 bytes)."""
    return (size // 16 + 1) * 16


def _cipher(key: bytes) -> Any:
    if len(key) != 16:
        raise DecryptError(f"an iLink media key is 16 bytes, not {len(key)}")
    return AES.new(key, AES.MODE_ECB)


def encrypt(data: bytes, key: bytes) -> bytes:
    """AES-128-ECB with PKCS#7 padding."""
    pad = 16 - len(data) % 16
    return bytes(_cipher(key).encrypt(bytes(data) + bytes([pad]) * pad))


def _unpad(block: bytes) -> bytes:
    pad = block[-1] if block else 0
    if not 1 <= pad <= 16 or block[-pad:] != bytes([pad]) * pad:
        raise DecryptError("the media does not decrypt with this key (bad padding)")
    return block[:-pad]


def decrypt(data: bytes, key: bytes) -> bytes:
    """Undo :func:`encrypt`; :class:`~wxkit.errors.DecryptError` on a wrong key, length or padding."""
    if not data or len(data) % 16:
        raise DecryptError(f"encrypted media must be a non-empty multiple of 16 bytes, not {len(data)}")
    return _unpad(bytes(_cipher(key).decrypt(data)))


class ECBDecryptor:
    """:func:`decrypt` chunk by chunk (for streamed downloads): ``feed`` then ``finish``."""

    def __init__(self, key: bytes) -> None:
        self._cipher = _cipher(key)
        self._pending = b""
        self._last = b""

    def feed(self, chunk: bytes) -> bytes:
        """Decrypt what whole blocks ``chunk`` completes, keeping the last block back for its padding."""
        data = self._pending + chunk
        whole = len(data) - len(data) % 16
        self._pending = data[whole:]
        if not whole:
            return b""
        plain = self._last + bytes(self._cipher.decrypt(data[:whole]))
        self._last = plain[-16:]
        return plain[:-16]

    def finish(self) -> bytes:
        """The last plaintext bytes (padding removed); DecryptError if the stream was cut or the key is wrong."""
        if self._pending or not self._last:
            raise DecryptError("encrypted media must be a non-empty multiple of 16 bytes")
        return _unpad(self._last)


def parse_aes_key(value: str) -> bytes:
    """A media key in any of its forms (hex, base64 of the bytes, base64 of the hex) as 16 bytes."""
    value = (value or "").strip()
    if _HEX32.match(value):
        return bytes.fromhex(value)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 16:
        return raw
    if len(raw) == 32 and _HEX32.match(raw.decode("ascii", "replace")):
        return bytes.fromhex(raw.decode("ascii"))
    raise DecryptError("the media's AES key is not 16 bytes in hex or base64")


@attrs.frozen
class UploadedMedia:
    """A file on the CDN: its download parameter, key (hex; never in the repr), sizes and MD5.

    ``thumb`` is its thumbnail on the CDN (same key), or None when none was uploaded.
    """

    encrypt_query_param: str
    aes_key_hex: str = attrs.field(repr=False)
    raw_size: int
    cipher_size: int
    md5: str
    thumb: UploadedMedia | None = None


def media_ref(uploaded: UploadedMedia) -> dict[str, Any]:
    """The ``media`` object of an outgoing item: the key as base64 of its hex string, as the protocol wants."""
    return {
        "encrypt_query_param": uploaded.encrypt_query_param,
        "aes_key": base64.b64encode(uploaded.aes_key_hex.encode("ascii")).decode("ascii"),
        "encrypt_type": 1,
    }
