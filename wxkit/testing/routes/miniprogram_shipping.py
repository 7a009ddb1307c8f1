"""Emulator routes for the mini-program ``shipping`` group (发货信息管理, ``/wxa/sec/order/*``).

Orders are seeded with :func:`wxkit.testing.miniprogram.add_paid_order` (state
``orders``: transaction_id -> order, ``order_state`` 1 waiting for shipping).

* ``upload_shipping_info`` - the order by ``order_key`` (``order_number_type``
  2 + ``transaction_id``, or 1 + ``mchid`` + ``out_trade_no``): 10060001 if
  unknown; 10060014 when ``payer.openid`` is not the payer; 10060002 once it
  was shipped in full (``order_state`` 2 or later); 10060005 for a
  ``logistics_type`` outside 1-4; 268485224 for a ``delivery_mode`` outside
  1-2; 268485228 for a unified delivery without exactly one parcel; 10060006
  for a split delivery that is not by express; 10060007 for a split
  delivery without ``is_all_delivered``; 10060024 for more than 10 parcels;
  10060008 / 10060009 for an empty or over-120-character ``item_desc``;
  268485216 for an ``upload_time`` that is not RFC 3339. A unified (or
  ``is_all_delivered``) upload sets ``order_state`` 2 and keeps the
  ``shipping`` block ``get_order`` answers.
* ``upload_combined_shipping_info`` - each of ``sub_orders`` as above
  (10060001 for an unknown one).
* ``get_order`` (by ``transaction_id`` or ``merchant_id`` +
  ``merchant_trade_no``), ``get_order_list`` (``pay_time_range``,
  ``order_state``, ``openid``; ``page_size`` 1-100, default 100, with
  ``last_index`` paging), ``notify_confirm_receive`` (10060001 unknown;
  10060004 unless shipped; recorded in the order's ``confirm_receive_notified``),
  ``set_msg_jump_path`` (``state.msg_jump_path``) and ``is_trade_managed``
  (true).

The errcodes are the emulator's reading of WeChat's order-shipping docs,
whose error table could not be checked here; the structure of requests and
answers follows the docs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..miniprogram import miniprogram_state
from . import EmulatorRequest, QuotaRouter, WeChatAPIError, as_text, calling_app, json_object, ok, require_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

router = QuotaRouter()

_PAGE_SIZE = 100


def _find(app: AppState, key: dict[str, Any]) -> dict[str, Any]:
    orders = miniprogram_state(app).orders
    order: dict[str, Any] | None = None
    if key.get("order_number_type", 2 if "transaction_id" in key else 1) == 2:
        order = orders.get(as_text(key.get("transaction_id")))
    else:
        mchid = as_text(key.get("mchid") or key.get("merchant_id"))
        number = as_text(key.get("out_trade_no") or key.get("merchant_trade_no"))
        order = next((o for o in orders.values() if (o["mchid"], o["out_trade_no"]) == (mchid, number)), None)
    if order is None:
        raise WeChatAPIError(10060001, "order not found")
    return order


def _rfc3339(value: Any) -> None:
    if not isinstance(value, str):
        raise WeChatAPIError(268485216, "upload_time must be RFC 3339")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WeChatAPIError(268485216, "upload_time must be RFC 3339") from None
    if parsed.tzinfo is None:
        raise WeChatAPIError(268485216, "upload_time must be RFC 3339")


def _ship(order: dict[str, Any], sub: dict[str, Any], upload_time: Any) -> None:
    """Check one order's shipping block and apply it."""
    if order["order_state"] >= 2:
        raise WeChatAPIError(10060002, "order already shipped")
    logistics = sub.get("logistics_type")
    if logistics not in (1, 2, 3, 4):
        raise WeChatAPIError(10060005, "invalid logistics_type")
    mode = sub.get("delivery_mode", 1)
    if mode not in (1, 2):
        raise WeChatAPIError(268485224, "invalid delivery_mode")
    parcels = sub.get("shipping_list")
    if not isinstance(parcels, list) or not parcels:
        raise WeChatAPIError(10060024, "shipping_list must hold 1-10 items")
    if len(parcels) > 10:
        raise WeChatAPIError(10060024, "shipping_list too long")
    if mode == 1 and len(parcels) != 1:
        raise WeChatAPIError(268485228, "unified delivery takes exactly one parcel")
    if mode == 2 and logistics != 1:
        raise WeChatAPIError(10060006, "only express deliveries may be split")
    if mode == 2 and not isinstance(sub.get("is_all_delivered"), bool):
        raise WeChatAPIError(10060007, "split delivery needs is_all_delivered")
    for parcel in parcels:
        desc = require_object(parcel, "shipping_list").get("item_desc")
        if not isinstance(desc, str) or not desc:
            raise WeChatAPIError(10060008, "item_desc is empty")
        if len(desc) > 120:
            raise WeChatAPIError(10060009, "item_desc longer than 120 characters")
    _rfc3339(upload_time)
    shipped = order.setdefault("shipping_uploads", [])
    shipped.append({"logistics_type": logistics, "delivery_mode": mode, "shipping_list": parcels})
    done = mode == 1 or sub.get("is_all_delivered") is True
    order["shipping"] = {
        "delivery_mode": mode,
        "logistics_type": logistics,
        "finish_shipping": done,
        "goods_desc": parcels[0]["item_desc"],
        "finish_shipping_count": len(shipped),
        "shipping_list": [
            {"tracking_no": p.get("tracking_no", ""), "express_company": p.get("express_company", "")}
            for u in shipped
            for p in u["shipping_list"]
        ],
    }
    if done:
        order["order_state"] = 2


def _payer(order: dict[str, Any], body: dict[str, Any]) -> None:
    payer = body.get("payer")
    if not isinstance(payer, dict) or payer.get("openid") != order["openid"]:
        raise WeChatAPIError(10060014, "payer.openid is not the order's payer")


@router.route("POST", "/wxa/sec/order/upload_shipping_info")
def upload_shipping_info(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Record an order's shipping."""
    app, body = calling_app(req), json_object(req)
    order = _find(app, require_object(body.get("order_key"), "order_key"))
    _payer(order, body)
    _ship(order, body, body.get("upload_time"))
    return ok()


@router.route("POST", "/wxa/sec/order/upload_combined_shipping_info")
def upload_combined_shipping_info(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Record the shipping of a combined payment's sub-orders."""
    app, body = calling_app(req), json_object(req)
    require_object(body.get("order_key"), "order_key")
    subs = body.get("sub_orders")
    if not isinstance(subs, list) or not subs:
        raise WeChatAPIError(47001, "data format error: sub_orders")
    orders = [(_find(app, require_object(require_object(s).get("order_key"), "order_key")), s) for s in subs]
    for order, _ in orders:
        _payer(order, body)
    for order, sub in orders:
        _ship(order, sub, body.get("upload_time"))
    return ok()


def _public(order: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "transaction_id",
        "merchant_id",
        "sub_merchant_id",
        "merchant_trade_no",
        "description",
        "paid_amount",
        "openid",
        "trade_create_time",
        "pay_time",
        "order_state",
        "in_complaint",
        "shipping",
    )
    return {k: order[k] for k in keys if order.get(k) is not None}


@router.route("POST", "/wxa/sec/order/get_order")
def get_order(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """One order's shipping status."""
    return ok(order=_public(_find(calling_app(req), json_object(req))))


@router.route("POST", "/wxa/sec/order/get_order_list")
def get_order_list(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Orders by payment time, state and payer, paged by ``last_index``."""
    app, body = calling_app(req), json_object(req)
    span = body.get("pay_time_range") or {}
    begin, end = span.get("begin_time", 0), span.get("end_time", 2**63)
    size = body.get("page_size", _PAGE_SIZE)
    if not isinstance(size, int) or not 1 <= size <= _PAGE_SIZE:
        raise WeChatAPIError(47001, "data format error: page_size")
    matching = [
        o
        for o in miniprogram_state(app).orders.values()
        if begin <= o["pay_time"] <= end
        and body.get("order_state") in (None, o["order_state"])
        and body.get("openid") in (None, o["openid"])
    ]
    start = int(body["last_index"]) if str(body.get("last_index", "")).isdigit() else 0
    page = matching[start : start + size]
    more = start + size < len(matching)
    return ok(order_list=[_public(o) for o in page], last_index=str(start + len(page)), has_more=more)


@router.route("POST", "/wxa/sec/order/notify_confirm_receive")
def notify_confirm_receive(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Remind the payer to confirm receipt of a shipped order."""
    app, body = calling_app(req), json_object(req)
    order = _find(app, body)
    if order["order_state"] != 2:
        raise WeChatAPIError(10060004, "order state does not allow it")
    received = body.get("received_time")
    if not isinstance(received, int) or isinstance(received, bool):
        raise WeChatAPIError(47001, "data format error: received_time")
    order["confirm_receive_notified"] = received
    return ok()


@router.route("POST", "/wxa/sec/order/set_msg_jump_path")
def set_msg_jump_path(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The page the shipping messages open."""
    app, path = calling_app(req), json_object(req).get("path")
    if not isinstance(path, str) or not path:
        raise WeChatAPIError(47001, "data format error: path")
    miniprogram_state(app).msg_jump_path = path
    return ok()


@router.route("POST", "/wxa/sec/order/is_trade_managed")
def is_trade_managed(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Whether the app's payments are under shipping management (always, in the emulator)."""
    app = calling_app(req)
    if json_object(req).get("appid") != app.appid:
        raise WeChatAPIError(40013, "invalid appid")
    return ok(is_trade_managed=True)
