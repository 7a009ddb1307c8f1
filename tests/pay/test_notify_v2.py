"""PayNotificationHandler with v2 (XML) notifications, and the typed Transaction / Refund mappings."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from wxkit.errors import ParseError
from wxkit.pay import v2
from wxkit.pay.models import Refund, Transaction
from wxkit.pay.notify import PayNotificationHandler
from wxkit.xmlcodec import parse_xml, render_xml

KEY = "192006250b4c09247ec02edce69f6a2d"


def payment(sign_type: str = "MD5", *, declare: bool = False, **overrides: Any) -> dict[str, Any]:
    """A signed v2 payment notification's fields (the docs' example, a fresh transaction id)."""
    fields: dict[str, Any] = {
        "return_code": "SUCCESS",
        "appid": "wx2421b1c4370ec43b",
        "mch_id": "10000100",
        "nonce_str": uuid.uuid4().hex,
        "result_code": "SUCCESS",
        "openid": "oUpF8uMEb4qRXf22hE3X68TekukE",
        "is_subscribe": "Y",
        "trade_type": "JSAPI",
        "bank_type": "CFT",
        "total_fee": "101",
        "fee_type": "CNY",
        "cash_fee": "100",
        "transaction_id": f"1004400740{uuid.uuid4().int % 10**18:018d}",
        "out_trade_no": "1409811653",
        "attach": "支付测试",
        "time_end": "20140903131540",
    }
    if declare:
        fields["sign_type"] = sign_type
    fields.update(overrides)
    fields["sign"] = v2.sign(fields, KEY, sign_type)
    return fields


def refund_info(status: str = "SUCCESS", **overrides: Any) -> dict[str, Any]:
    """A v2 refund notification's decrypted ``req_info``."""
    info = {
        "transaction_id": "4200000215201811190261405420",
        "out_trade_no": "order-7",
        "refund_id": f"50000408942018111907145868{uuid.uuid4().int % 1000:03d}",
        "out_refund_no": "refund-7",
        "total_fee": "3960",
        "settlement_total_fee": "3960",
        "refund_fee": "1000",
        "settlement_refund_fee": "990",
        "refund_status": status,
        "success_time": "2018-11-19 16:24:13",
        "refund_recv_accout": "支付用户零钱",
        "refund_account": "REFUND_SOURCE_RECHARGE_FUNDS",
        "refund_request_source": "API",
    }
    info.update(overrides)
    return info


def refund_xml(info: dict[str, Any], key: str = KEY) -> str:
    return render_xml(
        {
            "return_code": "SUCCESS",
            "appid": "wx2421b1c4370ec43b",
            "mch_id": "10000100",
            "nonce_str": uuid.uuid4().hex,
            "req_info": v2.encrypt_req_info(info, key),
        }
    )


@pytest.fixture
def handler(recorder) -> PayNotificationHandler:
    return PayNotificationHandler(v2_key=KEY, on_paid=recorder.on_paid, on_refund=recorder.on_refund)


def answer_code(answer: tuple[int, str]) -> str:
    return parse_xml(answer[1])["return_code"]


def ok(answer: tuple[int, str]) -> bool:
    return answer[0] == 200 and answer_code(answer) == "SUCCESS"


# -- payments ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sign_type", "declare"), [("MD5", False), ("MD5", True), ("HMAC-SHA256", False), ("HMAC-SHA256", True)]
)
def test_payment_handled_once_with_either_sign_type(handler, recorder, sign_type, declare):
    fields = payment(sign_type, declare=declare)
    xml = render_xml(fields)
    assert all(ok(handler.handle({"Content-Type": "text/xml"}, xml)) for _ in range(3))
    assert recorder.paid == [
        Transaction(
            appid="wx2421b1c4370ec43b",
            mchid="10000100",
            out_trade_no="1409811653",
            transaction_id=fields["transaction_id"],
            trade_type="JSAPI",
            trade_state="SUCCESS",
            bank_type="CFT",
            attach="支付测试",
            success_time="2014-09-03T13:15:40+08:00",
            payer_openid="oUpF8uMEb4qRXf22hE3X68TekukE",
            amount_total=101,
            payer_total=100,
            currency="CNY",
        )
    ]
    assert recorder.paid[0].raw["is_subscribe"] == "Y"


def test_a_forced_sign_type_refuses_the_other_one(recorder):
    handler = PayNotificationHandler(v2_key=KEY, v2_sign_type="HMAC-SHA256", on_paid=recorder.on_paid)
    assert handler.handle({}, render_xml(payment("MD5")))[0] == 401
    assert ok(handler.handle({}, render_xml(payment("HMAC-SHA256"))))
    assert len(recorder.paid) == 1


def hmac_declared_md5() -> dict[str, Any]:
    fields = {k: v for k, v in payment().items() if k != "sign"}
    fields["sign_type"] = "MD5"
    fields["sign"] = v2.sign(fields, KEY, "HMAC-SHA256")
    return fields


@pytest.mark.parametrize(
    "fields",
    [
        {**payment(), "sign": "0" * 32},
        {**payment(), "total_fee": "1"},  # changed after signing
        {k: v for k, v in payment().items() if k != "sign"},
        hmac_declared_md5(),
        payment(sign_type="MD5", declare=True) | {"sign_type": "SHA1"},
    ],
    ids=["wrong-sign", "tampered-amount", "no-sign", "hmac-declared-md5", "unknown-sign-type"],
)
def test_forged_payments_are_401(handler, recorder, fields):
    status, _ = answer = handler.handle({}, render_xml(fields))
    assert status == 401
    assert answer_code(answer) == "FAIL"
    assert recorder.paid == []


def test_a_wrong_key_is_401(recorder):
    handler = PayNotificationHandler(v2_key="another-key", on_paid=recorder.on_paid)
    assert handler.handle({}, render_xml(payment()))[0] == 401


def test_a_failed_payment_is_acknowledged_without_on_paid(handler, recorder):
    fields = payment(result_code="FAIL", err_code="SYSTEMERROR", err_code_des="系统错误")
    assert ok(handler.handle({}, render_xml(fields)))
    assert recorder.paid == []


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<xml><return_code>SUCCESS</return_code>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><xml><a>&e;</a></xml>',
        b"<xml><return_code>FAIL</return_code><return_msg>oops</return_msg></xml>",
        render_xml(payment(transaction_id="")).encode(),
        render_xml(payment(total_fee="1.01")).encode(),
        render_xml(payment(total_fee="-1")).encode(),
        b"\xff\xfe<xml/>",
    ],
    ids=["not-xml", "truncated", "doctype", "return-fail", "no-transaction-id", "float-fee", "negative-fee", "bom"],
)
def test_bad_bodies_are_400(handler, recorder, body):
    answer = handler.handle({}, body)
    assert answer[0] == 400
    assert answer_code(answer) == "FAIL"
    assert recorder.paid == []


def test_body_over_the_limit_is_413(handler):
    xml = render_xml(payment(attach="x" * (handler.max_body_size or 0)))
    assert handler.handle({}, xml)[0] == 413


def test_a_v3_only_handler_refuses_v2_with_xml():
    handler = PayNotificationHandler(verifier=object(), apiv3_key="0123456789abcdef0123456789abcdef")  # type: ignore[arg-type]
    answer = handler.handle({}, render_xml(payment()))
    assert answer[0] == 400
    assert answer_code(answer) == "FAIL"


def test_a_failing_handler_answers_fail_and_runs_again(handler, recorder):
    recorder.fail_next = 1
    xml = render_xml(payment())
    answer = handler.handle({}, xml)
    assert answer[0] == 500
    assert answer_code(answer) == "FAIL"
    assert ok(handler.handle({}, xml))
    assert ok(handler.handle({}, xml))
    assert len(recorder.paid) == 1


def test_a_concurrent_duplicate_is_409(handler, recorder):
    recorder.gate = threading.Event()
    xml = render_xml(payment())
    answers: list[tuple[int, str]] = []
    first = threading.Thread(target=lambda: answers.append(handler.handle({}, xml)))
    first.start()
    assert recorder.entered.wait(10)
    second = handler.handle({}, xml)
    assert second[0] == 409
    assert answer_code(second) == "FAIL"
    recorder.gate.set()
    first.join(10)
    assert ok(answers[0])
    assert len(recorder.paid) == 1


# -- refunds -------------------------------------------------------------------------------------
def test_refund_handled_once(handler, recorder):
    info = refund_info()
    xml = refund_xml(info)
    assert all(ok(handler.handle({}, xml)) for _ in range(3))
    assert recorder.refunds == [
        Refund(
            refund_id=info["refund_id"],
            out_refund_no="refund-7",
            transaction_id="4200000215201811190261405420",
            out_trade_no="order-7",
            refund_status="SUCCESS",
            success_time="2018-11-19T16:24:13+08:00",
            amount_total=3960,
            amount_refund=1000,
            payer_refund=990,
            user_received_account="支付用户零钱",
        )
    ]
    assert recorder.refunds[0].raw["refund_account"] == "REFUND_SOURCE_RECHARGE_FUNDS"
    assert recorder.paid == []


def test_refund_statuses_are_distinct_events(handler, recorder):
    info = refund_info("CHANGE")
    assert ok(handler.handle({}, refund_xml(info)))
    assert ok(handler.handle({}, refund_xml({**info, "refund_status": "SUCCESS"})))
    assert [r.refund_status for r in recorder.refunds] == ["CHANGE", "SUCCESS"]


@pytest.mark.parametrize(
    "xml",
    [
        refund_xml(refund_info(), key="another-key"),
        render_xml({"return_code": "SUCCESS", "req_info": "***"}),
        render_xml({"return_code": "SUCCESS", "req_info": "QUJD"}),
        render_xml({"return_code": "SUCCESS", "req_info": ""}),
        refund_xml(refund_info(refund_id="")),
        refund_xml(refund_info(refund_fee="ten")),
    ],
    ids=["wrong-key", "not-base64", "short", "empty", "no-refund-id", "bad-amount"],
)
def test_bad_refund_notifications_are_400(handler, recorder, xml):
    assert handler.handle({}, xml)[0] == 400
    assert recorder.refunds == []


# -- the typed objects ----------------------------------------------------------------------------
def test_transaction_from_v3_minimal_and_query_answers():
    t = Transaction.from_v3({"appid": "wx", "mchid": "1", "out_trade_no": "o", "trade_state": "NOTPAY"})
    assert (t.transaction_id, t.amount_total, t.payer_total, t.success_time, t.currency) == ("", 0, None, None, "CNY")
    assert t.raw == {"appid": "wx", "mchid": "1", "out_trade_no": "o", "trade_state": "NOTPAY"}
    assert "raw" not in repr(t)


def test_refund_from_v3_query_answer_uses_status():
    r = Refund.from_v3({"refund_id": "50", "status": "PROCESSING", "amount": {"total": 10, "refund": 5}})
    assert (r.refund_status, r.amount_total, r.amount_refund, r.payer_refund) == ("PROCESSING", 10, 5, None)


def test_v2_times_that_do_not_match_are_kept_as_is():
    assert Transaction.from_v2({"time_end": "soon"}).success_time == "soon"
    assert Refund.from_v2({"success_time": ""}).success_time is None


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"amount": []},
        {"amount": {"total": "100"}},
        {"amount": {"total": 1.5}},
        {"amount": {"total": False}},
        {"payer": "o"},
        {"appid": ["x"]},
    ],
)
def test_malformed_v3_values_are_parse_errors(data):
    with pytest.raises(ParseError):
        Transaction.from_v3(data)  # type: ignore[arg-type]


def test_objects_are_frozen_and_compare_without_raw():
    a = Transaction.from_v3({"transaction_id": "1", "amount": {"total": 5}})
    b = Transaction.from_v3({"transaction_id": "1", "amount": {"total": 5}, "extra": 1})
    assert a == b
    with pytest.raises(AttributeError):
        a.amount_total = 6  # type: ignore[misc]
