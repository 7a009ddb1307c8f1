"""MiniProgramApplication: JSON and XML pushes in plaintext, compatible and safe mode; replies; replay guard; 4xx."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from wxkit import (
    ConfigError,
    DecryptError,
    MemoryStorage,
    ParseError,
    SignatureError,
    StaleTimestampError,
    StorageError,
)
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.events import UnknownEvent
from wxkit.messages import TextMessage
from wxkit.miniprogram.app import MiniProgramApplication, PassiveReplyError, parse_body
from wxkit.miniprogram.messages import (
    MediaCheckEvent,
    MiniProgramImageMessage,
    MiniProgramPageMessage,
    MiniProgramSubscribeMsgChangeEvent,
    MiniProgramSubscribeMsgPopupEvent,
    MiniProgramSubscribeMsgSentEvent,
    MiniProgramTextMessage,
    MiniProgramUnknownEvent,
    MiniProgramUnknownMessage,
    UserEnterTempSessionEvent,
)
from wxkit.replies import ImageReply, SuccessReply, TextReply, TransferCustomerServiceReply
from wxkit.testing import Push
from wxkit.testing.miniprogram_push import MODES, MiniProgramPusher

TOKEN = "mp-push-token"
APP_ID = "wx_mp_push_app01"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
NOW = 1_700_000_000.0
FORMATS = ("json", "xml")


class MpApp(MiniProgramApplication):
    """Records what it was given; transfers user text to customer service unless told otherwise."""

    token = TOKEN
    app_id = APP_ID
    aes_key: str | None = AES_KEY

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("clock", lambda: NOW)
        super().__init__(**kwargs)
        self.seen: list[Any] = []
        self.errors: list[Exception] = []

    def on_text(self, msg: TextMessage) -> Any:
        self.seen.append(msg)
        return {
            "transfer": TransferCustomerServiceReply(),
            "text": "a text reply",
            "textreply": TextReply("x"),
            "image": ImageReply("media"),
            "kf": TransferCustomerServiceReply("kf1@account"),
            "success": SuccessReply(),
        }.get(msg.content)

    def on_default(self, msg: Any) -> Any:
        self.seen.append(msg)
        return TransferCustomerServiceReply() if getattr(msg, "session_from", "") == "transfer" else None

    def on_error(self, message: Any, error: Exception) -> Any:
        self.errors.append(error)
        return None


def pusher(data_format: str = "json", mode: str = "safe", **kwargs: Any) -> MiniProgramPusher:
    kwargs.setdefault("clock", lambda: NOW)
    if mode == "plaintext":
        return MiniProgramPusher(TOKEN, data_format=data_format, mode=mode, **kwargs)
    return MiniProgramPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, data_format=data_format, mode=mode, **kwargs)


class PlainApp(MpApp):
    aes_key = None


def make_app(mode: str, **kwargs: Any) -> MpApp:
    return PlainApp(**kwargs) if mode == "plaintext" else MpApp(**kwargs)


# -- both formats, all three modes -------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("data_format", FORMATS)
def test_a_text_push_reaches_on_text_and_the_transfer_reply_comes_back_in_its_format(
    data_format: str, mode: str
) -> None:
    app, p = make_app(mode), pusher(data_format, mode)
    reply = p.deliver(app, p.text("transfer"))
    (msg,) = app.seen
    assert isinstance(msg, MiniProgramTextMessage)
    assert isinstance(msg, TextMessage)
    assert (msg.content, msg.from_user_name, msg.to_user_name, msg.data_format) == (
        "transfer",
        p.openid,
        p.account,
        data_format,
    )
    assert msg.create_time == int(NOW)
    assert reply.status == 200
    assert reply.encrypted is (mode != "plaintext")
    assert reply.xml.startswith("{" if data_format == "json" else "<xml>")
    assert reply.msg_type == "transfer_customer_service"
    assert (reply.data["ToUserName"], reply.data["FromUserName"]) == (p.openid, p.account)  # addressed back
    assert int(reply.data["CreateTime"]) == int(NOW)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("data_format", FORMATS)
def test_every_typed_push_in_every_mode(data_format: str, mode: str) -> None:
    app, p = make_app(mode), pusher(data_format, mode)
    pushes = [
        p.image("m1"),
        p.miniprogrampage("Card", app_id="wx_card", page_path="pages/a?x=1"),
        p.user_enter_tempsession("button-1"),
        p.media_check("trace-1", suggest="risky", label=20002, appid=APP_ID),
        p.subscribe_popup("T1", "T2", rejected=["T3"]),
        p.subscribe_popup("T4"),
        p.subscribe_event("subscribe_msg_change_event", [{"TemplateId": "T5", "SubscribeStatusString": "reject"}]),
        p.subscribe_sent("T6", "1864323726461255680", error_code=43101, error_status="failed: user refused"),
        p.event("debug_demo", debug_str="hello world"),
        p.message("voice", MediaId="v1"),
    ]
    for push in pushes:
        assert p.deliver(app, push).is_success
    image, page, enter, check, popup, popup_one, change, sent, unknown, voice = app.seen
    assert isinstance(image, MiniProgramImageMessage)
    assert image.media_id == "m1"
    assert isinstance(page, MiniProgramPageMessage)
    assert (page.title, page.app_id, page.page_path, page.thumb_media_id) == (
        "Card",
        "wx_card",
        "pages/a?x=1",
        "thumb_media_1",
    )
    assert isinstance(enter, UserEnterTempSessionEvent)
    assert enter.session_from == "button-1"
    assert isinstance(check, MediaCheckEvent)
    assert (check.trace_id, check.appid, check.version, check.suggest, check.passed, check.is_risky) == (
        "trace-1",
        APP_ID,
        2,
        "risky",
        False,
        True,
    )
    assert check.result is not None
    assert check.result.label == 20002
    assert [(d.strategy, d.label, d.prob) for d in check.details] == [("content_model", 20002, 90)]
    assert isinstance(popup, MiniProgramSubscribeMsgPopupEvent)
    assert [(i.template_id, i.subscribe_status_string) for i in popup.items] == [
        ("T1", "accept"),
        ("T2", "accept"),
        ("T3", "reject"),
    ]
    assert [i.template_id for i in popup_one.items] == ["T4"]  # JSON: one item is an object, not an array
    assert isinstance(change, MiniProgramSubscribeMsgChangeEvent)
    assert [(i.template_id, i.subscribe_status_string) for i in change.items] == [("T5", "reject")]
    assert isinstance(sent, MiniProgramSubscribeMsgSentEvent)
    assert [(i.template_id, i.msg_id, i.error_code, i.error_status) for i in sent.items] == [
        ("T6", "1864323726461255680", 43101, "failed: user refused")
    ]
    assert isinstance(unknown, MiniProgramUnknownEvent)
    assert isinstance(unknown, UnknownEvent)
    assert unknown.raw["debug_str"] == "hello world"
    assert isinstance(voice, MiniProgramUnknownMessage)
    assert voice.raw["MediaId"] == "v1"
    assert {m.data_format for m in app.seen} == {data_format}


def test_json_raw_has_the_xml_shape_and_subscribe_raw_keeps_the_push_as_sent() -> None:
    app, p = make_app("plaintext"), pusher("json", "plaintext")
    p.deliver(app, p.subscribe_popup("T1"))
    p.deliver(app, p.event("custom", Flag=True, Nothing=None, Ratio=0.5, Nested={"n": 1}, Items=[1, "a"]))
    popup, custom = app.seen
    assert popup.raw["List"] == {"TemplateId": "T1", "SubscribeStatusString": "accept", "PopupScene": "0"}
    assert "SubscribeMsgPopupEvent" not in popup.raw
    assert popup.raw["CreateTime"] == str(int(NOW))
    assert (custom.raw["Flag"], custom.raw["Nothing"], custom.raw["Ratio"]) == ("true", "", "0.5")
    assert (custom.raw["Nested"], custom.raw["Items"]) == ({"n": "1"}, ["1", "a"])


def test_the_format_is_read_from_each_body_so_a_console_switch_needs_no_change() -> None:
    app = make_app("safe")
    for data_format in ("xml", "json", "xml"):
        p = pusher(data_format, "safe")
        assert p.deliver(app, p.text("transfer")).xml.startswith("{" if data_format == "json" else "<")
    assert [m.data_format for m in app.seen] == ["xml", "json", "xml"]


def test_compatible_mode_reads_only_the_signed_ciphertext() -> None:
    app, p = make_app("compatible"), pusher("json", "compatible")
    push = p.text("transfer")
    forged = json.loads(push.body)
    assert forged["Content"] == "transfer"
    assert "Encrypt" in forged
    forged["Content"] = "forged plaintext"
    reply = p.deliver(app, Push(push.params, json.dumps(forged), push.xml, push.fields))
    assert [m.content for m in app.seen] == ["transfer"]
    assert reply.msg_type == "transfer_customer_service"


def test_url_check_in_every_mode() -> None:
    for mode in MODES:
        params, echostr = pusher("json", mode).url_check("echo-123")
        assert make_app(mode).handle("GET", params, None).body == echostr


def test_json_answers_are_served_as_json() -> None:
    app, p = make_app("safe"), pusher("json", "safe")
    push = p.text("transfer")
    response = app.handle("POST", push.params, push.body)
    assert response.content_type == "application/json; charset=utf-8"
    envelope = json.loads(response.body)
    assert sorted(envelope) == ["Encrypt", "MsgSignature", "Nonce", "TimeStamp"]
    assert envelope["TimeStamp"] == int(NOW)  # a number, as in WeChat's sample
    xml_push = pusher("xml", "safe").text("transfer")
    assert app.handle("POST", xml_push.params, xml_push.body).content_type.startswith("application/xml")


def test_handle_async_gives_the_same_answers() -> None:
    app, p = make_app("safe"), pusher("json", "safe")
    reply = asyncio.run(p.deliver_async(app, p.text("transfer")))
    assert (reply.encrypted, reply.msg_type) == (True, "transfer_customer_service")
    bad = p.text("x")
    response = asyncio.run(app.handle_async("POST", {**bad.params, "msg_signature": "0" * 40}, bad.body))
    assert response.status == 403


def test_served_over_http_by_the_wsgi_adapter(serve_bot: Any) -> None:
    app = make_app("safe")
    url = serve_bot(app)
    for data_format in FORMATS:
        p = pusher(data_format, "safe")
        reply = p.post(url, p.text("transfer"))
        assert (reply.status, reply.encrypted, reply.msg_type) == (200, True, "transfer_customer_service")
        assert p.post(url, p.user_enter_tempsession("x")).is_success


# -- replies a mini program cannot send ----------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("text", "text \\(a str\\)"),
        ("textreply", "TextReply"),
        ("image", "ImageReply"),
        ("kf", "without a kf_account"),
    ],
)
def test_a_passive_reply_mini_programs_cannot_send_is_refused_logged_and_answered_success(
    content: str, match: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, p = make_app("safe"), pusher("json", "safe")
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        reply = p.deliver(app, p.text(content))
    assert reply.is_success
    (error,) = app.errors
    assert isinstance(error, PassiveReplyError)
    assert isinstance(error, TypeError)
    with pytest.raises(PassiveReplyError, match=match):
        raise error
    assert "rendering the reply failed" in caplog.text
    assert "customer_service" in str(error) or content == "kf"


def test_transfer_is_refused_for_events_and_success_replies_are_plain_success() -> None:
    app, p = make_app("safe"), pusher("xml", "safe")
    assert p.deliver(app, p.user_enter_tempsession("transfer")).is_success
    assert "not a 'user_enter_tempsession' event" in str(app.errors[0])
    assert p.deliver(app, p.text("success")).is_success
    assert len(app.errors) == 1


def test_render_outside_a_push_defaults_to_xml() -> None:
    app = make_app("plaintext")
    msg = MiniProgramTextMessage(to_user_name="gh", from_user_name="u", create_time=1, msg_type="text")
    assert app.render(msg, TransferCustomerServiceReply()).startswith("<xml>")
    assert app.render(msg, None) == "success"


@pytest.mark.parametrize("attr", ["unsupported_reply", "welcome_reply"])
def test_text_fallback_replies_are_refused_at_construction(attr: str) -> None:
    with pytest.raises(ConfigError, match="cannot reply with text"):
        type("WithText", (PlainApp,), {attr: "hi"})()


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="token"):
        MiniProgramApplication()
    with pytest.raises(ConfigError, match="app_id"):
        MiniProgramApplication(token=TOKEN, aes_key=AES_KEY)
    with pytest.raises(ConfigError):
        MiniProgramApplication(token=TOKEN, app_id=APP_ID, aes_key="short")
    app = MiniProgramApplication(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    assert AES_KEY not in repr(app)
    assert TOKEN not in repr(app)


# -- the replay guard ---------------------------------------------------------------------------
@pytest.mark.parametrize("data_format", FORMATS)
def test_a_retry_runs_the_handler_once_and_gets_the_kept_reply(data_format: str) -> None:
    app, p = make_app("safe"), pusher(data_format, "safe")
    app.keep_reply_after = 0  # keep every reply, however fast
    push = p.text("transfer")
    first = p.deliver(app, push)
    again = p.deliver(app, push)  # WeChat's retry: a fresh request, the same ciphertext and fields
    assert len(app.seen) == 1
    assert (again.encrypted, again.data) == (True, first.data)
    event = p.user_enter_tempsession("x")
    assert p.deliver(app, event).is_success
    assert p.deliver(app, event).is_success
    assert len(app.seen) == 2


def test_distinct_pushes_of_one_second_are_not_taken_for_retries() -> None:
    app, p = make_app("plaintext"), pusher("json", "plaintext")
    pushes = [
        p.media_check("trace-a"),
        p.media_check("trace-b"),
        p.subscribe_sent("T1", "1001"),
        p.subscribe_sent("T1", "1002"),
        p.subscribe_popup("T1"),
        p.subscribe_popup("T2"),
    ]
    for push in pushes:
        p.deliver(app, push)
    assert len(app.seen) == 6  # same sender, same CreateTime, same Event: told apart by trace_id / items
    for push in pushes:
        assert p.deliver(app, push).is_success
    assert len(app.seen) == 6  # and each one's retry is still a retry


def test_the_replay_guard_is_shared_through_the_storage() -> None:
    storage = MemoryStorage()
    a, b = make_app("safe", storage=storage), make_app("safe", storage=storage)
    p = pusher("json", "safe")
    push = p.media_check("trace-shared")
    p.deliver(a, push)
    assert p.deliver(b, push).is_success
    assert (len(a.seen), len(b.seen)) == (1, 0)


def test_a_failing_storage_answers_500_so_that_wechat_retries() -> None:
    class Down(MemoryStorage):
        def add(self, key: str, value: str, ttl: float | None = None) -> bool:
            raise ConnectionError("storage down")

        def get(self, key: str) -> str | None:
            raise ConnectionError("storage down")

    app, p = make_app("safe", storage=Down()), pusher("json", "safe")
    push = p.text("transfer")
    assert app.handle("POST", push.params, push.body).status == 500
    with pytest.raises(StorageError):
        app.process(push.params, push.body)
    assert app.seen == []


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_and_future_timestamps_are_400(offset: int) -> None:
    for mode in MODES:
        app, p = make_app(mode), pusher("json", mode, clock=lambda: NOW + offset)
        push = p.text("late")
        with pytest.raises(StaleTimestampError):
            app.process(push.params, push.body)
        assert app.handle("POST", push.params, push.body).status == 400
        assert app.handle("GET", p.url_check()[0], None).status == 400
        assert app.seen == []


# -- bad input: 403 for signatures, 400 for the rest ----------------------------------------------
@pytest.mark.parametrize("data_format", FORMATS)
def test_signature_failures_are_403(data_format: str) -> None:
    plain_app, safe_app = make_app("plaintext"), make_app("safe")
    plain = pusher(data_format, "plaintext")
    push = plain.text("x")
    for params in ({**push.params, "signature": "0" * 40}, {**push.params, "nonce": "other"}, {}):
        with pytest.raises(SignatureError):
            plain_app.process(params, push.body)
        assert plain_app.handle("POST", params, push.body).status == 403
    assert safe_app.handle("POST", push.params, push.body).status == 403  # plaintext to a safe-mode app
    assert make_app("safe", allow_plaintext=True).handle("POST", push.params, push.body).status == 200
    safe = pusher(data_format, "safe")
    push = safe.text("x")
    assert safe_app.handle("POST", {**push.params, "msg_signature": "f" * 40}, push.body).status == 403
    enc = str(parse_body(push.body)[0]["Encrypt"])
    tampered = push.body.replace(enc, ("B" if enc[0] == "A" else "A") + enc[1:])
    assert safe_app.handle("POST", push.params, tampered).status == 403  # Encrypt changed: msg_signature fails
    params, _ = safe.url_check()
    assert safe_app.handle("GET", {**params, "signature": "0" * 40}, None).status == 403
    assert safe_app.seen == []
    assert plain_app.seen == []


def test_wrong_signature_alone_does_not_matter_in_safe_mode() -> None:
    # WeChat's docs: verify msg_signature, not signature, in safe mode.
    app, p = make_app("safe"), pusher("json", "safe")
    push = p.text("transfer")
    assert p.deliver(app, Push({**push.params, "signature": "0" * 40}, push.body, push.xml, push.fields)).encrypted


def test_an_encrypted_push_to_a_plaintext_app_is_400() -> None:
    push = pusher("json", "safe").text("x")
    with pytest.raises(DecryptError, match="no aes_key"):
        make_app("plaintext").process(push.params, push.body)
    assert make_app("plaintext").handle("POST", push.params, push.body).status == 400


def _signed_safe(body_encrypt: str, data_format: str = "json") -> tuple[dict[str, str], str]:
    ts, nonce = str(int(NOW)), "n1"
    params = {
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sha1_signature(TOKEN, ts, nonce, body_encrypt),
    }
    if data_format == "json":
        return params, json.dumps({"ToUserName": "gh", "Encrypt": body_encrypt})
    return params, f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{body_encrypt}]]></Encrypt></xml>"


@pytest.mark.parametrize(
    ("plaintext", "error"),
    [
        ("definitely not a push", ParseError),
        ("[1, 2]", ParseError),
        ('{"ToUserName": "gh"}', ParseError),  # no MsgType
        ('{"MsgType": "text", "CreateTime": "soon"}', ParseError),
    ],
)
def test_encrypted_payloads_that_are_not_pushes_are_400(plaintext: str, error: type[Exception]) -> None:
    app = make_app("safe")
    enc = MessageCrypto(TOKEN, AES_KEY, APP_ID).encrypt(plaintext)
    params, body = _signed_safe(enc)
    with pytest.raises(error):
        app.process(params, body)
    assert app.handle("POST", params, body).status == 400


def test_a_payload_encrypted_for_another_mini_program_is_400() -> None:
    app = make_app("safe")
    enc = MessageCrypto(TOKEN, AES_KEY, "wx_another_app").encrypt('{"MsgType":"text"}')
    for data_format in FORMATS:
        params, body = _signed_safe(enc, data_format)
        with pytest.raises(DecryptError, match="receive id"):
            app.process(params, body)
        assert app.handle("POST", params, body).status == 400


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"plain text",
        b"[]",
        b'"a string"',
        b"{not json",
        b'{"MsgType": "text", "CreateTime": NaN}',
        b'{"MsgType": "text", "Content": "\\ud800"}',
        b"\xff\xfe{}",
        b'{"MsgType": "text", "CreateTime": [1]}',
        b'{"MsgType": "event", "Event": "wxa_media_check", "result": "not an object"}',
        b'{"MsgType": "event", "Event": "subscribe_msg_sent_event", "List": ["not an object"]}',
        b'{"MsgType": "event", "Event": "wxa_media_check", "detail": [1]}',
        b"{" * 100 + b"}" * 100,
        b"<xml><MsgType>text</MsgType>",
        b'<!DOCTYPE xml [<!ENTITY a "b">]><xml><MsgType>text</MsgType><Content>&a;</Content></xml>',
    ],
)
def test_bad_plaintext_bodies_are_400(body: bytes) -> None:
    app = make_app("plaintext")
    params = pusher("json", "plaintext").text("x").params
    with pytest.raises(ParseError):
        app.process(params, body)
    response = app.handle("POST", params, body)
    assert response.status == 400
    response.body.encode("utf-8")
    assert app.seen == []


def test_missing_encrypt_is_400_and_oversized_bodies_are_400() -> None:
    app, p = make_app("safe"), pusher("json", "safe")
    push = p.text("x")
    with pytest.raises(ParseError, match="Encrypt"):
        app.process(push.params, '{"ToUserName": "gh"}')
    big = b'{"MsgType": "text", "Content": "' + b"A" * (2 * 1024 * 1024) + b'"}'
    plain = make_app("plaintext")
    params = pusher("json", "plaintext").text("x").params
    with pytest.raises(ParseError, match="exceeds"):
        plain.process(params, big)
    assert plain.handle("POST", params, big).status == 400


def test_other_methods_are_405() -> None:
    assert make_app("plaintext").handle("PUT", {}, b"{}").status == 405


def test_parse_body_detects_the_format() -> None:
    assert parse_body(b'\xef\xbb\xbf  {"MsgType": "text", "MsgId": 12}') == ({"MsgType": "text", "MsgId": "12"}, "json")
    assert parse_body("\n<xml><MsgType>text</MsgType></xml>") == ({"MsgType": "text"}, "xml")
    with pytest.raises(ParseError, match="neither JSON"):
        parse_body(b"MsgType=text")


def test_the_pusher_refuses_an_answer_in_the_wrong_format_or_unencrypted() -> None:
    p = pusher("json", "safe")
    push = p.text("x")
    with pytest.raises(ParseError, match="answered in XML"):
        p.read_reply(200, "<xml><MsgType>transfer_customer_service</MsgType></xml>", push=push)
    with pytest.raises(ParseError, match="in plaintext"):
        p.read_reply(200, '{"MsgType": "transfer_customer_service"}', push=push)
    assert p.read_reply(400, b"bad", push=push).status == 400
    with pytest.raises(ValueError, match="needs app_id and aes_key"):
        MiniProgramPusher(TOKEN, mode="safe")
    with pytest.raises(ValueError, match="data_format"):
        MiniProgramPusher(TOKEN, data_format="yaml")
