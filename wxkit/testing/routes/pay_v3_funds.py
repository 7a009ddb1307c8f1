"""Emulator routes: WeChat Pay v3 refunds, bills, merchant transfers and profit sharing.

Endpoints (all authenticated and answered signed by :func:`~wxkit.testing.pay.v3_route`,
except the bill file, which WeChat does not sign):

- refunds: ``POST /v3/refund/domestic/refunds``, ``GET .../refunds/{out_refund_no}``,
  ``POST .../refunds/{refund_id}/apply-abnormal-refund``;
- bills: ``GET /v3/bill/tradebill``, ``GET /v3/bill/fundflowbill``, ``GET /v3/billdownload/file?token=``
  (the ``download_url`` is on the origin the client addressed, ``request.origin``: its ``Host``
  header over the receiving listener's scheme, ``https`` for :meth:`~wxkit.testing.Emulator.start_tls`'s);
- transfers (2025 transfer-bills): ``POST /v3/fund-app/mch-transfer/transfer-bills``,
  ``GET .../out-bill-no/{out_bill_no}``, ``GET .../transfer-bill-no/{transfer_bill_no}``,
  ``POST .../out-bill-no/{out_bill_no}/cancel``;
- profit sharing: ``POST /v3/profitsharing/orders``, ``GET .../orders/{out_order_no}``,
  ``POST .../orders/unfreeze``, ``POST .../return-orders``, ``GET .../return-orders/{out_return_no}``,
  ``POST .../receivers/add``, ``POST .../receivers/delete``,
  ``GET .../transactions/{transaction_id}/amounts``.

Refunds and profit sharing work on the paid orders in ``merchant.orders``
(out_trade_no -> the order as ``GET /v3/pay/transactions/...`` shows it;
:func:`seed_paid_order` makes one). State lives in ``merchant.data``:
``"refunds"`` (out_refund_no -> ``{"refund": <query answer>, "notify_url",
"abnormal": <decrypted bank details>}``), ``"transfers"`` (out_bill_no ->
``{"bill": <query answer>, "user_name": <decrypted>, "notify_url", ...}``),
``"profitsharing"`` (``receivers``, ``orders``, ``returns``, ``unsplit``) and
the bill download tokens.

Sensitive fields (transfer ``user_name``, receiver ``name``, abnormal refund
``bank_account`` / ``real_name``) are decrypted with the private key named by
the request's ``Wechatpay-Serial``: a platform certificate serial, or the
merchant's ``PUB_KEY_ID_...`` in public-key mode. A missing or unknown serial,
or a ciphertext that does not decrypt, answers 400 ``PARAM_ERROR``.

Test controls: :func:`seed_paid_order`, :func:`complete_refund`,
:func:`complete_transfer`, :func:`finish_profitsharing_order`,
:func:`tamper_bill`, :func:`set_transfer_balance`.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import DecryptError
from ...pay.amount import fen_to_yuan
from ...pay.v3.bills import ACCOUNT_TYPES, BILL_TYPES
from ...pay.v3.crypto import oaep_decrypt, oaep_encrypt
from ...pay.v3.profitsharing import RECEIVER_TYPES, RELATION_TYPES
from ..pay import MerchantState, PayAPIError, v3_route
from . import EmulatorRequest, EmulatorResponse, Router, WeChatAPIError

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = [
    "complete_refund",
    "complete_transfer",
    "decrypt_sensitive",
    "finish_profitsharing_order",
    "refund_notify_url",
    "router",
    "seed_paid_order",
    "set_transfer_balance",
    "tamper_bill",
]

router = Router()

_CST = dt.timezone(dt.timedelta(hours=8))
_PAID = ("SUCCESS", "REFUND")
#: How long a bill download_url stays valid (WeChat: 5 minutes).
BILL_URL_TTL = 300


# -- helpers ------------------------------------------------------------------------------
def _rfc3339(at: float) -> str:
    return dt.datetime.fromtimestamp(at, _CST).isoformat(timespec="seconds")


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def _day(timestamp: Any) -> str:
    """The ``yyyy-MM-dd`` (China time) of an RFC 3339 time, or ``""``."""
    if not isinstance(timestamp, str):
        return ""
    try:
        moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_CST)
    return moment.astimezone(_CST).date().isoformat()


def _clock(timestamp: Any) -> str:
    """``yyyy-MM-dd HH:mm:ss`` (China time) of an RFC 3339 time, as bills show it."""
    try:
        moment = dt.datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_CST)
    return moment.astimezone(_CST).strftime("%Y-%m-%d %H:%M:%S")


def _body(req: EmulatorRequest) -> dict[str, Any]:
    try:
        data = req.json
    except WeChatAPIError:
        data = None
    if not isinstance(data, dict):
        raise PayAPIError(400, "PARAM_ERROR", "请求体必须是 JSON 对象")
    return data


def _text(body: dict[str, Any], name: str, *, max_len: int = 64, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise PayAPIError(400, "PARAM_ERROR", f"参数 {name} 缺失或格式错误")
    return value


def _fen(container: dict[str, Any], name: str, label: str | None = None, *, allow_zero: bool = False) -> int:
    value = container.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (value == 0 and not allow_zero):
        raise PayAPIError(400, "PARAM_ERROR", f"参数 {label or name} 必须是正整数（分）")
    return value


def _store(merchant: MerchantState, name: str) -> dict[str, Any]:
    return merchant.data.setdefault(name, {})  # type: ignore[no-any-return]


def decrypt_sensitive(merchant: MerchantState, req: EmulatorRequest, ciphertext: Any, field: str) -> str:
    """Decrypt one sensitive field with the key named by the request's ``Wechatpay-Serial``.

    400 ``PARAM_ERROR`` when the header is missing, names no key of this
    merchant, or the ciphertext does not decrypt.
    """
    serial = req.headers.get("wechatpay-serial", "")
    if not serial:
        raise PayAPIError(400, "PARAM_ERROR", "请求中含有敏感信息时，必须在 HTTP 头部 Wechatpay-Serial 中填写序列号")
    key = None
    if serial == merchant.public_key_id and merchant.mode in ("public_key", "both"):
        key = merchant.signing_key()[1]  # the WeChat Pay key pair (its public half is the merchant's)
    else:
        for cert in merchant.certificates:
            if cert.serial_no == serial:
                key = cert.key
    if key is None:
        raise PayAPIError(400, "PARAM_ERROR", "Wechatpay-Serial 对应的证书或公钥不存在")
    if not isinstance(ciphertext, str):
        raise PayAPIError(400, "PARAM_ERROR", f"参数 {field} 格式错误")
    try:
        return oaep_decrypt(key, ciphertext)
    except DecryptError:
        raise PayAPIError(400, "PARAM_ERROR", f"敏感信息 {field} 解密失败，请检查加密的证书或公钥") from None


# -- orders -------------------------------------------------------------------------------
def seed_paid_order(
    merchant: MerchantState,
    out_trade_no: str,
    total: int,
    *,
    emu: Emulator | None = None,
    transaction_id: str | None = None,
    payer_total: int | None = None,
    profit_sharing: bool = False,
    openid: str = "o_wxkit_test_payer",
    appid: str | None = None,
    description: str = "wxkit test order",
) -> dict[str, Any]:
    """Put a paid JSAPI order into ``merchant.orders`` (shaped like the order query answer) and return it.

    For tests of refunds, bills and profit sharing without going through the
    order endpoints. ``profit_sharing`` records ``settle_info.profit_sharing``
    (profit sharing refuses orders that have it ``False``); the time is the
    emulator's (``emu``, or the one holding ``merchant``).
    """
    now = emu.now() if emu is not None else merchant.clock()
    order = {
        "appid": appid or merchant.appid or "wx_test_app",
        "mchid": merchant.mchid,
        "out_trade_no": out_trade_no,
        "transaction_id": transaction_id or "42" + _digits(26),
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "bank_type": "OTHERS",
        "attach": "",
        "description": description,
        "success_time": _rfc3339(now),
        "payer": {"openid": openid},
        "amount": {
            "total": total,
            "payer_total": total if payer_total is None else payer_total,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
        "settle_info": {"profit_sharing": profit_sharing},
    }
    merchant.orders[out_trade_no] = order
    return order


def _order_by_transaction(merchant: MerchantState, transaction_id: Any) -> dict[str, Any] | None:
    for order in merchant.orders.values():
        if order.get("transaction_id") == transaction_id:
            return order
    return None


def _paid_order(merchant: MerchantState, transaction_id: Any, out_trade_no: Any) -> dict[str, Any]:
    if transaction_id:
        order = _order_by_transaction(merchant, transaction_id)
    else:
        order = merchant.orders.get(out_trade_no) if isinstance(out_trade_no, str) else None
    if order is None or order.get("trade_state") not in _PAID:
        raise PayAPIError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    return order


def _order_total(order: dict[str, Any]) -> int:
    amount = order.get("amount") or {}
    return int(amount.get("total", 0))


# -- refunds ------------------------------------------------------------------------------
def _refunded(merchant: MerchantState, transaction_id: str) -> tuple[int, int]:
    """``(amount held by live refunds, number of refunds)`` of one order (CLOSED ones free their amount)."""
    held = count = 0
    for record in _store(merchant, "refunds").values():
        refund = record["refund"]
        if refund["transaction_id"] == transaction_id:
            count += 1
            if refund["status"] != "CLOSED":
                held += refund["amount"]["refund"]
    return held, count


@v3_route(router, "POST", "/v3/refund/domestic/refunds")
def create_refund(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Apply for a refund of a paid order (PROCESSING until :func:`complete_refund`)."""
    merchant: MerchantState = req.merchant
    body = _body(req)
    out_refund_no = _text(body, "out_refund_no", max_len=64)
    amount = body.get("amount")
    if not isinstance(amount, dict):
        raise PayAPIError(400, "PARAM_ERROR", "参数 amount 缺失或格式错误")
    refund = _fen(amount, "refund", "amount.refund")
    total = _fen(amount, "total", "amount.total")
    if amount.get("currency") != "CNY":
        raise PayAPIError(400, "PARAM_ERROR", "参数 amount.currency 错误，目前只支持 CNY")
    funds_account = body.get("funds_account")
    if funds_account not in (None, "AVAILABLE", "UNSETTLED"):
        raise PayAPIError(400, "PARAM_ERROR", "参数 funds_account 取值错误")
    sources = amount.get("from")
    if sources is not None:
        if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
            raise PayAPIError(400, "PARAM_ERROR", "参数 amount.from 格式错误")
        accounts = [s.get("account") for s in sources]
        if any(a not in ("AVAILABLE", "UNAVAILABLE") for a in accounts) or len(set(accounts)) != len(accounts):
            raise PayAPIError(400, "PARAM_ERROR", "参数 amount.from.account 取值错误或重复")
        if sum(_fen(s, "amount", "amount.from.amount") for s in sources) != refund:
            raise PayAPIError(400, "PARAM_ERROR", "出资账户金额之和必须等于退款金额")
    with emu.lock:
        order = _paid_order(merchant, body.get("transaction_id"), body.get("out_trade_no"))
        refunds = _store(merchant, "refunds")
        existing = refunds.get(out_refund_no)
        if existing is not None:
            same = existing["refund"]
            if same["transaction_id"] != order["transaction_id"] or same["amount"]["refund"] != refund:
                raise PayAPIError(400, "INVALID_REQUEST", "同一商户退款单号的订单号或退款金额与之前请求不一致")
            return dict(same)
        order_total = _order_total(order)
        if total != order_total:
            raise PayAPIError(400, "INVALID_REQUEST", "订单金额与原支付交易的订单金额不一致")
        held, count = _refunded(merchant, order["transaction_id"])
        if count >= 50:
            raise PayAPIError(400, "INVALID_REQUEST", "该订单的部分退款次数已超过 50 次")
        if refund > order_total - held:
            raise PayAPIError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        payer_total = int((order.get("amount") or {}).get("payer_total", order_total))
        payer_refund = refund * payer_total // order_total if order_total else refund
        record_amount: dict[str, Any] = {
            "total": order_total,
            "refund": refund,
            "payer_total": payer_total,
            "payer_refund": payer_refund,
            "settlement_refund": refund,
            "settlement_total": order_total,
            "discount_refund": refund - payer_refund,
            "currency": "CNY",
        }
        if sources is not None:
            record_amount["from"] = [{"account": s["account"], "amount": s["amount"]} for s in sources]
        data = {
            "refund_id": "50" + _digits(27),
            "out_refund_no": out_refund_no,
            "transaction_id": order["transaction_id"],
            "out_trade_no": order["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": _rfc3339(emu.now()),
            "status": "PROCESSING",
            "funds_account": funds_account or "AVAILABLE",
            "amount": record_amount,
            "promotion_detail": [],
        }
        refunds[out_refund_no] = {"refund": data, "notify_url": body.get("notify_url"), "abnormal": None}
        order["trade_state"] = "REFUND"
        return dict(data)


@v3_route(router, "GET", "/v3/refund/domestic/refunds/{out_refund_no}")
def query_refund(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Query a refund by out_refund_no (404 RESOURCE_NOT_EXISTS when unknown)."""
    record = _store(req.merchant, "refunds").get(req.path_params["out_refund_no"])
    if record is None:
        raise PayAPIError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return dict(record["refund"])


@v3_route(router, "POST", "/v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund")
def abnormal_refund(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Re-route an ABNORMAL refund to a bank card (sensitive fields decrypted); PROCESSING again."""
    merchant: MerchantState = req.merchant
    body = _body(req)
    out_refund_no = _text(body, "out_refund_no")
    kind = body.get("type")
    if kind not in ("USER_BANK_CARD", "MERCHANT_BANK_CARD"):
        raise PayAPIError(400, "PARAM_ERROR", "参数 type 取值错误")
    details: dict[str, Any] = {"type": kind}
    if kind == "USER_BANK_CARD":
        details["bank_type"] = _text(body, "bank_type", max_len=32)
        for field in ("bank_account", "real_name"):
            if field not in body:
                raise PayAPIError(400, "PARAM_ERROR", f"退款至用户银行卡时参数 {field} 必填")
            details[field] = decrypt_sensitive(merchant, req, body[field], field)
    with emu.lock:
        record = _store(merchant, "refunds").get(out_refund_no)
        if record is None or record["refund"]["refund_id"] != req.path_params["refund_id"]:
            raise PayAPIError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        refund = record["refund"]
        if refund["status"] != "ABNORMAL":
            raise PayAPIError(400, "INVALID_REQUEST", "退款单状态不是退款异常，不能发起异常退款")
        record["abnormal"] = details
        refund["status"] = "PROCESSING"
        refund["channel"] = "OTHER_BANKCARD"
        if kind == "USER_BANK_CARD":
            refund["user_received_account"] = f"{details['bank_type']} {details['bank_account'][-4:]}"
        else:
            refund["user_received_account"] = "商户结算银行账户"
        return dict(refund)


def complete_refund(
    emu: Emulator, merchant: MerchantState, out_refund_no: str, *, status: str = "SUCCESS"
) -> dict[str, Any]:
    """Finish a PROCESSING refund as ``SUCCESS``, ``CLOSED`` or ``ABNORMAL``; return it.

    The answer is the refund as ``GET /v3/refund/domestic/refunds/{no}`` shows
    it, plus the two fields only the refund notification's resource has:
    ``mchid`` and ``refund_status``. A ``CLOSED`` refund frees its amount
    for another refund. ``KeyError`` for an unknown refund, ``ValueError``
    for a bad status or a refund that is not PROCESSING.
    """
    if status not in ("SUCCESS", "CLOSED", "ABNORMAL"):
        raise ValueError("status is SUCCESS, CLOSED or ABNORMAL")
    with emu.lock:
        record = _store(merchant, "refunds")[out_refund_no]
        refund = record["refund"]
        if refund["status"] != "PROCESSING":
            raise ValueError(f"refund {out_refund_no} is {refund['status']}, not PROCESSING")
        refund["status"] = status
        if status == "SUCCESS":
            refund["success_time"] = _rfc3339(emu.now())
            from ..miniprogram import register_refund

            done = sum(
                r["refund"]["amount"]["refund"]
                for r in _store(merchant, "refunds").values()
                if r["refund"]["transaction_id"] == refund["transaction_id"] and r["refund"]["status"] == "SUCCESS"
            )
            register_refund(emu, refund["transaction_id"], done)
        return {**refund, "mchid": merchant.mchid, "refund_status": status}


def refund_notify_url(merchant: MerchantState, out_refund_no: str) -> str | None:
    """The ``notify_url`` the refund was applied with (``None`` if none; ``KeyError`` if unknown)."""
    url = _store(merchant, "refunds")[out_refund_no]["notify_url"]
    return url if isinstance(url, str) else None


# -- bills --------------------------------------------------------------------------------
#: Trade bill columns (WeChat's ALL bill); a detail value is prefixed with a backquote.
_TRADE_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
_TRADE_COLUMNS = tuple(_TRADE_HEADER.split(","))
_TRADE_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
_FLOW_HEADER = (
    "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),"
    "资金变更提交申请人,备注,业务凭证号"
)
_FLOW_SUMMARY = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
_ZERO_COLUMNS = ("应结订单金额", "代金券金额", "退款金额", "充值券退款金额", "手续费", "订单金额", "申请退款金额")


def _fee(total: int) -> int:
    return (total * 6 + 500) // 1000  # 0.6 %, rounded half up to the fen


def _yuan(fen: int) -> str:
    return f"-{fen_to_yuan(-fen)}" if fen < 0 else str(fen_to_yuan(fen))


def _row(values: list[Any]) -> str:
    return ",".join(f"`{value}" for value in values)


def _trade_line(merchant: MerchantState, order: dict[str, Any], values: dict[str, str]) -> str:
    """One detail line: the order's columns, then ``values``; unnamed amounts 0.00, other columns empty."""
    line = dict.fromkeys(_ZERO_COLUMNS, "0.00")
    line.update(
        {
            "公众账号ID": str(order.get("appid", "")),
            "商户号": merchant.mchid,
            "特约商户号": "0",
            "微信订单号": str(order.get("transaction_id", "")),
            "商户订单号": str(order.get("out_trade_no", "")),
            "用户标识": str((order.get("payer") or {}).get("openid", "")),
            "交易类型": str(order.get("trade_type", "")),
            "付款银行": str(order.get("bank_type", "")),
            "货币种类": "CNY",
            "商品名称": str(order.get("description", "")),
            "商户数据包": str(order.get("attach", "")),
            "费率": "0.60%",
        }
    )
    line.update(values)
    return _row([line.get(column, "") for column in _TRADE_COLUMNS])


def _trade_bill(merchant: MerchantState, date: str, bill_type: str) -> bytes | None:
    rows: list[tuple[str, str, str]] = []  # (time, id, line) to sort by
    settle = refunded = fees = ordered = applied = 0
    if bill_type in ("ALL", "SUCCESS"):
        for order in merchant.orders.values():
            if order.get("trade_state") not in _PAID or _day(order.get("success_time")) != date:
                continue
            total, fee = _order_total(order), _fee(_order_total(order))
            settle, fees, ordered = settle + total, fees + fee, ordered + total
            values = {
                "交易时间": _clock(order.get("success_time")),
                "交易状态": "SUCCESS",
                "应结订单金额": _yuan(total),
                "微信退款单号": "0",
                "商户退款单号": "0",
                "手续费": _yuan(fee),
                "订单金额": _yuan(total),
            }
            rows.append(
                (str(order.get("success_time")), str(order.get("transaction_id")), _trade_line(merchant, order, values))
            )
    if bill_type in ("ALL", "REFUND"):
        for record in _store(merchant, "refunds").values():
            refund = record["refund"]
            if _day(refund["create_time"]) != date:
                continue
            order = _order_by_transaction(merchant, refund["transaction_id"]) or dict(refund)
            amount, fee = refund["amount"]["refund"], -_fee(refund["amount"]["refund"])
            refunded, fees, applied = refunded + amount, fees + fee, applied + amount
            values = {
                "交易时间": _clock(refund["create_time"]),
                "交易状态": "REFUND",
                "微信退款单号": refund["refund_id"],
                "商户退款单号": refund["out_refund_no"],
                "退款金额": _yuan(amount),
                "退款类型": "ORIGINAL",
                "退款状态": refund["status"],
                "手续费": _yuan(fee),
                "订单金额": _yuan(refund["amount"]["total"]),
                "申请退款金额": _yuan(amount),
            }
            rows.append((refund["create_time"], refund["refund_id"], _trade_line(merchant, order, values)))
    if not rows:
        return None
    rows.sort()
    summary = [len(rows), _yuan(settle), _yuan(refunded), "0.00", _yuan(fees), _yuan(ordered), _yuan(applied)]
    lines = [_TRADE_HEADER, *(row[2] for row in rows), _TRADE_SUMMARY, _row(summary)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _fund_flow_bill(merchant: MerchantState, date: str, account_type: str) -> bytes | None:
    entries: list[tuple[str, str, str, str, int]] = []  # (time, business no, name, type, signed fen)
    for order in merchant.orders.values():
        if order.get("trade_state") in _PAID and _day(order.get("success_time")) == date:
            total, no = _order_total(order), str(order.get("transaction_id"))
            if account_type == "BASIC":
                entries.append((str(order.get("success_time")), no, "交易", "交易", total))
            elif account_type == "FEES":
                entries.append((str(order.get("success_time")), no, "扣除交易手续费", "扣除交易手续费", -_fee(total)))
    if account_type == "BASIC":
        for record in _store(merchant, "refunds").values():
            refund = record["refund"]
            if refund["status"] != "CLOSED" and _day(refund["create_time"]) == date:
                amount = refund["amount"]["refund"]
                entries.append((refund["create_time"], refund["refund_id"], "退款", "退款", -amount))
    if account_type == "OPERATION":
        for transfer in _store(merchant, "transfers").values():
            bill = transfer["bill"]
            if bill["state"] == "SUCCESS" and _day(bill["update_time"]) == date:
                entries.append(
                    (bill["update_time"], bill["transfer_bill_no"], "商家转账", "商家转账", -bill["transfer_amount"])
                )
    if not entries:
        return None
    entries.sort()
    lines = [_FLOW_HEADER]
    balance = income = expense = incomes = expenses = 0
    for when, no, name, kind, fen in entries:
        balance += fen
        if fen >= 0:
            income, incomes = income + fen, incomes + 1
        else:
            expense, expenses = expense - fen, expenses + 1
        flow_no = hashlib.sha1(f"{no}{kind}".encode(), usedforsecurity=False).hexdigest()[:28]
        direction = "收入" if fen >= 0 else "支出"
        values = [_clock(when), no, flow_no, name, kind, direction, _yuan(abs(fen)), _yuan(balance), merchant.mchid]
        lines.append(_row([*values, "", no]))
    lines += [_FLOW_SUMMARY, _row([len(entries), incomes, _yuan(income), expenses, _yuan(expense)])]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _bill_query(req: EmulatorRequest, kind_name: str, kinds: tuple[str, ...], default: str) -> tuple[str, str, bool]:
    date = req.query.get("bill_date", "")
    try:
        if len(date) != 10:
            raise ValueError(date)
        dt.date.fromisoformat(date)
    except ValueError:
        raise PayAPIError(400, "PARAM_ERROR", "参数 bill_date 格式错误，应为 yyyy-MM-DD") from None
    kind = req.query.get(kind_name, default)
    if kind not in kinds:
        raise PayAPIError(400, "PARAM_ERROR", f"参数 {kind_name} 取值错误")
    tar_type = req.query.get("tar_type")
    if tar_type not in (None, "GZIP"):
        raise PayAPIError(400, "PARAM_ERROR", "参数 tar_type 取值错误")
    return date, kind, tar_type == "GZIP"


def _issue_bill(emu: Emulator, req: EmulatorRequest, plain: bytes | None, gzipped: bool) -> dict[str, Any]:
    merchant: MerchantState = req.merchant
    if plain is None:
        raise PayAPIError(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在")
    body = gzip.compress(plain, mtime=0) if gzipped else plain
    hash_value = hashlib.sha1(plain, usedforsecurity=False).hexdigest()  # docs: digest of the original bill
    with emu.lock:
        tamper = merchant.data.pop("bill_tamper", None) or {}
        if tamper.get("hash_value") is not None:
            hash_value = tamper["hash_value"]
        if tamper.get("body") is not None:
            body = tamper["body"]
        token = secrets.token_urlsafe(24)
        _store(merchant, "bill_downloads")[token] = {"body": body, "expires": emu.now() + BILL_URL_TTL}
    # The origin the client used (its Host, over the listener's scheme): a TLS client gets an https URL.
    url = f"{req.origin or emu.url}/v3/billdownload/file?token={token}" + ("&tartype=gzip" if gzipped else "")
    return {"hash_type": "SHA1", "hash_value": hash_value, "download_url": url}


@v3_route(router, "GET", "/v3/bill/tradebill")
def trade_bill(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A trade bill of the merchant's paid orders and refunds on ``bill_date`` (China time)."""
    date, kind, gzipped = _bill_query(req, "bill_type", BILL_TYPES, "ALL")
    with emu.lock:
        plain = _trade_bill(req.merchant, date, kind)
    return _issue_bill(emu, req, plain, gzipped)


@v3_route(router, "GET", "/v3/bill/fundflowbill")
def fund_flow_bill(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A fund-flow bill: BASIC (payments, refunds), OPERATION (transfers) or FEES."""
    date, kind, gzipped = _bill_query(req, "account_type", ACCOUNT_TYPES, "BASIC")
    with emu.lock:
        plain = _fund_flow_bill(req.merchant, date, kind)
    return _issue_bill(emu, req, plain, gzipped)


@v3_route(router, "GET", "/v3/billdownload/file")
def download_bill(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The bill file of a download token: authenticated, answered unsigned (as WeChat does)."""
    with emu.lock:
        entry = _store(req.merchant, "bill_downloads").get(req.query.get("token", ""))
    if entry is None or emu.now() > entry["expires"]:
        raise PayAPIError(400, "PARAM_ERROR", "下载地址无效或已过期，请重新申请账单")
    body: bytes = entry["body"]
    ctype = "application/octet-stream" if body[:2] == b"\x1f\x8b" else "text/plain; charset=utf-8"
    return EmulatorResponse(200, body, ctype, {})


def tamper_bill(merchant: MerchantState, *, hash_value: str | None = None, body: bytes | None = None) -> None:
    """Make the merchant's next bill application lie: answer ``hash_value`` and/or serve ``body`` instead."""
    merchant.data["bill_tamper"] = {"hash_value": hash_value, "body": body}


# -- transfers ----------------------------------------------------------------------------
_TRANSFER_BASE = "/v3/fund-app/mch-transfer/transfer-bills"
_CANCELLABLE = ("ACCEPTED", "PROCESSING", "WAIT_USER_CONFIRM")


def set_transfer_balance(merchant: MerchantState, fen: int | None) -> None:
    """Give the merchant's operation account ``fen`` for transfers (``None``: unlimited, the default).

    A transfer above the balance answers 403 ``NOT_ENOUGH``; a transfer
    holds its amount until it fails or is cancelled.
    """
    merchant.data["transfer_balance"] = fen


def _transfer_answer(record: dict[str, Any], merchant: MerchantState) -> dict[str, Any]:
    """The query answer: the bill, with ``user_name`` encrypted for the merchant (as WeChat answers it)."""
    answer = dict(record["bill"])
    if record.get("user_name"):
        answer["user_name"] = oaep_encrypt(merchant.public_key, record["user_name"])
    return answer


@v3_route(router, "POST", _TRANSFER_BASE)
def create_transfer(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Start a transfer: WAIT_USER_CONFIRM with a ``package_info`` for the user's confirmation page."""
    merchant: MerchantState = req.merchant
    body = _body(req)
    appid = _text(body, "appid", max_len=32)
    out_bill_no = _text(body, "out_bill_no", max_len=32)
    if not out_bill_no.isascii() or not out_bill_no.isalnum():
        raise PayAPIError(400, "PARAM_ERROR", "商户单号只能由数字、大小写字母组成")
    scene = _text(body, "transfer_scene_id", max_len=36)
    openid = _text(body, "openid", max_len=64)
    amount = _fen(body, "transfer_amount")
    remark = _text(body, "transfer_remark", max_len=32)
    infos = body.get("transfer_scene_report_infos")
    if (
        not isinstance(infos, list)
        or not infos
        or not all(isinstance(i, dict) and i.get("info_type") and i.get("info_content") for i in infos)
    ):
        raise PayAPIError(400, "PARAM_ERROR", "需传入转账场景报备信息，请检查")
    user_name = None
    if "user_name" in body:
        user_name = decrypt_sensitive(merchant, req, body["user_name"], "user_name")
    elif amount >= 200000:
        raise PayAPIError(400, "PARAM_ERROR", "转账金额 >= 2,000元时，收款用户姓名必填")
    with emu.lock:
        transfers = _store(merchant, "transfers")
        existing = transfers.get(out_bill_no)
        if existing is not None:
            bill = existing["bill"]
            if (bill["openid"], bill["transfer_amount"]) != (openid, amount):
                raise PayAPIError(400, "INVALID_REQUEST", "商户单号重复，且与原单的收款用户或金额不一致")
            return _create_answer(existing)
        balance = merchant.data.get("transfer_balance")
        if balance is not None:
            if amount > balance:
                raise PayAPIError(403, "NOT_ENOUGH", "商户运营账户资金不足，充值后可以原单号发起重试，请勿更换商户单号")
            merchant.data["transfer_balance"] = balance - amount
        now = _rfc3339(emu.now())
        bill = {
            "mch_id": merchant.mchid,
            "out_bill_no": out_bill_no,
            "transfer_bill_no": "1330" + _digits(30),
            "appid": appid,
            "state": "WAIT_USER_CONFIRM",
            "transfer_amount": amount,
            "transfer_remark": remark,
            "openid": openid,
            "create_time": now,
            "update_time": now,
        }
        record = {
            "bill": bill,
            "user_name": user_name,
            "notify_url": body.get("notify_url"),
            "package_info": base64.b64encode(secrets.token_bytes(48)).decode("ascii"),
            "transfer_scene_id": scene,
            "transfer_scene_report_infos": infos,
            "user_recv_perception": body.get("user_recv_perception"),
        }
        transfers[out_bill_no] = record
        return _create_answer(record)


def _create_answer(record: dict[str, Any]) -> dict[str, Any]:
    bill = record["bill"]
    answer = {k: bill[k] for k in ("out_bill_no", "transfer_bill_no", "create_time", "state")}
    if bill["state"] == "WAIT_USER_CONFIRM":
        answer["package_info"] = record["package_info"]
    if bill.get("fail_reason"):
        answer["fail_reason"] = bill["fail_reason"]
    return answer


def _transfer(merchant: MerchantState, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    records: dict[str, dict[str, Any]] = _store(merchant, "transfers")
    for record in records.values():
        if match(record["bill"]):
            return record
    raise PayAPIError(404, "NOT_FOUND", "记录不存在")


@v3_route(router, "GET", _TRANSFER_BASE + "/out-bill-no/{out_bill_no}")
def query_transfer_by_out_bill_no(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Query a transfer by the merchant's number (404 NOT_FOUND when unknown)."""
    no = req.path_params["out_bill_no"]
    with emu.lock:
        return _transfer_answer(_transfer(req.merchant, lambda b: b["out_bill_no"] == no), req.merchant)


@v3_route(router, "GET", _TRANSFER_BASE + "/transfer-bill-no/{transfer_bill_no}")
def query_transfer_by_transfer_bill_no(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Query a transfer by WeChat's number (404 NOT_FOUND when unknown)."""
    no = req.path_params["transfer_bill_no"]
    with emu.lock:
        return _transfer_answer(_transfer(req.merchant, lambda b: b["transfer_bill_no"] == no), req.merchant)


@v3_route(router, "POST", _TRANSFER_BASE + "/out-bill-no/{out_bill_no}/cancel")
def cancel_transfer(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Cancel a transfer the user has not confirmed: CANCELING (400 INVALID_REQUEST in any later state)."""
    no = req.path_params["out_bill_no"]
    with emu.lock:
        bill = _transfer(req.merchant, lambda b: b["out_bill_no"] == no)["bill"]
        if bill["state"] in _CANCELLABLE:
            bill["state"] = "CANCELING"
            bill["update_time"] = _rfc3339(emu.now())
        elif bill["state"] not in ("CANCELING", "CANCELLED"):
            raise PayAPIError(400, "INVALID_REQUEST", f"转账单当前状态为 {bill['state']}，不支持撤销")
        return {k: bill[k] for k in ("out_bill_no", "transfer_bill_no", "state", "update_time")}


def complete_transfer(
    emu: Emulator,
    merchant: MerchantState,
    out_bill_no: str,
    *,
    state: str | None = None,
    fail_reason: str = "PAYEE_ACCOUNT_ABNORMAL",
) -> dict[str, Any]:
    """Move a transfer on, as the user and WeChat would; return the query answer.

    ``state`` defaults to ``SUCCESS`` (the user confirmed and was paid), or
    ``CANCELLED`` for a ``CANCELING`` bill. ``TRANSFERING`` (confirmed,
    pending) and ``FAIL`` (with ``fail_reason``) are accepted from the open
    states; a ``CANCELING`` bill only becomes ``CANCELLED``. The answer's
    fields are those of the transfer notification's resource (``out_bill_no``,
    ``transfer_bill_no``, ``state``, ``mch_id``, ``transfer_amount``,
    ``openid``, ``fail_reason``, ``create_time``, ``update_time``) and more.
    ``KeyError`` for an unknown bill, ``ValueError`` for a move WeChat never makes.
    """
    with emu.lock:
        record = _store(merchant, "transfers")[out_bill_no]
        bill = record["bill"]
        current = bill["state"]
        target = state or ("CANCELLED" if current == "CANCELING" else "SUCCESS")
        allowed = {"CANCELING": ("CANCELLED",)}.get(
            current, ("TRANSFERING", "SUCCESS", "FAIL") if current in (*_CANCELLABLE, "TRANSFERING") else ()
        )
        if target not in allowed:
            raise ValueError(f"transfer {out_bill_no} cannot go from {current} to {target}")
        bill["state"] = target
        bill["update_time"] = _rfc3339(emu.now())
        if target == "FAIL":
            bill["fail_reason"] = fail_reason
        if target in ("FAIL", "CANCELLED") and merchant.data.get("transfer_balance") is not None:
            merchant.data["transfer_balance"] += bill["transfer_amount"]
        return _transfer_answer(record, merchant)


# -- profit sharing -----------------------------------------------------------------------


def _sharing(merchant: MerchantState) -> dict[str, Any]:
    state = _store(merchant, "profitsharing")
    for key in ("receivers", "orders", "returns", "unsplit"):
        state.setdefault(key, {})
    return state


def _unsplit(state: dict[str, Any], order: dict[str, Any]) -> int:
    return int(state["unsplit"].setdefault(order["transaction_id"], _order_total(order)))


def _sharing_order(merchant: MerchantState, transaction_id: Any) -> dict[str, Any]:
    order = _order_by_transaction(merchant, transaction_id) if isinstance(transaction_id, str) else None
    if order is None or order.get("trade_state") not in _PAID:
        raise PayAPIError(404, "RESOURCE_NOT_EXISTS", "记录不存在")
    settle = order.get("settle_info")
    if not (isinstance(settle, dict) and settle.get("profit_sharing") is True):
        raise PayAPIError(400, "INVALID_REQUEST", "非分账订单不支持分账")
    return order


def _new_sharing_order(
    emu: Emulator, merchant: MerchantState, order: dict[str, Any], out_order_no: str, receivers: list[dict[str, Any]]
) -> dict[str, Any]:
    now = _rfc3339(emu.now())
    return {
        "transaction_id": order["transaction_id"],
        "out_order_no": out_order_no,
        "order_id": "3008" + _digits(24),
        "state": "PROCESSING",
        "receivers": [
            {**r, "result": "PENDING", "detail_id": "3601" + _digits(24), "create_time": now, "finish_time": now}
            for r in receivers
        ],
    }


@v3_route(router, "POST", "/v3/profitsharing/receivers/add")
def add_receiver(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Register a receiver (the name, decrypted, is kept; MERCHANT_ID needs one)."""
    merchant: MerchantState = req.merchant
    body = _body(req)
    appid = _text(body, "appid", max_len=32)
    kind = body.get("type")
    if kind not in RECEIVER_TYPES:
        raise PayAPIError(400, "PARAM_ERROR", "参数 type 取值错误")
    account = _text(body, "account", max_len=64)
    relation = body.get("relation_type")
    if relation not in RELATION_TYPES:
        raise PayAPIError(400, "PARAM_ERROR", "参数 relation_type 取值错误")
    custom = body.get("custom_relation")
    if relation == "CUSTOM" and not (isinstance(custom, str) and custom):
        raise PayAPIError(400, "PARAM_ERROR", "relation_type 为 CUSTOM 时 custom_relation 必填")
    name = None
    if "name" in body:
        name = decrypt_sensitive(merchant, req, body["name"], "name")
    elif kind == "MERCHANT_ID":
        raise PayAPIError(400, "PARAM_ERROR", "分账接收方类型为 MERCHANT_ID 时 name 必填")
    with emu.lock:
        _sharing(merchant)["receivers"][(kind, account)] = {
            "appid": appid,
            "type": kind,
            "account": account,
            "name": name,
            "relation_type": relation,
            "custom_relation": custom,
        }
    answer = {"type": kind, "account": account, "relation_type": relation}
    if custom is not None:
        answer["custom_relation"] = custom
    return answer


@v3_route(router, "POST", "/v3/profitsharing/receivers/delete")
def delete_receiver(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Remove a receiver (removing an absent one succeeds too)."""
    body = _body(req)
    _text(body, "appid", max_len=32)
    kind = body.get("type")
    if kind not in RECEIVER_TYPES:
        raise PayAPIError(400, "PARAM_ERROR", "参数 type 取值错误")
    account = _text(body, "account", max_len=64)
    with emu.lock:
        _sharing(req.merchant)["receivers"].pop((kind, account), None)
    return {"type": kind, "account": account}


@v3_route(router, "POST", "/v3/profitsharing/orders")
def create_sharing_order(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Share a paid order's money among registered receivers (PROCESSING until finished)."""
    merchant: MerchantState = req.merchant
    body = _body(req)
    _text(body, "appid", max_len=32)
    out_order_no = _text(body, "out_order_no", max_len=64)
    unfreeze = body.get("unfreeze_unsplit")
    if not isinstance(unfreeze, bool):
        raise PayAPIError(400, "PARAM_ERROR", "参数 unfreeze_unsplit 缺失或格式错误")
    receivers = body.get("receivers")
    if not isinstance(receivers, list) or not receivers or len(receivers) > 50:
        raise PayAPIError(400, "PARAM_ERROR", "分账接收方列表格式错误")
    items: list[dict[str, Any]] = []
    for receiver in receivers:
        if not isinstance(receiver, dict) or receiver.get("type") not in RECEIVER_TYPES:
            raise PayAPIError(400, "PARAM_ERROR", "分账接收方列表格式错误")
        item = {
            "amount": _fen(receiver, "amount", "receivers.amount"),
            "description": _text(receiver, "description", max_len=80),
            "type": receiver["type"],
            "account": _text(receiver, "account", max_len=64),
        }
        if "name" in receiver:
            item["name"] = decrypt_sensitive(merchant, req, receiver["name"], "receivers.name")
        items.append(item)
    with emu.lock:
        state = _sharing(merchant)
        order = _sharing_order(merchant, body.get("transaction_id"))
        existing = state["orders"].get(out_order_no)
        if existing is not None:
            return _sharing_answer(existing)
        for item in items:
            known = state["receivers"].get((item["type"], item["account"]))
            if known is None:
                raise PayAPIError(400, "INVALID_REQUEST", "分账接收方关系不存在，请检查参数中每个接收方的关系")
            if item.get("name") is not None and known["name"] is not None and item["name"] != known["name"]:
                raise PayAPIError(400, "INVALID_REQUEST", "分账接收方姓名与添加时不一致")
        unsplit = _unsplit(state, order)
        shared = sum(item["amount"] for item in items)
        if shared > unsplit:
            raise PayAPIError(400, "INVALID_REQUEST", "分账金额不足")
        public = [{k: v for k, v in item.items() if k != "name"} for item in items]
        left = unsplit - shared
        if unfreeze and left:
            public.append(
                {"amount": left, "description": "解冻给分账方", "type": "MERCHANT_ID", "account": merchant.mchid}
            )
        state["unsplit"][order["transaction_id"]] = 0 if unfreeze else left
        record = _new_sharing_order(emu, merchant, order, out_order_no, public)
        record["_names"] = [item.get("name") for item in items]
        state["orders"][out_order_no] = record
        return _sharing_answer(record)


def _sharing_answer(record: dict[str, Any]) -> dict[str, Any]:
    return {k: ([dict(r) for r in v] if k == "receivers" else v) for k, v in record.items() if not k.startswith("_")}


def _sharing_lookup(
    emu: Emulator,
    req: EmulatorRequest,
    table: str,
    path_key: str,
    query_key: str,
    view: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """``view`` of the sharing record (``table``: ``orders`` / ``returns``) the path names.

    The ``query_key`` query parameter is required and must match the record's
    (400 ``PARAM_ERROR`` when missing, 404 ``RESOURCE_NOT_EXISTS`` otherwise).
    """
    expected = req.query.get(query_key)
    if not expected:
        raise PayAPIError(400, "PARAM_ERROR", f"参数 {query_key} 必填")
    with emu.lock:
        record = _sharing(req.merchant)[table].get(req.path_params[path_key])
        if record is None or record[query_key] != expected:
            raise PayAPIError(404, "RESOURCE_NOT_EXISTS", "记录不存在")
        return view(record)


@v3_route(router, "GET", "/v3/profitsharing/orders/{out_order_no}")
def query_sharing_order(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Query a sharing order (``transaction_id`` query parameter required)."""
    return _sharing_lookup(emu, req, "orders", "out_order_no", "transaction_id", _sharing_answer)


@v3_route(router, "POST", "/v3/profitsharing/orders/unfreeze")
def unfreeze(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Release the whole unshared amount to the merchant (a FINISHED order of one MERCHANT_ID line)."""
    merchant: MerchantState = req.merchant
    body = _body(req)
    out_order_no = _text(body, "out_order_no", max_len=64)
    description = _text(body, "description", max_len=80)
    with emu.lock:
        state = _sharing(merchant)
        order = _sharing_order(merchant, body.get("transaction_id"))
        existing = state["orders"].get(out_order_no)
        if existing is not None:
            return _sharing_answer(existing)
        left = _unsplit(state, order)
        if left == 0:
            raise PayAPIError(400, "INVALID_REQUEST", "订单剩余待分金额为 0，无需解冻")
        state["unsplit"][order["transaction_id"]] = 0
        line = {"amount": left, "description": description, "type": "MERCHANT_ID", "account": merchant.mchid}
        record = _new_sharing_order(emu, merchant, order, out_order_no, [line])
        record["state"] = "FINISHED"
        record["receivers"][0]["result"] = "SUCCESS"
        state["orders"][out_order_no] = record
        return _sharing_answer(record)


def finish_profitsharing_order(
    emu: Emulator,
    merchant: MerchantState,
    out_order_no: str,
    *,
    result: str = "SUCCESS",
    fail_reason: str | None = None,
) -> dict[str, Any]:
    """Finish a PROCESSING sharing order: every PENDING receiver line gets ``result``; return the order.

    ``result`` is ``SUCCESS`` or ``CLOSED`` (then ``fail_reason``, default
    ``ACCOUNT_ABNORMAL``). ``KeyError`` for an unknown order.
    """
    if result not in ("SUCCESS", "CLOSED"):
        raise ValueError("result is SUCCESS or CLOSED")
    with emu.lock:
        record = _sharing(merchant)["orders"][out_order_no]
        now = _rfc3339(emu.now())
        record["state"] = "FINISHED"
        for line in record["receivers"]:
            if line["result"] == "PENDING":
                line["result"] = result
                line["finish_time"] = now
                if result == "CLOSED":
                    line["fail_reason"] = fail_reason or "ACCOUNT_ABNORMAL"
        return _sharing_answer(record)


@v3_route(router, "POST", "/v3/profitsharing/return-orders")
def create_return(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Take shared money back from a MERCHANT_ID receiver of a sharing order (SUCCESS at once)."""
    merchant: MerchantState = req.merchant
    body = _body(req)
    out_return_no = _text(body, "out_return_no", max_len=64)
    return_mchid = _text(body, "return_mchid", max_len=32)
    amount = _fen(body, "amount")
    description = _text(body, "description", max_len=80)
    order_id, out_order_no = body.get("order_id"), body.get("out_order_no")
    if not order_id and not out_order_no:
        raise PayAPIError(400, "PARAM_ERROR", "order_id 和 out_order_no 必须二选一")
    with emu.lock:
        state = _sharing(merchant)
        existing = state["returns"].get(out_return_no)
        if existing is not None:
            return dict(existing)
        record = next(
            (
                r
                for no, r in state["orders"].items()
                if (order_id and r["order_id"] == order_id) or (not order_id and no == out_order_no)
            ),
            None,
        )
        if record is None:
            raise PayAPIError(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
        shared = sum(
            line["amount"]
            for line in record["receivers"]
            if line["type"] == "MERCHANT_ID" and line["account"] == return_mchid and line["result"] != "CLOSED"
        )
        returned = sum(
            r["amount"]
            for r in state["returns"].values()
            if r["order_id"] == record["order_id"] and r["return_mchid"] == return_mchid
        )
        if shared == 0:
            raise PayAPIError(400, "INVALID_REQUEST", "回退商户号不是该分账单的分账接收方")
        if amount > shared - returned:
            raise PayAPIError(400, "INVALID_REQUEST", "回退金额超过可回退金额")
        now = _rfc3339(emu.now())
        answer = {
            "order_id": record["order_id"],
            "out_order_no": record["out_order_no"],
            "out_return_no": out_return_no,
            "return_id": "3008" + _digits(24),
            "return_mchid": return_mchid,
            "amount": amount,
            "description": description,
            "result": "SUCCESS",
            "create_time": now,
            "finish_time": now,
        }
        state["returns"][out_return_no] = answer
        return dict(answer)


@v3_route(router, "GET", "/v3/profitsharing/return-orders/{out_return_no}")
def query_return(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Query a return (``out_order_no`` query parameter required)."""
    return _sharing_lookup(emu, req, "returns", "out_return_no", "out_order_no", dict)


@v3_route(router, "GET", "/v3/profitsharing/transactions/{transaction_id}/amounts")
def query_amounts(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The amount of an order still to share."""
    transaction_id = req.path_params["transaction_id"]
    with emu.lock:
        order = _order_by_transaction(req.merchant, transaction_id)
        if order is None or order.get("trade_state") not in _PAID:
            raise PayAPIError(404, "RESOURCE_NOT_EXISTS", "记录不存在")
        return {"transaction_id": transaction_id, "unsplit_amount": _unsplit(_sharing(req.merchant), order)}
