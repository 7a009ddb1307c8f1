"""Platform certificates: downloaded from ``GET /v3/certificates``, decrypted, cached, refreshed.

:class:`PlatformCertificates` is the :class:`~wxkit.pay.v3.verifier.KeySource`
a :class:`~wxkit.pay.v3.client.PayClient` verifies with when the merchant
uses platform certificates. Certificates are decrypted with the APIv3 key
(AEAD, associated data ``certificate``), cached in the storage by serial
(``wxkit:pay:certs:<mchid>``, a JSON map serial -> PEM), refreshed on a
schedule (``refresh_interval``) and on an unknown serial at most once per
``min_refresh_interval`` seconds, so a flood of forged serials cannot make
the client hammer WeChat. A merchant with only a WeChat Pay public key gets
404 from ``/v3/certificates``: that is "no certificates", never an error.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from Crypto.PublicKey import RSA

from ...errors import DecryptError, PayError, SignatureError
from ...storage import Storage
from .crypto import aead_decrypt, load_public_key

__all__ = ["CertificateFetcher", "PlatformCertificates"]

logger = logging.getLogger("wxkit.pay")

#: Fetches the raw ``/v3/certificates`` answer: ``(headers, body bytes)``; raises PayError(404) in public-key mode.
CertificateFetcher = Callable[[], tuple[dict[str, str], bytes]]


class PlatformCertificates:
    """The merchant's platform certificates, shared through ``storage``."""

    def __init__(
        self,
        mchid: str,
        apiv3_key: str,
        storage: Storage,
        fetch: CertificateFetcher,
        *,
        verify_answer: Callable[[dict[str, str], bytes, dict[str, RSA.RsaKey]], None] | None = None,
        refresh_interval: float = 12 * 3600,
        min_refresh_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mchid = mchid
        self._apiv3_key = apiv3_key
        self.storage = storage
        self._fetch = fetch
        self._verify_answer = verify_answer
        self.refresh_interval = refresh_interval
        self.min_refresh_interval = min_refresh_interval
        self._clock = clock
        self.key = f"wxkit:pay:certs:{mchid}"
        self._lock = threading.Lock()
        self._keys: dict[str, RSA.RsaKey] = {}
        self._loaded_at: float | None = None
        self._last_fetch: float | None = None
        #: How many times this object downloaded the certificates (for tests and metrics).
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"PlatformCertificates(mchid={self.mchid!r}, serials={sorted(self._keys)})"

    # -- KeySource -----------------------------------------------------------------
    def key_for(self, serial: str) -> RSA.RsaKey | None:
        """The key of certificate ``serial``; an unknown serial triggers one rate-limited refresh."""
        self._ensure_loaded()
        key = self._keys.get(serial)
        if key is None and self._may_fetch():
            self.refresh()
            key = self._keys.get(serial)
        return key

    def newest(self) -> tuple[str, RSA.RsaKey] | None:
        """``(serial, key)`` of the newest certificate (for encrypting sensitive fields), or None."""
        self._ensure_loaded()
        if not self._keys and self._may_fetch():
            self.refresh()
        if not self._keys:
            return None
        serial = next(reversed(self._keys))
        return serial, self._keys[serial]

    @property
    def serials(self) -> list[str]:
        """Serials known now, oldest first."""
        return list(self._keys)

    # -- loading ---------------------------------------------------------------------
    def _may_fetch(self) -> bool:
        return self._last_fetch is None or self._clock() - self._last_fetch >= self.min_refresh_interval

    def _ensure_loaded(self) -> None:
        now = self._clock()
        if self._loaded_at is not None and now - self._loaded_at < self.refresh_interval:
            return
        with self._lock:
            if self._loaded_at is not None and now - self._loaded_at < self.refresh_interval:
                return
            cached = self.storage.get(self.key)
            if cached and self._loaded_at is None:
                self._keys = self._parse_cache(cached)
                self._loaded_at = now
                if self._keys:
                    return
            if self._may_fetch():
                self._refresh_locked()
            self._loaded_at = now

    def refresh(self) -> None:
        """Download the certificates now (unless another thread just did)."""
        with self._lock:
            self._refresh_locked()

    def _refresh_locked(self) -> None:
        self._last_fetch = self._clock()
        self.fetch_count += 1
        try:
            headers, body = self._fetch()
        except PayError as exc:
            if exc.status == 404:
                logger.info("no platform certificates for %s (public-key mode)", self.mchid)
                return
            raise
        keys, pems = self._decrypt(body)
        if self._verify_answer is not None:
            self._verify_answer(headers, body, {**self._keys, **keys})
        self._keys.update(keys)
        known = self._parse_pems(self.storage.get(self.key))
        known.update(pems)
        self.storage.set(self.key, json.dumps(known))
        logger.info("platform certificates for %s: %s", self.mchid, ", ".join(self._keys))

    def _decrypt(self, body: bytes) -> tuple[dict[str, RSA.RsaKey], dict[str, str]]:
        try:
            data = json.loads(body)
            items: list[dict[str, Any]] = list(data["data"])
        except (ValueError, KeyError, TypeError):
            raise SignatureError("the /v3/certificates answer is not the expected JSON") from None
        keys: dict[str, RSA.RsaKey] = {}
        pems: dict[str, str] = {}
        for item in items:
            try:
                enc = item["encrypt_certificate"]
                pem = aead_decrypt(
                    self._apiv3_key, enc["nonce"], enc.get("associated_data", ""), enc["ciphertext"]
                ).decode("utf-8")
                serial = str(item["serial_no"])
            except (KeyError, TypeError, UnicodeDecodeError):
                raise SignatureError("a platform certificate entry is malformed") from None
            except DecryptError:
                raise DecryptError("cannot decrypt a platform certificate: is the APIv3 key right?") from None
            keys[serial] = load_public_key(pem)
            pems[serial] = pem
        return keys, pems

    @staticmethod
    def _parse_pems(cached: str | None) -> dict[str, str]:
        if not cached:
            return {}
        try:
            data = json.loads(cached)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _parse_cache(self, cached: str) -> dict[str, RSA.RsaKey]:
        return {serial: load_public_key(pem) for serial, pem in self._parse_pems(cached).items()}
