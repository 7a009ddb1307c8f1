"""WeChat Pay v2, the XML API: signatures, the merchant client, notifications.

Signatures (importable in scripts on their own): the string to sign is
``k1=v1&k2=v2...&key=API_KEY`` over the parameters sorted by name, skipping
empty values and ``sign`` itself; the signature is the upper-case hex MD5 of
it, or its HMAC-SHA256 keyed with the API key (:func:`sign`, :func:`verify`,
:func:`string_to_sign`).

:class:`PayClientV2` sends signed XML requests and verifies the ``sign`` of
every answer before returning it as a ``dict``; ``return_code`` /
``result_code`` failures are :class:`~wxkit.errors.PayError`.

Notifications: :func:`parse_payment_notification` (signed, MD5 or
HMAC-SHA256), :func:`parse_refund_notification` (not signed; ``req_info``
is decrypted by :func:`decrypt_req_info`), and the XML answers WeChat expects
(:func:`success_response`, :func:`fail_response`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..bounds import DEFAULT_MAX_BILL_SIZE, BodyDecoder
from ..errors import AmountError, ConfigError, DecryptError, ParseError, PayError, SignatureError
from ..xmlcodec import parse_xml, render_xml
from .amount import check_fen
from .dates import china_date

if TYPE_CHECKING:
    import requests

    from ..core.http import HTTPClient, Timeout

__all__ = [
    "DEFAULT_BASE_URL",
    "PayClientV2",
    "SANDBOX_PREFIX",
    "SIGN_TYPES",
    "decrypt_req_info",
    "encrypt_req_info",
    "fail_response",
    "parse_payment_notification",
    "parse_refund_notification",
    "sign",
    "string_to_sign",
    "success_response",
    "verify",
]

#: The sign types WeChat Pay v2 accepts.
SIGN_TYPES = ("MD5", "HMAC-SHA256")
#: WeChat Pay's API host.
DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
#: The path prefix of WeChat Pay's simulation system (仿真测试系统).
SANDBOX_PREFIX = "/sandboxnew"


# -- signatures ----------------------------------------------------------------------------------
def string_to_sign(params: Mapping[str, Any], key: str) -> str:
    """Return the exact string WeChat Pay v2 signs for ``params``."""
    pairs = [f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v is not None and v != ""]
    return "&".join(pairs) + f"&key={key}"


def sign(params: Mapping[str, Any], key: str, sign_type: str = "MD5") -> str:
    """Sign ``params`` with the merchant API ``key``; ``sign_type`` is ``MD5`` or ``HMAC-SHA256``."""
    data = string_to_sign(params, key).encode("utf-8")
    if sign_type == "MD5":
        return hashlib.md5(data).hexdigest().upper()  # noqa: S324 - WeChat Pay v2's documented algorithm
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown sign_type {sign_type!r}; expected one of {SIGN_TYPES}")


def verify(params: Mapping[str, Any], key: str, sign_type: str | None = None) -> bool:
    """Check ``params["sign"]`` in constant time.

    ``sign_type`` defaults to the ``sign_type`` parameter, else MD5.
    """
    given = params.get("sign")
    if not isinstance(given, str) or not given:
        return False
    chosen = sign_type or str(params.get("sign_type") or "MD5")
    if chosen not in SIGN_TYPES:
        return False
    # Compare bytes: compare_digest refuses non-ASCII str (a forged sign must give False, not TypeError).
    return hmac.compare_digest(sign(params, key, chosen).encode(), given.upper().encode("utf-8", "replace"))


def _nonce() -> str:
    return secrets.token_hex(16)


# -- notifications -------------------------------------------------------------------------------
def _notification_sign_type(data: Mapping[str, Any], forced: str | None) -> str:
    """The sign type to verify a payment notification with.

    A caller-forced type wins; else the declared ``sign_type`` field; else the
    length of the sign: WeChat leaves ``sign_type`` out of notifications for
    orders placed with HMAC-SHA256, and a 64-hex sign can only be HMAC-SHA256
    (both algorithms need the API key, so this choice gives a forger nothing).
    """
    if forced is not None:
        if forced not in SIGN_TYPES:
            raise ValueError(f"unknown sign_type {forced!r}; expected one of {SIGN_TYPES}")
        return forced
    declared = data.get("sign_type")
    if declared:
        if declared not in SIGN_TYPES:
            raise SignatureError("the notification declares an unknown sign_type")
        return str(declared)
    given = data.get("sign")
    return "HMAC-SHA256" if isinstance(given, str) and len(given) == 64 else "MD5"


def _require_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise ConfigError("the WeChat Pay v2 API key is required")
    return key


def parse_payment_notification(body: str | bytes, key: str, *, sign_type: str | None = None) -> dict[str, Any]:
    """Parse and verify a v2 payment notification (支付结果通知); return its fields.

    The sign is checked with ``sign_type`` when given, else with the declared
    ``sign_type`` field, else by the sign's length (MD5: 32 hex, HMAC-SHA256:
    64 hex) — WeChat omits ``sign_type`` from notifications of HMAC-SHA256
    orders. Raises :class:`~wxkit.errors.ParseError` for a body that is not
    safe XML, :class:`~wxkit.errors.SignatureError` for a missing or wrong
    sign, :class:`~wxkit.errors.PayError` when ``return_code`` is not
    ``SUCCESS``. A verified notification with ``result_code`` ``FAIL`` is
    returned as is: check ``result_code`` before shipping anything.
    """
    key = _require_key(key)
    data = parse_xml(body)
    if data.get("return_code") != "SUCCESS":
        raise PayError(str(data.get("return_code") or "FAIL"), str(data.get("return_msg") or ""))
    chosen = _notification_sign_type(data, sign_type)
    if not verify(data, key, chosen):
        raise SignatureError("the payment notification's sign is missing or wrong")
    return data


def _aes_key(key: str) -> bytes:
    # md5(API key) as 32 lower-case hex characters, used as a 32-byte AES-256 key.
    return hashlib.md5(key.encode("utf-8")).hexdigest().encode("ascii")  # noqa: S324 - documented key derivation


def decrypt_req_info(req_info: str, key: str) -> dict[str, Any]:
    """Decrypt a refund notification's ``req_info`` (base64, AES-256-ECB, PKCS#7) into a dict.

    The AES key is ``md5(API key)`` as 32 lower-case hex characters; the
    plaintext is an XML document (``<root>...</root>``). Every failure (bad
    base64, length, padding, UTF-8 or XML) is a :class:`~wxkit.errors.DecryptError`.
    """
    from Crypto.Cipher import AES

    key = _require_key(key)
    if not isinstance(req_info, str):
        raise DecryptError("req_info must be a base64 string")
    try:
        raw = base64.b64decode(req_info.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptError("req_info is not valid base64") from None
    if not raw or len(raw) % AES.block_size:
        raise DecryptError("req_info has an invalid ciphertext length")
    plain = AES.new(_aes_key(key), AES.MODE_ECB).decrypt(raw)
    pad = plain[-1]
    if not 1 <= pad <= AES.block_size or plain[-pad:] != bytes([pad]) * pad:
        raise DecryptError("req_info has invalid padding (wrong API key?)")
    text = plain[:-pad]
    try:
        text.decode("utf-8")
        return parse_xml(text, root="xml" if text.lstrip().startswith(b"<xml>") else "root")
    except (UnicodeDecodeError, ParseError):
        raise DecryptError("req_info does not decrypt to an XML document") from None


def encrypt_req_info(fields: Mapping[str, Any], key: str) -> str:
    """Encrypt ``fields`` as WeChat encrypts ``req_info`` (the inverse of :func:`decrypt_req_info`; for tests)."""
    from Crypto.Cipher import AES

    data = render_xml(fields, root="root").encode("utf-8")
    pad = AES.block_size - len(data) % AES.block_size
    cipher = AES.new(_aes_key(_require_key(key)), AES.MODE_ECB)
    return base64.b64encode(cipher.encrypt(data + bytes([pad]) * pad)).decode("ascii")


def parse_refund_notification(body: str | bytes, key: str) -> dict[str, Any]:
    """Parse a v2 refund notification (退款结果通知) and decrypt its ``req_info``.

    Refund notifications are not signed: the decrypted fields (``out_refund_no``,
    ``refund_status``, ``refund_fee`` ...) are what authenticates them. The
    result holds the envelope's plain fields (``appid``, ``mch_id``, ...;
    unauthenticated) overlaid with the decrypted ones. Raises
    :class:`~wxkit.errors.ParseError` for a body that is not safe XML,
    :class:`~wxkit.errors.PayError` when ``return_code`` is not ``SUCCESS``,
    :class:`~wxkit.errors.DecryptError` when ``req_info`` is missing or does
    not decrypt.
    """
    key = _require_key(key)
    data = parse_xml(body)
    if data.get("return_code") != "SUCCESS":
        raise PayError(str(data.get("return_code") or "FAIL"), str(data.get("return_msg") or ""))
    req_info = data.get("req_info")
    if not isinstance(req_info, str) or not req_info:
        raise DecryptError("the refund notification carries no req_info")
    envelope = {k: v for k, v in data.items() if k != "req_info"}
    return {**envelope, **decrypt_req_info(req_info, key)}


def success_response() -> str:
    """The XML answer telling WeChat a notification was handled (it stops retrying)."""
    return render_xml({"return_code": "SUCCESS", "return_msg": "OK"})


def fail_response(msg: str = "FAIL") -> str:
    """The XML answer telling WeChat a notification failed (WeChat retries it later)."""
    return render_xml({"return_code": "FAIL", "return_msg": msg})


# -- the client ----------------------------------------------------------------------------------
_BILL_DATE = re.compile(r"^\d{8}\Z")


def _bill_date(value: str | dt.date) -> str:
    if isinstance(value, dt.date):  # an aware datetime counts in China time (wxkit.pay.dates)
        return china_date(value).strftime("%Y%m%d")
    if not isinstance(value, str) or not _BILL_DATE.match(value):
        raise ValueError(f"bill_date must be a date or 'YYYYMMDD', not {value!r}")
    return value


def _json_text(value: str | Mapping[str, Any] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _merge_extra(params: dict[str, Any], extra: Mapping[str, Any] | None) -> None:
    """Add ``extra`` fields; a field a named argument already sets (amounts included) is refused."""
    for key, value in (extra or {}).items():
        if key in params:
            raise ValueError(f"extra={{{key!r}: ...}} would override the {key!r} argument; pass it as the argument")
        params[key] = value


def _one_of(**ids: str | None) -> None:
    if not any(ids.values()):
        raise ValueError(f"give one of {', '.join(ids)}")


PathLike = str | os.PathLike[str]


class PayClientV2:
    """A WeChat Pay v2 (XML API) merchant client.

    ``key`` is the merchant's API key (API密钥); ``sign_type`` (``MD5`` or
    ``HMAC-SHA256``) signs requests and, unless an answer declares its own,
    verifies answers. ``cert`` / ``cert_key`` are the PEM files of the
    merchant API certificate (``apiclient_cert.pem`` / ``apiclient_key.pem``;
    ``cert`` alone when one file holds both), sent as a TLS client
    certificate with :meth:`refund`, :meth:`reverse` and
    :meth:`download_fund_flow` only. ``verify`` is how the server's
    certificate is checked, as ``requests`` takes it (``True``: the system's
    CAs; a CA bundle path, e.g. a test CA), for both sessions; leave it
    ``None`` with your own ``session`` (its ``verify`` is used). ``sandbox=True`` talks to WeChat's
    simulation system: paths get the ``/sandboxnew`` prefix and requests are
    signed with the sandbox key, fetched once by :meth:`sandbox_sign_key`.

    Queries (order / refund queries, bill downloads) are retried on timeouts,
    dropped connections and HTTP 5xx; calls with an effect are re-sent only
    when nothing reached WeChat (a failed connect). Every error is a
    :class:`~wxkit.errors.WxError`: ``return_code`` ``FAIL`` is
    ``PayError(return_code, return_msg)``, ``result_code`` ``FAIL`` is
    ``PayError(err_code, err_code_des)``, a missing or wrong answer ``sign`` a
    :class:`~wxkit.errors.SignatureError`, network failures a
    :class:`~wxkit.errors.TransportError`.

    ``deadline`` bounds one call as a whole, re-sends and body included
    (default: the worst case of ``timeout`` and ``max_retries``);
    ``max_body_size`` bounds an XML answer and ``max_bill_size`` a bill
    (decompressed), in bytes; more is a :class:`~wxkit.errors.TransportError`
    (a gzip bill: :class:`~wxkit.errors.PayError` ``INVALID_RESPONSE``).
    """

    def __init__(
        self,
        appid: str,
        mch_id: str,
        key: str,
        *,
        sign_type: str = "MD5",
        cert: PathLike | None = None,
        cert_key: PathLike | None = None,
        verify: bool | PathLike | None = None,
        sandbox: bool = False,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout | None = None,
        session: requests.Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.2,
        clock: Callable[[], float] = time.time,
        deadline: float | None = None,
        max_body_size: int | None = None,
        max_bill_size: int = DEFAULT_MAX_BILL_SIZE,
    ) -> None:
        from ..core.http import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, HTTPClient

        if not isinstance(appid, str) or not appid or not isinstance(mch_id, str) or not mch_id:
            raise ConfigError("appid and mch_id are required")
        if sign_type not in SIGN_TYPES:
            raise ConfigError(f"sign_type must be one of {SIGN_TYPES}, not {sign_type!r}")
        self.appid = appid
        self.mch_id = mch_id
        self._api_key = _require_key(key)
        self.sign_type = sign_type
        self.sandbox = sandbox
        self._clock = clock
        self._sandbox_key: str | None = None
        self._lock = threading.Lock()
        if verify is not None and session is not None:
            raise ConfigError("pass verify= or session= (with its own verify), not both")
        wait = DEFAULT_TIMEOUT if timeout is None else timeout
        limits: dict[str, Any] = {
            "deadline": deadline,
            "max_body_size": DEFAULT_MAX_BODY_SIZE if max_body_size is None else max_body_size,
            "max_download_size": max_bill_size,
        }
        self.http: HTTPClient = HTTPClient(
            base_url, session=session, timeout=wait, max_retries=max_retries, backoff=backoff, **limits
        )
        if verify is not None:
            self.http.session.verify = verify if isinstance(verify, bool) else os.fspath(verify)
        self._cert_http: HTTPClient | None = None
        if cert_key is not None and cert is None:
            raise ConfigError("cert_key needs cert (the client certificate)")
        if cert is not None:
            for path in (cert, cert_key):
                if path is not None and not os.path.isfile(path):
                    raise ConfigError(f"client certificate file not found: {os.fspath(path)!r}")
            self._cert_http = HTTPClient(
                base_url,
                session=self._cert_session(self.http.session, cert, cert_key),
                timeout=wait,
                max_retries=max_retries,
                backoff=backoff,
                **limits,
            )

    @staticmethod
    def _cert_session(base: requests.Session, cert: PathLike, cert_key: PathLike | None) -> requests.Session:
        import requests

        from ..core.http import DeadlineAdapter

        session = requests.Session()
        adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=8, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.proxies = dict(base.proxies)
        session.verify = base.verify
        session.trust_env = base.trust_env
        session.cert = (os.fspath(cert), os.fspath(cert_key)) if cert_key is not None else os.fspath(cert)
        return session

    def __repr__(self) -> str:
        return f"PayClientV2(appid={self.appid!r}, mch_id={self.mch_id!r}, sandbox={self.sandbox})"  # never keys

    # -- plumbing --------------------------------------------------------------------------------
    def _key(self) -> str:
        """The key requests are signed with: the API key, or the sandbox key in sandbox mode."""
        if not self.sandbox:
            return self._api_key
        with self._lock:
            if self._sandbox_key is None:
                self._sandbox_key = self.sandbox_sign_key()
            return self._sandbox_key

    def _path(self, path: str) -> str:
        return SANDBOX_PREFIX + path if self.sandbox else path

    def _post(
        self, path: str, fields: Mapping[str, Any], *, cert: bool, idempotent: bool, max_size: int | None = None
    ) -> tuple[bytes, int, str]:
        http = self.http
        if cert:
            if self._cert_http is None:
                raise ConfigError(f"{path} needs the merchant API certificate: pass cert= (and cert_key=)")
            http = self._cert_http
        body = render_xml(fields).encode("utf-8")
        headers = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml", "User-Agent": "wxkit"}
        response = http.send("POST", path, data=body, headers=headers, idempotent=idempotent, max_size=max_size)
        return response.content, response.status_code, http.url(path)

    def _signed(self, params: Mapping[str, Any], key: str, sign_type: str, *, appid: bool = True) -> dict[str, Any]:
        fields: dict[str, Any] = {"appid": self.appid} if appid else {}
        fields["mch_id"] = self.mch_id
        for name, value in params.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise TypeError(f"{name} must be a str or an int, not {type(value).__name__}")
            fields[name] = value
        fields["nonce_str"] = _nonce()
        if sign_type != "MD5":
            fields["sign_type"] = sign_type
        fields["sign"] = sign(fields, key, sign_type)
        return fields

    @staticmethod
    def _parse(content: bytes, status: int, url: str) -> dict[str, Any]:
        try:
            data = parse_xml(content)
        except ParseError:
            raise PayError(
                "INVALID_RESPONSE",
                f"WeChat Pay answered HTTP {status} with a body that is not well-formed XML",
                status=status,
                method="POST",
                url=url,
            ) from None
        return data

    @staticmethod
    def _error(code: Any, message: Any, data: Mapping[str, Any], status: int, url: str) -> PayError:
        detail = {k: v for k, v in data.items() if k != "sign"}
        return PayError(str(code or "FAIL"), str(message or ""), status=status, method="POST", url=url, detail=detail)

    @staticmethod
    def _verify_answer(data: Mapping[str, Any], key: str, sign_type: str) -> None:
        declared = data.get("sign_type")
        chosen = declared if declared in SIGN_TYPES else sign_type
        if not verify(data, key, str(chosen)):
            raise SignatureError("the WeChat Pay v2 answer's sign is missing or wrong")

    def _check(self, data: dict[str, Any], key: str, sign_type: str, status: int, url: str) -> dict[str, Any]:
        """Verify the answer's sign and map ``return_code`` / ``result_code`` failures to :class:`PayError`."""
        if data.get("return_code") != "SUCCESS":
            if data.get("sign"):
                self._verify_answer(data, key, sign_type)
            raise self._error(data.get("return_code"), data.get("return_msg"), data, status, url)
        self._verify_answer(data, key, sign_type)
        if data.get("result_code", "SUCCESS") != "SUCCESS":
            raise self._error(data.get("err_code"), data.get("err_code_des"), data, status, url)
        return data

    def request(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        cert: bool = False,
        idempotent: bool = False,
        sign_type: str | None = None,
    ) -> dict[str, Any]:
        """POST a signed v2 request to ``path`` and return the verified answer.

        ``appid``, ``mch_id``, ``nonce_str``, ``sign_type`` and ``sign`` are
        added (``params`` may override ``appid``; ``None`` values are left
        out); the sandbox prefix is added in sandbox mode. ``cert`` sends the
        client certificate; ``idempotent`` allows re-sending after a timeout.
        The escape hatch for endpoints wxkit has not wrapped.
        """
        chosen = sign_type or self.sign_type
        if chosen not in SIGN_TYPES:
            raise ValueError(f"unknown sign_type {chosen!r}; expected one of {SIGN_TYPES}")
        key = self._key()
        fields = self._signed(params, key, chosen)
        content, status, url = self._post(self._path(path), fields, cert=cert, idempotent=idempotent)
        return self._check(self._parse(content, status, url), key, chosen, status, url)

    # -- orders ----------------------------------------------------------------------------------
    def unified_order(
        self,
        body: str,
        out_trade_no: str,
        total_fee: int,
        spbill_create_ip: str,
        notify_url: str,
        trade_type: str,
        *,
        openid: str | None = None,
        product_id: str | None = None,
        attach: str | None = None,
        time_start: str | None = None,
        time_expire: str | None = None,
        device_info: str | None = None,
        detail: str | Mapping[str, Any] | None = None,
        fee_type: str | None = None,
        goods_tag: str | None = None,
        limit_pay: str | None = None,
        receipt: str | None = None,
        profit_sharing: str | None = None,
        scene_info: str | Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Place an order: ``POST /pay/unifiedorder`` (统一下单); returns ``prepay_id`` (and ``code_url`` for NATIVE).

        ``trade_type`` is ``JSAPI`` (needs ``openid``), ``NATIVE`` (``product_id``),
        ``APP`` or ``MWEB``; ``total_fee`` an int of fen; ``detail`` and
        ``scene_info`` may be dicts (sent as JSON text); ``extra`` adds any
        other documented field (``sub_appid``, ``sub_mch_id`` ...).
        """
        params: dict[str, Any] = {
            "body": body,
            "out_trade_no": out_trade_no,
            "total_fee": check_fen(total_fee, "total_fee"),
            "spbill_create_ip": spbill_create_ip,
            "notify_url": notify_url,
            "trade_type": trade_type,
            "openid": openid,
            "product_id": product_id,
            "attach": attach,
            "time_start": time_start,
            "time_expire": time_expire,
            "device_info": device_info,
            "detail": _json_text(detail),
            "fee_type": fee_type,
            "goods_tag": goods_tag,
            "limit_pay": limit_pay,
            "receipt": receipt,
            "profit_sharing": profit_sharing,
            "scene_info": _json_text(scene_info),
        }
        _merge_extra(params, extra)
        return self.request("/pay/unifiedorder", params)

    def order_query(self, *, transaction_id: str | None = None, out_trade_no: str | None = None) -> dict[str, Any]:
        """Query an order: ``POST /pay/orderquery`` (查询订单); ``trade_state`` says where it stands."""
        _one_of(transaction_id=transaction_id, out_trade_no=out_trade_no)
        params = {"transaction_id": transaction_id, "out_trade_no": out_trade_no}
        return self.request("/pay/orderquery", params, idempotent=True)

    def close_order(self, out_trade_no: str) -> dict[str, Any]:
        """Close an unpaid order: ``POST /pay/closeorder`` (关闭订单)."""
        return self.request("/pay/closeorder", {"out_trade_no": out_trade_no})

    def micropay(
        self,
        body: str,
        out_trade_no: str,
        total_fee: int,
        spbill_create_ip: str,
        auth_code: str,
        *,
        attach: str | None = None,
        device_info: str | None = None,
        detail: str | Mapping[str, Any] | None = None,
        fee_type: str | None = None,
        goods_tag: str | None = None,
        limit_pay: str | None = None,
        time_start: str | None = None,
        time_expire: str | None = None,
        receipt: str | None = None,
        profit_sharing: str | None = None,
        scene_info: str | Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Charge a scanned payment code: ``POST /pay/micropay`` (付款码支付).

        Never re-sent once it may have reached WeChat. A ``PayError`` with
        ``code`` ``USERPAYING`` (the payer is entering a password) or
        ``SYSTEMERROR`` / ``BANKERROR`` leaves the outcome open: poll
        :meth:`order_query`, then :meth:`reverse` if it stays unpaid.
        """
        params: dict[str, Any] = {
            "body": body,
            "out_trade_no": out_trade_no,
            "total_fee": check_fen(total_fee, "total_fee"),
            "spbill_create_ip": spbill_create_ip,
            "auth_code": auth_code,
            "attach": attach,
            "device_info": device_info,
            "detail": _json_text(detail),
            "fee_type": fee_type,
            "goods_tag": goods_tag,
            "limit_pay": limit_pay,
            "time_start": time_start,
            "time_expire": time_expire,
            "receipt": receipt,
            "profit_sharing": profit_sharing,
            "scene_info": _json_text(scene_info),
        }
        _merge_extra(params, extra)
        return self.request("/pay/micropay", params)

    def reverse(self, *, transaction_id: str | None = None, out_trade_no: str | None = None) -> dict[str, Any]:
        """Cancel a payment-code order: ``POST /secapi/pay/reverse`` (撤销订单; client certificate).

        ``recall`` ``Y`` in the answer means: call again.
        """
        _one_of(transaction_id=transaction_id, out_trade_no=out_trade_no)
        params = {"transaction_id": transaction_id, "out_trade_no": out_trade_no}
        return self.request("/secapi/pay/reverse", params, cert=True)

    # -- refunds ---------------------------------------------------------------------------------
    def refund(
        self,
        out_refund_no: str,
        total_fee: int,
        refund_fee: int,
        *,
        transaction_id: str | None = None,
        out_trade_no: str | None = None,
        notify_url: str | None = None,
        refund_desc: str | None = None,
        refund_fee_type: str | None = None,
        refund_account: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Refund (part of) an order: ``POST /secapi/pay/refund`` (申请退款; client certificate).

        ``total_fee`` is the order's amount and ``refund_fee`` this refund's,
        both ints of fen. Re-submit a failed refund with the same
        ``out_refund_no``: WeChat treats it as the same refund.
        """
        total = check_fen(total_fee, "total_fee")
        amount = check_fen(refund_fee, "refund_fee")
        if amount > total:
            raise AmountError(f"refund_fee ({amount}) exceeds total_fee ({total})")
        _one_of(transaction_id=transaction_id, out_trade_no=out_trade_no)
        if self._cert_http is None:
            raise ConfigError("refunds need the merchant API certificate: pass cert= (and cert_key=)")
        params: dict[str, Any] = {
            "transaction_id": transaction_id,
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "total_fee": total,
            "refund_fee": amount,
            "refund_fee_type": refund_fee_type,
            "refund_desc": refund_desc,
            "refund_account": refund_account,
            "notify_url": notify_url,
        }
        _merge_extra(params, extra)
        return self.request("/secapi/pay/refund", params, cert=True)

    def refund_query(
        self,
        *,
        refund_id: str | None = None,
        out_refund_no: str | None = None,
        transaction_id: str | None = None,
        out_trade_no: str | None = None,
        offset: int | None = None,
    ) -> dict[str, Any]:
        """Query refunds: ``POST /pay/refundquery`` (查询退款).

        One of the four ids (WeChat's priority: ``refund_id`` >
        ``out_refund_no`` > ``transaction_id`` > ``out_trade_no``). The answer
        lists refunds as ``refund_status_0``, ``refund_fee_0``, ... up to
        ``refund_count``; ``offset`` pages orders with more than 10 refunds.
        """
        _one_of(
            refund_id=refund_id, out_refund_no=out_refund_no, transaction_id=transaction_id, out_trade_no=out_trade_no
        )
        if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int) or offset < 0):
            raise ValueError("offset must be an int >= 0")
        params = {
            "refund_id": refund_id,
            "out_refund_no": out_refund_no,
            "transaction_id": transaction_id,
            "out_trade_no": out_trade_no,
            "offset": offset,
        }
        return self.request("/pay/refundquery", params, idempotent=True)

    # -- bills -----------------------------------------------------------------------------------
    def download_bill(self, bill_date: str | dt.date, bill_type: str = "ALL", *, tar_type: str | None = None) -> str:
        """Download a day's trade bill: ``POST /pay/downloadbill`` (下载交易账单); return its text.

        ``bill_type``: ``ALL``, ``SUCCESS``, ``REFUND`` or ``RECHARGE_REFUND``.
        With ``tar_type="GZIP"`` WeChat sends it gzip-compressed and it is
        decompressed here. An error answer (XML, e.g. ``No Bill Exist``) is a
        :class:`~wxkit.errors.PayError` with ``code`` ``FAIL`` and WeChat's
        ``error_code`` in ``detail``. Bills are not signed.
        """
        params = {"bill_date": _bill_date(bill_date), "bill_type": bill_type, "tar_type": tar_type}
        return self._download("/pay/downloadbill", params, self.sign_type, cert=False)

    def download_fund_flow(
        self, bill_date: str | dt.date, account_type: str = "Basic", *, tar_type: str | None = None
    ) -> str:
        """Download a day's fund-flow bill: ``POST /pay/downloadfundflow`` (下载资金账单); return its text.

        ``account_type``: ``Basic``, ``Operation`` or ``Fees``. Needs the
        client certificate and is always signed with HMAC-SHA256 (the only
        type WeChat accepts here), whatever the client's ``sign_type``.
        """
        if self._cert_http is None:
            raise ConfigError("fund-flow bills need the merchant API certificate: pass cert= (and cert_key=)")
        params = {"bill_date": _bill_date(bill_date), "account_type": account_type, "tar_type": tar_type}
        return self._download("/pay/downloadfundflow", params, "HMAC-SHA256", cert=True)

    def _download(self, path: str, params: Mapping[str, Any], sign_type: str, *, cert: bool) -> str:
        key = self._key()
        fields = self._signed(params, key, sign_type)
        limit = self.http.max_download_size
        content, status, url = self._post(self._path(path), fields, cert=cert, idempotent=True, max_size=limit)
        if content.lstrip().startswith((b"<xml", b"<?xml")):
            data = self._check(self._parse(content, status, url), key, sign_type, status, url)
            raise self._error("INVALID_RESPONSE", "expected a bill, got an XML answer", data, status, url)
        if content[:2] == b"\x1f\x8b":

            def error(message: str) -> PayError:
                return PayError("INVALID_RESPONSE", message, status=status, method="POST", url=url)

            # Decompressed step by step and bounded: a gzip bomb is refused, never inflated whole.
            decoder = BodyDecoder("gzip", limit=limit, what="the bill", error=error)
            content = b"".join(decoder.decode(content))
            decoder.finish()
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            raise PayError(
                "INVALID_RESPONSE", "the bill is not UTF-8 text", status=status, method="POST", url=url
            ) from None

    # -- sandbox ---------------------------------------------------------------------------------
    def sandbox_sign_key(self) -> str:
        """Fetch the simulation system's signing key: ``POST /sandboxnew/pay/getsignkey`` (获取验签秘钥).

        Signed with the real API key (MD5); a ``sandbox=True`` client calls
        it once and signs every later request with the key it returns.
        """
        fields = self._signed({}, self._api_key, "MD5", appid=False)
        path = SANDBOX_PREFIX + "/pay/getsignkey"
        content, status, url = self._post(path, fields, cert=False, idempotent=True)
        data = self._parse(content, status, url)
        if data.get("return_code") != "SUCCESS" or data.get("sign"):
            self._check(data, self._api_key, "MD5", status, url)
        sandbox_key = data.get("sandbox_signkey")
        if not isinstance(sandbox_key, str) or not sandbox_key:
            raise PayError(
                "INVALID_RESPONSE", "no sandbox_signkey in the answer", status=status, method="POST", url=url
            )
        return sandbox_key

    # -- client-side payment parameters ----------------------------------------------------------
    def jsapi_params(self, prepay_id: str, *, sign_type: str | None = None) -> dict[str, str]:
        """Parameters for ``wx.requestPayment`` / ``WeixinJSBridge`` (JSAPI and mini programs).

        ``paySign`` is the v2 sign over ``appId``, ``timeStamp``, ``nonceStr``,
        ``package`` and ``signType``, with the order's sign type (the
        client's unless given).
        """
        chosen = sign_type or self.sign_type
        params = {
            "appId": self.appid,
            "timeStamp": str(int(self._clock())),
            "nonceStr": _nonce(),
            "package": f"prepay_id={prepay_id}",
            "signType": chosen,
        }
        params["paySign"] = sign(params, self._key(), chosen)
        return params

    def app_params(self, prepay_id: str, *, sign_type: str | None = None) -> dict[str, str]:
        """Parameters for the APP SDK's ``PayReq``: ``appid``, ``partnerid``, ``prepayid``, ``package``, ``sign``..."""
        chosen = sign_type or self.sign_type
        params = {
            "appid": self.appid,
            "partnerid": self.mch_id,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": _nonce(),
            "timestamp": str(int(self._clock())),
        }
        params["sign"] = sign(params, self._key(), chosen)
        return params

    # -- notifications ---------------------------------------------------------------------------
    def parse_payment_notification(self, body: str | bytes, *, sign_type: str | None = None) -> dict[str, Any]:
        """:func:`parse_payment_notification` with this client's key (the sandbox key in sandbox mode)."""
        return parse_payment_notification(body, self._key(), sign_type=sign_type)

    def parse_refund_notification(self, body: str | bytes) -> dict[str, Any]:
        """:func:`parse_refund_notification` with this client's key (the sandbox key in sandbox mode)."""
        return parse_refund_notification(body, self._key())
