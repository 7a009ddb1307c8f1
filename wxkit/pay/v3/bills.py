"""WeChat Pay v3 bills (``pay.bills``): trade and fund-flow bills, downloaded with their hash checked.

::

    info = pay.bills.trade_bill("2025-01-01", tar_type="GZIP")   # {"download_url", "hash_type", "hash_value"}
    csv_bytes = pay.bills.download(info)                          # gunzipped, SHA1 checked
    pay.bills.save(pay.bills.fund_flow_bill("2025-01-01"), "fundflow-2025-01-01.csv")  # streamed

Applying for a bill answers a short-lived ``download_url`` on the API host.
:meth:`BillsAPI.download` requests it with a signed ``Authorization`` like any
v3 call, but the file answer carries no ``Wechatpay-Signature`` (WeChat does
not sign file streams), so its integrity rests on the ``hash_value``: a bill
whose digest does not match is a :class:`~wxkit.errors.SignatureError` and is
neither returned nor written. WeChat documents ``hash_value`` as the digest of
the original bill (after gunzip); the digest of the gzip bytes as sent is
accepted too, since WeChat's SDKs and answers have not always agreed.

:meth:`BillsAPI.download` holds the bill in memory, at most the client's
``max_bill_size`` bytes once decompressed (256 MiB by default; more is a
:class:`~wxkit.errors.TransportError` or, for a gzip file, a
:class:`~wxkit.errors.PayError`). :meth:`BillsAPI.save` streams it to a file
chunk by chunk instead, hashing and decompressing on the way, with no size
bound; the file appears only once its hash has been checked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ...bounds import BodyDecoder
from ...errors import PayError, SignatureError, WxError
from ..dates import china_date

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["ACCOUNT_TYPES", "BILL_TYPES", "BillsAPI", "bill_date"]

#: ``bill_type`` values of :meth:`BillsAPI.trade_bill`.
BILL_TYPES = ("ALL", "SUCCESS", "REFUND", "RECHARGE_REFUND", "ALL_SPECIAL", "SUC_SPECIAL", "REF_SPECIAL")
#: ``account_type`` values of :meth:`BillsAPI.fund_flow_bill`.
ACCOUNT_TYPES = ("BASIC", "OPERATION", "FEES")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HASHES = {"SHA1": "sha1", "SHA256": "sha256", "MD5": "md5"}


def bill_date(value: str | dt.date) -> str:
    """``value`` as WeChat's ``yyyy-MM-dd`` bill date; a ``ValueError`` for anything else.

    A ``date`` is a China calendar day; an aware ``datetime`` is converted to
    China time (UTC+8) first, a naive one taken as China wall time
    (:func:`wxkit.pay.dates.china_date`).
    """
    if isinstance(value, dt.date):
        return china_date(value).isoformat()
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"bill_date must be a date or a 'YYYY-MM-DD' string, got {value!r}")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"bill_date {value!r} is not a calendar date") from None
    return value


def _tar_type(tar_type: str | None) -> str | None:
    if tar_type not in (None, "GZIP"):
        raise ValueError("tar_type must be None (plain) or 'GZIP'")
    return tar_type


class BillsAPI:
    """Trade and fund-flow bills (``/v3/bill/...``) and their download."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<BillsAPI>"

    def trade_bill(
        self, bill_date: str | dt.date, *, bill_type: str = "ALL", tar_type: str | None = None
    ) -> dict[str, Any]:
        """Apply for a trade bill: ``GET /v3/bill/tradebill``.

        Returns ``{"download_url", "hash_type", "hash_value"}`` for :meth:`download`.
        ``tar_type="GZIP"`` asks for a gzip file.
        """
        if bill_type not in BILL_TYPES:
            raise ValueError(f"bill_type must be one of {BILL_TYPES}")
        params = {"bill_date": _date(bill_date), "bill_type": bill_type, "tar_type": _tar_type(tar_type)}
        return self._client.request("GET", "/v3/bill/tradebill", params=params)

    def fund_flow_bill(
        self, bill_date: str | dt.date, *, account_type: str = "BASIC", tar_type: str | None = None
    ) -> dict[str, Any]:
        """Apply for a fund-flow bill: ``GET /v3/bill/fundflowbill`` (``BASIC``, ``OPERATION`` or ``FEES``)."""
        if account_type not in ACCOUNT_TYPES:
            raise ValueError(f"account_type must be one of {ACCOUNT_TYPES}")
        params = {"bill_date": _date(bill_date), "account_type": account_type, "tar_type": _tar_type(tar_type)}
        return self._client.request("GET", "/v3/bill/fundflowbill", params=params)

    def download(
        self,
        bill_info_or_url: Mapping[str, Any] | str,
        dest: str | os.PathLike[str] | IO[bytes] | None = None,
        *,
        hash_value: str | None = None,
        hash_type: str | None = None,
    ) -> bytes:
        """Download a bill and return its bytes (gunzipped), also writing them to ``dest`` when given.

        ``bill_info_or_url`` is what :meth:`trade_bill` / :meth:`fund_flow_bill`
        returned, or a bare ``download_url`` (then pass ``hash_value`` to have
        it checked; without one nothing is checked). ``hash_type`` defaults to
        the bill info's, else ``SHA1``. The URL must be on the client's API
        host. A gzip answer (``tar_type="GZIP"``) is recognised by its magic
        bytes and decompressed. A digest mismatch raises
        :class:`~wxkit.errors.SignatureError` before anything is written.
        """
        url, hash_value, hash_type = _resolve(bill_info_or_url, hash_value, hash_type)
        path, params = self._target(url)
        limit = self._client.http.max_download_size
        # The file answer is not signed by WeChat (documented): integrity comes from the hash.
        _, raw, _ = self._client.send("GET", path, params=params, verify=False, max_size=limit)
        data = raw
        if raw[:2] == b"\x1f\x8b":
            data = b"".join(_gunzip([raw], limit))
        if hash_value is not None:
            _check_hash(hash_type or "SHA1", str(hash_value), data, raw)
        if dest is not None:
            if isinstance(dest, (str, os.PathLike)):
                with open(dest, "wb") as fh:
                    fh.write(data)
            else:
                dest.write(data)
        return data

    def save(
        self,
        bill_info_or_url: Mapping[str, Any] | str,
        dest: str | os.PathLike[str] | IO[bytes],
        *,
        hash_value: str | None = None,
        hash_type: str | None = None,
    ) -> int:
        """Stream a bill to ``dest`` chunk by chunk (gunzipped, hash checked); return the bytes written.

        The arguments are :meth:`download`'s; nothing is held in memory whole
        and no size bound applies (the call's deadline does). The bill goes to
        a temporary file first: a path appears (atomically, by rename) and a
        file object is written to only once the hash matched; a mismatch
        raises :class:`~wxkit.errors.SignatureError` with nothing written.
        """
        url, hash_value, hash_type = _resolve(bill_info_or_url, hash_value, hash_type)
        name = _hash_name(hash_type or "SHA1") if hash_value is not None else "sha1"
        path, params = self._target(url)
        _, chunks = self._client.stream("GET", path, params=params)
        raw_digest, data_digest = hashlib.new(name), hashlib.new(name)
        directory = os.path.dirname(os.path.abspath(dest)) if isinstance(dest, (str, os.PathLike)) else None
        tmp = tempfile.NamedTemporaryFile(dir=directory, prefix=".wxkit-bill-", delete=False)  # noqa: SIM115
        size = 0
        try:
            with tmp:

                def hashed(source: Iterable[bytes]) -> Iterable[bytes]:
                    for chunk in source:
                        raw_digest.update(chunk)
                        yield chunk

                for piece in _maybe_gunzip(hashed(chunks), None):
                    data_digest.update(piece)
                    tmp.write(piece)
                    size += len(piece)
            if hash_value is not None:
                _check_digests(hash_type or "SHA1", str(hash_value), [data_digest, raw_digest])
            if isinstance(dest, (str, os.PathLike)):
                os.replace(tmp.name, dest)
            else:
                with open(tmp.name, "rb") as done:
                    shutil.copyfileobj(done, dest)
        finally:
            with contextlib.suppress(OSError):
                os.remove(tmp.name)
        return size

    def _target(self, url: str) -> tuple[str, dict[str, str]]:
        parts = urlsplit(url)
        base = urlsplit(self._client.http.base_url)
        if parts.scheme or parts.netloc:
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
                raise PayError(
                    "INVALID_DOWNLOAD_URL",
                    f"the download_url is not on the API host {base.scheme}://{base.netloc}",
                )
        elif not url.startswith("/"):
            raise ValueError("download_url must be an absolute URL or a path starting with '/'")
        prefix = base.path.rstrip("/")
        path = parts.path
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _date(value: str | dt.date) -> str:
    return bill_date(value)


def _resolve(
    bill_info_or_url: Mapping[str, Any] | str, hash_value: str | None, hash_type: str | None
) -> tuple[str, str | None, str | None]:
    """``(download_url, hash_value, hash_type)`` from a bill info or a bare URL."""
    if isinstance(bill_info_or_url, Mapping):
        url = bill_info_or_url.get("download_url")
        hash_value = hash_value if hash_value is not None else bill_info_or_url.get("hash_value")
        hash_type = hash_type if hash_type is not None else bill_info_or_url.get("hash_type")
    else:
        url = bill_info_or_url
    if not isinstance(url, str) or not url:
        raise ValueError("no download_url to download")
    return url, hash_value, hash_type


def _bill_error(message: str) -> WxError:
    return PayError("INVALID_RESPONSE", message, status=200)


def _gunzip(chunks: Iterable[bytes], limit: int | None) -> Iterable[bytes]:
    """Decompress a gzip bill chunk by chunk, at most ``limit`` bytes (a gzip bomb is refused, not inflated)."""
    decoder = BodyDecoder("gzip", limit=limit, what="the bill file", error=_bill_error)
    for chunk in chunks:
        yield from decoder.decode(chunk)
    decoder.finish()


def _maybe_gunzip(chunks: Iterable[bytes], limit: int | None) -> Iterable[bytes]:
    """The bill's bytes: decompressed when they start with gzip's magic bytes, else as they come."""
    stream = iter(chunks)
    head = b""
    for chunk in stream:
        head += chunk
        if len(head) >= 2:
            break
    whole = itertools.chain([head] if head else [], stream)
    yield from _gunzip(whole, limit) if head[:2] == b"\x1f\x8b" else whole


def _hash_name(hash_type: str) -> str:
    name = _HASHES.get(hash_type.upper())
    if name is None:
        raise SignatureError(f"unsupported bill hash_type {hash_type!r}")
    return name


def _check_digests(hash_type: str, expected: str, digests: Iterable[Any]) -> None:
    want = expected.strip().lower().encode("utf-8")
    for digest in digests:
        if hmac.compare_digest(digest.hexdigest().encode("ascii"), want):
            return
    raise SignatureError(f"the downloaded bill does not match its {hash_type.upper()} hash_value")


def _check_hash(hash_type: str, expected: str, data: bytes, raw: bytes) -> None:
    name = _hash_name(hash_type)
    _check_digests(hash_type, expected, [hashlib.new(name, candidate) for candidate in {data, raw}])
