"""The Flask adapter, through Flask's own test client."""

from __future__ import annotations

import flask
import pytest

from wxkit.adapters.flask import make_view

from .conftest import AdapterContract


@pytest.fixture
def client(bot, work_bot):
    app = flask.Flask(__name__)
    app.add_url_rule("/wechat", view_func=make_view(bot), methods=["GET", "POST"])
    app.add_url_rule("/work", endpoint="work_bot", view_func=make_view(work_bot), methods=["GET", "POST"])
    return app.test_client()


@pytest.fixture
def send(client, pushes):
    def send(method, params=None, body=None, path="/wechat"):
        response = client.open(path, method=method, query_string=params, data=body)
        return pushes.result(response.status_code, response.content_type, response.get_data(as_text=True))

    return send


class TestContract(AdapterContract):
    """The checks every adapter passes (see ``conftest.py``)."""


def test_put_is_405(send, pushes):
    assert send("PUT", pushes.signed(), "<xml/>").status == 405  # refused by Flask's routing


def test_other_methods_routed_to_the_view_are_405(bot, pushes):
    app = flask.Flask(__name__)
    app.add_url_rule("/any", view_func=make_view(bot), methods=["GET", "POST", "PUT"])
    response = app.test_client().put("/any", query_string=pushes.signed(), data="<xml/>")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_repeated_query_parameters_use_the_last_value(send, pushes):
    params = pushes.url_check("e-last")
    query = [("echostr", "e-first"), *params.items()]
    assert send("GET", query).text == "e-last"


def test_open_platform_appid_from_the_url_rule() -> None:
    """An open_platform application gets the rule's ``appid`` as the push's authorizer appid."""
    from wxkit import WxApplication
    from wxkit.testing import Emulator

    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

    class Bot(WxApplication):
        def on_text(self, msg):
            return msg.authorizer_appid

    with Emulator() as emu:
        component = emu.add_component("wx_platform", "secret", token="t", aes_key=key)
        bot = Bot(token="t", aes_key=key, app_id="wx_platform", open_platform=True)
        app = flask.Flask(__name__)
        app.add_url_rule("/wx/<appid>", view_func=make_view(bot), methods=["GET", "POST"])
        push = component.pusher("wx_shop").text("hi")
        response = app.test_client().post("/wx/wx_shop", query_string=push.params, data=push.body)
        assert component.pusher("wx_shop").read_reply(response.status_code, response.data).content == "wx_shop"
