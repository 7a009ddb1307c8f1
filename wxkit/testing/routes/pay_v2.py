"""Emulator routes: WeChat Pay v2, the XML API.

Every endpoint of :class:`wxkit.pay.v2.PayClientV2` is served for a merchant
registered with a ``v2_key`` (``emu.add_merchant(..., v2_key=...)``), found by
the request's ``mch_id``. Each request's ``sign`` is checked with the
request's ``sign_type`` (MD5 by default): a wrong one answers ``return_code``
``FAIL`` / ``return_msg`` ``签名错误``, unsigned, as WeChat does. Answers are
signed with the same key and sign type. The same endpoints under
``/sandboxnew`` form the simulation system: its key comes from
``/sandboxnew/pay/getsignkey`` and its orders are kept apart.

State lives in ``merchant.data``: ``"v2_orders"`` (out_trade_no -> order
dict with ``trade_state``, ``total_fee``, ``notify_url``, ``sign_type``,
``transaction_id`` ...), ``"v2_refunds"`` (out_refund_no -> refund dict with
``refund_status`` ...), ``"v2_sandbox_orders"`` / ``"v2_sandbox_refunds"``,
``"v2_sandbox_key"``. Test controls: :func:`complete_payment_v2` (the user
paid: returns the signed notification fields) and :func:`complete_refund_v2`
(the refund succeeded: returns the notification with ``req_info``
encrypted); ``merchant.data["v2_micropay_next"] = "USERPAYING"`` makes the
next ``/pay/micropay`` answer that error code. A paid order's ``is_subscribe``
(notification, ``orderquery``, ``micropay``) is ``Y`` when its ``openid`` is a
subscribed follower of its ``appid`` on the emulator (``app.add_follower``),
else ``N``.

The client certificate (``/secapi/...``, ``/pay/downloadfundflow``) is TLS
client authentication, checked for a merchant with
``merchant.data["require_client_cert"] = True``: such a request must come
over :meth:`~wxkit.testing.Emulator.start_tls` with a verified client
certificate (``request.client_cert``), else it gets the HTTP 400 page
WeChat's front end answers (``No required SSL certificate was sent``), before
the sign is checked; a certificate whose common name is not the request's
``mch_id`` answers ``return_code`` ``FAIL`` (:data:`CERT_MISMATCH_MSG`).
Without the flag those endpoints are answered like the others.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ...errors import ParseError
from ...pay.v2 import SANDBOX_PREFIX, SIGN_TYPES, encrypt_req_info, sign, verify
from ...xmlcodec import parse_xml, render_xml
from . import EmulatorRequest, EmulatorResponse, Router

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..pay import MerchantState

__all__ = ["CERT_MISMATCH_MSG", "CERT_PATHS", "complete_payment_v2", "complete_refund_v2", "router"]

router = Router()

_BEIJING = dt.timezone(dt.timedelta(hours=8))
_TRADE_TYPES = ("JSAPI", "NATIVE", "APP", "MWEB")
_AUTH_CODE = re.compile(r"^1[0-5]\d{16}\Z")
_DATE = re.compile(r"^\d{8}\Z")
_XML = "text/xml; charset=utf-8"

#: The endpoints that need the merchant's client certificate (also under ``/sandboxnew``).
CERT_PATHS = frozenset({"/secapi/pay/refund", "/secapi/pay/reverse", "/pay/downloadfundflow"})
#: ``return_msg`` for a client certificate issued to another merchant (our wording: WeChat documents none).
CERT_MISMATCH_MSG = "证书错误：证书与mch_id不匹配"
#: What WeChat Pay's front end (nginx) answers a ``/secapi`` request that carried no client certificate.
_NO_CERT_PAGE = (
    b"<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n"
    b"<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class _Fail(Exception):
    """Answer ``return_code`` FAIL (protocol errors: XML, sign, missing parameters)."""

    def __init__(self, msg: str, **extra: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


class _Biz(Exception):
    """Answer ``result_code`` FAIL with ``err_code`` / ``err_code_des``."""

    def __init__(self, code: str, des: str) -> None:
        super().__init__(code)
        self.code = code
        self.des = des


@attrs.define
class _Call:
    emu: Emulator
    merchant: MerchantState
    fields: dict[str, str]
    sandbox: bool
    key: str
    sign_type: str

    def store(self, kind: str) -> dict[str, dict[str, Any]]:
        name = f"v2_sandbox_{kind}" if self.sandbox else f"v2_{kind}"
        store: dict[str, dict[str, Any]] = self.merchant.data.setdefault(name, {})
        return store

    def require(self, *names: str) -> None:
        for name in names:
            if not self.fields.get(name):
                raise _Fail(f"缺少参数{name}")

    def fen(self, name: str) -> int:
        text = self.fields.get(name, "")
        if not text.isdigit() or int(text) <= 0 or text[0] == "0":
            raise _Fail(f"{name}参数格式错误")
        return int(text)


def _now(emu: Emulator) -> dt.datetime:
    return dt.datetime.fromtimestamp(emu.now(), _BEIJING)


def _digits(n: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(n))


def _sandbox_key(merchant: MerchantState) -> str:
    key: str = merchant.data.setdefault("v2_sandbox_key", secrets.token_hex(16))
    return key


def _xml(fields: dict[str, Any]) -> EmulatorResponse:
    return EmulatorResponse(200, render_xml(fields).encode("utf-8"), _XML)


def _fail(msg: str, **extra: str) -> EmulatorResponse:
    return _xml({"return_code": "FAIL", "return_msg": msg, **extra})


def _answer(call: _Call, fields: dict[str, Any]) -> EmulatorResponse:
    answer: dict[str, Any] = {
        "return_code": "SUCCESS",
        "return_msg": "OK",
        "appid": call.fields.get("appid", ""),
        "mch_id": call.merchant.mchid,
        "nonce_str": secrets.token_hex(8),
        "result_code": "SUCCESS",
        **fields,
    }
    answer["sign"] = sign(answer, call.key, call.sign_type)
    return _xml(answer)


Handler = Callable[[_Call], "dict[str, Any] | EmulatorResponse"]


def _serve(
    emu: Emulator, req: EmulatorRequest, handler: Handler, sandbox: bool, *, cert: bool = False
) -> EmulatorResponse:
    try:
        fields = parse_xml(req.body)
    except ParseError:
        return _fail("XML格式错误")
    if not all(isinstance(v, str) for v in fields.values()):
        return _fail("XML格式错误")
    merchant = emu.merchants.get(fields.get("mch_id", ""))
    if merchant is None or not merchant.v2_key:
        return _fail("mch_id参数错误：商户号不存在")
    if cert and merchant.data.get("require_client_cert"):
        if req.client_cert is None:
            return EmulatorResponse(400, _NO_CERT_PAGE, "text/html")
        if req.client_cert.get("common_name") != merchant.mchid:
            return _fail(CERT_MISMATCH_MSG)
    sign_type = fields.get("sign_type") or "MD5"
    if sign_type not in SIGN_TYPES:
        return _fail("sign_type参数格式错误")
    key = _sandbox_key(merchant) if sandbox else merchant.v2_key
    if not verify(fields, key, sign_type):
        return _fail("签名错误")
    call = _Call(emu, merchant, fields, sandbox, key, sign_type)
    if handler is not _get_sign_key and merchant.appid and fields.get("appid") != merchant.appid:
        return _answer(
            call, {"result_code": "FAIL", "err_code": "APPID_MCHID_NOT_MATCH", "err_code_des": "appid和mch_id不匹配"}
        )
    try:
        result = handler(call)
    except _Fail as exc:
        return _fail(exc.msg, **exc.extra)
    except _Biz as exc:
        return _answer(call, {"result_code": "FAIL", "err_code": exc.code, "err_code_des": exc.des})
    if isinstance(result, EmulatorResponse):
        return result
    return _answer(call, result)


def _register(path: str) -> Callable[[Handler], Handler]:
    """Serve ``handler`` at ``POST path`` and at the simulation system's ``POST /sandboxnew{path}``."""

    def register(handler: Handler) -> Handler:
        for sandbox in (False, True):

            def route(emu: Emulator, req: EmulatorRequest, sandbox: bool = sandbox) -> EmulatorResponse:
                with emu.lock:
                    return _serve(emu, req, handler, sandbox, cert=path in CERT_PATHS)

            route.__doc__ = handler.__doc__
            router.route("POST", SANDBOX_PREFIX + path if sandbox else path, auth=False)(route)
        return handler

    return register


# -- orders --------------------------------------------------------------------------------------
def _find_order(call: _Call) -> dict[str, Any]:
    orders = call.store("orders")
    transaction_id = call.fields.get("transaction_id")
    out_trade_no = call.fields.get("out_trade_no")
    if not transaction_id and not out_trade_no:
        raise _Fail("缺少参数out_trade_no")
    if transaction_id:
        for order in orders.values():
            if order.get("transaction_id") == transaction_id:
                return order
    elif out_trade_no in orders:
        return orders[str(out_trade_no)]
    raise _Biz("ORDERNOTEXIST", "订单不存在")


@_register("/pay/unifiedorder")
def _unified_order(call: _Call) -> dict[str, Any]:
    """``/pay/unifiedorder``: create (or return the same) unpaid order."""
    call.require("body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type")
    total_fee = call.fen("total_fee")
    f = call.fields
    trade_type = f["trade_type"]
    if trade_type not in _TRADE_TYPES:
        raise _Fail("trade_type参数格式错误")
    if trade_type == "JSAPI" and not f.get("openid"):
        raise _Fail("JSAPI支付必须传openid")
    if trade_type == "NATIVE" and not f.get("product_id"):
        raise _Fail("NATIVE支付必须传product_id")
    orders = call.store("orders")
    order = orders.get(f["out_trade_no"])
    if order is not None:
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            raise _Biz("ORDERPAID", "该订单已支付")
        if order["trade_state"] in ("CLOSED", "REVOKED"):
            raise _Biz("ORDERCLOSED", "该订单已关闭")
        same = (order["total_fee"], order["body"], order["trade_type"]) == (total_fee, f["body"], trade_type)
        if not same:
            raise _Biz("INVALID_REQUEST", "商户订单号重复")
    else:
        now = _now(call.emu)
        order = {
            "out_trade_no": f["out_trade_no"],
            "appid": f.get("appid", ""),
            "body": f["body"],
            "total_fee": total_fee,
            "fee_type": f.get("fee_type") or "CNY",
            "trade_type": trade_type,
            "openid": f.get("openid", ""),
            "product_id": f.get("product_id", ""),
            "attach": f.get("attach", ""),
            "device_info": f.get("device_info", ""),
            "scene_info": f.get("scene_info", ""),
            "notify_url": f["notify_url"],
            "sign_type": call.sign_type,
            "trade_state": "NOTPAY",
            "prepay_id": f"wx{now:%Y%m%d%H%M%S}{secrets.token_hex(9)}",
            "transaction_id": "",
            "time_end": "",
            "refunded_fee": 0,
            "created": call.emu.now(),
        }
        orders[order["out_trade_no"]] = order
    answer: dict[str, Any] = {"trade_type": trade_type, "prepay_id": order["prepay_id"]}
    if f.get("device_info"):
        answer["device_info"] = f["device_info"]
    if trade_type == "NATIVE":
        answer["code_url"] = f"weixin://wxpay/bizpayurl?pr={order['prepay_id'][-7:]}"
    elif trade_type == "MWEB":
        answer["mweb_url"] = f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={order['prepay_id']}"
    return answer


def _is_subscribe(emu: Emulator, order: dict[str, Any]) -> str:
    """``Y`` when the payer follows the order's appid (an emulated account), else ``N``."""
    app = emu.apps.get(order["appid"])
    user = app.followers.get(order["openid"]) if app is not None else None
    return "Y" if user is not None and user.get("subscribe", 1) else "N"


def _paid_fields(emu: Emulator, order: dict[str, Any]) -> dict[str, Any]:
    return {
        "openid": order["openid"],
        "is_subscribe": _is_subscribe(emu, order),
        "trade_type": order["trade_type"],
        "bank_type": "OTHERS",
        "total_fee": order["total_fee"],
        "fee_type": order["fee_type"],
        "cash_fee": order["total_fee"],
        "transaction_id": order["transaction_id"],
        "out_trade_no": order["out_trade_no"],
        "time_end": order["time_end"],
    }


_STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "REFUND": "转入退款",
    "CLOSED": "已关闭",
    "REVOKED": "已撤销（付款码支付）",
    "USERPAYING": "用户支付中（付款码支付）",
    "PAYERROR": "支付失败",
}


@_register("/pay/orderquery")
def _order_query(call: _Call) -> dict[str, Any]:
    """``/pay/orderquery``: the order's ``trade_state`` (ORDERNOTEXIST when unknown)."""
    order = _find_order(call)
    answer: dict[str, Any] = {
        "out_trade_no": order["out_trade_no"],
        "total_fee": order["total_fee"],
        "trade_type": order["trade_type"],
        "trade_state": order["trade_state"],
        "trade_state_desc": _STATE_DESC[order["trade_state"]],
    }
    if order["transaction_id"]:
        answer.update(_paid_fields(call.emu, order))
    if order["attach"]:
        answer["attach"] = order["attach"]
    if order["device_info"]:
        answer["device_info"] = order["device_info"]
    return answer


@_register("/pay/closeorder")
def _close_order(call: _Call) -> dict[str, Any]:
    """``/pay/closeorder``: close an unpaid order (ORDERPAID / ORDERCLOSED otherwise)."""
    call.require("out_trade_no")
    order = call.store("orders").get(call.fields["out_trade_no"])
    if order is None:
        raise _Biz("ORDERNOTEXIST", "订单不存在")
    if order["trade_state"] in ("SUCCESS", "REFUND"):
        raise _Biz("ORDERPAID", "订单已支付，不能发起关单")
    if order["trade_state"] in ("CLOSED", "REVOKED"):
        raise _Biz("ORDERCLOSED", "订单已关闭，无法重复关闭")
    order["trade_state"] = "CLOSED"
    return {}


def _mark_paid(call_emu: Emulator, order: dict[str, Any], mchid: str) -> None:
    order["trade_state"] = "SUCCESS"
    order["transaction_id"] = "4200" + _digits(24)
    order["time_end"] = _stamp(call_emu.now())
    if not order["openid"]:
        order["openid"] = "o_emulated_payer"
    from ..miniprogram import register_payment

    register_payment(
        call_emu,
        order["appid"],
        order["openid"],
        transaction_id=order["transaction_id"],
        mchid=mchid,
        out_trade_no=order["out_trade_no"],
        amount=order["total_fee"],
        description=order["body"],
    )


@_register("/pay/micropay")
def _micropay(call: _Call) -> dict[str, Any]:
    """``/pay/micropay``: charge a payment code (18 digits starting 10-15); paid at once."""
    call.require("body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code")
    total_fee = call.fen("total_fee")
    f = call.fields
    if not _AUTH_CODE.match(f["auth_code"]):
        raise _Biz("AUTH_CODE_INVALID", "请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)")
    orders = call.store("orders")
    order = orders.get(f["out_trade_no"])
    if order is not None:
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            raise _Biz("ORDERPAID", "订单已支付")
        if order["trade_state"] in ("CLOSED", "REVOKED"):
            raise _Biz("ORDERREVERSED", "当前订单已经被撤销")
    order = {
        "out_trade_no": f["out_trade_no"],
        "appid": f.get("appid", ""),
        "body": f["body"],
        "total_fee": total_fee,
        "fee_type": f.get("fee_type") or "CNY",
        "trade_type": "MICROPAY",
        "openid": "",
        "product_id": "",
        "attach": f.get("attach", ""),
        "device_info": f.get("device_info", ""),
        "notify_url": "",
        "sign_type": call.sign_type,
        "trade_state": "NOTPAY",
        "prepay_id": "",
        "transaction_id": "",
        "time_end": "",
        "refunded_fee": 0,
        "created": call.emu.now(),
    }
    orders[order["out_trade_no"]] = order
    next_error = call.merchant.data.pop("v2_micropay_next", None)
    if next_error is not None:
        order["trade_state"] = "USERPAYING" if next_error == "USERPAYING" else "PAYERROR"
        raise _Biz(str(next_error), "需要用户输入支付密码" if next_error == "USERPAYING" else "支付失败")
    _mark_paid(call.emu, order, call.merchant.mchid)
    answer = _paid_fields(call.emu, order)
    if order["attach"]:
        answer["attach"] = order["attach"]
    return answer


@_register("/secapi/pay/reverse")
def _reverse(call: _Call) -> dict[str, Any]:
    """``/secapi/pay/reverse``: revoke a payment-code order (refunded if paid); ``recall`` N."""
    order = _find_order(call)
    if order["trade_state"] == "REFUND":
        raise _Biz("TRADE_ERROR", "订单已退款，不能撤销")
    if order["trade_state"] == "SUCCESS":
        order["refunded_fee"] = order["total_fee"]
    order["trade_state"] = "REVOKED"
    return {"recall": "N"}


# -- refunds -------------------------------------------------------------------------------------
@_register("/secapi/pay/refund")
def _refund(call: _Call) -> dict[str, Any]:
    """``/secapi/pay/refund``: refund a paid order; the same out_refund_no is the same refund."""
    call.require("out_refund_no", "total_fee", "refund_fee")
    total_fee = call.fen("total_fee")
    refund_fee = call.fen("refund_fee")
    order = _find_order(call)
    if order["trade_state"] not in ("SUCCESS", "REFUND"):
        raise _Biz("TRADE_STATE_ERROR", "订单状态错误，不能退款")
    if total_fee != order["total_fee"]:
        raise _Biz("PARAM_ERROR", "订单金额与支付金额不一致")
    refunds = call.store("refunds")
    out_refund_no = call.fields["out_refund_no"]
    refund = refunds.get(out_refund_no)
    if refund is not None:
        if (refund["out_trade_no"], refund["refund_fee"]) != (order["out_trade_no"], refund_fee):
            raise _Biz("INVALID_REQUEST", "退款单号重复，请求参数与原退款单不一致")
    else:
        if order["refunded_fee"] + refund_fee > order["total_fee"]:
            raise _Biz("ERROR", "累计退款金额大于支付金额")
        refund = {
            "out_refund_no": out_refund_no,
            "refund_id": "50" + _digits(27),
            "out_trade_no": order["out_trade_no"],
            "transaction_id": order["transaction_id"],
            "total_fee": order["total_fee"],
            "refund_fee": refund_fee,
            "refund_status": "PROCESSING",
            "refund_desc": call.fields.get("refund_desc", ""),
            "notify_url": call.fields.get("notify_url", ""),
            "success_time": "",
            "created": call.emu.now(),
        }
        refunds[out_refund_no] = refund
        order["refunded_fee"] += refund_fee
        order["trade_state"] = "REFUND"
    return {
        "transaction_id": refund["transaction_id"],
        "out_trade_no": refund["out_trade_no"],
        "out_refund_no": refund["out_refund_no"],
        "refund_id": refund["refund_id"],
        "refund_fee": refund["refund_fee"],
        "total_fee": refund["total_fee"],
        "cash_fee": refund["total_fee"],
        "cash_refund_fee": refund["refund_fee"],
    }


@_register("/pay/refundquery")
def _refund_query(call: _Call) -> dict[str, Any]:
    """``/pay/refundquery``: refunds by refund_id > out_refund_no > transaction_id > out_trade_no, 10 a page."""
    f = call.fields
    refunds = list(call.store("refunds").values())
    if f.get("refund_id"):
        found = [r for r in refunds if r["refund_id"] == f["refund_id"]]
    elif f.get("out_refund_no"):
        found = [r for r in refunds if r["out_refund_no"] == f["out_refund_no"]]
    elif f.get("transaction_id"):
        found = [r for r in refunds if r["transaction_id"] == f["transaction_id"]]
    elif f.get("out_trade_no"):
        found = [r for r in refunds if r["out_trade_no"] == f["out_trade_no"]]
    else:
        raise _Fail("缺少参数out_refund_no")
    if not found:
        raise _Biz("REFUNDNOTEXIST", "not exist")
    offset_text = f.get("offset", "0") or "0"
    if not offset_text.isdigit() or int(offset_text) >= len(found):
        raise _Biz("PARAM_ERROR", "offset超过退款总笔数")
    page = found[int(offset_text) : int(offset_text) + 10]
    first = page[0]
    answer: dict[str, Any] = {
        "transaction_id": first["transaction_id"],
        "out_trade_no": first["out_trade_no"],
        "total_fee": first["total_fee"],
        "cash_fee": first["total_fee"],
        "refund_count": len(page),
        "total_refund_count": len(found),
    }
    for n, refund in enumerate(page):
        answer[f"out_refund_no_{n}"] = refund["out_refund_no"]
        answer[f"refund_id_{n}"] = refund["refund_id"]
        answer[f"refund_channel_{n}"] = "ORIGINAL"
        answer[f"refund_fee_{n}"] = refund["refund_fee"]
        answer[f"refund_status_{n}"] = refund["refund_status"]
        answer[f"refund_recv_accout_{n}"] = "支付用户零钱"
        if refund["success_time"]:
            answer[f"refund_success_time_{n}"] = refund["success_time"]
    return answer


# -- bills ---------------------------------------------------------------------------------------
def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def _bill_answer(call: _Call, text: str) -> EmulatorResponse:
    data = text.encode("utf-8")
    if call.fields.get("tar_type") == "GZIP":
        return EmulatorResponse(200, gzip.compress(data), "application/x-gzip")
    return EmulatorResponse(200, data, "text/plain; charset=utf-8")


def _on_date(stamp: str, bill_date: str) -> bool:
    return bool(stamp) and stamp[:8] == bill_date


def _stamp(at: float) -> str:
    """``yyyyMMddHHmmss`` in Beijing time (WeChat's ``time_end`` format)."""
    return f"{dt.datetime.fromtimestamp(at, _BEIJING):%Y%m%d%H%M%S}"


def _shown(stamp: str) -> str:
    """``yyyyMMddHHmmss`` as the bills show it: ``yyyy-MM-dd HH:mm:ss``."""
    return f"{dt.datetime.strptime(stamp, '%Y%m%d%H%M%S'):%Y-%m-%d %H:%M:%S}"


def _row(*values: object) -> str:
    """One bill line: every value prefixed with a backquote, as WeChat writes them."""
    return ",".join(f"`{v}" for v in values)


@_register("/pay/downloadbill")
def _download_bill(call: _Call) -> EmulatorResponse:
    """``/pay/downloadbill``: the day's paid orders (and refunds) as WeChat's CSV-like text."""
    f = call.fields
    bill_date = f.get("bill_date", "")
    bill_type = f.get("bill_type") or "ALL"
    if not _DATE.match(bill_date):
        raise _Fail("invalid bill_date", error_code="20001")
    if bill_type not in ("ALL", "SUCCESS", "REFUND", "RECHARGE_REFUND"):
        raise _Fail("invalid bill_type", error_code="20001")
    mch = call.merchant.mchid
    rows: list[str] = []
    total = refunded = 0
    if bill_type in ("ALL", "SUCCESS"):
        for order in call.store("orders").values():
            if not _on_date(order["time_end"], bill_date):
                continue
            total += order["total_fee"]
            fee = Decimal(order["total_fee"]) * Decimal("0.006") / 100
            amount = _yuan(order["total_fee"])
            rows.append(
                _row(
                    _shown(order["time_end"]), order["appid"], mch, "0", order["device_info"], order["transaction_id"],
                    order["out_trade_no"], order["openid"], order["trade_type"], "SUCCESS", "OTHERS",
                    order["fee_type"], amount, "0.00", "0", "0", "0.00", "0.00", "", "", order["body"],
                    order["attach"], f"{fee:.5f}", "0.60%", amount, "0.00", "",
                )
            )  # fmt: skip
    if bill_type in ("ALL", "REFUND"):
        for refund in call.store("refunds").values():
            stamp = _stamp(refund["created"])
            if not _on_date(stamp, bill_date):
                continue
            refunded += refund["refund_fee"]
            amount = _yuan(refund["refund_fee"])
            rows.append(
                _row(
                    _shown(stamp), "", mch, "0", "", refund["transaction_id"], refund["out_trade_no"], "", "",
                    "REFUND", "OTHERS", "CNY", "0.00", "0.00", refund["refund_id"], refund["out_refund_no"], amount,
                    "0.00", "ORIGINAL", refund["refund_status"], "", "", "0.00000", "0.60%", "0.00", amount, "",
                )
            )  # fmt: skip
    if not rows:
        raise _Fail("No Bill Exist", error_code="20002")
    header = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
        "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
        "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
    )
    summary = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    totals = f"`{len(rows)},`{_yuan(total)},`{_yuan(refunded)},`0.00,`0.00000,`{_yuan(total)},`{_yuan(refunded)}"
    return _bill_answer(call, "\n".join([header, *rows, summary, totals]) + "\n")


@_register("/pay/downloadfundflow")
def _download_fund_flow(call: _Call) -> EmulatorResponse:
    """``/pay/downloadfundflow``: the day's basic-account flow (HMAC-SHA256 only)."""
    f = call.fields
    if call.sign_type != "HMAC-SHA256":
        raise _Biz("PARAM_ERROR", "sign_type参数错误，仅支持HMAC-SHA256")
    if not _DATE.match(f.get("bill_date", "")):
        raise _Biz("PARAM_ERROR", "bill_date参数错误")
    account_type = f.get("account_type", "")
    if account_type not in ("Basic", "Operation", "Fees"):
        raise _Biz("PARAM_ERROR", "account_type参数错误")
    entries: list[tuple[str, str, str, str, int]] = []
    if account_type == "Basic":
        for order in call.store("orders").values():
            if _on_date(order["time_end"], f["bill_date"]):
                entries.append((order["time_end"], order["transaction_id"], "交易", "收入", order["total_fee"]))
        for refund in call.store("refunds").values():
            stamp = _stamp(refund["created"])
            if _on_date(stamp, f["bill_date"]):
                entries.append((stamp, refund["refund_id"], "退款", "支出", refund["refund_fee"]))
    if not entries:
        raise _Biz("NO_BILL_EXIST", "账单不存在")
    balance = 0
    rows = []
    for stamp, business_no, name, direction, fen in sorted(entries):
        balance += fen if direction == "收入" else -fen
        flow_no = call.merchant.mchid + stamp[:8] + _digits(10)
        rows.append(
            _row(
                _shown(stamp), business_no, flow_no, name, name, direction, _yuan(fen), _yuan(balance), "system", "", ""
            )
        )
    income = [e[4] for e in entries if e[3] == "收入"]
    spent = [e[4] for e in entries if e[3] == "支出"]
    header = (
        "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,"
        "收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号"
    )
    summary = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
    totals = f"`{len(entries)},`{len(income)},`{_yuan(sum(income))},`{len(spent)},`{_yuan(sum(spent))}"
    return _bill_answer(call, "\n".join([header, *rows, summary, totals]) + "\n")


# -- sandbox -------------------------------------------------------------------------------------
def _get_sign_key(call: _Call) -> EmulatorResponse:
    """``/sandboxnew/pay/getsignkey``: the simulation system's key (the request is signed with the real key)."""
    return _xml(
        {
            "return_code": "SUCCESS",
            "return_msg": "ok",
            "mch_id": call.merchant.mchid,
            "sandbox_signkey": _sandbox_key(call.merchant),
        }
    )


@router.route("POST", SANDBOX_PREFIX + "/pay/getsignkey", auth=False)
def _serve_sign_key(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """``POST /sandboxnew/pay/getsignkey``, checked against the merchant's real v2 key."""
    with emu.lock:
        return _serve(emu, req, _get_sign_key, sandbox=False)


# -- test controls -------------------------------------------------------------------------------
def _order(merchant: MerchantState, out_trade_no: str, sandbox: bool) -> dict[str, Any]:
    orders = merchant.data.get("v2_sandbox_orders" if sandbox else "v2_orders", {})
    order: dict[str, Any] | None = orders.get(out_trade_no)
    if order is None:
        raise KeyError(f"no v2 order {out_trade_no!r} for merchant {merchant.mchid}")
    return order


def complete_payment_v2(
    emu: Emulator,
    merchant: MerchantState,
    out_trade_no: str,
    *,
    sign_type: str | None = None,
    sandbox: bool = False,
) -> dict[str, Any]:
    """The user paid order ``out_trade_no``: mark it paid and return the signed notification fields.

    The fields are WeChat's payment notification (``return_code``,
    ``result_code``, ``transaction_id``, ``total_fee``, ``time_end`` ...),
    signed with the merchant's v2 key and ``sign_type`` (default: the sign
    type the order was placed with). Like WeChat, the fields carry no
    ``sign_type``: a notification of an HMAC-SHA256 order is told apart by
    its 64-hex sign. Render with :func:`wxkit.xmlcodec.render_xml` and POST
    it to the order's ``notify_url``. Calling it again for a paid order
    returns the same notification (a fresh nonce) — WeChat's retries.
    Raises ``KeyError`` for an unknown order, ``ValueError`` for a closed one.
    """
    with emu.lock:
        key = _sandbox_key(merchant) if sandbox else merchant.v2_key
        if not key:
            raise ValueError(f"merchant {merchant.mchid} has no v2_key")
        order = _order(merchant, out_trade_no, sandbox)
        if order["trade_state"] in ("CLOSED", "REVOKED", "PAYERROR"):
            raise ValueError(f"order {out_trade_no!r} is {order['trade_state']}, it cannot be paid")
        if order["trade_state"] in ("NOTPAY", "USERPAYING"):
            _mark_paid(emu, order, merchant.mchid)
        chosen = sign_type or order["sign_type"]
        fields: dict[str, Any] = {
            "return_code": "SUCCESS",
            "appid": order["appid"],
            "mch_id": merchant.mchid,
            "nonce_str": secrets.token_hex(16),
            "result_code": "SUCCESS",
            **_paid_fields(emu, order),
        }
        if order["attach"]:
            fields["attach"] = order["attach"]
        if order["device_info"]:
            fields["device_info"] = order["device_info"]
        fields["sign"] = sign(fields, key, chosen)
        return fields


def complete_refund_v2(
    emu: Emulator, merchant: MerchantState, out_refund_no: str, *, sandbox: bool = False
) -> dict[str, Any]:
    """The refund ``out_refund_no`` succeeded: mark it and return the refund notification fields.

    The notification is not signed; its ``req_info`` holds the refund
    (``out_refund_no``, ``refund_id``, ``refund_fee``, ``refund_status``
    ``SUCCESS``, ``success_time`` ...) encrypted with AES-256-ECB under
    md5(v2 key), as WeChat sends it. POST it (rendered) to the refund's
    ``notify_url`` (``merchant.data["v2_refunds"][out_refund_no]["notify_url"]``).
    """
    with emu.lock:
        key = _sandbox_key(merchant) if sandbox else merchant.v2_key
        if not key:
            raise ValueError(f"merchant {merchant.mchid} has no v2_key")
        refunds = merchant.data.get("v2_sandbox_refunds" if sandbox else "v2_refunds", {})
        refund: dict[str, Any] | None = refunds.get(out_refund_no)
        if refund is None:
            raise KeyError(f"no v2 refund {out_refund_no!r} for merchant {merchant.mchid}")
        if refund["refund_status"] == "PROCESSING":
            refund["refund_status"] = "SUCCESS"
            refund["success_time"] = f"{_now(emu):%Y-%m-%d %H:%M:%S}"
            from ..miniprogram import register_refund

            done = sum(
                r["refund_fee"]
                for r in refunds.values()
                if r["transaction_id"] == refund["transaction_id"] and r["refund_status"] == "SUCCESS"
            )
            register_refund(emu, refund["transaction_id"], done)
        order = _order(merchant, refund["out_trade_no"], sandbox)
        info = {
            "transaction_id": refund["transaction_id"],
            "out_trade_no": refund["out_trade_no"],
            "refund_id": refund["refund_id"],
            "out_refund_no": refund["out_refund_no"],
            "total_fee": refund["total_fee"],
            "settlement_total_fee": refund["total_fee"],
            "refund_fee": refund["refund_fee"],
            "settlement_refund_fee": refund["refund_fee"],
            "refund_status": refund["refund_status"],
            "success_time": refund["success_time"],
            "refund_recv_accout": "支付用户零钱",
            "refund_account": "REFUND_SOURCE_RECHARGE_FUNDS",
            "refund_request_source": "API",
        }
        return {
            "return_code": "SUCCESS",
            "appid": order["appid"],
            "mch_id": merchant.mchid,
            "nonce_str": secrets.token_hex(16),
            "req_info": encrypt_req_info(info, key),
        }
