"""client.shipping: order shipping information (发货信息管理); sync and async against the emulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wxkit.errors import APIError
from wxkit.miniprogram.shipping import DELIVERY_SPLIT, LOGISTICS_EXPRESS, LOGISTICS_VIRTUAL
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import add_paid_order, miniprogram_state

PARCEL = {
    "tracking_no": "SF1234567",
    "express_company": "SF",
    "item_desc": "T-shirt x1",
    "contact": {"receiver_contact": "189****1234"},
}


@pytest.fixture
def order(wechat_emulator: Emulator, wechat_app: AppState) -> dict[str, Any]:
    return add_paid_order(wechat_emulator, wechat_app, "o_ann", mchid="1230000109", out_trade_no="T-42")


def test_upload_then_query(mp_client: Any, order: dict[str, Any]) -> None:
    mp_client.shipping.upload_shipping_info(
        transaction_id=order["transaction_id"],
        logistics_type=LOGISTICS_EXPRESS,
        shipping_list=[PARCEL],
        payer_openid="o_ann",
    )
    answer = mp_client.shipping.get_order(transaction_id=order["transaction_id"])["order"]
    assert answer["order_state"] == 2
    assert answer["shipping"]["shipping_list"] == [{"tracking_no": "SF1234567", "express_company": "SF"}]
    same = mp_client.shipping.get_order(merchant_id="1230000109", merchant_trade_no="T-42")["order"]
    assert same["transaction_id"] == order["transaction_id"]


def test_the_order_by_merchant_number_and_a_given_upload_time(mp_client: Any, order: dict[str, Any]) -> None:
    when = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    mp_client.shipping.upload_shipping_info(
        mchid="1230000109",
        out_trade_no="T-42",
        logistics_type=LOGISTICS_VIRTUAL,
        shipping_list=[{"item_desc": "e-book"}],
        payer_openid="o_ann",
        upload_time=when,
    )
    assert mp_client.shipping.get_order(transaction_id=order["transaction_id"])["order"]["order_state"] == 2


def test_shipping_twice_is_10060002(mp_client: Any, order: dict[str, Any]) -> None:
    kwargs = {
        "transaction_id": order["transaction_id"],
        "logistics_type": 1,
        "shipping_list": [PARCEL],
        "payer_openid": "o_ann",
    }
    mp_client.shipping.upload_shipping_info(**kwargs)
    with pytest.raises(APIError) as info:
        mp_client.shipping.upload_shipping_info(**kwargs)
    assert info.value.errcode == 10060002


@pytest.mark.parametrize(
    ("kwargs", "errcode"),
    [
        ({"transaction_id": "4200000000"}, 10060001),
        ({"payer_openid": "o_bob"}, 10060014),
        ({"logistics_type": 9}, 10060005),
        ({"shipping_list": [PARCEL, PARCEL]}, 268485228),
        ({"delivery_mode": DELIVERY_SPLIT, "shipping_list": [PARCEL, PARCEL]}, 10060007),
        ({"delivery_mode": DELIVERY_SPLIT, "logistics_type": 2, "is_all_delivered": True}, 10060006),
        ({"shipping_list": [dict(PARCEL, item_desc="")]}, 10060008),
        ({"shipping_list": [dict(PARCEL, item_desc="x" * 121)]}, 10060009),
        ({"upload_time": "yesterday"}, 268485216),
    ],
    ids=["unknown", "payer", "logistics", "unified-two", "split-flag", "split-express", "desc", "desc-len", "time"],
)
def test_bad_uploads(mp_client: Any, order: dict[str, Any], kwargs: dict[str, Any], errcode: int) -> None:
    call = {
        "transaction_id": order["transaction_id"],
        "logistics_type": 1,
        "shipping_list": [PARCEL],
        "payer_openid": "o_ann",
    } | kwargs
    with pytest.raises(APIError) as info:
        mp_client.shipping.upload_shipping_info(**call)
    assert info.value.errcode == errcode


def test_split_delivery_ships_when_all_delivered(mp_client: Any, order: dict[str, Any]) -> None:
    common = {
        "transaction_id": order["transaction_id"],
        "logistics_type": 1,
        "delivery_mode": DELIVERY_SPLIT,
        "payer_openid": "o_ann",
    }
    mp_client.shipping.upload_shipping_info(shipping_list=[PARCEL], is_all_delivered=False, **common)
    assert mp_client.shipping.get_order(transaction_id=order["transaction_id"])["order"]["order_state"] == 1
    mp_client.shipping.upload_shipping_info(shipping_list=[PARCEL], is_all_delivered=True, **common)
    assert mp_client.shipping.get_order(transaction_id=order["transaction_id"])["order"]["order_state"] == 2


def test_combined_upload(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    subs = [add_paid_order(wechat_emulator, wechat_app, "o_ann") for _ in range(2)]
    mp_client.shipping.upload_combined_shipping_info(
        mchid="1230000109",
        out_trade_no="COMBINED-1",
        sub_orders=[
            {
                "order_key": {"order_number_type": 2, "transaction_id": s["transaction_id"]},
                "logistics_type": 1,
                "delivery_mode": 1,
                "shipping_list": [PARCEL],
            }
            for s in subs
        ],
        payer_openid="o_ann",
    )
    assert all(miniprogram_state(wechat_app).orders[s["transaction_id"]]["order_state"] == 2 for s in subs)


def test_list_orders_pages(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    for _ in range(3):
        add_paid_order(wechat_emulator, wechat_app, "o_ann")
    add_paid_order(wechat_emulator, wechat_app, "o_bob")
    first = mp_client.shipping.list_orders(openid="o_ann", page_size=2, order_state=1)
    assert len(first["order_list"]) == 2
    assert first["has_more"] is True
    rest = mp_client.shipping.list_orders(openid="o_ann", page_size=2, last_index=first["last_index"])
    assert len(rest["order_list"]) == 1
    assert rest["has_more"] is False
    now = int(wechat_emulator.now())
    assert len(mp_client.shipping.list_orders(pay_time_begin=now - 60, pay_time_end=now + 60)["order_list"]) == 4


def test_confirm_receipt_reminder(mp_client: Any, order: dict[str, Any], wechat_app: AppState) -> None:
    with pytest.raises(APIError) as info:
        mp_client.shipping.notify_confirm_receive(transaction_id=order["transaction_id"], received_time=1_700_000_000)
    assert info.value.errcode == 10060004
    mp_client.shipping.upload_shipping_info(
        transaction_id=order["transaction_id"], logistics_type=1, shipping_list=[PARCEL], payer_openid="o_ann"
    )
    when = dt.datetime(2024, 3, 2, tzinfo=dt.timezone.utc)
    mp_client.shipping.notify_confirm_receive(merchant_id="1230000109", merchant_trade_no="T-42", received_time=when)
    assert miniprogram_state(wechat_app).orders[order["transaction_id"]]["confirm_receive_notified"] == int(
        when.timestamp()
    )


def test_jump_path_and_trade_management(mp_client: Any, wechat_app: AppState) -> None:
    mp_client.shipping.set_msg_jump_path("pages/order/order?from=shipping")
    assert miniprogram_state(wechat_app).msg_jump_path == "pages/order/order?from=shipping"
    assert mp_client.shipping.is_trade_managed() is True


def test_argument_checks(mp_client: Any) -> None:
    with pytest.raises(ValueError, match="transaction_id"):
        mp_client.shipping.upload_shipping_info(logistics_type=1, shipping_list=[PARCEL], payer_openid="o")
    with pytest.raises(ValueError, match="aware"):
        mp_client.shipping.upload_shipping_info(
            transaction_id="4200",
            logistics_type=1,
            shipping_list=[PARCEL],
            payer_openid="o",
            upload_time=dt.datetime(2024, 3, 1),
        )
    with pytest.raises(ValueError, match="merchant_id"):
        mp_client.shipping.get_order()
