"""End to end over loopback, the ASGI way: the emulator delivers notifications to ``make_asgi_app(shop)``.

No ASGI server is a test dependency, so :class:`ASGIServer` is a tiny one: a threaded wsgiref
server that hands each request to the ASGI application running on an event loop in another
thread (the way uvicorn runs it: one loop, concurrent requests). The shop's handlers are
``async def``. In-process checks go through Starlette and httpx's ASGI transport.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from Crypto.PublicKey import RSA
from starlette.applications import Starlette
from starlette.routing import Route

from wxkit.adapters.pay import make_asgi_app
from wxkit.pay.models import Refund, Transaction
from wxkit.pay.notify import PayNotificationHandler
from wxkit.pay.v3 import PayClient
from wxkit.testing import Emulator
from wxkit.testing.pay_notify import deliver_payment, deliver_payment_v2, deliver_refund_v2, post

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class ASGIServer:
    """Serve an ASGI app on a free loopback port: wsgiref threads in front, one event loop behind."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.loop_thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.loop_thread.start()
        self.httpd = make_server("127.0.0.1", 0, self._wsgi, server_class=_ThreadingServer, handler_class=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/pay/notify"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = [
            (key[5:].replace("_", "-").lower().encode("latin-1"), str(value).encode("latin-1"))
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": environ["REQUEST_METHOD"],
            "scheme": "http",
            "path": environ.get("PATH_INFO") or "/",
            "raw_path": (environ.get("PATH_INFO") or "/").encode("latin-1"),
            "root_path": "",
            "query_string": str(environ.get("QUERY_STRING") or "").encode("latin-1"),
            "headers": headers,
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        asyncio.run_coroutine_threadsafe(self.app(scope, receive, send), self.loop).result(30)
        status = sent[0]["status"]
        start_response(
            f"{status} {HTTPStatus(status).phrase}", [(k.decode(), v.decode()) for k, v in sent[0]["headers"]]
        )
        return [b"".join(m.get("body", b"") for m in sent[1:])]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.loop_thread.join(10)
        self.loop.close()


class AsyncShop(PayNotificationHandler):
    """The user's code, async def: records every call; can fail or wait on demand."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.paid: list[Transaction] = []
        self.refunds: list[Refund] = []
        self.calls = 0
        self.fail_next = 0
        self.delay = 0.0

    async def on_paid(self, transaction: Transaction) -> None:  # type: ignore[override]
        self.calls += 1  # on the one event loop: no lock needed
        failing = self.fail_next > 0
        self.fail_next -= failing
        await asyncio.sleep(self.delay)
        if failing:
            raise RuntimeError("the warehouse is offline")
        self.paid.append(transaction)

    async def on_refund(self, refund: Refund) -> None:  # type: ignore[override]
        self.refunds.append(refund)


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ASGIServer] = []

    def start(handler: PayNotificationHandler) -> ASGIServer:
        server = ASGIServer(make_asgi_app(handler))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(params=["public_key", "certificate"])
def v3(request, make_pay_client, serve, wechat_emulator):
    """``(merchant, client, shop, server)``: a v3 merchant and an AsyncShop served over ASGI."""
    merchant, client = make_pay_client(request.param, clock=wechat_emulator.now)
    shop = AsyncShop(v3_client=client)
    return merchant, client, shop, serve(shop)


def order(client: Any, url: str, amount: int = 1200) -> str:
    out_trade_no = f"a{uuid.uuid4().hex[:20]}"
    client.orders.jsapi("Coffee", out_trade_no, amount, OPENID, notify_url=url)
    return out_trade_no


def test_v3_payment_delivered_three_times_is_handled_once(wechat_emulator, v3):
    merchant, client, shop, server = v3
    out_trade_no = order(client, server.url)
    assert deliver_payment(wechat_emulator, merchant, out_trade_no, times=3) == [204, 204, 204]
    (paid,) = shop.paid
    assert (paid.out_trade_no, paid.amount_total, paid.payer_openid) == (out_trade_no, 1200, OPENID)
    assert shop.calls == 1


def test_v3_refund_is_handled_once(wechat_emulator, v3):
    merchant, client, shop, server = v3
    out_trade_no = order(client, server.url)
    wechat_emulator.deliver_payment(merchant.mchid, out_trade_no)
    client.refunds.create("r-" + out_trade_no, 500, 1200, out_trade_no=out_trade_no, notify_url=server.url)
    assert wechat_emulator.deliver_refund(merchant, "r-" + out_trade_no, times=2) == [204, 204]
    assert [(r.out_refund_no, r.amount_refund) for r in shop.refunds] == [("r-" + out_trade_no, 500)]


@pytest.mark.parametrize("tamper", ["signature", "timestamp", "ciphertext"])
def test_v3_tampered_deliveries_are_refused(wechat_emulator, v3, tamper):
    merchant, client, shop, server = v3
    out_trade_no = order(client, server.url)
    assert deliver_payment(wechat_emulator, merchant, out_trade_no, tamper=tamper)[0] in (400, 401)
    assert shop.calls == 0
    assert deliver_payment(wechat_emulator, merchant, out_trade_no) == [204]


def test_a_failing_async_handler_is_retried_by_the_next_delivery(wechat_emulator, v3):
    merchant, client, shop, server = v3
    out_trade_no = order(client, server.url)
    shop.fail_next = 1
    assert deliver_payment(wechat_emulator, merchant, out_trade_no) == [500]
    assert deliver_payment(wechat_emulator, merchant, out_trade_no, times=2) == [204, 204]
    assert shop.calls == 2
    assert len(shop.paid) == 1


def test_concurrent_duplicate_deliveries_run_the_async_handler_once(wechat_emulator, v3):
    merchant, client, shop, server = v3
    out_trade_no = order(client, server.url)
    shop.delay = 0.2  # the copies overlap on the one loop: the claim lets one through
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.extend(deliver_payment(wechat_emulator, merchant, out_trade_no)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert set(statuses) <= {204, 409}
    assert 204 in statuses
    assert shop.calls == 1
    assert deliver_payment(wechat_emulator, merchant, out_trade_no) == [204]


def test_v2_payment_and_refund_are_handled_once(wechat_emulator, make_pay_client_v2, serve):
    merchant, client = make_pay_client_v2()
    shop = AsyncShop(v2_key=merchant.v2_key)
    server = serve(shop)
    out_trade_no = f"a{uuid.uuid4().hex[:20]}"
    client.unified_order("Coffee", out_trade_no, 1200, "127.0.0.1", server.url, trade_type="JSAPI", openid=OPENID)
    assert deliver_payment_v2(wechat_emulator, merchant, out_trade_no, times=2) == [200, 200]
    assert [t.out_trade_no for t in shop.paid] == [out_trade_no]
    client.refund("r" + out_trade_no, 1200, 300, out_trade_no=out_trade_no, notify_url=server.url)
    assert deliver_refund_v2(wechat_emulator, merchant, "r" + out_trade_no, times=2) == [200, 200]
    assert len(shop.refunds) == 1


def test_get_and_oversized_bodies_over_http(serve, make_pay_client, wechat_emulator):
    _, client = make_pay_client(clock=wechat_emulator.now)
    server = serve(AsyncShop(v3_client=client))
    status, _ = post(server.url, b"{" + b" " * 70000 + b"}", {"Content-Type": "application/json"})
    assert status == 413
    assert httpx.get(server.url, trust_env=False).status_code == 405


# -- in process: Starlette, httpx ASGITransport, raw ASGI ------------------------------------------
def test_through_a_starlette_route_and_the_raw_asgi_protocol(make_pay_client, wechat_emulator):
    from wxkit.testing.pay_notify import v3_headers, v3_notification
    from wxkit.testing.routes.pay_v3_orders import complete_payment

    merchant, client = make_pay_client(clock=wechat_emulator.now)
    shop = AsyncShop(v3_client=client)
    app = Starlette(routes=[Route("/pay/notify", make_asgi_app(shop))])
    out_trade_no = order(client, "https://shop.example/pay/notify")
    resource = complete_payment(wechat_emulator, merchant, out_trade_no)
    body = v3_notification(merchant, "TRANSACTION.SUCCESS", resource, now=wechat_emulator.now())
    headers = v3_headers(merchant, body, now=wechat_emulator.now())

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return [
                await http.post("/pay/notify", content=body, headers=headers),
                await http.post("/pay/notify", content=body, headers=headers),
                await http.post("/pay/notify", content=b"{}", headers={**headers, "Wechatpay-Signature": "x"}),
                await http.put("/pay/notify", content=body),
            ]

    ok, again, forged, put = asyncio.run(main())
    assert (ok.status_code, ok.content, "content-type" in ok.headers) == (204, b"", False)
    assert again.status_code == 204
    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/json")
    assert forged.json()["code"] == "FAIL"
    assert (put.status_code, put.headers["allow"]) == (405, "POST")
    assert len(shop.paid) == 1

    adapter = make_asgi_app(shop)
    sent: list[dict[str, Any]] = []

    async def lifespan() -> None:
        queue = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

        async def receive() -> dict[str, Any]:
            return queue.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await adapter({"type": "lifespan"}, receive, send)
        await adapter({"type": "websocket"}, receive, send)

    asyncio.run(lifespan())
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete", "websocket.close"]


# -- examples/pay_notify_fastapi.py, served for real ---------------------------------------------
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_fastapi_example_handles_a_payment_once(monkeypatch, tmp_path):
    key = RSA.generate(2048)
    apiv3_key = "0123456789abcdef0123456789abcdef"
    with Emulator() as emu:  # its own emulator: the example's client reads the real clock
        merchant = emu.add_merchant(
            "1900000043", serial_no="SERIAL", public_key=key.public_key(), apiv3_key=apiv3_key, mode="public_key"
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
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.syspath_prepend(str(EXAMPLES))  # as when run as a script: pay_shop is importable
        monkeypatch.delitem(sys.modules, "pay_shop", raising=False)  # a fresh one: its ORDERS start empty
        spec = importlib.util.spec_from_file_location(
            "wxkit_example_pay_notify_fastapi", EXAMPLES / "pay_notify_fastapi.py"
        )
        assert spec is not None
        assert spec.loader is not None
        example = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, example)
        spec.loader.exec_module(example)

        server = ASGIServer(example.app)
        try:
            client = PayClient(
                merchant.mchid,
                "SERIAL",
                key,
                apiv3_key,
                appid="wx_shop",
                public_key=merchant.pay_public_key_pem(),
                public_key_id=merchant.public_key_id,
                base_url=emu.url,
            )
            out_trade_no = order(client, server.url)
            assert deliver_payment(emu, merchant, out_trade_no, times=3) == [204] * 3
        finally:
            server.close()
    assert {out_trade_no: "paid"} == example.ORDERS
