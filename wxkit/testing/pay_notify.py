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
import json
import secrets
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..pay import v2
from ..pay.v3.crypto import aead_encrypt
from ..xmlcodec import render_xml
from .pay import signed_headers
from .routes.pay_v2 import complete_payment_v2, complete_refund_v2
from .routes.pay_v3_funds import complete_refund, refund_notify_url
from .routes.pay_v3_orders import complete_payment

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


def _rfc3339(timestamp: float) -> str:
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
        "create_time": _rfc3339(now),
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


def _tamper_v2_payment(merchant: MerchantState, fields: dict[str, Any], tamper: str | None) -> dict[str, Any]:
    """A v2 payment notification's signed ``fields``, forged as ``tamper`` says."""
    if tamper == "sign":
        fields["sign"] = ("0" if fields["sign"][:1] != "0" else "1") + fields["sign"][1:]
    elif tamper == "sign_type":  # signed with HMAC-SHA256, declared MD5
        assert merchant.v2_key is not None
        unsigned = {k: v for k, v in fields.items() if k != "sign"}
        fields = {**unsigned, "sign_type": "MD5"}
        fields["sign"] = v2.sign(fields, merchant.v2_key, "HMAC-SHA256")
    return fields


def _tamper_v2_refund(merchant: MerchantState, fields: dict[str, Any], tamper: str | None) -> dict[str, Any]:
    """A v2 refund notification ``fields``, its ``req_info`` damaged or re-encrypted as ``tamper`` says."""
    if tamper == "req_info":
        raw = base64.b64decode(fields["req_info"])
        fields["req_info"] = base64.b64encode(raw[:-16] + bytes(16)).decode("ascii")
    elif tamper == "key":
        assert merchant.v2_key is not None
        info = v2.decrypt_req_info(fields["req_info"], merchant.v2_key)
        fields["req_info"] = v2.encrypt_req_info(info, _other_key(merchant.v2_key))
    return fields


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


# -- the test controls ----------------------------------------------------------------------------------
def deliver_payment(
    emu: Emulator, merchant: MerchantState, out_trade_no: str, *, times: int = 1, tamper: str | None = None
) -> list[int]:
    """Complete v3 order ``out_trade_no`` (once) and POST its ``TRANSACTION.SUCCESS`` notification ``times`` times.

    Returns the HTTP statuses the receiver answered. ``KeyError`` for an
    unknown order; ``ValueError`` for a closed one or a bad ``tamper``.
    """
    _check_tamper(tamper, V3_TAMPERS)
    resource = complete_payment(emu, merchant, out_trade_no)
    with emu.lock:
        url = str(merchant.orders[out_trade_no]["notify_url"])
    entry = {"kind": "payment", "out_trade_no": out_trade_no}
    return _deliver_v3(emu, merchant, url, "TRANSACTION.SUCCESS", resource, entry, times, tamper)


def deliver_refund(
    emu: Emulator,
    merchant: MerchantState,
    out_refund_no: str,
    *,
    times: int = 1,
    tamper: str | None = None,
    status: str = "SUCCESS",
) -> list[int]:
    """Finish v3 refund ``out_refund_no`` (``status``: SUCCESS, CLOSED or ABNORMAL) and POST its notification.

    The event type is ``REFUND.<status>``; a refund finished before is
    notified again as it stands. Returns the HTTP statuses. ``ValueError``
    when the refund was applied without a ``notify_url``.
    """
    _check_tamper(tamper, V3_TAMPERS)
    url = refund_notify_url(merchant, out_refund_no)
    if url is None:
        raise ValueError(f"refund {out_refund_no!r} was applied without a notify_url")
    with emu.lock:
        record = merchant.data["refunds"][out_refund_no]["refund"]
        done = record["status"] != "PROCESSING"
        resource = {**record, "mchid": merchant.mchid, "refund_status": record["status"]} if done else None
    if resource is None:
        resource = complete_refund(emu, merchant, out_refund_no, status=status)
    entry = {"kind": "refund", "out_refund_no": out_refund_no}
    event_type = f"REFUND.{resource['refund_status']}"
    return _deliver_v3(emu, merchant, url, event_type, resource, entry, times, tamper)


def deliver_payment_v2(
    emu: Emulator,
    merchant: MerchantState,
    out_trade_no: str,
    *,
    times: int = 1,
    tamper: str | None = None,
    sign_type: str | None = None,
) -> list[int]:
    """Complete v2 order ``out_trade_no`` (once) and POST its signed XML payment notification ``times`` times.

    ``sign_type`` defaults to the order's. ``tamper``: ``"sign"`` or
    ``"sign_type"`` (:data:`V2_PAYMENT_TAMPERS`). Returns the HTTP statuses.
    """
    _check_tamper(tamper, V2_PAYMENT_TAMPERS)
    fields = _tamper_v2_payment(merchant, complete_payment_v2(emu, merchant, out_trade_no, sign_type=sign_type), tamper)
    with emu.lock:
        url = str(merchant.data["v2_orders"][out_trade_no]["notify_url"])
    entry = {"kind": "payment", "out_trade_no": out_trade_no, "tamper": tamper}
    return _deliver_v2(emu, merchant, url, render_xml(fields), entry, times)


def deliver_refund_v2(
    emu: Emulator, merchant: MerchantState, out_refund_no: str, *, times: int = 1, tamper: str | None = None
) -> list[int]:
    """Finish v2 refund ``out_refund_no`` (once) and POST its notification (``req_info`` encrypted) ``times`` times.

    ``tamper``: ``"req_info"`` or ``"key"`` (:data:`V2_REFUND_TAMPERS`).
    Returns the HTTP statuses.
    """
    _check_tamper(tamper, V2_REFUND_TAMPERS)
    fields = _tamper_v2_refund(merchant, complete_refund_v2(emu, merchant, out_refund_no), tamper)
    with emu.lock:
        url = merchant.data["v2_refunds"][out_refund_no].get("notify_url")
    if not url:
        raise ValueError(f"v2 refund {out_refund_no!r} was applied without a notify_url")
    entry = {"kind": "refund", "out_refund_no": out_refund_no, "tamper": tamper}
    return _deliver_v2(emu, merchant, str(url), render_xml(fields), entry, times)
