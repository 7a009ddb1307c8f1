"""WeChat Pay notifications (v3 and v2) with ``async def`` handlers in a FastAPI app, at ``/pay/notify``.

Starlette is used if FastAPI is not installed (FastAPI is built on it, and
the route works the same way there). Run from the repository root
(``pip install fastapi uvicorn`` - or ``starlette uvicorn`` - and wxkit,
e.g. ``pip install -e .``)::

    WXPAY_MCHID=1900000001 WXPAY_SERIAL_NO=... WXPAY_PRIVATE_KEY=apiclient_key.pem \\
    WXPAY_APIV3_KEY=... WXPAY_PUBLIC_KEY=pub_key.pem WXPAY_PUBLIC_KEY_ID=PUB_KEY_ID_... \\
    python examples/pay_notify_fastapi.py
    # or: uvicorn --app-dir examples pay_notify_fastapi:app --port 8000

and give ``https://<your host>/pay/notify`` as the ``notify_url`` of your
orders and refunds. ``make_asgi_app`` calls the handler's ``handle_async``:
the ``async def`` handlers below are awaited on the event loop (a plain
``def`` one would run in a worker thread). The environment variables are
read by ``make_shop`` in ``examples/pay_shop.py``.
"""

from __future__ import annotations

import asyncio
import logging

from pay_shop import ORDERS, Shop, make_shop

from wxkit.adapters.pay import make_asgi_app
from wxkit.pay.models import Refund, Transaction

__all__ = ["ORDERS", "AsyncShop", "app"]

log = logging.getLogger("shop")


class AsyncShop(Shop):
    """``Shop`` with ``async def`` handlers: each still runs once per payment / refund outcome."""

    async def on_paid(self, transaction: Transaction) -> None:  # type: ignore[override]
        await asyncio.sleep(0)  # await your async database here (asyncpg, SQLAlchemy's asyncio session ...)
        log.info("paid: %s %s fen", transaction.out_trade_no, transaction.amount_total)
        ORDERS[transaction.out_trade_no] = "paid"

    async def on_refund(self, refund: Refund) -> None:  # type: ignore[override]
        log.info("refund %s: %s", refund.out_refund_no, refund.refund_status)
        ORDERS[refund.out_trade_no] = f"refund {refund.refund_status.lower()}"


notify_app = make_asgi_app(make_shop(cls=AsyncShop))

try:
    from fastapi import FastAPI
except ImportError:
    from starlette.applications import Starlette
    from starlette.routing import Route

    # Route (not Mount): it answers on /pay/notify exactly, without a trailing-slash redirect.
    app = Starlette(routes=[Route("/pay/notify", notify_app)])
else:
    app = FastAPI()
    app.add_route("/pay/notify", notify_app)


if __name__ == "__main__":
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    uvicorn.run(app, port=8000)
