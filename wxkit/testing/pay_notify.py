"""The emulator's WeChat Pay notification deliveries: complete an order, refund, transfer or share; POST it.

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

:func:`deliver_transfer` finishes a transfer bill (商家转账) and POSTs its
``MCHTRANSFER.BILL.FINISHED`` notification to the bill's ``notify_url``.
:func:`deliver_profit_sharing` / :func:`deliver_profit_sharing_return` POST
the 分账动账 notifications (``PROFITSHARING.SUCCESS`` /
``PROFITSHARING.RETURN``; ``event_type="TRANSACTION.SUCCESS"`` sends them as
WeChat also does) to each receiver: WeChat notifies only ``MERCHANT_ID``
receivers, at the URL set on the receiver's merchant platform — here a
merchant on the same emulator, whose URL :func:`set_profit_sharing_notify_url`
sets (or pass ``url=``), its APIv3 key encrypting the resource; the delivery
is recorded in the receiver's ``notifications``.

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
from .routes.pay_v3_funds import complete_refund, complete_transfer, finish_profitsharing_order, refund_notify_url
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
    "deliver_profit_sharing",
    "deliver_profit_sharing_return",
    "deliver_refund",
    "deliver_refund_v2",
    "deliver_transfer",
    "post",
    "set_profit_sharing_notify_url",
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
    "MCHTRANSFER.BILL.FINISHED": "商家转账单据终态通知",
    "PROFITSHARING.SUCCESS": "分账",
    "PROFITSHARING.RETURN": "分账回退",
}
#: The resource's ``original_type`` (and associated data) by event type prefix; ``transaction`` otherwise.
_ORIGINAL_TYPES = {"REFUND": "refund", "MCHTRANSFER": "mch_payment", "PROFITSHARING": "profitsharing"}
#: The fields of a transfer bill that its notification's resource carries.
_TRANSFER_FIELDS = (
    "out_bill_no",
    "transfer_bill_no",
    "state",
    "mch_id",
    "transfer_amount",
    "openid",
    "fail_reason",
    "create_time",
    "update_time",
)
_FINAL_TRANSFER_STATES = ("SUCCESS", "FAIL", "CANCELLED")
_PROFIT_SHARING_EVENTS = ("PROFITSHARING.SUCCESS", "PROFITSHARING.RETURN", "TRANSACTION.SUCCESS")
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
    original_type: str | None = None,
) -> bytes:
    """The JSON body of a v3 notification carrying ``resource`` encrypted with the merchant's APIv3 key.

    ``original_type`` (also the associated data) defaults by event type:
    ``refund``, ``mch_payment`` (``MCHTRANSFER.*``), ``profitsharing``
    (``PROFITSHARING.*``), else ``transaction``.
    """
    _check_tamper(tamper, V3_TAMPERS)
    original_type = original_type or _ORIGINAL_TYPES.get(event_type.split(".", 1)[0], "transaction")
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
    original_type: str | None = None,
) -> list[int]:
    _check_tamper(tamper, V3_TAMPERS)
    body = v3_notification(merchant, event_type, resource, now=emu.now(), tamper=tamper, original_type=original_type)
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


def deliver_transfer(
    emu: Emulator,
    merchant: MerchantState,
    out_bill_no: str,
    *,
    times: int = 1,
    tamper: str | None = None,
    state: str | None = None,
    fail_reason: str = "PAYEE_ACCOUNT_ABNORMAL",
) -> list[int]:
    """Finish transfer bill ``out_bill_no`` (once) and POST its ``MCHTRANSFER.BILL.FINISHED`` notification.

    ``state`` is the final state (:func:`~wxkit.testing.routes.pay_v3_funds.complete_transfer`:
    ``SUCCESS`` by default, ``CANCELLED`` for a ``CANCELING`` bill, or
    ``FAIL`` with ``fail_reason``); a bill finished before is notified again
    as it stands. WeChat notifies final states only: ``ValueError`` for
    another ``state``, or when the transfer was created without a
    ``notify_url``; ``KeyError`` for an unknown bill. Returns the HTTP statuses.
    """
    _check_tamper(tamper, V3_TAMPERS)
    if state is not None and state not in _FINAL_TRANSFER_STATES:
        raise ValueError(f"WeChat notifies final transfer states only {_FINAL_TRANSFER_STATES}, not {state!r}")
    with emu.lock:
        record = merchant.data["transfers"][out_bill_no]
        url, current = record.get("notify_url"), record["bill"]["state"]
    if not url:
        raise ValueError(f"transfer {out_bill_no!r} was created without a notify_url")
    if current not in _FINAL_TRANSFER_STATES:
        complete_transfer(emu, merchant, out_bill_no, state=state, fail_reason=fail_reason)
    elif state is not None and state != current:
        raise ValueError(f"transfer {out_bill_no!r} is {current} already, not {state}")
    with emu.lock:
        bill = record["bill"]
        resource = {name: bill[name] for name in _TRANSFER_FIELDS if bill.get(name) is not None}
    entry = {"kind": "transfer", "out_bill_no": out_bill_no}
    return _deliver_v3(emu, merchant, str(url), "MCHTRANSFER.BILL.FINISHED", resource, entry, times, tamper)


def set_profit_sharing_notify_url(merchant: MerchantState, url: str | None) -> None:
    """Set where ``merchant``, as a profit-sharing receiver, gets 分账动账 notifications (its platform setting)."""
    merchant.data["profitsharing_notify_url"] = url


def _receiver_target(emu: Emulator, account: str, url: str | None) -> tuple[MerchantState, str]:
    """The emulated receiver merchant ``account`` and the URL its notifications go to."""
    with emu.lock:
        receiver = emu.merchants.get(account)
        target = url or (receiver.data.get("profitsharing_notify_url") if receiver is not None else None)
    if receiver is None:
        raise ValueError(f"receiver {account!r} is not a merchant on this emulator (its APIv3 key encrypts)")
    if not target:
        raise ValueError(f"receiver {account!r} has no profit-sharing notify URL (set_profit_sharing_notify_url)")
    return receiver, str(target)


def _sharing_event(event_type: str) -> None:
    if event_type not in _PROFIT_SHARING_EVENTS:
        raise ValueError(f"event_type must be one of {_PROFIT_SHARING_EVENTS}, got {event_type!r}")


def deliver_profit_sharing(
    emu: Emulator,
    merchant: MerchantState,
    out_order_no: str,
    *,
    receiver: str | None = None,
    url: str | None = None,
    times: int = 1,
    tamper: str | None = None,
    event_type: str = "PROFITSHARING.SUCCESS",
) -> list[int]:
    """Finish sharing order ``out_order_no`` (once) and POST each ``MERCHANT_ID`` receiver its 分账动账 notification.

    Only the receiver lines that succeeded are notified (the merchant's own
    unfrozen remainder is not); ``receiver`` limits it to one account. Each
    receiver must be a merchant on this emulator; the notification goes to
    ``url`` or the receiver's :func:`set_profit_sharing_notify_url`.
    ``event_type``: ``PROFITSHARING.SUCCESS`` or ``TRANSACTION.SUCCESS`` (the
    resource's ``original_type`` stays ``profitsharing``). Returns the HTTP
    statuses, receiver after receiver.
    """
    _check_tamper(tamper, V3_TAMPERS)
    _sharing_event(event_type)
    with emu.lock:
        record = merchant.data["profitsharing"]["orders"][out_order_no]
        pending = record["state"] == "PROCESSING"
    if pending:
        finish_profitsharing_order(emu, merchant, out_order_no)
    with emu.lock:
        lines = [
            dict(line)
            for line in record["receivers"]
            if line["type"] == "MERCHANT_ID"
            and line["result"] == "SUCCESS"
            and line["account"] != merchant.mchid
            and (receiver is None or line["account"] == receiver)
        ]
        order = {k: record[k] for k in ("transaction_id", "order_id", "out_order_no")}
    if not lines:
        raise ValueError(f"sharing order {out_order_no!r} has no successful MERCHANT_ID receiver to notify")
    statuses: list[int] = []
    for line in lines:
        target, target_url = _receiver_target(emu, line["account"], url)
        resource = {
            "mchid": merchant.mchid,
            **order,
            "receiver": {k: line[k] for k in ("type", "account", "amount", "description")},
            "success_time": line["finish_time"],
        }
        entry = {"kind": "profitsharing", "out_order_no": out_order_no, "receiver": line["account"]}
        statuses += _deliver_v3(emu, target, target_url, event_type, resource, entry, times, tamper, "profitsharing")
    return statuses


def deliver_profit_sharing_return(
    emu: Emulator,
    merchant: MerchantState,
    out_return_no: str,
    *,
    url: str | None = None,
    times: int = 1,
    tamper: str | None = None,
    event_type: str = "PROFITSHARING.RETURN",
) -> list[int]:
    """POST return ``out_return_no``'s 分账动账 notification to the receiver the money was taken back from.

    The receiver (``return_mchid``) must be a merchant on this emulator; the
    notification goes to ``url`` or its :func:`set_profit_sharing_notify_url`.
    ``event_type``: ``PROFITSHARING.RETURN`` or ``TRANSACTION.SUCCESS``.
    Returns the HTTP statuses.
    """
    _check_tamper(tamper, V3_TAMPERS)
    _sharing_event(event_type)
    with emu.lock:
        sharing = merchant.data["profitsharing"]
        ret = dict(sharing["returns"][out_return_no])
        transaction_id = sharing["orders"][ret["out_order_no"]]["transaction_id"]
    target, target_url = _receiver_target(emu, ret["return_mchid"], url)
    resource = {
        "mchid": merchant.mchid,
        "transaction_id": transaction_id,
        "order_id": ret["order_id"],
        "out_order_no": ret["out_order_no"],
        "receiver": {
            "type": "MERCHANT_ID",
            "account": ret["return_mchid"],
            "amount": ret["amount"],
            "description": ret["description"],
        },
        "success_time": ret["finish_time"],
    }
    entry = {"kind": "profitsharing_return", "out_return_no": out_return_no}
    return _deliver_v3(emu, target, target_url, event_type, resource, entry, times, tamper, "profitsharing")
