"""WeChat Pay v3 combine orders (合单支付): ``pay.combine`` (:class:`CombineAPI`).

One payment for several sub-orders (子单), each with its own ``out_trade_no``,
amount and merchant: the user enters the password once::

    prepay_id = pay.combine.jsapi(
        "combine-1001",
        [sub_order("shop-a-1001", 1200, "Coffee", attach="a"),
         sub_order("shop-b-1001", 800, "Cake", attach="b")],
        openid,
        notify_url="https://example.com/pay/combine-notify",
    )

Sub-order amounts are ``{"total_amount": fen, "currency": "CNY"}`` — combine
orders say ``total_amount`` where ordinary orders say ``total`` — and pass
through :func:`~wxkit.pay.amount.check_fen`; :func:`sub_order` builds one.
A direct merchant may combine 2 to 10 sub-orders, a platform or service
provider up to 50; wxkit refuses an empty list or more than 50 before sending
(``PayError`` ``PARAM_ERROR``) and leaves the tighter limit to WeChat.
``combine_appid`` defaults to the client's ``appid`` and ``combine_mchid`` is
the client's merchant. Query with :meth:`CombineAPI.query`, not with the
ordinary order queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import ConfigError, PayError
from ..amount import check_fen
from .orders import PrepayParams, TimeLike, _copy, _path_id, _PrepayAPI, _put, _rfc3339

__all__ = ["CombineAPI", "MAX_SUB_ORDERS", "sub_order"]

#: The most sub-orders one combine order may carry (platforms; direct merchants: 10).
MAX_SUB_ORDERS = 50


def sub_order(
    out_trade_no: str,
    amount: int,
    description: str,
    *,
    attach: str,
    mchid: str | None = None,
    currency: str = "CNY",
    goods_tag: str | None = None,
    detail: str | None = None,
    settle_info: Mapping[str, Any] | None = None,
    sub_mchid: str | None = None,
    sub_appid: str | None = None,
) -> dict[str, Any]:
    """One sub-order (子单) for a combine order; ``amount`` in fen.

    ``attach`` is required by WeChat (returned in queries and notifications).
    ``mchid`` defaults to the client's merchant when the combine order is sent.
    """
    order: dict[str, Any] = {}
    _put(order, mchid=mchid)
    order.update(
        {
            "attach": attach,
            "amount": {"total_amount": check_fen(amount, "amount"), "currency": currency},
            "out_trade_no": out_trade_no,
            "description": description,
        }
    )
    return _put(
        order,
        goods_tag=goods_tag,
        detail=detail,
        settle_info=_copy(settle_info),
        sub_mchid=sub_mchid,
        sub_appid=sub_appid,
    )


def _count(items: object, name: str) -> Sequence[Any]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise PayError("PARAM_ERROR", f"{name} must be a list")
    if not 1 <= len(items) <= MAX_SUB_ORDERS:
        raise PayError("PARAM_ERROR", f"{name} must hold 1 to {MAX_SUB_ORDERS} sub-orders, got {len(items)}")
    return items


class CombineAPI(_PrepayAPI):
    """WeChat Pay v3 combine orders: prepay, query and close (``/v3/combine-transactions/...``)."""

    _path = "/v3/combine-transactions"

    # -- helpers ---------------------------------------------------------------------------
    def _appid(self, combine_appid: str | None) -> str:
        app = combine_appid or self._client.appid
        if not app:
            raise ConfigError("combine_appid is required: pass combine_appid= or give PayClient an appid")
        return app

    def _sub_orders(self, sub_orders: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        checked: list[dict[str, Any]] = []
        for index, item in enumerate(_count(sub_orders, "sub_orders")):
            name = f"sub_orders[{index}]"
            if not isinstance(item, Mapping):
                raise PayError("PARAM_ERROR", f"{name} must be a mapping (see sub_order())")
            order = dict(item)
            amount = order.get("amount")
            if isinstance(amount, Mapping):
                if "total_amount" not in amount:
                    raise PayError("PARAM_ERROR", f"{name}.amount needs total_amount (combine orders do not use total)")
                money = dict(amount)
                money["total_amount"] = check_fen(amount["total_amount"], f"{name}.amount.total_amount")
                money.setdefault("currency", "CNY")
            else:
                money = {"total_amount": check_fen(amount, f"{name}.amount"), "currency": "CNY"}
            order["amount"] = money
            settle = order.get("settle_info")
            if isinstance(settle, Mapping) and "subsidy_amount" in settle:
                check_fen(settle["subsidy_amount"], f"{name}.settle_info.subsidy_amount", allow_zero=True)
            if not order.get("mchid"):
                order["mchid"] = self._client.mchid
            checked.append(order)
        return checked

    def _order_appid(self, kind: str, args: Mapping[str, Any]) -> str:
        return self._appid(args["combine_appid"])

    def _body(self, kind: str, args: Mapping[str, Any]) -> dict[str, Any]:
        orders = self._sub_orders(args["sub_orders"])
        body: dict[str, Any] = {
            "combine_appid": self._order_appid(kind, args),
            "combine_mchid": self._client.mchid,
            "combine_out_trade_no": args["combine_out_trade_no"],
        }
        _put(body, scene_info=_copy(args["scene_info"]))
        body["sub_orders"] = orders
        payer_openid = args.get("payer_openid")
        if payer_openid is not None:
            body["combine_payer_info"] = {"openid": payer_openid}
        return _put(
            body,
            time_start=_rfc3339(args["time_start"], "time_start"),
            time_expire=_rfc3339(args["time_expire"], "time_expire"),
            notify_url=args["notify_url"],
        )

    # -- prepay ----------------------------------------------------------------------------
    def jsapi(
        self,
        combine_out_trade_no: str,
        sub_orders: Sequence[Mapping[str, Any]],
        payer_openid: str,
        *,
        notify_url: str,
        combine_appid: str | None = None,
        scene_info: Mapping[str, Any] | None = None,
        time_start: TimeLike | None = None,
        time_expire: TimeLike | None = None,
    ) -> str:
        """Combine JSAPI / mini program prepay (合单JSAPI下单): ``POST /v3/combine-transactions/jsapi``.

        Returns ``prepay_id``; sign it for ``wx.requestPayment`` with
        ``pay.jsapi_params(prepay_id, appid=combine_appid)`` or use :meth:`jsapi_with_params`.
        """
        return self._prepay("jsapi", locals())

    def jsapi_with_params(
        self,
        combine_out_trade_no: str,
        sub_orders: Sequence[Mapping[str, Any]],
        payer_openid: str,
        *,
        notify_url: str,
        combine_appid: str | None = None,
        scene_info: Mapping[str, Any] | None = None,
        time_start: TimeLike | None = None,
        time_expire: TimeLike | None = None,
    ) -> PrepayParams:
        """:meth:`jsapi`, then the signed ``wx.requestPayment`` parameters: ``(prepay_id, params)``."""
        return self._prepay_with_params("jsapi", locals(), self._client.jsapi_params)

    def app(
        self,
        combine_out_trade_no: str,
        sub_orders: Sequence[Mapping[str, Any]],
        *,
        notify_url: str,
        combine_appid: str | None = None,
        payer_openid: str | None = None,
        scene_info: Mapping[str, Any] | None = None,
        time_start: TimeLike | None = None,
        time_expire: TimeLike | None = None,
    ) -> str:
        """Combine APP prepay (合单APP下单): ``POST /v3/combine-transactions/app``; returns ``prepay_id``."""
        return self._prepay("app", locals())

    def h5(
        self,
        combine_out_trade_no: str,
        sub_orders: Sequence[Mapping[str, Any]],
        *,
        notify_url: str,
        scene_info: Mapping[str, Any],
        combine_appid: str | None = None,
        time_start: TimeLike | None = None,
        time_expire: TimeLike | None = None,
    ) -> str:
        """Combine H5 prepay (合单H5下单): ``POST /v3/combine-transactions/h5``; returns ``h5_url``.

        ``scene_info`` is required: ``{"payer_client_ip": ..., "device_id": ...,
        "h5_info": {"type": "Wap" | "iOS" | "Android", ...}}``.
        """
        return self._prepay("h5", locals())

    def native(
        self,
        combine_out_trade_no: str,
        sub_orders: Sequence[Mapping[str, Any]],
        *,
        notify_url: str,
        combine_appid: str | None = None,
        scene_info: Mapping[str, Any] | None = None,
        time_start: TimeLike | None = None,
        time_expire: TimeLike | None = None,
    ) -> str:
        """Combine Native prepay (合单Native下单): ``POST /v3/combine-transactions/native``; returns ``code_url``."""
        return self._prepay("native", locals())

    # -- query and close ---------------------------------------------------------------------
    def query(self, combine_out_trade_no: str) -> dict[str, Any]:
        """Query a combine order (合单查询订单): ``GET /v3/combine-transactions/out-trade-no/{combine_out_trade_no}``.

        Returns the combine order dict; each of its ``sub_orders`` has its own
        ``trade_state``, ``transaction_id`` and ``amount`` (``total_amount``,
        ``payer_amount``). An unknown number is a :class:`~wxkit.errors.PayError`
        ``ORDER_NOT_EXIST``.
        """
        no = _path_id(combine_out_trade_no, "combine_out_trade_no")
        return self._client.request("GET", f"/v3/combine-transactions/out-trade-no/{no}", idempotent=True)

    def close(
        self,
        combine_out_trade_no: str,
        sub_orders: Sequence[str | Mapping[str, Any]],
        *,
        combine_appid: str | None = None,
    ) -> None:
        """Close an unpaid combine order (合单关闭订单): ``POST .../out-trade-no/{combine_out_trade_no}/close``.

        ``sub_orders`` must name every sub-order given at prepay (WeChat does
        not close part of one): their ``out_trade_no`` strings, or the
        sub-order dicts themselves (``mchid`` and ``out_trade_no`` are sent,
        plus ``sub_mchid`` / ``sub_appid`` when present). WeChat answers 204;
        retried on network failures (closing twice is harmless).
        """
        no = _path_id(combine_out_trade_no, "combine_out_trade_no")
        closing: list[dict[str, Any]] = []
        for index, item in enumerate(_count(sub_orders, "sub_orders")):
            if isinstance(item, str):
                closing.append({"mchid": self._client.mchid, "out_trade_no": item})
            elif isinstance(item, Mapping) and isinstance(item.get("out_trade_no"), str):
                entry = {"mchid": item.get("mchid") or self._client.mchid, "out_trade_no": item["out_trade_no"]}
                closing.append(_put(entry, sub_mchid=item.get("sub_mchid"), sub_appid=item.get("sub_appid")))
            else:
                raise PayError("PARAM_ERROR", f"sub_orders[{index}] must be an out_trade_no or a sub-order mapping")
        body = {"combine_appid": self._appid(combine_appid), "sub_orders": closing}
        self._client.request(
            "POST", f"/v3/combine-transactions/out-trade-no/{no}/close", json_body=body, idempotent=True
        )
