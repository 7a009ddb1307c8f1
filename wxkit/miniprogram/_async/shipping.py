"""The ``shipping`` API group (``client.shipping``): order shipping information (发货信息管理).

Since 2023, a mini program that takes WeChat Pay payments for goods must
upload how each paid order ships; WeChat settles the payment once the user
confirms receipt (or automatically later)::

    client.shipping.upload_shipping_info(
        transaction_id="4200001234...",
        logistics_type=LOGISTICS_EXPRESS,
        shipping_list=[{"tracking_no": "SF1234567", "express_company": "SF", "item_desc": "T-shirt x1",
                        "contact": {"receiver_contact": "189****1234"}}],
        payer_openid=openid,
    )
    client.shipping.get_order(transaction_id="4200001234...")["order"]["order_state"]   # 2: shipped

An order is named by WeChat Pay's ``transaction_id`` or by the merchant's
``mchid`` + ``out_trade_no``. ``upload_time`` is RFC 3339 (default: now, on
China's clock); a re-upload must carry a later one. ``logistics_type`` is
1 express (物流配送), 2 same-city delivery (同城配送), 3 virtual goods (虚拟商品)
or 4 pick-up in store (用户自提); ``delivery_mode`` 1 unified (one parcel) or
2 split (several parcels, with ``is_all_delivered``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ._base import AsyncMiniProgramAPI

__all__ = [
    "AsyncShippingAPI",
    "DELIVERY_SPLIT",
    "DELIVERY_UNIFIED",
    "LOGISTICS_EXPRESS",
    "LOGISTICS_PICKUP",
    "LOGISTICS_SAME_CITY",
    "LOGISTICS_VIRTUAL",
]

LOGISTICS_EXPRESS = 1
LOGISTICS_SAME_CITY = 2
LOGISTICS_VIRTUAL = 3
LOGISTICS_PICKUP = 4
DELIVERY_UNIFIED = 1
DELIVERY_SPLIT = 2
_CHINA = dt.timezone(dt.timedelta(hours=8))


def _rfc3339(value: dt.datetime | str | None) -> str:
    """``upload_time``: an aware datetime or RFC 3339 text; now (China time, milliseconds) when ``None``."""
    if value is None:
        return dt.datetime.now(_CHINA).isoformat(timespec="milliseconds")
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("upload_time must be time-zone aware (RFC 3339 carries an offset)")
    return value.isoformat(timespec="milliseconds")


def _order_key(transaction_id: str | None, mchid: str | None, out_trade_no: str | None) -> dict[str, Any]:
    """``order_key``: ``order_number_type`` 2 with ``transaction_id``, or 1 with ``mchid`` + ``out_trade_no``."""
    if transaction_id is not None:
        if mchid is not None or out_trade_no is not None:
            raise ValueError("name the order by transaction_id, or by mchid and out_trade_no, not both")
        return {"order_number_type": 2, "transaction_id": transaction_id}
    if mchid is not None and out_trade_no is not None:
        return {"order_number_type": 1, "mchid": mchid, "out_trade_no": out_trade_no}
    raise ValueError("name the order by transaction_id, or by mchid and out_trade_no")


def _timestamp(value: int | dt.datetime) -> int:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("received_time must be time-zone aware")
        return int(value.timestamp())
    return int(value)


class AsyncShippingAPI(AsyncMiniProgramAPI):
    """Shipping information of paid orders (``/wxa/sec/order/*``)."""

    async def upload_shipping_info(
        self,
        *,
        logistics_type: int,
        shipping_list: Sequence[Mapping[str, Any]],
        payer_openid: str,
        transaction_id: str | None = None,
        mchid: str | None = None,
        out_trade_no: str | None = None,
        delivery_mode: int = DELIVERY_UNIFIED,
        is_all_delivered: bool | None = None,
        upload_time: dt.datetime | str | None = None,
    ) -> dict[str, Any]:
        """Upload how an order ships: ``POST /wxa/sec/order/upload_shipping_info``.

        ``shipping_list`` holds one parcel per item (``tracking_no``,
        ``express_company``, ``item_desc`` at most 120 characters,
        ``contact``); only one for unified delivery, at most 10.
        ``payer_openid`` is the payer's openid. Split delivery needs
        ``is_all_delivered``. Errors carry WeChat's 100600xx / 2684852xx
        codes (an unknown order 10060001, already shipped 10060002 ...).
        """
        body: dict[str, Any] = {
            "order_key": _order_key(transaction_id, mchid, out_trade_no),
            "logistics_type": logistics_type,
            "delivery_mode": delivery_mode,
            "shipping_list": [dict(item) for item in shipping_list],
            "upload_time": _rfc3339(upload_time),
            "payer": {"openid": payer_openid},
        }
        if is_all_delivered is not None:
            body["is_all_delivered"] = is_all_delivered
        return await self._client.post("/wxa/sec/order/upload_shipping_info", json=body)

    async def upload_combined_shipping_info(
        self,
        *,
        sub_orders: Sequence[Mapping[str, Any]],
        payer_openid: str,
        transaction_id: str | None = None,
        mchid: str | None = None,
        out_trade_no: str | None = None,
        upload_time: dt.datetime | str | None = None,
    ) -> dict[str, Any]:
        """Upload a combined payment's sub-orders' shipping: ``POST /wxa/sec/order/upload_combined_shipping_info``.

        The combined order is named like :meth:`upload_shipping_info`'s;
        each of ``sub_orders`` carries its own ``order_key``,
        ``logistics_type``, ``delivery_mode``, ``shipping_list`` (and
        ``is_all_delivered``), as WeChat documents.
        """
        body: dict[str, Any] = {
            "order_key": _order_key(transaction_id, mchid, out_trade_no),
            "sub_orders": [dict(item) for item in sub_orders],
            "upload_time": _rfc3339(upload_time),
            "payer": {"openid": payer_openid},
        }
        return await self._client.post("/wxa/sec/order/upload_combined_shipping_info", json=body)

    async def get_order(
        self,
        *,
        transaction_id: str | None = None,
        merchant_id: str | None = None,
        sub_merchant_id: str | None = None,
        merchant_trade_no: str | None = None,
    ) -> dict[str, Any]:
        """An order's shipping status: ``POST /wxa/sec/order/get_order``.

        Name the order by ``transaction_id`` or ``merchant_id`` +
        ``merchant_trade_no``. Returns WeChat's JSON; ``order.order_state``
        is 1 waiting for shipping, 2 shipped, 3 received, 4 done, 5 refunded.
        """
        body: dict[str, Any] = {}
        if transaction_id is not None:
            body["transaction_id"] = transaction_id
        elif merchant_id is not None and merchant_trade_no is not None:
            body["merchant_id"] = merchant_id
            body["merchant_trade_no"] = merchant_trade_no
            if sub_merchant_id is not None:
                body["sub_merchant_id"] = sub_merchant_id
        else:
            raise ValueError("name the order by transaction_id, or by merchant_id and merchant_trade_no")
        return await self._client.post("/wxa/sec/order/get_order", json=body, idempotent=True)

    async def list_orders(
        self,
        *,
        pay_time_begin: int | None = None,
        pay_time_end: int | None = None,
        order_state: int | None = None,
        openid: str | None = None,
        last_index: str | None = None,
        page_size: int | None = None,
    ) -> dict[str, Any]:
        """Orders by payment time, state or payer: ``POST /wxa/sec/order/get_order_list``.

        Times are Unix seconds; pass the answer's ``last_index`` to get the
        next page while ``has_more``. Returns WeChat's JSON (``order_list``).
        """
        body: dict[str, Any] = {}
        if pay_time_begin is not None or pay_time_end is not None:
            body["pay_time_range"] = {
                k: v for k, v in (("begin_time", pay_time_begin), ("end_time", pay_time_end)) if v is not None
            }
        for name, value in (
            ("order_state", order_state),
            ("openid", openid),
            ("last_index", last_index),
            ("page_size", page_size),
        ):
            if value is not None:
                body[name] = value
        return await self._client.post("/wxa/sec/order/get_order_list", json=body, idempotent=True)

    async def notify_confirm_receive(
        self,
        *,
        received_time: int | dt.datetime,
        transaction_id: str | None = None,
        merchant_id: str | None = None,
        sub_merchant_id: str | None = None,
        merchant_trade_no: str | None = None,
    ) -> dict[str, Any]:
        """Remind the user to confirm receipt: ``POST /wxa/sec/order/notify_confirm_receive``.

        ``received_time`` is when the parcel arrived (Unix seconds or an
        aware datetime). Only for a shipped order.
        """
        body: dict[str, Any] = {"received_time": _timestamp(received_time)}
        if transaction_id is not None:
            body["transaction_id"] = transaction_id
        elif merchant_id is not None and merchant_trade_no is not None:
            body["merchant_id"] = merchant_id
            body["merchant_trade_no"] = merchant_trade_no
            if sub_merchant_id is not None:
                body["sub_merchant_id"] = sub_merchant_id
        else:
            raise ValueError("name the order by transaction_id, or by merchant_id and merchant_trade_no")
        return await self._client.post("/wxa/sec/order/notify_confirm_receive", json=body)

    async def set_msg_jump_path(self, path: str) -> dict[str, Any]:
        """The page the shipping and receipt messages open: ``POST /wxa/sec/order/set_msg_jump_path``.

        ``path`` is a mini-program page with its query; the order's
        ``transaction_id`` etc. are appended by WeChat.
        """
        return await self._client.post("/wxa/sec/order/set_msg_jump_path", json={"path": path})

    async def is_trade_managed(self) -> bool:
        """Whether payments are under shipping management: ``POST /wxa/sec/order/is_trade_managed``."""
        path = "/wxa/sec/order/is_trade_managed"
        answer = await self._client.post(path, json={"appid": self._client.appid}, idempotent=True)
        return self._field(answer, "is_trade_managed", _as_bool, path=path)


def _as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a bool")
    return value
