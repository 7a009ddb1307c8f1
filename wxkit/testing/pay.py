"""The emulator's WeChat Pay half: merchants, v3 request authentication and signed answers.

::

    with Emulator() as emu:
        merchant = emu.add_merchant("1900000001", serial_no="MERCHANT_SERIAL",
                                    public_key=merchant_private_key.public_key(),
                                    apiv3_key="0123456789abcdef0123456789abcdef")
        client = PayClient("1900000001", "MERCHANT_SERIAL", merchant_private_key, merchant.apiv3_key,
                           base_url=emu.url)

A merchant's ``mode`` says how the emulator signs: ``"certificate"`` (platform
certificates served by ``GET /v3/certificates``, encrypted with the APIv3
key), ``"public_key"`` (the WeChat Pay public key ``PUB_KEY_ID_...``;
``/v3/certificates`` answers 404) or ``"both"`` (switch-over: certificates are
served, answers are signed with the public key). :meth:`MerchantState.rotate_certificate`
adds a new platform certificate, which then signs every answer;
``merchant.data["forge_serial"]`` forges the ``Wechatpay-Serial`` of answers
(see :func:`signed_headers`).

v3 routes are registered with :func:`v3_route`: it checks the
``Authorization`` header against the merchant's registered public key (401
``SIGN_ERROR`` otherwise), passes the merchant as ``request.merchant``, and
signs the answer. Raise :class:`PayAPIError` to answer WeChat's error body.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from ..pay.v3.crypto import KeyLike, aead_encrypt, load_public_key, rsa_sign
from ..pay.v3.signer import AUTH_SCHEMA, build_message
from .routes import EmulatorRequest, EmulatorResponse, Router
from .x509 import make_certificate

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = [
    "MerchantState",
    "PayAPIError",
    "PlatformCertificate",
    "platform_key",
    "signed_headers",
    "v3_route",
]

_KEYS: dict[int, RSA.RsaKey] = {}
_KEYS_LOCK = threading.Lock()


def platform_key(index: int) -> RSA.RsaKey:
    """The ``index``-th emulator platform key (2048-bit RSA, generated on first use, once per process)."""
    with _KEYS_LOCK:
        key = _KEYS.get(index)
        if key is None:
            key = _KEYS[index] = _new_key()
        return key


def _new_key() -> RSA.RsaKey:
    """A fresh 2048-bit RSA key, made by OpenSSL through ``cryptography`` when installed, else by pycryptodome.

    OpenSSL is about 15x faster than pycryptodome's prime search, which takes most of a second a key.
    """
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        return RSA.generate(2048)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return RSA.import_key(der)


class PayAPIError(Exception):
    """Raised by a v3 route to answer ``status`` with ``{"code": code, "message": message}``."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


@attrs.define
class PlatformCertificate:
    """One emulated platform certificate."""

    serial_no: str
    key: RSA.RsaKey = attrs.field(repr=False)
    pem: str = attrs.field(repr=False)
    effective_time: str
    expire_time: str


@attrs.define
class MerchantState:
    """One merchant inside the emulator. Route modules keep their data in ``data``.

    ``orders`` maps out_trade_no -> order dict; ``notifications`` records every
    notification delivery attempt; ``certificate_downloads`` counts
    ``GET /v3/certificates`` calls.
    """

    mchid: str
    serial_no: str
    public_key: RSA.RsaKey = attrs.field(repr=False)
    apiv3_key: str = attrs.field(repr=False)
    appid: str | None = None
    mode: str = "certificate"
    v2_key: str | None = attrs.field(default=None, repr=False)
    certificates: list[PlatformCertificate] = attrs.field(factory=list)
    public_key_id: str = ""
    pay_public_key: RSA.RsaKey | None = attrs.field(default=None, repr=False)
    orders: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    data: dict[str, Any] = attrs.field(factory=dict)
    notifications: list[dict[str, Any]] = attrs.field(factory=list)
    certificate_downloads: int = 0
    #: The wall time of the emulator that holds the merchant (``Emulator.now``); ``time.time`` until added.
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False)

    def rotate_certificate(self, now: dt.datetime | None = None) -> PlatformCertificate:
        """Issue a new platform certificate (a new key and serial); it signs every later answer."""
        start = now or dt.datetime.fromtimestamp(int(self.clock()), dt.timezone.utc)
        key = platform_key(1 + len(self.certificates))
        serial = secrets.token_hex(20).upper()
        cert = PlatformCertificate(
            serial,
            key,
            make_certificate(key, serial, not_before=start, not_after=start + dt.timedelta(days=5 * 365)),
            start.isoformat(),
            (start + dt.timedelta(days=5 * 365)).isoformat(),
        )
        self.certificates.append(cert)
        return cert

    def signing_key(self) -> tuple[str, RSA.RsaKey]:
        """``(Wechatpay-Serial, key)`` the emulator signs this merchant's answers with."""
        if self.mode in ("public_key", "both"):
            assert self.pay_public_key is not None
            return self.public_key_id, self._pay_private_key
        return self.certificates[-1].serial_no, self.certificates[-1].key

    @property
    def _pay_private_key(self) -> RSA.RsaKey:
        return platform_key(0)

    def pay_public_key_pem(self) -> str:
        """The WeChat Pay public key (PEM) merchants download in public-key mode."""
        return self._pay_private_key.public_key().export_key("PEM").decode("ascii")


def add_merchant(
    emu: Emulator,
    mchid: str,
    *,
    serial_no: str,
    public_key: KeyLike,
    apiv3_key: str,
    appid: str | None = None,
    mode: str = "certificate",
    v2_key: str | None = None,
) -> MerchantState:
    """Register a merchant (see :meth:`wxkit.testing.Emulator.add_merchant`)."""
    if mode not in ("certificate", "public_key", "both"):
        raise ValueError("mode is 'certificate', 'public_key' or 'both'")
    merchant = MerchantState(
        str(mchid),
        serial_no,
        load_public_key(public_key),
        apiv3_key,
        appid,
        mode,
        v2_key,
        public_key_id=f"PUB_KEY_ID_{secrets.token_hex(12).upper()}",
        clock=emu.now,
    )
    merchant.pay_public_key = merchant._pay_private_key.public_key()
    if mode in ("certificate", "both"):
        merchant.rotate_certificate()
    emu.merchants[merchant.mchid] = merchant
    return merchant


def signed_headers(merchant: MerchantState, body: bytes, now: float) -> dict[str, str]:
    """The ``Wechatpay-*`` headers for an answer or notification ``body``.

    Test control: while ``merchant.data["forge_serial"]`` is set, the
    ``Wechatpay-Serial`` is forged (that string, or a fresh random serial for
    ``True``), as an attacker would send it; the signature is still made with
    the real key, so only the serial is wrong.
    """
    serial, key = merchant.signing_key()
    forged = merchant.data.get("forge_serial")
    if forged:
        serial = forged if isinstance(forged, str) else secrets.token_hex(20).upper()
    timestamp = str(int(now))
    nonce = secrets.token_hex(16).upper()
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": rsa_sign(key, build_message(timestamp, nonce, body)),
        "Wechatpay-Signature-Type": AUTH_SCHEMA,
        "Request-ID": secrets.token_hex(16),
    }


_AUTH = re.compile(r'(\w+)="([^"]*)"')


def _authenticate(emu: Emulator, req: EmulatorRequest) -> MerchantState:
    auth = req.headers.get("authorization", "")
    if not auth.startswith(AUTH_SCHEMA + " "):
        raise PayAPIError(401, "SIGN_ERROR", "Authorization 头缺失或格式错误")
    fields = dict(_AUTH.findall(auth[len(AUTH_SCHEMA) + 1 :]))
    merchant = emu.merchants.get(fields.get("mchid", ""))
    if merchant is None:
        raise PayAPIError(401, "SIGN_ERROR", "商户号不存在")
    if fields.get("serial_no") != merchant.serial_no:
        raise PayAPIError(401, "SIGN_ERROR", "证书序列号不匹配")
    try:
        timestamp = int(fields.get("timestamp", ""))
    except ValueError:
        raise PayAPIError(401, "SIGN_ERROR", "timestamp 格式错误") from None
    if abs(emu.now() - timestamp) > 300:
        raise PayAPIError(401, "SIGN_ERROR", "请求已过期")
    message = build_message(req.method, req.target, str(timestamp), fields.get("nonce_str", ""), req.body)
    try:
        signature = base64.b64decode(fields.get("signature", ""), validate=True)
        pkcs1_15.new(merchant.public_key).verify(SHA256.new(message), signature)
    except (ValueError, TypeError, binascii.Error):
        raise PayAPIError(401, "SIGN_ERROR", "签名错误") from None
    return merchant


def _answer(emu: Emulator, merchant: MerchantState | None, status: int, payload: Any) -> EmulatorResponse:
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(merchant, body, emu.now()) if merchant is not None else {}
    return EmulatorResponse(status, body, "application/json; charset=utf-8", headers)


V3Handler = Callable[["Emulator", EmulatorRequest], Any]


def v3_route(router: Router, method: str, path: str) -> Callable[[V3Handler], V3Handler]:
    """Register a v3 route: authenticate, run the handler, sign the answer.

    The handler returns a dict (200), ``None`` (204 No Content), a
    ``(status, dict | None)`` tuple, or an :class:`EmulatorResponse` (sent as
    is, e.g. a bill file); it raises :class:`PayAPIError` for WeChat's errors.
    """

    def register(handler: V3Handler) -> V3Handler:
        def wrapped(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
            merchant: MerchantState | None = None
            try:
                merchant = _authenticate(emu, req)
                req.merchant = merchant
                if req.method in ("POST", "PUT", "PATCH") and req.body:
                    try:
                        json.loads(req.body)
                    except ValueError:
                        raise PayAPIError(400, "PARAM_ERROR", "请求体不是合法的 JSON") from None
                result = handler(emu, req)
            except PayAPIError as exc:
                error: dict[str, Any] = {"code": exc.code, "message": exc.message}
                if exc.detail is not None:
                    error["detail"] = exc.detail
                return _answer(emu, merchant, exc.status, error)
            if isinstance(result, EmulatorResponse):
                return result
            if result is None:
                return _answer(emu, merchant, 204, None)
            if isinstance(result, tuple):
                return _answer(emu, merchant, result[0], result[1])
            return _answer(emu, merchant, 200, result)

        router.route(method, path, auth=False)(wrapped)
        return handler

    return register


def encrypt_resource(merchant: MerchantState, plaintext: str, associated_data: str) -> dict[str, str]:
    """An ``encrypt_certificate`` / notification ``resource`` object for ``plaintext``."""
    nonce = secrets.token_hex(6)
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "nonce": nonce,
        "associated_data": associated_data,
        "ciphertext": aead_encrypt(merchant.apiv3_key, nonce, associated_data, plaintext),
    }
