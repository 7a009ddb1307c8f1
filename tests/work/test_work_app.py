"""WorkApplication: URL check, dispatch with agent_id, and the same bad-input guarantees as WxApplication."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import ConfigError, DecryptError, ParseError, SignatureError, StaleTimestampError
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.testing import WeChatPusher
from wxkit.work import WorkApplication
from wxkit.work.messages import WorkCreateUserEvent, WorkTextMessage

TOKEN = "work-token"
CORP_ID = "ww1234567890abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
NOW = 1_700_000_000.0


class App(WorkApplication):
    token = TOKEN
    corp_id = CORP_ID
    aes_key = AES_KEY

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("clock", lambda: NOW)
        super().__init__(**kwargs)
        self.seen: list[Any] = []

    def on_text(self, msg: WorkTextMessage) -> str:
        self.seen.append(msg)
        return f"agent {msg.agent_id}: {msg.content}"

    def on_change_contact(self, event: Any) -> None:
        self.seen.append(event)


@pytest.fixture
def pusher() -> WeChatPusher:
    return WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=CORP_ID, agent_id=1000002, clock=lambda: NOW)


def test_url_check_decrypts_echostr(pusher: WeChatPusher) -> None:
    params, echostr = pusher.url_check("1616140317555161061")
    assert App().process(params) == echostr
    assert App().handle("GET", params, None).body == echostr


def test_url_check_bad_inputs(pusher: WeChatPusher) -> None:
    params, _ = pusher.url_check()
    app = App()
    assert app.handle("GET", {**params, "msg_signature": "0" * 40}, None).status == 403
    assert app.handle("GET", {**params, "echostr": ""}, None).status == 400
    other = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id="ww_other_corp", clock=lambda: NOW)
    params, _ = other.url_check()
    with pytest.raises(DecryptError, match="receive id"):
        app.process(params)


def test_text_round_trip_with_agent_id(pusher: WeChatPusher) -> None:
    app = App()
    reply = pusher.deliver(app, pusher.text("hi"))
    assert reply.encrypted
    assert reply.content == "agent 1000002: hi"
    assert isinstance(app.seen[0], WorkTextMessage)


def test_change_contact_falls_back_to_parent_handler(pusher: WeChatPusher) -> None:
    app = App()
    push = pusher.event("change_contact", ChangeType="create_user", UserID="zhangsan", Name="张三")
    assert pusher.deliver(app, push).is_success
    assert isinstance(app.seen[0], WorkCreateUserEvent)
    assert app.seen[0].user_id == "zhangsan"


def test_specific_change_contact_handler_wins(pusher: WeChatPusher) -> None:
    class Specific(App):
        def on_change_contact_create_user(self, event: WorkCreateUserEvent) -> str:
            return f"new {event.user_id}"

    push = pusher.event("change_contact", ChangeType="create_user", UserID="lisi")
    assert pusher.deliver(Specific(), push).content == "new lisi"


def test_receive_id_suite_and_empty() -> None:
    suite = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id="suite_abc", clock=lambda: NOW)
    app = App(receive_id="suite_abc")
    assert suite.deliver(app, suite.text("x")).content == "agent 1: x"
    anyone = App(receive_id="")
    assert suite.deliver(anyone, suite.text("y")).content == "agent 1: y"


def test_wrong_corp_is_refused(pusher: WeChatPusher) -> None:
    other = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id="ww_other", clock=lambda: NOW)
    push = other.text("x")
    with pytest.raises(DecryptError, match="receive id"):
        App().process(push.params, push.body)
    assert App().handle("POST", push.params, push.body).status == 400


def test_wrong_msg_signature(pusher: WeChatPusher) -> None:
    push = pusher.text("x")
    params = {**push.params, "msg_signature": sha1_signature("x")}
    with pytest.raises(SignatureError):
        App().process(params, push.body)
    assert App().handle("POST", params, push.body).status == 403


def test_replay_guard(pusher: WeChatPusher) -> None:
    app = App()
    push = pusher.text("once")
    app.process(push.params, push.body)
    assert app.process(push.params, push.body) == "success"  # WeChat's retry: not handled again
    stale = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=CORP_ID, clock=lambda: NOW - 3600).text("old")
    with pytest.raises(StaleTimestampError):
        app.process(stale.params, stale.body)
    assert len(app.seen) == 1


@pytest.mark.parametrize("body", ["", "<xml><ToUserName>x</ToUserName></xml>", "<xml><Encrypt>", "junk"])
def test_malformed_bodies(pusher: WeChatPusher, body: str) -> None:
    params = pusher.text("x").params
    with pytest.raises((ParseError, SignatureError)):
        App().process(params, body)
    assert App().handle("POST", params, body).status in (400, 403)


def test_encrypted_non_xml_is_parse_error() -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, CORP_ID)
    enc = crypto.encrypt("<!DOCTYPE x [<!ENTITY a 'b'>]><xml><MsgType>text</MsgType></xml>")
    ts, nonce = str(int(NOW)), "n"
    params = {"msg_signature": crypto.signature(ts, nonce, enc), "timestamp": ts, "nonce": nonce}
    with pytest.raises(ParseError, match="DOCTYPE"):
        App().process(params, f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"corp_id": None, "receive_id": None}, "corp_id"),
        ({"aes_key": "bad"}, "EncodingAESKey"),
    ],
)
def test_configuration_errors(kwargs: dict[str, Any], match: str) -> None:
    class Bare(WorkApplication):
        token = TOKEN

    base: dict[str, Any] = {"corp_id": CORP_ID, "aes_key": AES_KEY}
    base.update(kwargs)
    with pytest.raises(ConfigError, match=match):
        Bare(**base)


def test_aes_key_is_required() -> None:
    with pytest.raises(ConfigError, match="aes_key"):
        WorkApplication(token=TOKEN, corp_id=CORP_ID)


def test_repr_has_no_secrets() -> None:
    text = repr(App())
    assert AES_KEY not in text
    assert TOKEN not in text
