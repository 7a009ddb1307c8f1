"""examples/miniprogram_django.py and examples/miniprogram_fastapi.py: the whole flow through each framework's
test client, against the emulator (login, profile, phone, payment with its notification and shipping upload)."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import SHA256
from Crypto.Signature import pkcs1_15

from wxkit.miniprogram._login import raw_signature
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import encrypt_user_data, miniprogram_state
from wxkit.testing.pay import platform_key
from wxkit.testing.pay_notify import v3_headers, v3_notification
from wxkit.testing.routes.pay_v3_orders import complete_payment

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APIV3_KEY = "0123456789abcdef0123456789abcdef"
OPENID = "o_example_buyer"
PROFILE = {"nickName": "Band", "gender": 1, "city": "Guangzhou"}

#: ``call(path, body=None, token=None, headers=None) -> (status, decoded JSON or None)``.
Call = Callable[..., tuple[int, Any]]


def _load(name: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Any:
    """Import an example as its script would run: the examples' folder on sys.path, a fresh shared backend."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.delitem(sys.modules, "miniprogram_backend", raising=False)
    spec = importlib.util.spec_from_file_location(f"wxkit_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def _decode(status: int, content: bytes) -> tuple[int, Any]:
    try:
        return status, json.loads(content) if content else None
    except ValueError:
        return status, content.decode("utf-8", "replace")


@pytest.fixture
def merchant(wechat_emulator: Emulator, wechat_app: AppState) -> Any:
    return wechat_emulator.add_merchant(
        f"19{abs(hash(wechat_app.appid)) % 10**8:08d}",
        serial_no="EXAMPLE_SERIAL",
        public_key=platform_key(101).public_key(),
        apiv3_key=APIV3_KEY,
        appid=wechat_app.appid,
        mode="public_key",
    )


@pytest.fixture
def env(wechat_emulator: Emulator, wechat_app: AppState, merchant: Any, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "key.pem").write_bytes(platform_key(101).export_key("PEM"))
    (tmp_path / "pub.pem").write_text(merchant.pay_public_key_pem())
    return {
        "WXA_APPID": wechat_app.appid,
        "WXA_SECRET": wechat_app.secret,
        "WXA_BASE_URL": wechat_emulator.url,
        "WXPAY_MCHID": merchant.mchid,
        "WXPAY_SERIAL_NO": "EXAMPLE_SERIAL",
        "WXPAY_PRIVATE_KEY": str(tmp_path / "key.pem"),
        "WXPAY_APIV3_KEY": APIV3_KEY,
        "WXPAY_PUBLIC_KEY": str(tmp_path / "pub.pem"),
        "WXPAY_PUBLIC_KEY_ID": merchant.public_key_id,
        "WXPAY_BASE_URL": wechat_emulator.url,
        "PAY_NOTIFY_URL": "https://shop.example/pay/notify",
    }


@pytest.fixture(params=["django", "fastapi"])
def example(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Iterator[Any]:
    """``(module, call)``: the example loaded against the emulator, and its framework's test client."""
    if request.param == "django":
        pytest.importorskip("django")
        import django
        from django.test import Client, override_settings

        module = _load("miniprogram_django", monkeypatch, env)
        django.setup()
        middleware = ["django.middleware.csrf.CsrfViewMiddleware"]
        with override_settings(ROOT_URLCONF=module.__name__, ALLOWED_HOSTS=["testserver"], MIDDLEWARE=middleware):
            client = Client(enforce_csrf_checks=True)  # the API views must be CSRF-exempt

            def call(path: str, body: Any = None, token: str | None = None, headers: Any = None) -> tuple[int, Any]:
                extra = dict(headers or {})
                if token:
                    extra["Authorization"] = f"Token {token}"
                raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
                response = client.post(path, data=raw, content_type="application/json", headers=extra)
                return _decode(response.status_code, response.content)

            yield module, call
    else:
        pytest.importorskip("starlette")
        with warnings.catch_warnings():
            # starlette >= 1.x prefers the httpx2 package for its test client; httpx still works.
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
            from starlette.testclient import TestClient

        module = _load("miniprogram_fastapi", monkeypatch, env)
        with TestClient(module.app) as client:  # one event loop for the app's async client

            def call(path: str, body: Any = None, token: str | None = None, headers: Any = None) -> tuple[int, Any]:
                extra = dict(headers or {})
                if token:
                    extra["Authorization"] = f"Token {token}"
                raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
                response = client.post(path, content=raw, headers={"Content-Type": "application/json", **extra})
                return _decode(response.status_code, response.content)

            yield module, call


def _log_in(emu: Emulator, app: AppState, call: Call) -> str:
    status, answer = call("/login", {"code": emu.miniprogram_login(app.appid, OPENID)})
    assert status == 200, answer
    assert set(answer) == {"token", "has_unionid"}  # no openid, no session_key
    return str(answer["token"])


def test_login_profile_and_phone(wechat_emulator: Emulator, wechat_app: AppState, example: Any) -> None:
    _, call = example
    token = _log_in(wechat_emulator, wechat_app, call)
    key = wechat_emulator.miniprogram_session_key(wechat_app.appid, OPENID)
    raw_data = json.dumps(PROFILE)
    encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, OPENID, PROFILE)
    body = {"rawData": raw_data, "signature": raw_signature(raw_data, key), "encryptedData": encrypted, "iv": iv}
    assert call("/profile", body, token) == (200, PROFILE)
    code = wechat_emulator.miniprogram_phone_code(wechat_app.appid, "13800138000", openid=OPENID)
    status, phone = call("/phone", {"code": code}, token)
    assert (status, phone["purePhoneNumber"], phone["countryCode"]) == (200, "13800138000", "86")
    for value in ("session_key", key):
        assert value not in json.dumps(phone)


def test_refusals(wechat_emulator: Emulator, wechat_app: AppState, example: Any) -> None:
    _, call = example
    assert call("/profile", {})[0] == 401
    assert call("/profile", {}, "not-a-token")[0] == 401
    assert call("/login", {"code": "not-a-code"})[0] == 400
    assert call("/login", b"not json")[0] == 400
    assert call("/login", {})[0] == 400
    token = _log_in(wechat_emulator, wechat_app, call)
    encrypted, iv = encrypt_user_data(wechat_emulator, wechat_app, OPENID, PROFILE)
    forged = {"rawData": json.dumps(PROFILE), "signature": "0" * 40, "encryptedData": encrypted, "iv": iv}
    status, answer = call("/profile", forged, token)
    assert (status, "signature" in answer["error"]) == (400, True)
    _log_in(wechat_emulator, wechat_app, call)  # the user logged in again: the data above is stale
    key = wechat_emulator.miniprogram_session_key(wechat_app.appid, OPENID)
    stale = {**forged, "signature": raw_signature(forged["rawData"], key)}
    status, answer = call("/profile", stale, token)
    assert (status, "previous session_key" in answer["error"]) == (400, True)
    assert call("/phone", {"code": "used-or-bad"}, token)[0] == 400
    assert call("/pay", {"description": "Coffee", "amount": 12.5}, token)[0] == 400
    assert call("/pay", {"description": "", "amount": 1200}, token)[0] == 400


def test_payment_notification_and_shipping(
    wechat_emulator: Emulator, wechat_app: AppState, merchant: Any, example: Any
) -> None:
    module, call = example
    token = _log_in(wechat_emulator, wechat_app, call)
    status, answer = call("/pay", {"description": "Coffee", "amount": 1200}, token)
    assert status == 200, answer
    out_trade_no, payment = answer["out_trade_no"], answer["payment"]
    assert payment["appId"] == wechat_app.appid
    assert payment["package"].startswith("prepay_id=")
    message = "".join(f"{payment[k]}\n" for k in ("appId", "timeStamp", "nonceStr", "package")).encode()
    pkcs1_15.new(platform_key(101).public_key()).verify(SHA256.new(message), base64.b64decode(payment["paySign"]))
    assert merchant.orders[out_trade_no]["payer"]["openid"] == OPENID  # the prepay was for the user's openid

    # The user pays (wx.requestPayment); WeChat Pay notifies twice; the mini program's order is known to WeChat.
    resource = complete_payment(wechat_emulator, merchant, out_trade_no)
    transaction_id = resource["transaction_id"]
    known = miniprogram_state(wechat_app).orders[transaction_id]  # the emulator's WeChat Pay registered it
    assert (known["openid"], known["paid_amount"], known["order_state"]) == (OPENID, 1200, 1)
    body = v3_notification(merchant, "TRANSACTION.SUCCESS", resource, now=wechat_emulator.now())
    for _ in range(2):
        headers = v3_headers(merchant, body, now=wechat_emulator.now())
        assert call("/pay/notify", body, headers=headers)[0] == 204
    order = module.ORDERS[out_trade_no]
    assert (order["state"], order["transaction_id"]) == ("shipped", transaction_id)
    shipped = miniprogram_state(wechat_app).orders[transaction_id]
    assert shipped["order_state"] == 2
    assert shipped["shipping"]["logistics_type"] == 3  # virtual goods, uploaded once
    forged = v3_headers(merchant, body, now=wechat_emulator.now(), tamper="signature")
    assert call("/pay/notify", body, headers=forged)[0] == 401
