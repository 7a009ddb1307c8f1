"""WeChat Pay v3 bills (``pay.bills``): trade and fund-flow bills, downloaded with their hash checked.

::

    info = pay.bills.trade_bill("2025-01-01", tar_type="GZIP")   # {"download_url", "hash_type", "hash_value"}
    csv_bytes = pay.bills.download(info)                          # gunzipped, SHA1 checked
    pay.bills.download(pay.bills.fund_flow_bill("2025-01-01"), "fundflow-2025-01-01.csv")

Applying for a bill answers a short-lived ``download_url`` on the API host.
:meth:`BillsAPI.download` requests it with a signed ``Authorization`` like any
v3 call, but the file answer carries no ``Wechatpay-Signature`` (WeChat does
not sign file streams), so its integrity rests on the ``hash_value``: a bill
whose digest does not match is a :class:`~wxkit.errors.SignatureError` and is
neither returned nor written. WeChat documents ``hash_value`` as the digest of
the original bill (after gunzip); the digest of the gzip bytes as sent is
accepted too, since WeChat's SDKs and answers have not always agreed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import os
import re
import zlib
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ...errors import PayError, SignatureError
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
        if isinstance(bill_info_or_url, Mapping):
            url = bill_info_or_url.get("download_url")
            hash_value = hash_value if hash_value is not None else bill_info_or_url.get("hash_value")
            hash_type = hash_type if hash_type is not None else bill_info_or_url.get("hash_type")
        else:
            url = bill_info_or_url
        if not isinstance(url, str) or not url:
            raise ValueError("no download_url to download")
        path, params = self._target(url)
        # The file answer is not signed by WeChat (documented): integrity comes from the hash.
        _, raw, _ = self._client.send("GET", path, params=params, verify=False)
        data = raw
        if raw[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                raise PayError("INVALID_RESPONSE", "the bill file is not valid gzip", status=200) from None
        if hash_value is not None:
            _check_hash(hash_type or "SHA1", str(hash_value), data, raw)
        if dest is not None:
            if isinstance(dest, (str, os.PathLike)):
                with open(dest, "wb") as fh:
                    fh.write(data)
            else:
                dest.write(data)
        return data

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


def _check_hash(hash_type: str, expected: str, data: bytes, raw: bytes) -> None:
    name = _HASHES.get(hash_type.upper())
    if name is None:
        raise SignatureError(f"unsupported bill hash_type {hash_type!r}")
    want = expected.strip().lower().encode("utf-8")
    for candidate in {data, raw}:
        if hmac.compare_digest(hashlib.new(name, candidate).hexdigest().encode("ascii"), want):
            return
    raise SignatureError(f"the downloaded bill does not match its {hash_type.upper()} hash_value")
