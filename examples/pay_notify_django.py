"""WeChat Pay notifications (v3 and v2) in a single-file Django project, served at ``/pay/notify``.

Run from the repository root (``pip install django`` and wxkit, e.g.
``pip install -e .``)::

    WXPAY_MCHID=1900000001 WXPAY_SERIAL_NO=... WXPAY_PRIVATE_KEY=apiclient_key.pem \\
    WXPAY_APIV3_KEY=... WXPAY_PUBLIC_KEY=pub_key.pem WXPAY_PUBLIC_KEY_ID=PUB_KEY_ID_... \\
    python examples/pay_notify_django.py runserver 8000

and give ``https://<your host>/pay/notify`` as the ``notify_url`` of your
orders and refunds. The handler, ``Shop``, and the environment variables it
reads are in ``examples/pay_shop.py`` (shared with ``examples/pay_notify_flask.py``).

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
from pay_shop import ORDERS, Shop, make_shop

from wxkit.adapters.pay import make_django_view

__all__ = ["ORDERS", "Shop", "urlpatterns"]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),  # nothing here is signed: sessions and auth are not used
        ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],  # the notification view is CSRF-exempt
    )

urlpatterns = [path("pay/notify", make_django_view(make_shop()))]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    execute_from_command_line(sys.argv)
