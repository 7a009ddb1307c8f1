"""What ``miniprogram_django.py`` and ``miniprogram_fastapi.py`` share: configuration, our own session tokens, orders.

A mini program's backend, as ``django-miniprogram-api`` offered it, with wxkit
and no framework in the logic:

``POST /login``   ``{"code"}`` (from ``wx.login()``) -> ``{"token"}``: our own session token. The
                  ``session_key`` stays on the server (``wxkit.miniprogram.Login``).
``POST /profile`` ``{"rawData", "signature", "encryptedData", "iv"}`` (from ``wx.getUserInfo``)
                  -> the user's profile, its signature and watermark checked.
``POST /phone``   ``{"code"}`` (from the ``getPhoneNumber`` button) -> the phone number.
``POST /pay``     ``{"description", "amount"}`` (fen) -> ``{"out_trade_no", "payment"}``: the
                  ``wx.requestPayment`` parameters of a JSAPI prepay for the user's openid.
``POST /pay/notify`` WeChat Pay's notification: the order is marked paid and its shipping
                  uploaded (virtual goods here), as mini-program payments require since 2023.

Every call but ``/login`` and ``/pay/notify`` sends ``Authorization: Token <token>``.

Environment variables: ``WXA_APPID``, ``WXA_SECRET`` (the mini program),
``WXA_BASE_URL`` (its API origin: point it at ``wxkit emulator`` to try things
locally), ``WXPAY_MCHID``, ``WXPAY_SERIAL_NO``, ``WXPAY_PRIVATE_KEY`` (a PEM
file), ``WXPAY_APIV3_KEY``, ``WXPAY_PUBLIC_KEY`` (a PEM file) and
``WXPAY_PUBLIC_KEY_ID``, ``WXPAY_BASE_URL`` (without them ``/pay`` answers 503),
``PAY_NOTIFY_URL`` (this server's ``/pay/notify`` as WeChat reaches it), and
``REDIS_URL`` to share session keys, tokens and notification marks between
processes.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from typing import Any

from wxkit import APIError, DecryptError, InvalidArgumentError, SignatureError
from wxkit.miniprogram import UserData
from wxkit.pay.v3 import PayClient
from wxkit.storage import MemoryStorage, RedisStorage, Storage

__all__ = [
    "ORDERS",
    "ApiError",
    "Config",
    "Sessions",
    "error_answer",
    "new_order",
    "profile_of",
    "read_json",
    "shipping_of",
]

#: Our "database" of orders: out_trade_no -> {"openid", "description", "amount", "state", "transaction_id"}.
ORDERS: dict[str, dict[str, Any]] = {}


class ApiError(Exception):
    """An answer other than 200: ``status`` and a message for the front end."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Config:
    """The settings, read from the environment (see the module docs)."""

    def __init__(self, env: Mapping[str, str] = os.environ) -> None:
        self.appid = env.get("WXA_APPID", "wx_demo_miniprogram")
        self.secret = env.get("WXA_SECRET", "demo-secret")
        self.base_url = env.get("WXA_BASE_URL", "https://api.weixin.qq.com")
        self.notify_url = env.get("PAY_NOTIFY_URL", "https://example.com/pay/notify")
        self.storage: Storage = MemoryStorage()
        if env.get("REDIS_URL"):
            import redis

            self.storage = RedisStorage(redis.Redis.from_url(env["REDIS_URL"]))
        self.pay: PayClient | None = None
        if env.get("WXPAY_MCHID"):
            self.pay = PayClient(
                env["WXPAY_MCHID"],
                env["WXPAY_SERIAL_NO"],
                env["WXPAY_PRIVATE_KEY"],
                env["WXPAY_APIV3_KEY"],
                appid=self.appid,  # the mini program's appid: the openid belongs to it
                public_key=env.get("WXPAY_PUBLIC_KEY") or None,
                public_key_id=env.get("WXPAY_PUBLIC_KEY_ID") or None,
                storage=self.storage,
                base_url=env.get("WXPAY_BASE_URL", "https://api.mch.weixin.qq.com"),
            )


class Sessions:
    """Our own session tokens (what the front end keeps, instead of anything of WeChat's): token -> openid."""

    def __init__(self, storage: Storage, ttl: float = 7 * 86400) -> None:
        self.storage = storage
        self.ttl = ttl

    def issue(self, openid: str) -> str:
        """A new random token for ``openid``."""
        token = secrets.token_urlsafe(32)
        self.storage.set(f"example:token:{token}", openid, self.ttl)
        return token

    def openid(self, authorization: str | None) -> str:
        """The openid of an ``Authorization: Token <token>`` header; 401 without a valid one."""
        scheme, _, token = (authorization or "").partition(" ")
        openid = self.storage.get(f"example:token:{token.strip()}") if scheme == "Token" and token.strip() else None
        if openid is None:
            raise ApiError(401, "log in first (POST /login)")
        return openid


def read_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; 400 otherwise."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body is not a JSON object")
    return data


def error_answer(exc: Exception) -> tuple[int, str]:
    """``(status, message)`` for what the flow raised: the user's data or code was refused, or WeChat failed."""
    if isinstance(exc, ApiError):
        return exc.status, exc.message
    if isinstance(exc, (SignatureError, DecryptError)):
        return 400, str(exc)  # the messages say what to do ("log in again", "fetch it again")
    if isinstance(exc, InvalidArgumentError):
        return 400, f"WeChat refused the code ({exc.errcode}): call wx.login() / the button again"
    if isinstance(exc, (APIError, ValueError)):
        return 400, str(exc)
    raise exc


def profile_of(info: UserData) -> dict[str, Any]:
    """The profile fields the front end gets back (not the watermark)."""
    return {k: v for k, v in info.data.items() if k != "watermark"}


def new_order(openid: str, body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Record an order for ``openid`` from the ``/pay`` body: ``(out_trade_no, order)``; 400 for bad values."""
    description, amount = body.get("description"), body.get("amount")
    if not isinstance(description, str) or not description or len(description) > 127:
        raise ApiError(400, "description must be text of 1 to 127 characters")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ApiError(400, "amount must be a positive integer of fen")
    out_trade_no = "mp" + secrets.token_hex(12)
    order = {"openid": openid, "description": description, "amount": amount, "state": "unpaid", "transaction_id": ""}
    ORDERS[out_trade_no] = order
    return out_trade_no, order


def shipping_of(order: Mapping[str, Any]) -> dict[str, Any]:
    """The ``upload_shipping_info`` arguments for a paid order: virtual goods, delivered on payment."""
    from wxkit.miniprogram.shipping import LOGISTICS_VIRTUAL

    return {
        "transaction_id": order["transaction_id"],
        "logistics_type": LOGISTICS_VIRTUAL,
        "shipping_list": [{"item_desc": order["description"][:120]}],
        "payer_openid": order["openid"],
    }
