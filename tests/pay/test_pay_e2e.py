"""End to end over loopback: a real client orders against the emulator, the emulator delivers the notifications
to a PayNotificationHandler served by a real (threaded wsgiref) WSGI server, and the user's handler runs once.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from Crypto.PublicKey import RSA

from wxkit.adapters.pay import make_wsgi_app
from wxkit.pay.models import ProfitSharing, Refund, Transaction, Transfer
from wxkit.pay.notify import PayNotificationHandler
from wxkit.pay.v3 import PayClient
from wxkit.testing import Emulator
from wxkit.testing.pay_notify import (
    V2_PAYMENT_TAMPERS,
    V2_REFUND_TAMPERS,
    V3_TAMPERS,
    deliver_payment,
    deliver_payment_v2,
    deliver_profit_sharing,
    deliver_profit_sharing_return,
    deliver_refund,
    deliver_refund_v2,
    deliver_transfer,
    set_profit_sharing_notify_url,
)
from wxkit.testing.routes.pay_v3_funds import seed_paid_order
from wxkit.testing.routes.pay_v3_orders import complete_payment

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Shop(PayNotificationHandler):
    """The user's code: records every call; can fail or be slow on demand."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.paid: list[Transaction] = []
        self.refunds: list[Refund] = []
        self.transfers: list[Transfer] = []
        self.sharings: list[ProfitSharing] = []
        self.calls = 0
        self.fail_next = 0
        self.delay = 0.0
        self._lock = threading.Lock()

    def on_paid(self, transaction: Transaction) -> None:
        with self._lock:
            self.calls += 1
            failing = self.fail_next > 0
            self.fail_next -= failing
        time.sleep(self.delay)
        if failing:
            raise RuntimeError("the warehouse is offline")
        self.paid.append(transaction)

    def on_refund(self, refund: Refund) -> None:
        self.refunds.append(refund)

    def on_transfer(self, transfer: Transfer) -> None:
        self.transfers.append(transfer)

    def on_profit_sharing(self, sharing: ProfitSharing) -> None:
        self.sharings.append(sharing)


class NotifyServer:
    """A threaded wsgiref server on a free loopback port serving ``self.app`` (set by the test)."""

    def __init__(self) -> None:
        self.app: Any = None
        self.httpd = make_server(
            "127.0.0.1", 0, self._serve, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/pay/notify"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _serve(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)

    def serve(self, handler: PayNotificationHandler) -> None:
        """Serve ``handler`` through :func:`wxkit.adapters.pay.make_wsgi_app`."""
        self.app = make_wsgi_app(handler)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[NotifyServer]:
    srv = NotifyServer()
    yield srv
    srv.close()


@pytest.fixture(params=["public_key", "certificate"])
def v3(request, make_pay_client, server, wechat_emulator):
    """``(merchant, client, shop)``: a v3 merchant and a Shop served at ``server.url``.

    The client (and so the shop's verifier) reads the emulator's clock, which other tests may have advanced.
    """
    merchant, client = make_pay_client(request.param, clock=wechat_emulator.now)
    shop = Shop(v3_client=client)
    server.serve(shop)
    return merchant, client, shop


def order(client, server, amount: int = 1200) -> str:
    out_trade_no = f"o{uuid.uuid4().hex[:20]}"
    client.orders.jsapi("Coffee", out_trade_no, amount, OPENID, notify_url=server.url)
    return out_trade_no


# -- v3 ----------------------------------------------------------------------------------------
def test_v3_payment_delivered_three_times_is_handled_once(wechat_emulator, server, v3):
    merchant, client, shop = v3
    out_trade_no = order(client, server)
    assert deliver_payment(wechat_emulator, merchant, out_trade_no, times=3) == [204, 204, 204]
    (paid,) = shop.paid
    queried = client.orders.query_by_out_trade_no(out_trade_no)
    assert paid.transaction_id == queried["transaction_id"]
    assert (paid.out_trade_no, paid.amount_total, paid.payer_openid, paid.trade_state) == (
        out_trade_no,
        1200,
        OPENID,
        "SUCCESS",
    )
    assert paid.mchid == merchant.mchid
    deliveries = [n for n in merchant.notifications if n.get("out_trade_no") == out_trade_no]
    assert [n["status"] for n in deliveries] == [204, 204, 204]
    assert len({n["id"] for n in deliveries}) == 1  # the same notification, re-sent


def test_v3_refund_delivered_three_times_is_handled_once(wechat_emulator, server, v3):
    merchant, client, shop = v3
    out_trade_no = order(client, server)
    wechat_emulator.deliver_payment(merchant.mchid, out_trade_no)
    client.refunds.create("r-" + out_trade_no, 500, 1200, out_trade_no=out_trade_no, notify_url=server.url)
    assert wechat_emulator.deliver_refund(merchant, "r-" + out_trade_no, times=3) == [204, 204, 204]
    (refund,) = shop.refunds
    assert (refund.out_refund_no, refund.refund_status, refund.amount_refund, refund.amount_total) == (
        "r-" + out_trade_no,
        "SUCCESS",
        500,
        1200,
    )
    assert refund.transaction_id == shop.paid[0].transaction_id


@pytest.mark.parametrize("tamper", V3_TAMPERS)
def test_v3_tampered_deliveries_are_refused(wechat_emulator, server, v3, tamper):
    merchant, client, shop = v3
    out_trade_no = order(client, server)
    (status,) = deliver_payment(wechat_emulator, merchant, out_trade_no, tamper=tamper)
    assert 400 <= status < 500
    assert shop.calls == 0
    # The genuine notification still goes through afterwards.
    assert deliver_payment(wechat_emulator, merchant, out_trade_no) == [204]
    assert len(shop.paid) == 1


def test_a_failing_handler_is_retried_by_the_next_delivery(wechat_emulator, server, v3):
    merchant, client, shop = v3
    shop.fail_next = 1
    out_trade_no = order(client, server)
    assert deliver_payment(wechat_emulator, merchant, out_trade_no) == [500]
    assert shop.paid == []
    assert deliver_payment(wechat_emulator, merchant, out_trade_no, times=2) == [204, 204]
    assert (shop.calls, len(shop.paid)) == (2, 1)


def test_concurrent_duplicate_deliveries_run_the_handler_once(wechat_emulator, server, v3):
    merchant, client, shop = v3
    shop.delay = 0.3  # long enough for the duplicates to arrive while the first one runs
    out_trade_no = order(client, server)
    statuses: list[int] = []
    start = threading.Barrier(6)

    def deliver() -> None:
        start.wait(10)
        statuses.extend(deliver_payment(wechat_emulator, merchant, out_trade_no))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert shop.calls == 1
    assert len(shop.paid) == 1
    assert sorted(set(statuses)) in ([204], [204, 409])
    assert statuses.count(204) >= 1
    assert deliver_payment(wechat_emulator, merchant, out_trade_no) == [204]  # WeChat's later retry: settled
    assert shop.calls == 1


# -- v3 funds: transfers (商家转账) and profit sharing (分账动账) ------------------------------------
REPORT = [
    {"info_type": "活动名称", "info_content": "新会员有礼"},
    {"info_type": "奖励说明", "info_content": "注册奖励"},
]


@pytest.mark.parametrize("state", ["SUCCESS", "FAIL"])
def test_v3_transfer_delivered_three_times_is_handled_once(wechat_emulator, server, v3, state):
    merchant, client, shop = v3
    out_bill_no = f"TB{uuid.uuid4().hex[:20]}"
    bill = client.transfers.create(
        out_bill_no, "1000", OPENID, 500, "新会员奖励", transfer_scene_report_infos=REPORT, notify_url=server.url
    )
    assert bill["state"] == "WAIT_USER_CONFIRM"
    assert deliver_transfer(wechat_emulator, merchant, out_bill_no, state=state, times=3) == [204, 204, 204]
    (transfer,) = shop.transfers
    assert (transfer.out_bill_no, transfer.transfer_bill_no, transfer.state) == (
        out_bill_no,
        bill["transfer_bill_no"],
        state,
    )
    assert (transfer.mchid, transfer.openid, transfer.transfer_amount) == (merchant.mchid, OPENID, 500)
    assert transfer.fail_reason == ("PAYEE_ACCOUNT_ABNORMAL" if state == "FAIL" else "")
    assert client.transfers.query_by_out_bill_no(out_bill_no)["state"] == state
    assert deliver_transfer(wechat_emulator, merchant, out_bill_no) == [204]  # a later retry: settled, no call
    assert len(shop.transfers) == 1
    (delivery, *_) = [n for n in merchant.notifications if n.get("out_bill_no") == out_bill_no]
    assert delivery["event_type"] == "MCHTRANSFER.BILL.FINISHED"


def test_v3_transfer_tampered_or_without_notify_url(wechat_emulator, server, v3):
    merchant, client, shop = v3
    out_bill_no = f"TB{uuid.uuid4().hex[:20]}"
    client.transfers.create(
        out_bill_no, "1000", OPENID, 100, "奖励", transfer_scene_report_infos=REPORT, notify_url=server.url
    )
    assert deliver_transfer(wechat_emulator, merchant, out_bill_no, tamper="signature") == [401]
    assert deliver_transfer(wechat_emulator, merchant, out_bill_no) == [204]
    assert len(shop.transfers) == 1
    with pytest.raises(ValueError, match="final"):
        deliver_transfer(wechat_emulator, merchant, out_bill_no, state="TRANSFERING")
    silent = f"TB{uuid.uuid4().hex[:20]}"
    client.transfers.create(silent, "1000", OPENID, 100, "奖励", transfer_scene_report_infos=REPORT)
    with pytest.raises(ValueError, match="without a notify_url"):
        deliver_transfer(wechat_emulator, merchant, silent)


@pytest.mark.parametrize("event_type", ["PROFITSHARING.SUCCESS", "TRANSACTION.SUCCESS"])
def test_v3_profit_sharing_and_return_reach_the_receiver_once(wechat_emulator, make_pay_client, v3, event_type):
    payer, payer_client, _ = v3
    receiver, receiver_client = make_pay_client("public_key")  # the receiver: another merchant, its own keys
    partner = Shop(v3_client=receiver_client)
    receiver_server = NotifyServer()
    try:
        receiver_server.serve(partner)
        set_profit_sharing_notify_url(receiver, receiver_server.url)
        out_trade_no = f"o{uuid.uuid4().hex[:20]}"
        payer_client.orders.jsapi(
            "Coffee",
            out_trade_no,
            1000,
            OPENID,
            notify_url="https://shop.example/n",
            settle_info={"profit_sharing": True},
        )
        transaction_id = complete_payment(wechat_emulator, payer, out_trade_no)["transaction_id"]
        payer_client.profitsharing.add_receiver("MERCHANT_ID", receiver.mchid, "PARTNER", name="合作方有限公司")
        line = {"type": "MERCHANT_ID", "account": receiver.mchid, "amount": 300, "description": "分给合作方"}
        shared = payer_client.profitsharing.create_order(transaction_id, "P1", [line], unfreeze_unsplit=True)

        statuses = deliver_profit_sharing(wechat_emulator, payer, "P1", times=3, event_type=event_type)
        assert statuses == [204, 204, 204]  # only the receiver is notified, not the payer's unfrozen rest
        (share,) = partner.sharings
        assert (share.order_id, share.out_order_no, share.transaction_id, share.mchid) == (
            shared["order_id"],
            "P1",
            transaction_id,
            payer.mchid,
        )
        assert (share.receiver_type, share.receiver_account, share.amount) == ("MERCHANT_ID", receiver.mchid, 300)
        assert share.event_type == event_type
        assert payer_client.profitsharing.query_order("P1", transaction_id)["state"] == "FINISHED"

        payer_client.profitsharing.return_order("R1", receiver.mchid, 100, "退回", out_order_no="P1")
        returned_as = "PROFITSHARING.RETURN" if event_type.startswith("PROFIT") else event_type
        assert deliver_profit_sharing_return(wechat_emulator, payer, "R1", times=2, event_type=returned_as) == [
            204,
            204,
        ]
        assert [(s.event_type, s.amount) for s in partner.sharings] == [(event_type, 300), (returned_as, 100)]
        assert [n["status"] for n in receiver.notifications] == [204] * 5
    finally:
        receiver_server.close()


def test_v3_profit_sharing_needs_an_emulated_receiver_with_a_url(wechat_emulator, make_pay_client, v3):
    payer, payer_client, _ = v3
    receiver, _ = make_pay_client("public_key")
    order = seed_paid_order(payer, f"o{uuid.uuid4().hex[:12]}", 1000, profit_sharing=True)
    for account in (receiver.mchid, "1900000110"):
        payer_client.profitsharing.add_receiver("MERCHANT_ID", account, "PARTNER", name="合作方")
    lines = [
        {"type": "MERCHANT_ID", "account": receiver.mchid, "amount": 10, "description": "a"},
        {"type": "MERCHANT_ID", "account": "1900000110", "amount": 10, "description": "b"},
    ]
    payer_client.profitsharing.create_order(order["transaction_id"], "P2", lines, unfreeze_unsplit=False)
    with pytest.raises(ValueError, match="no profit-sharing notify URL"):
        deliver_profit_sharing(wechat_emulator, payer, "P2", receiver=receiver.mchid)
    with pytest.raises(ValueError, match="not a merchant on this emulator"):
        deliver_profit_sharing(wechat_emulator, payer, "P2", receiver="1900000110", url="http://127.0.0.1:9/x")
    with pytest.raises(ValueError, match="event_type"):
        deliver_profit_sharing(wechat_emulator, payer, "P2", event_type="REFUND.SUCCESS")


def test_get_and_oversized_bodies_over_http(server, v3):
    import urllib.error
    import urllib.request

    from wxkit.testing.pay_notify import post

    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.url, timeout=10)
    assert info.value.code == 405
    status, body = post(server.url, b"{" + b" " * (70 * 1024) + b"}", {"Content-Type": "application/json"})
    assert status == 413
    status, body = post(server.url, b"not json", {"Content-Type": "application/json"})
    assert status == 401
    assert b'"FAIL"' in body


# -- v2 ----------------------------------------------------------------------------------------
@pytest.fixture(params=["MD5", "HMAC-SHA256"])
def v2(request, make_pay_client_v2, server):
    merchant, client = make_pay_client_v2(request.param)
    shop = Shop(v2_key=merchant.v2_key)
    server.serve(shop)
    return merchant, client, shop


def order_v2(client, server, amount: int = 1200) -> str:
    out_trade_no = f"v2{uuid.uuid4().hex[:20]}"
    client.unified_order("Coffee", out_trade_no, amount, "127.0.0.1", server.url, "JSAPI", openid=OPENID)
    return out_trade_no


def test_v2_payment_and_refund_delivered_three_times_are_handled_once(wechat_emulator, server, v2):
    merchant, client, shop = v2
    out_trade_no = order_v2(client, server)
    assert deliver_payment_v2(wechat_emulator, merchant, out_trade_no, times=3) == [200, 200, 200]
    (paid,) = shop.paid
    assert (paid.out_trade_no, paid.amount_total, paid.payer_openid, paid.mchid) == (
        out_trade_no,
        1200,
        OPENID,
        merchant.mchid,
    )
    assert paid.transaction_id == client.order_query(out_trade_no=out_trade_no)["transaction_id"]
    assert all(n["answer"].startswith(b"<xml><return_code><![CDATA[SUCCESS]]>") for n in merchant.notifications)

    client.refund("r" + out_trade_no, 1200, 300, out_trade_no=out_trade_no, notify_url=server.url)
    assert deliver_refund_v2(wechat_emulator, merchant, "r" + out_trade_no, times=3) == [200, 200, 200]
    (refund,) = shop.refunds
    assert (refund.out_refund_no, refund.refund_status, refund.amount_refund, refund.transaction_id) == (
        "r" + out_trade_no,
        "SUCCESS",
        300,
        paid.transaction_id,
    )


@pytest.mark.parametrize("tamper", V2_PAYMENT_TAMPERS)
def test_v2_tampered_payments_are_refused(wechat_emulator, server, v2, tamper):
    merchant, client, shop = v2
    out_trade_no = order_v2(client, server)
    (status,) = deliver_payment_v2(wechat_emulator, merchant, out_trade_no, tamper=tamper)
    assert status == 401
    assert shop.calls == 0


@pytest.mark.parametrize("tamper", V2_REFUND_TAMPERS)
def test_v2_tampered_refunds_are_refused(wechat_emulator, server, v2, tamper):
    merchant, client, shop = v2
    out_trade_no = order_v2(client, server)
    deliver_payment_v2(wechat_emulator, merchant, out_trade_no)
    client.refund("r" + out_trade_no, 1200, 300, out_trade_no=out_trade_no, notify_url=server.url)
    assert deliver_refund_v2(wechat_emulator, merchant, "r" + out_trade_no, tamper=tamper) == [400]
    assert shop.refunds == []


def test_bad_tamper_names_are_refused_before_anything_is_sent(wechat_emulator, make_pay_client, make_pay_client_v2):
    merchant, _ = make_pay_client()
    merchant_v2, _ = make_pay_client_v2()
    calls = [
        (deliver_payment, merchant, "sign"),
        (deliver_refund, merchant, "key"),
        (deliver_payment_v2, merchant_v2, "signature"),
        (deliver_refund_v2, merchant_v2, "sign"),
    ]
    for deliver, owner, tamper in calls:
        with pytest.raises(ValueError, match="tamper"):
            deliver(wechat_emulator, owner, "any", tamper=tamper)
    assert merchant.notifications == merchant_v2.notifications == []


# -- the examples, served for real ---------------------------------------------------------------
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str, monkeypatch, env: dict[str, str]) -> Any:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # As when run as a script: the examples' folder is on sys.path (for the pay_shop module they
    # share), and each load gets a fresh pay_shop (its ORDERS start empty).
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.delitem(sys.modules, "pay_shop", raising=False)
    spec = importlib.util.spec_from_file_location(f"wxkit_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_the_examples_handle_a_payment_once(framework, server, monkeypatch, tmp_path):
    pytest.importorskip(framework)
    key = RSA.generate(2048)
    apiv3_key = "0123456789abcdef0123456789abcdef"
    with Emulator() as emu:  # its own emulator: the examples' clients read the real clock
        merchant = emu.add_merchant(
            "1900000042", serial_no="SERIAL", public_key=key.public_key(), apiv3_key=apiv3_key, mode="public_key"
        )
        (tmp_path / "key.pem").write_bytes(key.export_key("PEM"))
        (tmp_path / "pub.pem").write_text(merchant.pay_public_key_pem())
        env = {
            "WXPAY_MCHID": merchant.mchid,
            "WXPAY_SERIAL_NO": "SERIAL",
            "WXPAY_PRIVATE_KEY": str(tmp_path / "key.pem"),
            "WXPAY_APIV3_KEY": apiv3_key,
            "WXPAY_PUBLIC_KEY": str(tmp_path / "pub.pem"),
            "WXPAY_PUBLIC_KEY_ID": merchant.public_key_id,
            "WXPAY_BASE_URL": emu.url,
        }
        example = load_example(f"pay_notify_{framework}", monkeypatch, env)
        client = PayClient(merchant.mchid, "SERIAL", key, apiv3_key, appid="wx_shop", **_public(merchant, emu))
        out_trade_no = order(client, server)
        if framework == "flask":
            server.app = example.app
            assert deliver_payment(emu, merchant, out_trade_no, times=3) == [204] * 3
        else:
            from django.core.wsgi import get_wsgi_application
            from django.test import override_settings

            server.app = get_wsgi_application()
            hosts = ["127.0.0.1", "testserver"]
            with override_settings(ROOT_URLCONF=example.__name__, ALLOWED_HOSTS=hosts, MIDDLEWARE=[]):
                assert deliver_payment(emu, merchant, out_trade_no, times=3) == [204] * 3
    assert example.ORDERS[out_trade_no] == "paid"
    assert len(example.ORDERS) == 1


def _public(merchant: Any, emu: Emulator) -> dict[str, Any]:
    return {"public_key": merchant.pay_public_key_pem(), "public_key_id": merchant.public_key_id, "base_url": emu.url}
