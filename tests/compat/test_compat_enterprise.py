"""wxkit.compat.enterprise: the old SDK's WeCom (企业号) application, through encrypted WeCom pushes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from wxkit.compat.enterprise import WxApplication, WxEmptyResponse, WxRequest, WxTextResponse
from wxkit.errors import ConfigError, SignatureError
from wxkit.testing import WeChatPusher

TOKEN = "work-token"
CORP_ID = "ww0123456789abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


@pytest.fixture
def pusher() -> WeChatPusher:
    return WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=CORP_ID, agent_id=1000002, openid=f"u_{uuid.uuid4().hex}")


class WorkBot(WxApplication):
    SECRET_TOKEN = TOKEN
    CORP_ID = CORP_ID
    ENCODING_AES_KEY = AES_KEY

    def on_text(self, text):
        return WxTextResponse(f"{text.Content} (agent {text.AgentID})", text)


def test_url_check_decrypts_echostr(pusher: WeChatPusher) -> None:
    params, expected = pusher.url_check("work-echo")
    assert params["echostr"] != expected  # WeCom sends it encrypted
    assert WorkBot().process(params) == expected
    assert WorkBot().process(params, b"") == expected  # a GET view passing request.body on


def test_text_push_round_trip(pusher: WeChatPusher) -> None:
    push = pusher.text("hello work")
    result = WorkBot().process(push.params, push.body)
    reply = pusher.read_reply(200, result)
    assert reply.encrypted
    assert reply.content == "hello work (agent 1000002)"
    assert reply.data["ToUserName"] == pusher.openid


def test_credentials_only_per_call(pusher: WeChatPusher) -> None:
    app = WxApplication()
    app.handlers = {"text": lambda req: WxTextResponse(req.Content.upper(), req)}
    push = pusher.text("per call")
    result = app.process(push.params, push.body, token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY)
    assert pusher.read_reply(200, result).content == "PER CALL"
    params, expected = pusher.url_check("e")
    assert app.process(params, None, token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY) == expected
    with pytest.raises(ConfigError, match="token / corp_id / aes_key"):
        app.process(push.params, push.body)
    with pytest.raises(ConfigError, match="aes_key"):
        app.process(push.params, push.body, token=TOKEN, corp_id=CORP_ID)
    with pytest.raises(ConfigError):
        app.verify_url(params)


def test_per_call_credentials_override_the_configured_ones(pusher: WeChatPusher) -> None:
    push = pusher.text("x")

    class Other(WorkBot):
        SECRET_TOKEN = "another-token"

    with pytest.raises(SignatureError):
        Other().process(push.params, push.body)
    assert pusher.read_reply(200, Other().process(push.params, push.body, token=TOKEN)).content.startswith("x")


def test_old_hooks_see_self_req(pusher: WeChatPusher) -> None:
    seen: list[Any] = []

    class App(WorkBot):
        def pre_process(self):
            seen.append(self.req.FromUserName)

        def post_process(self):
            seen.append("post")

    assert pusher.deliver(App(), pusher.text("x")).content.startswith("x")
    assert seen == [pusher.openid, "post"]


def test_events_and_empty_responses(pusher: WeChatPusher) -> None:
    calls: list[WxRequest] = []

    class App(WorkBot):
        def on_click(self, event):
            calls.append(event)
            return WxEmptyResponse(event)

    assert pusher.deliver(App(), pusher.click("WORK_KEY")).is_success
    assert (calls[0].Event, calls[0].EventKey, calls[0].AgentID) == ("CLICK", "WORK_KEY", "1000002")


def test_welcome_text_default(pusher: WeChatPusher) -> None:
    assert pusher.deliver(WorkBot(), pusher.subscribe()).content == "你好！感谢您的关注！"


def test_receive_id_follows_a_per_call_corp_id() -> None:
    other_corp = "wwfedcba9876543210"
    pusher = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=other_corp, openid=f"u_{uuid.uuid4().hex}")
    push = pusher.text("other corp")
    result = WorkBot().process(push.params, push.body, corp_id=other_corp)
    assert pusher.read_reply(200, result).content.startswith("other corp")
