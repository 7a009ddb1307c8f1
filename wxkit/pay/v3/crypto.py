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
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES, PKCS1_OAEP
from Crypto.Hash import SHA1, SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from ...errors import ConfigError, DecryptError, WxError

__all__ = [
    "KeyLike",
    "aead_decrypt",
    "aead_encrypt",
    "load_private_key",
    "load_public_key",
    "oaep_decrypt",
    "oaep_encrypt",
    "rsa_sign",
    "rsa_verify",
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


def rsa_sign(private_key: KeyLike, message: str | bytes) -> str:
    """SHA256withRSA signature of ``message`` (UTF-8 if text), base64."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    signature = pkcs1_15.new(load_private_key(private_key)).sign(SHA256.new(data))
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_key_or_cert: KeyLike, message: str | bytes, signature: str | bytes) -> bool:
    """Whether ``signature`` (base64) is a valid SHA256withRSA signature of ``message``.

    Never raises for a bad message or signature (``False``); a key that does
    not load is a :class:`~wxkit.errors.ConfigError`.
    """
    verifier = pkcs1_15.new(load_public_key(public_key_or_cert))
    data = message.encode("utf-8") if isinstance(message, str) else message
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    try:
        verifier.verify(SHA256.new(data), raw)
    except (ValueError, TypeError):
        return False
    return True


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
    cipher = AES.new(_aead_key(apiv3_key, ConfigError), AES.MODE_GCM, nonce=nonce_bytes)
    cipher.update(_text(associated_data))
    ciphertext, tag = cipher.encrypt_and_digest(_text(plaintext))
    return base64.b64encode(ciphertext + tag).decode("ascii")


def aead_decrypt(
    apiv3_key: str | bytes, nonce: str | bytes, associated_data: str | bytes | None, ciphertext: str | bytes
) -> bytes:
    """AEAD_AES_256_GCM decrypt base64(ciphertext + tag); a tampered tag, nonce, data or key is a DecryptError."""
    try:
        raw = base64.b64decode(ciphertext, validate=True)
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
    cipher = AES.new(_aead_key(apiv3_key), AES.MODE_GCM, nonce=nonce_bytes)
    cipher.update(aad)
    try:
        return cipher.decrypt_and_verify(raw[:-16], raw[-16:])
    except ValueError:
        raise DecryptError(
            "AEAD tag mismatch: wrong APIv3 key, or tampered ciphertext / nonce / associated data"
        ) from None


def oaep_encrypt(public_key_or_cert: KeyLike, plaintext: str | bytes) -> str:
    """RSA-OAEP (SHA-1) encrypt a sensitive field for WeChat Pay; base64."""
    cipher = PKCS1_OAEP.new(load_public_key(public_key_or_cert), hashAlgo=SHA1)
    return base64.b64encode(cipher.encrypt(_text(plaintext))).decode("ascii")


def oaep_decrypt(private_key: KeyLike, ciphertext: str | bytes) -> str:
    """RSA-OAEP (SHA-1) decrypt a sensitive field sent by WeChat Pay.

    Every failure of the ciphertext is a :class:`~wxkit.errors.DecryptError`;
    a key that is not a private key is a :class:`~wxkit.errors.ConfigError`.
    """
    cipher = PKCS1_OAEP.new(load_private_key(private_key), hashAlgo=SHA1)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise DecryptError("ciphertext is not valid base64") from None
    try:
        plain = cipher.decrypt(raw)
        return plain.decode("utf-8")
    except (ValueError, TypeError, UnicodeDecodeError):
        raise DecryptError("OAEP decryption failed") from None
