"""WeChat Pay v3 combine orders (合单, ``pay.combine``) end to end against the emulator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from wxkit.errors import AmountError, ConfigError, PayError, TransportError
from wxkit.pay.v3.client import PayClient
from wxkit.pay.v3.combine import MAX_SUB_ORDERS, sub_order
from wxkit.pay.v3.crypto import rsa_verify
from wxkit.testing import Emulator
from wxkit.testing.pay import MerchantState
from wxkit.testing.routes.pay_v3_orders import complete_combine_payment

NOTIFY = "https://example.com/pay/combine-notify"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
H5_SCENE = {"payer_client_ip": "14.23.150.211", "device_id": "POS1:1", "h5_info": {"type": "iOS"}}
Env = tuple[MerchantState, PayClient]


@pytest.fixture(params=["public_key", "certificate"])
def env(request: pytest.FixtureRequest, make_pay_client: Any) -> Env:
    """A merchant and its client, in both verification modes."""
    return make_pay_client(request.param)


@pytest.fixture
def pay(make_pay_client: Any) -> Env:
    """A merchant and its client (public-key mode)."""
    return make_pay_client()


def subs(n: int = 2, amount: Any = 100) -> list[dict[str, Any]]:
    return [sub_order(f"sub-{i:04d}", amount, f"item {i}", attach=f"a{i}") for i in range(n)]


def pay_error(excinfo: pytest.ExceptionInfo[PayError], status: int, code: str) -> PayError:
    assert (excinfo.value.status, excinfo.value.code) == (status, code), excinfo.value
    return excinfo.value


# -- happy paths ---------------------------------------------------------------------------
def test_jsapi_combine_prepay_query_pay(wechat_emulator: Emulator, env: Env) -> None:
    merchant, client = env
    prepay_id = client.combine.jsapi("combine-0001", subs(), OPENID, notify_url=NOTIFY)
    assert prepay_id.startswith("wx")
    sent = merchant.data["combine"]["combine-0001"]["request"]
    assert sent == {
        "combine_appid": "wx_pay_test_app",
        "combine_mchid": merchant.mchid,
        "combine_out_trade_no": "combine-0001",
        "sub_orders": [
            {
                "mchid": merchant.mchid,
                "attach": f"a{i}",
                "amount": {"total_amount": 100, "currency": "CNY"},
                "out_trade_no": f"sub-{i:04d}",
                "description": f"item {i}",
            }
            for i in range(2)
        ],
        "combine_payer_info": {"openid": OPENID},
        "notify_url": NOTIFY,
    }
    assert client.combine.jsapi("combine-0001", subs(), OPENID, notify_url=NOTIFY) == prepay_id

    unpaid = client.combine.query("combine-0001")
    assert unpaid["combine_out_trade_no"] == "combine-0001"
    assert [s["trade_state"] for s in unpaid["sub_orders"]] == ["NOTPAY", "NOTPAY"]
    assert "combine_payer_info" not in unpaid

    paid = complete_combine_payment(wechat_emulator, merchant, "combine-0001")
    assert paid["combine_payer_info"] == {"openid": OPENID}
    for sub in paid["sub_orders"]:
        assert sub["trade_state"] == "SUCCESS"
        assert sub["trade_type"] == "JSAPI"
        assert sub["amount"] == {"total_amount": 100, "payer_amount": 100, "currency": "CNY", "payer_currency": "CNY"}
    assert len({s["transaction_id"] for s in paid["sub_orders"]}) == 2
    assert client.combine.query("combine-0001") == paid
    assert complete_combine_payment(wechat_emulator, merchant, "combine-0001") == paid


def test_jsapi_with_params_signs_for_the_combine_appid(env: Env, merchant_key: Any) -> None:
    merchant, client = env
    merchant.data["appids"] = {"wx_mini"}
    prepay_id, params = client.combine.jsapi_with_params(
        "combine-0002", subs(), OPENID, notify_url=NOTIFY, combine_appid="wx_mini"
    )
    assert merchant.data["combine"]["combine-0002"]["combine_appid"] == "wx_mini"
    assert (params["appId"], params["package"]) == ("wx_mini", f"prepay_id={prepay_id}")
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    assert rsa_verify(merchant_key.public_key(), message, params["paySign"])


def test_app_h5_native(wechat_emulator: Emulator, env: Env) -> None:
    merchant, client = env
    assert client.combine.app("combine-app1", subs(), notify_url=NOTIFY, payer_openid=OPENID).startswith("wx")
    assert merchant.data["combine"]["combine-app1"]["request"]["combine_payer_info"] == {"openid": OPENID}
    assert "combine_payer_info" not in client.combine.query("combine-app1")
    h5_url = client.combine.h5(
        "combine-h5-1", subs(), notify_url=NOTIFY, scene_info=H5_SCENE, time_expire="2030-01-01T00:00:00+08:00"
    )
    assert h5_url.startswith("https://")
    assert client.combine.query("combine-h5-1")["scene_info"] == {"device_id": "POS1:1"}
    code_url = client.combine.native("combine-qr-1", subs(3), notify_url=NOTIFY, time_start="2030-01-01T00:00:00Z")
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    paid = complete_combine_payment(wechat_emulator, merchant, "combine-qr-1")
    assert [s["trade_type"] for s in paid["sub_orders"]] == ["NATIVE"] * 3
    assert paid["combine_payer_info"]["openid"]  # the emulated payer


def test_sub_orders_as_plain_dicts(pay: Env) -> None:
    merchant, client = pay
    plain = [
        {"out_trade_no": "sub-plain-1", "amount": 150, "description": "A", "attach": "a"},
        {
            "mchid": merchant.mchid,
            "out_trade_no": "sub-plain-2",
            "amount": {"total_amount": 50},
            "description": "B",
            "attach": "b",
            "settle_info": {"profit_sharing": True, "subsidy_amount": 0},
        },
    ]
    client.combine.native("combine-0003", plain, notify_url=NOTIFY)
    sent = merchant.data["combine"]["combine-0003"]["request"]["sub_orders"]
    assert [s["amount"] for s in sent] == [
        {"total_amount": 150, "currency": "CNY"},
        {"total_amount": 50, "currency": "CNY"},
    ]
    assert {s["mchid"] for s in sent} == {merchant.mchid}
    assert plain[0]["amount"] == 150  # the caller's dicts are not changed


def test_sub_order_helper() -> None:
    assert sub_order(
        "sub-0001", 100, "Coffee", attach="a", mchid="1900000109", goods_tag="WXG", sub_mchid="1230000109"
    ) == {
        "mchid": "1900000109",
        "attach": "a",
        "amount": {"total_amount": 100, "currency": "CNY"},
        "out_trade_no": "sub-0001",
        "description": "Coffee",
        "goods_tag": "WXG",
        "sub_mchid": "1230000109",
    }


# -- close -----------------------------------------------------------------------------------------
def test_close_by_numbers_or_dicts(wechat_emulator: Emulator, env: Env) -> None:
    merchant, client = env
    orders = subs()
    client.combine.native("combine-0004", orders, notify_url=NOTIFY)
    assert client.combine.close("combine-0004", ["sub-0000", "sub-0001"]) is None
    assert {s["trade_state"] for s in client.combine.query("combine-0004")["sub_orders"]} == {"CLOSED"}
    client.combine.close("combine-0004", orders)  # again, with the sub-order dicts: still 204
    sent = merchant.data["combine"]["combine-0004"]
    assert sent["state"] == "CLOSED"
    with pytest.raises(PayError) as excinfo:
        client.combine.native("combine-0004", orders, notify_url=NOTIFY)
    pay_error(excinfo, 400, "ORDER_CLOSED")
    with pytest.raises(ValueError, match="closed"):
        complete_combine_payment(wechat_emulator, merchant, "combine-0004")


@pytest.mark.parametrize(
    "closing",
    [
        ["sub-0000"],
        ["sub-0000", "sub-9999"],
        ["sub-0000", "sub-0001", "sub-0001"],
        [{"mchid": "1900000000", "out_trade_no": "sub-0000"}, "sub-0001"],
    ],
    ids=["part", "other", "repeated", "other-mchid"],
)
def test_close_must_name_exactly_the_sub_orders(pay: Env, closing: list[Any]) -> None:
    _, client = pay
    client.combine.native("combine-0005", subs(), notify_url=NOTIFY)
    with pytest.raises(PayError) as excinfo:
        client.combine.close("combine-0005", closing)
    assert "子单信息" in pay_error(excinfo, 400, "INVALID_REQUEST").message


def test_close_with_another_combine_appid(pay: Env) -> None:
    merchant, client = pay
    merchant.data["appids"] = {"wx_other"}
    client.combine.native("combine-0006", subs(), notify_url=NOTIFY)
    with pytest.raises(PayError) as excinfo:
        client.combine.close("combine-0006", ["sub-0000", "sub-0001"], combine_appid="wx_other")
    pay_error(excinfo, 400, "INVALID_REQUEST")


# -- documented errors -----------------------------------------------------------------------------
def test_paid_combine_cannot_be_closed_nor_prepaid_again(wechat_emulator: Emulator, pay: Env) -> None:
    merchant, client = pay
    client.combine.jsapi("combine-0007", subs(), OPENID, notify_url=NOTIFY)
    complete_combine_payment(wechat_emulator, merchant, "combine-0007")
    with pytest.raises(PayError) as excinfo:
        client.combine.close("combine-0007", ["sub-0000", "sub-0001"])
    pay_error(excinfo, 400, "ORDERPAID")
    with pytest.raises(PayError) as excinfo:
        client.combine.jsapi("combine-0007", subs(), OPENID, notify_url=NOTIFY)
    pay_error(excinfo, 400, "ORDERPAID")


def test_unknown_combine_orders(wechat_emulator: Emulator, pay: Env) -> None:
    merchant, client = pay
    with pytest.raises(PayError) as excinfo:
        client.combine.query("no-such-combine")
    pay_error(excinfo, 404, "ORDER_NOT_EXIST")
    with pytest.raises(PayError) as excinfo:
        client.combine.close("no-such-combine", ["sub-0000", "sub-0001"])
    pay_error(excinfo, 404, "ORDER_NOT_EXIST")
    with pytest.raises(KeyError):
        complete_combine_payment(wechat_emulator, merchant, "no-such-combine")


@pytest.mark.parametrize(
    "again",
    [
        lambda c: c.combine.jsapi("combine-0008", subs(amount=101), OPENID, notify_url=NOTIFY),
        lambda c: c.combine.jsapi("combine-0008", subs(3), OPENID, notify_url=NOTIFY),
        lambda c: c.combine.app("combine-0008", subs(), notify_url=NOTIFY, payer_openid=OPENID),
    ],
    ids=["amount", "count", "trade-type"],
)
def test_same_combine_out_trade_no_with_other_content(pay: Env, again: Any) -> None:
    _, client = pay
    client.combine.jsapi("combine-0008", subs(), OPENID, notify_url=NOTIFY)
    with pytest.raises(PayError) as excinfo:
        again(client)
    assert "商户订单号重复" in pay_error(excinfo, 400, "INVALID_REQUEST").message


@pytest.mark.parametrize("count", [1, 11])
def test_direct_merchants_combine_2_to_10_sub_orders(pay: Env, count: int) -> None:
    merchant, client = pay
    with pytest.raises(PayError) as excinfo:
        client.combine.native("combine-0009", subs(count), notify_url=NOTIFY)
    assert "2-10" in pay_error(excinfo, 400, "PARAM_ERROR").message
    merchant.data["combine_max_sub_orders"] = 50  # a platform merchant
    if count > 1:
        assert client.combine.native("combine-0009", subs(count), notify_url=NOTIFY)


@pytest.mark.parametrize(
    ("orders", "field"),
    [
        ([{**subs()[0], "attach": None}, subs()[1]], "sub_orders/0/attach"),
        ([subs()[0], {**subs()[1], "description": ""}], "sub_orders/1/description"),
        ([subs()[0], {**subs()[1], "out_trade_no": "sub-0000"}], "sub_orders/1/out_trade_no"),
        ([subs()[0], {**subs()[1], "out_trade_no": "s1"}], "sub_orders/1/out_trade_no"),
        ([subs()[0], {**subs()[1], "amount": {"total_amount": 1, "currency": "USD"}}], "sub_orders/1/amount/currency"),
    ],
)
def test_invalid_sub_orders_are_param_error(pay: Env, orders: list[dict[str, Any]], field: str) -> None:
    _, client = pay
    orders = [{k: v for k, v in o.items() if v is not None} for o in orders]
    with pytest.raises(PayError) as excinfo:
        client.combine.native("combine-0010", orders, notify_url=NOTIFY)
    assert pay_error(excinfo, 400, "PARAM_ERROR").detail == {"location": "body", "value": field}


def raw_combine(merchant: MerchantState, **change: Any) -> dict[str, Any]:
    body = {
        "combine_appid": "wx_pay_test_app",
        "combine_mchid": merchant.mchid,
        "combine_out_trade_no": "combine-0011",
        "sub_orders": subs(),
        "combine_payer_info": {"openid": OPENID},
        "notify_url": NOTIFY,
    }
    for sub in body["sub_orders"]:
        sub["mchid"] = merchant.mchid
    body.update(change)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("jsapi", {"combine_payer_info": None}, "combine_payer_info"),
        ("jsapi", {"combine_payer_info": {}}, "combine_payer_info/openid"),
        ("jsapi", {"sub_orders": None}, "sub_orders"),
        ("jsapi", {"sub_orders": []}, "sub_orders"),
        ("jsapi", {"combine_mchid": None}, "combine_mchid"),
        ("jsapi", {"notify_url": "https://example.com/n?x=1"}, "notify_url"),
        ("jsapi", {"time_expire": "2030-01-01 08:00"}, "time_expire"),
        ("jsapi", {"sub_orders": [{"amount": {"total": 1}}, {}]}, "sub_orders/0/mchid"),
        ("h5", {"scene_info": {"payer_client_ip": "1.1.1.1"}}, "scene_info/h5_info"),
        ("h5", {}, "scene_info"),
    ],
)
def test_raw_combine_bodies_are_checked(pay: Env, kind: str, change: dict[str, Any], field: str) -> None:
    merchant, client = pay
    with pytest.raises(PayError) as excinfo:
        client.request("POST", f"/v3/combine-transactions/{kind}", json_body=raw_combine(merchant, **change))
    assert pay_error(excinfo, 400, "PARAM_ERROR").detail == {"location": "body", "value": field}


@pytest.mark.parametrize("bad", [{"total": 100}, {"total_amount": 1.5}, {"total_amount": "100"}, {"total_amount": 0}])
def test_the_emulator_wants_integer_total_amount(pay: Env, bad: dict[str, Any]) -> None:
    merchant, client = pay
    orders = subs()
    for sub in orders:
        sub["mchid"] = merchant.mchid
    orders[1]["amount"] = {**bad, "currency": "CNY"}
    with pytest.raises(PayError) as excinfo:
        client.request("POST", "/v3/combine-transactions/native", json_body=raw_combine(merchant, sub_orders=orders))
    assert pay_error(excinfo, 400, "PARAM_ERROR").detail == {
        "location": "body",
        "value": "sub_orders/1/amount/total_amount",
    }


def test_combine_mchid_must_be_the_callers(pay: Env) -> None:
    merchant, client = pay
    with pytest.raises(PayError) as excinfo:
        client.request(
            "POST", "/v3/combine-transactions/jsapi", json_body=raw_combine(merchant, combine_mchid="1900000000")
        )
    pay_error(excinfo, 400, "PARAM_ERROR")
    with pytest.raises(PayError) as excinfo:
        client.request("POST", "/v3/combine-transactions/jsapi", json_body=raw_combine(merchant, combine_appid="wx_x"))
    pay_error(excinfo, 400, "APPID_MCHID_NOT_MATCH")


# -- refused before any request ---------------------------------------------------------------
BAD_AMOUNTS = [12.5, True, "100", Decimal("1"), -1, 0, None]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_sub_order_amounts_are_refused_before_any_request(wechat_emulator: Emulator, pay: Env, amount: Any) -> None:
    _, client = pay
    seen = len(wechat_emulator.requests)
    with pytest.raises(AmountError):
        sub_order("sub-0001", amount, "Coffee", attach="a")
    good = subs()
    as_int = [good[0], {**good[1], "amount": amount}]
    as_dict = [good[0], {**good[1], "amount": {"total_amount": amount, "currency": "CNY"}}]
    for orders in (as_int, as_dict):
        calls = [
            lambda o: client.combine.jsapi("combine-0012", o, OPENID, notify_url=NOTIFY),
            lambda o: client.combine.jsapi_with_params("combine-0012", o, OPENID, notify_url=NOTIFY),
            lambda o: client.combine.app("combine-0012", o, notify_url=NOTIFY),
            lambda o: client.combine.h5("combine-0012", o, notify_url=NOTIFY, scene_info=H5_SCENE),
            lambda o: client.combine.native("combine-0012", o, notify_url=NOTIFY),
        ]
        for call in calls:
            with pytest.raises(AmountError):
                call(orders)
    with pytest.raises(AmountError):
        client.combine.native(
            "combine-0012",
            [good[0], {**good[1], "settle_info": {"subsidy_amount": 1.5}}],
            notify_url=NOTIFY,
        )
    assert len(wechat_emulator.requests) == seen


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.combine.native("combine-0013", [], notify_url=NOTIFY),
        lambda c: c.combine.native("combine-0013", subs(MAX_SUB_ORDERS + 1), notify_url=NOTIFY),
        lambda c: c.combine.native("combine-0013", "sub-0001", notify_url=NOTIFY),
        lambda c: c.combine.native("combine-0013", subs()[0], notify_url=NOTIFY),
        lambda c: c.combine.native("combine-0013", [subs()[0], "sub-0001"], notify_url=NOTIFY),
        lambda c: c.combine.native(
            "combine-0013", [subs()[0], {**subs()[1], "amount": {"total": 100}}], notify_url=NOTIFY
        ),
        lambda c: c.combine.h5("combine-0013", subs(), notify_url=NOTIFY, scene_info={"payer_client_ip": "1.1.1.1"}),
        lambda c: c.combine.native("combine-0013", subs(), notify_url=NOTIFY, time_expire=1_900_000_000),
        lambda c: c.combine.query("a/b"),
        lambda c: c.combine.close("a/b", ["sub-0000"]),
        lambda c: c.combine.close("combine-0013", []),
        lambda c: c.combine.close("combine-0013", [42]),
        lambda c: c.combine.close("combine-0013", [{"mchid": "1900000109"}]),
    ],
)
def test_bad_arguments_are_refused_locally(wechat_emulator: Emulator, pay: Env, call: Any) -> None:
    _, client = pay
    seen = len(wechat_emulator.requests)
    with pytest.raises(PayError) as excinfo:
        call(client)
    assert (excinfo.value.code, excinfo.value.status) == ("PARAM_ERROR", 0)
    assert len(wechat_emulator.requests) == seen


def test_combine_appid_is_required(wechat_emulator: Emulator, make_pay_client: Any) -> None:
    _, client = make_pay_client(appid=None)
    seen = len(wechat_emulator.requests)
    with pytest.raises(ConfigError, match="combine_appid"):
        client.combine.jsapi("combine-0014", subs(), OPENID, notify_url=NOTIFY)
    with pytest.raises(ConfigError, match="combine_appid"):
        client.combine.close("combine-0014", ["sub-0000", "sub-0001"])
    assert len(wechat_emulator.requests) == seen


# -- transport ----------------------------------------------------------------------------------
def test_a_dropped_combine_prepay_is_never_sent_twice(wechat_emulator: Emulator, env: Env) -> None:
    merchant, client = env
    injected = wechat_emulator.inject("/v3/combine-transactions/jsapi", method="POST", drop=True, times=3)
    with pytest.raises(TransportError):
        client.combine.jsapi("combine-0015", subs(), OPENID, notify_url=NOTIFY)
    assert injected.fired == 1
    assert "combine-0015" not in merchant.data.get("combine", {})


def test_combine_query_and_close_are_retried(wechat_emulator: Emulator, env: Env) -> None:
    _, client = env
    client.combine.native("combine-0016", subs(), notify_url=NOTIFY)
    path = "/v3/combine-transactions/out-trade-no/combine-0016"
    query = wechat_emulator.inject(path, method="GET", status=500)
    close = wechat_emulator.inject(path + "/close", method="POST", status=502)
    assert client.combine.query("combine-0016")["combine_out_trade_no"] == "combine-0016"
    client.combine.close("combine-0016", ["sub-0000", "sub-0001"])
    assert (query.fired, close.fired) == (1, 1)
    assert {s["trade_state"] for s in client.combine.query("combine-0016")["sub_orders"]} == {"CLOSED"}


def test_a_paid_combine_order_of_a_known_app_is_known_to_the_shipping_api(
    wechat_emulator: Emulator, make_pay_client: Any
) -> None:
    """Each sub-order is a payment the mini program must ship (upload_combined_shipping_info), as a single order is."""
    from wxkit.testing.miniprogram import miniprogram_state

    app = wechat_emulator.add_app(f"wx_combine_ship_{wechat_emulator.next_id()}", "secret")
    merchant, client = make_pay_client(appid=app.appid)
    client.combine.jsapi("combine-ship-1", subs(), OPENID, notify_url=NOTIFY)
    paid = complete_combine_payment(wechat_emulator, merchant, "combine-ship-1")
    known = miniprogram_state(app).orders
    assert sorted(known) == sorted(s["transaction_id"] for s in paid["sub_orders"])
    assert sorted((o["openid"], o["mchid"], o["out_trade_no"], o["paid_amount"]) for o in known.values()) == [
        (OPENID, merchant.mchid, "sub-0000", 100),
        (OPENID, merchant.mchid, "sub-0001", 100),
    ]
    complete_combine_payment(wechat_emulator, merchant, "combine-ship-1")  # paying again registers nothing new
    assert len(miniprogram_state(app).orders) == 2
