"""v3 refunds end to end against the emulator: apply, query, complete, abnormal refund, errors."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit.errors import AmountError, PayError
from wxkit.testing import Emulator
from wxkit.testing.routes.pay_v3_funds import complete_refund, refund_notify_url, seed_paid_order
from wxkit.testing.routes.pay_v3_orders import complete_payment


@pytest.fixture
def pay(make_pay_client: Any) -> Any:
    merchant, client = make_pay_client("public_key")
    order = seed_paid_order(merchant, "T1001", 300)
    return merchant, client, order


def _code(exc: pytest.ExceptionInfo[PayError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


@pytest.mark.parametrize("by", ["out_trade_no", "transaction_id"])
def test_create_and_query(pay: Any, by: str) -> None:
    merchant, client, order = pay
    refund = client.refunds.create(
        "R1", 100, 300, **{by: order[by]}, reason="缺货", notify_url="https://example.com/refund"
    )
    assert refund["status"] == "PROCESSING"
    assert (refund["out_trade_no"], refund["transaction_id"]) == ("T1001", order["transaction_id"])
    assert refund["amount"]["refund"] == 100
    assert refund["amount"]["total"] == 300
    assert client.refunds.query("R1") == refund
    assert order["trade_state"] == "REFUND"
    assert refund_notify_url(merchant, "R1") == "https://example.com/refund"


def test_same_out_refund_no_refunds_once(pay: Any) -> None:
    _, client, _ = pay
    first = client.refunds.create("R1", 100, 300, out_trade_no="T1001")
    again = client.refunds.create("R1", 100, 300, out_trade_no="T1001")
    assert again["refund_id"] == first["refund_id"]
    with pytest.raises(PayError) as exc:
        client.refunds.create("R1", 120, 300, out_trade_no="T1001")
    assert _code(exc) == (400, "INVALID_REQUEST")
    assert client.refunds.create("R2", 200, 300, out_trade_no="T1001")["status"] == "PROCESSING"


def test_refund_above_what_is_left_then_closed_frees_it(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client, _ = pay
    client.refunds.create("R1", 250, 300, out_trade_no="T1001")
    with pytest.raises(PayError) as exc:
        client.refunds.create("R2", 100, 300, out_trade_no="T1001")
    assert _code(exc) == (400, "INVALID_REQUEST")
    complete_refund(wechat_emulator, merchant, "R1", status="CLOSED")
    assert client.refunds.create("R3", 300, 300, out_trade_no="T1001")["amount"]["refund"] == 300


def test_complete_refund_control(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client, _ = pay
    client.refunds.create("R1", 100, 300, out_trade_no="T1001")
    done = complete_refund(wechat_emulator, merchant, "R1")
    assert (done["status"], done["refund_status"], done["mchid"]) == ("SUCCESS", "SUCCESS", merchant.mchid)
    queried = client.refunds.query("R1")
    assert queried["status"] == "SUCCESS"
    assert queried["success_time"] == done["success_time"]
    assert "refund_status" not in queried
    with pytest.raises(ValueError, match="not PROCESSING"):
        complete_refund(wechat_emulator, merchant, "R1")
    with pytest.raises(ValueError, match="status"):
        complete_refund(wechat_emulator, merchant, "R1", status="DONE")
    with pytest.raises(KeyError):
        complete_refund(wechat_emulator, merchant, "R404")


def test_from_accounts_and_goods_detail(pay: Any) -> None:
    _, client, _ = pay
    refund = client.refunds.create(
        "R1",
        100,
        300,
        out_trade_no="T1001",
        from_=[{"account": "AVAILABLE", "amount": 60}, {"account": "UNAVAILABLE", "amount": 40}],
        goods_detail=[{"merchant_goods_id": "G1", "unit_price": 100, "refund_amount": 100, "refund_quantity": 1}],
        funds_account="AVAILABLE",
    )
    assert refund["amount"]["from"] == [
        {"account": "AVAILABLE", "amount": 60},
        {"account": "UNAVAILABLE", "amount": 40},
    ]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"out_trade_no": "NOPE"}, 404, "RESOURCE_NOT_EXISTS"),
        ({"transaction_id": "4200000000000000000000000000"}, 404, "RESOURCE_NOT_EXISTS"),
    ],
)
def test_unknown_order(pay: Any, kwargs: dict[str, str], status: int, code: str) -> None:
    _, client, _ = pay
    with pytest.raises(PayError) as exc:
        client.refunds.create("R1", 100, 300, **kwargs)
    assert _code(exc) == (status, code)


def test_unpaid_order_and_total_mismatch(pay: Any) -> None:
    merchant, client, _ = pay
    seed_paid_order(merchant, "T2", 100)["trade_state"] = "NOTPAY"
    with pytest.raises(PayError) as exc:
        client.refunds.create("R1", 50, 100, out_trade_no="T2")
    assert _code(exc) == (404, "RESOURCE_NOT_EXISTS")
    with pytest.raises(PayError) as exc:
        client.refunds.create("R1", 50, 299, out_trade_no="T1001")
    assert _code(exc) == (400, "INVALID_REQUEST")


def test_query_unknown(pay: Any) -> None:
    with pytest.raises(PayError) as exc:
        pay[1].refunds.query("R404")
    assert _code(exc) == (404, "RESOURCE_NOT_EXISTS")


@pytest.mark.parametrize("mode", ["certificate", "public_key", "both"])
def test_abnormal_refund_fields_arrive_decrypted(wechat_emulator: Emulator, make_pay_client: Any, mode: str) -> None:
    merchant, client = make_pay_client(mode)
    seed_paid_order(merchant, "T1", 500)
    refund = client.refunds.create("R1", 500, 500, out_trade_no="T1")
    complete_refund(wechat_emulator, merchant, "R1", status="ABNORMAL")
    answer = client.refunds.abnormal_refund(
        refund["refund_id"],
        "R1",
        "USER_BANK_CARD",
        bank_type="CMB_DEBIT",
        bank_account="6225880137003403",
        real_name="张三",
    )
    assert answer["status"] == "PROCESSING"
    assert answer["channel"] == "OTHER_BANKCARD"
    assert merchant.data["refunds"]["R1"]["abnormal"] == {
        "type": "USER_BANK_CARD",
        "bank_type": "CMB_DEBIT",
        "bank_account": "6225880137003403",
        "real_name": "张三",
    }
    assert complete_refund(wechat_emulator, merchant, "R1")["status"] == "SUCCESS"


def test_abnormal_refund_to_merchant_and_errors(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client, _ = pay
    refund = client.refunds.create("R1", 100, 300, out_trade_no="T1001")
    with pytest.raises(PayError) as exc:  # still PROCESSING
        client.refunds.abnormal_refund(refund["refund_id"], "R1", "MERCHANT_BANK_CARD")
    assert _code(exc) == (400, "INVALID_REQUEST")
    complete_refund(wechat_emulator, merchant, "R1", status="ABNORMAL")
    with pytest.raises(PayError) as exc:
        client.refunds.abnormal_refund("50000000000000000000000000000", "R1", "MERCHANT_BANK_CARD")
    assert _code(exc) == (404, "RESOURCE_NOT_EXISTS")
    answer = client.refunds.abnormal_refund(refund["refund_id"], "R1", "MERCHANT_BANK_CARD")
    assert answer["user_received_account"] == "商户结算银行账户"


@pytest.mark.parametrize(
    ("mode", "serial", "body_value", "message"),
    [
        ("certificate", None, "x", "Wechatpay-Serial"),  # a certificate-mode client names no key by itself
        ("public_key", "NO_SUCH_SERIAL", "x", "不存在"),
        ("public_key", "PUBKEY", "bm90IGEgY2lwaGVydGV4dA==", "解密失败"),
    ],
)
def test_emulator_refuses_undecryptable_sensitive_fields(
    wechat_emulator: Emulator, make_pay_client: Any, mode: str, serial: str | None, body_value: str, message: str
) -> None:
    merchant, client = make_pay_client(mode)
    seed_paid_order(merchant, "T1", 300)
    refund = client.refunds.create("R1", 100, 300, out_trade_no="T1")
    complete_refund(wechat_emulator, merchant, "R1", status="ABNORMAL")
    body = {
        "out_refund_no": "R1",
        "type": "USER_BANK_CARD",
        "bank_type": "CMB_DEBIT",
        "bank_account": body_value,
        "real_name": body_value,
    }
    with pytest.raises(PayError) as exc:
        client.request(
            "POST",
            f"/v3/refund/domestic/refunds/{refund['refund_id']}/apply-abnormal-refund",
            json_body=body,
            sensitive_serial=merchant.public_key_id if serial == "PUBKEY" else serial,
        )
    assert _code(exc) == (400, "PARAM_ERROR")
    assert message in exc.value.message


@pytest.mark.parametrize(
    "body",
    [
        {"out_refund_no": "R1", "out_trade_no": "T1001"},
        {"out_refund_no": "R1", "out_trade_no": "T1001", "amount": {"refund": 1.5, "total": 300, "currency": "CNY"}},
        {"out_refund_no": "R1", "out_trade_no": "T1001", "amount": {"refund": 100, "total": 300}},
        {"out_trade_no": "T1001", "amount": {"refund": 100, "total": 300, "currency": "CNY"}},
        {
            "out_refund_no": "R1",
            "out_trade_no": "T1001",
            "amount": {"refund": 100, "total": 300, "currency": "CNY", "from": [{"account": "AVAILABLE", "amount": 1}]},
        },
    ],
)
def test_emulator_param_errors(pay: Any, body: dict[str, Any]) -> None:
    with pytest.raises(PayError) as exc:
        pay[1].request("POST", "/v3/refund/domestic/refunds", json_body=body)
    assert _code(exc) == (400, "PARAM_ERROR")


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (("R1", 1.0, 300), {"out_trade_no": "T1001"}, AmountError),
        (("R1", 100, 300.0), {"out_trade_no": "T1001"}, AmountError),
        (("R1", True, 300), {"out_trade_no": "T1001"}, AmountError),
        (("R1", "100", 300), {"out_trade_no": "T1001"}, AmountError),
        (("R1", -1, 300), {"out_trade_no": "T1001"}, AmountError),
        (("R1", 0, 300), {"out_trade_no": "T1001"}, AmountError),
        (("R1", 301, 300), {"out_trade_no": "T1001"}, AmountError),
        (("R1", 100, 300), {}, ValueError),
        (("R1", 100, 300), {"out_trade_no": "T1001", "transaction_id": "42"}, ValueError),
        (("R1", 100, 300), {"out_trade_no": "T1001", "from_": [{"account": "AVAILABLE", "amount": 99}]}, AmountError),
        (
            ("R1", 100, 300),
            {"out_trade_no": "T1001", "from_": [{"account": "AVAILABLE", "amount": 100.0}]},
            AmountError,
        ),
        (("R1", 100, 300), {"out_trade_no": "T1001", "from_": ["AVAILABLE"]}, ValueError),
        (("R1", 100, 300), {"out_trade_no": "T1001", "goods_detail": [{"unit_price": 1.5}]}, AmountError),
        (("R1", 100, 300), {"out_trade_no": "T1001", "goods_detail": ["G1"]}, ValueError),
    ],
)
def test_bad_input_is_refused_before_sending(
    wechat_emulator: Emulator, pay: Any, args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    before = len(wechat_emulator.requests)
    with pytest.raises(error):
        pay[1].refunds.create(*args, **kwargs)
    assert len(wechat_emulator.requests) == before


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.refunds.query(""), "out_refund_no"),
        (lambda c: c.refunds.query("a/b"), "out_refund_no"),
        (lambda c: c.refunds.query(".."), "out_refund_no"),
        (lambda c: c.refunds.abnormal_refund("50", "R1", "CASH"), "type"),
        (lambda c: c.refunds.abnormal_refund("50", "R1", "USER_BANK_CARD", bank_type="CMB_DEBIT"), "USER_BANK_CARD"),
        (lambda c: c.refunds.abnormal_refund("a/b", "R1", "MERCHANT_BANK_CARD"), "refund_id"),
        (
            lambda c: c.refunds.abnormal_refund(
                "50", "R1", "USER_BANK_CARD", bank_type="CMB_DEBIT", bank_account="", real_name="x"
            ),
            "bank_account",
        ),
    ],
)
def test_bad_query_and_abnormal_input(wechat_emulator: Emulator, pay: Any, call: Any, match: str) -> None:
    before = len(wechat_emulator.requests)
    with pytest.raises(ValueError, match=match):
        call(pay[1])
    assert len(wechat_emulator.requests) == before


def test_refund_an_order_paid_through_the_order_api(wechat_emulator: Emulator, make_pay_client: Any) -> None:
    merchant, client = make_pay_client("public_key")
    client.orders.jsapi("咖啡", "order-0001", 1200, "o_payer", notify_url="https://example.com/pay")
    paid = complete_payment(wechat_emulator, merchant, "order-0001", payer_total=1000)
    refund = client.refunds.create("refund-0001", 600, 1200, transaction_id=paid["transaction_id"])
    assert (refund["amount"]["payer_total"], refund["amount"]["payer_refund"]) == (1000, 500)
    assert client.orders.query_by_out_trade_no("order-0001")["trade_state"] == "REFUND"
    assert complete_refund(wechat_emulator, merchant, "refund-0001")["status"] == "SUCCESS"


def test_a_full_refund_shows_the_order_refunded_to_the_shipping_api(
    wechat_emulator: Emulator, make_pay_client: Any
) -> None:
    from wxkit.testing.miniprogram import miniprogram_state

    app = wechat_emulator.add_app(f"wx_refund_ship_{wechat_emulator.next_id()}", "secret")
    merchant, client = make_pay_client("public_key", appid=app.appid)
    client.orders.jsapi("Coffee", "T-ship", 300, "o_buyer", notify_url="https://example.com/pay")
    tid = complete_payment(wechat_emulator, merchant, "T-ship")["transaction_id"]
    shipping = miniprogram_state(app).orders[tid]
    client.refunds.create("R-a", 100, 300, transaction_id=tid)
    complete_refund(wechat_emulator, merchant, "R-a")
    client.refunds.create("R-b", 200, 300, transaction_id=tid)
    assert shipping["order_state"] == 1  # 100 of 300 refunded; the rest still PROCESSING
    complete_refund(wechat_emulator, merchant, "R-b")
    assert shipping["order_state"] == 5  # 已退款
