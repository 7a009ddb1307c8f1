"""Typed WeChat Pay objects: Transaction, Refund, Transfer and ProfitSharing.

:class:`Transaction` is a payment, :class:`Refund` a refund, :class:`Transfer`
a merchant transfer bill (商家转账) and :class:`ProfitSharing` one receiver's
share or return (分账动账). All are ``attrs`` frozen, slotted classes with snake_case fields; amounts are
integer fen; ``raw`` keeps the dict they were built from (new WeChat fields
never get lost). They are built from a v3 notification's decrypted
``resource`` (:meth:`Transaction.from_v3` / :meth:`Refund.from_v3`, the same
shape as the order / refund query answers) or from a v2 notification's
parameters (:meth:`Transaction.from_v2` / :meth:`Refund.from_v2`), so one
``on_paid`` handler serves both API versions.

v2 -> v3 field mapping:

* payment: ``mch_id`` -> ``mchid``, ``openid`` -> ``payer_openid``,
  ``total_fee`` -> ``amount_total``, ``cash_fee`` -> ``payer_total``,
  ``fee_type`` -> ``currency`` (``CNY`` when absent), ``time_end``
  (``yyyyMMddHHmmss``, Beijing time) -> ``success_time`` as RFC 3339
  (``2014-10-30T13:35:25+08:00``), ``result_code`` -> ``trade_state``
  (``SUCCESS`` / ``PAYERROR``) and ``err_code_des`` -> ``trade_state_desc``;
* refund (the decrypted ``req_info``): ``total_fee`` -> ``amount_total``,
  ``refund_fee`` -> ``amount_refund``, ``settlement_refund_fee`` ->
  ``payer_refund``, ``refund_recv_accout`` (WeChat's spelling) ->
  ``user_received_account``, ``success_time`` (``yyyy-MM-dd HH:mm:ss``) ->
  RFC 3339.

:class:`Transfer` and :class:`ProfitSharing` are v3 only (built from the
``MCHTRANSFER.BILL.FINISHED`` and 分账动账 notifications' resources, or the
matching query answers). A value of the wrong type (an amount that is not an
integer, a text field holding an object) is a
:class:`~wxkit.errors.ParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from .._model import AttrsValue
from ..errors import ParseError

__all__ = ["ProfitSharing", "Refund", "Transaction", "Transfer"]

_V2_TIME_END = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})")
_V2_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ParseError(f"{name} must be text")


def _object(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    raise ParseError(f"{name} must be an object")


def _fen(data: Mapping[str, Any], name: str, *, v2: bool = False) -> int | None:
    """An amount in fen: a JSON integer (v3) or a string of digits (v2 XML); ``None`` when absent."""
    value = data.get(name)
    if value is None or (v2 and value == ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        amount = value
    elif v2 and isinstance(value, str) and value.isascii() and value.strip().isdigit() and len(value.strip()) <= 15:
        amount = int(value)
    else:
        raise ParseError(f"{name} must be an integer amount of fen")
    if amount < 0:
        raise ParseError(f"{name} must not be negative")
    return amount


def _v2_time(value: str, pattern: re.Pattern[str]) -> str | None:
    """A v2 Beijing-time timestamp as RFC 3339 (``+08:00``); the text as is if it does not match."""
    if not value:
        return None
    match = pattern.fullmatch(value.strip())
    if match is None:
        return value
    y, mo, d, h, mi, s = match.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}+08:00"


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ParseError(f"a {what} must be an object")
    return data


@attrs.frozen(repr=False, eq=False)
class Transaction(AttrsValue):
    """A payment (v3 ``transaction`` resource, or a v2 payment notification).

    ``amount_total`` is the order amount and ``payer_total`` what the payer
    paid (coupons excluded), both in fen. ``success_time`` is RFC 3339 text
    (``None`` until paid).
    """

    appid: str
    mchid: str
    out_trade_no: str
    transaction_id: str
    trade_type: str = ""
    trade_state: str = ""
    trade_state_desc: str = ""
    bank_type: str = ""
    attach: str = ""
    success_time: str | None = None
    payer_openid: str = ""
    amount_total: int = 0
    payer_total: int | None = None
    currency: str = "CNY"
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_v3(cls, resource: Mapping[str, Any]) -> Transaction:
        """Build from a v3 decrypted ``transaction`` resource (or an order query answer)."""
        data = _mapping(resource, "transaction")
        amount = _object(data, "amount")
        payer = _object(data, "payer")
        return cls(
            appid=_text(data, "appid"),
            mchid=_text(data, "mchid"),
            out_trade_no=_text(data, "out_trade_no"),
            transaction_id=_text(data, "transaction_id"),
            trade_type=_text(data, "trade_type"),
            trade_state=_text(data, "trade_state"),
            trade_state_desc=_text(data, "trade_state_desc"),
            bank_type=_text(data, "bank_type"),
            attach=_text(data, "attach"),
            success_time=_text(data, "success_time") or None,
            payer_openid=_text(payer, "openid"),
            amount_total=_fen(amount, "total") or 0,
            payer_total=_fen(amount, "payer_total"),
            currency=_text(amount, "currency") or "CNY",
            raw=dict(data),
        )

    @classmethod
    def from_v2(cls, params: Mapping[str, Any]) -> Transaction:
        """Build from a v2 payment notification's (verified) parameters."""
        data = _mapping(params, "v2 payment notification")
        success = _text(data, "result_code") in ("", "SUCCESS")
        return cls(
            appid=_text(data, "appid"),
            mchid=_text(data, "mch_id"),
            out_trade_no=_text(data, "out_trade_no"),
            transaction_id=_text(data, "transaction_id"),
            trade_type=_text(data, "trade_type"),
            trade_state="SUCCESS" if success else "PAYERROR",
            trade_state_desc="" if success else _text(data, "err_code_des"),
            bank_type=_text(data, "bank_type"),
            attach=_text(data, "attach"),
            success_time=_v2_time(_text(data, "time_end"), _V2_TIME_END),
            payer_openid=_text(data, "openid"),
            amount_total=_fen(data, "total_fee", v2=True) or 0,
            payer_total=_fen(data, "cash_fee", v2=True),
            currency=_text(data, "fee_type") or "CNY",
            raw=dict(data),
        )


@attrs.frozen(repr=False, eq=False)
class Refund(AttrsValue):
    """A refund (v3 ``refund`` resource, or a v2 refund notification's decrypted ``req_info``).

    ``refund_status`` is ``SUCCESS``, ``CLOSED``, ``ABNORMAL`` (or
    ``PROCESSING`` in a query answer). Amounts in fen: ``amount_total`` (the
    order), ``amount_refund`` (this refund), ``payer_refund`` (what goes back
    to the payer).
    """

    refund_id: str
    out_refund_no: str
    transaction_id: str
    out_trade_no: str
    refund_status: str = ""
    success_time: str | None = None
    amount_total: int = 0
    amount_refund: int = 0
    payer_refund: int | None = None
    user_received_account: str = ""
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_v3(cls, resource: Mapping[str, Any]) -> Refund:
        """Build from a v3 decrypted ``refund`` resource (or a refund query answer)."""
        data = _mapping(resource, "refund")
        amount = _object(data, "amount")
        return cls(
            refund_id=_text(data, "refund_id"),
            out_refund_no=_text(data, "out_refund_no"),
            transaction_id=_text(data, "transaction_id"),
            out_trade_no=_text(data, "out_trade_no"),
            # Notifications say refund_status; query answers say status.
            refund_status=_text(data, "refund_status") or _text(data, "status"),
            success_time=_text(data, "success_time") or None,
            amount_total=_fen(amount, "total") or 0,
            amount_refund=_fen(amount, "refund") or 0,
            payer_refund=_fen(amount, "payer_refund"),
            user_received_account=_text(data, "user_received_account"),
            raw=dict(data),
        )

    @classmethod
    def from_v2(cls, info: Mapping[str, Any]) -> Refund:
        """Build from a v2 refund notification's decrypted ``req_info``."""
        data = _mapping(info, "v2 refund notification")
        return cls(
            refund_id=_text(data, "refund_id"),
            out_refund_no=_text(data, "out_refund_no"),
            transaction_id=_text(data, "transaction_id"),
            out_trade_no=_text(data, "out_trade_no"),
            refund_status=_text(data, "refund_status"),
            success_time=_v2_time(_text(data, "success_time"), _V2_DATETIME),
            amount_total=_fen(data, "total_fee", v2=True) or 0,
            amount_refund=_fen(data, "refund_fee", v2=True) or 0,
            payer_refund=_fen(data, "settlement_refund_fee", v2=True),
            user_received_account=_text(data, "refund_recv_accout"),
            raw=dict(data),
        )


@attrs.frozen(repr=False, eq=False)
class Transfer(AttrsValue):
    """A merchant transfer bill (商家转账), as its ``MCHTRANSFER.BILL.FINISHED`` notification carries it.

    ``state`` is final in a notification: ``SUCCESS``, ``FAIL`` (see
    ``fail_reason``) or ``CANCELLED``; a query answer may hold any of
    :data:`~wxkit.pay.v3.transfers.TRANSFER_STATES`. ``transfer_amount`` is
    fen. ``mchid`` is read from WeChat's ``mch_id`` (or ``mchid``); the times
    are RFC 3339 text.
    """

    out_bill_no: str
    transfer_bill_no: str
    state: str = ""
    mchid: str = ""
    appid: str = ""
    openid: str = ""
    transfer_amount: int = 0
    transfer_remark: str = ""
    fail_reason: str = ""
    create_time: str | None = None
    update_time: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_v3(cls, resource: Mapping[str, Any]) -> Transfer:
        """Build from a v3 decrypted ``mch_payment`` resource (or a transfer bill query answer)."""
        data = _mapping(resource, "transfer bill")
        return cls(
            out_bill_no=_text(data, "out_bill_no"),
            transfer_bill_no=_text(data, "transfer_bill_no"),
            state=_text(data, "state"),
            mchid=_text(data, "mch_id") or _text(data, "mchid"),
            appid=_text(data, "appid"),
            openid=_text(data, "openid"),
            transfer_amount=_fen(data, "transfer_amount") or 0,
            transfer_remark=_text(data, "transfer_remark"),
            fail_reason=_text(data, "fail_reason"),
            create_time=_text(data, "create_time") or None,
            update_time=_text(data, "update_time") or None,
            raw=dict(data),
        )


@attrs.frozen(repr=False, eq=False)
class ProfitSharing(AttrsValue):
    """One receiver's share (分账) or return (分账回退) of a sharing order: a 分账动账 notification's resource.

    WeChat sends it to the receiver (a ``MERCHANT_ID``), at the URL set on the
    receiver's merchant platform. ``mchid`` is the merchant that shared (a
    service provider's notification has ``sp_mchid`` and ``sub_mchid``
    instead); ``receiver_type`` / ``receiver_account`` / ``amount`` (fen) /
    ``description`` flatten the resource's ``receiver`` object.
    ``event_type`` is the notification's: ``PROFITSHARING.SUCCESS`` (a share),
    ``PROFITSHARING.RETURN`` (a return), or ``TRANSACTION.SUCCESS``, which
    WeChat also sends for both (then tell them apart by your own records of
    ``out_order_no``).
    """

    order_id: str
    out_order_no: str
    transaction_id: str = ""
    mchid: str = ""
    sp_mchid: str = ""
    sub_mchid: str = ""
    receiver_type: str = ""
    receiver_account: str = ""
    amount: int = 0
    description: str = ""
    success_time: str | None = None
    event_type: str = ""
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_v3(cls, resource: Mapping[str, Any], *, event_type: str = "") -> ProfitSharing:
        """Build from a v3 decrypted ``profitsharing`` resource; ``event_type`` is the notification's."""
        data = _mapping(resource, "profit sharing")
        receiver = _object(data, "receiver")
        return cls(
            order_id=_text(data, "order_id"),
            out_order_no=_text(data, "out_order_no"),
            transaction_id=_text(data, "transaction_id"),
            mchid=_text(data, "mchid"),
            sp_mchid=_text(data, "sp_mchid"),
            sub_mchid=_text(data, "sub_mchid"),
            receiver_type=_text(receiver, "type"),
            receiver_account=_text(receiver, "account"),
            amount=_fen(receiver, "amount") or 0,
            description=_text(receiver, "description"),
            success_time=_text(data, "success_time") or None,
            event_type=event_type,
            raw=dict(data),
        )
