"""Emulator routes: WeChat Pay v3 orders and combine orders, and the test controls that pay them.

Routes (authenticated and signed by :func:`~wxkit.testing.pay.v3_route`)::

    POST /v3/pay/transactions/{jsapi|app|h5|native}              -> prepay_id / h5_url / code_url
    GET  /v3/pay/transactions/id/{transaction_id}?mchid=...       -> the transaction
    GET  /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=...
    POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close   -> 204
    POST /v3/combine-transactions/{jsapi|app|h5|native}
    GET  /v3/combine-transactions/out-trade-no/{combine_out_trade_no}
    POST /v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close  -> 204

State. ``merchant.orders[out_trade_no]`` is one order: the fields it was
created with (``appid``, ``mchid``, ``description``, ``notify_url``,
``amount`` ``{"total", "currency"}`` (plus ``payer_total`` / ``payer_currency`` once
paid), ``attach``, ``payer``, ``scene_info`` ...),
``trade_type`` (``JSAPI``, ``APP``, ``MWEB`` for H5, ``NATIVE``), ``trade_state``
(``NOTPAY`` -> ``SUCCESS`` / ``PAYERROR`` / ``CLOSED``; the refund routes may
set ``REFUND``), ``prepay_id`` / ``h5_url`` / ``code_url``, and after payment
``transaction_id``, ``success_time``, ``bank_type``; ``request``
keeps the prepay body. :func:`transaction_view` renders an order the way
WeChat shows it; :func:`find_order` finds one by either number. Combine
orders live in ``merchant.data["combine"][combine_out_trade_no]`` (rendered by
:func:`combine_view`).

Behaviour, after WeChat's documentation:

* invalid input (missing ``description``, ``amount.total`` not a positive int,
  ``notify_url`` not http(s) or with a query, no ``payer.openid`` for JSAPI, no
  ``scene_info.h5_info.type`` for H5, combine sub-orders outside 2..10 ...):
  400 ``PARAM_ERROR``; an ``appid`` the merchant is not bound to (when the
  merchant was added with an ``appid``; more in ``merchant.data["appids"]``):
  400 ``APPID_MCHID_NOT_MATCH``;
* the same ``out_trade_no`` again with identical content: the same order
  (same ``prepay_id``); with different content or trade type: 400
  ``INVALID_REQUEST`` "201 商户订单号重复"; on a paid order: 400 ``ORDERPAID``;
  on a closed one: 400 ``ORDER_CLOSED``;
* an unknown order: 404 ``ORDER_NOT_EXIST``; closing a paid order: 400
  ``ORDERPAID``; closing a closed order again: 204; closing a combine order
  with sub-orders that differ from the prepay: 400 ``INVALID_REQUEST``.

Test controls: :func:`complete_payment` and :func:`complete_combine_payment`
play the payer and return the transaction exactly as the query answers it
and as the payment notification's decrypted ``resource`` carries it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..pay import MerchantState, PayAPIError, v3_route
from . import EmulatorRequest, Router

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = [
    "DIRECT_MAX_SUB_ORDERS",
    "combine_view",
    "complete_combine_payment",
    "complete_payment",
    "find_order",
    "router",
    "transaction_view",
]

router = Router()

#: Sub-orders a direct merchant may combine: 2 to this (``merchant.data["combine_max_sub_orders"]`` overrides).
DIRECT_MAX_SUB_ORDERS = 10

_TRADE_TYPES = {"jsapi": "JSAPI", "app": "APP", "h5": "MWEB", "native": "NATIVE"}
_STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "PAYERROR": "支付失败，请重新下单支付",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
}
_PAID = ("SUCCESS", "REFUND")
_ID = re.compile(r"[0-9A-Za-z_\-|*@]{6,32}")
_CST = dt.timezone(dt.timedelta(hours=8))


# -- validation ------------------------------------------------------------------------------
def _param_error(path: str, label: str, problem: str = "必填性规则校验失败，此字段为必填项") -> PayAPIError:
    return PayAPIError(
        400,
        "PARAM_ERROR",
        f"输入源“/body/{path}”映射到字段“{label}”{problem}",
        detail={"location": "body", "value": path},
    )


def _text(obj: Mapping[str, Any], key: str, path: str, label: str, max_len: int, *, required: bool = True) -> Any:
    value = obj.get(key)
    if value is None:
        if required:
            raise _param_error(path, label)
        return None
    if not isinstance(value, str) or not value:
        raise _param_error(path, label, "类型或格式校验失败，应为非空字符串")
    if len(value) > max_len:
        raise _param_error(path, label, f"长度校验失败，不能超过{max_len}个字符")
    return value


def _object(obj: Mapping[str, Any], key: str, path: str, label: str, *, required: bool = True) -> Any:
    value = obj.get(key)
    if value is None:
        if required:
            raise _param_error(path, label)
        return None
    if not isinstance(value, dict):
        raise _param_error(path, label, "类型校验失败，应为对象")
    return value


def _fen(obj: Mapping[str, Any], key: str, path: str, label: str) -> int:
    value = obj.get(key)
    if value is None:
        raise _param_error(path, label)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _param_error(path, label, "类型校验失败，应为整数（单位：分）")
    if value <= 0:
        raise _param_error(path, label, "取值校验失败，应大于0")
    return value


def _order_no(obj: Mapping[str, Any], key: str, path: str, label: str) -> str:
    value = _text(obj, key, path, label, 32)
    if not _ID.fullmatch(value):
        raise _param_error(path, label, "格式校验失败，应为6-32位数字、大小写字母或_-|*@")
    return str(value)


def _time(obj: Mapping[str, Any], key: str) -> None:
    value = _text(obj, key, key, "支付结束时间" if key == "time_expire" else "交易起始时间", 64, required=False)
    if value is None:
        return
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _param_error(key, key, "格式校验失败，应为rfc3339格式") from None
    if parsed.tzinfo is None:
        raise _param_error(key, key, "格式校验失败，应为rfc3339格式（带时区）")


def _notify_url(body: Mapping[str, Any]) -> None:
    url = _text(body, "notify_url", "notify_url", "通知地址", 255)
    if not url.startswith(("https://", "http://")) or "?" in url:
        raise _param_error("notify_url", "通知地址", "格式校验失败，应为http(s)地址且不能携带参数")


def _currency(amount: Mapping[str, Any], path: str, *, required: bool) -> None:
    currency = _text(amount, "currency", f"{path}/currency", "货币类型", 16, required=required)
    if currency is not None and currency != "CNY":
        raise _param_error(f"{path}/currency", "货币类型", "取值校验失败，境内商户号仅支持人民币CNY")


def _appid(merchant: MerchantState, appid: str) -> None:
    if merchant.appid is None:
        return
    if appid != merchant.appid and appid not in merchant.data.get("appids", ()):
        raise PayAPIError(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")


def _mchid(merchant: MerchantState, value: object, where: str = "body") -> None:
    if not isinstance(value, str) or not value:
        raise PayAPIError(
            400,
            "PARAM_ERROR",
            f"输入源“/{where}/mchid”映射到字段“直连商户号”必填性规则校验失败，此字段为必填项",
            detail={"location": where, "value": "mchid"},
        )
    if value != merchant.mchid:
        raise PayAPIError(400, "PARAM_ERROR", "mchid与发起请求的商户号不一致")


def _body(req: EmulatorRequest) -> dict[str, Any]:
    data = req.json
    if not isinstance(data, dict):
        raise PayAPIError(400, "PARAM_ERROR", "请求体应为JSON对象")
    return data


def _h5_scene(body: Mapping[str, Any]) -> None:
    scene = _object(body, "scene_info", "scene_info", "场景信息")
    _text(scene, "payer_client_ip", "scene_info/payer_client_ip", "用户终端IP", 45)
    h5_info = _object(scene, "h5_info", "scene_info/h5_info", "H5场景信息")
    kind = _text(h5_info, "type", "scene_info/h5_info/type", "场景类型", 32)
    if kind not in ("iOS", "Android", "Wap"):
        raise _param_error("scene_info/h5_info/type", "场景类型", "取值校验失败，应为iOS、Android或Wap")


def _payer_and_scene(body: Mapping[str, Any], kind: str, payer_key: str) -> None:
    """JSAPI: the payer's openid under ``payer_key``; H5: the required ``scene_info``; else an optional one."""
    if kind == "jsapi":
        payer = _object(body, payer_key, payer_key, "支付者")
        _text(payer, "openid", f"{payer_key}/openid", "用户标识", 128)
    if kind == "h5":
        _h5_scene(body)
    else:
        _object(body, "scene_info", "scene_info", "场景信息", required=False)


def _validate_order(merchant: MerchantState, body: dict[str, Any], kind: str) -> None:
    _appid(merchant, _text(body, "appid", "appid", "应用ID", 32))
    _mchid(merchant, body.get("mchid"))
    _text(body, "description", "description", "商品描述", 127)
    _order_no(body, "out_trade_no", "out_trade_no", "商户订单号")
    _notify_url(body)
    _text(body, "attach", "attach", "附加数据", 128, required=False)
    _text(body, "goods_tag", "goods_tag", "订单优惠标记", 32, required=False)
    _time(body, "time_expire")
    if "support_fapiao" in body and not isinstance(body["support_fapiao"], bool):
        raise _param_error("support_fapiao", "电子发票入口开放标识", "类型校验失败，应为布尔值")
    amount = _object(body, "amount", "amount", "订单金额")
    _fen(amount, "total", "amount/total", "总金额")
    _currency(amount, "amount", required=False)
    detail = _object(body, "detail", "detail", "优惠功能", required=False)
    if detail is not None and "cost_price" in detail:
        _fen(detail, "cost_price", "detail/cost_price", "订单原价")
    _payer_and_scene(body, kind, "payer")
    _object(body, "settle_info", "settle_info", "结算信息", required=False)


# -- identifiers and views ------------------------------------------------------------------
def _stamp(emu: Emulator) -> dt.datetime:
    return dt.datetime.fromtimestamp(emu.now(), _CST).replace(microsecond=0)


def _digits(n: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(n))


def _prepay_id(emu: Emulator) -> str:
    return f"wx{_stamp(emu):%Y%m%d%H%M%S}{secrets.token_hex(10)}"


def _transaction_id(emu: Emulator) -> str:
    return f"4200{_stamp(emu):%Y%m%d}{_digits(16)}"


def _openid() -> str:
    return "oEmu" + secrets.token_urlsafe(18)[:24]


def _pay_links(emu: Emulator, kind: str, prepay_id: str) -> dict[str, str]:
    if kind == "native":
        return {"code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(6)[:7]}"}
    if kind == "h5":
        return {
            "h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay_id}&package={_digits(10)}"
        }
    return {}


def _prepay_answer(kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "native":
        return {"code_url": record["code_url"]}
    if kind == "h5":
        return {"h5_url": record["h5_url"]}
    return {"prepay_id": record["prepay_id"]}


def _prepay_again(record: Mapping[str, Any], state: str, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A prepay with an order number already in use (``record``, in ``state``): the same answer, or WeChat's error."""
    if state in _PAID:
        raise PayAPIError(400, "ORDERPAID", "该订单已支付")
    if state == "CLOSED":
        raise PayAPIError(400, "ORDER_CLOSED", "订单已关闭")
    if record["trade_type"] != _TRADE_TYPES[kind] or record.get("request") != body:
        raise PayAPIError(400, "INVALID_REQUEST", "201 商户订单号重复")
    return _prepay_answer(kind, record)


def transaction_view(order: Mapping[str, Any]) -> dict[str, Any]:
    """An order as WeChat shows it: the query answer, and the payment notification's decrypted ``resource``."""
    state = order["trade_state"]
    view: dict[str, Any] = {"appid": order["appid"], "mchid": order["mchid"], "out_trade_no": order["out_trade_no"]}
    if order.get("transaction_id"):
        view["transaction_id"] = order["transaction_id"]
    if state != "NOTPAY":
        view["trade_type"] = order["trade_type"]
    view["trade_state"] = state
    view["trade_state_desc"] = _STATE_DESC.get(state, state)
    money = order["amount"]
    amount: dict[str, Any] = {"total": money["total"]}
    if order.get("success_time"):
        view["bank_type"] = order.get("bank_type", "OTHERS")
        if order.get("attach") is not None:
            view["attach"] = order["attach"]
        view["success_time"] = order["success_time"]
        amount["payer_total"] = money.get("payer_total", money["total"])
    if order.get("payer") and state != "NOTPAY":
        view["payer"] = dict(order["payer"])
    amount["currency"] = money.get("currency", "CNY")
    amount["payer_currency"] = money.get("payer_currency", amount["currency"])
    view["amount"] = amount
    scene = order.get("scene_info")
    if isinstance(scene, Mapping) and scene.get("device_id"):
        view["scene_info"] = {"device_id": scene["device_id"]}
    if order.get("promotion_detail"):
        view["promotion_detail"] = [dict(p) for p in order["promotion_detail"]]
    return view


def find_order(
    merchant: MerchantState, *, out_trade_no: str | None = None, transaction_id: str | None = None
) -> dict[str, Any] | None:
    """The merchant's order record with that ``out_trade_no`` or ``transaction_id`` (``None`` if unknown)."""
    if out_trade_no is not None:
        return merchant.orders.get(out_trade_no)
    if transaction_id is not None:
        for order in merchant.orders.values():
            if order.get("transaction_id") == transaction_id:
                return order
    return None


def _not_found() -> PayAPIError:
    return PayAPIError(404, "ORDER_NOT_EXIST", "订单不存在")


# -- orders ----------------------------------------------------------------------------------
def _prepay(emu: Emulator, req: EmulatorRequest, kind: str) -> dict[str, Any]:
    merchant: MerchantState = req.merchant
    body = _body(req)
    _validate_order(merchant, body, kind)
    number = body["out_trade_no"]
    with emu.lock:
        order = merchant.orders.get(number)
        if order is not None:
            return _prepay_again(order, order["trade_state"], kind, body)
        prepay_id = _prepay_id(emu)
        order = {
            key: body[key]
            for key in (
                "appid",
                "mchid",
                "description",
                "out_trade_no",
                "notify_url",
                "attach",
                "goods_tag",
                "time_expire",
                "detail",
                "scene_info",
                "settle_info",
                "support_fapiao",
            )
            if key in body
        }
        order["amount"] = {"total": body["amount"]["total"], "currency": body["amount"].get("currency", "CNY")}
        if kind == "jsapi":
            order["payer"] = {"openid": body["payer"]["openid"]}
        order.update(
            trade_type=_TRADE_TYPES[kind],
            trade_state="NOTPAY",
            prepay_id=prepay_id,
            request=body,
            **_pay_links(emu, kind, prepay_id),
        )
        merchant.orders[number] = order
        return _prepay_answer(kind, order)


def _query(emu: Emulator, req: EmulatorRequest, key: str) -> dict[str, Any]:
    """The order whose ``key`` (``transaction_id`` / ``out_trade_no``) the path names, as WeChat shows it."""
    merchant: MerchantState = req.merchant
    _mchid(merchant, req.query.get("mchid"), "query")
    with emu.lock:
        order = find_order(merchant, **{key: req.path_params[key]})
        if order is None:
            raise _not_found()
        return transaction_view(order)


@v3_route(router, "GET", "/v3/pay/transactions/id/{transaction_id}")
def query_by_transaction_id(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A paid order by ``transaction_id`` (unpaid orders have none: 404)."""
    return _query(emu, req, "transaction_id")


@v3_route(router, "GET", "/v3/pay/transactions/out-trade-no/{out_trade_no}")
def query_by_out_trade_no(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """An order by ``out_trade_no``, in any state."""
    return _query(emu, req, "out_trade_no")


@v3_route(router, "POST", "/v3/pay/transactions/out-trade-no/{out_trade_no}/close")
def close_order(emu: Emulator, req: EmulatorRequest) -> None:
    """Close an unpaid order (204; again: 204; paid: 400 ORDERPAID)."""
    merchant: MerchantState = req.merchant
    _mchid(merchant, _body(req).get("mchid"))
    with emu.lock:
        order = merchant.orders.get(req.path_params["out_trade_no"])
        if order is None:
            raise _not_found()
        if order["trade_state"] in _PAID:
            raise PayAPIError(400, "ORDERPAID", "订单已支付")
        order["trade_state"] = "CLOSED"


# -- combine orders --------------------------------------------------------------------------
def _combines(merchant: MerchantState) -> dict[str, dict[str, Any]]:
    combines: dict[str, dict[str, Any]] = merchant.data.setdefault("combine", {})
    return combines


def _validate_combine(merchant: MerchantState, body: dict[str, Any], kind: str) -> None:
    _appid(merchant, _text(body, "combine_appid", "combine_appid", "合单商户Appid", 32))
    combine_mchid = body.get("combine_mchid")
    if not isinstance(combine_mchid, str) or not combine_mchid:
        raise _param_error("combine_mchid", "合单商户号")
    if combine_mchid != merchant.mchid:
        raise PayAPIError(400, "PARAM_ERROR", "combine_mchid与发起请求的商户号不一致")
    _order_no(body, "combine_out_trade_no", "combine_out_trade_no", "合单商户订单号")
    _notify_url(body)
    _time(body, "time_start")
    _time(body, "time_expire")
    subs = body.get("sub_orders")
    if not isinstance(subs, list) or not subs:
        raise _param_error("sub_orders", "子单信息")
    most = int(merchant.data.get("combine_max_sub_orders", DIRECT_MAX_SUB_ORDERS))
    if not 2 <= len(subs) <= most:
        raise _param_error("sub_orders", "子单信息", f"数量校验失败，子单数应为2-{most}笔")
    seen: set[str] = set()
    for index, sub in enumerate(subs):
        path = f"sub_orders/{index}"
        if not isinstance(sub, dict):
            raise _param_error(path, "子单信息", "类型校验失败，应为对象")
        _text(sub, "mchid", f"{path}/mchid", "子单商户号", 32)
        _text(sub, "attach", f"{path}/attach", "附加数据", 128)
        _text(sub, "description", f"{path}/description", "商品描述", 127)
        number = _order_no(sub, "out_trade_no", f"{path}/out_trade_no", "子单商户订单号")
        if number in seen:
            raise _param_error(f"{path}/out_trade_no", "子单商户订单号", "唯一性校验失败，子单商户订单号重复")
        seen.add(number)
        amount = _object(sub, "amount", f"{path}/amount", "订单金额")
        if "total" in amount and "total_amount" not in amount:
            raise _param_error(
                f"{path}/amount/total_amount", "标价金额", "必填性规则校验失败，合单子单金额字段为total_amount"
            )
        _fen(amount, "total_amount", f"{path}/amount/total_amount", "标价金额")
        _currency(amount, f"{path}/amount", required=True)
    _payer_and_scene(body, kind, "combine_payer_info")


def combine_view(combine: Mapping[str, Any]) -> dict[str, Any]:
    """A combine order as WeChat shows it: the query answer, and the combine notification's ``resource``."""
    view: dict[str, Any] = {"combine_appid": combine["combine_appid"], "combine_mchid": combine["combine_mchid"]}
    if combine["state"] in _PAID and combine.get("payer"):
        view["combine_payer_info"] = {"openid": combine["payer"]}
    subs = []
    for sub in combine["sub_orders"]:
        item: dict[str, Any] = {"mchid": sub["mchid"], "trade_type": combine["trade_type"]}
        item["trade_state"] = sub["trade_state"]
        if sub.get("success_time"):
            item["bank_type"] = sub.get("bank_type", "OTHERS")
        item["attach"] = sub["attach"]
        if sub.get("success_time"):
            item["success_time"] = sub["success_time"]
            item["transaction_id"] = sub["transaction_id"]
        item["out_trade_no"] = sub["out_trade_no"]
        for key in ("sub_mchid", "sub_appid"):
            if sub.get(key):
                item[key] = sub[key]
        amount: dict[str, Any] = {"total_amount": sub["amount"]["total_amount"]}
        if sub.get("success_time"):
            amount["payer_amount"] = sub["amount"]["total_amount"]
        amount["currency"] = sub["amount"].get("currency", "CNY")
        if sub.get("success_time"):
            amount["payer_currency"] = amount["currency"]
        item["amount"] = amount
        subs.append(item)
    view["sub_orders"] = subs
    scene = combine.get("scene_info")
    if isinstance(scene, Mapping) and scene.get("device_id"):
        view["scene_info"] = {"device_id": scene["device_id"]}
    view["combine_out_trade_no"] = combine["combine_out_trade_no"]
    return view


def _combine_prepay(emu: Emulator, req: EmulatorRequest, kind: str) -> dict[str, Any]:
    merchant: MerchantState = req.merchant
    body = _body(req)
    _validate_combine(merchant, body, kind)
    number = body["combine_out_trade_no"]
    with emu.lock:
        combines = _combines(merchant)
        combine = combines.get(number)
        if combine is not None:
            return _prepay_again(combine, combine["state"], kind, body)
        prepay_id = _prepay_id(emu)
        payer = body.get("combine_payer_info")
        combine = {
            "combine_appid": body["combine_appid"],
            "combine_mchid": body["combine_mchid"],
            "combine_out_trade_no": number,
            "notify_url": body["notify_url"],
            "scene_info": body.get("scene_info"),
            "payer": payer.get("openid") if isinstance(payer, dict) else None,
            "trade_type": _TRADE_TYPES[kind],
            "state": "NOTPAY",
            "sub_orders": [
                {
                    **{k: v for k, v in sub.items() if k != "amount"},
                    "amount": dict(sub["amount"]),
                    "trade_state": "NOTPAY",
                }
                for sub in body["sub_orders"]
            ],
            "prepay_id": prepay_id,
            "request": body,
            **_pay_links(emu, kind, prepay_id),
        }
        combines[number] = combine
        return _prepay_answer(kind, combine)


_Prepay = Callable[["Emulator", EmulatorRequest, str], dict[str, Any]]


def _prepay_route(prefix: str, prepay: _Prepay, kind: str) -> None:
    """Register ``POST {prefix}/{kind}``, answered by ``prepay(emu, req, kind)``."""

    def route(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
        return prepay(emu, req, kind)

    route.__doc__ = f"``POST {prefix}/{kind}``: the {_TRADE_TYPES[kind]} prepay."
    v3_route(router, "POST", f"{prefix}/{kind}")(route)


for _kind in _TRADE_TYPES:
    _prepay_route("/v3/pay/transactions", _prepay, _kind)
    _prepay_route("/v3/combine-transactions", _combine_prepay, _kind)


@v3_route(router, "GET", "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}")
def combine_query(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """A combine order with its sub-orders."""
    with emu.lock:
        combine = _combines(req.merchant).get(req.path_params["combine_out_trade_no"])
        if combine is None:
            raise _not_found()
        return combine_view(combine)


@v3_route(router, "POST", "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close")
def combine_close(emu: Emulator, req: EmulatorRequest) -> None:
    """Close an unpaid combine order; the sub-orders must be exactly those of the prepay."""
    body = _body(req)
    _text(body, "combine_appid", "combine_appid", "合单商户Appid", 32)
    subs = body.get("sub_orders")
    if not isinstance(subs, list) or not subs:
        raise _param_error("sub_orders", "子单信息")
    given: set[tuple[Any, Any]] = set()
    for index, sub in enumerate(subs):
        if not isinstance(sub, dict):
            raise _param_error(f"sub_orders/{index}", "子单信息", "类型校验失败，应为对象")
        given.add((_text(sub, "mchid", f"sub_orders/{index}/mchid", "子单商户号", 32), sub.get("out_trade_no")))
        _text(sub, "out_trade_no", f"sub_orders/{index}/out_trade_no", "子单商户订单号", 32)
    with emu.lock:
        combine = _combines(req.merchant).get(req.path_params["combine_out_trade_no"])
        if combine is None:
            raise _not_found()
        if body["combine_appid"] != combine["combine_appid"]:
            raise PayAPIError(400, "INVALID_REQUEST", "输入的请求非法，combine_appid与下单时不一致")
        expected = {(sub["mchid"], sub["out_trade_no"]) for sub in combine["sub_orders"]}
        if given != expected or len(subs) != len(expected):
            raise PayAPIError(400, "INVALID_REQUEST", "输入的请求非法，请求关单的子单信息与下单时的子单信息不一致")
        if combine["state"] in _PAID:
            raise PayAPIError(400, "ORDERPAID", "订单已支付")
        combine["state"] = "CLOSED"
        for sub in combine["sub_orders"]:
            sub["trade_state"] = "CLOSED"


# -- test controls ---------------------------------------------------------------------------
def complete_payment(
    emu: Emulator, merchant: MerchantState, out_trade_no: str, *, payer_total: int | None = None, success: bool = True
) -> dict[str, Any]:
    """Play the payer: move order ``out_trade_no`` to ``SUCCESS`` (or ``PAYERROR`` with ``success=False``).

    A successful payment assigns ``transaction_id``, ``success_time``,
    ``bank_type`` and the payer (the JSAPI order's openid, else a new one).
    ``payer_total`` (fen, default the order total) below the total records the
    difference as a ``promotion_detail`` discount. Returns the transaction
    exactly as ``GET .../out-trade-no/{out_trade_no}`` answers it and as the
    payment notification's decrypted ``resource`` carries it. Paying a paid
    order again returns it unchanged; an unknown order raises ``KeyError``, a
    closed one ``ValueError``.
    """
    with emu.lock:
        order = merchant.orders.get(out_trade_no)
        if order is None:
            raise KeyError(f"no order {out_trade_no!r} for merchant {merchant.mchid}")
        if order["trade_state"] in _PAID:
            return transaction_view(order)
        if order["trade_state"] == "CLOSED":
            raise ValueError(f"order {out_trade_no!r} is closed")
        total = order["amount"]["total"]
        paid = total if payer_total is None else payer_total
        if isinstance(paid, bool) or not isinstance(paid, int) or not 0 <= paid <= total:
            raise ValueError(f"payer_total must be an int of fen between 0 and {total}")
        order.setdefault("payer", {"openid": _openid()})
        if not success:
            order["trade_state"] = "PAYERROR"
            return transaction_view(order)
        tid = _transaction_id(emu)
        order.update(
            trade_state="SUCCESS", transaction_id=tid, success_time=_stamp(emu).isoformat(), bank_type="OTHERS"
        )
        order["amount"].update(payer_total=paid, payer_currency=order["amount"].get("currency", "CNY"))
        from ..miniprogram import register_payment

        register_payment(
            emu,
            order["appid"],
            order["payer"].get("openid", ""),
            transaction_id=tid,
            mchid=merchant.mchid,
            out_trade_no=out_trade_no,
            amount=total,
            description=order.get("description", ""),
        )
        if paid < total:
            order["promotion_detail"] = [
                {
                    "coupon_id": _digits(11),
                    "name": "emulated discount",
                    "scope": "GLOBAL",
                    "type": "CASH",
                    "amount": total - paid,
                    "stock_id": _digits(7),
                    "wechatpay_contribute": 0,
                    "merchant_contribute": total - paid,
                    "other_contribute": 0,
                    "currency": order["amount"].get("currency", "CNY"),
                }
            ]
        return transaction_view(order)


def complete_combine_payment(emu: Emulator, merchant: MerchantState, combine_out_trade_no: str) -> dict[str, Any]:
    """Play the payer of a combine order: every sub-order becomes ``SUCCESS`` with its own ``transaction_id``.

    Returns the combine order exactly as ``GET /v3/combine-transactions/out-trade-no/...``
    answers it and as the combine payment notification's decrypted
    ``resource`` carries it. Paying again returns it unchanged; an unknown
    order raises ``KeyError``, a closed one ``ValueError``. When the
    ``combine_appid`` is an app the emulator serves, each paid sub-order is
    registered with its shipping state (:func:`~wxkit.testing.miniprogram.register_payment`).
    """
    with emu.lock:
        combine = _combines(merchant).get(combine_out_trade_no)
        if combine is None:
            raise KeyError(f"no combine order {combine_out_trade_no!r} for merchant {merchant.mchid}")
        if combine["state"] == "CLOSED":
            raise ValueError(f"combine order {combine_out_trade_no!r} is closed")
        if combine["state"] not in _PAID:
            when = _stamp(emu).isoformat()
            for sub in combine["sub_orders"]:
                sub.update(
                    trade_state="SUCCESS", transaction_id=_transaction_id(emu), success_time=when, bank_type="OTHERS"
                )
            combine["state"] = "SUCCESS"
            if not combine.get("payer"):
                combine["payer"] = _openid()
            from ..miniprogram import register_payment

            for sub in combine["sub_orders"]:  # each sub-order is a payment of the combine appid's shipping
                register_payment(
                    emu,
                    combine["combine_appid"],
                    combine["payer"],
                    transaction_id=sub["transaction_id"],
                    mchid=sub["mchid"],
                    out_trade_no=sub["out_trade_no"],
                    amount=sub["amount"]["total_amount"],
                    description=sub.get("description", ""),
                )
        return combine_view(combine)
