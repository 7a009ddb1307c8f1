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
   one per sub-order for a combine order), a
   :class:`~wxkit.pay.models.Refund` (``REFUND.SUCCESS`` / ``REFUND.ABNORMAL``
   / ``REFUND.CLOSED``), a :class:`~wxkit.pay.models.Transfer` (商家转账,
   ``MCHTRANSFER.BILL.FINISHED``) or a
   :class:`~wxkit.pay.models.ProfitSharing` (分账动账: ``PROFITSHARING.SUCCESS``
   / ``PROFITSHARING.RETURN``, or ``TRANSACTION.SUCCESS`` with a
   ``profitsharing`` resource, which WeChat also sends);
4. calls ``on_paid`` / ``on_refund`` / ``on_transfer`` / ``on_profit_sharing``
   **at most once** per ``transaction_id`` (refunds: per ``refund_id`` and
   ``refund_status``; transfers: per ``transfer_bill_no`` and ``state``;
   profit sharing: per sharing order, merchant, receiver, event type and
   time), deduplicated in
   ``storage``: the key is claimed (:func:`wxkit.storage.claim`: an atomic
   ``add`` of "processing:<unique owner>", read back when the reply is lost)
   before the call, set to "done" after it returns, and released when it
   raises so that WeChat's next retry runs it again.

Answers (``(status, body)``; v3 bodies are JSON, v2 bodies WeChat's XML):

* verified and handled, or handled before (a duplicate): v3 ``204`` (no
  body), v2 ``200`` SUCCESS — WeChat stops sending it;
* verified, but another copy is being handled right now: ``409`` FAIL;
* your handler raised (or none is defined), the storage failed, or the
  platform certificates cannot be downloaded now: ``500`` FAIL — WeChat
  sends it again later;
* bad or missing signature, stale timestamp, unknown serial, wrong v2
  sign: ``401`` FAIL;
* not JSON / not XML, tampered or undecryptable resource, malformed
  values, an event type other than ``TRANSACTION.SUCCESS`` / ``REFUND.*`` /
  ``MCHTRANSFER.BILL.FINISHED`` / ``PROFITSHARING.*``: ``400`` FAIL (WeChat
  sends it again, as after any failure, until its retries run out);
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

from .. import _flow
from .._flow import callable_name, is_async_callable
from ..errors import ConfigError, DecryptError, ParseError, SignatureError, StorageError, TransportError, WxError
from ..jsoncodec import load_json
from ..storage import MemoryStorage, Storage, claim, release_claim
from ..xmlcodec import parse_xml
from . import v2
from .models import ProfitSharing, Refund, Transaction, Transfer
from .v3.crypto import aead_decrypt
from .v3.verifier import Verifier, header

if TYPE_CHECKING:
    from .v3.client import PayClient

__all__ = [
    "NOTIFY_CONTENT_TYPES",
    "PROFIT_SHARING_EVENTS",
    "PayNotificationHandler",
    "REFUND_EVENTS",
    "TRANSFER_EVENTS",
    "content_type_for",
]

logger = logging.getLogger("wxkit.pay.notify")

#: The v3 refund notification event types.
REFUND_EVENTS = ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")
#: The v3 merchant transfer (商家转账, transfer-bills API) notification event type.
TRANSFER_EVENTS = ("MCHTRANSFER.BILL.FINISHED",)
#: The v3 profit-sharing (分账动账) notification event types; WeChat also sends ``TRANSACTION.SUCCESS`` for both.
PROFIT_SHARING_EVENTS = ("PROFITSHARING.SUCCESS", "PROFITSHARING.RETURN")

#: Content types of the answers, by the first byte of the body.
NOTIFY_CONTENT_TYPES = {"<": "application/xml; charset=utf-8", "{": "application/json; charset=utf-8"}

_THIRTY_DAYS = 30 * 24 * 3600.0
_NOT_TEXT = "the body is not valid Unicode text (a lone surrogate)"
_DONE = "done"
#: Tries at recording "done" (a failure leaves the claim until processing_ttl, then a copy would run again).
_DONE_TRIES = 3

Version = Literal["v2", "v3"]
Item = Transaction | Refund | Transfer | ProfitSharing


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

    Handlers: override :meth:`on_paid` / :meth:`on_refund` /
    :meth:`on_transfer` / :meth:`on_profit_sharing`, or pass callables
    ``on_paid=`` / ``on_refund=`` / ``on_transfer=`` / ``on_profit_sharing=``.
    """

    #: Largest body accepted (notifications are a few kilobytes); ``None``: no limit.
    max_body_size: int | None = 64 * 1024
    #: On the async path (:meth:`handle_async`, ``wxkit.adapters.pay.make_asgi_app``), plain (not
    #: ``async def``) handlers run in a worker thread (:func:`asyncio.to_thread`) so that a blocking
    #: one cannot stall the event loop; set this to False when they never block, to run them inline.
    handlers_block: bool = True

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
        on_transfer: Callable[[Transfer], object] | None = None,
        on_profit_sharing: Callable[[ProfitSharing], object] | None = None,
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
        self._transfer_callback = on_transfer
        self._profit_sharing_callback = on_profit_sharing
        #: The async def handlers seen at construction: the sync handle() refuses them.
        self._async_hooks = self._find_async_hooks()

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

    def on_transfer(self, transfer: Transfer) -> None:
        """Called once per transfer bill outcome (SUCCESS / FAIL / CANCELLED); raise to get it again later."""
        if self._transfer_callback is None:
            raise NotImplementedError("override on_transfer() or pass on_transfer= to PayNotificationHandler")
        self._transfer_callback(transfer)

    def on_profit_sharing(self, sharing: ProfitSharing) -> None:
        """Called once per profit-sharing movement (a share or a return) to a receiver; raise to get it again."""
        if self._profit_sharing_callback is None:
            raise NotImplementedError(
                "override on_profit_sharing() or pass on_profit_sharing= to PayNotificationHandler"
            )
        self._profit_sharing_callback(sharing)

    # -- entry points -------------------------------------------------------------------
    def handle(self, headers: Mapping[str, str], body: str | bytes | None) -> tuple[int, str]:
        """Handle one notification request; return ``(HTTP status, body)`` to answer WeChat with.

        ``headers`` is any mapping (looked up case-insensitively); ``body`` the
        raw request body. Never raises for bad input (see the module docstring).
        """
        self._refuse_async_hooks()
        return _flow.run_sync(self._handle_flow(headers, body), self._async_refusal)

    async def handle_async(self, headers: Mapping[str, str], body: str | bytes | None) -> tuple[int, str]:
        """:meth:`handle` for asyncio code (what ``wxkit.adapters.pay.make_asgi_app`` calls): the same answers.

        ``async def`` handlers (``on_paid``, ``on_refund``, ``on_transfer``,
        ``on_profit_sharing``, overridden or passed as ``on_paid=``...) are
        awaited; plain ones run in a worker thread unless
        :attr:`handlers_block` is False. Verifying (which may download the
        platform certificates) and the de-duplication storage calls run in a
        worker thread (the storage calls on the loop when the storage is a
        :class:`~wxkit.storage.MemoryStorage`).
        """
        return await _flow.run_async(
            self._handle_flow(headers, body),
            handlers_block=self.handlers_block,
            storage_blocks=not isinstance(self.storage, MemoryStorage),
        )

    def _handle_flow(self, headers: Mapping[str, str], body: str | bytes | None) -> _flow.Flow[tuple[int, str]]:
        """One notification as a flow (:mod:`wxkit._flow`): both entry points run this code."""
        raw, is_text = _body_bytes(body)
        version = self._version(headers, raw)
        if self.max_body_size is not None and len(raw) > self.max_body_size:
            return self._refuse(version, 413, "body too large")
        if not is_text:
            return self._refuse(version, 400, _NOT_TEXT)
        try:
            items = yield (_flow.IO, self._decode, (version, headers, raw))
        except SignatureError as exc:
            return self._refuse(version, 401, str(exc))
        except (StorageError, TransportError) as exc:  # our side failed (certificates unreachable): retry later
            logger.error("WeChat Pay notification not verified: %s: %s", type(exc).__name__, exc)
            return self._fail(version, 500, "cannot verify now; retry later")
        except WxError as exc:  # ParseError, DecryptError, a v2 return_code FAIL ...
            return self._refuse(version, 400, str(exc))
        except Exception:  # never raise to the web framework (a custom storage or key source failing)
            logger.exception("WeChat Pay notification: unexpected error while verifying")
            return self._fail(version, 500, "cannot verify now; retry later")
        for item in items:
            status, message = yield from self._run_once_flow(item)
            if status == 400:
                return self._refuse(version, status, message)
            if status != 200:
                return self._fail(version, status, message)
        return self._success(version)

    def parse(
        self, headers: Mapping[str, str], body: str | bytes
    ) -> list[Transaction | Refund | Transfer | ProfitSharing]:
        """Verify and decode a notification without handling it (no de-duplication).

        Returns the transactions (several for a combine order), the refund,
        the transfer or the profit-sharing movement;
        a v2 payment that failed (``result_code`` FAIL) gives an empty list.
        Raises :class:`~wxkit.errors.SignatureError` (bad signature, stale
        timestamp, unknown serial), :class:`~wxkit.errors.DecryptError`
        (tampered or undecryptable resource) or
        :class:`~wxkit.errors.ParseError` (anything malformed).
        """
        raw, is_text = _body_bytes(body)
        if not is_text:
            raise ParseError(_NOT_TEXT)
        return self._decode(self._version(headers, raw), headers, raw)

    # -- async handlers -----------------------------------------------------------------------
    def _find_async_hooks(self) -> tuple[str, ...]:
        """Names of the ``async def`` handlers: ``on_*`` methods and the ``on_*=`` callables."""
        found = [name for name in dir(type(self)) if name.startswith("on_") and is_async_callable(getattr(self, name))]
        # every on_X= callable is kept as self._X_callback (new hooks included)
        for attr, value in vars(self).items():
            if attr.endswith("_callback") and attr.startswith("_") and is_async_callable(value):
                found.append(f"on_{attr[1 : -len('_callback')]}=")
        return tuple(found)

    def _refuse_async_hooks(self) -> None:
        """Raise the :class:`~wxkit.errors.ConfigError` of :meth:`handle` for a handler with async hooks."""
        if self._async_hooks:
            raise ConfigError(
                f"{type(self).__name__}: {', '.join(self._async_hooks)} is async def; the sync handle() "
                "cannot await it: use handle_async() (wxkit.adapters.pay.make_asgi_app does)"
            )

    def _async_refusal(self, func: Callable[..., Any]) -> ConfigError:
        """The error for an ``async def`` handler met while handling on the sync path."""
        return ConfigError(
            f"{type(self).__name__}: {callable_name(func)} is async def (or returned an awaitable); the sync "
            "handle() cannot await it: use handle_async() (wxkit.adapters.pay.make_asgi_app does)"
        )

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
        notification = load_json(raw, what="the v3 notification body")  # a ParseError: 400
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
            data = load_json(plaintext, what="the decrypted resource")
        except ParseError as exc:
            raise DecryptError(str(exc)) from None
        if not isinstance(data, dict):
            raise ParseError("the decrypted resource is not a JSON object")
        event_type = str(notification.get("event_type", ""))
        if event_type in TRANSFER_EVENTS:
            return [Transfer.from_v3(data)]
        if event_type in PROFIT_SHARING_EVENTS or (
            event_type == "TRANSACTION.SUCCESS"
            and (resource.get("original_type") == "profitsharing" or "receiver" in data)
        ):  # WeChat also sends 分账动账 as TRANSACTION.SUCCESS (a payment resource never has a receiver)
            return [ProfitSharing.from_v3(data, event_type=event_type)]
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
        key = self.key_prefix + _item_key(item)
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:  # an id holding a lone surrogate (a JSON "\ud800" escape): no storage keeps it
            raise ParseError("the notification's ids are not valid Unicode text") from None
        return key

    def _hook_for(self, item: Item) -> Callable[[Any], object]:
        """The user's handler for ``item``'s kind: the ``on_*`` method, or its ``on_*=`` callable when not overridden.

        The callable itself (not the default method calling it), so that an
        ``async def`` one is awaited by :meth:`handle_async`.
        """
        if isinstance(item, Transaction):
            name = "on_paid"
        elif isinstance(item, Refund):
            name = "on_refund"
        elif isinstance(item, Transfer):
            name = "on_transfer"
        else:
            name = "on_profit_sharing"
        callback = getattr(self, f"_{name[3:]}_callback", None)
        if callback is not None and getattr(type(self), name) is getattr(PayNotificationHandler, name):
            return callback  # type: ignore[no-any-return]  # one of the on_*= callables
        return getattr(self, name)  # type: ignore[no-any-return]  # one of the on_* methods

    def _run_once_flow(self, item: Item) -> _flow.Flow[tuple[int, str]]:
        """Run the user's handler for ``item`` unless it ran already; ``(200, "")`` when settled.

        A flow (:mod:`wxkit._flow`): the storage calls and the handler are yielded steps.
        """
        try:
            key = self._key(item)
        except ParseError as exc:
            return 400, str(exc)
        owner = f"processing:{secrets.token_hex(16)}"
        try:
            # claim(): a claim stored but whose reply was lost is still ours (never a 409 to ourselves).
            result = yield (_flow.STORE, claim, (self.storage, key, owner, self.processing_ttl))
        except StorageError:  # a storage outage must answer "retry", never run the handler
            logger.exception("WeChat Pay notification: de-duplication storage failed")
            return 500, "storage unavailable; retry later"
        if not result:
            if result.value == _DONE:
                return 200, ""
            return 409, "this notification is being handled; retry later"
        try:
            yield (_flow.HOOK, self._hook_for(item), (item,))
        except Exception:  # any failure of user code means "deliver it again later"
            logger.exception("WeChat Pay notification handler failed; WeChat will deliver it again")
            # If the storage fails here, a retry reaching this process frees the claim; elsewhere it
            # expires after processing_ttl.
            yield (_flow.STORE, release_claim, (self.storage, key, owner))
            return 500, "handler failed; retry later"
        for attempt in range(_DONE_TRIES):  # set is idempotent: a failed or ambiguous write is tried again
            try:
                yield (_flow.STORE, self.storage.set, (key, _DONE, self.dedup_ttl))
                break
            except Exception:  # handled already: answer success so that WeChat stops
                if attempt == _DONE_TRIES - 1:
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
        message = message.encode("utf-8", "replace").decode("utf-8")  # always sendable, whatever it quotes
        if version == "v3":
            return status, json.dumps({"code": "FAIL", "message": message[:64]}, ensure_ascii=False)
        return status, _text(v2.fail_response(message[:64]))


def _item_key(item: Item) -> str:
    """The de-duplication key of ``item`` (without the prefix); ParseError when its ids are missing."""
    if isinstance(item, Transaction):
        if not item.transaction_id:
            raise ParseError("the transaction has no transaction_id")
        return f"paid:{item.transaction_id}"
    if isinstance(item, Refund):
        if not item.refund_id:
            raise ParseError("the refund has no refund_id")
        return f"refund:{item.refund_id}:{item.refund_status}"
    if isinstance(item, Transfer):
        if not (item.transfer_bill_no and item.state):
            raise ParseError("the transfer has no transfer_bill_no or state")
        return f"transfer:{item.transfer_bill_no}:{item.state}"
    order = item.order_id or item.out_order_no
    if not order:
        raise ParseError("the profit sharing has no order_id or out_order_no")
    if not item.receiver_account:
        raise ParseError("the profit sharing has no receiver account")
    merchant = item.sub_mchid or item.mchid
    return (
        f"profitsharing:{merchant}:{order}:{item.receiver_type}:{item.receiver_account}:"
        f"{item.event_type}:{item.success_time or ''}:{item.amount}"
    )


def _body_bytes(body: str | bytes | None) -> tuple[bytes, bool]:
    """``body`` as bytes, and whether it is text at all (a ``str`` with a lone surrogate is not)."""
    if isinstance(body, str):
        try:
            return body.encode("utf-8"), True
        except UnicodeEncodeError:
            return body.encode("utf-8", "surrogatepass"), False
    return body or b"", True


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
