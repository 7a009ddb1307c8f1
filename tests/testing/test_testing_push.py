"""The push emulator: WeChatPusher builds, delivers and reads pushes as WeChat would."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from wxkit import WxApplication
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.errors import DecryptError, ParseError, SignatureError
from wxkit.testing import Push, PushReply, WeChatPusher
from wxkit.work import WorkApplication
from wxkit.xmlcodec import parse_xml

TOKEN = "push-test-token"
APP_ID = "wx1234567890abcdef"
CORP_ID = "ww1234567890abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
OTHER_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
NOW = 1_700_000_000
MODES = ["plain", "safe", "work"]


def fixed_clock() -> float:
    return NOW


class Bot(WxApplication):
    """An official-account bot answering every kind of push with something checkable."""

    allow_plaintext = True  # these tests push plaintext and safe mode to one bot

    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY
    dedup_ttl = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(clock=fixed_clock, **kwargs)
        self.seen: list[Any] = []

    def on_default(self, msg: Any) -> str:
        self.seen.append(msg)
        return f"default {msg.msg_type}"

    def on_text(self, msg: Any) -> str | None:
        self.seen.append(msg)
        return None if msg.content == "silent" else f"echo: {msg.content}"

    def on_image(self, msg: Any) -> str:
        return f"image {msg.media_id}"

    def on_voice(self, msg: Any) -> str:
        return f"voice {msg.raw.get('Recognition', '')}"

    def on_location(self, msg: Any) -> str:
        return f"location {msg.raw['Location_X']},{msg.raw['Location_Y']} {msg.raw['Label']}"

    def on_link(self, msg: Any) -> str:
        return f"link {msg.raw['Url']}"

    def on_subscribe(self, event: Any) -> str:
        return f"welcome scene={event.scene}"

    def on_click(self, event: Any) -> str:
        return f"click {event.event_key}"

    def on_scan(self, event: Any) -> str:
        self.seen.append(event)
        return f"scan {event.raw['EventKey']}"


class WorkBot(WorkApplication):
    """A WeCom bot."""

    token = TOKEN
    corp_id = CORP_ID
    aes_key = AES_KEY
    dedup_ttl = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(clock=fixed_clock, **kwargs)

    def on_text(self, msg: Any) -> str | None:
        if msg.content == "silent":
            return None
        return f"echo: {msg.content} (agent {msg.raw['AgentID']})"


def make_pusher(mode: str, **kwargs: Any) -> WeChatPusher:
    if mode == "plain":
        return WeChatPusher(TOKEN, clock=fixed_clock, **kwargs)
    if mode == "safe":
        return WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=fixed_clock, **kwargs)
    return WeChatPusher(TOKEN, corp_id=CORP_ID, aes_key=AES_KEY, agent_id=7, clock=fixed_clock, **kwargs)


def make_app(mode: str) -> WxApplication | WorkBot:
    return WorkBot() if mode == "work" else Bot()


def msg_crypto(mode: str) -> MessageCrypto:
    return MessageCrypto(TOKEN, AES_KEY, CORP_ID if mode == "work" else APP_ID)


def flat(params: dict[str, Any]) -> dict[str, str]:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlencode(params)).items()}


# -- building -------------------------------------------------------------------


def test_plaintext_push() -> None:
    push = make_pusher("plain", openid="o_alice", account="gh_bob").text("hello")
    assert isinstance(push, Push)
    assert set(push.params) == {"signature", "timestamp", "nonce", "openid"}
    assert push.params["timestamp"] == str(NOW)
    assert push.params["openid"] == "o_alice"
    assert push.params["signature"] == sha1_signature(TOKEN, str(NOW), push.params["nonce"])
    assert push.body == push.xml
    data = parse_xml(push.body)
    assert data["MsgType"] == "text"
    assert data["Content"] == "hello"
    assert (data["ToUserName"], data["FromUserName"]) == ("gh_bob", "o_alice")
    assert data["CreateTime"] == str(NOW)
    assert "AgentID" not in data
    assert push.fields["Content"] == "hello"


def test_safe_mode_push_is_encrypted_and_signed() -> None:
    push = make_pusher("safe").text("top secret words")
    params = push.params
    assert params["encrypt_type"] == "aes"
    assert params["signature"] == sha1_signature(TOKEN, params["timestamp"], params["nonce"])
    assert "top secret words" not in push.body
    envelope = parse_xml(push.body)
    assert set(envelope) == {"ToUserName", "Encrypt"}
    crypto = msg_crypto("safe")
    assert params["msg_signature"] == crypto.signature(params["timestamp"], params["nonce"], envelope["Encrypt"])
    assert crypto.decrypt(envelope["Encrypt"]) == push.xml
    assert parse_xml(push.xml)["Content"] == "top secret words"


def test_work_push_is_encrypted_with_msg_signature_only() -> None:
    push = make_pusher("work").text("hi")
    assert set(push.params) == {"msg_signature", "timestamp", "nonce"}
    envelope = parse_xml(push.body)
    assert envelope["ToUserName"] == CORP_ID
    assert envelope["AgentID"] == "7"
    crypto = msg_crypto("work")
    assert push.params["msg_signature"] == crypto.signature(str(NOW), push.params["nonce"], envelope["Encrypt"])
    inner = parse_xml(crypto.decrypt(envelope["Encrypt"]))
    assert (inner["ToUserName"], inner["AgentID"], inner["Content"]) == (CORP_ID, "7", "hi")


def test_work_agent_id_defaults_to_one() -> None:
    pusher = WeChatPusher(TOKEN, corp_id=CORP_ID, aes_key=AES_KEY)
    assert pusher.agent_id == 1
    assert parse_xml(pusher.text("x").xml)["AgentID"] == "1"


def test_msg_ids_and_nonces_are_unique_and_events_have_no_msg_id() -> None:
    pusher = make_pusher("plain")
    first, second = pusher.text("a"), pusher.text("b")
    assert first.fields["MsgId"] != second.fields["MsgId"]
    assert first.params["nonce"] != second.params["nonce"]
    assert "MsgId" not in pusher.click("K").fields


def test_query_string_round_trips() -> None:
    push = make_pusher("safe").text("x")
    assert flat(push.params) == {k: v[-1] for k, v in urllib.parse.parse_qs(push.query_string).items()}


def test_safe_mode_switch() -> None:
    with pytest.raises(ValueError, match="aes_key"):
        WeChatPusher(TOKEN, safe_mode=True)
    push = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, safe_mode=False).text("x")
    assert "encrypt_type" not in push.params
    assert parse_xml(push.body)["Content"] == "x"


# -- delivering -----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_deliver_text_reply(mode: str) -> None:
    pusher = make_pusher(mode, openid="o_alice")
    reply = pusher.deliver(make_app(mode), pusher.text("hi"))
    assert isinstance(reply, PushReply)
    assert reply.status == 200
    assert reply.encrypted is (mode != "plain")
    assert reply.msg_type == "text"
    assert reply.content == ("echo: hi (agent 7)" if mode == "work" else "echo: hi")
    assert not reply.is_success
    assert reply.data["ToUserName"] == "o_alice"
    assert parse_xml(reply.xml) == reply.data
    assert ("echo: hi" in reply.body) is (mode == "plain")


@pytest.mark.parametrize("mode", MODES)
def test_deliver_handler_returning_none_is_success(mode: str) -> None:
    pusher = make_pusher(mode)
    reply = pusher.deliver(make_app(mode), pusher.text("silent"))
    assert reply.status == 200
    assert reply.is_success
    assert (reply.xml, reply.data, reply.msg_type, reply.content) == ("", {}, "", "")
    assert reply.encrypted is False


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(lambda p: p.image("m42"), "image m42", id="image"),
        pytest.param(lambda p: p.voice(recognition="你好"), "voice 你好", id="voice"),
        pytest.param(lambda p: p.location(1.5, 2.5, label="here"), "location 1.5,2.5 here", id="location"),
        pytest.param(lambda p: p.link("http://example.invalid/a"), "link http://example.invalid/a", id="link"),
        pytest.param(lambda p: p.subscribe(), "welcome scene=", id="subscribe"),
        pytest.param(lambda p: p.subscribe("42"), "welcome scene=42", id="subscribe-qr"),
        pytest.param(lambda p: p.click("V1001"), "click V1001", id="click"),
        pytest.param(lambda p: p.message("shortvideo", MediaId="m", ThumbMediaId="t"), "default shortvideo", id="msg"),
    ],
)
@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_deliver_each_kind(mode: str, build: Callable[[WeChatPusher], Push], expected: str) -> None:
    pusher = make_pusher(mode)
    reply = pusher.deliver(make_app(mode), build(pusher))
    assert (reply.status, reply.content) == (200, expected)


def test_custom_event_fields_arrive_typed() -> None:
    pusher, bot = make_pusher("safe"), Bot()
    reply = pusher.deliver(bot, pusher.event("SCAN", EventKey="123", Ticket="t"))
    assert reply.content == "scan 123"
    (event,) = bot.seen
    assert event.raw["EventKey"] == "123"
    assert event.raw["Ticket"] == "t"
    assert event.event_key == "123"
    assert event.ticket == "t"
    assert event.event == "SCAN"


def test_custom_message_fields_override_defaults() -> None:
    pusher, bot = make_pusher("plain"), Bot()
    pusher.deliver(bot, pusher.text("hi", FromUserName="o_other", MsgId="99"))
    (msg,) = bot.seen
    assert (msg.from_user_name, msg.msg_id, msg.create_time) == ("o_other", "99", NOW)


# -- URL check ------------------------------------------------------------------


def test_url_check_official_account() -> None:
    params, echostr = make_pusher("plain").url_check("echo-123")
    assert echostr == params["echostr"] == "echo-123"
    assert params["signature"] == sha1_signature(TOKEN, params["timestamp"], params["nonce"])
    response = Bot().handle("GET", params, None)
    assert (response.status, response.body) == (200, echostr)


def test_url_check_work_encrypts_echostr() -> None:
    params, echostr = make_pusher("work").url_check("echo-456")
    assert echostr == "echo-456"
    assert params["echostr"] != echostr
    assert msg_crypto("work").decrypt(params["echostr"]) == echostr
    assert params["msg_signature"] == msg_crypto("work").signature(
        params["timestamp"], params["nonce"], params["echostr"]
    )
    response = WorkBot().handle("GET", params, None)
    assert (response.status, response.body) == (200, echostr)


@pytest.mark.parametrize("mode", ["plain", "work"])
def test_url_check_with_wrong_token_is_refused(mode: str) -> None:
    if mode == "work":
        pusher = WeChatPusher("wrong-token", corp_id=CORP_ID, aes_key=AES_KEY)
    else:
        pusher = WeChatPusher("wrong-token")
    params, _ = pusher.url_check()
    assert make_app(mode).handle("GET", params, None).status == 403


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"corp_id": "ww1"}, "always encrypted"), ({"aes_key": AES_KEY}, "app_id")],
)
def test_inconsistent_pusher_configuration(kwargs: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WeChatPusher("t", **kwargs)  # type: ignore[arg-type]


# -- reading replies -------------------------------------------------------------


def answer(mode: str, text: str = "hi") -> tuple[WeChatPusher, str]:
    """A pusher and the raw body its app answered to a text push."""
    pusher = make_pusher(mode)
    push = pusher.text(text)
    response = make_app(mode).handle("POST", push.params, push.body)
    assert response.status == 200
    return pusher, response.body


@pytest.mark.parametrize("mode", ["safe", "work"])
def test_read_reply_rejects_tampered_msg_signature(mode: str) -> None:
    pusher, body = answer(mode)
    signature = parse_xml(body)["MsgSignature"]
    forged = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert pusher.read_reply(200, body).content.startswith("echo: hi")
    with pytest.raises(SignatureError):
        pusher.read_reply(200, body.replace(signature, forged))


def test_read_reply_rejects_missing_msg_signature() -> None:
    pusher, body = answer("safe")
    signature = parse_xml(body)["MsgSignature"]
    with pytest.raises(SignatureError):
        pusher.read_reply(200, body.replace(signature, ""))


def test_read_reply_rejects_reply_for_another_app() -> None:
    _, body = answer("safe")
    other = WeChatPusher(TOKEN, app_id="wx_other_app_id", aes_key=AES_KEY)
    with pytest.raises(DecryptError):
        other.read_reply(200, body)


def test_read_reply_rejects_plaintext_answer_in_safe_mode() -> None:
    pusher, plain_answer = answer("plain")
    assert parse_xml(plain_answer)["Content"] == "echo: hi"
    assert pusher.read_reply(200, plain_answer).content == "echo: hi"
    for mode in ("safe", "work"):
        with pytest.raises(ParseError):
            make_pusher(mode).read_reply(200, plain_answer)


@pytest.mark.parametrize("body", ["success", "", "  success \n", "\n"])
@pytest.mark.parametrize("mode", MODES)
def test_read_reply_success_bodies(mode: str, body: str) -> None:
    reply = make_pusher(mode).read_reply(200, body)
    assert reply.is_success
    assert (reply.data, reply.encrypted, reply.body) == ({}, False, body)


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_read_reply_passes_non_200_through(status: int) -> None:
    reply = make_pusher("safe").read_reply(status, "signature mismatch")
    assert (reply.status, reply.body, reply.xml, reply.data, reply.encrypted) == (
        status,
        "signature mismatch",
        "",
        {},
        False,
    )
    assert not reply.is_success


@pytest.mark.parametrize("kind", [bytes, bytearray])
@pytest.mark.parametrize("mode", MODES)
def test_read_reply_accepts_bytes(mode: str, kind: type[bytes]) -> None:
    """What the Flask and Django test clients give (``response.data`` / ``response.content``)."""
    pusher, body = answer(mode, "你好 bytes")
    reply = pusher.read_reply(200, kind(body.encode("utf-8")))
    assert reply == pusher.read_reply(200, body)
    assert reply.content.startswith("echo: 你好 bytes")
    assert reply.body == body
    assert pusher.read_reply(200, kind(b"success")).is_success


def test_read_reply_invalid_utf8_is_a_parse_error() -> None:
    pusher, body = answer("plain")
    with pytest.raises(ParseError, match="UTF-8"):
        pusher.read_reply(200, body.encode("utf-8").replace(b"echo", b"ech\xff"))


def test_read_reply_non_200_bytes_are_decoded_leniently() -> None:
    reply = make_pusher("safe").read_reply(502, b"bad gateway \xff")
    assert (reply.status, reply.body) == (502, "bad gateway \ufffd")


def test_read_reply_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        make_pusher("plain").read_reply(200, None)  # type: ignore[arg-type]


def test_deliver_passes_refusals_through() -> None:
    wrong = WeChatPusher("wrong-token", app_id=APP_ID, aes_key=AES_KEY, clock=fixed_clock)
    assert wrong.deliver(Bot(), wrong.text("x")).status == 403
    # Same token, different AES key: the bot cannot decrypt the push.
    other_key = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=OTHER_AES_KEY, clock=fixed_clock)
    assert other_key.deliver(Bot(), other_key.text("x")).status == 400


def test_deliver_duplicate_push_is_not_handled_again() -> None:
    pusher, bot = make_pusher("plain"), Bot(dedup_ttl=600)
    push = pusher.text("once")
    assert pusher.deliver(bot, push).content == "echo: once"
    assert pusher.deliver(bot, push).is_success  # WeChat's retry of a fast push: "success"
    bot.keep_reply_after = 0  # every reply kept: a retry answers it again
    push = pusher.text("twice")
    assert pusher.deliver(bot, push).content == pusher.deliver(bot, push).content == "echo: twice"


def test_stale_push_is_refused() -> None:
    pusher = WeChatPusher(TOKEN, clock=lambda: NOW - 3600)
    assert pusher.deliver(Bot(), pusher.text("late")).status == 400


# -- posting over HTTP -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_post_over_http(mode: str, serve_bot: Callable[[Any], str]) -> None:
    url = serve_bot(make_app(mode))
    pusher = make_pusher(mode)
    reply = pusher.post(url, pusher.text("over http"), timeout=30)
    assert reply.status == 200
    assert reply.encrypted is (mode != "plain")
    assert reply.content.startswith("echo: over http")
    silent = pusher.post(url + "?extra=1", pusher.text("silent"), timeout=30)
    assert silent.is_success


def test_post_passes_http_errors_through(serve_bot: Callable[[Any], str]) -> None:
    url = serve_bot(Bot())
    wrong = WeChatPusher("wrong-token", app_id=APP_ID, aes_key=AES_KEY, clock=fixed_clock)
    reply = wrong.post(url, wrong.text("x"), timeout=30)
    assert reply.status == 403
    assert reply.body
    assert not reply.is_success
