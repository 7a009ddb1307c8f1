"""Platform certificates: downloaded from ``GET /v3/certificates``, decrypted, cached, refreshed.

:class:`PlatformCertificates` is the :class:`~wxkit.pay.v3.verifier.KeySource`
a :class:`~wxkit.pay.v3.client.PayClient` verifies with when the merchant
uses platform certificates:

* downloaded lazily, the first time an answer names a certificate serial;
  each entry is decrypted with the APIv3 key (AEAD, associated data
  ``certificate``), and the answer itself must verify with one of the
  certificates it carries (or the WeChat Pay public key);
* cached in the storage by serial (``wxkit:pay:certs:<mchid>``, JSON
  ``{serial: {"pem", "effective_time", "expire_time"}}``), so another process
  or client sharing the storage starts without downloading;
* refreshed on a schedule (``refresh_interval``, 6 hours: WeChat asks for
  less than 12) and when an answer names an unknown serial, which first
  re-reads the storage; expired certificates are dropped;
* a merchant with only a WeChat Pay public key gets 404 from
  ``/v3/certificates``: that is "no certificates", never an error.

Downloads made on their own (the first one, scheduled ones, those for an
unknown serial) happen at most once per ``min_refresh_interval`` seconds, in
every state: a failed download counts, and so does the first one, so a flood
of forged serials cannot make the client hammer WeChat, not even on a cold
start or while ``/v3/certificates`` fails. Only :meth:`PlatformCertificates.refresh`
(called by you) is not limited.

A failed scheduled refresh (network, 5xx) keeps the certificates already
known and is retried after ``min_refresh_interval``; a failed first download
raises (a wrong APIv3 key is a :class:`~wxkit.errors.DecryptError` saying so),
and until the next one is allowed, a lookup that needs it raises
:class:`~wxkit.errors.TransportError`. The storage is a cache: when it
fails, that is logged and the certificates are downloaded (or kept in
memory) instead.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
from Crypto.PublicKey import RSA

from ...errors import DecryptError, ParseError, PayError, SignatureError, TransportError, WxError
from ...jsoncodec import load_json
from ...storage import Storage
from .crypto import aead_decrypt, load_public_key

__all__ = ["CertificateFetcher", "DEFAULT_REFRESH_INTERVAL", "PlatformCertificate", "PlatformCertificates"]

logger = logging.getLogger("wxkit.pay")

#: Fetches the raw ``/v3/certificates`` answer: ``(headers, body bytes)``; raises PayError(404) in public-key mode.
CertificateFetcher = Callable[[], tuple[dict[str, str], bytes]]

#: Seconds between scheduled downloads (WeChat: "定时调用，间隔应小于12小时").
DEFAULT_REFRESH_INTERVAL = 6 * 3600.0


@attrs.frozen
class PlatformCertificate:
    """One decrypted platform certificate."""

    serial_no: str
    key: RSA.RsaKey = attrs.field(repr=False, eq=False)
    pem: str = attrs.field(repr=False)
    effective_time: str = ""
    expire_time: str = ""

    def expires_at(self) -> float | None:
        """``expire_time`` as a POSIX timestamp (None if absent or unreadable)."""
        return _timestamp(self.expire_time)

    def effective_at(self) -> float | None:
        """``effective_time`` as a POSIX timestamp (None if absent or unreadable)."""
        return _timestamp(self.effective_time)


def _timestamp(text: str) -> float | None:
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))  # WeChat speaks Beijing time
    return parsed.timestamp()


class PlatformCertificates:
    """The merchant's platform certificates, shared through ``storage``.

    ``clock`` is a monotonic clock for the refresh schedule and the rate
    limit; ``wall_clock`` (POSIX seconds) decides which certificates have
    expired. Both are injectable for tests.
    """

    def __init__(
        self,
        mchid: str,
        apiv3_key: str | bytes,
        storage: Storage,
        fetch: CertificateFetcher,
        *,
        verify_answer: Callable[[dict[str, str], bytes, dict[str, RSA.RsaKey]], None] | None = None,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        min_refresh_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.mchid = mchid
        self._apiv3_key = apiv3_key
        self.storage = storage
        self._fetch = fetch
        self._verify_answer = verify_answer
        self.refresh_interval = refresh_interval
        self.min_refresh_interval = min_refresh_interval
        self._clock = clock
        self._wall_clock = wall_clock
        self.key = f"wxkit:pay:certs:{mchid}"
        self._lock = threading.RLock()
        self._certs: dict[str, PlatformCertificate] = {}
        self._loaded_at: float | None = None  # when the known set was last downloaded or read from storage
        self._last_download: float | None = None  # when a download was last tried (failed ones too)
        self._last_error: str = ""  # the type of the last download's error ("" after a success)
        #: How many times this object downloaded the certificates (for tests and metrics).
        self.fetch_count = 0
        #: False after ``/v3/certificates`` answered 404 (a public-key-only merchant).
        self.available = True

    def __repr__(self) -> str:
        return f"PlatformCertificates(mchid={self.mchid!r}, serials={self.serials})"

    # -- KeySource -----------------------------------------------------------------
    def key_for(self, serial: str) -> RSA.RsaKey | None:
        """The key of certificate ``serial``; an unknown serial triggers one rate-limited refresh."""
        self._ensure_fresh()
        cert = self._certs.get(serial)
        if cert is not None:
            return cert.key
        with self._lock:
            cert = self._certs.get(serial)  # another thread may have just fetched it
            if cert is None and self._load_storage():  # or another process
                cert = self._certs.get(serial)
            if cert is None and self._may_download():
                logger.info("unknown platform certificate serial for %s: refreshing", self.mchid)
                self._download()
                cert = self._certs.get(serial)
        return cert.key if cert is not None else None

    def newest(self) -> tuple[str, RSA.RsaKey] | None:
        """``(serial, key)`` of the newest effective certificate (to encrypt sensitive fields), or None."""
        self._ensure_fresh()
        certs = list(self._certs.values())
        if not certs:
            return None
        now = self._wall_clock()
        effective = [c for c in certs if (c.effective_at() or 0.0) <= now] or certs
        # The latest effective_time wins; on a tie the one listed last (WeChat lists the newest last).
        best = max(reversed(effective), key=lambda c: c.effective_at() or 0.0)
        return best.serial_no, best.key

    @property
    def serials(self) -> list[str]:
        """Serials known now."""
        return list(self._certs)

    @property
    def certificates(self) -> list[PlatformCertificate]:
        """The certificates known now."""
        return list(self._certs.values())

    def refresh(self) -> None:
        """Download the certificates now (e.g. from a daily job)."""
        with self._lock:
            self._download()

    # -- loading ---------------------------------------------------------------------
    def _may_download(self) -> bool:
        """Whether a download of our own is allowed now: one per ``min_refresh_interval``, failed ones included."""
        last = self._last_download
        return last is None or self._clock() - last >= self.min_refresh_interval

    def _stale(self) -> bool:
        return self._loaded_at is None or self._clock() - self._loaded_at >= self.refresh_interval

    def _ensure_fresh(self) -> None:
        if not self._stale():
            return
        with self._lock:
            if not self._stale():
                return
            if self._loaded_at is None and self._load_storage():
                return  # a first start from a warm storage: no download
            if not self._may_download():
                if not self._certs:
                    assert self._last_download is not None  # only a download already tried can forbid one
                    wait = self.min_refresh_interval - (self._clock() - self._last_download)
                    raise TransportError(
                        f"no platform certificates yet: the last download failed ({self._last_error or 'unknown'});"
                        f" the next one is allowed in {max(wait, 0.0):.0f} s",
                        method="GET",
                        url="/v3/certificates",
                    )
                return  # keep verifying with what we know
            try:
                self._download()
            except WxError as exc:
                if not self._certs:
                    raise
                # Keep verifying with what we know; try again after min_refresh_interval.
                logger.warning("platform certificate refresh for %s failed: %s", self.mchid, type(exc).__name__)
                self._loaded_at = self._clock() - self.refresh_interval + self.min_refresh_interval

    def _load_storage(self) -> bool:
        """Merge the certificates cached in storage; return whether it held any still in force."""
        try:
            cached = self.storage.get(self.key)
        except Exception as exc:  # noqa: BLE001 - a cache: any storage failure must not stop verification
            logger.warning("platform certificates of %s: the storage failed (%s)", self.mchid, type(exc).__name__)
            return False
        certs = self._live(self._parse(cached))
        if not certs:
            return False
        self._certs = self._live({**self._certs, **certs})
        if self._loaded_at is None:
            self._loaded_at = self._clock()
        return True

    def _download(self) -> None:
        self.fetch_count += 1
        self._last_download = self._clock()  # counts for the rate limit whether it succeeds or not
        try:
            self._download_once()
        except Exception as exc:
            self._last_error = type(exc).__name__
            raise
        self._last_error = ""

    def _download_once(self) -> None:
        try:
            headers, body = self._fetch()
        except PayError as exc:
            if exc.status == 404:
                logger.info("no platform certificates for %s (public-key mode)", self.mchid)
                self.available = False
                self._loaded_at = self._clock()
                return
            raise
        certs = self._decrypt(body)
        if self._verify_answer is not None:
            known = {serial: cert.key for serial, cert in {**self._certs, **certs}.items()}
            self._verify_answer(headers, body, known)
        # The answer lists every certificate in force: it replaces what we knew.
        self._certs = self._live(certs)
        self.available = True
        self._loaded_at = self._clock()
        try:
            self.storage.set(self.key, json.dumps({s: self._entry(c) for s, c in self._certs.items()}))
        except Exception as exc:  # noqa: BLE001 - a cache: on any storage failure keep them in memory
            logger.warning(
                "platform certificates of %s not cached: the storage failed (%s)", self.mchid, type(exc).__name__
            )
        logger.info("platform certificates for %s: %s", self.mchid, ", ".join(self._certs) or "none")

    def _live(self, certs: dict[str, PlatformCertificate]) -> dict[str, PlatformCertificate]:
        """Drop expired certificates (WeChat never signs with them)."""
        now = self._wall_clock()
        live = {}
        for serial, cert in certs.items():
            expires = cert.expires_at()
            if expires is None or expires > now:
                live[serial] = cert
        return live

    def _decrypt(self, body: bytes) -> dict[str, PlatformCertificate]:
        try:
            data = load_json(body, what="the /v3/certificates answer", max_size=None)
            items: list[Any] = list(data["data"])
        except (ParseError, KeyError, TypeError):
            raise SignatureError("the /v3/certificates answer is not the expected JSON") from None
        certs: dict[str, PlatformCertificate] = {}
        for item in items:
            try:
                enc = item["encrypt_certificate"]
                serial = str(item["serial_no"])
                pem = aead_decrypt(
                    self._apiv3_key, enc["nonce"], enc.get("associated_data", ""), enc["ciphertext"]
                ).decode("utf-8")
            except (KeyError, TypeError, AttributeError, UnicodeDecodeError):
                raise SignatureError("a platform certificate entry in /v3/certificates is malformed") from None
            except DecryptError:
                raise DecryptError(
                    "cannot decrypt the platform certificates from /v3/certificates: is the APIv3 key right?"
                ) from None
            certs[serial] = PlatformCertificate(
                serial,
                load_public_key(pem),
                pem,
                str(item.get("effective_time") or ""),
                str(item.get("expire_time") or ""),
            )
        return certs

    @staticmethod
    def _entry(cert: PlatformCertificate) -> dict[str, str]:
        return {"pem": cert.pem, "effective_time": cert.effective_time, "expire_time": cert.expire_time}

    def _parse(self, cached: str | None) -> dict[str, PlatformCertificate]:
        """Certificates from the storage value; anything unreadable is ignored (and downloaded again)."""
        if not cached:
            return {}
        try:
            data = load_json(cached, what="the cached certificates")
        except ParseError:
            return {}
        if not isinstance(data, dict):
            return {}
        certs: dict[str, PlatformCertificate] = {}
        for serial, entry in data.items():
            try:
                if isinstance(entry, str):  # an older format: serial -> PEM
                    entry = {"pem": entry}
                pem = str(entry["pem"])
                certs[str(serial)] = PlatformCertificate(
                    str(serial),
                    load_public_key(pem),
                    pem,
                    str(entry.get("effective_time") or ""),
                    str(entry.get("expire_time") or ""),
                )
            except (KeyError, TypeError, AttributeError, ValueError):
                continue
        return certs
