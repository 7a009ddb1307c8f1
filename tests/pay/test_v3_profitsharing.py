"""v3 profit sharing end to end against the emulator: receivers, orders, returns, unfreeze, amounts."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit.errors import AmountError, ConfigError, PayError
from wxkit.testing import Emulator
from wxkit.testing.routes.pay_v3_funds import finish_profitsharing_order, seed_paid_order
from wxkit.testing.routes.pay_v3_orders import complete_payment

PARTNER = "1900000110"


@pytest.fixture
def pay(make_pay_client: Any) -> Any:
    """A merchant with a paid profit-sharing order of 1000 fen and a registered MERCHANT_ID receiver."""
    merchant, client = make_pay_client("public_key")
    order = seed_paid_order(merchant, "T1", 1000, profit_sharing=True)
    client.profitsharing.add_receiver("MERCHANT_ID", PARTNER, "PARTNER", name="某某有限公司")
    return merchant, client, order["transaction_id"]


def _share(client: Any, transaction_id: str, out_order_no: str = "P1", amount: int = 300, **kwargs: Any) -> Any:
    kwargs.setdefault("unfreeze_unsplit", False)
    receiver = {"type": "MERCHANT_ID", "account": PARTNER, "amount": amount, "description": "分给合作方"}
    return client.profitsharing.create_order(transaction_id, out_order_no, [receiver], **kwargs)


def _code(exc: pytest.ExceptionInfo[PayError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


@pytest.mark.parametrize("mode", ["certificate", "public_key", "both"])
def test_receiver_names_arrive_decrypted(make_pay_client: Any, mode: str) -> None:
    merchant, client = make_pay_client(mode)
    order = seed_paid_order(merchant, "T1", 1000, profit_sharing=True)
    answer = client.profitsharing.add_receiver(
        "PERSONAL_OPENID", "o_user_1", "CUSTOM", name="王五", custom_relation="代理商"
    )
    assert answer == {
        "type": "PERSONAL_OPENID",
        "account": "o_user_1",
        "relation_type": "CUSTOM",
        "custom_relation": "代理商",
    }
    receiver = merchant.data["profitsharing"]["receivers"][("PERSONAL_OPENID", "o_user_1")]
    assert (receiver["name"], receiver["appid"]) == ("王五", client.appid)
    shared = client.profitsharing.create_order(
        order["transaction_id"],
        "P1",
        [{"type": "PERSONAL_OPENID", "account": "o_user_1", "amount": 10, "description": "佣金", "name": "王五"}],
        unfreeze_unsplit=False,
    )
    assert merchant.data["profitsharing"]["orders"]["P1"]["_names"] == ["王五"]
    assert "name" not in shared["receivers"][0]


def test_share_query_finish_and_amounts(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client, transaction_id = pay
    order = _share(client, transaction_id)
    assert order["state"] == "PROCESSING"
    assert order["receivers"][0]["result"] == "PENDING"
    assert client.profitsharing.query_order("P1", transaction_id) == order
    assert client.profitsharing.query_amounts(transaction_id) == {
        "transaction_id": transaction_id,
        "unsplit_amount": 700,
    }
    assert _share(client, transaction_id) == order  # the same out_order_no counts once
    finished = finish_profitsharing_order(wechat_emulator, merchant, "P1")
    assert finished["state"] == "FINISHED"
    assert finished["receivers"][0]["result"] == "SUCCESS"
    assert client.profitsharing.query_order("P1", transaction_id)["state"] == "FINISHED"


def test_unfreeze_unsplit_ends_sharing(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client, transaction_id = pay
    order = _share(client, transaction_id, unfreeze_unsplit=True)
    lines = {(r["account"], r["amount"]) for r in order["receivers"]}
    assert lines == {(PARTNER, 300), (merchant.mchid, 700)}
    assert client.profitsharing.query_amounts(transaction_id)["unsplit_amount"] == 0
    with pytest.raises(PayError) as exc:
        _share(client, transaction_id, "P2", 1)
    assert _code(exc) == (400, "INVALID_REQUEST")
    closed = finish_profitsharing_order(wechat_emulator, merchant, "P1", result="CLOSED")
    assert {r["fail_reason"] for r in closed["receivers"]} == {"ACCOUNT_ABNORMAL"}


def test_unfreeze(pay: Any) -> None:
    merchant, client, transaction_id = pay
    _share(client, transaction_id)
    order = client.profitsharing.unfreeze(transaction_id, "P2", "解冻全部剩余资金")
    assert order["state"] == "FINISHED"
    assert [(r["account"], r["amount"], r["result"]) for r in order["receivers"]] == [(merchant.mchid, 700, "SUCCESS")]
    with pytest.raises(PayError) as exc:
        client.profitsharing.unfreeze(transaction_id, "P3", "again")
    assert _code(exc) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize("by", ["out_order_no", "order_id"])
def test_return_and_query_return(pay: Any, by: str) -> None:
    _, client, transaction_id = pay
    order = _share(client, transaction_id)
    answer = client.profitsharing.return_order("RT1", PARTNER, 100, "用户退款", **{by: order[by]})
    assert (answer["result"], answer["amount"], answer["out_order_no"]) == ("SUCCESS", 100, "P1")
    assert client.profitsharing.query_return("RT1", "P1") == answer
    assert client.profitsharing.return_order("RT1", PARTNER, 100, "用户退款", **{by: order[by]}) == answer
    with pytest.raises(PayError) as exc:  # only 200 left to return
        client.profitsharing.return_order("RT2", PARTNER, 201, "用户退款", out_order_no="P1")
    assert _code(exc) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (
            lambda c, t: c.profitsharing.return_order("RT1", "1900000999", 1, "x", out_order_no="P1"),
            400,
            "INVALID_REQUEST",
        ),
        (
            lambda c, t: c.profitsharing.return_order("RT1", PARTNER, 1, "x", out_order_no="P404"),
            404,
            "RESOURCE_NOT_EXISTS",
        ),
        (lambda c, t: c.profitsharing.query_return("RT404", "P1"), 404, "RESOURCE_NOT_EXISTS"),
        (lambda c, t: c.profitsharing.query_order("P404", t), 404, "RESOURCE_NOT_EXISTS"),
        (lambda c, t: c.profitsharing.query_order("P1", "4200000000000000000000000000"), 404, "RESOURCE_NOT_EXISTS"),
        (lambda c, t: c.profitsharing.query_amounts("4200000000000000000000000000"), 404, "RESOURCE_NOT_EXISTS"),
        (lambda c, t: _share(c, "4200000000000000000000000000", "P2"), 404, "RESOURCE_NOT_EXISTS"),
        (lambda c, t: _share(c, t, "P2", 701), 400, "INVALID_REQUEST"),
        (
            lambda c, t: c.profitsharing.create_order(
                t,
                "P2",
                [{"type": "MERCHANT_ID", "account": "1900000999", "amount": 1, "description": "x"}],
                unfreeze_unsplit=False,
            ),
            400,
            "INVALID_REQUEST",
        ),
    ],
)
def test_documented_errors(pay: Any, call: Any, status: int, code: str) -> None:
    _, client, transaction_id = pay
    _share(client, transaction_id)
    with pytest.raises(PayError) as exc:
        call(client, transaction_id)
    assert _code(exc) == (status, code)


def test_order_without_profit_sharing_flag(pay: Any) -> None:
    merchant, client, _ = pay
    plain = seed_paid_order(merchant, "T2", 100)
    with pytest.raises(PayError) as exc:
        _share(client, plain["transaction_id"], amount=10)
    assert _code(exc) == (400, "INVALID_REQUEST")


def test_delete_receiver(pay: Any) -> None:
    _, client, transaction_id = pay
    assert client.profitsharing.delete_receiver("MERCHANT_ID", PARTNER) == {"type": "MERCHANT_ID", "account": PARTNER}
    assert client.profitsharing.delete_receiver("MERCHANT_ID", PARTNER)["account"] == PARTNER  # idempotent
    with pytest.raises(PayError) as exc:
        _share(client, transaction_id)
    assert _code(exc) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "MERCHANT_ID", "account": "1900000111", "relation_type": "PARTNER"}, "name"),
        ({"type": "PERSONAL_OPENID", "account": "o_1", "relation_type": "CUSTOM"}, "custom_relation"),
        ({"type": "PERSONAL_SUB_OPENID", "account": "o_1", "relation_type": "USER"}, "type"),
        ({"type": "PERSONAL_OPENID", "account": "o_1", "relation_type": "FRIEND"}, "relation_type"),
        ({"type": "PERSONAL_OPENID", "relation_type": "USER"}, "account"),
    ],
)
def test_emulator_receiver_param_errors(pay: Any, body: dict[str, Any], message: str) -> None:
    with pytest.raises(PayError) as exc:
        pay[1].request("POST", "/v3/profitsharing/receivers/add", json_body={"appid": "wx_pay_test_app", **body})
    assert _code(exc) == (400, "PARAM_ERROR")
    assert message in exc.value.message


@pytest.mark.parametrize(
    "changes",
    [
        {"unfreeze_unsplit": "no"},
        {"receivers": []},
        {"receivers": [{"type": "MERCHANT_ID", "account": PARTNER, "amount": 1.5, "description": "x"}]},
        {"receivers": [{"type": "MERCHANT_ID", "account": PARTNER, "amount": 1, "description": "x", "name": "plain"}]},
        {"appid": None},
    ],
)
def test_emulator_order_param_errors(pay: Any, changes: dict[str, Any]) -> None:
    _, client, transaction_id = pay
    body = {
        "appid": "wx_pay_test_app",
        "transaction_id": transaction_id,
        "out_order_no": "P1",
        "receivers": [{"type": "MERCHANT_ID", "account": PARTNER, "amount": 1, "description": "x"}],
        "unfreeze_unsplit": False,
        **changes,
    }
    with pytest.raises(PayError) as exc:
        client.request("POST", "/v3/profitsharing/orders", json_body=body)
    assert _code(exc) == (400, "PARAM_ERROR")


def _receiver(**changes: Any) -> list[dict[str, Any]]:
    return [{"type": "MERCHANT_ID", "account": PARTNER, "amount": 10, "description": "x", **changes}]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda c: c.profitsharing.create_order("42", "P1", _receiver(amount=1.0), unfreeze_unsplit=False),
            AmountError,
        ),
        (lambda c: c.profitsharing.create_order("42", "P1", _receiver(amount=-1), unfreeze_unsplit=False), AmountError),
        (
            lambda c: c.profitsharing.create_order("42", "P1", _receiver(amount="10"), unfreeze_unsplit=False),
            AmountError,
        ),
        (
            lambda c: c.profitsharing.create_order("42", "P1", _receiver(amount=False), unfreeze_unsplit=False),
            AmountError,
        ),
        (lambda c: c.profitsharing.create_order("42", "P1", [], unfreeze_unsplit=False), ValueError),
        (lambda c: c.profitsharing.create_order("42", "P1", _receiver()[0], unfreeze_unsplit=False), ValueError),
        (
            lambda c: c.profitsharing.create_order("42", "P1", [{"type": "MERCHANT_ID"}], unfreeze_unsplit=False),
            ValueError,
        ),
        (lambda c: c.profitsharing.create_order("42", "P1", ["x"], unfreeze_unsplit=False), ValueError),
        (lambda c: c.profitsharing.create_order("42", "P1", _receiver(name=""), unfreeze_unsplit=False), ValueError),
        (lambda c: c.profitsharing.create_order("42", "P1", _receiver(), unfreeze_unsplit=1), ValueError),
        (lambda c: c.profitsharing.return_order("RT1", PARTNER, 10, "x"), ValueError),
        (lambda c: c.profitsharing.return_order("RT1", PARTNER, 10, "x", order_id="1", out_order_no="P1"), ValueError),
        (lambda c: c.profitsharing.return_order("RT1", PARTNER, 0.1, "x", out_order_no="P1"), AmountError),
        (lambda c: c.profitsharing.add_receiver("PERSONAL_SUB_OPENID", "o", "USER"), ValueError),
        (lambda c: c.profitsharing.add_receiver("PERSONAL_OPENID", "o", "FRIEND"), ValueError),
        (lambda c: c.profitsharing.add_receiver("PERSONAL_OPENID", "o", "CUSTOM"), ValueError),
        (lambda c: c.profitsharing.delete_receiver("OPENID", "o"), ValueError),
        (lambda c: c.profitsharing.query_order("a/b", "42"), ValueError),
        (lambda c: c.profitsharing.query_return("", "P1"), ValueError),
        (lambda c: c.profitsharing.query_amounts(".."), ValueError),
    ],
)
def test_bad_input_is_refused_before_sending(wechat_emulator: Emulator, pay: Any, call: Any, error: type) -> None:
    before = len(wechat_emulator.requests)
    with pytest.raises(error):
        call(pay[1])
    assert len(wechat_emulator.requests) == before


def test_appid_is_required(make_pay_client: Any) -> None:
    merchant, client = make_pay_client("public_key", appid=None)
    with pytest.raises(ConfigError, match="appid"):
        client.profitsharing.add_receiver("PERSONAL_OPENID", "o_1", "USER")
    with pytest.raises(ConfigError, match="appid"):
        client.profitsharing.delete_receiver("PERSONAL_OPENID", "o_1")
    assert client.profitsharing.add_receiver("PERSONAL_OPENID", "o_1", "USER", appid="wx_app")["account"] == "o_1"
    assert merchant.data["profitsharing"]["receivers"][("PERSONAL_OPENID", "o_1")]["name"] is None


def test_share_an_order_paid_through_the_order_api(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client, _ = pay
    for number, settle in (("order-ps", {"profit_sharing": True}), ("order-plain", None)):
        client.orders.jsapi("咖啡", number, 1000, "o_payer", notify_url="https://example.com/pay", settle_info=settle)
    shared = complete_payment(wechat_emulator, merchant, "order-ps")["transaction_id"]
    assert _share(client, shared, amount=250)["receivers"][0]["amount"] == 250
    with pytest.raises(PayError) as exc:  # placed without settle_info.profit_sharing
        _share(client, complete_payment(wechat_emulator, merchant, "order-plain")["transaction_id"], "P2", 10)
    assert _code(exc) == (400, "INVALID_REQUEST")
