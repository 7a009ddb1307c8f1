"""v3 merchant transfers (2025 transfer-bills) end to end against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from Crypto.PublicKey import RSA

from wxkit.errors import AmountError, ConfigError, PayError
from wxkit.pay.v3.crypto import oaep_decrypt
from wxkit.testing import Emulator
from wxkit.testing.routes.pay_v3_funds import complete_transfer, set_transfer_balance

INFOS = [{"info_type": "活动名称", "info_content": "新会员有礼"}, {"info_type": "奖励说明", "info_content": "注册奖励"}]


@pytest.fixture
def pay(make_pay_client: Any) -> Any:
    return make_pay_client("public_key")


def _create(client: Any, out_bill_no: str = "TB1", amount: Any = 500, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("transfer_scene_report_infos", INFOS)
    return client.transfers.create(out_bill_no, "1000", "o_user_1", amount, "新会员奖励", **kwargs)  # type: ignore[no-any-return]


def _code(exc: pytest.ExceptionInfo[PayError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


@pytest.mark.parametrize("mode", ["certificate", "public_key", "both"])
def test_create_with_user_name_arrives_decrypted(make_pay_client: Any, merchant_key: RSA.RsaKey, mode: str) -> None:
    merchant, client = make_pay_client(mode)
    bill = _create(client, user_name="李四", user_recv_perception="现金奖励", notify_url="https://example.com/t")
    assert bill["state"] == "WAIT_USER_CONFIRM"
    assert bill["package_info"]
    record = merchant.data["transfers"]["TB1"]
    assert (record["user_name"], record["notify_url"]) == ("李四", "https://example.com/t")
    assert record["transfer_scene_report_infos"] == INFOS
    queried = client.transfers.query_by_out_bill_no("TB1")
    assert oaep_decrypt(merchant_key, queried["user_name"]) == "李四"  # answered encrypted for the merchant


def test_query_both_ways(pay: Any) -> None:
    merchant, client = pay
    bill = _create(client)
    by_out = client.transfers.query_by_out_bill_no("TB1")
    by_no = client.transfers.query_by_transfer_bill_no(bill["transfer_bill_no"])
    assert by_out == by_no
    assert (by_out["mch_id"], by_out["appid"], by_out["state"]) == (merchant.mchid, client.appid, "WAIT_USER_CONFIRM")
    assert (by_out["transfer_amount"], by_out["openid"], by_out["transfer_remark"]) == (500, "o_user_1", "新会员奖励")
    assert "user_name" not in by_out


def test_same_out_bill_no_is_the_same_transfer(pay: Any) -> None:
    _, client = pay
    first = _create(client)
    assert _create(client) == first
    with pytest.raises(PayError) as exc:
        _create(client, amount=600)
    assert _code(exc) == (400, "INVALID_REQUEST")


def test_cancel_then_cancelled(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client = pay
    bill = _create(client)
    cancelled = client.transfers.cancel("TB1")
    assert cancelled["state"] == "CANCELING"
    assert cancelled["transfer_bill_no"] == bill["transfer_bill_no"]
    assert complete_transfer(wechat_emulator, merchant, "TB1")["state"] == "CANCELLED"
    assert client.transfers.query_by_out_bill_no("TB1")["state"] == "CANCELLED"
    assert client.transfers.cancel("TB1")["state"] == "CANCELLED"
    with pytest.raises(ValueError, match="cannot go"):
        complete_transfer(wechat_emulator, merchant, "TB1", state="SUCCESS")


@pytest.mark.parametrize(
    ("moves", "final", "fail_reason"),
    [
        (["SUCCESS"], "SUCCESS", None),
        (["TRANSFERING", "SUCCESS"], "SUCCESS", None),
        (["FAIL"], "FAIL", "PAYEE_ACCOUNT_ABNORMAL"),
    ],
)
def test_complete_transfer(
    wechat_emulator: Emulator, pay: Any, moves: list[str], final: str, fail_reason: str | None
) -> None:
    merchant, client = pay
    _create(client)
    for state in moves:
        answer = complete_transfer(wechat_emulator, merchant, "TB1", state=state)
    assert answer["state"] == final
    assert answer.get("fail_reason") == fail_reason
    assert {"out_bill_no", "transfer_bill_no", "mch_id", "transfer_amount", "openid", "update_time"} <= set(answer)
    assert client.transfers.query_by_out_bill_no("TB1")["state"] == final
    with pytest.raises(PayError) as exc:  # too late to cancel
        client.transfers.cancel("TB1")
    assert _code(exc) == (400, "INVALID_REQUEST")
    with pytest.raises(ValueError, match="cannot go"):
        complete_transfer(wechat_emulator, merchant, "TB1", state="CANCELLED")


def test_unknown_bills(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client = pay
    calls: list[Callable[[], Any]] = [
        lambda: client.transfers.query_by_out_bill_no("NOPE"),
        lambda: client.transfers.query_by_transfer_bill_no("1330000000"),
        lambda: client.transfers.cancel("NOPE"),
    ]
    for call in calls:
        with pytest.raises(PayError) as exc:
            call()
        assert _code(exc) == (404, "NOT_FOUND")
    with pytest.raises(KeyError):
        complete_transfer(wechat_emulator, merchant, "NOPE")


def test_balance(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client = pay
    set_transfer_balance(merchant, 800)
    _create(client, "TB1", 500)
    with pytest.raises(PayError) as exc:
        _create(client, "TB2", 500)
    assert _code(exc) == (403, "NOT_ENOUGH")
    complete_transfer(wechat_emulator, merchant, "TB1", state="FAIL")
    assert _create(client, "TB2", 500)["state"] == "WAIT_USER_CONFIRM"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"transfer_scene_report_infos": None}, "转账场景报备信息"),
        ({"transfer_scene_report_infos": [{"info_type": "活动名称"}]}, "转账场景报备信息"),
        ({"transfer_amount": 200000}, "姓名"),
        ({"transfer_amount": 1.5}, "transfer_amount"),
        ({"out_bill_no": "TB-1"}, "商户单号"),
        ({"appid": None}, "appid"),
        ({"transfer_remark": "备" * 33}, "transfer_remark"),
    ],
)
def test_emulator_param_errors(pay: Any, changes: dict[str, Any], message: str) -> None:
    body = {
        "appid": "wx_pay_test_app",
        "out_bill_no": "TB1",
        "transfer_scene_id": "1000",
        "openid": "o_user_1",
        "transfer_amount": 500,
        "transfer_remark": "奖励",
        "transfer_scene_report_infos": INFOS,
    }
    body.update(changes)
    with pytest.raises(PayError) as exc:
        pay[1].request("POST", "/v3/fund-app/mch-transfer/transfer-bills", json_body=body)
    assert _code(exc) == (400, "PARAM_ERROR")
    assert message in exc.value.message


@pytest.mark.parametrize(
    ("mode", "serial", "ciphertext", "message"),
    [
        ("certificate", None, "x", "Wechatpay-Serial"),
        ("public_key", "PUB_KEY_ID_NOT_MINE", "x", "不存在"),
        ("certificate", "CERT", "bm90IGEgY2lwaGVydGV4dA==", "解密失败"),
        ("public_key", "PUBKEY", "not base64!", "解密失败"),
    ],
)
def test_emulator_refuses_undecryptable_user_name(
    make_pay_client: Any, mode: str, serial: str | None, ciphertext: str, message: str
) -> None:
    merchant, client = make_pay_client(mode)
    known = {
        "CERT": merchant.certificates[-1].serial_no if merchant.certificates else "",
        "PUBKEY": merchant.public_key_id,
    }
    body = {
        "appid": "wx_pay_test_app",
        "out_bill_no": "TB1",
        "transfer_scene_id": "1000",
        "openid": "o_user_1",
        "transfer_amount": 500,
        "transfer_remark": "奖励",
        "transfer_scene_report_infos": INFOS,
        "user_name": ciphertext,
    }
    with pytest.raises(PayError) as exc:
        client.request(
            "POST",
            "/v3/fund-app/mch-transfer/transfer-bills",
            json_body=body,
            sensitive_serial=known.get(serial or "", serial),
        )
    assert _code(exc) == (400, "PARAM_ERROR")
    assert message in exc.value.message
    assert "TB1" not in merchant.data.get("transfers", {})


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: _create(c, amount=5.0), AmountError),
        (lambda c: _create(c, amount=-5), AmountError),
        (lambda c: _create(c, amount=True), AmountError),
        (lambda c: _create(c, amount="500"), AmountError),
        (lambda c: _create(c, user_name=""), ValueError),
        (lambda c: _create(c, transfer_scene_report_infos=[{"info_type": "x"}]), ValueError),
        (lambda c: _create(c, transfer_scene_report_infos=["x"]), ValueError),
        (lambda c: c.transfers.query_by_out_bill_no("a/b"), ValueError),
        (lambda c: c.transfers.query_by_transfer_bill_no(""), ValueError),
        (lambda c: c.transfers.cancel(".."), ValueError),
    ],
)
def test_bad_input_is_refused_before_sending(wechat_emulator: Emulator, pay: Any, call: Any, error: type) -> None:
    before = len(wechat_emulator.requests)
    with pytest.raises(error):
        call(pay[1])
    assert len(wechat_emulator.requests) == before


def test_appid_is_required(make_pay_client: Any) -> None:
    _, client = make_pay_client("public_key", appid=None)
    with pytest.raises(ConfigError, match="appid"):
        _create(client)
    assert _create(client, appid="wx_other_app")["state"] == "WAIT_USER_CONFIRM"


def test_confirm_params(pay: Any) -> None:
    merchant, client = pay
    bill = _create(client)
    params = client.transfers.confirm_params(bill["package_info"])
    assert params == {"mchId": merchant.mchid, "appId": client.appid, "package": bill["package_info"]}
    assert client.transfers.confirm_params("pkg", appid="wx_other")["appId"] == "wx_other"
    with pytest.raises(ValueError, match="package_info"):
        client.transfers.confirm_params("")
