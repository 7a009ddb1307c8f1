"""Idempotent WeChat Pay notification handling (v3 and v2): :class:`PayNotificationHandler`.

WeChat Pay POSTs a notification when an order is paid or a refund ends, and
sends it again until it gets a success answer (v2: 15 times over 24 hours;
v3 likewise) — and the same notification can arrive twice at once. The
handler turns that into "your code runs once"::

    class Shop(PayNotificationHandler):
        def on_paid(self, transaction):       # a typed, frozen Transaction
            ship(transaction.out_trade_no, transaction.amount_total)

        def on_refund(self, refund):          # a typed, frozen Refund
            mark_refunded(refund.out_refund_no, refund.refund_status)

    shop = Shop(v3_client=pay_client, storage=RedisStorage(redis_client))
    status, body = shop.handle(request.headers, request.body)

:meth:`PayNotificationHandler.handle` never raises for bad input. It

1. detects the version: v3 is JSON with ``Wechatpay-*`` headers, v2 is XML;
2. verifies: v3 — the signature with the key ``Wechatpay-Serial`` names and
   the 5-minute timestamp window (:class:`~wxkit.pay.v3.verifier.Verifier`),
   ``resource.algorithm`` (``AEAD_AES_256_GCM``), then decrypts the resource
   with the APIv3 key and its associated data; v2 — the ``sign`` (MD5 or
   HMAC-SHA256) of a payment notification, or decrypts a refund
   notification's ``req_info`` (:mod:`wxkit.pay.v2`);
3. builds a :class:`~wxkit.pay.models.Transaction` (``TRANSACTION.SUCCESS``;
   one per sub-order for a combine order) or a
   :class:`~wxkit.pay.models.Refund` (``REFUND.SUCCESS`` / ``REFUND.ABNORMAL``
   / ``REFUND.CLOSED``);
4. calls ``on_paid`` / ``on_refund`` **at most once** per ``transaction_id``
   (refunds: per ``refund_id`` and ``refund_status``), deduplicated in
   ``storage``: the key is claimed with an atomic ``add`` ("processing")
   before the call, set to "done" after it returns, and released when it
   raises so that WeChat's next retry runs it again.

Answers (``(status, body)``; v3 bodies are JSON, v2 bodies WeChat's XML):

* verified and handled, or handled before (a duplicate): v3 ``204`` (no
  body), v2 ``200`` SUCCESS — WeChat stops sending it;
* verified, but another copy is being handled right now: ``409`` FAIL;
* your handler raised (or none is defined), or the storage failed:
  ``500`` FAIL — WeChat sends it again later;
* bad or missing signature, stale timestamp, unknown serial, wrong v2
  sign: ``401`` FAIL;
* not JSON / not XML, tampered or undecryptable resource, malformed
  values, an event type other than ``TRANSACTION.SUCCESS`` / ``REFUND.*``:
  ``400`` FAIL;
* a body over ``max_body_size``: ``413`` FAIL.

A bad notification never reaches your handler and never causes a 5xx.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..errors import ConfigError, DecryptError, ParseError, SignatureError, WxError
from ..storage import MemoryStorage, Storage
from ..xmlcodec import parse_xml
from . import v2
from .models import Refund, Transaction
from .v3.crypto import aead_decrypt
from .v3.verifier import Verifier, header

if TYPE_CHECKING:
    from .v3.client import PayClient

__all__ = ["NOTIFY_CONTENT_TYPES", "PayNotificationHandler", "content_type_for"]

logger = logging.getLogger("wxkit.pay.notify")

#: The v3 refund notification event types.
REFUND_EVENTS = ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")

#: Content types of the answers, by the first byte of the body.
NOTIFY_CONTENT_TYPES = {"<": "application/xml; charset=utf-8", "{": "application/json; charset=utf-8"}

_THIRTY_DAYS = 30 * 24 * 3600.0
_DONE = "done"

Version = Literal["v2", "v3"]
Item = Transaction | Refund


def content_type_for(body: str | bytes) -> str:
    """The content type of an answer :meth:`PayNotificationHandler.handle` returned (``text/plain`` if empty)."""
    first = body[:1].decode("ascii", "replace") if isinstance(body, bytes) else body[:1]
    return NOTIFY_CONTENT_TYPES.get(first, "text/plain; charset=utf-8")


class PayNotificationHandler:
    """Verify, decode and handle WeChat Pay notifications exactly once; see the module docstring.

    v3: ``v3_client`` (a :class:`~wxkit.pay.v3.PayClient`, whose verifier and
    APIv3 key are used), or ``verifier`` + ``apiv3_key``. v2: ``v2_key`` (the
    merchant API key) and optionally ``v2_sign_type`` (``MD5`` /
    ``HMAC-SHA256``; by default the notification's own ``sign_type``, else
    MD5). Either or both versions.

    ``storage`` keeps the de-duplication marks (default: the client's storage,
    else an in-process :class:`~wxkit.storage.MemoryStorage`; use a
    :class:`~wxkit.storage.RedisStorage` when several processes or machines
    receive notifications). ``dedup_ttl`` is how long a handled notification
    is remembered (30 days); ``processing_ttl`` bounds how long a crashed
    process's claim blocks redelivery (5 minutes).

    Handlers: override :meth:`on_paid` / :meth:`on_refund`, or pass callables
    ``on_paid=`` / ``on_refund=``.
    """

    #: Largest body accepted (notifications are a few kilobytes); ``None``: no limit.
    max_body_size: int | None = 64 * 1024

    def __init__(
        self,
        *,
        storage: Storage | None = None,
        v3_client: PayClient | None = None,
        verifier: Verifier | None = None,
        apiv3_key: str | bytes | None = None,
        v2_key: str | None = None,
        v2_sign_type: str | None = None,
        dedup_ttl: float = _THIRTY_DAYS,
        processing_ttl: float = 300.0,
        on_paid: Callable[[Transaction], object] | None = None,
        on_refund: Callable[[Refund], object] | None = None,
        key_prefix: str = "wxkit:pay:notify:",
    ) -> None:
        if v3_client is not None:
            verifier = verifier or v3_client.verifier
            if storage is None:
                storage = v3_client.storage
        decrypt: Callable[[str, str | None, str], bytes] | None = None
        if v3_client is not None and apiv3_key is None:
            decrypt = v3_client.decrypt  # the client keeps its APIv3 key private
        elif apiv3_key is not None:
            if len(_bytes(apiv3_key)) != 32:
                raise ConfigError("the APIv3 key must be 32 bytes")
            decrypt = functools.partial(aead_decrypt, apiv3_key)
        if (verifier is None) != (decrypt is None):
            raise ConfigError("v3 notifications need both a verifier and the APIv3 key (or a v3_client)")
        if v2_key is not None and (not isinstance(v2_key, str) or not v2_key):
            raise ConfigError("v2_key must be the non-empty merchant API key")
        if v2_sign_type is not None and v2_sign_type not in v2.SIGN_TYPES:
            raise ConfigError(f"v2_sign_type must be one of {v2.SIGN_TYPES}")
        if verifier is None and v2_key is None:
            raise ConfigError("configure v3 (v3_client, or verifier + apiv3_key) and/or v2 (v2_key)")
        if dedup_ttl <= 0 or processing_ttl <= 0:
            raise ConfigError("dedup_ttl and processing_ttl must be positive")
        self.verifier = verifier
        self._decrypt = decrypt
        self._v2_key = v2_key
        self.v2_sign_type = v2_sign_type
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.dedup_ttl = dedup_ttl
        self.processing_ttl = processing_ttl
        self.key_prefix = key_prefix
        self._paid_callback = on_paid
        self._refund_callback = on_refund

    def __repr__(self) -> str:  # never keys
        versions = [v for v, on in (("v3", self.verifier is not None), ("v2", self._v2_key is not None)) if on]
        return f"{type(self).__name__}(versions={versions})"

    # -- the user's handlers ---------------------------------------------------------
    def on_paid(self, transaction: Transaction) -> None:
        """Called once per paid transaction; raise to make WeChat deliver it again later."""
        if self._paid_callback is None:
            raise NotImplementedError("override on_paid() or pass on_paid= to PayNotificationHandler")
        self._paid_callback(transaction)

    def on_refund(self, refund: Refund) -> None:
        """Called once per refund outcome (SUCCESS / ABNORMAL / CLOSED); raise to get it again later."""
        if self._refund_callback is None:
            raise NotImplementedError("override on_refund() or pass on_refund= to PayNotificationHandler")
        self._refund_callback(refund)

    # -- entry points -------------------------------------------------------------------
    def handle(self, headers: Mapping[str, str], body: str | bytes | None) -> tuple[int, str]:
        """Handle one notification request; return ``(HTTP status, body)`` to answer WeChat with.

        ``headers`` is any mapping (looked up case-insensitively); ``body`` the
        raw request body. Never raises for bad input (see the module docstring).
        """
        raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        version = self._version(headers, raw)
        if self.max_body_size is not None and len(raw) > self.max_body_size:
            return self._refuse(version, 413, "body too large")
        try:
            items = self._decode(version, headers, raw)
        except SignatureError as exc:
            return self._refuse(version, 401, str(exc))
        except WxError as exc:  # ParseError, DecryptError, a v2 return_code FAIL ...
            return self._refuse(version, 400, str(exc))
        for item in items:
            status, message = self._run_once(item)
            if status == 400:
                return self._refuse(version, status, message)
            if status != 200:
                return self._fail(version, status, message)
        return self._success(version)

    def parse(self, headers: Mapping[str, str], body: str | bytes) -> list[Transaction | Refund]:
        """Verify and decode a notification without handling it (no de-duplication).

        Returns the transactions (several for a combine order) or the refund;
        a v2 payment that failed (``result_code`` FAIL) gives an empty list.
        Raises :class:`~wxkit.errors.SignatureError` (bad signature, stale
        timestamp, unknown serial), :class:`~wxkit.errors.DecryptError`
        (tampered or undecryptable resource) or
        :class:`~wxkit.errors.ParseError` (anything malformed).
        """
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return self._decode(self._version(headers, raw), headers, raw)

    # -- decoding ---------------------------------------------------------------------------
    def _version(self, headers: Mapping[str, str], raw: bytes) -> Version:
        if header(headers, "Wechatpay-Signature") or header(headers, "Wechatpay-Serial"):
            return "v3"
        first = raw.lstrip()[:1]
        if first == b"<":
            return "v2"
        if first == b"{":
            return "v3"
        return "v3" if self.verifier is not None else "v2"

    def _decode(self, version: Version, headers: Mapping[str, str], raw: bytes) -> list[Item]:
        return self._decode_v3(headers, raw) if version == "v3" else self._decode_v2(raw)

    def _decode_v3(self, headers: Mapping[str, str], raw: bytes) -> list[Item]:
        if self.verifier is None or self._decrypt is None:
            raise ParseError("v3 notifications are not configured on this handler")
        self.verifier.verify(headers, raw)
        try:
            notification = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ParseError("the v3 notification body is not JSON") from None
        if not isinstance(notification, dict):
            raise ParseError("the v3 notification body is not a JSON object")
        resource = notification.get("resource")
        if not isinstance(resource, dict):
            raise ParseError("the v3 notification has no resource object")
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise ParseError(f"unsupported resource algorithm {str(resource.get('algorithm'))[:40]!r}")
        fields = {name: resource.get(name) for name in ("ciphertext", "nonce", "associated_data")}
        if not all(isinstance(fields[name], str) for name in ("ciphertext", "nonce")):
            raise ParseError("the v3 resource lacks ciphertext or nonce")
        associated = fields["associated_data"]
        if associated is not None and not isinstance(associated, str):
            raise ParseError("the v3 resource's associated_data is not text")
        plaintext = self._decrypt(str(fields["nonce"]), associated, str(fields["ciphertext"]))
        try:
            data = json.loads(plaintext)
        except (ValueError, UnicodeDecodeError):
            raise DecryptError("the decrypted resource is not JSON") from None
        if not isinstance(data, dict):
            raise ParseError("the decrypted resource is not a JSON object")
        event_type = str(notification.get("event_type", ""))
        if event_type in REFUND_EVENTS:
            return [Refund.from_v3(data)]
        if event_type != "TRANSACTION.SUCCESS":
            raise ParseError(f"unsupported notification event_type {event_type[:40]!r}")
        paid = _combine_transactions(data) if "sub_orders" in data else [Transaction.from_v3(data)]
        return [t for t in paid if t.trade_state in ("SUCCESS", "")]  # nothing to ship for a failed one

    def _decode_v2(self, raw: bytes) -> list[Item]:
        if self._v2_key is None:
            raise ParseError("v2 notifications are not configured on this handler")
        outer = parse_xml(raw, max_size=self.max_body_size)
        if "req_info" in outer:
            info = v2.parse_refund_notification(raw, self._v2_key)
            return [Refund.from_v2(info)]
        params = v2.parse_payment_notification(raw, self._v2_key, sign_type=self.v2_sign_type)
        if params.get("result_code") != "SUCCESS":
            logger.info("v2 payment notification with result_code %r: nothing to handle", params.get("result_code"))
            return []
        return [Transaction.from_v2(params)]

    # -- exactly once -----------------------------------------------------------------------
    def _key(self, item: Item) -> str:
        if isinstance(item, Transaction):
            if not item.transaction_id:
                raise ParseError("the transaction has no transaction_id")
            return f"{self.key_prefix}paid:{item.transaction_id}"
        if not item.refund_id:
            raise ParseError("the refund has no refund_id")
        return f"{self.key_prefix}refund:{item.refund_id}:{item.refund_status}"

    def _run_once(self, item: Item) -> tuple[int, str]:
        """Run the user's handler for ``item`` unless it ran already; ``(200, "")`` when settled."""
        try:
            key = self._key(item)
        except ParseError as exc:
            return 400, str(exc)
        claim = f"processing:{secrets.token_hex(8)}"
        try:
            for _ in range(2):  # a claim released between our add and get is tried once more
                if self.storage.add(key, claim, self.processing_ttl):
                    break
                state = self.storage.get(key)
                if state == _DONE:
                    return 200, ""
                if state is not None:
                    return 409, "this notification is being handled; retry later"
            else:
                return 409, "this notification is being handled; retry later"
        except Exception:  # a storage outage must answer "retry", never run the handler
            logger.exception("WeChat Pay notification: de-duplication storage failed")
            return 500, "storage unavailable; retry later"
        try:
            if isinstance(item, Transaction):
                self.on_paid(item)
            else:
                self.on_refund(item)
        except Exception:  # any failure of user code means "deliver it again later"
            logger.exception("WeChat Pay notification handler failed; WeChat will deliver it again")
            try:
                self.storage.delete(key, if_value=claim)
            except Exception:  # the claim then expires after processing_ttl
                logger.exception("WeChat Pay notification: could not release the claim")
            return 500, "handler failed; retry later"
        try:
            self.storage.set(key, _DONE, self.dedup_ttl)
        except Exception:  # handled already: answer success so that WeChat stops
            logger.exception("WeChat Pay notification: could not record the handled notification")
        return 200, ""

    # -- answers ------------------------------------------------------------------------------
    def _refuse(self, version: Version, status: int, message: str) -> tuple[int, str]:
        logger.warning("WeChat Pay notification refused (%s): %s", status, message)
        return self._fail(version, status, message)

    @staticmethod
    def _success(version: Version) -> tuple[int, str]:
        if version == "v3":
            return 204, ""
        return 200, _text(v2.success_response())

    @staticmethod
    def _fail(version: Version, status: int, message: str) -> tuple[int, str]:
        if version == "v3":
            return status, json.dumps({"code": "FAIL", "message": message[:64]}, ensure_ascii=False)
        return status, _text(v2.fail_response(message[:64]))


def _bytes(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return value if isinstance(value, bytes) else b""


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _combine_transactions(data: Mapping[str, Any]) -> list[Transaction]:
    """One :class:`Transaction` per sub-order of a combine-order (合单) payment resource."""
    orders = data.get("sub_orders")
    if not isinstance(orders, list) or not orders:
        raise ParseError("the combine resource has no sub_orders")
    payer = data.get("combine_payer_info")
    openid = payer.get("openid", "") if isinstance(payer, dict) else ""
    items: list[Transaction] = []
    for order in orders:
        if not isinstance(order, dict):
            raise ParseError("a combine sub-order is not an object")
        amount = order.get("amount")
        amount = amount if isinstance(amount, dict) else {}
        resource = {
            **order,
            "appid": order.get("sub_appid") or data.get("combine_appid", ""),
            "payer": {"openid": openid},
            "amount": {
                "total": amount.get("total_amount"),
                "payer_total": amount.get("payer_amount"),
                "currency": amount.get("currency"),
            },
        }
        combine = {k: data[k] for k in ("combine_appid", "combine_mchid", "combine_out_trade_no") if k in data}
        items.append(attrs.evolve(Transaction.from_v3(resource), raw={**order, **combine}))
    return items
