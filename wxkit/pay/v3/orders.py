"""WeChat Pay v3 orders (基础支付): ``pay.orders`` (:class:`OrdersAPI`).

Prepay (下单) for the four trade types, query by ``transaction_id`` or
``out_trade_no``, and close (关闭订单)::

    prepay_id = pay.orders.jsapi("Coffee", "order-1001", 1200, openid,
                                 notify_url="https://example.com/pay/notify")
    params = pay.jsapi_params(prepay_id)           # for wx.requestPayment

    pay.orders.query_by_out_trade_no("order-1001")["trade_state"]   # "NOTPAY", "SUCCESS", ...
    pay.orders.close("order-1001")

Amounts are ``int`` fen, checked with :func:`~wxkit.pay.amount.check_fen`
before anything is sent (a float, bool, str, zero or negative amount is an
:class:`~wxkit.errors.AmountError`). ``appid`` defaults to the client's
(:class:`~wxkit.errors.ConfigError` if neither is set). Queries return
WeChat's transaction object as a dict. Prepay calls are POSTs that are never
re-sent after they may have reached WeChat: after a
:class:`~wxkit.errors.TransportError`, query the order (or repeat the prepay
with identical parameters, which WeChat answers with the same order).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ...errors import ConfigError, PayError
from ..amount import check_fen

if TYPE_CHECKING:
    from .client import PayClient

__all__ = ["OrdersAPI", "PrepayParams", "TimeLike"]

#: A time for ``time_expire`` / ``time_start``: RFC 3339 text, or a timezone-aware datetime.
TimeLike = str | dt.datetime

_ID = re.compile(r"[0-9A-Za-z_\-|*@]{1,32}")


class PrepayParams(NamedTuple):
    """A prepay id together with the signed client-side parameters that start the payment.

    Unpacks as ``prepay_id, params = pay.orders.jsapi_with_params(...)``.
    """

    prepay_id: str
    params: dict[str, str]


# -- helpers shared with the combine group ------------------------------------------------
def _path_id(value: object, name: str) -> str:
    """``value`` if it can be an order number in a URL path; a local PARAM_ERROR otherwise."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise PayError("PARAM_ERROR", f"{name} must be 1-32 characters of 0-9 A-Z a-z _ - | * @, got {value!r}")
    return value


def _rfc3339(value: TimeLike | None, name: str) -> str | None:
    """A ``time_expire`` / ``time_start`` value as WeChat wants it (``2025-05-20T13:29:35+08:00``); ``None`` stays."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise PayError("PARAM_ERROR", f"{name} must be a timezone-aware datetime")
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        return value
    raise PayError("PARAM_ERROR", f"{name} must be RFC 3339 text or a datetime, not {type(value).__name__}")


def _copy(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A plain-dict copy of an optional mapping argument (``scene_info``, ``settle_info``)."""
    return dict(value) if value is not None else None


def _check_detail(detail: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Check the fen amounts inside an order's ``detail`` (``cost_price``, ``goods_detail[].unit_price``)."""
    if detail is None:
        return None
    if not isinstance(detail, Mapping):
        raise PayError("PARAM_ERROR", "detail must be a mapping")
    checked = dict(detail)
    if "cost_price" in checked:
        check_fen(checked["cost_price"], "detail.cost_price")
    goods = checked.get("goods_detail")
    if goods is not None:
        if not isinstance(goods, (list, tuple)):
            raise PayError("PARAM_ERROR", "detail.goods_detail must be a list")
        for index, item in enumerate(goods):
            if not isinstance(item, Mapping):
                raise PayError("PARAM_ERROR", f"detail.goods_detail[{index}] must be a mapping")
            if "unit_price" in item:
                check_fen(item["unit_price"], f"detail.goods_detail[{index}].unit_price", allow_zero=True)
        checked["goods_detail"] = [dict(item) for item in goods]
    return checked


def _check_h5_scene(scene_info: object) -> None:
    """An H5 prepay's ``scene_info`` must carry ``h5_info`` with a ``type``; a local PARAM_ERROR otherwise."""
    h5_info = scene_info.get("h5_info") if isinstance(scene_info, Mapping) else None
    if not isinstance(h5_info, Mapping) or not h5_info.get("type"):
        raise PayError("PARAM_ERROR", 'scene_info must carry h5_info with a type ("Wap", "iOS" or "Android")')


def _answer_field(answer: Mapping[str, Any], name: str) -> str:
    """The non-empty string ``name`` of a verified answer (``prepay_id``, ``code_url``, ``h5_url``)."""
    value = answer.get(name)
    if not isinstance(value, str) or not value:
        raise PayError("INVALID_RESPONSE", f"WeChat Pay's answer has no {name}")
    return value


def _put(body: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Add the ``fields`` that are not ``None`` to ``body``."""
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


#: The field each trade type's prepay answers with.
_ANSWER_FIELDS = {"jsapi": "prepay_id", "app": "prepay_id", "h5": "h5_url", "native": "code_url"}


class _PrepayAPI:
    """The prepay flow :class:`OrdersAPI` and :class:`~wxkit.pay.v3.combine.CombineAPI` share.

    Each public prepay method hands its own ``locals()`` (its arguments by
    name) to :meth:`_prepay` / :meth:`_prepay_with_params`, so its signature
    stays the one place the arguments are listed; the subclass turns them into
    the request body (:meth:`_body`) and names the app (:meth:`_order_appid`).
    """

    #: Where the trade types' prepay endpoints live: ``{_path}/{kind}``.
    _path: ClassVar[str]

    def __init__(self, client: PayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def _order_appid(self, kind: str, args: Mapping[str, Any]) -> str:
        """The app a ``kind`` order is for: its appid argument or the client's (``ConfigError`` if neither)."""
        raise NotImplementedError

    def _body(self, kind: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """The checked request body of a ``kind`` prepay from the public method's arguments."""
        raise NotImplementedError

    def _prepay(self, kind: str, args: Mapping[str, Any]) -> str:
        """``POST {_path}/{kind}``; the answer's ``prepay_id`` (``h5_url`` for h5, ``code_url`` for native)."""
        if kind == "h5":
            _check_h5_scene(args["scene_info"])
        answer = self._client.request("POST", f"{self._path}/{kind}", json_body=self._body(kind, args))
        return _answer_field(answer, _ANSWER_FIELDS[kind])

    def _prepay_with_params(
        self, kind: str, args: Mapping[str, Any], sign: Callable[..., dict[str, str]]
    ) -> PrepayParams:
        """:meth:`_prepay`, then ``sign(prepay_id, appid=...)`` for the same app."""
        prepay_id = self._prepay(kind, args)
        return PrepayParams(prepay_id, sign(prepay_id, appid=self._order_appid(kind, args)))


class OrdersAPI(_PrepayAPI):
    """WeChat Pay v3 orders: prepay, query and close (``/v3/pay/transactions/...``)."""

    _path = "/v3/pay/transactions"

    # -- prepay ----------------------------------------------------------------------------
    def _order_appid(self, kind: str, args: Mapping[str, Any]) -> str:
        app: str | None = args["appid"] or self._client.appid
        if not app:
            raise ConfigError(f"appid is required for a {kind} order: pass appid= or give PayClient an appid")
        return app

    def _body(self, kind: str, args: Mapping[str, Any]) -> dict[str, Any]:
        total = check_fen(args["amount"], "amount")
        detail = _check_detail(args["detail"])
        body: dict[str, Any] = {
            "appid": self._order_appid(kind, args),
            "mchid": self._client.mchid,
            "description": args["description"],
            "out_trade_no": args["out_trade_no"],
        }
        _put(
            body,
            time_expire=_rfc3339(args["time_expire"], "time_expire"),
            attach=args["attach"],
            notify_url=args["notify_url"],
            goods_tag=args["goods_tag"],
            support_fapiao=args["support_fapiao"],
        )
        body["amount"] = {"total": total, "currency": args["currency"]}
        payer_openid = args.get("payer_openid")
        if payer_openid is not None:
            body["payer"] = {"openid": payer_openid}
        return _put(body, detail=detail, scene_info=_copy(args["scene_info"]), settle_info=_copy(args["settle_info"]))

    def jsapi(
        self,
        description: str,
        out_trade_no: str,
        amount: int,
        payer_openid: str,
        *,
        notify_url: str,
        appid: str | None = None,
        time_expire: TimeLike | None = None,
        attach: str | None = None,
        goods_tag: str | None = None,
        currency: str = "CNY",
        detail: Mapping[str, Any] | None = None,
        scene_info: Mapping[str, Any] | None = None,
        settle_info: Mapping[str, Any] | None = None,
        support_fapiao: bool | None = None,
    ) -> str:
        """JSAPI / mini program prepay (JSAPI/小程序下单): ``POST /v3/pay/transactions/jsapi``; returns ``prepay_id``.

        Official accounts and mini programs use the same endpoint, each with
        its own ``appid`` (the payer's ``openid`` belongs to that app).
        ``amount`` is the total in fen. Pass the ``prepay_id`` to
        :meth:`PayClient.jsapi_params <wxkit.pay.v3.client.PayClient.jsapi_params>`
        (or use :meth:`jsapi_with_params`).
        """
        return self._prepay("jsapi", locals())

    def jsapi_with_params(
        self,
        description: str,
        out_trade_no: str,
        amount: int,
        payer_openid: str,
        *,
        notify_url: str,
        appid: str | None = None,
        time_expire: TimeLike | None = None,
        attach: str | None = None,
        goods_tag: str | None = None,
        currency: str = "CNY",
        detail: Mapping[str, Any] | None = None,
        scene_info: Mapping[str, Any] | None = None,
        settle_info: Mapping[str, Any] | None = None,
        support_fapiao: bool | None = None,
    ) -> PrepayParams:
        """:meth:`jsapi`, then sign the ``wx.requestPayment`` / ``WeixinJSBridge`` parameters for the same app.

        Returns :class:`PrepayParams` ``(prepay_id, params)``; ``params`` is
        what :meth:`PayClient.jsapi_params <wxkit.pay.v3.client.PayClient.jsapi_params>`
        gives (``appId``, ``timeStamp``, ``nonceStr``, ``package``, ``signType``, ``paySign``).
        """
        return self._prepay_with_params("jsapi", locals(), self._client.jsapi_params)

    def app(
        self,
        description: str,
        out_trade_no: str,
        amount: int,
        *,
        notify_url: str,
        appid: str | None = None,
        time_expire: TimeLike | None = None,
        attach: str | None = None,
        goods_tag: str | None = None,
        currency: str = "CNY",
        detail: Mapping[str, Any] | None = None,
        scene_info: Mapping[str, Any] | None = None,
        settle_info: Mapping[str, Any] | None = None,
        support_fapiao: bool | None = None,
    ) -> str:
        """APP prepay (APP下单): ``POST /v3/pay/transactions/app``; returns ``prepay_id``.

        ``appid`` is the mobile app's id (移动应用). Sign the SDK's ``PayReq``
        with :meth:`PayClient.app_params <wxkit.pay.v3.client.PayClient.app_params>`
        (or use :meth:`app_with_params`).
        """
        return self._prepay("app", locals())

    def app_with_params(
        self,
        description: str,
        out_trade_no: str,
        amount: int,
        *,
        notify_url: str,
        appid: str | None = None,
        time_expire: TimeLike | None = None,
        attach: str | None = None,
        goods_tag: str | None = None,
        currency: str = "CNY",
        detail: Mapping[str, Any] | None = None,
        scene_info: Mapping[str, Any] | None = None,
        settle_info: Mapping[str, Any] | None = None,
        support_fapiao: bool | None = None,
    ) -> PrepayParams:
        """:meth:`app`, then sign the APP SDK's ``PayReq`` fields: :class:`PrepayParams` ``(prepay_id, params)``."""
        return self._prepay_with_params("app", locals(), self._client.app_params)

    def h5(
        self,
        description: str,
        out_trade_no: str,
        amount: int,
        *,
        notify_url: str,
        scene_info: Mapping[str, Any],
        appid: str | None = None,
        time_expire: TimeLike | None = None,
        attach: str | None = None,
        goods_tag: str | None = None,
        currency: str = "CNY",
        detail: Mapping[str, Any] | None = None,
        settle_info: Mapping[str, Any] | None = None,
        support_fapiao: bool | None = None,
    ) -> str:
        """H5 prepay (H5下单) for mobile browsers outside WeChat: ``POST /v3/pay/transactions/h5``; returns ``h5_url``.

        ``scene_info`` is required: ``{"payer_client_ip": "...", "h5_info":
        {"type": "Wap" | "iOS" | "Android", ...}}``. Redirect the user to
        ``h5_url`` (append ``&redirect_url=...`` to come back).
        """
        return self._prepay("h5", locals())

    def native(
        self,
        description: str,
        out_trade_no: str,
        amount: int,
        *,
        notify_url: str,
        appid: str | None = None,
        time_expire: TimeLike | None = None,
        attach: str | None = None,
        goods_tag: str | None = None,
        currency: str = "CNY",
        detail: Mapping[str, Any] | None = None,
        scene_info: Mapping[str, Any] | None = None,
        settle_info: Mapping[str, Any] | None = None,
        support_fapiao: bool | None = None,
    ) -> str:
        """Native prepay (Native下单): ``POST /v3/pay/transactions/native``; returns ``code_url``.

        Render ``code_url`` (``weixin://wxpay/bizpayurl?pr=...``) as a QR
        code; the user scans it with WeChat to pay.
        """
        return self._prepay("native", locals())

    # -- query and close ---------------------------------------------------------------------
    def query_by_transaction_id(self, transaction_id: str) -> dict[str, Any]:
        """Query a paid order by WeChat's order number (微信支付订单号查询订单).

        ``GET /v3/pay/transactions/id/{transaction_id}?mchid=...``. Returns the
        transaction dict (``trade_state``, ``amount`` in fen, ``payer`` ...). An
        unknown id is a :class:`~wxkit.errors.PayError` ``ORDER_NOT_EXIST``.
        Retried on network failures and 5xx (a read).
        """
        tid = _path_id(transaction_id, "transaction_id")
        return self._client.request(
            "GET", f"/v3/pay/transactions/id/{tid}", params={"mchid": self._client.mchid}, idempotent=True
        )

    def query_by_out_trade_no(self, out_trade_no: str) -> dict[str, Any]:
        """Query an order by your order number (商户订单号查询订单).

        ``GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=...``.
        Works before payment too (``trade_state`` ``NOTPAY``); an unknown
        number is a :class:`~wxkit.errors.PayError` ``ORDER_NOT_EXIST``.
        """
        no = _path_id(out_trade_no, "out_trade_no")
        return self._client.request(
            "GET", f"/v3/pay/transactions/out-trade-no/{no}", params={"mchid": self._client.mchid}, idempotent=True
        )

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid order (关闭订单): ``POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close``.

        WeChat answers 204. Closing twice is harmless, so the call is retried
        on network failures. A paid order cannot be closed (``ORDERPAID``):
        refund it instead.
        """
        no = _path_id(out_trade_no, "out_trade_no")
        self._client.request(
            "POST",
            f"/v3/pay/transactions/out-trade-no/{no}/close",
            json_body={"mchid": self._client.mchid},
            idempotent=True,
        )
