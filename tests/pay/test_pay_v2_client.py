"""PayClientV2 end to end against the emulator's v2 (XML) endpoints, and `wxkit pay sign`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from wxkit.cli import main
from wxkit.errors import AmountError, ConfigError, PayError, SignatureError, TransportError
from wxkit.pay import v2
from wxkit.pay.dates import china_today
from wxkit.pay.v2 import PayClientV2
from wxkit.testing import Emulator
from wxkit.testing.miniprogram import miniprogram_state
from wxkit.testing.pay import MerchantState
from wxkit.testing.routes.pay_v2 import complete_payment_v2, complete_refund_v2
from wxkit.xmlcodec import parse_xml, render_xml

from .conftest import PAY_APPID, MakePayClientV2

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "vectors.json"
SIGN_TYPES = pytest.mark.parametrize("sign_type", v2.SIGN_TYPES)
NOTIFY = "https://shop.example/pay/notify"
AUTH_CODE = "134650328919428540"


def order(client: PayClientV2, out_trade_no: str, total_fee: int = 100, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("openid", "o_payer")
    return client.unified_order("Q币充值", out_trade_no, total_fee, "203.0.113.7", NOTIFY, "JSAPI", **kwargs)


def paid(emu: Emulator, merchant: MerchantState, client: PayClientV2, out_trade_no: str, fee: int = 100) -> str:
    order(client, out_trade_no, fee)
    return str(complete_payment_v2(emu, merchant, out_trade_no)["transaction_id"])


def sent_paths(emu: Emulator) -> list[str]:
    return [path for _, path, _ in emu.requests]


# -- orders -------------------------------------------------------------------------------------
@SIGN_TYPES
@pytest.mark.parametrize(
    ("trade_type", "extra", "url_field"),
    [
        ("JSAPI", {"openid": "o_payer"}, None),
        ("NATIVE", {"product_id": "sku-1"}, "code_url"),
        ("APP", {}, None),
        ("MWEB", {"scene_info": {"h5_info": {"type": "Wap"}}}, "mweb_url"),
    ],
)
def test_unified_order(
    make_pay_client_v2: MakePayClientV2,
    sign_type: str,
    trade_type: str,
    extra: dict[str, Any],
    url_field: str | None,
) -> None:
    merchant, client = make_pay_client_v2(sign_type)
    body = "腾讯充值 <b>&amp;]]><x/>"  # CDATA-hostile text arrives intact
    result = client.unified_order(body, "T1", 1, "203.0.113.7", NOTIFY, trade_type, attach="a&b", **extra)
    assert result["trade_type"] == trade_type
    assert result["prepay_id"].startswith("wx")
    assert (url_field in result) if url_field else ("code_url" not in result)
    stored = merchant.data["v2_orders"]["T1"]
    assert (stored["body"], stored["attach"], stored["total_fee"]) == (body, "a&b", 1)
    assert stored["sign_type"] == sign_type
    if trade_type == "MWEB":  # a dict scene_info is sent as JSON text
        assert json.loads(stored["scene_info"]) == {"h5_info": {"type": "Wap"}}


def test_unified_order_is_idempotent_for_the_same_order(make_pay_client_v2: MakePayClientV2) -> None:
    _, client = make_pay_client_v2()
    first = order(client, "T-same")
    assert order(client, "T-same")["prepay_id"] == first["prepay_id"]
    with pytest.raises(PayError) as err:
        order(client, "T-same", total_fee=200)
    assert err.value.code == "INVALID_REQUEST"


def test_unified_order_jsapi_needs_openid(make_pay_client_v2: MakePayClientV2) -> None:
    _, client = make_pay_client_v2()
    with pytest.raises(PayError) as err:
        client.unified_order("b", "T1", 1, "203.0.113.7", NOTIFY, "JSAPI")
    assert (err.value.code, err.value.message) == ("FAIL", "JSAPI支付必须传openid")


@SIGN_TYPES
def test_order_query_close_and_states(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2, sign_type: str
) -> None:
    merchant, client = make_pay_client_v2(sign_type)
    order(client, "T-open", attach="note")
    answer = client.order_query(out_trade_no="T-open")
    assert (answer["trade_state"], answer["total_fee"], answer["attach"]) == ("NOTPAY", "100", "note")
    transaction_id = paid(wechat_emulator, merchant, client, "T-paid")
    by_id = client.order_query(transaction_id=transaction_id)
    assert (by_id["trade_state"], by_id["out_trade_no"], by_id["openid"]) == ("SUCCESS", "T-paid", "o_payer")
    assert client.close_order("T-open")["result_code"] == "SUCCESS"
    assert client.order_query(out_trade_no="T-open")["trade_state"] == "CLOSED"
    for out_trade_no, code in [("T-open", "ORDERCLOSED"), ("T-paid", "ORDERPAID"), ("T-none", "ORDERNOTEXIST")]:
        with pytest.raises(PayError) as err:
            client.close_order(out_trade_no)
        assert err.value.code == code
        assert err.value.url.endswith("/pay/closeorder")
    with pytest.raises(PayError) as err:
        client.order_query(out_trade_no="T-none")
    assert (err.value.code, err.value.message) == ("ORDERNOTEXIST", "订单不存在")
    assert err.value.detail["result_code"] == "FAIL"
    assert "sign" not in err.value.detail


def test_is_subscribe_says_whether_the_payer_follows_the_orders_appid(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2
) -> None:
    app = wechat_emulator.add_app(f"wx_pay_follow_{wechat_emulator.next_id()}", "secret")
    app.add_follower("o_fan")
    app.add_follower("o_left", subscribe=0)
    merchant, client = make_pay_client_v2(appid=app.appid)
    for out_trade_no, openid, expected in [("T-fan", "o_fan", "Y"), ("T-left", "o_left", "N"), ("T-new", "o_x", "N")]:
        order(client, out_trade_no, openid=openid)
        assert complete_payment_v2(wechat_emulator, merchant, out_trade_no)["is_subscribe"] == expected
        assert client.order_query(out_trade_no=out_trade_no)["is_subscribe"] == expected
    other_merchant, other = make_pay_client_v2()  # another appid: o_fan does not follow that one
    order(other, "T-elsewhere", openid="o_fan")
    assert complete_payment_v2(wechat_emulator, other_merchant, "T-elsewhere")["is_subscribe"] == "N"


def test_a_paid_order_of_a_known_app_is_known_to_the_shipping_api(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2
) -> None:
    app = wechat_emulator.add_app(f"wx_pay_ship_{wechat_emulator.next_id()}", "secret")
    merchant, client = make_pay_client_v2(appid=app.appid)
    order(client, "T-ship", 250, openid="o_buyer")
    tid = complete_payment_v2(wechat_emulator, merchant, "T-ship")["transaction_id"]
    known = miniprogram_state(app).orders[tid]
    assert (known["openid"], known["mchid"], known["out_trade_no"], known["paid_amount"]) == (
        "o_buyer",
        merchant.mchid,
        "T-ship",
        250,
    )
    other_merchant, other = make_pay_client_v2()  # an appid the emulator does not serve: nothing recorded
    order(other, "T-elsewhere")
    complete_payment_v2(wechat_emulator, other_merchant, "T-elsewhere")
    assert list(miniprogram_state(app).orders) == [tid]
    # Refunds: the shipping API shows the order refunded (order_state 5) once all of it is refunded.
    client.refund("R-ship-1", 250, 100, transaction_id=tid)
    complete_refund_v2(wechat_emulator, merchant, "R-ship-1")
    assert known["order_state"] == 1
    client.refund("R-ship-2", 250, 150, transaction_id=tid)
    complete_refund_v2(wechat_emulator, merchant, "R-ship-2")
    assert known["order_state"] == 5


def test_order_query_needs_an_id(make_pay_client_v2: MakePayClientV2) -> None:
    _, client = make_pay_client_v2()
    with pytest.raises(ValueError, match="transaction_id, out_trade_no"):
        client.order_query()


def test_request_escape_hatch(make_pay_client_v2: MakePayClientV2) -> None:
    _, client = make_pay_client_v2()
    order(client, "T1")
    assert client.request("/pay/orderquery", {"out_trade_no": "T1"}, idempotent=True)["trade_state"] == "NOTPAY"
    with pytest.raises(ValueError, match="sign_type"):
        client.request("/pay/orderquery", {"out_trade_no": "T1"}, sign_type="SHA1")


# -- micropay and reverse -----------------------------------------------------------------------
def test_micropay_and_reverse(wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2) -> None:
    merchant, client = make_pay_client_v2("HMAC-SHA256")
    result = client.micropay("Coffee", "M1", 1800, "203.0.113.7", AUTH_CODE, attach="desk 4")
    assert (result["trade_type"], result["total_fee"], result["attach"]) == ("MICROPAY", "1800", "desk 4")
    with pytest.raises(PayError) as err:
        client.micropay("Coffee", "M1", 1800, "203.0.113.7", AUTH_CODE)
    assert err.value.code == "ORDERPAID"
    assert client.reverse(out_trade_no="M1")["recall"] == "N"
    assert client.order_query(out_trade_no="M1")["trade_state"] == "REVOKED"
    merchant.data["v2_micropay_next"] = "USERPAYING"
    with pytest.raises(PayError) as err:
        client.micropay("Coffee", "M2", 100, "203.0.113.7", AUTH_CODE)
    assert (err.value.code, err.value.message) == ("USERPAYING", "需要用户输入支付密码")
    assert client.order_query(out_trade_no="M2")["trade_state"] == "USERPAYING"
    assert client.reverse(transaction_id=None, out_trade_no="M2")["result_code"] == "SUCCESS"


@pytest.mark.parametrize("auth_code", ["", "12345", "284650328919428540", "13465032891942854x"])
def test_micropay_bad_auth_code(make_pay_client_v2: MakePayClientV2, auth_code: str) -> None:
    _, client = make_pay_client_v2()
    with pytest.raises(PayError) as err:
        client.micropay("Coffee", "M1", 100, "203.0.113.7", auth_code)
    assert err.value.code in ("AUTH_CODE_INVALID", "FAIL")


def test_micropay_is_never_resent(wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2) -> None:
    merchant, client = make_pay_client_v2()
    fault = wechat_emulator.inject("/pay/micropay", drop=True, times=3)
    with pytest.raises(TransportError):
        client.micropay("Coffee", "M1", 100, "203.0.113.7", AUTH_CODE)
    assert fault.fired == 1
    assert "M1" not in merchant.data.get("v2_orders", {})


def test_queries_are_retried(make_pay_client_v2: MakePayClientV2, wechat_emulator: Emulator) -> None:
    _, client = make_pay_client_v2()
    order(client, "T1")
    fault = wechat_emulator.inject("/pay/orderquery", status=502)
    assert client.order_query(out_trade_no="T1")["trade_state"] == "NOTPAY"
    assert fault.fired == 1
    wechat_emulator.inject("/pay/closeorder", status=502)
    with pytest.raises(TransportError, match="HTTP 502"):
        client.close_order("T1")


def test_reverse_needs_an_id_and_a_certificate(make_pay_client_v2: MakePayClientV2) -> None:
    _, client = make_pay_client_v2(cert=False)
    with pytest.raises(ValueError, match="give one of"):
        client.reverse()
    with pytest.raises(ConfigError, match="certificate"):
        client.reverse(out_trade_no="M1")


# -- refunds ------------------------------------------------------------------------------------
@SIGN_TYPES
def test_refund_query_and_notification(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2, sign_type: str
) -> None:
    merchant, client = make_pay_client_v2(sign_type)
    transaction_id = paid(wechat_emulator, merchant, client, "T1", 1000)
    first = client.refund("R1", 1000, 300, out_trade_no="T1", notify_url=NOTIFY, refund_desc="缺货")
    assert (first["out_refund_no"], first["refund_fee"], first["transaction_id"]) == ("R1", "300", transaction_id)
    # WeChat: re-submit a failed refund with the same out_refund_no -> the same refund.
    assert client.refund("R1", 1000, 300, transaction_id=transaction_id)["refund_id"] == first["refund_id"]
    client.refund("R2", 1000, 700, transaction_id=transaction_id)
    with pytest.raises(PayError) as err:
        client.refund("R3", 1000, 1, out_trade_no="T1")
    assert err.value.code == "ERROR"
    listing = client.refund_query(out_trade_no="T1")
    assert listing["refund_count"] == "2"
    assert {listing["out_refund_no_0"], listing["out_refund_no_1"]} == {"R1", "R2"}
    assert client.order_query(out_trade_no="T1")["trade_state"] == "REFUND"
    complete_refund_v2(wechat_emulator, merchant, "R1")
    for query in (
        {"refund_id": first["refund_id"]},
        {"out_refund_no": "R1"},
    ):
        answer = client.refund_query(**query)
        assert (answer["refund_count"], answer["out_refund_no_0"], answer["refund_status_0"]) == ("1", "R1", "SUCCESS")
        assert answer["refund_success_time_0"]
    assert client.refund_query(transaction_id=transaction_id, offset=1)["out_refund_no_0"] == "R2"
    for query, code in [
        ({"out_refund_no": "R-none"}, "REFUNDNOTEXIST"),
        ({"out_trade_no": "T1", "offset": 5}, "PARAM_ERROR"),
    ]:
        with pytest.raises(PayError) as err:
            client.refund_query(**query)
        assert err.value.code == code


def test_refund_of_an_unpaid_or_unknown_order(make_pay_client_v2: MakePayClientV2) -> None:
    _, client = make_pay_client_v2()
    order(client, "T1")
    for out_trade_no, code in [("T1", "TRADE_STATE_ERROR"), ("T-none", "ORDERNOTEXIST")]:
        with pytest.raises(PayError) as err:
            client.refund("R1", 100, 100, out_trade_no=out_trade_no)
        assert err.value.code == code


def test_refund_needs_a_certificate_before_anything_is_sent(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2
) -> None:
    _, client = make_pay_client_v2(cert=False)
    before = len(wechat_emulator.requests)
    with pytest.raises(ConfigError, match="certificate"):
        client.refund("R1", 100, 100, out_trade_no="T1")
    with pytest.raises(ConfigError, match="certificate"):
        client.download_fund_flow("20240101")
    assert len(wechat_emulator.requests) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"offset": -1},
        {"out_trade_no": "T1", "offset": True},
        {"out_trade_no": "T1", "offset": "1"},
    ],
)
def test_refund_query_bad_arguments(make_pay_client_v2: MakePayClientV2, kwargs: dict[str, Any]) -> None:
    _, client = make_pay_client_v2()
    with pytest.raises(ValueError, match=r"give one of|offset"):
        client.refund_query(**kwargs)


# -- amounts ------------------------------------------------------------------------------------
BAD_FEES = pytest.mark.parametrize("fee", [1.0, 0.01, True, False, -1, 0, "100", None], ids=repr)


@BAD_FEES
def test_bad_amounts_are_refused_at_the_call_site(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2, fee: Any
) -> None:
    _, client = make_pay_client_v2()
    before = len(wechat_emulator.requests)
    calls = [
        lambda: client.unified_order("b", "T1", fee, "203.0.113.7", NOTIFY, "NATIVE", product_id="p"),
        lambda: client.micropay("b", "M1", fee, "203.0.113.7", AUTH_CODE),
        lambda: client.refund("R1", fee, 1, out_trade_no="T1"),
        lambda: client.refund("R1", 100, fee, out_trade_no="T1"),
    ]
    for call in calls:
        with pytest.raises(AmountError):
            call()
    assert len(wechat_emulator.requests) == before


def test_refund_larger_than_the_order_is_refused(make_pay_client_v2: MakePayClientV2) -> None:
    _, client = make_pay_client_v2()
    with pytest.raises(AmountError, match="exceeds"):
        client.refund("R1", 100, 101, out_trade_no="T1")


# -- bills --------------------------------------------------------------------------------------
def today(emu: Emulator) -> str:
    return china_today(emu.now()).strftime("%Y%m%d")


@pytest.mark.parametrize("tar_type", [None, "GZIP"])
def test_download_bill(wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2, tar_type: str | None) -> None:
    merchant, client = make_pay_client_v2()
    paid(wechat_emulator, merchant, client, "T-bill", 1234)
    client.refund("R-bill", 1234, 34, out_trade_no="T-bill")
    text = client.download_bill(today(wechat_emulator), tar_type=tar_type)
    lines = text.splitlines()
    assert lines[0].startswith("交易时间,公众账号ID,商户号")
    assert any("`T-bill" in line and "`12.34" in line for line in lines[1:-2])
    assert lines[-2].startswith("总交易单数")
    assert lines[-1] == "`2,`12.34,`0.34,`0.00,`0.00000,`12.34,`0.34"
    success_only = client.download_bill(china_today(wechat_emulator.now()), "SUCCESS")
    assert "R-bill" not in success_only
    with pytest.raises(PayError) as err:
        client.download_bill("20000101")
    assert (err.value.code, err.value.message, err.value.detail["error_code"]) == ("FAIL", "No Bill Exist", "20002")
    with pytest.raises(PayError) as err:
        client.download_bill("20000101", "EVERYTHING")
    assert err.value.detail["error_code"] == "20001"


@pytest.mark.parametrize("bill_date", ["2024-01-01", "240101", 20240101, None])
def test_download_bill_bad_date(make_pay_client_v2: MakePayClientV2, bill_date: Any) -> None:
    _, client = make_pay_client_v2()
    with pytest.raises(ValueError, match="bill_date"):
        client.download_bill(bill_date)


@pytest.mark.parametrize("tar_type", [None, "GZIP"])
def test_download_fund_flow_is_hmac_sha256(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2, tar_type: str | None
) -> None:
    merchant, client = make_pay_client_v2("MD5")  # the client signs MD5; fund flow forces HMAC-SHA256
    paid(wechat_emulator, merchant, client, "T-flow", 500)
    lines = client.download_fund_flow(today(wechat_emulator), tar_type=tar_type).splitlines()
    assert lines[0].startswith("记账时间,微信支付业务单号")
    assert lines[-1] == "`1,`1,`5.00,`0,`0.00"
    for account_type, code in [("Fees", "NO_BILL_EXIST"), ("Gold", "PARAM_ERROR")]:
        with pytest.raises(PayError) as err:
            client.download_fund_flow(today(wechat_emulator), account_type)
        assert err.value.code == code


# -- sandbox ------------------------------------------------------------------------------------
def test_sandbox(wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2) -> None:
    merchant, client = make_pay_client_v2()
    assert merchant.v2_key is not None
    sandbox = PayClientV2(PAY_APPID, merchant.mchid, merchant.v2_key, sandbox=True, base_url=wechat_emulator.url)
    start = len(wechat_emulator.requests)
    order(sandbox, "S1")
    order(sandbox, "S2")
    paths = sent_paths(wechat_emulator)[start:]
    assert paths == ["/sandboxnew/pay/getsignkey", "/sandboxnew/pay/unifiedorder", "/sandboxnew/pay/unifiedorder"]
    assert sandbox.sandbox_sign_key() == merchant.data["v2_sandbox_key"] != merchant.v2_key
    assert sandbox.order_query(out_trade_no="S1")["trade_state"] == "NOTPAY"
    with pytest.raises(PayError) as err:  # the simulation system keeps its own orders
        client.order_query(out_trade_no="S1")
    assert err.value.code == "ORDERNOTEXIST"
    notification = complete_payment_v2(wechat_emulator, merchant, "S1", sandbox=True)
    assert sandbox.parse_payment_notification(render_xml(notification))["out_trade_no"] == "S1"
    with pytest.raises(SignatureError):
        client.parse_payment_notification(render_xml(notification))
    wrong = PayClientV2(PAY_APPID, merchant.mchid, "wrong-key", base_url=wechat_emulator.url)
    with pytest.raises(PayError, match="签名错误"):
        wrong.sandbox_sign_key()


# -- answers that cannot be trusted -------------------------------------------------------------
def tampering_session(edit: Any) -> requests.Session:
    """A session whose answers are rewritten by ``edit(content) -> content`` (a man in the middle)."""
    session = requests.Session()

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        response._content = edit(response.content)
        return response

    session.hooks["response"].append(hook)
    return session


def retotal(content: bytes) -> bytes:
    fields = parse_xml(content)
    fields["total_fee"] = "1"
    return render_xml(fields).encode()


def unsign(content: bytes) -> bytes:
    return render_xml({k: v for k, v in parse_xml(content).items() if k != "sign"}).encode()


@SIGN_TYPES
@pytest.mark.parametrize("edit", [retotal, unsign], ids=["changed-field", "no-sign"])
def test_tampered_answer_is_a_signature_error(make_pay_client_v2: MakePayClientV2, sign_type: str, edit: Any) -> None:
    merchant, honest = make_pay_client_v2(sign_type)
    order(honest, "T1")
    assert merchant.v2_key is not None
    client = PayClientV2(
        PAY_APPID, merchant.mchid, merchant.v2_key, sign_type=sign_type, base_url=honest.http.base_url,
        session=tampering_session(edit),
    )  # fmt: skip
    with pytest.raises(SignatureError):
        client.order_query(out_trade_no="T1")


@pytest.mark.parametrize(
    "body",
    [
        b"<html>502 Bad Gateway</html>",
        b"",
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e "x">]><xml><return_code>&e;</return_code></xml>',
        b"<xml><return_code>SUCCESS</return_code>",
    ],
    ids=["html", "empty", "entity", "truncated"],
)
def test_answer_that_is_not_xml(make_pay_client_v2: MakePayClientV2, body: bytes) -> None:
    merchant, honest = make_pay_client_v2()
    assert merchant.v2_key is not None
    client = PayClientV2(
        PAY_APPID, merchant.mchid, merchant.v2_key, base_url=honest.http.base_url,
        session=tampering_session(lambda _: body),
    )  # fmt: skip
    with pytest.raises(PayError) as err:
        client.close_order("T1")
    assert err.value.code == "INVALID_RESPONSE"


def test_fail_answer_without_sign_is_a_pay_error(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2
) -> None:
    merchant, _ = make_pay_client_v2()
    wrong_key = PayClientV2(PAY_APPID, merchant.mchid, "not-the-key", base_url=wechat_emulator.url)
    with pytest.raises(PayError) as err:
        wrong_key.order_query(out_trade_no="T1")
    assert (err.value.code, err.value.message, err.value.status) == ("FAIL", "签名错误", 200)
    stranger = PayClientV2(PAY_APPID, "1900000000", "k", base_url=wechat_emulator.url)
    with pytest.raises(PayError, match="mch_id"):
        stranger.order_query(out_trade_no="T1")
    other_app = PayClientV2("wx_other_app", merchant.mchid, str(merchant.v2_key), base_url=wechat_emulator.url)
    with pytest.raises(PayError) as err:
        other_app.order_query(out_trade_no="T1")
    assert err.value.code == "APPID_MCHID_NOT_MATCH"


def test_fail_answer_with_a_forged_sign_is_a_signature_error(make_pay_client_v2: MakePayClientV2) -> None:
    merchant, honest = make_pay_client_v2()
    forged = render_xml({"return_code": "FAIL", "return_msg": "系统繁忙", "sign": "0" * 32}).encode()
    client = PayClientV2(
        PAY_APPID, merchant.mchid, str(merchant.v2_key), base_url=honest.http.base_url,
        session=tampering_session(lambda _: forged),
    )  # fmt: skip
    with pytest.raises(SignatureError):
        client.order_query(out_trade_no="T1")


# -- client-side payment parameters -------------------------------------------------------------
@SIGN_TYPES
def test_jsapi_and_app_params(make_pay_client_v2: MakePayClientV2, sign_type: str) -> None:
    merchant, client = make_pay_client_v2(sign_type, clock=lambda: 1_700_000_000.5)
    assert merchant.v2_key is not None
    prepay_id = order(client, "T1")["prepay_id"]
    js = client.jsapi_params(prepay_id)
    assert set(js) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert (js["appId"], js["timeStamp"], js["package"], js["signType"]) == (
        PAY_APPID, "1700000000", f"prepay_id={prepay_id}", sign_type,
    )  # fmt: skip
    assert js["paySign"] == v2.sign({k: v for k, v in js.items() if k != "paySign"}, merchant.v2_key, sign_type)
    app = client.app_params(prepay_id)
    assert set(app) == {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}
    assert (app["partnerid"], app["package"], app["prepayid"]) == (merchant.mchid, "Sign=WXPay", prepay_id)
    assert v2.verify(app, merchant.v2_key, sign_type)
    other = "MD5" if sign_type == "HMAC-SHA256" else "HMAC-SHA256"
    assert client.jsapi_params(prepay_id, sign_type=other)["signType"] == other


# -- configuration ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": ""},
        {"mch_id": ""},
        {"appid": None},
        {"sign_type": "SHA256"},
        {"cert": "/nonexistent/apiclient_cert.pem"},
        {"cert_key": "/tmp/key.pem"},
    ],
)
def test_bad_configuration(kwargs: dict[str, Any]) -> None:
    args = {"appid": "wx1", "mch_id": "1900000109", "key": "k", **kwargs}
    with pytest.raises(ConfigError):
        PayClientV2(args.pop("appid"), args.pop("mch_id"), args.pop("key"), **args)


def test_repr_hides_the_key(pay_cert_files: tuple[str, str]) -> None:
    client = PayClientV2("wx1", "1900000109", "SECRET-API-KEY", cert=pay_cert_files[0], cert_key=pay_cert_files[1])
    assert "SECRET" not in repr(client)
    assert "1900000109" in repr(client)


# -- the CLI ------------------------------------------------------------------------------------
def official_vectors() -> list[dict[str, Any]]:
    wanted = ("v2-sign-md5-official", "v2-sign-hmac-sha256-official")
    return [v for v in json.loads(VECTORS.read_text("utf-8"))["pay"] if v["id"] in wanted]


@pytest.mark.parametrize("vector", official_vectors(), ids=lambda v: v["id"])
def test_official_vectors_through_sign_and_the_cli(
    vector: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    params, key = vector["inputs"]["params"], vector["inputs"]["key"]
    assert v2.string_to_sign(params, key) == vector["expected"]["sign_string"]
    assert v2.sign(params, key, vector["algorithm"]) == vector["expected"]["sign"]
    pairs = [f"{k}={v}" for k, v in params.items()]
    assert main(["pay", "sign", "--key", key, "--sign-type", vector["algorithm"], *pairs]) == 0
    assert capsys.readouterr().out.strip() == vector["expected"]["sign"]
    monkeypatch.setenv("WXKIT_PAY_KEY", key)
    assert main(["pay", "sign", "--sign-type", vector["algorithm"], *pairs]) == 0
    assert capsys.readouterr().out.strip() == vector["expected"]["sign"]


def test_official_vectors_are_present() -> None:
    assert len(official_vectors()) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pay", "sign", "--key", "k", "appid"], "NAME=VALUE"),
        (["pay", "sign", "--key", "k", "=x"], "NAME=VALUE"),
        (["pay", "sign", "appid=wx1"], "WXKIT_PAY_KEY"),
    ],
)
def test_cli_pay_sign_bad_input(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WXKIT_PAY_KEY", raising=False)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_pay_sign_value_with_equals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pay", "sign", "--key", "k", "attach=a=b", "body=x"]) == 0
    assert capsys.readouterr().out.strip() == v2.sign({"attach": "a=b", "body": "x"}, "k")
    with pytest.raises(SystemExit):
        main(["pay", "sign", "--key", "k", "--sign-type", "SHA1", "a=b"])


@pytest.mark.parametrize("value", [True, 1.5, {"a": 1}, ["x"], b"bytes"], ids=repr)
def test_fields_must_be_text_or_int(make_pay_client_v2: MakePayClientV2, value: Any) -> None:
    """What is sent must be exactly what is signed: no bools (True vs 1), nesting or bytes."""
    _, client = make_pay_client_v2()
    with pytest.raises(TypeError, match="receipt"):
        client.unified_order("b", "T1", 1, "203.0.113.7", NOTIFY, "APP", receipt=value)


@pytest.mark.parametrize("key", ["total_fee", "out_trade_no"])
def test_extra_cannot_override_checked_arguments(make_pay_client_v2: MakePayClientV2, key: str) -> None:
    merchant, client = make_pay_client_v2()
    with pytest.raises(ValueError, match=key):
        client.unified_order("b", "T-extra", 1, "203.0.113.7", NOTIFY, "NATIVE", product_id="p", extra={key: "1.5"})
    assert "T-extra" not in merchant.data.get("v2_orders", {})
