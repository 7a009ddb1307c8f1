"""WeChat Pay notifications (v3 and v2) in a Flask app, served at ``/pay/notify``.

Run from the repository root (``pip install flask`` and wxkit, e.g.
``pip install -e .``)::

    WXPAY_MCHID=1900000001 WXPAY_SERIAL_NO=... WXPAY_PRIVATE_KEY=apiclient_key.pem \\
    WXPAY_APIV3_KEY=... WXPAY_PUBLIC_KEY=pub_key.pem WXPAY_PUBLIC_KEY_ID=PUB_KEY_ID_... \\
    python examples/pay_notify_flask.py

and give ``https://<your host>/pay/notify`` as the ``notify_url`` of your
orders and refunds. The handler, ``Shop``, and the environment variables it
reads are in ``examples/pay_shop.py``.
"""

from __future__ import annotations

import logging

from flask import Flask
from pay_shop import ORDERS, Shop, make_shop

from wxkit.adapters.pay import make_flask_view

__all__ = ["ORDERS", "Shop", "app"]

app = Flask(__name__)
app.add_url_rule("/pay/notify", view_func=make_flask_view(make_shop()), methods=["POST"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    app.run(port=8000)
