"""Where WeChat Pay v3 crypto runs: OpenSSL through ``cryptography``, or pycryptodome.

The one selection point of the backend. ``cryptography`` (``pip install
wxkit[fast]``) is used when it is installed: SHA256withRSA, AES-256-GCM and
RSA-OAEP then run in OpenSSL, 3x (RSA signing) to 50x (AES-GCM) faster than
pycryptodome, which always is installed and does the same work otherwise. Both
give the same results; the test suite runs the pay crypto tests on each.

The choice is made at import from the environment variable
``WXKIT_PAY_CRYPTO``: ``auto`` (the default: ``cryptography`` if installed,
else ``pycryptodome``), ``cryptography`` or ``pycryptodome``. An unknown value,
or ``cryptography`` when it is not installed, is a
:class:`~wxkit.errors.ConfigError`. :func:`set_crypto_backend` changes it at
run time (tests, benchmarks); objects made before keep working and follow the
switch.

Keys stay pycryptodome ``RsaKey`` objects in wxkit's API. A backend turns a
key into its native form once and keeps it (per key object, a bounded cache;
:class:`~wxkit.pay.v3.signer.Signer` and
:class:`~wxkit.pay.v3.verifier.Verifier` hold theirs), so nothing is parsed or
rebuilt per call; the ``cryptography`` backend keeps one AES-GCM object per
APIv3 key likewise. Nothing here prints key material (no repr shows it).
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from Crypto.Cipher import AES, PKCS1_OAEP
from Crypto.Hash import SHA1, SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from ...errors import ConfigError

__all__ = [
    "CRYPTO_BACKEND_ENV",
    "Backend",
    "PrivateOps",
    "PublicOps",
    "available_crypto_backends",
    "b64decode_strict",
    "crypto_backend",
    "current",
    "from_environment",
    "set_crypto_backend",
]

#: The environment variable read at import: ``auto``, ``cryptography`` or ``pycryptodome``.
CRYPTO_BACKEND_ENV = "WXKIT_PAY_CRYPTO"

_NAMES = ("cryptography", "pycryptodome")  # fastest first
_MAX_KEYS = 64  # native keys kept per backend; keys come and go with rotations
_MAX_AEAD = 16  # AES-GCM objects kept (one per APIv3 key in practice)
_MIN_CRYPTOGRAPHY = 41


#: ``base64.b64decode(data, validate=True)`` (``binascii.Error`` / ``ValueError`` when not base64), minus a layer.
b64decode_strict: Callable[[str | bytes], bytes]
if sys.version_info >= (3, 11):  # what b64decode(validate=True) calls there, without its str -> bytes copy
    b64decode_strict = functools.partial(binascii.a2b_base64, strict_mode=True)
else:  # pragma: no cover - Python 3.10
    b64decode_strict = functools.partial(base64.b64decode, validate=True)


class PrivateOps(Protocol):
    """What a backend does with a private key."""

    size: int  # the modulus length in bytes

    def sign(self, data: bytes) -> bytes:
        """SHA256withRSA (PKCS#1 v1.5) signature of ``data``."""
        ...

    def oaep_decrypt(self, data: bytes) -> bytes | None:
        """RSA-OAEP (SHA-1) decryption, None when it fails."""
        ...


class PublicOps(Protocol):
    """What a backend does with a public key."""

    size: int  # the modulus length in bytes

    def verify(self, data: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a SHA256withRSA (PKCS#1 v1.5) signature of ``data``."""
        ...

    def oaep_encrypt(self, data: bytes) -> bytes:
        """RSA-OAEP (SHA-1) encryption (``data`` fits: the caller checks its length)."""
        ...


class Backend:
    """A crypto backend: native keys cached per ``RsaKey`` object, and the AES-GCM operations."""

    name = ""

    def __init__(self) -> None:
        self._private: dict[int, tuple[RSA.RsaKey, PrivateOps]] = {}
        self._public: dict[int, tuple[RSA.RsaKey, PublicOps]] = {}

    def __repr__(self) -> str:
        return f"<wxkit pay crypto backend {self.name!r}>"

    def private(self, key: RSA.RsaKey) -> PrivateOps:
        """The native form of the private ``key``, converted on first use."""
        entry = self._private.get(id(key))
        if entry is not None and entry[0] is key:
            return entry[1]
        ops = self._new_private(key)
        _remember(self._private, id(key), (key, ops))
        return ops

    def public(self, key: RSA.RsaKey) -> PublicOps:
        """The native form of the public half of ``key`` (a public or private key), converted on first use."""
        entry = self._public.get(id(key))
        if entry is not None and entry[0] is key:
            return entry[1]
        ops = self._new_public(key)
        _remember(self._public, id(key), (key, ops))
        return ops

    def _new_private(self, key: RSA.RsaKey) -> PrivateOps:
        raise NotImplementedError

    def _new_public(self, key: RSA.RsaKey) -> PublicOps:
        raise NotImplementedError

    def gcm_encrypt(self, key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
        """AES-GCM encryption: ciphertext + 16-byte tag (``key`` is 16, 24 or 32 bytes, ``nonce`` not empty)."""
        raise NotImplementedError

    def gcm_decrypt(self, key: bytes, nonce: bytes, aad: bytes, data: bytes) -> bytes | None:
        """AES-GCM decryption of ciphertext + 16-byte tag; None when the tag does not match."""
        raise NotImplementedError


def _remember(cache: dict[int, Any], key: int, value: Any) -> None:
    while len(cache) >= _MAX_KEYS:
        try:  # forget the oldest entry
            del cache[next(iter(cache))]
        except (StopIteration, KeyError, RuntimeError):  # another thread got there first
            break
    cache[key] = value


# -- pycryptodome ------------------------------------------------------------------------------------
class _PyPrivate:
    __slots__ = ("_key", "_pkcs1", "size")

    def __init__(self, key: RSA.RsaKey) -> None:
        self._key = key
        self._pkcs1 = pkcs1_15.new(key)
        self.size = key.size_in_bytes()

    def __repr__(self) -> str:
        return "<private key>"

    def sign(self, data: bytes) -> bytes:
        signature: bytes = self._pkcs1.sign(SHA256.new(data))
        return signature

    def oaep_decrypt(self, data: bytes) -> bytes | None:
        try:
            plain: bytes = PKCS1_OAEP.new(self._key, hashAlgo=SHA1).decrypt(data)
        except (ValueError, TypeError):
            return None
        return plain


class _PyPublic:
    __slots__ = ("_key", "_pkcs1", "size")

    def __init__(self, key: RSA.RsaKey) -> None:
        self._key = key.public_key() if key.has_private() else key
        self._pkcs1 = pkcs1_15.new(self._key)
        self.size = key.size_in_bytes()

    def __repr__(self) -> str:
        return "<public key>"

    def verify(self, data: bytes, signature: bytes) -> bool:
        try:
            self._pkcs1.verify(SHA256.new(data), signature)
        except (ValueError, TypeError):
            return False
        return True

    def oaep_encrypt(self, data: bytes) -> bytes:
        encrypted: bytes = PKCS1_OAEP.new(self._key, hashAlgo=SHA1).encrypt(data)
        return encrypted


class _Pycryptodome(Backend):
    name = "pycryptodome"

    def _new_private(self, key: RSA.RsaKey) -> PrivateOps:
        return _PyPrivate(key)

    def _new_public(self, key: RSA.RsaKey) -> PublicOps:
        return _PyPublic(key)

    def gcm_encrypt(self, key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
        cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
        cipher.update(aad)
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        return bytes(ciphertext + tag)

    def gcm_decrypt(self, key: bytes, nonce: bytes, aad: bytes, data: bytes) -> bytes | None:
        cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
        cipher.update(aad)
        try:
            plain: bytes = cipher.decrypt_and_verify(data[:-16], data[-16:])
        except ValueError:
            return None
        return plain


# -- cryptography (OpenSSL) -----------------------------------------------------------------------------
def _cryptography_backend() -> Backend:
    """The OpenSSL backend; ImportError when ``cryptography`` (>= 41) is not installed."""
    import cryptography
    from cryptography.exceptions import InvalidSignature, InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        major = int(cryptography.__version__.split(".")[0])
    except ValueError:
        major = 0
    if major < _MIN_CRYPTOGRAPHY:
        raise ImportError(f"cryptography>={_MIN_CRYPTOGRAPHY} is needed, {cryptography.__version__} is installed")

    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)  # noqa: S303  # WeChat Pay specifies OAEP with SHA-1

    class _OsslPrivate:
        __slots__ = ("_key", "size")

        def __init__(self, key: RSA.RsaKey) -> None:
            p, q, d = int(key.p), int(key.q), int(key.d)
            numbers = rsa.RSAPrivateNumbers(
                p=p,
                q=q,
                d=d,
                dmp1=rsa.rsa_crt_dmp1(d, p),
                dmq1=rsa.rsa_crt_dmq1(d, q),
                iqmp=rsa.rsa_crt_iqmp(p, q),
                public_numbers=rsa.RSAPublicNumbers(int(key.e), int(key.n)),
            )
            try:
                self._key = numbers.private_key()
            except ValueError:
                raise ConfigError("the private key is not a valid RSA key") from None
            self.size = key.size_in_bytes()

        def __repr__(self) -> str:
            return "<private key>"

        def sign(self, data: bytes) -> bytes:
            return self._key.sign(data, pkcs1, sha256)

        def oaep_decrypt(self, data: bytes) -> bytes | None:
            try:
                return self._key.decrypt(data, oaep)
            except ValueError:
                return None

    class _OsslPublic:
        __slots__ = ("_key", "size")

        def __init__(self, key: RSA.RsaKey) -> None:
            try:
                self._key = rsa.RSAPublicNumbers(int(key.e), int(key.n)).public_key()
            except ValueError:
                raise ConfigError("the public key is not a valid RSA key") from None
            self.size = key.size_in_bytes()

        def __repr__(self) -> str:
            return "<public key>"

        def verify(self, data: bytes, signature: bytes) -> bool:
            try:
                self._key.verify(signature, data, pkcs1, sha256)
            except InvalidSignature:
                return False
            return True

        def oaep_encrypt(self, data: bytes) -> bytes:
            return self._key.encrypt(data, oaep)

    fallback = _BACKENDS["pycryptodome"]  # nonces OpenSSL's AES-GCM refuses (< 8 or > 128 bytes)

    class _Cryptography(Backend):
        name = "cryptography"

        def __init__(self) -> None:
            super().__init__()
            self._aead: dict[bytes, AESGCM] = {}

        def _new_private(self, key: RSA.RsaKey) -> PrivateOps:
            return _OsslPrivate(key)

        def _new_public(self, key: RSA.RsaKey) -> PublicOps:
            return _OsslPublic(key)

        def _gcm(self, key: bytes) -> AESGCM:
            aead = self._aead.get(key)
            if aead is None:
                aead = AESGCM(key)
                if len(self._aead) >= _MAX_AEAD:
                    self._aead.clear()
                self._aead[key] = aead
            return aead

        def gcm_encrypt(self, key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
            if not 8 <= len(nonce) <= 128:
                return fallback.gcm_encrypt(key, nonce, aad, plaintext)
            return self._gcm(key).encrypt(nonce, plaintext, aad)

        def gcm_decrypt(self, key: bytes, nonce: bytes, aad: bytes, data: bytes) -> bytes | None:
            if not 8 <= len(nonce) <= 128:
                return fallback.gcm_decrypt(key, nonce, aad, data)
            try:
                return self._gcm(key).decrypt(nonce, data, aad)
            except InvalidTag:
                return None

    return _Cryptography()


# -- selection ---------------------------------------------------------------------------------------------
_BACKENDS: dict[str, Backend] = {"pycryptodome": _Pycryptodome()}
_FACTORIES: dict[str, Callable[[], Backend]] = {"cryptography": _cryptography_backend}
_UNAVAILABLE: dict[str, str] = {}
_LOCK = threading.Lock()


def _get(name: str) -> Backend | None:
    """The backend ``name`` (built on first use), or None when it cannot run here."""
    backend = _BACKENDS.get(name)
    if backend is None and name not in _UNAVAILABLE:
        with _LOCK:
            backend = _BACKENDS.get(name)
            if backend is None and name not in _UNAVAILABLE:
                try:
                    backend = _BACKENDS[name] = _FACTORIES[name]()
                except ImportError as exc:
                    _UNAVAILABLE[name] = str(exc)
    return backend


def _resolve(name: str) -> Backend:
    choice = str(name).strip().lower()
    if choice == "auto":
        for candidate in _NAMES:
            backend = _get(candidate)
            if backend is not None:
                return backend
    if choice not in _NAMES:
        raise ConfigError(
            f"unknown WeChat Pay crypto backend {str(name)[:40]!r}: use 'auto', {' or '.join(map(repr, _NAMES))}"
        )
    backend = _get(choice)
    if backend is None:
        raise ConfigError(
            f"the {choice!r} crypto backend is not available ({_UNAVAILABLE.get(choice, 'not installed')}); "
            "pip install 'wxkit[fast]'"
        )
    return backend


def from_environment(environ: Mapping[str, str] = os.environ) -> Backend:
    """The backend ``WXKIT_PAY_CRYPTO`` in ``environ`` asks for (``auto`` when unset or empty)."""
    return _resolve(environ.get(CRYPTO_BACKEND_ENV, "").strip() or "auto")


_current: Backend = from_environment()


def current() -> Backend:
    """The backend in use."""
    return _current


def crypto_backend() -> str:
    """The name of the crypto backend WeChat Pay v3 uses now: ``"cryptography"`` or ``"pycryptodome"``."""
    return _current.name


def available_crypto_backends() -> tuple[str, ...]:
    """The names of the crypto backends usable here, fastest first (``"pycryptodome"`` always is)."""
    return tuple(name for name in _NAMES if _get(name) is not None)


def set_crypto_backend(name: str) -> str:
    """Use the crypto backend ``name`` (``"cryptography"``, ``"pycryptodome"`` or ``"auto"``); return the previous name.

    For tests and benchmarks; in production set ``WXKIT_PAY_CRYPTO`` or just
    install ``wxkit[fast]``. An unknown name, or a backend that is not
    installed, is a :class:`~wxkit.errors.ConfigError`.
    """
    global _current
    backend = _resolve(name)
    previous, _current = _current.name, backend
    return previous
