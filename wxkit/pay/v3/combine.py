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
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError, PayError
from ..amount import check_fen
from .orders import PrepayParams, TimeLike, _answer_field, _path_id, _put, _rfc3339

if TYPE_CHECKING:
    from .client import PayClient

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
        settle_info=dict(settle_info) if settle_info is not None else None,
        sub_mchid=sub_mchid,
        sub_appid=sub_appid,
    )


def _count(items: object, name: str) -> Sequence[Any]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise PayError("PARAM_ERROR", f"{name} must be a list")
    if not 1 <= len(items) <= MAX_SUB_ORDERS:
        raise PayError("PARAM_ERROR", f"{name} must hold 1 to {MAX_SUB_ORDERS} sub-orders, got {len(items)}")
    return items


class CombineAPI:
    """WeChat Pay v3 combine orders: prepay, query and close (``/v3/combine-transactions/...``)."""

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<CombineAPI>"

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

    def _prepay(
        self,
        kind: str,
        combine_out_trade_no: str,
        sub_orders: Sequence[Mapping[str, Any]],
        *,
        notify_url: str,
        combine_appid: str | None,
        payer_openid: str | None,
        scene_info: Mapping[str, Any] | None,
        time_start: TimeLike | None,
        time_expire: TimeLike | None,
    ) -> dict[str, Any]:
        orders = self._sub_orders(sub_orders)
        body: dict[str, Any] = {
            "combine_appid": self._appid(combine_appid),
            "combine_mchid": self._client.mchid,
            "combine_out_trade_no": combine_out_trade_no,
        }
        _put(body, scene_info=dict(scene_info) if scene_info is not None else None)
        body["sub_orders"] = orders
        if payer_openid is not None:
            body["combine_payer_info"] = {"openid": payer_openid}
        _put(
            body,
            time_start=_rfc3339(time_start, "time_start") if time_start is not None else None,
            time_expire=_rfc3339(time_expire, "time_expire") if time_expire is not None else None,
            notify_url=notify_url,
        )
        return self._client.request("POST", f"/v3/combine-transactions/{kind}", json_body=body)

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
        answer = self._prepay(
            "jsapi",
            combine_out_trade_no,
            sub_orders,
            notify_url=notify_url,
            combine_appid=combine_appid,
            payer_openid=payer_openid,
            scene_info=scene_info,
            time_start=time_start,
            time_expire=time_expire,
        )
        return _answer_field(answer, "prepay_id")

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
        prepay_id = self.jsapi(
            combine_out_trade_no,
            sub_orders,
            payer_openid,
            notify_url=notify_url,
            combine_appid=combine_appid,
            scene_info=scene_info,
            time_start=time_start,
            time_expire=time_expire,
        )
        return PrepayParams(prepay_id, self._client.jsapi_params(prepay_id, appid=self._appid(combine_appid)))

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
        answer = self._prepay(
            "app",
            combine_out_trade_no,
            sub_orders,
            notify_url=notify_url,
            combine_appid=combine_appid,
            payer_openid=payer_openid,
            scene_info=scene_info,
            time_start=time_start,
            time_expire=time_expire,
        )
        return _answer_field(answer, "prepay_id")

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
        h5_info = scene_info.get("h5_info") if isinstance(scene_info, Mapping) else None
        if not isinstance(h5_info, Mapping) or not h5_info.get("type"):
            raise PayError("PARAM_ERROR", 'scene_info must carry h5_info with a type ("Wap", "iOS" or "Android")')
        answer = self._prepay(
            "h5",
            combine_out_trade_no,
            sub_orders,
            notify_url=notify_url,
            combine_appid=combine_appid,
            payer_openid=None,
            scene_info=scene_info,
            time_start=time_start,
            time_expire=time_expire,
        )
        return _answer_field(answer, "h5_url")

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
        answer = self._prepay(
            "native",
            combine_out_trade_no,
            sub_orders,
            notify_url=notify_url,
            combine_appid=combine_appid,
            payer_openid=None,
            scene_info=scene_info,
            time_start=time_start,
            time_expire=time_expire,
        )
        return _answer_field(answer, "code_url")

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
