"""PayNotificationHandler.handle_async: async handlers awaited, plain ones in a thread, the answers of handle().

Notifications are built by the emulator's delivery helpers and handed to the handler directly;
the ASGI adapter end to end over HTTP is in test_pay_asgi_e2e.py.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest

from wxkit.errors import ConfigError, StorageError
from wxkit.pay import v2, v3
from wxkit.pay.models import Refund, Transaction
from wxkit.pay.notify import PayNotificationHandler
from wxkit.storage import MemoryStorage
from wxkit.testing.pay import platform_key
from wxkit.testing.pay_notify import V3_TAMPERS, v3_headers, v3_notification
from wxkit.xmlcodec import render_xml

APIV3_KEY = "0123456789abcdef0123456789abcdef"
MERCHANT_KEY = platform_key(100)


def transaction() -> dict[str, Any]:
    tid = uuid.uuid4().hex[:28]
    return {
        "appid": "wxd678efh567hg6787",
        "mchid": "1230000109",
        "out_trade_no": f"order-{tid[:10]}",
        "transaction_id": tid,
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "success_time": "2018-06-08T10:34:56+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 1200, "payer_total": 1200, "currency": "CNY"},
    }


def refund() -> dict[str, Any]:
    return {
        "mchid": "1230000109",
        "out_trade_no": "order-1",
        "transaction_id": "1217752501201407033233368018",
        "out_refund_no": "refund-1",
        "refund_id": uuid.uuid4().hex[:29],
        "refund_status": "SUCCESS",
        "amount": {"total": 1200, "refund": 500, "payer_total": 1200, "payer_refund": 500},
    }


@pytest.fixture
def merchant(wechat_emulator):
    return wechat_emulator.add_merchant(
        f"18{uuid.uuid4().int % 10**8:08d}",
        serial_no="MERCHANT_SERIAL",
        public_key=MERCHANT_KEY.public_key(),
        apiv3_key=APIV3_KEY,
        mode="public_key",
    )


@pytest.fixture
def make(merchant, wechat_emulator):
    """``make(cls=PayNotificationHandler, **kwargs)``: a handler verifying the emulator's notifications."""

    def build(cls: type[PayNotificationHandler] = PayNotificationHandler, **kwargs: Any) -> Any:
        verifier = v3.Verifier(
            public_key=merchant.pay_public_key_pem(), public_key_id=merchant.public_key_id, clock=wechat_emulator.now
        )
        return cls(verifier=verifier, apiv3_key=APIV3_KEY, **kwargs)

    return build


@pytest.fixture
def notify(wechat_emulator, merchant):
    def build(resource: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS", tamper: str | None = None):
        now = wechat_emulator.now()
        body = v3_notification(merchant, event_type, resource, now=now, tamper=tamper)
        return v3_headers(merchant, body, now=now, tamper=tamper), body

    return build


class AsyncShop(PayNotificationHandler):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.paid: list[Transaction] = []
        self.refunds: list[Refund] = []
        self.fail_next = 0

    async def on_paid(self, transaction: Transaction) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the warehouse is offline")
        self.paid.append(transaction)

    async def on_refund(self, refund: Refund) -> None:  # type: ignore[override]
        self.refunds.append(refund)


def test_async_handlers_are_awaited_once_per_notification(make, notify):
    shop = make(AsyncShop)
    headers, body = notify(transaction())
    refund_headers, refund_body = notify(refund(), "REFUND.SUCCESS")

    async def main() -> list[tuple[int, str]]:
        answers = [await shop.handle_async(headers, body) for _ in range(3)]
        answers.append(await shop.handle_async(refund_headers, refund_body))
        return answers

    assert asyncio.run(main()) == [(204, "")] * 4
    assert len(shop.paid) == 1
    assert len(shop.refunds) == 1


def test_async_callables_passed_to_the_constructor_are_awaited(make, notify):
    paid: list[Transaction] = []

    async def on_paid(transaction: Transaction) -> None:
        paid.append(transaction)

    handler = make(on_paid=on_paid)
    assert asyncio.run(handler.handle_async(*notify(transaction()))) == (204, "")
    assert len(paid) == 1
    with pytest.raises(ConfigError, match=r"on_paid=.*handle_async"):
        handler.handle(*notify(transaction()))
    assert len(paid) == 1


def test_a_failing_async_handler_is_retried_by_the_next_delivery(make, notify):
    shop = make(AsyncShop)
    shop.fail_next = 1
    headers, body = notify(transaction())
    status, answer = asyncio.run(shop.handle_async(headers, body))
    assert status == 500
    assert "FAIL" in answer
    assert asyncio.run(shop.handle_async(headers, body)) == (204, "")
    assert len(shop.paid) == 1


def test_sync_handle_refuses_async_hooks(make, notify):
    shop = make(AsyncShop)
    with pytest.raises(ConfigError, match=r"on_paid, on_refund is async def.*handle_async"):
        shop.handle(*notify(transaction()))
    assert shop.paid == []


def test_a_plain_function_returning_a_coroutine_is_refused_by_handle(make, notify):
    async def record(transaction: Transaction) -> None:
        pass

    handler = make(on_paid=lambda t: record(t))
    with pytest.raises(ConfigError, match="lambda"):
        handler.handle(*notify(transaction()))
    assert asyncio.run(handler.handle_async(*notify(transaction()))) == (204, "")


@pytest.mark.parametrize("blocking", [True, False])
def test_plain_handlers_run_in_a_thread_unless_declared_non_blocking(make, notify, blocking):
    threads: list[int] = []
    handler = make(on_paid=lambda t: threads.append(threading.get_ident()))
    handler.handlers_block = blocking

    async def main() -> tuple[tuple[int, str], int]:
        return await handler.handle_async(*notify(transaction())), threading.get_ident()

    answer, loop_thread = asyncio.run(main())
    assert answer == (204, "")
    assert (threads[0] != loop_thread) is blocking


class ThreadStorage:
    """A Storage that is not a MemoryStorage; records the threads it is called from (and can be down)."""

    def __init__(self, fail: bool = False) -> None:
        self.inner = MemoryStorage()
        self.threads: list[int] = []
        self.fail = fail

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.get_ident())
            if self.fail:
                raise StorageError("the storage is down")
            return method(*args, **kwargs)

        return call


def test_storage_calls_run_in_a_thread_and_a_failing_storage_answers_500(make, notify):
    storage = ThreadStorage()
    handler = make(on_paid=lambda t: None, storage=storage)
    handler.handlers_block = False

    async def main(h: PayNotificationHandler) -> tuple[tuple[int, str], int]:
        return await h.handle_async(*notify(transaction())), threading.get_ident()

    answer, loop_thread = asyncio.run(main(handler))
    assert answer == (204, "")
    assert storage.threads
    assert loop_thread not in storage.threads
    down = make(on_paid=lambda t: pytest.fail("must not run"), storage=ThreadStorage(fail=True))
    assert asyncio.run(main(down))[0][0] == 500


@pytest.mark.parametrize("tamper", [None, *V3_TAMPERS])
def test_handle_async_answers_what_handle_answers(make, notify, tamper):
    resource = transaction()
    requests = [notify(resource, tamper=tamper), notify(resource), notify(refund(), "REFUND.CLOSED")]
    requests += [({}, b"not json"), ({}, "\ud800"), ({}, b"{" + b" " * 70000 + b"}"), ({}, None)]
    sync_handler = make(on_paid=lambda t: None, on_refund=lambda r: None)
    async_handler = make(on_paid=lambda t: None, on_refund=lambda r: None)

    async def answers() -> list[tuple[int, str]]:
        return [await async_handler.handle_async(headers, body) for headers, body in requests]

    assert asyncio.run(answers()) == [sync_handler.handle(headers, body) for headers, body in requests]


def test_v2_notifications_through_handle_async():
    key = "v2-merchant-key-0123456789abcdef"
    paid: list[Transaction] = []

    async def on_paid(transaction: Transaction) -> None:
        paid.append(transaction)

    handler = PayNotificationHandler(v2_key=key, on_paid=on_paid)
    fields = {
        "return_code": "SUCCESS",
        "result_code": "SUCCESS",
        "appid": "wx1",
        "mch_id": "1230000109",
        "nonce_str": "n1",
        "openid": "o1",
        "trade_type": "JSAPI",
        "total_fee": "1200",
        "transaction_id": uuid.uuid4().hex,
        "out_trade_no": "o-1",
        "time_end": "20240101120000",
    }
    xml = render_xml({**fields, "sign": v2.sign(fields, key)})
    answers = [asyncio.run(handler.handle_async({}, xml)) for _ in range(2)]
    assert answers == [(200, v2.success_response())] * 2
    assert len(paid) == 1
