"""Signatures and message encryption for WeChat callbacks.

* :func:`sha1_signature` / :func:`check_signature` - the SHA1 over the sorted
  token, timestamp, nonce (and ``echostr`` / ``Encrypt`` for ``msg_signature``),
  compared in constant time.
* :class:`MessageCrypto` - the AES scheme of WeChat's ``WXBizMsgCrypt`` used by
  official accounts (safe / compatible mode), WeCom and mini programs:
  AES-256-CBC, key = base64(EncodingAESKey + "="), IV = key[:16], PKCS#7 with a
  32-byte block, plaintext = 16 random bytes + 4-byte big-endian length +
  message + receive id.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
import string
import sys
import time
from collections.abc import Callable
from typing import Any

from .errors import ConfigError, DecryptError, SignatureError

__all__ = [
    "MessageCrypto",
    "check_signature",
    "pkcs7_pad",
    "pkcs7_unpad",
    "random_nonce",
    "sha1_signature",
]

_BLOCK = 32
_B64_CHARS = frozenset(string.ascii_letters + string.digits + "+/")

if sys.version_info >= (3, 11):  # base64.b64decode(validate=True) is this call plus a Python frame
    _b64decode: Callable[[str | bytes], bytes] = functools.partial(binascii.a2b_base64, strict_mode=True)
else:  # pragma: no cover - Python 3.10

    def _b64decode(data: str | bytes) -> bytes:
        return base64.b64decode(data, validate=True)


def sha1_signature(*parts: str) -> str:
    """Return WeChat's SHA1 signature: hex SHA1 of the sorted parts joined."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8", "surrogatepass")).hexdigest()  # noqa: S324 - WeChat's algorithm


def check_signature(signature: str | None, *parts: str) -> None:
    """Raise :class:`SignatureError` unless ``signature`` signs ``parts``.

    The comparison runs in constant time.
    """
    if not signature:
        raise SignatureError("missing signature")
    expected = sha1_signature(*parts)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise SignatureError("signature mismatch")


def pkcs7_pad(data: bytes, block: int = _BLOCK) -> bytes:
    """Pad ``data`` with PKCS#7 to a multiple of ``block`` (WeChat uses 32)."""
    n = block - len(data) % block
    return data + bytes((n,)) * n


def pkcs7_unpad(data: bytes, block: int = _BLOCK) -> bytes:
    """Strictly remove PKCS#7 padding; raise :class:`DecryptError` if it is bad."""
    if not data or len(data) % 16:
        raise DecryptError("ciphertext length is not a multiple of the AES block")
    n = data[-1]
    if n < 1 or n > block or n > len(data) or data[-n:] != bytes((n,)) * n:
        raise DecryptError("bad PKCS#7 padding")
    return data[:-n]


def random_nonce() -> str:
    """Return a random 16-character hex nonce."""
    return secrets.token_hex(8)


def _decode_aes_key(encoding_aes_key: str) -> bytes:
    if (
        not isinstance(encoding_aes_key, str)
        or len(encoding_aes_key) != 43
        or not _B64_CHARS.issuperset(encoding_aes_key)
    ):
        raise ConfigError("EncodingAESKey must be 43 base64 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:  # pragma: no cover - guarded by the check above
        raise ConfigError("EncodingAESKey is not valid base64") from exc
    if len(key) != 32:  # pragma: no cover - 43 chars always decode to 32 bytes
        raise ConfigError("EncodingAESKey must decode to 32 bytes")
    return key


class MessageCrypto:
    """WXBizMsgCrypt-compatible encryption for one token / key / receive id.

    ``receive_id`` is the appid for official accounts and mini programs, the
    corpid (or a suite id) for WeCom; an empty ``receive_id`` skips the check
    (as WeCom does for some third-party callbacks).

    A malformed ``encoding_aes_key`` raises :class:`~wxkit.errors.ConfigError`
    here, not at the first message.
    """

    __slots__ = ("_ecb", "_encryptors", "_iv", "_iv_int", "_key", "receive_id", "token")

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if not token:
            raise ConfigError("token is required")
        self.token = token
        self._key = _decode_aes_key(encoding_aes_key)
        self._iv = self._key[:16]
        # pycryptodome (with cffi, which parses C declarations at import) loads with the first
        # MessageCrypto, not with wxkit.crypto: a plain-mode bot never needs it (cold start).
        from Crypto.Cipher import AES

        # CBC decryption is P[i] = D(C[i]) xor C[i-1]: one stateless ECB pass
        # (cipher object built once, safe to share between threads) and one
        # big-integer XOR, instead of a fresh CBC cipher per message.
        self._ecb = AES.new(self._key, AES.MODE_ECB)
        self._iv_int = int.from_bytes(self._iv, "big")
        # CBC encryption: long-lived CBC ciphers instead of a fresh one per message (building one
        # costs more than encrypting a reply). A cipher used before chains from the last block it
        # wrote, not from the IV; :meth:`encrypt_bytes` folds that difference into the first
        # plaintext block, so every message encrypts byte for byte as under a fresh cipher.
        # A free-list, not a lock: list.pop / append are atomic, each thread takes its own cipher
        # (the list grows to the number of concurrent encryptions), and a fork cannot inherit a
        # held lock. Entries: [cipher, last block written XOR IV as an int].
        self._encryptors: list[list[Any]] = []
        self.receive_id = receive_id

    def __repr__(self) -> str:
        return f"MessageCrypto(receive_id={self.receive_id!r})"

    # -- signatures -------------------------------------------------------
    def signature(self, timestamp: str, nonce: str, data: str) -> str:
        """Return the ``msg_signature`` of ``data`` (an Encrypt or echostr value)."""
        return sha1_signature(self.token, timestamp, nonce, data)

    def check_signature(self, msg_signature: str | None, timestamp: str, nonce: str, data: str) -> None:
        """Raise :class:`SignatureError` unless ``msg_signature`` signs ``data``."""
        check_signature(msg_signature, self.token, timestamp, nonce, data)

    # -- AES --------------------------------------------------------------
    def encrypt_bytes(
        self, message: bytes, *, random_prefix: bytes | None = None, receive_id: str | None = None
    ) -> str:
        """Encrypt raw message bytes and return the base64 ``Encrypt`` text.

        ``receive_id`` overrides the configured one (e.g. to answer with the id
        a push carried when the check is disabled).
        """
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        if len(prefix) != 16:
            raise ValueError("random_prefix must be 16 bytes")
        rid = self.receive_id if receive_id is None else receive_id
        tail = len(message).to_bytes(4, "big") + message + rid.encode()
        n = _BLOCK - (16 + len(tail)) % _BLOCK  # PKCS#7 to 32 bytes (pkcs7_pad) over prefix + tail
        # AES-256-CBC with the IV over prefix + tail + padding, on a long-lived cipher: the same bytes
        # as AES.new(key, AES.MODE_CBC, iv).encrypt(...) (tests/test_crypto.py checks it with
        # Hypothesis). A CBC cipher that last wrote block C encrypts E(P0 XOR C) first; given
        # P0 XOR C XOR IV as its first block (the prefix) it encrypts E(P0 XOR IV), as a fresh one does.
        try:
            entry = self._encryptors.pop()
        except IndexError:  # the first encryption, or every cipher is in use by another thread
            from Crypto.Cipher import AES  # loaded by __init__ already: a dict lookup

            entry = [AES.new(self._key, AES.MODE_CBC, self._iv), 0]
        fold = entry[1]
        if fold:
            prefix = (int.from_bytes(prefix, "big") ^ fold).to_bytes(16, "big")
        out: bytes = entry[0].encrypt(prefix + tail + bytes((n,)) * n)
        entry[1] = int.from_bytes(out[-16:], "big") ^ self._iv_int
        self._encryptors.append(entry)
        return binascii.b2a_base64(out, newline=False).decode("ascii")

    def encrypt(self, message: str, *, random_prefix: bytes | None = None, receive_id: str | None = None) -> str:
        """Encrypt ``message`` and return the base64 ``Encrypt`` text."""
        return self.encrypt_bytes(message.encode("utf-8"), random_prefix=random_prefix, receive_id=receive_id)

    def decrypt_bytes(self, encrypted: str | bytes) -> bytes:
        """Decrypt a base64 ``Encrypt`` value and return the message bytes.

        Every failure is a :class:`DecryptError`.
        """
        return self.decrypt_with_id(encrypted)[0]

    def decrypt_with_id(self, encrypted: str | bytes) -> tuple[bytes, str]:
        """Decrypt and return ``(message bytes, receive id found in the payload)``.

        The receive id is checked against ``self.receive_id`` unless that is
        empty; every failure is a :class:`DecryptError`.
        """
        try:
            raw = _b64decode(encrypted)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError("ciphertext is not valid base64") from exc
        if not raw or len(raw) % 16:
            raise DecryptError("ciphertext length is not a multiple of the AES block")
        chained = int.from_bytes(self._ecb.decrypt(raw), "big") ^ int.from_bytes(self._iv + raw[:-16], "big")
        plain = pkcs7_unpad(chained.to_bytes(len(raw), "big"))
        if len(plain) < 20:
            raise DecryptError("decrypted payload is too short")
        length = int.from_bytes(plain[16:20], "big")
        end = 20 + length
        if end > len(plain):
            raise DecryptError("length field exceeds the decrypted payload")
        receive_id = plain[end:]
        if self.receive_id and not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise DecryptError("receive id does not match")
        try:
            found = receive_id.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecryptError("receive id is not valid UTF-8") from exc
        return plain[20:end], found

    def decrypt(self, encrypted: str | bytes) -> str:
        """Decrypt a base64 ``Encrypt`` value and return the message text."""
        data = self.decrypt_bytes(encrypted)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecryptError("decrypted message is not valid UTF-8") from exc

    # -- envelopes --------------------------------------------------------
    def encrypt_reply(
        self,
        message: str,
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
        random_prefix: bytes | None = None,
        receive_id: str | None = None,
    ) -> str:
        """Encrypt a reply and return the signed ``<xml><Encrypt>...`` envelope.

        Without ``nonce`` and ``random_prefix``, both come from one ``os.urandom`` call.
        """
        ts = timestamp or str(int(time.time()))
        if not nonce and random_prefix is None:
            rnd = os.urandom(24)
            nc, random_prefix = rnd[16:].hex(), rnd[:16]
        else:
            nc = nonce or random_nonce()
        enc = self.encrypt_bytes(message.encode("utf-8"), random_prefix=random_prefix, receive_id=receive_id)
        sig = sha1_signature(self.token, ts, nc, enc)
        return (
            f"<xml>\n<Encrypt><![CDATA[{enc}]]></Encrypt>\n"
            f"<MsgSignature><![CDATA[{sig}]]></MsgSignature>\n"
            f"<TimeStamp>{ts}</TimeStamp>\n"
            f"<Nonce><![CDATA[{nc}]]></Nonce>\n</xml>"
        )

    def verify_url(self, msg_signature: str | None, timestamp: str, nonce: str, echostr: str) -> str:
        """WeCom-style URL check: verify ``msg_signature`` and return the decrypted echostr."""
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)
