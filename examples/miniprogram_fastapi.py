"""A mini program's backend as a FastAPI app (Starlette if FastAPI is not installed), ``async`` throughout.

The endpoints and environment variables of ``examples/miniprogram_backend.py``,
on ``AsyncMiniProgramClient`` and ``AsyncLogin``: ``/login``, ``/profile``,
``/phone`` and ``/pay`` await WeChat without blocking the event loop (the
WeChat Pay client is sync: its prepay call runs in a worker thread), and
``/pay/notify`` marks the order paid and uploads its shipping with
``async def`` handlers. Run from the repository root (``pip install fastapi
uvicorn`` - or ``starlette uvicorn`` - and ``wxkit[async]``, e.g. ``pip
install -e .[async]``)::

    WXA_APPID=wx... WXA_SECRET=... python examples/miniprogram_fastapi.py
    # or: uvicorn --app-dir examples miniprogram_fastapi:app --port 8000

Routes are plain ``Request -> Response`` endpoints, so the same code runs on
FastAPI and on Starlette; with FastAPI you may of course declare pydantic
bodies instead of :func:`~miniprogram_backend.read_json`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

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
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from wxkit.adapters.pay import make_asgi_app
from wxkit.miniprogram import AsyncLogin, AsyncMiniProgramClient
from wxkit.pay.models import Transaction
from wxkit.pay.notify import PayNotificationHandler

__all__ = ["ORDERS", "app", "config", "login"]

log = logging.getLogger("miniprogram")

config = Config()
client = AsyncMiniProgramClient(config.appid, config.secret, storage=config.storage, base_url=config.base_url)
login = AsyncLogin(client, config.storage)  # the session keys live in config.storage, never in an answer
sessions = Sessions(config.storage)

Endpoint = Callable[[Request, dict[str, Any]], Awaitable[dict[str, Any]]]


def api(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """A JSON endpoint: the body in, a JSON object out; refusals as ``{"error"}``."""

    async def wrapped(request: Request) -> Response:
        try:
            return JSONResponse(await endpoint(request, read_json(await request.body())))
        except Exception as exc:  # noqa: BLE001 - error_answer re-raises what it does not know
            status, message = error_answer(exc)
            return JSONResponse({"error": message}, status_code=status)

    return wrapped


@api
async def login_endpoint(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """``{"code"}`` -> ``{"token"}``: code2session, the key kept server-side, our own token."""
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise ApiError(400, "code is required")
    user = await login.login(code)
    return {"token": sessions.issue(user.openid), "has_unionid": user.unionid is not None}


@api
async def profile_endpoint(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """``rawData`` checked against its signature, ``encryptedData`` decrypted and its watermark checked."""
    openid = sessions.openid(request.headers.get("Authorization"))
    await login.check_raw_data(openid, body.get("rawData"), body.get("signature"))  # SignatureError -> 400
    info = await login.decrypt(openid, body.get("encryptedData"), body.get("iv"))  # DecryptError -> 400
    return profile_of(info)


@api
async def phone_endpoint(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """A ``getPhoneNumber`` code -> the number (the answer's watermark is checked by the client)."""
    openid = sessions.openid(request.headers.get("Authorization"))
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise ApiError(400, "code is required")
    info = await client.phone.get_phone_number(code, openid=openid)
    return {
        "phoneNumber": info.phone_number,
        "purePhoneNumber": info.pure_phone_number,
        "countryCode": info.country_code,
    }


@api
async def pay_endpoint(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """A JSAPI prepay for the user's openid; the answer is what ``wx.requestPayment`` takes."""
    openid = sessions.openid(request.headers.get("Authorization"))
    if config.pay is None:
        raise ApiError(503, "WeChat Pay is not configured (WXPAY_MCHID ...)")
    out_trade_no, order = new_order(openid, body)
    prepay = await asyncio.to_thread(  # the WeChat Pay client is sync: off the event loop
        config.pay.orders.jsapi_with_params,
        order["description"],
        out_trade_no,
        order["amount"],
        openid,
        notify_url=config.notify_url,
    )
    return {"out_trade_no": out_trade_no, "payment": prepay.params}


class Shop(PayNotificationHandler):
    """Runs once per paid order, however often WeChat Pay notifies: mark it paid, upload its shipping."""

    async def on_paid(self, transaction: Transaction) -> None:  # type: ignore[override]
        order = ORDERS.get(transaction.out_trade_no)
        if order is None or transaction.amount_total != order["amount"]:
            log.error("payment for an unknown order or of another amount: %s", transaction.out_trade_no)
            return
        order.update(state="paid", transaction_id=transaction.transaction_id)
        await client.shipping.upload_shipping_info(**shipping_of(order))  # raising: WeChat Pay notifies again
        order["state"] = "shipped"


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Close the mini-program client's connections on shutdown."""
    yield
    await client.aclose()


routes: list[BaseRoute] = [
    Route("/login", login_endpoint, methods=["POST"]),
    Route("/profile", profile_endpoint, methods=["POST"]),
    Route("/phone", phone_endpoint, methods=["POST"]),
    Route("/pay", pay_endpoint, methods=["POST"]),
]
if config.pay is not None:
    # Route (not Mount): it answers on /pay/notify exactly, without a trailing-slash redirect.
    routes.append(Route("/pay/notify", make_asgi_app(Shop(v3_client=config.pay, storage=config.storage))))

try:
    from fastapi import FastAPI
except ImportError:
    from starlette.applications import Starlette

    app: Any = Starlette(routes=routes, lifespan=lifespan)
else:
    app = FastAPI(routes=routes, lifespan=lifespan)


if __name__ == "__main__":
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    uvicorn.run(app, port=8000)
