"""The shop that ``pay_notify_flask.py``, ``pay_notify_django.py`` and ``pay_notify_fastapi.py`` serve.

A WeChat Pay notification handler.

``on_paid`` runs once per paid order however many times WeChat delivers the
notification; if it raises, WeChat is told to deliver it again later. In a
real project, put ``Shop`` next to your models and let ``on_paid`` update the
order row.

Environment variables (v3 needs the first four, v2 only ``WXPAY_V2_KEY``):

``WXPAY_MCHID``, ``WXPAY_SERIAL_NO``, ``WXPAY_PRIVATE_KEY``, ``WXPAY_APIV3_KEY``
    the merchant id, its API certificate's serial and private key (a PEM
    file), and the APIv3 key.
``WXPAY_PUBLIC_KEY``, ``WXPAY_PUBLIC_KEY_ID``
    the WeChat Pay public key (a PEM file) and its id; leave them unset to
    verify with downloaded platform certificates instead.
``WXPAY_V2_KEY``
    the v2 API key, to accept v2 (XML) notifications too.
``WXPAY_BASE_URL``
    the WeChat Pay API (default ``https://api.mch.weixin.qq.com``; point it at
    ``wxkit emulator`` to try things locally).
``REDIS_URL``
    share the "handled already" marks between processes (needed as soon as
    more than one process or machine serves this URL).
"""

from __future__ import annotations

import logging
import os

from wxkit.pay.models import Refund, Transaction
from wxkit.pay.notify import PayNotificationHandler
from wxkit.pay.v3 import PayClient
from wxkit.storage import MemoryStorage, RedisStorage, Storage

log = logging.getLogger("shop")

#: Our "database": out_trade_no -> state. A real shop updates its orders table.
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


def make_shop(env: os._Environ[str] | dict[str, str] = os.environ, *, cls: type[Shop] = Shop) -> Shop:
    """The handler (a ``cls``), configured from the environment."""
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
    return cls(v3_client=client, v2_key=env.get("WXPAY_V2_KEY") or None, storage=storage)
