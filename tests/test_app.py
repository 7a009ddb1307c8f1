"""WxApplication: modes, dispatch, hooks, replay guard and every bad input through process() and handle()."""

from __future__ import annotations

import base64
import logging
from typing import Any, ClassVar

import pytest
from Crypto.Cipher import AES

from wxkit import (
    ConfigError,
    DecryptError,
    MemoryStorage,
    NewsReply,
    ParseError,
    SignatureError,
    StaleTimestampError,
    TextReply,
    WxApplication,
)
from wxkit.crypto import MessageCrypto, pkcs7_pad, sha1_signature
from wxkit.events import ClickEvent, SubscribeEvent, UnknownEvent
from wxkit.messages import TextMessage, UnknownMessage
from wxkit.replies import Article, EmptyReply, ImageReply, TransferCustomerServiceReply
from wxkit.testing import Push, WeChatPusher

TOKEN = "app-test-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
NOW = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Bot(WxApplication):
    allow_plaintext = True  # these tests push plaintext and safe mode to one bot
    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("clock", lambda: NOW)
        super().__init__(**kwargs)
        self.seen: list[Any] = []

    def on_text(self, msg: TextMessage) -> Any:
        self.seen.append(msg)
        if msg.content == "boom":
            raise RuntimeError("handler bug with secret content")
        if msg.content == "news":
            return NewsReply([Article("t", "d", "http://p", "http://u")])
        if msg.content == "none":
            return None
        if msg.content == "empty":
            return EmptyReply()
        return f"echo:{msg.content}"

    def on_subscribe(self, event: SubscribeEvent) -> str:
        self.seen.append(event)
        return f"welcome {event.scene}"


@pytest.fixture
def bot() -> Bot:
    return Bot()


@pytest.fixture
def safe() -> WeChatPusher:
    return WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW)


@pytest.fixture
def plain() -> WeChatPusher:
    return WeChatPusher(TOKEN, clock=lambda: NOW)


# -- modes -------------------------------------------------------------------
def test_url_check(bot: Bot, plain: WeChatPusher) -> None:
    params, echostr = plain.url_check("12345")
    assert bot.process(params) == echostr
    assert bot.handle("GET", params, None).body == echostr


def test_plaintext_mode(bot: Bot, plain: WeChatPusher) -> None:
    reply = plain.deliver(bot, plain.text("hi"))
    assert (reply.msg_type, reply.content, reply.encrypted) == ("text", "echo:hi", False)
    assert reply.data["ToUserName"] == plain.openid
    assert reply.data["FromUserName"] == plain.account
    assert reply.data["CreateTime"] == str(int(NOW))


def test_safe_mode_encrypts_with_fresh_signature(bot: Bot, safe: WeChatPusher) -> None:
    push = safe.text("safe-mode-hello")  # "-" never occurs in base64: a real plaintext check
    assert "safe-mode-hello" not in push.body
    body = bot.process(push.params, push.body)
    assert "safe-mode-hello" not in body
    reply = safe.read_reply(200, body)  # verifies MsgSignature and decrypts
    assert reply.encrypted
    assert reply.content == "echo:safe-mode-hello"


def test_compatible_mode_body_with_plaintext_and_encrypt(bot: Bot, safe: WeChatPusher) -> None:
    push = safe.text("compat")
    enc = push.body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    body = push.xml.replace("</xml>", f"<Encrypt><![CDATA[{enc}]]></Encrypt></xml>")
    reply = safe.read_reply(200, bot.process(push.params, body))
    assert reply.content == "echo:compat"


def test_safe_mode_push_without_aes_key_configured(plain: WeChatPusher) -> None:
    bot = WxApplication(token=TOKEN, clock=lambda: NOW)
    pusher = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW)
    push = pusher.text("x")
    with pytest.raises(DecryptError, match="no aes_key"):
        bot.process(push.params, push.body)
    assert bot.handle("POST", push.params, push.body).status == 400


def test_success_reply_is_not_encrypted(bot: Bot, safe: WeChatPusher) -> None:
    push = safe.text("none")
    assert bot.process(push.params, push.body) == "success"


@pytest.mark.parametrize("entry", ["process", "handle", "retry"])
def test_an_empty_reply_is_an_empty_body_never_encrypted(bot: Bot, safe: WeChatPusher, entry: str) -> None:
    push = safe.text("empty")
    if entry == "process":
        assert bot.process(push.params, push.body) == ""
        return
    response = bot.handle("POST", push.params, push.body)
    assert (response.status, response.body) == (200, "")
    if entry == "retry":  # WeChat's retry gets the same empty body
        bot.keep_reply_after = 0.0
        again = safe.text("empty", MsgId="42")
        bot.handle("POST", again.params, again.body)
        retry = bot.handle("POST", again.params, again.body)
        assert (retry.status, retry.body) == (200, "")


def test_reply_types(bot: Bot, plain: WeChatPusher) -> None:
    reply = plain.deliver(bot, plain.text("news"))
    assert reply.msg_type == "news"
    assert reply.data["ArticleCount"] == "1"
    assert reply.data["Articles"]["item"]["Url"] == "http://u"


def test_reply_content_cannot_inject_elements(plain: WeChatPusher) -> None:
    class Injector(WxApplication):
        def on_text(self, msg: TextMessage) -> str:
            return "a]]><MsgType>evil</MsgType><![CDATA["

    reply = plain.deliver(Injector(token=TOKEN, clock=lambda: NOW), plain.text("x"))
    assert reply.msg_type == "text"
    assert reply.content == "a]]><MsgType>evil</MsgType><![CDATA["


# -- dispatch ------------------------------------------------------------------
def test_typed_message_reaches_handler(bot: Bot, plain: WeChatPusher) -> None:
    plain.deliver(bot, plain.text("typed"))
    msg = bot.seen[0]
    assert isinstance(msg, TextMessage)
    assert msg.content == "typed"
    assert msg.raw["Content"] == "typed"
    assert msg.msg_id


def test_subscribe_with_qr_scene(bot: Bot, plain: WeChatPusher) -> None:
    assert plain.deliver(bot, plain.subscribe("7")).content == "welcome 7"
    assert bot.seen[0].is_scan


def test_unknown_types_fall_back_without_error(plain: WeChatPusher) -> None:
    seen: list[Any] = []

    class App(WxApplication):
        def on_unknown(self, msg: Any) -> str:
            seen.append(msg)
            return "unknown"

    app = App(token=TOKEN, clock=lambda: NOW)
    assert plain.deliver(app, plain.message("hologram", Beam="on")).content == "unknown"
    assert plain.deliver(app, plain.event("teleport", Where="mars")).content == "unknown"
    assert isinstance(seen[0], UnknownMessage)
    assert seen[0].raw["Beam"] == "on"
    assert isinstance(seen[1], UnknownEvent)
    assert seen[1].raw["Where"] == "mars"


def test_unhandled_types_answer_success(bot: Bot, plain: WeChatPusher) -> None:
    assert plain.deliver(bot, plain.image()).is_success
    assert plain.deliver(bot, plain.message("hologram")).is_success


def test_on_default(plain: WeChatPusher) -> None:
    class App(WxApplication):
        def on_default(self, msg: Any) -> str:
            return f"default {type(msg).__name__}"

    app = App(token=TOKEN, clock=lambda: NOW)
    assert plain.deliver(app, plain.image()).content == "default ImageMessage"
    assert plain.deliver(app, plain.click("K")).content == "default ClickEvent"


def test_handler_dicts_override_methods(plain: WeChatPusher) -> None:
    class App(WxApplication):
        handlers: ClassVar[dict[str, Any]] = {"text": "shout", "image": lambda msg: ImageReply("m1")}
        event_handlers: ClassVar[dict[str, Any]] = {"click": lambda ev: f"clicked {ev.event_key}"}

        def shout(self, msg: TextMessage) -> str:
            return msg.content.upper()

        def on_click(self, ev: ClickEvent) -> str:  # overridden by event_handlers
            return "method"

    app = App(token=TOKEN, clock=lambda: NOW)
    assert plain.deliver(app, plain.text("hey")).content == "HEY"
    assert plain.deliver(app, plain.image()).data["Image"]["MediaId"] == "m1"
    assert plain.deliver(app, plain.click("K1")).content == "clicked K1"


def test_pre_and_post_process(plain: WeChatPusher) -> None:
    calls: list[str] = []

    class App(WxApplication):
        def pre_process(self, msg: Any) -> Any:
            calls.append("pre")
            return "blocked" if getattr(msg, "content", "") == "spam" else None

        def on_text(self, msg: TextMessage) -> str:
            calls.append("handler")
            return msg.content

        def post_process(self, msg: Any, reply: Any) -> Any:
            calls.append("post")
            return TextReply(f"[{reply}]")

    app = App(token=TOKEN, clock=lambda: NOW)
    assert plain.deliver(app, plain.text("ok")).content == "[ok]"
    assert calls == ["pre", "handler", "post"]
    calls.clear()
    assert plain.deliver(app, plain.text("spam")).content == "[blocked]"
    assert calls == ["pre", "post"]


def test_welcome_and_unsupported_replies(plain: WeChatPusher) -> None:
    class App(WxApplication):
        welcome_reply = "hello new friend"
        unsupported_reply = "I only read text"

    app = App(token=TOKEN, clock=lambda: NOW)
    assert plain.deliver(app, plain.subscribe()).content == "hello new friend"
    assert plain.deliver(app, plain.voice()).content == "I only read text"
    assert plain.deliver(app, plain.click("x")).is_success  # events are not "unsupported"


def test_legacy_configuration_names(plain: WeChatPusher) -> None:
    class Legacy(WxApplication):
        allow_plaintext = True
        SECRET_TOKEN = TOKEN
        APP_ID = APP_ID
        ENCODING_AES_KEY = AES_KEY
        WELCOME_TXT = "legacy welcome"
        UNSUPPORT_TXT = "legacy unsupported"

    app = Legacy(clock=lambda: NOW)
    assert app.token == TOKEN
    assert app.app_id == APP_ID
    assert plain.deliver(app, plain.subscribe()).content == "legacy welcome"
    assert plain.deliver(app, plain.image()).content == "legacy unsupported"
    safe = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW, openid="o_other")
    assert safe.deliver(app, safe.subscribe()).encrypted


def test_constructor_keywords() -> None:
    app = WxApplication(token="t", app_id="wxa", aes_key=AES_KEY, timestamp_window=None, dedup_ttl=None)
    assert (app.token, app.app_id, app.timestamp_window, app.dedup_ttl) == ("t", "wxa", None, None)


def test_per_call_credentials(safe: WeChatPusher) -> None:
    bot = WxApplication(token="other-token", app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW)
    push = safe.text("x")
    with pytest.raises(SignatureError):
        bot.process(push.params, push.body)
    body = bot.process(push.params, push.body, token=TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    assert safe.read_reply(200, body).is_success


def test_handler_exception_is_logged_and_answered_success(
    bot: Bot, plain: WeChatPusher, caplog: pytest.LogCaptureFixture
) -> None:
    push = plain.text("boom")
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        reply = plain.deliver(bot, push)
    assert reply.is_success
    assert str(push.fields["MsgId"]) in caplog.text
    assert "boom" not in caplog.messages[0]
    assert TOKEN not in caplog.text


def test_handler_failure_log_names_the_handler_and_the_exception(
    bot: Bot, plain: WeChatPusher, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        plain.deliver(bot, plain.text("boom"))
    assert caplog.messages[0].startswith("handler Bot.on_text failed for TextMessage push: RuntimeError (msg id ")


def test_on_error_hook_may_answer(plain: WeChatPusher) -> None:
    class App(WxApplication):
        def on_text(self, msg: TextMessage) -> str:
            raise ValueError("bug")

        def on_error(self, msg: Any, error: Exception) -> str:
            return f"sorry ({type(error).__name__})"

    assert plain.deliver(App(token=TOKEN, clock=lambda: NOW), plain.text("x")).content == "sorry (ValueError)"


def test_failing_on_error_hook_still_answers_success(plain: WeChatPusher) -> None:
    class App(WxApplication):
        def on_text(self, msg: TextMessage) -> str:
            raise ValueError("bug")

        def on_error(self, msg: Any, error: Exception) -> str:
            raise KeyError("worse")

    assert plain.deliver(App(token=TOKEN, clock=lambda: NOW), plain.text("x")).is_success


def test_handler_returning_garbage_is_a_handler_failure(plain: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    class App(WxApplication):
        def on_text(self, msg: TextMessage) -> Any:
            return 42

    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert plain.deliver(App(token=TOKEN, clock=lambda: NOW), plain.text("x")).is_success
    assert "Reply, str or None" in caplog.text


@pytest.mark.parametrize(
    "handlers",
    [{"text": "no_such_method"}, {"text": 42}],
)
def test_bad_handler_dicts_are_config_errors_at_construction(handlers: dict[str, Any]) -> None:
    class App(WxApplication):
        pass

    App.handlers = handlers
    with pytest.raises(ConfigError, match="'text'"):
        App(token=TOKEN)


def test_two_events_in_one_second_are_not_duplicates(plain: WeChatPusher) -> None:
    seen: list[str] = []

    class App(WxApplication):
        def on_click(self, ev: Any) -> None:
            seen.append(ev.event_key)

    app = App(token=TOKEN, clock=lambda: NOW)
    for key in ("A", "B"):
        assert plain.deliver(app, plain.click(key)).is_success
    assert plain.deliver(app, plain.click("A")).is_success  # the retry of A: not handled again
    assert seen == ["A", "B"]


# -- configuration errors -------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "token is required"),
        ({"token": "t", "aes_key": "short"}, "EncodingAESKey"),
        ({"token": "t", "aes_key": AES_KEY}, "app_id is required"),
    ],
)
def test_configuration_errors_at_construction(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        WxApplication(**kwargs)


def test_repr_has_no_secrets(bot: Bot) -> None:
    assert TOKEN not in repr(bot)
    assert AES_KEY not in repr(bot)


# -- replay guard ---------------------------------------------------------------
def test_duplicate_push_answers_success_and_handler_not_rerun(bot: Bot, safe: WeChatPusher) -> None:
    push = safe.text("once")
    bot.process(push.params, push.body)
    assert bot.process(push.params, push.body) == "success"  # before: DuplicateMessageError
    assert len(bot.seen) == 1
    assert (bot.handle("POST", push.params, push.body).status, len(bot.seen)) == (200, 1)  # before: 400


def test_duplicate_events_use_sender_time_and_event(bot: Bot, plain: WeChatPusher) -> None:
    push = plain.subscribe()
    assert plain.deliver(bot, push).content == "welcome "
    assert plain.deliver(bot, push).is_success  # a fast push's retry: its reply was not kept
    assert len(bot.seen) == 1
    assert plain.deliver(bot, plain.click("k")).status == 200  # another event, same second


def test_dedup_shared_storage_and_ttl(plain: WeChatPusher) -> None:
    clock = Clock()
    storage = MemoryStorage(clock=clock)
    a = Bot(storage=storage, clock=clock, timestamp_window=None)
    b = Bot(storage=storage, clock=clock, timestamp_window=None)
    push = plain.text("shared")
    a.process(push.params, push.body)
    assert b.process(push.params, push.body) == "success"
    assert (len(a.seen), len(b.seen)) == (1, 0)
    clock.now += 601  # past dedup_ttl: storage forgets it
    b.process(push.params, push.body)
    assert len(b.seen) == 1


def test_dedup_can_be_disabled(plain: WeChatPusher) -> None:
    bot = Bot(dedup_ttl=None)
    push = plain.text("twice")
    bot.process(push.params, push.body)
    bot.process(push.params, push.body)
    assert len(bot.seen) == 2


@pytest.mark.parametrize("offset", [-301, 301, -(10**6)])
def test_stale_and_future_timestamps(offset: int) -> None:
    bot = Bot()
    pusher = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW + offset)
    push = pusher.text("late")
    with pytest.raises(StaleTimestampError):
        bot.process(push.params, push.body)
    assert bot.handle("POST", push.params, push.body).status == 400
    params, _ = pusher.url_check()
    assert bot.handle("GET", params, None).status == 400
    assert bot.seen == []


def test_timestamp_window_is_configurable() -> None:
    pusher = WeChatPusher(TOKEN, clock=lambda: NOW - 1000)
    assert pusher.deliver(Bot(timestamp_window=2000), pusher.text("a")).content == "echo:a"
    assert pusher.deliver(Bot(timestamp_window=None), pusher.text("b")).content == "echo:b"


def test_non_numeric_timestamp(bot: Bot, plain: WeChatPusher) -> None:
    push = plain.text("x")
    params = {**push.params, "timestamp": "yesterday"}
    params["signature"] = sha1_signature(TOKEN, "yesterday", params["nonce"])
    with pytest.raises(StaleTimestampError):
        bot.process(params, push.body)


# -- bad input through process() and handle() --------------------------------------
def _tamper_params(push: Push, **changes: str) -> dict[str, str]:
    return {**push.params, **changes}


def _reencrypt(plain_bytes: bytes) -> str:
    key = base64.b64decode(AES_KEY + "=")
    return base64.b64encode(AES.new(key, AES.MODE_CBC, key[:16]).encrypt(plain_bytes)).decode()


def _safe_body(enc: str) -> str:
    return f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"


def _signed(enc: str) -> dict[str, str]:
    ts, nonce = str(int(NOW)), "nonce1"
    return {
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sha1_signature(TOKEN, ts, nonce, enc),
        "signature": sha1_signature(TOKEN, ts, nonce),
    }


MESSAGE = (
    b"<xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
    b"<MsgType>text</MsgType><Content>x</Content><MsgId>99</MsgId></xml>"
)


def _payload(message: bytes = MESSAGE, receive_id: bytes = APP_ID.encode(), length: int | None = None) -> bytes:
    n = len(message) if length is None else length
    return b"0123456789abcdef" + n.to_bytes(4, "big") + message + receive_id


BAD_CIPHERTEXTS = {
    "padding": _reencrypt(_payload() + b"\x00" * (32 - len(_payload()) % 32)),
    "length field": _reencrypt(pkcs7_pad(_payload(length=5000))),
    "receive id": _reencrypt(pkcs7_pad(_payload(receive_id=b"wx_other_app"))),
    "non-base64": "***not base64***",
    "wrong length": base64.b64encode(b"x" * 40).decode(),
}


@pytest.mark.parametrize("name", sorted(BAD_CIPHERTEXTS))
def test_tampered_ciphertexts(bot: Bot, name: str) -> None:
    enc = BAD_CIPHERTEXTS[name]
    with pytest.raises(DecryptError):
        bot.process(_signed(enc), _safe_body(enc))
    response = bot.handle("POST", _signed(enc), _safe_body(enc))
    assert response.status == 400
    assert bot.seen == []


def test_wrong_receive_id_from_another_app(bot: Bot) -> None:
    other = MessageCrypto(TOKEN, AES_KEY, "wxanotherapp00000")
    enc = other.encrypt(MESSAGE.decode())
    with pytest.raises(DecryptError, match="receive id"):
        bot.process(_signed(enc), _safe_body(enc))


def test_encrypted_garbage_is_a_parse_error(bot: Bot) -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
    enc = crypto.encrypt("definitely not xml")
    with pytest.raises(ParseError):
        bot.process(_signed(enc), _safe_body(enc))


@pytest.mark.parametrize(
    ("params_change", "error"),
    [
        ({"signature": "0" * 40}, SignatureError),
        ({"signature": ""}, SignatureError),
        ({"nonce": "changed"}, SignatureError),
        ({"timestamp": str(int(NOW) + 1)}, SignatureError),
    ],
)
def test_wrong_signature_plaintext(
    bot: Bot, plain: WeChatPusher, params_change: dict[str, str], error: type[Exception]
) -> None:
    push = plain.text("x")
    params = _tamper_params(push, **params_change)
    with pytest.raises(error):
        bot.process(params, push.body)
    assert bot.handle("POST", params, push.body).status == 403
    assert bot.seen == []


def test_wrong_msg_signature_safe_mode(bot: Bot, safe: WeChatPusher) -> None:
    push = safe.text("x")
    params = _tamper_params(push, msg_signature="f" * 40)
    with pytest.raises(SignatureError):
        bot.process(params, push.body)
    assert bot.handle("POST", params, push.body).status == 403


def test_tampered_encrypt_fails_the_signature_first(bot: Bot, safe: WeChatPusher) -> None:
    push = safe.text("x")
    body = push.body.replace("<![CDATA[", "<![CDATA[A", 2)
    assert bot.handle("POST", push.params, body).status == 403


def test_wrong_url_check_signature(bot: Bot, plain: WeChatPusher) -> None:
    params, _ = plain.url_check()
    params["signature"] = "0" * 40
    with pytest.raises(SignatureError):
        bot.process(params)
    assert bot.handle("GET", params, None).status == 403
    assert bot.handle("GET", {**params, "echostr": ""}, None).status == 400


def test_a_signed_echostr_with_a_lone_surrogate_is_400_not_echoed(bot: Bot, plain: WeChatPusher) -> None:
    # The echostr is echoed as the answer body: one no adapter could encode must be refused, not sent.
    params, _ = plain.url_check()
    params["echostr"] = "ab\ud800"
    with pytest.raises(ParseError, match="echostr is not valid Unicode text"):
        bot.process(params)
    response = bot.handle("GET", params, None)
    assert response.status == 400
    response.body.encode("utf-8")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<xml><ToUserName>a</ToUserName>",
        b"<xml><Content>no type</Content></xml>",
        b"<notxml><MsgType>text</MsgType></notxml>",
        b'<!DOCTYPE xml [<!ENTITY a "b">]><xml><MsgType>text</MsgType><Content>&a;</Content></xml>',
        b"<xml><MsgType>text</MsgType><CreateTime>soon</CreateTime></xml>",
        b"\x00\xff\xfe garbage",
    ],
)
def test_bad_plaintext_bodies_are_parse_errors(bot: Bot, plain: WeChatPusher, body: bytes) -> None:
    params = plain.text("x").params
    with pytest.raises(ParseError):
        bot.process(params, body)
    assert bot.handle("POST", params, body).status == 400


def test_missing_encrypt_in_safe_mode(bot: Bot, safe: WeChatPusher) -> None:
    push = safe.text("x")
    with pytest.raises(ParseError, match="Encrypt"):
        bot.process(push.params, "<xml><ToUserName>gh</ToUserName></xml>")


def test_ten_megabyte_body(bot: Bot, plain: WeChatPusher) -> None:
    params = plain.text("x").params
    body = b"<xml>" + b"A" * (10 * 1024 * 1024) + b"</xml>"
    with pytest.raises(ParseError, match="exceeds"):
        bot.process(params, body)
    assert bot.handle("POST", params, body).status == 400


def test_body_limit_is_configurable(plain: WeChatPusher) -> None:
    push = plain.text("x" * 100)
    assert Bot(max_body_size=64).handle("POST", push.params, push.body).status == 400
    assert Bot(max_body_size=None).handle("POST", push.params, push.body).status == 200


def test_handle_methods(bot: Bot, plain: WeChatPusher) -> None:
    push = plain.text("x")
    assert bot.handle("PUT", push.params, push.body).status == 405
    assert bot.handle("post", push.params, push.body).status == 200
    assert bot.handle("POST", push.params, None).status == 400
    assert bot.handle("GET", None, None).status == 400


def test_handle_content_types(bot: Bot, plain: WeChatPusher) -> None:
    response = bot.handle("POST", plain.text("x").params, plain.text("x").body)
    assert response.content_type.startswith("application/xml")
    response = bot.handle("POST", plain.text("none").params, plain.text("none").body)
    assert (response.body, response.content_type) == ("success", "text/plain; charset=utf-8")


def test_list_valued_params(bot: Bot, plain: WeChatPusher) -> None:
    push = plain.text("list")
    params = {k: ["ignored", v] for k, v in push.params.items()}
    assert plain.read_reply(200, bot.process(params, push.body)).content == "echo:list"


def test_transfer_customer_service_reply(plain: WeChatPusher) -> None:
    class App(WxApplication):
        def on_text(self, msg: TextMessage) -> Any:
            return TransferCustomerServiceReply(kf_account="kf1@test")

    reply = plain.deliver(App(token=TOKEN, clock=lambda: NOW), plain.text("x"))
    assert reply.msg_type == "transfer_customer_service"
    assert reply.data["TransInfo"]["KfAccount"] == "kf1@test"


# -- review fixes -----------------------------------------------------------------
def test_safe_mode_app_refuses_plaintext_downgrade(plain: WeChatPusher) -> None:
    """The plaintext signature does not cover the body: a safe-mode bot must not accept it."""

    class Strict(WxApplication):
        token = TOKEN
        app_id = APP_ID
        aes_key = AES_KEY

        def on_text(self, msg: TextMessage) -> str:
            raise AssertionError("a forged plaintext push reached the handler")

    push = plain.text("FORGED")
    with pytest.raises(SignatureError, match="allow_plaintext"):
        Strict(clock=lambda: NOW).process(push.params, push.body)
    assert Strict(clock=lambda: NOW).handle("POST", push.params, push.body).status == 403
    relaxed = Bot(allow_plaintext=True)
    assert plain.deliver(relaxed, plain.text("switching")).content == "echo:switching"


def test_duplicate_status_can_answer_success(plain: WeChatPusher) -> None:
    class Quiet(Bot):
        duplicate_status = 200

    bot = Quiet()
    push = plain.text("once")
    assert bot.handle("POST", push.params, push.body).status == 200
    again = bot.handle("POST", push.params, push.body)
    assert (again.status, again.body) == (200, "success")
    assert len(bot.seen) == 1


def test_unrenderable_reply_is_a_handler_failure(plain: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(WxApplication):
        def on_text(self, msg: TextMessage) -> Any:
            return TextReply(None)  # type: ignore[arg-type]

    app = Broken(token=TOKEN, clock=lambda: NOW)
    push = plain.text("x")
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert plain.deliver(app, push).is_success
    assert "rendering the reply failed" in caplog.text


@pytest.mark.parametrize("timestamp", ["9" * 400, "１２３", "12a", "-5", ""])
def test_malformed_timestamps_are_replay_errors(plain: WeChatPusher, timestamp: str) -> None:
    bot = Bot()
    push = plain.text("x")
    params = {**push.params, "timestamp": timestamp}
    params["signature"] = sha1_signature(TOKEN, timestamp, params["nonce"])
    response = bot.handle("POST", params, push.body)
    assert response.status == 400


def test_surrogates_in_params_are_a_signature_error(plain: WeChatPusher) -> None:
    push = plain.text("x")
    response = Bot().handle("POST", {**push.params, "timestamp": "1\ud800"}, push.body)
    assert response.status == 403


class _FlakyGuardStorage(MemoryStorage):
    """Behaves as Redis does when a ``SET NX`` is applied but its reply is lost (``lost``), or is down (``down``)."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = False
        self.down = False

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        if self.down:
            raise ConnectionError("storage down")
        stored = super().add(key, value, ttl)
        if self.lost:
            raise TimeoutError("reply lost")
        return stored

    def get(self, key: str) -> str | None:
        if self.down:
            raise ConnectionError("storage down")
        return super().get(key)

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        if self.down:
            raise ConnectionError("storage down")
        super().delete(key, if_value=if_value)


def test_replay_guard_survives_a_lost_reply_and_answers_500_when_the_storage_is_down(
    plain: WeChatPusher, safe: WeChatPusher
) -> None:
    from wxkit import StorageError

    storage = _FlakyGuardStorage()
    bot = Bot(storage=storage)
    storage.lost = True
    push = plain.text("hello")
    assert plain.deliver(bot, push).content == "echo:hello"  # before: the storage's TimeoutError escaped handle()
    assert plain.deliver(bot, push).is_success  # the claim was stored: WeChat's retry is a duplicate
    assert len(bot.seen) == 1
    storage.lost, storage.down = False, True
    push = safe.text("again")
    response = bot.handle("POST", push.params, push.body)
    assert (response.status, response.body) == (500, "storage unavailable; retry later")
    with pytest.raises(StorageError):
        bot.process(push.params, push.body)
    storage.down = False
    assert safe.deliver(bot, push).content == "echo:again"  # WeChat's retry is handled normally
    assert [m.content for m in bot.seen] == ["hello", "again"]
