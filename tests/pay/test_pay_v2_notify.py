"""WeChat Pay v2 notifications: payment (signed, MD5 or HMAC-SHA256), refund (req_info AES-256-ECB), answers."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from Crypto.Cipher import AES

from wxkit.errors import ConfigError, DecryptError, ParseError, PayError, SignatureError
from wxkit.pay import v2
from wxkit.pay.v2 import (
    decrypt_req_info,
    encrypt_req_info,
    fail_response,
    parse_payment_notification,
    parse_refund_notification,
    success_response,
)
from wxkit.testing import Emulator
from wxkit.testing.routes.pay_v2 import complete_payment_v2, complete_refund_v2
from wxkit.xmlcodec import parse_xml, render_xml

from .conftest import MakePayClientV2

KEY = "192006250b4c09247ec02edce69f6a2d"
FIELDS = {
    "return_code": "SUCCESS",
    "appid": "wx2421b1c4370ec43b",
    "mch_id": "10000100",
    "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
    "result_code": "SUCCESS",
    "openid": "oUpF8uMEb4qRXf22hE3X68TekukE",
    "trade_type": "JSAPI",
    "bank_type": "CFT",
    "total_fee": "100",
    "cash_fee": "100",
    "fee_type": "CNY",
    "transaction_id": "1004400740201409030005092168",
    "out_trade_no": "1409811653",
    "time_end": "20140903131540",
}
REFUND = {
    "transaction_id": "4200000215201811190261405420",
    "out_trade_no": "71106718111915575302817",
    "refund_id": "50000408942018111907145868882",
    "out_refund_no": "131811191610442717309",
    "total_fee": "3960",
    "refund_fee": "3960",
    "refund_status": "SUCCESS",
    "success_time": "2018-11-19 16:24:13",
    "refund_recv_accout": "支付用户零钱",
}
SIGN_TYPES = pytest.mark.parametrize("sign_type", v2.SIGN_TYPES)


def notification(algorithm: str = "MD5", *, declared: str | None = None, key: str = KEY, **changes: str) -> str:
    """A notification signed with ``algorithm``, declaring ``sign_type=declared`` (signed too) when given."""
    fields: dict[str, Any] = {**FIELDS, **({"sign_type": declared} if declared else {})}
    fields["sign"] = v2.sign(fields, key, algorithm)
    fields.update(changes)
    return render_xml(fields)


# -- payment notifications ----------------------------------------------------------------------
@SIGN_TYPES
@pytest.mark.parametrize("declare", [True, False], ids=["declared", "undeclared"])
def test_both_sign_types_are_accepted(sign_type: str, declare: bool) -> None:
    body = notification(sign_type, declared=sign_type if declare else None)
    assert parse_payment_notification(body, KEY)["transaction_id"] == FIELDS["transaction_id"]
    assert parse_payment_notification(body.encode(), KEY, sign_type=sign_type)["out_trade_no"] == "1409811653"


@pytest.mark.parametrize(
    ("body", "forced"),
    [
        pytest.param(notification(sign="0" * 32), None, id="wrong-md5"),
        pytest.param(notification("HMAC-SHA256", sign="A" * 64), None, id="wrong-hmac"),
        pytest.param(notification(total_fee="1"), None, id="changed-amount"),
        pytest.param(notification(key="another-key"), None, id="other-key"),
        pytest.param(render_xml(FIELDS), None, id="no-sign"),
        pytest.param(notification(sign=""), None, id="empty-sign"),
        pytest.param(notification("HMAC-SHA256", declared="MD5"), None, id="hmac-declared-md5"),
        pytest.param(notification("MD5", declared="HMAC-SHA256"), None, id="md5-declared-hmac"),
        pytest.param(notification("MD5", declared="RSA"), None, id="unknown-declared"),
        pytest.param(notification("HMAC-SHA256", declared="HMAC-SHA256"), "MD5", id="forced-md5-wins"),
        pytest.param(notification("HMAC-SHA256"), "MD5", id="hmac-forced-md5"),
        pytest.param(notification("MD5"), "HMAC-SHA256", id="md5-forced-hmac"),
        pytest.param(notification(sign="签名" * 16), None, id="non-ascii-sign"),
    ],
)
def test_forged_notifications_are_refused(body: str, forced: str | None) -> None:
    with pytest.raises(SignatureError):
        parse_payment_notification(body, KEY, sign_type=forced)


def test_signed_sign_type_field_cannot_be_swapped() -> None:
    """The declared sign_type is signed too: dropping it breaks the sign."""
    fields = {**FIELDS, "sign_type": "HMAC-SHA256"}
    fields["sign"] = v2.sign(fields, KEY, "HMAC-SHA256")
    del fields["sign_type"]
    with pytest.raises(SignatureError):
        parse_payment_notification(render_xml(fields), KEY)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="sign_type"):
        parse_payment_notification(notification(), KEY, sign_type="SHA1")
    with pytest.raises(ConfigError):
        parse_payment_notification(notification(), "")


def test_return_code_fail_is_a_pay_error() -> None:
    body = render_xml({"return_code": "FAIL", "return_msg": "签名失败"})
    with pytest.raises(PayError) as err:
        parse_payment_notification(body, KEY)
    assert (err.value.code, err.value.message) == ("FAIL", "签名失败")


def test_result_code_fail_is_returned_verified() -> None:
    fields = {**FIELDS, "result_code": "FAIL", "err_code": "SYSTEMERROR"}
    fields["sign"] = v2.sign(fields, KEY)
    assert parse_payment_notification(render_xml(fields), KEY)["result_code"] == "FAIL"


UNSAFE_BODIES = [
    pytest.param(b"", id="empty"),
    pytest.param(b"not xml", id="text"),
    pytest.param(b'{"return_code": "SUCCESS"}', id="json"),
    pytest.param(b"<xml><return_code>SUCCESS</return_code>", id="truncated"),
    pytest.param(b"<html><return_code>SUCCESS</return_code></html>", id="other-root"),
    pytest.param(
        b'<!DOCTYPE xml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><return_code>&lol2;</return_code></xml>',
        id="billion-laughs",
    ),
    pytest.param(
        b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>',
        id="xxe",
    ),
    pytest.param(b"<xml><return_code>&undefined;</return_code></xml>", id="undefined-entity"),
    pytest.param(b"<xml>" + b"<a>" * 64 + b"</a>" * 64 + b"</xml>", id="deep"),
    pytest.param(b"<xml><body>" + b"x" * (1024 * 1024) + b"</body></xml>", id="oversized"),
    pytest.param(12345, id="not-bytes"),
]


@pytest.mark.parametrize("body", UNSAFE_BODIES)
def test_unsafe_or_non_xml_bodies_are_parse_errors(body: Any) -> None:
    with pytest.raises(ParseError):
        parse_payment_notification(body, KEY)
    with pytest.raises(ParseError):
        parse_refund_notification(body, KEY)


# -- refund notifications -----------------------------------------------------------------------
def independent_encrypt(plaintext: bytes, key: str) -> str:
    """AES-256-ECB under md5(key) hex, PKCS#7: written out here, independent of wxkit."""
    aes_key = hashlib.md5(key.encode()).hexdigest().lower().encode()
    pad = 16 - len(plaintext) % 16
    return base64.b64encode(AES.new(aes_key, AES.MODE_ECB).encrypt(plaintext + bytes([pad]) * pad)).decode()


ROOT_XML = (
    "<root><out_refund_no><![CDATA[131811191610442717309]]></out_refund_no>"
    "<refund_fee><![CDATA[3960]]></refund_fee><refund_status><![CDATA[SUCCESS]]></refund_status>"
    "<refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout></root>"
)


def test_decrypt_req_info_known_answer() -> None:
    decrypted = decrypt_req_info(independent_encrypt(ROOT_XML.encode(), KEY), KEY)
    assert decrypted == {
        "out_refund_no": "131811191610442717309",
        "refund_fee": "3960",
        "refund_status": "SUCCESS",
        "refund_recv_accout": "支付用户零钱",
    }
    # An <xml> root is accepted too.
    xml_root = ROOT_XML.replace("<root>", "<xml>").replace("</root>", "</xml>")
    assert decrypt_req_info(independent_encrypt(xml_root.encode(), KEY), KEY) == decrypted


def test_req_info_round_trip() -> None:
    assert decrypt_req_info(encrypt_req_info(REFUND, KEY), KEY) == REFUND
    assert decrypt_req_info(f"  {encrypt_req_info(REFUND, KEY)}\n", KEY) == REFUND


def flip(req_info: str, index: int) -> str:
    raw = bytearray(base64.b64decode(req_info))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


GOOD = encrypt_req_info(REFUND, KEY)


@pytest.mark.parametrize(
    ("req_info", "key"),
    [
        pytest.param(flip(GOOD, -1), KEY, id="flipped-padding"),
        pytest.param(flip(GOOD, 0), KEY, id="flipped-first-block"),
        pytest.param(flip(GOOD, 40), KEY, id="flipped-middle-block"),
        pytest.param(GOOD[:-8], KEY, id="truncated"),
        pytest.param(base64.b64encode(base64.b64decode(GOOD)[:-16]).decode(), KEY, id="block-dropped"),
        pytest.param(GOOD, "another-key", id="wrong-key"),
        pytest.param("", KEY, id="empty"),
        pytest.param("not base64!", KEY, id="not-base64"),
        pytest.param(base64.b64encode(b"x" * 15).decode(), KEY, id="short"),
        pytest.param(independent_encrypt(b"hello, not xml", KEY), KEY, id="not-xml"),
        pytest.param(independent_encrypt(b"<root><a>\xff\xfe</a></root>", KEY), KEY, id="not-utf8"),
        pytest.param(
            independent_encrypt(b'<!DOCTYPE root [<!ENTITY e "x">]><root><a>&e;</a></root>', KEY), KEY, id="entity"
        ),
        pytest.param(independent_encrypt(b"", KEY), KEY, id="empty-plaintext"),
        pytest.param(None, KEY, id="none"),
    ],
)
def test_req_info_tampering_is_a_decrypt_error(req_info: Any, key: str) -> None:
    with pytest.raises(DecryptError):
        decrypt_req_info(req_info, key)


def test_parse_refund_notification() -> None:
    envelope = {"return_code": "SUCCESS", "appid": "wx1", "mch_id": "10000100", "nonce_str": "n"}
    data = parse_refund_notification(render_xml({**envelope, "req_info": GOOD}), KEY)
    assert data == {**envelope, **REFUND}
    with pytest.raises(DecryptError):
        parse_refund_notification(render_xml(envelope), KEY)
    with pytest.raises(DecryptError):
        parse_refund_notification(render_xml({**envelope, "req_info": GOOD}), "another-key")
    with pytest.raises(PayError) as err:
        parse_refund_notification(render_xml({"return_code": "FAIL", "return_msg": "参数格式校验错误"}), KEY)
    assert err.value.message == "参数格式校验错误"


# -- answers ------------------------------------------------------------------------------------
def test_answers() -> None:
    assert success_response() == (
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
    )
    assert (
        fail_response()
        == "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[FAIL]]></return_msg></xml>"
    )
    hostile = "bad ]]><return_code>SUCCESS</return_code>"
    assert parse_xml(fail_response(hostile)) == {"return_code": "FAIL", "return_msg": hostile}


# -- end to end with the emulator's notifications -----------------------------------------------
@SIGN_TYPES
@pytest.mark.parametrize("notify_sign_type", [None, "MD5", "HMAC-SHA256"])
def test_emulated_payment_notifications(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2, sign_type: str, notify_sign_type: str | None
) -> None:
    merchant, client = make_pay_client_v2(sign_type)
    assert merchant.v2_key is not None
    client.unified_order("b", "T1", 250, "203.0.113.7", "https://shop.example/n", "NATIVE", product_id="p", attach="x")
    fields = complete_payment_v2(wechat_emulator, merchant, "T1", sign_type=notify_sign_type)
    assert "sign_type" not in fields  # WeChat leaves it out
    assert len(fields["sign"]) == (64 if (notify_sign_type or sign_type) == "HMAC-SHA256" else 32)
    body = render_xml(fields)
    for data in (parse_payment_notification(body, merchant.v2_key), client.parse_payment_notification(body)):
        assert (data["out_trade_no"], data["total_fee"], data["attach"]) == ("T1", "250", "x")
        assert data["transaction_id"] == client.order_query(out_trade_no="T1")["transaction_id"]
    again = complete_payment_v2(wechat_emulator, merchant, "T1")  # WeChat's retry: same payment
    assert again["transaction_id"] == fields["transaction_id"]


def test_emulated_payment_of_a_closed_or_unknown_order(
    wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2
) -> None:
    merchant, client = make_pay_client_v2()
    client.unified_order("b", "T1", 1, "203.0.113.7", "https://shop.example/n", "APP")
    client.close_order("T1")
    with pytest.raises(ValueError, match="CLOSED"):
        complete_payment_v2(wechat_emulator, merchant, "T1")
    with pytest.raises(KeyError):
        complete_payment_v2(wechat_emulator, merchant, "T-none")
    with pytest.raises(KeyError):
        complete_refund_v2(wechat_emulator, merchant, "R-none")


def test_emulated_refund_notification(wechat_emulator: Emulator, make_pay_client_v2: MakePayClientV2) -> None:
    merchant, client = make_pay_client_v2("HMAC-SHA256")
    assert merchant.v2_key is not None
    client.unified_order("b", "T1", 500, "203.0.113.7", "https://shop.example/n", "APP")
    complete_payment_v2(wechat_emulator, merchant, "T1")
    client.refund("R-0001", 500, 120, out_trade_no="T1", notify_url="https://shop.example/refund")
    assert merchant.data["v2_refunds"]["R-0001"]["notify_url"] == "https://shop.example/refund"
    body = render_xml(complete_refund_v2(wechat_emulator, merchant, "R-0001"))
    assert "R-0001" not in body  # encrypted (no "-" in base64)
    for data in (parse_refund_notification(body, merchant.v2_key), client.parse_refund_notification(body)):
        assert (data["out_refund_no"], data["refund_fee"], data["refund_status"]) == ("R-0001", "120", "SUCCESS")
        assert (data["mch_id"], data["out_trade_no"]) == (merchant.mchid, "T1")
