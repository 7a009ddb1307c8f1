"""WeChat Pay notifications (v3 and v2) in a single-file Django project, served at ``/pay/notify``.

Run from the repository root (``pip install django`` and wxkit, e.g.
``pip install -e .``)::

    WXPAY_MCHID=1900000001 WXPAY_SERIAL_NO=... WXPAY_PRIVATE_KEY=apiclient_key.pem \\
    WXPAY_APIV3_KEY=... WXPAY_PUBLIC_KEY=pub_key.pem WXPAY_PUBLIC_KEY_ID=PUB_KEY_ID_... \\
    python examples/pay_notify_django.py runserver 8000

and give ``https://<your host>/pay/notify`` as the ``notify_url`` of your
orders and refunds. The handler is the one of ``examples/pay_notify_flask.py``
(same environment variables); in a real project, put ``Shop`` next to your
models and let ``on_paid`` update the order row.

``DJANGO_ALLOWED_HOSTS``: comma-separated host names to serve (default
``localhost,127.0.0.1``); add the public host name WeChat calls.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys

from django.conf import settings
from django.core.management import execute_from_command_line
from django.urls import path

from wxkit.adapters.pay import make_django_view
from wxkit.pay.models import Refund, Transaction
from wxkit.pay.notify import PayNotificationHandler
from wxkit.pay.v3 import PayClient
from wxkit.storage import MemoryStorage, RedisStorage, Storage

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),  # nothing here is signed: sessions and auth are not used
        ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],  # the notification view is CSRF-exempt
    )

log = logging.getLogger("shop")

#: Our "database": out_trade_no -> state. A real shop updates its Order model.
ORDERS: dict[str, str] = {}


class Shop(PayNotificationHandler):
    """Ship paid orders, record refunds. Each runs once per payment / refund outcome."""

    def on_paid(self, transaction: Transaction) -> None:
        # Check the amount against your own order before shipping anything.
        log.info("paid: %s %s fen", transaction.out_trade_no, transaction.amount_total)
        ORDERS[transaction.out_trade_no] = "paid"

    def on_refund(self, refund: Refund) -> None:
        log.info("refund %s: %s", refund.out_refund_no, refund.refund_status)
        ORDERS[refund.out_trade_no] = f"refund {refund.refund_status.lower()}"


def make_shop(env: os._Environ[str] | dict[str, str] = os.environ) -> Shop:
    """The handler, configured from the environment (see examples/pay_notify_flask.py)."""
    storage: Storage = MemoryStorage()
    if env.get("REDIS_URL"):
        import redis

        storage = RedisStorage(redis.Redis.from_url(env["REDIS_URL"]))
    client = None
    if env.get("WXPAY_MCHID"):
        client = PayClient(
            env["WXPAY_MCHID"],
            env["WXPAY_SERIAL_NO"],
            env["WXPAY_PRIVATE_KEY"],
            env["WXPAY_APIV3_KEY"],
            public_key=env.get("WXPAY_PUBLIC_KEY") or None,
            public_key_id=env.get("WXPAY_PUBLIC_KEY_ID") or None,
            storage=storage,
            base_url=env.get("WXPAY_BASE_URL", "https://api.mch.weixin.qq.com"),
        )
    return Shop(v3_client=client, v2_key=env.get("WXPAY_V2_KEY") or None, storage=storage)


urlpatterns = [path("pay/notify", make_django_view(make_shop()))]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    execute_from_command_line(sys.argv)
