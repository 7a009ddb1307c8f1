"""WeChat Pay v3 orders (``pay.orders``) end to end against the emulator, over real HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from wxkit.errors import AmountError, ConfigError, PayError, SignatureError, TransportError
from wxkit.pay.v3.client import PayClient
from wxkit.pay.v3.crypto import rsa_sign, rsa_verify
from wxkit.pay.v3.orders import PrepayParams
from wxkit.testing import Emulator
from wxkit.testing.pay import MerchantState, platform_key
from wxkit.testing.routes import EmulatorRequest, EmulatorResponse
from wxkit.testing.routes import pay_v3_orders as routes
from wxkit.testing.routes.pay_v3_orders import complete_payment

NOTIFY = "https://example.com/pay/notify"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
H5_SCENE = {"payer_client_ip": "14.23.150.211", "h5_info": {"type": "Wap", "app_name": "shop"}}
Env = tuple[MerchantState, PayClient]


@pytest.fixture(params=["public_key", "certificate"])
def env(request: pytest.FixtureRequest, make_pay_client: Any) -> Env:
    """A merchant and its client, in both verification modes."""
    return make_pay_client(request.param)


@pytest.fixture
def pay(make_pay_client: Any) -> Env:
    """A merchant and its client (public-key mode)."""
    return make_pay_client()


def jsapi(client: PayClient, no: str = "order-0001", amount: Any = 1200, **kw: Any) -> str:
    return client.orders.jsapi("Coffee", no, amount, OPENID, notify_url=NOTIFY, **kw)


def pay_error(excinfo: pytest.ExceptionInfo[PayError], status: int, code: str) -> PayError:
    assert (excinfo.value.status, excinfo.value.code) == (status, code), excinfo.value
    return excinfo.value


# -- happy paths ---------------------------------------------------------------------------
def test_jsapi_prepay_query_pay_and_query_again(wechat_emulator: Emulator, env: Env) -> None:
    merchant, client = env
    prepay_id = jsapi(client)
    assert prepay_id.startswith("wx")
    sent = merchant.orders["order-0001"]["request"]
    assert sent == {
        "appid": "wx_pay_test_app",
        "mchid": merchant.mchid,
        "description": "Coffee",
        "out_trade_no": "order-0001",
        "notify_url": NOTIFY,
        "amount": {"total": 1200, "currency": "CNY"},
        "payer": {"openid": OPENID},
    }
    assert jsapi(client) == prepay_id  # same content again: the same order
    unpaid = client.orders.query_by_out_trade_no("order-0001")
    assert unpaid["trade_state"] == "NOTPAY"
    assert "transaction_id" not in unpaid
    assert unpaid["amount"]["total"] == 1200

    paid = complete_payment(wechat_emulator, merchant, "order-0001")
    assert paid["trade_state"] == "SUCCESS"
    assert paid["trade_type"] == "JSAPI"
    assert paid["payer"] == {"openid": OPENID}
    assert paid["amount"] == {"total": 1200, "payer_total": 1200, "currency": "CNY", "payer_currency": "CNY"}
    assert client.orders.query_by_out_trade_no("order-0001") == paid
    assert client.orders.query_by_transaction_id(paid["transaction_id"]) == paid


def test_jsapi_with_params_pay_sign_verifies_with_the_merchant_public_key(env: Env, merchant_key: Any) -> None:
    merchant, client = env
    result = client.orders.jsapi_with_params("Coffee", "order-0002", 1, OPENID, notify_url=NOTIFY)
    assert isinstance(result, PrepayParams)
    prepay_id, params = result
    assert merchant.orders["order-0002"]["prepay_id"] == prepay_id
    assert params["appId"] == "wx_pay_test_app"
    assert params["package"] == f"prepay_id={prepay_id}"
    assert params["signType"] == "RSA"
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    assert rsa_verify(merchant_key.public_key(), message, params["paySign"])
    assert not rsa_verify(merchant_key.public_key(), message.replace("prepay_id", "prepay_ID"), params["paySign"])


def test_mini_program_uses_its_own_appid(pay: Env) -> None:
    merchant, client = pay
    merchant.data["appids"] = {"wx_mini_program"}
    prepay_id, params = client.orders.jsapi_with_params(
        "Tea", "order-0003", 300, OPENID, notify_url=NOTIFY, appid="wx_mini_program"
    )
    assert merchant.orders["order-0003"]["appid"] == "wx_mini_program"
    assert params["appId"] == "wx_mini_program"
    assert params["package"] == f"prepay_id={prepay_id}"


def test_app_native_and_h5(wechat_emulator: Emulator, env: Env, merchant_key: Any) -> None:
    merchant, client = env
    prepay_id = client.orders.app("Game coins", "order-app-1", 600, notify_url=NOTIFY)
    assert merchant.orders["order-app-1"]["trade_type"] == "APP"
    assert merchant.orders["order-app-1"]["prepay_id"] == prepay_id

    prepay_id, params = client.orders.app_with_params("Game coins", "order-app-2", 600, notify_url=NOTIFY)
    assert (params["prepayid"], params["partnerid"], params["package"]) == (prepay_id, merchant.mchid, "Sign=WXPay")
    message = f"{params['appid']}\n{params['timestamp']}\n{params['noncestr']}\n{prepay_id}\n"
    assert rsa_verify(merchant_key.public_key(), message, params["sign"])

    code_url = client.orders.native("QR order", "order-qr-1", 100, notify_url=NOTIFY)
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert merchant.orders["order-qr-1"]["code_url"] == code_url
    assert client.orders.native("QR order", "order-qr-1", 100, notify_url=NOTIFY) == code_url

    h5_url = client.orders.h5("H5 order", "order-h5-1", 100, notify_url=NOTIFY, scene_info=H5_SCENE)
    assert h5_url.startswith("https://")
    assert merchant.orders["order-h5-1"]["trade_type"] == "MWEB"
    assert merchant.orders["order-h5-1"]["request"]["scene_info"] == H5_SCENE

    paid = complete_payment(wechat_emulator, merchant, "order-qr-1")
    assert paid["trade_type"] == "NATIVE"
    assert paid["payer"]["openid"]  # the emulated payer
    assert client.orders.query_by_transaction_id(paid["transaction_id"]) == paid


def test_optional_fields_are_sent_as_documented(wechat_emulator: Emulator, pay: Env) -> None:
    merchant, client = pay
    expire = dt.datetime(2030, 5, 20, 13, 29, 35, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    detail = {"cost_price": 1500, "goods_detail": [{"merchant_goods_id": "sku-1", "quantity": 1, "unit_price": 1500}]}
    jsapi(
        client,
        "order-0004",
        time_expire=expire,
        attach="shop #1",
        goods_tag="WXG",
        detail=detail,
        scene_info={"payer_client_ip": "14.23.150.211", "device_id": "POS1:1"},
        settle_info={"profit_sharing": True},
        support_fapiao=True,
    )
    sent = merchant.orders["order-0004"]["request"]
    assert sent["time_expire"] == "2030-05-20T13:29:35+08:00"
    assert (sent["attach"], sent["goods_tag"], sent["support_fapiao"]) == ("shop #1", "WXG", True)
    assert sent["detail"] == detail
    assert sent["settle_info"] == {"profit_sharing": True}
    jsapi(client, "order-0005", time_expire="2030-05-20T13:29:35+08:00")
    assert merchant.orders["order-0005"]["request"]["time_expire"] == "2030-05-20T13:29:35+08:00"

    assert "attach" not in client.orders.query_by_out_trade_no("order-0004")  # only once paid
    paid = complete_payment(wechat_emulator, merchant, "order-0004", payer_total=1000)
    assert paid["attach"] == "shop #1"
    assert paid["scene_info"] == {"device_id": "POS1:1"}
    assert paid["amount"]["payer_total"] == 1000
    assert paid["promotion_detail"][0]["amount"] == 200


def test_close_an_unpaid_order(wechat_emulator: Emulator, env: Env) -> None:
    merchant, client = env
    jsapi(client, "order-0006")
    assert client.orders.close("order-0006") is None
    assert client.orders.query_by_out_trade_no("order-0006")["trade_state"] == "CLOSED"
    client.orders.close("order-0006")  # again: still 204
    with pytest.raises(PayError) as excinfo:
        jsapi(client, "order-0006")
    pay_error(excinfo, 400, "ORDER_CLOSED")
    with pytest.raises(ValueError, match="closed"):
        complete_payment(wechat_emulator, merchant, "order-0006")


# -- documented errors -----------------------------------------------------------------------
def test_a_paid_order_cannot_be_closed_nor_prepaid_again(wechat_emulator: Emulator, pay: Env) -> None:
    merchant, client = pay
    jsapi(client, "order-0007")
    complete_payment(wechat_emulator, merchant, "order-0007")
    with pytest.raises(PayError) as excinfo:
        client.orders.close("order-0007")
    pay_error(excinfo, 400, "ORDERPAID")
    with pytest.raises(PayError) as excinfo:
        jsapi(client, "order-0007")
    pay_error(excinfo, 400, "ORDERPAID")


def test_unknown_orders_are_order_not_exist(pay: Env) -> None:
    _, client = pay
    jsapi(client, "order-0008")
    calls = [
        lambda: client.orders.query_by_out_trade_no("no-such-order"),
        lambda: client.orders.query_by_transaction_id("4200000000202401010000000000"),
        lambda: client.orders.close("no-such-order"),
    ]
    for call in calls:
        with pytest.raises(PayError) as excinfo:
            call()
        assert pay_error(excinfo, 404, "ORDER_NOT_EXIST").message


@pytest.mark.parametrize(
    "again",
    [
        lambda c: jsapi(c, "order-0009", 1300),
        lambda c: c.orders.jsapi("Tea", "order-0009", 1200, OPENID, notify_url=NOTIFY),
        lambda c: c.orders.native("Coffee", "order-0009", 1200, notify_url=NOTIFY),
        lambda c: jsapi(c, "order-0009", attach="changed"),
    ],
    ids=["amount", "description", "trade-type", "attach"],
)
def test_same_out_trade_no_with_other_content_is_refused(pay: Env, again: Any) -> None:
    _, client = pay
    jsapi(client, "order-0009")
    with pytest.raises(PayError) as excinfo:
        again(client)
    assert "商户订单号重复" in pay_error(excinfo, 400, "INVALID_REQUEST").message


def test_appid_not_bound_to_the_merchant(pay: Env) -> None:
    _, client = pay
    with pytest.raises(PayError) as excinfo:
        jsapi(client, "order-0010", appid="wx_someone_else")
    pay_error(excinfo, 400, "APPID_MCHID_NOT_MATCH")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.orders.jsapi("", "order-0011", 1, OPENID, notify_url=NOTIFY), "description"),
        (lambda c: c.orders.jsapi("x" * 128, "order-0011", 1, OPENID, notify_url=NOTIFY), "description"),
        (lambda c: c.orders.jsapi("Coffee", "abc", 1, OPENID, notify_url=NOTIFY), "out_trade_no"),
        (lambda c: c.orders.jsapi("Coffee", "order 0011", 1, OPENID, notify_url=NOTIFY), "out_trade_no"),
        (lambda c: c.orders.jsapi("Coffee", "order-0011", 1, "", notify_url=NOTIFY), "payer/openid"),
        (lambda c: c.orders.jsapi("Coffee", "order-0011", 1, OPENID, notify_url="ftp://example.com/n"), "notify_url"),
        (lambda c: c.orders.native("Coffee", "order-0011", 1, notify_url=NOTIFY + "?order=1"), "notify_url"),
        (lambda c: c.orders.app("Coffee", "order-0011", 1, notify_url=NOTIFY, attach="a" * 129), "attach"),
        (lambda c: c.orders.app("Coffee", "order-0011", 1, notify_url=NOTIFY, currency="USD"), "amount/currency"),
        (lambda c: c.orders.app("Coffee", "order-0011", 1, notify_url=NOTIFY, time_expire="tomorrow"), "time_expire"),
        (
            lambda c: c.orders.h5(
                "Coffee", "order-0011", 1, notify_url=NOTIFY, scene_info={"h5_info": {"type": "Wap"}}
            ),
            "scene_info/payer_client_ip",
        ),
        (
            lambda c: c.orders.h5(
                "Coffee", "order-0011", 1, notify_url=NOTIFY, scene_info={**H5_SCENE, "h5_info": {"type": "PC"}}
            ),
            "scene_info/h5_info/type",
        ),
    ],
)
def test_invalid_fields_are_param_error(pay: Env, call: Any, field: str) -> None:
    merchant, client = pay
    with pytest.raises(PayError) as excinfo:
        call(client)
    error = pay_error(excinfo, 400, "PARAM_ERROR")
    assert error.detail == {"location": "body", "value": field}
    assert f"/body/{field}" in error.message
    assert "order-0011" not in merchant.orders


GOOD_BODY: dict[str, Any] = {
    "appid": "wx_pay_test_app",
    "description": "Coffee",
    "out_trade_no": "order-0012",
    "notify_url": NOTIFY,
    "amount": {"total": 100, "currency": "CNY"},
    "payer": {"openid": OPENID},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": {"total": 1.5}}, "amount/total"),
        ({"amount": {"total": "100"}}, "amount/total"),
        ({"amount": {"total": True}}, "amount/total"),
        ({"amount": {"total": 0}}, "amount/total"),
        ({"amount": {"total": -100}}, "amount/total"),
        ({"amount": {}}, "amount/total"),
        ({"amount": None}, "amount"),
        ({"payer": None}, "payer"),
        ({"description": None}, "description"),
        ({"notify_url": None}, "notify_url"),
        ({"appid": None}, "appid"),
        ({"support_fapiao": "yes"}, "support_fapiao"),
        ({"detail": {"cost_price": 9.9}}, "detail/cost_price"),
    ],
)
def test_what_the_client_never_sends_is_param_error_too(pay: Env, change: dict[str, Any], field: str) -> None:
    """The emulator checks raw bodies the way WeChat does (the client refuses these before sending)."""
    merchant, client = pay
    body = {**GOOD_BODY, "mchid": merchant.mchid, **change}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(PayError) as excinfo:
        client.request("POST", "/v3/pay/transactions/jsapi", json_body=body)
    assert pay_error(excinfo, 400, "PARAM_ERROR").detail == {"location": "body", "value": field}


def test_mchid_must_be_the_callers(pay: Env) -> None:
    _, client = pay
    with pytest.raises(PayError) as excinfo:
        client.request("POST", "/v3/pay/transactions/jsapi", json_body={**GOOD_BODY, "mchid": "1900000000"})
    pay_error(excinfo, 400, "PARAM_ERROR")
    with pytest.raises(PayError) as excinfo:
        client.request("POST", "/v3/pay/transactions/out-trade-no/order-0012/close", json_body={})
    assert "直连商户号" in pay_error(excinfo, 400, "PARAM_ERROR").message
    with pytest.raises(PayError) as excinfo:
        client.request("GET", "/v3/pay/transactions/out-trade-no/order-0012")
    assert pay_error(excinfo, 400, "PARAM_ERROR").detail == {"location": "query", "value": "mchid"}
    with pytest.raises(PayError) as excinfo:
        client.request("POST", "/v3/pay/transactions/jsapi", json_body=["not", "an", "object"])
    pay_error(excinfo, 400, "PARAM_ERROR")


# -- refused before any request ---------------------------------------------------------------
BAD_AMOUNTS = [12.5, 100.0, True, False, "100", Decimal("1.00"), -1, 0, None]


def prepay_calls(amount: Any) -> list[Any]:
    return [
        lambda c: jsapi(c, "order-0013", amount),
        lambda c: c.orders.jsapi_with_params("Coffee", "order-0013", amount, OPENID, notify_url=NOTIFY),
        lambda c: c.orders.app("Coffee", "order-0013", amount, notify_url=NOTIFY),
        lambda c: c.orders.app_with_params("Coffee", "order-0013", amount, notify_url=NOTIFY),
        lambda c: c.orders.h5("Coffee", "order-0013", amount, notify_url=NOTIFY, scene_info=H5_SCENE),
        lambda c: c.orders.native("Coffee", "order-0013", amount, notify_url=NOTIFY),
    ]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_amounts_are_refused_before_any_request(wechat_emulator: Emulator, env: Env, amount: Any) -> None:
    _, client = env
    seen = len(wechat_emulator.requests)
    for call in prepay_calls(amount):
        with pytest.raises(AmountError):
            call(client)
    assert len(wechat_emulator.requests) == seen


@pytest.mark.parametrize(
    "detail",
    [
        {"cost_price": 9.9},
        {"cost_price": "990"},
        {"goods_detail": [{"merchant_goods_id": "1", "quantity": 1, "unit_price": 9.9}]},
        {"goods_detail": [{"merchant_goods_id": "1", "quantity": 1, "unit_price": -1}]},
        {"goods_detail": [{"merchant_goods_id": "1", "quantity": 1, "unit_price": True}]},
    ],
)
def test_amounts_inside_detail_are_checked_too(wechat_emulator: Emulator, pay: Env, detail: Any) -> None:
    _, client = pay
    seen = len(wechat_emulator.requests)
    with pytest.raises(AmountError):
        jsapi(client, "order-0014", detail=detail)
    assert len(wechat_emulator.requests) == seen


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.orders.query_by_out_trade_no("a/b"),
        lambda c: c.orders.query_by_out_trade_no(""),
        lambda c: c.orders.query_by_out_trade_no("x" * 33),
        lambda c: c.orders.query_by_transaction_id("../id"),
        lambda c: c.orders.query_by_transaction_id(42),
        lambda c: c.orders.close("order?x=1"),
        lambda c: jsapi(c, time_expire=dt.datetime(2030, 1, 1)),  # naive: which timezone?
        lambda c: jsapi(c, time_expire=1_900_000_000),
        lambda c: jsapi(c, detail=["not", "a", "mapping"]),
        lambda c: jsapi(c, detail={"goods_detail": "sku-1"}),
        lambda c: jsapi(c, detail={"goods_detail": ["sku-1"]}),
        lambda c: c.orders.h5("Coffee", "order-0015", 1, notify_url=NOTIFY, scene_info={"payer_client_ip": "1.1.1.1"}),
    ],
)
def test_bad_arguments_are_refused_locally(wechat_emulator: Emulator, pay: Env, call: Any) -> None:
    _, client = pay
    seen = len(wechat_emulator.requests)
    with pytest.raises(PayError) as excinfo:
        call(client)
    assert (excinfo.value.code, excinfo.value.status) == ("PARAM_ERROR", 0)
    assert len(wechat_emulator.requests) == seen


def test_appid_is_required(wechat_emulator: Emulator, make_pay_client: Any) -> None:
    _, client = make_pay_client(appid=None)
    seen = len(wechat_emulator.requests)
    for call in prepay_calls(100):
        with pytest.raises(ConfigError, match="appid"):
            call(client)
    assert len(wechat_emulator.requests) == seen
    assert jsapi(client, "order-0016", appid="wx_any")  # a merchant bound to no appid accepts any


# -- transport ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [{"drop": True}, {"status": 502}], ids=["dropped", "http-502"])
def test_a_failed_prepay_is_never_sent_twice(wechat_emulator: Emulator, env: Env, fault: dict[str, Any]) -> None:
    merchant, client = env
    injected = wechat_emulator.inject("/v3/pay/transactions/jsapi", method="POST", times=3, **fault)
    with pytest.raises(TransportError):
        jsapi(client, "order-0017")
    assert injected.fired == 1
    wechat_emulator.clear_faults()
    with pytest.raises(PayError) as excinfo:  # the fault answered before the order was made
        client.orders.query_by_out_trade_no("order-0017")
    pay_error(excinfo, 404, "ORDER_NOT_EXIST")
    assert "order-0017" not in merchant.orders


def test_queries_and_close_are_retried_after_5xx(wechat_emulator: Emulator, env: Env) -> None:
    _, client = env
    jsapi(client, "order-0018")
    path = "/v3/pay/transactions/out-trade-no/order-0018"
    seen = sum(1 for method, p, _ in wechat_emulator.requests if p == path)
    injected = wechat_emulator.inject(path, method="GET", status=503)
    assert client.orders.query_by_out_trade_no("order-0018")["trade_state"] == "NOTPAY"
    assert injected.fired == 1
    assert sum(1 for method, p, _ in wechat_emulator.requests if p == path) == seen + 1

    injected = wechat_emulator.inject(path + "/close", method="POST", drop=True)
    client.orders.close("order-0018")
    assert injected.fired == 1
    assert client.orders.query_by_out_trade_no("order-0018")["trade_state"] == "CLOSED"


# -- untrusted answers ----------------------------------------------------------------------------
def _real_query_handler() -> Any:
    for route in routes.router.routes:
        if (route.method, route.path) == ("GET", "/v3/pay/transactions/out-trade-no/{out_trade_no}"):
            return route.handler
    raise AssertionError("query route not found")


def _tampered(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The real answer, with its body changed after signing."""
    req.path_params = {"out_trade_no": req.path.rsplit("/", 1)[1]}
    answer: EmulatorResponse = _real_query_handler()(emu, req)
    return attrs.evolve(answer, body=answer.body.replace(b"NOTPAY", b"SUCCESS"))


def _forged(emu: Emulator, req: EmulatorRequest) -> EmulatorResponse:
    """The real answer, signed by a key that is not WeChat Pay's."""
    req.path_params = {"out_trade_no": req.path.rsplit("/", 1)[1]}
    answer: EmulatorResponse = _real_query_handler()(emu, req)
    headers = dict(answer.headers)
    message = f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n".encode() + answer.body + b"\n"
    headers["Wechatpay-Signature"] = rsa_sign(platform_key(101), message)
    return attrs.evolve(answer, headers=headers)


@pytest.mark.parametrize("handler", [_tampered, _forged])
def test_an_answer_that_does_not_verify_is_a_signature_error(wechat_emulator: Emulator, env: Env, handler: Any) -> None:
    merchant, client = env
    number = f"{handler.__name__[1:]}-{merchant.mchid}"  # a path of its own: the route stays for the session
    jsapi(client, number)
    assert client.orders.query_by_out_trade_no(number)["trade_state"] == "NOTPAY"
    wechat_emulator.add_route("GET", f"/v3/pay/transactions/out-trade-no/{number}", handler, auth=False)
    with pytest.raises(SignatureError):
        client.orders.query_by_out_trade_no(number)


# -- the test controls -----------------------------------------------------------------------------
def test_complete_payment_failure_then_success(wechat_emulator: Emulator, pay: Env) -> None:
    merchant, client = pay
    client.orders.native("QR order", "order-0019", 500, notify_url=NOTIFY)
    failed = complete_payment(wechat_emulator, merchant, "order-0019", success=False)
    assert failed["trade_state"] == "PAYERROR"
    assert "transaction_id" not in failed
    assert client.orders.query_by_out_trade_no("order-0019") == failed
    paid = complete_payment(wechat_emulator, merchant, "order-0019")
    assert paid["trade_state"] == "SUCCESS"
    assert paid["payer"] == failed["payer"]
    assert complete_payment(wechat_emulator, merchant, "order-0019") == paid  # paying twice changes nothing
    assert routes.find_order(merchant, transaction_id=paid["transaction_id"]) is merchant.orders["order-0019"]
    assert routes.find_order(merchant) is None


def test_complete_payment_refuses_what_it_cannot_do(wechat_emulator: Emulator, pay: Env) -> None:
    merchant, client = pay
    client.orders.native("QR order", "order-0020", 500, notify_url=NOTIFY)
    with pytest.raises(KeyError):
        complete_payment(wechat_emulator, merchant, "no-such-order")
    for bad in (501, -1, 1.5, True):
        with pytest.raises(ValueError, match="payer_total"):
            complete_payment(wechat_emulator, merchant, "order-0020", payer_total=bad)
    assert merchant.orders["order-0020"]["trade_state"] == "NOTPAY"
