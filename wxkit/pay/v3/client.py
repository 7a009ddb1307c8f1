"""The WeChat Pay v3 merchant client: :class:`PayClient`.

Every request is signed (:class:`~wxkit.pay.v3.signer.Signer`, over exactly
the bytes sent) and every answer is verified
(:class:`~wxkit.pay.v3.verifier.Verifier`) before it is returned. Errors are
:class:`~wxkit.errors.PayError` with WeChat's ``code`` and ``message``.
Retries follow the client rules of :mod:`wxkit.core.http`: queries (GET)
are retried, a POST that may have reached WeChat never is; so do the
per-call deadline and the bounds on what is read (``max_body_size`` for
JSON answers, ``max_bill_size`` for bills held in memory). Answers are
parsed with :func:`wxkit.jsoncodec.load_json`.

API groups live in sibling modules and are mounted here (``client.orders``,
``client.combine``, ``client.refunds``, ``client.bills``, ``client.transfers``,
``client.profitsharing``); a group's module is imported on first use, and
``requests`` when a client is made.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ..._lazy import group
from ...bounds import DEFAULT_MAX_BILL_SIZE
from ...core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, Timeout, dump_json
from ...errors import ConfigError, ParseError, PayError, SignatureError
from ...jsoncodec import load_json
from ...storage import MemoryStorage, Storage
from .certificates import DEFAULT_REFRESH_INTERVAL, PlatformCertificates
from .crypto import KeyLike, aead_decrypt, oaep_encrypt
from .signer import Signer
from .verifier import Verifier

if TYPE_CHECKING:
    import requests
    from Crypto.PublicKey import RSA

    from ...core.http import HTTPClient
    from .bills import BillsAPI
    from .combine import CombineAPI
    from .orders import OrdersAPI
    from .profitsharing import ProfitSharingAPI
    from .refunds import RefundsAPI
    from .transfers import TransfersAPI

__all__ = ["DEFAULT_PAY_BASE_URL", "PayClient"]

#: WeChat Pay's API host.
DEFAULT_PAY_BASE_URL = "https://api.mch.weixin.qq.com"


class _Keys:
    """A fixed serial -> key map as a KeySource (bootstrapping the certificates answer)."""

    def __init__(self, keys: Mapping[str, RSA.RsaKey]) -> None:
        self._keys = dict(keys)

    def key_for(self, serial: str) -> RSA.RsaKey | None:
        return self._keys.get(serial)


class PayClient:
    """A WeChat Pay v3 merchant client.

    ``private_key`` is the merchant API certificate's key (PEM text, bytes or a
    file path) and ``serial_no`` that certificate's serial. ``apiv3_key`` must
    be 32 bytes (a :class:`~wxkit.errors.ConfigError` otherwise). ``appid`` is
    the default app for orders and client-side payment parameters.

    Verification (see ``docs/pay-certificates.md``) uses the WeChat Pay public
    key (``public_key`` + ``public_key_id``) and/or platform certificates
    downloaded on demand (:attr:`certificates`, cached in ``storage``); with
    both, each answer's ``Wechatpay-Serial`` picks the key (WeChat's
    switch-over). Certificates are only downloaded when an answer names one,
    so a public-key merchant never downloads; ``use_certificates=False``
    refuses certificate-signed answers outright. Certificates are refreshed
    every ``certificate_refresh_interval`` seconds and, for an unknown serial,
    at most once per ``certificate_min_refresh_interval``; ``monotonic`` is
    the clock of that schedule and ``clock`` the wall clock (both injectable).

    ``deadline`` bounds one call as a whole, re-sends and body included
    (default: the worst case of ``timeout`` and ``max_retries``);
    ``max_body_size`` bounds a JSON answer and ``max_bill_size`` a bill read
    into memory, in decoded bytes; more is a
    :class:`~wxkit.errors.TransportError`.
    """

    # The API groups (one line each): a group's module is imported, and the group made, on first access.
    orders: group[OrdersAPI] = group(".orders", "OrdersAPI")
    combine: group[CombineAPI] = group(".combine", "CombineAPI")
    refunds: group[RefundsAPI] = group(".refunds", "RefundsAPI")
    bills: group[BillsAPI] = group(".bills", "BillsAPI")
    transfers: group[TransfersAPI] = group(".transfers", "TransfersAPI")
    profitsharing: group[ProfitSharingAPI] = group(".profitsharing", "ProfitSharingAPI")

    def __init__(
        self,
        mchid: str,
        serial_no: str,
        private_key: KeyLike,
        apiv3_key: str | bytes,
        *,
        appid: str | None = None,
        public_key: KeyLike | None = None,
        public_key_id: str | None = None,
        storage: Storage | None = None,
        base_url: str = DEFAULT_PAY_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.2,
        use_certificates: bool = True,
        clock: Callable[[], float] = time.time,
        certificate_refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        certificate_min_refresh_interval: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_bill_size: int = DEFAULT_MAX_BILL_SIZE,
    ) -> None:
        if not isinstance(apiv3_key, (str, bytes)):
            raise ConfigError(f"the APIv3 key must be a 32-byte str, not {type(apiv3_key).__name__}")
        key_length = len(apiv3_key.encode("utf-8") if isinstance(apiv3_key, str) else apiv3_key)
        if key_length != 32:
            raise ConfigError(f"the APIv3 key must be 32 bytes, got {key_length}")  # never the key itself
        if (public_key is None) != (not public_key_id):
            raise ConfigError("public_key and public_key_id go together (the id looks like PUB_KEY_ID_...)")
        self.mchid = str(mchid)
        self.appid = appid
        self._apiv3_key = apiv3_key
        self.signer = Signer(self.mchid, serial_no, private_key, clock=clock)
        from ...core.http import HTTPClient  # requests, only when a client is made

        self.http: HTTPClient = HTTPClient(
            base_url,
            session=session,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            deadline=deadline,
            max_body_size=max_body_size,
            max_download_size=max_bill_size,
        )
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self._clock = clock
        self.certificates: PlatformCertificates | None = None
        if use_certificates:
            self.certificates = PlatformCertificates(
                self.mchid,
                apiv3_key,
                self.storage,
                self._fetch_certificates,
                verify_answer=self._verify_certificates_answer,
                refresh_interval=certificate_refresh_interval,
                min_refresh_interval=certificate_min_refresh_interval,
                clock=monotonic,
                wall_clock=clock,
            )
        if public_key is None and self.certificates is None:
            raise ConfigError("give a WeChat Pay public key (public_key + public_key_id) or use certificates")
        self.verifier = Verifier(
            public_key=public_key, public_key_id=public_key_id, certificates=self.certificates, clock=clock
        )
        self._public_key = self.verifier.public_key
        self.public_key_id = self.verifier.public_key_id

    def __repr__(self) -> str:
        return f"PayClient(mchid={self.mchid!r})"  # never keys

    # -- requests ----------------------------------------------------------------------
    @staticmethod
    def canonical_url(path: str, params: Mapping[str, Any] | None = None) -> str:
        """``path?query`` exactly as signed and sent (path and values percent-encoded, order kept)."""
        path = quote(path, safe="/")
        if not params:
            return path
        query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote, safe="")
        return f"{path}?{query}" if query else path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        sensitive_serial: str | None = None,
        verify: bool = True,
    ) -> dict[str, Any]:
        """Send a signed v3 request and return the verified JSON answer (``{}`` for 204).

        ``sensitive_serial`` is sent as ``Wechatpay-Serial`` when the body
        carries fields encrypted with :meth:`encrypt_sensitive`.
        """
        _, body, status = self.send(
            method,
            path,
            params=params,
            json_body=json_body,
            idempotent=idempotent,
            sensitive_serial=sensitive_serial,
            verify=verify,
        )
        if status == 204 or not body:
            return {}
        try:
            data = load_json(body, what="the body", max_size=None)
        except ParseError as exc:
            raise PayError("INVALID_RESPONSE", f"WeChat Pay answered: {exc}", status=status) from None
        if not isinstance(data, dict):
            raise PayError("INVALID_RESPONSE", "WeChat Pay answered JSON that is not an object", status=status)
        return data

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        sensitive_serial: str | None = None,
        verify: bool = True,
        max_size: int | None = None,
    ) -> tuple[dict[str, str], bytes, int]:
        """Send a signed request; return ``(headers, body, status)`` of a verified 2xx answer.

        Non-2xx answers raise :class:`~wxkit.errors.PayError` (verified when signed).
        ``max_size`` bounds the decoded body (default the client's ``max_body_size``).
        """
        method = method.upper()
        target, body, headers = self._prepare(method, path, params, json_body, sensitive_serial)
        response = self.http.send(
            method, target, data=body or None, headers=headers, idempotent=idempotent, max_size=max_size
        )
        answer_headers = dict(response.headers)
        content = response.content
        status = response.status_code
        if 200 <= status < 300:
            if verify:
                self.verifier.verify(answer_headers, content)
            return answer_headers, content, status
        raise self._error(method, path, status, answer_headers, content)

    def stream(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, str], Iterator[bytes]]:
        """Send a signed request; return the 2xx answer's headers and its body, decoded chunk by chunk.

        For files WeChat does not sign (bills): the body is *not* verified and
        not bounded in size, only by the call's deadline; the caller checks
        it (a bill's hash). Non-2xx answers raise
        :class:`~wxkit.errors.PayError` as :meth:`send` does.
        """
        method = method.upper()
        target, body, headers = self._prepare(method, path, params, None, None)
        response = self.http.send(method, target, data=body or None, headers=headers, idempotent=True, stream=True)
        answer_headers = dict(response.headers)
        status = response.status_code
        if not 200 <= status < 300:
            content = self.http.read(response, method=method, url=self.http.url(path))
            raise self._error(method, path, status, answer_headers, content)
        return answer_headers, self.http.iter_body(response, method=method, url=self.http.url(path))

    def _prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        sensitive_serial: str | None,
    ) -> tuple[str, bytes, dict[str, str]]:
        """``(target, body, headers)`` of a signed request."""
        target = self.canonical_url(path, params)
        body = dump_json(json_body) if json_body is not None else b""
        headers = {
            "Authorization": self.signer.authorization(method, target, body),
            "Accept": "application/json",
            "User-Agent": "wxkit",
        }
        if json_body is not None:
            headers["Content-Type"] = "application/json"
        # With a public key, name it: during WeChat's switch-over the answer is then signed with it.
        serial_header = sensitive_serial or self.public_key_id
        if serial_header:
            headers["Wechatpay-Serial"] = serial_header
        return target, body, headers

    def _error(self, method: str, path: str, status: int, headers: dict[str, str], body: bytes) -> PayError:
        try:
            data = load_json(body, what="the error body", max_size=None) if body else {}
        except ParseError:
            data = {}
        code = str(data.get("code", f"HTTP_{status}")) if isinstance(data, dict) else f"HTTP_{status}"
        message = str(data.get("message", "")) if isinstance(data, dict) else ""
        detail = data.get("detail") if isinstance(data, dict) else None
        if status != 404 or path != "/v3/certificates":
            try:
                self.verifier.verify(headers, body)
            except SignatureError:
                message = f"{message} (unverified answer)".strip()
        return PayError(code, message, status=status, method=method, url=self.http.url(path), detail=detail)

    # -- certificates --------------------------------------------------------------------
    def _fetch_certificates(self) -> tuple[dict[str, str], bytes]:
        headers, body, _ = self.send("GET", "/v3/certificates", idempotent=True, verify=False)
        return headers, body

    def _verify_certificates_answer(self, headers: dict[str, str], body: bytes, keys: dict[str, RSA.RsaKey]) -> None:
        # The answer is signed by one of the certificates it carries (or the public key).
        Verifier(
            public_key=self._public_key, public_key_id=self.public_key_id, certificates=_Keys(keys), clock=self._clock
        ).verify(headers, body)

    def decrypt(self, nonce: str, associated_data: str | None, ciphertext: str) -> bytes:
        """Decrypt a resource WeChat encrypted with this merchant's APIv3 key (notifications, certificates).

        Tampering or a wrong key is a :class:`~wxkit.errors.DecryptError`.
        """
        return aead_decrypt(self._apiv3_key, nonce, associated_data, ciphertext)

    def encrypt_sensitive(self, plaintext: str) -> tuple[str, str]:
        """Encrypt a sensitive field (name, ID number...) for WeChat Pay: ``(ciphertext, Wechatpay-Serial)``."""
        if self._public_key is not None and self.public_key_id:
            return oaep_encrypt(self._public_key, plaintext), self.public_key_id
        newest = self.certificates.newest() if self.certificates is not None else None
        if newest is None:
            raise ConfigError("no platform certificate or public key to encrypt sensitive fields with")
        serial, key = newest
        return oaep_encrypt(key, plaintext), serial

    # -- client-side payment parameters ------------------------------------------------
    def _nonce(self) -> str:
        return secrets.token_hex(16).upper()

    def jsapi_params(self, prepay_id: str, *, appid: str | None = None) -> dict[str, str]:
        """Parameters for ``wx.requestPayment`` / ``WeixinJSBridge``.

        ``paySign`` is SHA256withRSA over ``appId, timeStamp, nonceStr, package``.
        """
        app = appid or self.appid
        if not app:
            raise ConfigError("appid is required for JSAPI payment parameters")
        timestamp = str(int(self._clock()))
        nonce = self._nonce()
        package = f"prepay_id={prepay_id}"
        return {
            "appId": app,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": self.signer.sign_fields(app, timestamp, nonce, package),
        }

    def app_params(self, prepay_id: str, *, appid: str | None = None) -> dict[str, str]:
        """Parameters for the APP SDK's ``PayReq`` (sign over appid, timestamp, noncestr, prepayid)."""
        app = appid or self.appid
        if not app:
            raise ConfigError("appid is required for APP payment parameters")
        timestamp = str(int(self._clock()))
        nonce = self._nonce()
        return {
            "appid": app,
            "partnerid": self.mchid,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce,
            "timestamp": timestamp,
            "sign": self.signer.sign_fields(app, timestamp, nonce, prepay_id),
        }
