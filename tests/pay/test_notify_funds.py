"""PayNotificationHandler with transfer (商家转账) and profit-sharing (分账动账) notifications.

Notifications are built with the emulator's helpers and handed to ``handle``
directly; the end-to-end runs (client -> emulator -> HTTP -> handler) are in
test_pay_e2e.py.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from wxkit.errors import ParseError
from wxkit.pay import v3
from wxkit.pay.models import ProfitSharing, Transfer
from wxkit.pay.notify import PayNotificationHandler
from wxkit.testing.pay import platform_key
from wxkit.testing.pay_notify import v3_headers, v3_notification

APIV3_KEY = "0123456789abcdef0123456789abcdef"
MERCHANT_KEY = platform_key(100)


def transfer(state: str = "SUCCESS", **overrides: Any) -> dict[str, Any]:
    """A decrypted ``mch_payment`` resource as the docs show it (WeChat spells the merchant ``mch_id``)."""
    data = {
        "out_bill_no": "plfk2020042013",
        "transfer_bill_no": "1330000071100999991182020050700019480001",
        "state": state,
        "mch_id": "1900001109",
        "transfer_amount": 2000,
        "openid": "o-MYE42l80oelYMDE34nYD456Xoy",
        "create_time": "2015-05-20T13:29:35+08:00",
        "update_time": "2015-05-20T13:29:35+08:00",
    }
    if state == "FAIL":
        data["fail_reason"] = "PAYEE_ACCOUNT_ABNORMAL"
    data.update(overrides)
    return data


def sharing(**overrides: Any) -> dict[str, Any]:
    """A decrypted ``profitsharing`` resource (direct merchant)."""
    data = {
        "mchid": "1900000100",
        "transaction_id": "4200000000000000000000000000",
        "order_id": "1217752501201407033233368018",
        "out_order_no": "P20150806125346",
        "receiver": {
            "type": "MERCHANT_ID",
            "account": "1900000109",
            "amount": 100,
            "description": "分给商户1900000109",
        },
        "success_time": "2018-06-08T10:34:56+08:00",
    }
    data.update(overrides)
    return data


class Recorder:
    def __init__(self) -> None:
        self.transfers: list[Transfer] = []
        self.sharings: list[ProfitSharing] = []
        self.fail_next = 0

    def on_transfer(self, item: Transfer) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("ledger offline")
        self.transfers.append(item)

    def on_profit_sharing(self, item: ProfitSharing) -> None:
        self.sharings.append(item)


@pytest.fixture
def merchant(wechat_emulator):
    return wechat_emulator.add_merchant(
        f"17{uuid.uuid4().int % 10**8:08d}",
        serial_no="MERCHANT_SERIAL",
        public_key=MERCHANT_KEY.public_key(),
        apiv3_key=APIV3_KEY,
        mode="public_key",
    )


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def handler(merchant, rec, wechat_emulator) -> PayNotificationHandler:
    verifier = v3.Verifier(
        public_key=merchant.pay_public_key_pem(), public_key_id=merchant.public_key_id, clock=wechat_emulator.now
    )
    return PayNotificationHandler(
        verifier=verifier, apiv3_key=APIV3_KEY, on_transfer=rec.on_transfer, on_profit_sharing=rec.on_profit_sharing
    )


@pytest.fixture
def notify(wechat_emulator, merchant):
    """``notify(resource, event_type, original_type=None) -> (headers, body)``: one signed, encrypted notification."""

    def build(resource: dict, event_type: str, original_type: str | None = None):
        now = wechat_emulator.now()
        body = v3_notification(merchant, event_type, resource, now=now, original_type=original_type)
        return v3_headers(merchant, body, now=now), body

    return build


# -- transfers -------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["SUCCESS", "FAIL", "CANCELLED"])
def test_a_transfer_notification_is_typed_and_handled_once(handler, rec, notify, state):
    headers, body = notify(transfer(state), "MCHTRANSFER.BILL.FINISHED")
    assert json.loads(body)["resource"]["original_type"] == "mch_payment"
    assert [handler.handle(headers, body) for _ in range(3)] == [(204, "")] * 3
    (item,) = rec.transfers
    assert isinstance(item, Transfer)
    assert (item.out_bill_no, item.transfer_bill_no, item.state) == (
        "plfk2020042013",
        "1330000071100999991182020050700019480001",
        state,
    )
    assert (item.mchid, item.transfer_amount, item.openid) == ("1900001109", 2000, "o-MYE42l80oelYMDE34nYD456Xoy")
    assert item.fail_reason == ("PAYEE_ACCOUNT_ABNORMAL" if state == "FAIL" else "")
    assert item.update_time == "2015-05-20T13:29:35+08:00"
    assert item.raw == transfer(state)
    with pytest.raises(attrs_frozen_error()):
        item.state = "x"  # type: ignore[misc]


def attrs_frozen_error() -> type[Exception]:
    import attrs

    return attrs.exceptions.FrozenInstanceError


def test_each_transfer_state_of_one_bill_is_handled_once(handler, rec, notify):
    # A bill notified FAIL, then (hypothetically) CANCELLED: one call per state, as refunds per status.
    for state in ("FAIL", "CANCELLED", "FAIL"):
        assert handler.handle(*notify(transfer(state), "MCHTRANSFER.BILL.FINISHED")) == (204, "")
    assert [t.state for t in rec.transfers] == ["FAIL", "CANCELLED"]


def test_a_failing_transfer_handler_answers_500_and_runs_again(handler, rec, notify):
    rec.fail_next = 1
    headers, body = notify(transfer(), "MCHTRANSFER.BILL.FINISHED")
    assert handler.handle(headers, body)[0] == 500
    assert handler.handle(headers, body) == (204, "")
    assert len(rec.transfers) == 1


def test_transfer_query_answers_build_too():
    item = Transfer.from_v3({"out_bill_no": "B1", "transfer_bill_no": "T1", "state": "WAIT_USER_CONFIRM", "mchid": "1"})
    assert (item.state, item.mchid, item.transfer_amount, item.create_time) == ("WAIT_USER_CONFIRM", "1", 0, None)


@pytest.mark.parametrize(
    ("resource", "why"),
    [
        (transfer(transfer_bill_no=""), "no transfer_bill_no or state"),
        (transfer(state=""), "no transfer_bill_no or state"),
        (transfer(transfer_amount="2000"), "transfer_amount must be an integer"),
        (transfer(out_bill_no={"x": 1}), "out_bill_no must be text"),
    ],
)
def test_bad_transfer_resources_are_400(handler, rec, notify, resource, why):
    status, body = handler.handle(*notify(resource, "MCHTRANSFER.BILL.FINISHED"))
    assert status == 400
    assert why in json.loads(body)["message"]
    assert rec.transfers == []


# -- profit sharing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("event_type", "original_type"),
    [
        ("PROFITSHARING.SUCCESS", None),
        ("PROFITSHARING.RETURN", None),
        ("TRANSACTION.SUCCESS", "profitsharing"),  # what WeChat sends in practice
        ("TRANSACTION.SUCCESS", "transaction"),  # ... sometimes with this original_type: the resource tells
    ],
)
def test_a_profit_sharing_notification_is_typed_and_handled_once(handler, rec, notify, event_type, original_type):
    headers, body = notify(sharing(), event_type, original_type)
    assert [handler.handle(headers, body) for _ in range(3)] == [(204, "")] * 3
    (item,) = rec.sharings
    assert isinstance(item, ProfitSharing)
    assert (item.order_id, item.out_order_no, item.transaction_id, item.mchid) == (
        "1217752501201407033233368018",
        "P20150806125346",
        "4200000000000000000000000000",
        "1900000100",
    )
    assert (item.receiver_type, item.receiver_account, item.amount, item.description) == (
        "MERCHANT_ID",
        "1900000109",
        100,
        "分给商户1900000109",
    )
    assert (item.success_time, item.event_type) == ("2018-06-08T10:34:56+08:00", event_type)
    assert item.raw == sharing()


def test_a_share_and_its_return_are_two_calls(handler, rec, notify):
    share = sharing()
    back = sharing(receiver={**share["receiver"], "amount": 40}, success_time="2018-06-09T10:00:00+08:00")
    for resource, event in (
        (share, "PROFITSHARING.SUCCESS"),
        (back, "PROFITSHARING.RETURN"),
        (share, "PROFITSHARING.SUCCESS"),
    ):
        assert handler.handle(*notify(resource, event)) == (204, "")
    assert [(s.event_type, s.amount) for s in rec.sharings] == [
        ("PROFITSHARING.SUCCESS", 100),
        ("PROFITSHARING.RETURN", 40),
    ]


def test_service_provider_sharing_and_two_receivers_of_one_order(handler, rec, notify):
    partner = sharing(sp_mchid="1900000001", sub_mchid="1900000100")
    del partner["mchid"]
    other = {**partner, "receiver": {**partner["receiver"], "account": "1900000222"}}
    for resource in (partner, other, partner):
        assert handler.handle(*notify(resource, "PROFITSHARING.SUCCESS")) == (204, "")
    assert [(s.sub_mchid, s.sp_mchid, s.receiver_account) for s in rec.sharings] == [
        ("1900000100", "1900000001", "1900000109"),
        ("1900000100", "1900000001", "1900000222"),
    ]


@pytest.mark.parametrize(
    ("resource", "why"),
    [
        (sharing(order_id="", out_order_no=""), "no order_id or out_order_no"),
        (sharing(receiver={"type": "MERCHANT_ID", "amount": 1}), "no receiver account"),
        (sharing(receiver="1900000109"), "receiver must be an object"),
        (sharing(receiver={"account": "1", "amount": 1.5}), "amount must be an integer"),
    ],
)
def test_bad_profit_sharing_resources_are_400(handler, rec, notify, resource, why):
    status, body = handler.handle(*notify(resource, "PROFITSHARING.SUCCESS"))
    assert status == 400
    assert why in json.loads(body)["message"]
    assert rec.sharings == []


# -- the defaults and unknown types -------------------------------------------------------------
def test_without_a_handler_transfers_and_sharing_are_never_acknowledged(merchant, notify, wechat_emulator):
    verifier = v3.Verifier(
        public_key=merchant.pay_public_key_pem(), public_key_id=merchant.public_key_id, clock=wechat_emulator.now
    )
    bare = PayNotificationHandler(verifier=verifier, apiv3_key=APIV3_KEY)
    assert bare.handle(*notify(transfer(), "MCHTRANSFER.BILL.FINISHED"))[0] == 500  # WeChat retries
    assert bare.handle(*notify(sharing(), "PROFITSHARING.SUCCESS"))[0] == 500


def test_subclass_hooks(merchant, notify, wechat_emulator):
    class Shop(PayNotificationHandler):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seen: list[object] = []

        def on_transfer(self, transfer: Transfer) -> None:
            self.seen.append(transfer)

        def on_profit_sharing(self, sharing: ProfitSharing) -> None:
            self.seen.append(sharing)

    verifier = v3.Verifier(
        public_key=merchant.pay_public_key_pem(), public_key_id=merchant.public_key_id, clock=wechat_emulator.now
    )
    shop = Shop(verifier=verifier, apiv3_key=APIV3_KEY)
    assert shop.handle(*notify(transfer(), "MCHTRANSFER.BILL.FINISHED")) == (204, "")
    assert shop.handle(*notify(sharing(), "PROFITSHARING.RETURN")) == (204, "")
    assert [type(x) for x in shop.seen] == [Transfer, ProfitSharing]


@pytest.mark.parametrize("event_type", ["MCHTRANSFER.BATCH.FINISHED", "PROFITSHARING.UNKNOWN", "COMPLAINT.CREATE"])
def test_truly_unknown_event_types_are_still_400(handler, rec, notify, event_type):
    status, body = handler.handle(*notify(transfer(), event_type))
    assert status == 400
    assert "unsupported notification event_type" in json.loads(body)["message"]
    assert (rec.transfers, rec.sharings) == ([], [])


def test_parse_returns_the_typed_objects(handler, rec, notify):
    (item,) = handler.parse(*notify(transfer(), "MCHTRANSFER.BILL.FINISHED"))
    assert isinstance(item, Transfer)
    (item2,) = handler.parse(*notify(sharing(), "TRANSACTION.SUCCESS", "profitsharing"))
    assert isinstance(item2, ProfitSharing)
    assert rec.transfers == []
    with pytest.raises(ParseError):
        ProfitSharing.from_v3(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_an_id_with_a_lone_surrogate_is_400_not_a_storage_failure(redis_url, merchant, rec, wechat_emulator):
    """A JSON ``\\ud800`` escape in an id: Redis cannot store such a key; refused (400), never a 5xx retried forever."""
    redis = pytest.importorskip("redis")
    from wxkit.storage import RedisStorage

    verifier = v3.Verifier(
        public_key=merchant.pay_public_key_pem(), public_key_id=merchant.public_key_id, clock=wechat_emulator.now
    )
    storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=f"test-{uuid.uuid4().hex}:")
    shop = PayNotificationHandler(verifier=verifier, apiv3_key=APIV3_KEY, storage=storage, on_transfer=rec.on_transfer)
    plaintext = json.dumps(transfer(transfer_bill_no="T\ud800"))  # ensure_ascii: the escape, as WeChat's JSON may hold
    nonce = "0123456789ab"
    body = json.dumps(
        {
            "id": "EV-1",
            "event_type": "MCHTRANSFER.BILL.FINISHED",
            "resource": {
                "original_type": "mch_payment",
                "algorithm": "AEAD_AES_256_GCM",
                "associated_data": "mch_payment",
                "nonce": nonce,
                "ciphertext": v3.aead_encrypt(APIV3_KEY, nonce, "mch_payment", plaintext),
            },
        }
    ).encode()
    status, answer = shop.handle(v3_headers(merchant, body, now=wechat_emulator.now()), body)
    assert status == 400
    assert "not valid Unicode text" in json.loads(answer)["message"]
    assert rec.transfers == []
