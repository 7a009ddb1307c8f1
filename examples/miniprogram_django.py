"""A mini program's backend in a single-file Django project: login, profile, phone number and payment.

What ``django-miniprogram-api`` offered, framework-free underneath
(``wxkit.miniprogram.Login``, ``MiniProgramClient``, ``wxkit.pay``); the
endpoints and environment variables are described in
``examples/miniprogram_backend.py``. Run from the repository root (``pip
install django`` and wxkit, e.g. ``pip install -e .``)::

    WXA_APPID=wx... WXA_SECRET=... python examples/miniprogram_django.py runserver 8000

The mini program then calls (``wx.request``)::

    POST /login    {"code": "<wx.login() code>"}                      -> {"token": "..."}
    POST /profile  {"rawData", "signature", "encryptedData", "iv"}   -> {"nickName": ...}
    POST /phone    {"code": "<getPhoneNumber code>"}                   -> {"phoneNumber": ...}
    POST /pay      {"description": "Coffee", "amount": 1200}           -> {"out_trade_no", "payment"}

with ``Authorization: Token <token>`` after ``/login``, and gives
``payment`` to ``wx.requestPayment``. ``DJANGO_ALLOWED_HOSTS``:
comma-separated host names to serve (default ``localhost,127.0.0.1``).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management import execute_from_command_line
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from miniprogram_backend import (
    ORDERS,
    ApiError,
    Config,
    Sessions,
    error_answer,
    new_order,
    profile_of,
    read_json,
    shipping_of,
)

from wxkit.adapters.pay import make_django_view
from wxkit.miniprogram import Login, MiniProgramClient
from wxkit.pay.models import Transaction
from wxkit.pay.notify import PayNotificationHandler

__all__ = ["ORDERS", "config", "login", "urlpatterns"]

log = logging.getLogger("miniprogram")

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),  # nothing here is signed: Django's sessions and auth are not used
        ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],  # the API views are token-authenticated
    )

config = Config()
client = MiniProgramClient(config.appid, config.secret, storage=config.storage, base_url=config.base_url)
login = Login(client, config.storage)  # the session keys live in config.storage, never in an answer
sessions = Sessions(config.storage)


def api(view: Callable[[HttpRequest, dict[str, Any]], dict[str, Any]]) -> Callable[[HttpRequest], HttpResponse]:
    """A POST-only, CSRF-exempt JSON view: the body in, a JSON object out; refusals as ``{"error"}``."""

    @csrf_exempt  # the mini program authenticates with its token, not a CSRF cookie
    @require_POST
    def wrapped(request: HttpRequest) -> HttpResponse:
        try:
            return JsonResponse(view(request, read_json(request.body)))
        except Exception as exc:  # noqa: BLE001 - error_answer re-raises what it does not know
            status, message = error_answer(exc)
            return JsonResponse({"error": message}, status=status)

    return wrapped


@api
def login_view(request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
    """``{"code"}`` -> ``{"token"}``: code2session, the key kept server-side, our own token."""
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise ApiError(400, "code is required")
    user = login.login(code)
    return {"token": sessions.issue(user.openid), "has_unionid": user.unionid is not None}


@api
def profile_view(request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
    """``rawData`` checked against its signature, ``encryptedData`` decrypted and its watermark checked."""
    openid = sessions.openid(request.headers.get("Authorization"))
    login.check_raw_data(openid, body.get("rawData"), body.get("signature"))  # SignatureError -> 400
    info = login.decrypt(openid, body.get("encryptedData"), body.get("iv"))  # DecryptError -> 400
    return profile_of(info)


@api
def phone_view(request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
    """A ``getPhoneNumber`` code -> the number (the answer's watermark is checked by the client)."""
    openid = sessions.openid(request.headers.get("Authorization"))
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise ApiError(400, "code is required")
    info = client.phone.get_phone_number(code, openid=openid)
    return {
        "phoneNumber": info.phone_number,
        "purePhoneNumber": info.pure_phone_number,
        "countryCode": info.country_code,
    }


@api
def pay_view(request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
    """A JSAPI prepay for the user's openid; the answer is what ``wx.requestPayment`` takes."""
    openid = sessions.openid(request.headers.get("Authorization"))
    if config.pay is None:
        raise ApiError(503, "WeChat Pay is not configured (WXPAY_MCHID ...)")
    out_trade_no, order = new_order(openid, body)
    prepay = config.pay.orders.jsapi_with_params(
        order["description"], out_trade_no, order["amount"], openid, notify_url=config.notify_url
    )
    return {"out_trade_no": out_trade_no, "payment": prepay.params}


class Shop(PayNotificationHandler):
    """Runs once per paid order, however often WeChat Pay notifies: mark it paid, upload its shipping."""

    def on_paid(self, transaction: Transaction) -> None:
        order = ORDERS.get(transaction.out_trade_no)
        if order is None or transaction.amount_total != order["amount"]:
            log.error("payment for an unknown order or of another amount: %s", transaction.out_trade_no)
            return
        order.update(state="paid", transaction_id=transaction.transaction_id)
        client.shipping.upload_shipping_info(**shipping_of(order))  # raising: WeChat Pay notifies again later
        order["state"] = "shipped"


urlpatterns = [
    path("login", login_view),
    path("profile", profile_view),
    path("phone", phone_view),
    path("pay", pay_view),
]
if config.pay is not None:
    urlpatterns.append(path("pay/notify", make_django_view(Shop(v3_client=config.pay, storage=config.storage))))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    execute_from_command_line(sys.argv)
