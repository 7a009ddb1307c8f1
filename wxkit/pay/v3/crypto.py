"""WeChat Pay v3 primitives, usable in scripts without any client.

* :func:`rsa_sign` / :func:`rsa_verify`: SHA256withRSA (PKCS#1 v1.5), base64;
* :func:`aead_encrypt` / :func:`aead_decrypt`: AEAD_AES_256_GCM as used for
  notifications and platform certificates (16-byte tag appended to the
  ciphertext, base64); any tampering is a :class:`~wxkit.errors.DecryptError`;
* :func:`oaep_encrypt` / :func:`oaep_decrypt`: RSA-OAEP (SHA-1, as WeChat
  specifies) for sensitive fields;
* :func:`load_private_key` / :func:`load_public_key`: keys as PEM text or
  bytes, DER bytes, the bare base64 body of a PEM, a file path (``str`` or
  ``Path``), or an already loaded ``RsaKey``; public keys also from X.509
  certificates. A key that does not load is a :class:`~wxkit.errors.ConfigError`.

The work runs on OpenSSL through ``cryptography`` when it is installed
(``pip install wxkit[fast]``), else on pycryptodome, with the same results:
:func:`crypto_backend`, :func:`available_crypto_backends` and
:func:`set_crypto_backend` tell and choose (see :mod:`wxkit.pay.v3._backend`
and the ``WXKIT_PAY_CRYPTO`` environment variable). Keys given as PEM, DER or a
path are parsed once per distinct key (a small cache keyed by their SHA-256),
and every key is converted to the backend's native form once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from typing import Any

from Crypto.PublicKey import RSA

from ...errors import ConfigError, DecryptError, WxError
from . import _backend
from ._backend import PrivateOps, PublicOps, available_crypto_backends, crypto_backend, set_crypto_backend

__all__ = [
    "KeyLike",
    "aead_decrypt",
    "aead_encrypt",
    "available_crypto_backends",
    "crypto_backend",
    "load_private_key",
    "load_public_key",
    "oaep_decrypt",
    "oaep_encrypt",
    "rsa_sign",
    "rsa_verify",
    "set_crypto_backend",
]

#: A key as PEM ``str`` / ``bytes``, DER ``bytes``, a path to a PEM file, or a loaded ``RsaKey``.
KeyLike = str | bytes | os.PathLike[str] | RSA.RsaKey


def _read_file(path: str | os.PathLike[str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the key file: {exc.strerror or type(exc).__name__}") from None


def _is_file(text: str) -> bool:
    if len(text) >= 4096 or "\n" in text:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name too long for the OS, a NUL byte...
        return False


def _key_material(key: Any) -> bytes:
    if isinstance(key, os.PathLike):
        return _read_file(key)
    if isinstance(key, str):
        if "-----BEGIN" in key:
            return key.encode("ascii", "replace")
        if _is_file(key):
            return _read_file(key)
        try:  # a bare base64 body (PEM without armor), as some merchant platforms export
            return base64.b64decode("".join(key.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError("key is neither PEM text, a readable file path, nor base64 DER") from None
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise ConfigError(f"unsupported key type {type(key).__name__}")


def load_private_key(key: KeyLike) -> RSA.RsaKey:
    """Load an RSA private key (PKCS#1 or PKCS#8; PEM text/bytes, DER bytes, or a file path)."""
    if isinstance(key, RSA.RsaKey):
        loaded = key
    else:
        material = _key_material(key)
        try:
            loaded = RSA.import_key(material)
        except (ValueError, IndexError, TypeError) as exc:
            raise ConfigError(f"cannot load the private key: {type(exc).__name__}") from None
    if not loaded.has_private():
        raise ConfigError("a private key is required, got a public key")
    return loaded


def load_public_key(key: KeyLike) -> RSA.RsaKey:
    """Load an RSA public key from a public key or an X.509 certificate (PEM/DER/path).

    A private key gives its public half.
    """
    if isinstance(key, RSA.RsaKey):
        return key.public_key()
    material = _key_material(key)
    try:
        return RSA.import_key(material).public_key()
    except (ValueError, IndexError, TypeError) as exc:
        raise ConfigError(f"cannot load the public key or certificate: {type(exc).__name__}") from None


#: Keys given as PEM / DER / path, parsed: ``(private?, SHA-256 of the material) -> RsaKey``.
_PARSED: dict[tuple[bool, bytes], RSA.RsaKey] = {}
_MAX_PARSED = 32


def _parsed(key: KeyLike, private: bool) -> RSA.RsaKey:
    """``key`` loaded, parsed once per distinct material (a file is read each time: rotations show)."""
    material = _key_material(key)
    digest = (private, hashlib.sha256(material).digest())
    loaded = _PARSED.get(digest)
    if loaded is None:
        loaded = load_private_key(material) if private else load_public_key(material)
        if len(_PARSED) >= _MAX_PARSED:
            _PARSED.clear()
        _PARSED[digest] = loaded
    return loaded


def _private_ops(key: KeyLike) -> PrivateOps:
    """The current backend's native form of the private ``key`` (cached); ConfigError for a public key."""
    if isinstance(key, RSA.RsaKey):
        if not key.has_private():
            raise ConfigError("a private key is required, got a public key")
        return _backend.current().private(key)
    return _backend.current().private(_parsed(key, True))


def _public_ops(key: KeyLike) -> PublicOps:
    """The current backend's native form of the public ``key`` or certificate (a private key: its public half)."""
    return _backend.current().public(key if isinstance(key, RSA.RsaKey) else _parsed(key, False))


def rsa_sign(private_key: KeyLike, message: str | bytes) -> str:
    """SHA256withRSA signature of ``message`` (UTF-8 if text), base64."""
    ops = _private_ops(private_key)
    data = message.encode("utf-8") if isinstance(message, str) else message
    return base64.b64encode(ops.sign(data)).decode("ascii")


def rsa_verify(public_key_or_cert: KeyLike, message: str | bytes, signature: str | bytes) -> bool:
    """Whether ``signature`` (base64) is a valid SHA256withRSA signature of ``message``.

    Never raises for a bad message or signature (``False``); a key that does
    not load is a :class:`~wxkit.errors.ConfigError`.
    """
    ops = _public_ops(public_key_or_cert)
    data = message.encode("utf-8") if isinstance(message, str) else message
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    return ops.verify(data, raw)


def _aead_key(key: str | bytes, error: type[WxError] = DecryptError) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key) if isinstance(key, (bytes, bytearray)) else b""
    if len(raw) not in (16, 24, 32):
        # Never echo the key; its length is enough to diagnose.
        raise error(f"the AEAD key must be 16, 24 or 32 bytes (an APIv3 key is 32), got {len(raw)}")
    return raw


def _text(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"expected str or bytes, got {type(value).__name__}")


def aead_encrypt(
    apiv3_key: str | bytes, nonce: str | bytes, associated_data: str | bytes | None, plaintext: str | bytes
) -> str:
    """AEAD_AES_256_GCM encrypt; return base64(ciphertext + 16-byte tag)."""
    nonce_bytes = _text(nonce)
    if not nonce_bytes:
        raise ConfigError("empty nonce")
    key = _aead_key(apiv3_key, ConfigError)
    sealed = _backend.current().gcm_encrypt(key, nonce_bytes, _text(associated_data), _text(plaintext))
    return base64.b64encode(sealed).decode("ascii")


def aead_decrypt(
    apiv3_key: str | bytes, nonce: str | bytes, associated_data: str | bytes | None, ciphertext: str | bytes
) -> bytes:
    """AEAD_AES_256_GCM decrypt base64(ciphertext + tag); a tampered tag, nonce, data or key is a DecryptError."""
    try:
        raw = _backend.b64decode_strict(ciphertext)
    except (binascii.Error, ValueError, TypeError):
        raise DecryptError("ciphertext is not valid base64") from None
    if len(raw) <= 16:
        raise DecryptError("ciphertext is too short to carry a GCM tag")
    try:
        nonce_bytes = _text(nonce)
        aad = _text(associated_data)
    except (TypeError, UnicodeEncodeError):
        raise DecryptError("nonce and associated data must be text (UTF-8)") from None
    if not nonce_bytes:
        raise DecryptError("empty nonce")
    plain = _backend.current().gcm_decrypt(_aead_key(apiv3_key), nonce_bytes, aad, raw)
    if plain is None:
        raise DecryptError("AEAD tag mismatch: wrong APIv3 key, or tampered ciphertext / nonce / associated data")
    return plain


def oaep_encrypt(public_key_or_cert: KeyLike, plaintext: str | bytes) -> str:
    """RSA-OAEP (SHA-1) encrypt a sensitive field for WeChat Pay; base64.

    A plaintext longer than the key allows (214 bytes with a 2048-bit key) is
    a :class:`~wxkit.errors.ConfigError` (a ``ValueError``).
    """
    ops = _public_ops(public_key_or_cert)
    data = _text(plaintext)
    limit = ops.size - 2 * 20 - 2  # OAEP with SHA-1: k - 2 hLen - 2
    if len(data) > limit:
        raise ConfigError(f"the plaintext is {len(data)} bytes; RSA-OAEP with this key takes at most {limit}")
    return base64.b64encode(ops.oaep_encrypt(data)).decode("ascii")


def oaep_decrypt(private_key: KeyLike, ciphertext: str | bytes) -> str:
    """RSA-OAEP (SHA-1) decrypt a sensitive field sent by WeChat Pay.

    Every failure of the ciphertext is a :class:`~wxkit.errors.DecryptError`;
    a key that is not a private key is a :class:`~wxkit.errors.ConfigError`.
    """
    ops = _private_ops(private_key)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise DecryptError("ciphertext is not valid base64") from None
    plain = ops.oaep_decrypt(raw)
    if plain is None:
        raise DecryptError("OAEP decryption failed")
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptError("OAEP decryption failed") from None
