"""The Django adapter, through ``django.test.Client`` with CSRF checks enforced."""

from __future__ import annotations

from urllib.parse import urlencode

import django
import pytest
from django.conf import settings
from django.test import Client
from django.urls import clear_url_caches, path

from wxkit.adapters.django import make_view

from .conftest import AdapterContract

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="wxkit-adapter-tests",  # a test-only key
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
        APPEND_SLASH=False,
    )
    django.setup()

#: This module is the ROOT_URLCONF; the ``client`` fixture fills it with fresh bots.
urlpatterns: list = []


@pytest.fixture
def client(bot, work_bot):
    urlpatterns[:] = [path("wechat", make_view(bot)), path("work", make_view(work_bot))]
    clear_url_caches()
    yield Client(enforce_csrf_checks=True)  # the views must be CSRF-exempt
    urlpatterns.clear()
    clear_url_caches()


@pytest.fixture
def send(client, pushes):
    def send(method, params=None, body=None, path="/wechat"):
        url = f"{path}?{urlencode(params or {})}"
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, data=body or "", content_type="text/xml")
        return pushes.result(response.status_code, response.get("Content-Type"), response.content.decode())

    return send


class TestContract(AdapterContract):
    """The checks every adapter passes (see ``conftest.py``)."""

    def test_wrong_signature_is_403(self, send, pushes):
        result = send("POST", *pushes.bad_signature())
        assert result.status == 403
        assert "CSRF" not in result.text  # the adapter's 403, not Django's CSRF failure


def test_put_is_405(client, pushes):
    response = client.put(f"/wechat?{urlencode(pushes.signed())}", data="<xml/>", content_type="text/xml")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_view_is_csrf_exempt(bot):
    assert make_view(bot).csrf_exempt is True


def test_open_platform_appid_from_the_url_pattern() -> None:
    """An open_platform application gets the pattern's ``appid`` as the push's authorizer appid."""
    from wxkit import WxApplication
    from wxkit.testing import Emulator

    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

    class Bot(WxApplication):
        def on_text(self, msg):
            return msg.authorizer_appid

    with Emulator() as emu:
        component = emu.add_component("wx_platform", "secret", token="t", aes_key=key)
        bot = Bot(token="t", aes_key=key, app_id="wx_platform", open_platform=True)
        urlpatterns[:] = [path("wx/<str:appid>", make_view(bot))]
        clear_url_caches()
        try:
            push = component.pusher("wx_cafe").text("hi")
            url = f"/wx/wx_cafe?{urlencode(push.params)}"
            response = Client().generic("POST", url, data=push.body, content_type="text/xml")
        finally:
            urlpatterns.clear()
            clear_url_caches()
        assert component.pusher("wx_cafe").read_reply(response.status_code, response.content).content == "wx_cafe"
