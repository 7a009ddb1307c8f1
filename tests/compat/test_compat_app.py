"""wxkit.compat's applications beyond the documentation's examples: hooks, failures, configuration."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

import wxkit
from wxkit.compat import (
    WxApplication,
    WxArticle,
    WxEmptyResponse,
    WxImage,
    WxImageResponse,
    WxMusic,
    WxMusicResponse,
    WxNewsResponse,
    WxRequest,
    WxTextResponse,
    WxVideo,
    WxVideoResponse,
    WxVoice,
    WxVoiceResponse,
    official,
)
from wxkit.errors import ConfigError
from wxkit.messages import TextMessage
from wxkit.replies import ImageReply, MusicReply, NewsReply, SuccessReply, TextReply, VideoReply, VoiceReply
from wxkit.storage import MemoryStorage
from wxkit.testing import WeChatPusher

TOKEN = "compat-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture
def pusher() -> WeChatPusher:
    return WeChatPusher(TOKEN, openid=f"o_{uuid.uuid4().hex}")


class Bot(WxApplication):
    SECRET_TOKEN = TOKEN

    def on_text(self, text):
        return WxTextResponse(text.Content, text)


def test_import_paths() -> None:
    import wxkit.compat
    import wxkit.compat.enterprise
    import wxkit.compat.models

    assert wxkit.compat.WxApplication is official.WxApplication
    assert wxkit.compat.WxTextResponse is official.WxTextResponse is wxkit.compat.models.WxTextResponse
    assert wxkit.compat.enterprise.WxTextResponse is wxkit.compat.WxTextResponse
    assert issubclass(wxkit.compat.WxApplication, wxkit.WxApplication)
    assert issubclass(wxkit.compat.enterprise.WxApplication, wxkit.work.WorkApplication)


# -- CamelCase in compat mode only ----------------------------------------------------
def test_native_messages_stay_snake_case(pusher: WeChatPusher) -> None:
    seen: list[Any] = []

    class Native(wxkit.WxApplication):
        token = TOKEN

        def on_text(self, msg: TextMessage) -> str:
            seen.append(msg)
            return msg.content

    assert pusher.deliver(Native(), pusher.text("hi")).content == "hi"
    assert isinstance(seen[0], TextMessage)
    assert not hasattr(seen[0], "Content")
    assert not hasattr(seen[0], "FromUserName")


def test_request_view(pusher: WeChatPusher) -> None:
    seen: list[WxRequest] = []

    class App(Bot):
        def on_text(self, text):
            seen.append(text)
            return None

    push = pusher.text("hello")
    assert pusher.deliver(App(), push).is_success
    req = seen[0]
    assert isinstance(req, WxRequest)
    assert (req.Content, req.FromUserName, req.ToUserName) == ("hello", pusher.openid, pusher.account)
    assert req.MsgId == str(push.fields["MsgId"])
    assert req.CreateTime == str(push.fields["CreateTime"])  # text, as the old SDK gave it
    assert isinstance(req.message, TextMessage)
    assert req.content == "hello"  # wxkit's names reach the typed message: migrate one line at a time
    assert req.msg_id == str(push.fields["MsgId"])
    with pytest.raises(AttributeError, match="'PicUrl'"):
        _ = req.PicUrl
    with pytest.raises(AttributeError, match="'no_such_field'"):
        _ = req.no_such_field
    assert "hello" not in repr(req)
    assert vars(req)["Content"] == "hello"  # the old object's __dict__ held the fields


def test_request_from_xml_string() -> None:
    req = WxRequest(
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>x</Content><MsgId>9</MsgId></xml>"
    )
    assert (req.Content, req.MsgType, req.content) == ("x", "text", "x")
    assert WxRequest().message is None


# -- configuration ----------------------------------------------------------------------
@pytest.mark.parametrize("attr", ["APP_ID", "WECHAT_APPID"])
def test_app_id_names(attr: str) -> None:
    App = type("App", (Bot,), {attr: APP_ID, "ENCODING_AES_KEY": AES_KEY})
    app = App()
    assert app.app_id == APP_ID
    safe = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, openid=f"o_{uuid.uuid4().hex}")
    reply = safe.deliver(app, safe.text("safe"))
    assert (reply.encrypted, reply.content) == (True, "safe")


def test_secret_is_accepted_and_never_shown() -> None:
    class App(Bot):
        WECHAT_APPSECRET = "app-secret-value"

    assert "app-secret-value" not in repr(App())


def test_unset_texts_disable_the_fallbacks(pusher: WeChatPusher) -> None:
    class Quiet(Bot):
        UNSUPPORT_TXT = None
        WELCOME_TXT = None

    assert pusher.deliver(Quiet(), pusher.image()).is_success
    assert pusher.deliver(Quiet(), pusher.subscribe()).is_success


def test_wxkit_names_still_work(pusher: WeChatPusher) -> None:
    class App(WxApplication):
        token = TOKEN
        unsupported_reply = "native fallback"

        def on_text(self, text):
            return text.Content.upper()  # a str is a text reply, as in wxkit

    assert pusher.deliver(App(), pusher.text("abc")).content == "ABC"
    assert pusher.deliver(App(), pusher.image()).content == "native fallback"


def test_token_only_per_call(pusher: WeChatPusher) -> None:
    app = WxApplication()
    app.handlers = {"text": lambda req: WxTextResponse(req.Content, req)}
    push = pusher.text("per call")
    assert pusher.read_reply(200, app.process(push.params, push.body, token=TOKEN)).content == "per call"
    with pytest.raises(ConfigError, match="no token"):
        app.process(push.params, push.body)
    with pytest.raises(ConfigError, match="no token"):
        app.verify_url(pusher.url_check()[0])
    assert app.handle("GET", pusher.url_check()[0], None).status == 400


def test_handlers_assigned_after_first_use(pusher: WeChatPusher) -> None:
    app = Bot()
    assert pusher.deliver(app, pusher.text("a")).content == "a"
    app.handlers = {"text": lambda req: WxTextResponse("replaced " + req.Content, req)}
    assert pusher.deliver(app, pusher.text("b")).content == "replaced b"
    app.event_handlers = {"CLICK": lambda req: WxTextResponse("clicked " + req.EventKey, req)}
    assert pusher.deliver(app, pusher.click("K")).content == "clicked K"


def test_handlers_assigned_after_a_per_call_credentials_copy(pusher: WeChatPusher) -> None:
    app = WxApplication()
    app.handlers = {"text": lambda req: WxTextResponse("one", req)}
    push = pusher.text("x")
    assert pusher.read_reply(200, app.process(push.params, push.body, token=TOKEN)).content == "one"
    app.handlers = {"text": lambda req: WxTextResponse("two", req)}
    push = pusher.text("y")
    assert pusher.read_reply(200, app.process(push.params, push.body, token=TOKEN)).content == "two"


def test_applications_share_the_replay_guard(pusher: WeChatPusher) -> None:
    # The old examples build an application per request: WeChat's retry must still be caught.
    push = pusher.text("once")
    assert pusher.read_reply(200, Bot().process(push.params, push.body)).content == "once"
    assert Bot().process(push.params, push.body) == "success"  # not handled again (before: DuplicateMessageError)
    # ... unless an application is given its own storage
    assert pusher.deliver(Bot(storage=MemoryStorage()), push).content == "once"


# -- the old hook signatures ----------------------------------------------------------
def test_old_pre_and_post_process(pusher: WeChatPusher) -> None:
    calls: list[Any] = []

    class App(Bot):
        def pre_process(self):
            calls.append(("pre", self.wxreq.FromUserName))
            return "ignored, as in the old SDK"

        def post_process(self, rsp):
            calls.append(("post", type(rsp).__name__))

    assert pusher.deliver(App(), pusher.text("hooked")).content == "hooked"
    assert calls == [("pre", pusher.openid), ("post", "WxTextResponse")]


def test_old_post_process_without_arguments_and_super_calls(pusher: WeChatPusher) -> None:
    calls: list[str] = []

    class Base(Bot):
        def pre_process(self):
            calls.append("base pre")

        def post_process(self, rsp=None):
            calls.append(f"base post {type(rsp).__name__}")

    class App(Base):
        def pre_process(self):
            super().pre_process()
            calls.append("app pre")

        def post_process(self):
            calls.append("app post")

    assert pusher.deliver(App(), pusher.text("x")).content == "x"
    assert calls == ["base pre", "app pre", "app post"]

    calls.clear()

    class Chained(Base):
        def post_process(self, rsp):
            super().post_process(rsp)
            calls.append("chained post")

    assert pusher.deliver(Chained(), pusher.text("y")).content == "y"
    assert calls == ["base pre", "base post WxTextResponse", "chained post"]


def test_new_style_hooks_get_the_request(pusher: WeChatPusher) -> None:
    class App(Bot):
        def pre_process(self, req):
            if req.Content == "stop":
                return WxTextResponse("stopped early", req)
            return None

        def post_process(self, req, reply):
            return WxTextResponse(f"{reply.text}!", req) if isinstance(reply, WxTextResponse) else reply

    assert pusher.deliver(App(), pusher.text("stop")).content == "stopped early!"
    assert pusher.deliver(App(), pusher.text("go")).content == "go!"


# -- failures are never silent -------------------------------------------------------
def test_old_field_name_typo_is_logged_with_the_handler_and_reaches_on_error(
    pusher: WeChatPusher, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[tuple[Any, Exception]] = []

    class App(Bot):
        def on_text(self, text):
            return WxTextResponse(text.Contnet, text)  # the typo an old handler may carry

        def on_error(self, req, error):
            errors.append((req, error))
            return WxTextResponse("sorry", req)

    push = pusher.text("private words")
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        reply = pusher.deliver(App(), push)
    assert reply.content == "sorry"
    [(req, error)] = errors
    assert isinstance(req, WxRequest)
    assert req.FromUserName == pusher.openid
    assert isinstance(error, AttributeError)
    assert "'Contnet'" in str(error)
    line = caplog.records[0].getMessage()
    assert (
        "handler test_old_field_name_typo_is_logged_with_the_handler_and_reaches_on_error.<locals>.App.on_text" in line
    )
    assert "AttributeError" in line
    assert str(push.fields["MsgId"]) in line
    assert "private words" not in line
    assert "'Contnet'" in caplog.text  # the traceback names the missing field


def test_failing_dict_handler_is_named(pusher: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    def broken_handler(req):
        raise KeyError("nope")

    app = Bot()
    app.handlers = {"text": broken_handler}
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert pusher.deliver(app, pusher.text("x")).is_success
    assert "handler test_failing_dict_handler_is_named.<locals>.broken_handler failed" in caplog.records[0].getMessage()
    assert "KeyError" in caplog.records[0].getMessage()


def test_failing_old_pre_process_is_named(pusher: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    class App(Bot):
        def pre_process(self):
            raise RuntimeError("db down")

    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert pusher.deliver(App(), pusher.text("x")).is_success
    assert caplog.records[0].getMessage().startswith("pre_process failed for TextMessage push: RuntimeError")


def test_text_response_of_none_is_a_handler_failure(pusher: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    class App(Bot):
        UNSUPPORT_TXT = None

        def on_text(self, text):
            return WxTextResponse(self.UNSUPPORT_TXT, text)

    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert pusher.deliver(App(), pusher.text("x")).is_success
    assert "TypeError" in caplog.records[0].getMessage()


def test_bad_extra_element_is_a_render_failure(pusher: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    class App(Bot):
        def on_text(self, text):
            rsp = WxTextResponse("x", text)
            rsp.Extra["bad name><Injected"] = "1"
            return rsp

    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        reply = pusher.deliver(App(), pusher.text("x"))
    assert reply.is_success
    assert "Injected" not in reply.body
    assert "rendering the reply failed" in caplog.text


# -- responses --------------------------------------------------------------------------
def test_extra_elements_and_as_xml(pusher: WeChatPusher) -> None:
    class App(Bot):
        def on_text(self, text):
            rsp = WxTextResponse("with extra", text)
            rsp.Extra["FuncFlag"] = 1
            rsp.Extra["Note"] = "a]]>b"
            return rsp

    reply = pusher.deliver(App(), pusher.text("x"))
    assert (reply.content, reply.data["FuncFlag"], reply.data["Note"]) == ("with extra", "1", "a]]>b")

    req = WxRequest({"ToUserName": "gh", "FromUserName": "o", "MsgType": "text", "Content": "c"})
    xml = WxTextResponse("hi", req).as_xml()
    assert "<ToUserName><![CDATA[o]]></ToUserName>" in xml
    assert "<FromUserName><![CDATA[gh]]></FromUserName>" in xml
    assert WxEmptyResponse().as_xml() == ""


def test_responses_are_native_replies_too(pusher: WeChatPusher) -> None:
    class Native(wxkit.WxApplication):
        token = TOKEN

        def on_text(self, msg: TextMessage) -> Any:
            return WxTextResponse(msg.content * 2, msg)

    assert pusher.deliver(Native(), pusher.text("ab")).content == "abab"


def test_as_reply_gives_the_native_reply() -> None:
    assert WxTextResponse("t").as_reply() == TextReply("t")
    assert WxImageResponse(WxImage("m")).as_reply() == ImageReply("m")
    assert WxVoiceResponse(WxVoice(MediaId="m")).as_reply() == VoiceReply("m")
    assert WxVideoResponse(WxVideo("m", "t", "d")).as_reply() == VideoReply("m", "t", "d")
    music = WxMusic("t", "d", "http://m", "http://hq", ThumbMediaId="thumb")
    assert WxMusicResponse(music).as_reply() == MusicReply("thumb", "t", "d", "http://m", "http://hq")
    news = WxNewsResponse([WxArticle("a", "b", "c", "d"), WxArticle(Title="e")])
    assert isinstance(news.as_reply(), NewsReply)
    assert [a.title for a in news.as_reply().articles] == ["a", "e"]  # type: ignore[attr-defined]
    assert WxEmptyResponse().as_reply() == SuccessReply()
    # a dict works where a record is expected
    assert WxImageResponse({"MediaId": "d"}).as_reply() == ImageReply("d")


def test_records_keep_the_old_positional_order_and_accept_the_documented_spellings() -> None:
    assert WxMusic("t", "d", "m", "hq") == WxMusic(Title="t", Description="d", MusicUrl="m", HQMusicUrl="hq")
    assert WxMusic(Url="m").MusicUrl == "m"
    assert WxArticle("t", "d", "p", "u") == WxArticle(Title="t", Description="d", Picurl="p", Url="u")
    assert WxMusic("t")._replace(Title="u").Title == "u"
    with pytest.raises(TypeError, match="not both"):
        WxMusic(MusicUrl="a", Url="b")
    with pytest.raises(TypeError, match="not both"):
        WxArticle(PicUrl="a", Picurl="b")


def test_responses_are_mutable_and_compare_by_identity() -> None:
    rsp = WxTextResponse("a")
    rsp.text = "b"
    assert rsp.as_reply() == TextReply("b")
    assert rsp != WxTextResponse("b")
    assert "b" not in repr(rsp)


def test_too_many_articles_is_a_render_failure(pusher: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    class App(Bot):
        def on_text(self, text):
            return WxNewsResponse([WxArticle(Title=str(i)) for i in range(9)], text)

    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert pusher.deliver(App(), pusher.text("x")).is_success
    assert "1 to 8 articles" in caplog.text
