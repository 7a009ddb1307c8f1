"""The emulator's WeChat Pay notification deliveries: complete an order or refund, POST the notification.

::

    prepay_id = pay.orders.jsapi("Coffee", "order-1", 1200, openid, notify_url=server_url)
    deliver_payment(emu, merchant, "order-1", times=3)            # -> [204, 204, 204]
    deliver_payment(emu, merchant, "order-2", tamper="signature")  # -> [401]

:func:`deliver_payment` / :func:`deliver_refund` (v3) complete the order or
refund in the emulator (the first time; an order already completed is just
notified again), then POST the signed, encrypted notification to its
``notify_url`` ``times`` times — the same notification (same ``id`` and
resource), freshly signed for each delivery, as WeChat does when it retries.
:func:`deliver_payment_v2` / :func:`deliver_refund_v2` do the same for v2
(signed XML; a refund's ``req_info`` encrypted with the API key). They
return the HTTP statuses (``0`` when the connection failed) and record every
delivery in ``merchant.notifications``.

``tamper`` sends a forged or damaged notification instead (each is
refused by a correct receiver):

* v3 (:data:`V3_TAMPERS`): ``"signature"`` (a signature that does not
  match), ``"timestamp"`` (signed 6 minutes ago), ``"serial"`` (signed, but
  naming an unknown ``Wechatpay-Serial``), ``"ciphertext"`` / ``"tag"`` (a
  flipped bit in the encrypted resource or its GCM tag), ``"associated_data"``
  (changed after encryption), ``"apiv3_key"`` (encrypted with another key).
  The last four are correctly signed, so they exercise decryption.
* v2 payment (:data:`V2_PAYMENT_TAMPERS`): ``"sign"`` (a wrong sign),
  ``"sign_type"`` (signed with HMAC-SHA256 but declared MD5).
* v2 refund (:data:`V2_REFUND_TAMPERS`): ``"req_info"`` (damaged
  ciphertext), ``"key"`` (encrypted with another API key).

Deliveries are stamped with the emulator's clock (:meth:`Emulator.now`).
The building blocks :func:`v3_notification` and :func:`v3_headers` are
public for tests that drive a handler directly.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad

from ..pay import v2
from ..pay.v3.crypto import aead_encrypt
from ..xmlcodec import render_xml
from .pay import signed_headers

if TYPE_CHECKING:
    from .emulator import Emulator
    from .pay import MerchantState

__all__ = [
    "V2_PAYMENT_TAMPERS",
    "V2_REFUND_TAMPERS",
    "V3_TAMPERS",
    "deliver_payment",
    "deliver_payment_v2",
    "deliver_refund",
    "deliver_refund_v2",
    "post",
    "v2_refund_notification",
    "v3_headers",
    "v3_notification",
]

#: ``tamper`` values for v3 deliveries.
V3_TAMPERS = ("signature", "timestamp", "serial", "ciphertext", "tag", "associated_data", "apiv3_key")
#: ``tamper`` values for v2 payment deliveries.
V2_PAYMENT_TAMPERS = ("sign", "sign_type")
#: ``tamper`` values for v2 refund deliveries.
V2_REFUND_TAMPERS = ("req_info", "key")

_SUMMARIES = {
    "TRANSACTION.SUCCESS": "支付成功",
    "REFUND.SUCCESS": "退款成功",
    "REFUND.ABNORMAL": "退款异常",
    "REFUND.CLOSED": "退款关闭",
}
_BEIJING = dt.timezone(dt.timedelta(hours=8))
_STALE = 360  # seconds: "timestamp" tampering signs 6 minutes in the past


def _check_tamper(tamper: str | None, allowed: tuple[str, ...]) -> None:
    if tamper is not None and tamper not in allowed:
        raise ValueError(f"tamper must be one of {allowed}, got {tamper!r}")


def _flip(b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def _other_key(key: str) -> str:
    """A different key of the same length (for "encrypted with a wrong key")."""
    return key[::-1] if key[::-1] != key else ("0" if key[:1] != "0" else "1") + key[1:]


def rfc3339(timestamp: float) -> str:
    """``timestamp`` as WeChat writes times: ``2025-05-20T13:29:35+08:00``."""
    return dt.datetime.fromtimestamp(int(timestamp), _BEIJING).isoformat()


def v3_notification(
    merchant: MerchantState,
    event_type: str,
    resource: Mapping[str, Any],
    *,
    now: float,
    tamper: str | None = None,
    notification_id: str | None = None,
) -> bytes:
    """The JSON body of a v3 notification carrying ``resource`` encrypted with the merchant's APIv3 key."""
    _check_tamper(tamper, V3_TAMPERS)
    original_type = "refund" if event_type.startswith("REFUND.") else "transaction"
    associated_data = original_type
    nonce = secrets.token_hex(6)
    key = _other_key(merchant.apiv3_key) if tamper == "apiv3_key" else merchant.apiv3_key
    plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    ciphertext = aead_encrypt(key, nonce, associated_data, plaintext)
    if tamper == "ciphertext":
        ciphertext = _flip(ciphertext, 0)
    elif tamper == "tag":
        ciphertext = _flip(ciphertext, -1)
    elif tamper == "associated_data":
        associated_data = "tampered"
    body = {
        "id": notification_id or str(uuid.uuid4()),
        "create_time": rfc3339(now),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": _SUMMARIES.get(event_type, event_type),
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": associated_data,
            "nonce": nonce,
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def v3_headers(merchant: MerchantState, body: bytes, *, now: float, tamper: str | None = None) -> dict[str, str]:
    """The ``Wechatpay-*`` headers WeChat sends with a v3 notification ``body`` (optionally tampered)."""
    _check_tamper(tamper, V3_TAMPERS)
    headers = signed_headers(merchant, body, now - _STALE if tamper == "timestamp" else now)
    if tamper == "signature":
        headers["Wechatpay-Signature"] = _flip(headers["Wechatpay-Signature"], 7)
    elif tamper == "serial":
        headers["Wechatpay-Serial"] = secrets.token_hex(20).upper()
    headers["Content-Type"] = "application/json"
    return headers


def v2_refund_notification(
    merchant: MerchantState, info: Mapping[str, Any], *, appid: str = "", tamper: str | None = None
) -> str:
    """The XML of a v2 refund notification, ``info`` encrypted into ``req_info`` (AES-256-ECB, md5(key))."""
    _check_tamper(tamper, V2_REFUND_TAMPERS)
    assert merchant.v2_key is not None, "the merchant has no v2 key"
    key = _other_key(merchant.v2_key) if tamper == "key" else merchant.v2_key
    aes_key = hashlib.md5(key.encode("utf-8")).hexdigest().encode("ascii")  # noqa: S324 - WeChat's scheme
    inner = render_xml({k: str(v) for k, v in info.items()}, root="root").encode("utf-8")
    encrypted = AES.new(aes_key, AES.MODE_ECB).encrypt(pad(inner, 16))
    if tamper == "req_info":
        encrypted = encrypted[:-16] + bytes(16)
    return render_xml(
        {
            "return_code": "SUCCESS",
            "appid": appid or merchant.appid or "",
            "mch_id": merchant.mchid,
            "nonce_str": secrets.token_hex(16),
            "req_info": base64.b64encode(encrypted).decode("ascii"),
        }
    )


def _sign_v2(merchant: MerchantState, params: Mapping[str, Any], tamper: str | None) -> dict[str, str]:
    """Sign a v2 payment notification's params with the merchant key (and tamper if asked)."""
    _check_tamper(tamper, V2_PAYMENT_TAMPERS)
    assert merchant.v2_key is not None, "the merchant has no v2 key"
    data = {k: str(v) for k, v in params.items() if k != "sign" and v is not None}
    sign_type = data.get("sign_type") or "MD5"
    if tamper == "sign_type":
        data["sign_type"] = "MD5"
        sign_type = "HMAC-SHA256"
    data["sign"] = v2.sign(data, merchant.v2_key, sign_type)
    if tamper == "sign":
        data["sign"] = ("0" if data["sign"][:1] != "0" else "1") + data["sign"][1:]
    return data


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float = 10.0) -> tuple[int, bytes]:
    """POST ``body`` to ``url``; ``(status, answer body)``, status ``0`` when the connection failed."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def _record(emu: Emulator, merchant: MerchantState, entry: dict[str, Any], status: int, answer: bytes) -> None:
    with emu.lock:
        merchant.notifications.append({**entry, "status": status, "answer": answer[:256], "at": emu.now()})


def _deliver_v3(
    emu: Emulator,
    merchant: MerchantState,
    url: str,
    event_type: str,
    resource: Mapping[str, Any],
    entry: dict[str, Any],
    times: int,
    tamper: str | None,
) -> list[int]:
    _check_tamper(tamper, V3_TAMPERS)
    body = v3_notification(merchant, event_type, resource, now=emu.now(), tamper=tamper)
    entry = {**entry, "version": "v3", "event_type": event_type, "url": url, "tamper": tamper}
    entry["id"] = json.loads(body)["id"]
    statuses = []
    for _ in range(times):
        status, answer = post(url, body, v3_headers(merchant, body, now=emu.now(), tamper=tamper))
        _record(emu, merchant, entry, status, answer)
        statuses.append(status)
    return statuses


def _deliver_v2(
    emu: Emulator, merchant: MerchantState, url: str, xml: str, entry: dict[str, Any], times: int
) -> list[int]:
    entry = {**entry, "version": "v2", "url": url}
    statuses = []
    for _ in range(times):
        status, answer = post(url, xml.encode("utf-8"), {"Content-Type": "text/xml; charset=utf-8"})
        _record(emu, merchant, entry, status, answer)
        statuses.append(status)
    return statuses
