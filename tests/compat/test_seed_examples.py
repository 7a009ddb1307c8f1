"""Every example of the old ``wechat`` SDK's documentation, run on wxkit.compat.

The old SDK (jeffkit's wechat-python-sdk) documents its inbound framework with a
handful of examples: the URL check and push calls of ``process``, the ``WxApp``
echo class, the seven response constructors, a Django view, a Flask view, and
handlers set on the instance (``app.handlers`` / ``app.event_handlers``) with
per-call credentials. Each is reproduced below as the documentation prints it,
with only the import line changed (``from wechat.official import`` ->
``from wxkit.compat import``), and driven by real signed - and, where the
documentation configures an AES key, encrypted - pushes from
:class:`wxkit.testing.WeChatPusher`; the replies are verified, decrypted and
checked.

Where a documented example cannot run as printed, the test says what it
substitutes: ``aes_key='xxxx'`` is a placeholder (a real EncodingAESKey has 43
characters), and the documentation's query string is a made-up one (its
``&timestamp`` even reads ``×tamp``, an HTML-entity accident), so the tests
build the real query string of a signed push and parse it with the
documentation's own one-liner.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import urlencode

import django
import flask
import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

# The documentation's import line - from wechat.official import WxApplication, WxTextResponse, WxMusic,\
# WxMusicResponse - with only ``wechat.official`` changed to ``wxkit.compat`` (merged by isort with
# the names its response-constructor examples use):
from wxkit.compat import (
    WxApplication,
    WxArticle,
    WxEmptyResponse,
    WxImage,
    WxImageResponse,
    WxMusic,
    WxMusicResponse,
    WxNewsResponse,
    WxTextResponse,
    WxVideo,
    WxVideoResponse,
    WxVoice,
    WxVoiceResponse,
)
from wxkit.testing import Push, PushReply, WeChatPusher


@pytest.fixture
def rf() -> RequestFactory:
    """Django's request factory. Settings are configured here, at run time, and only if nothing
    configured them: tests/adapters/test_django.py configures them when it is collected."""
    if not settings.configured:
        settings.configure(DEBUG=False, SECRET_KEY="wxkit-compat-tests", ALLOWED_HOSTS=["testserver"])
        django.setup()
    return RequestFactory()


#: A real EncodingAESKey for the examples that configure one (the documentation writes 'xxxx').
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


# -- the documentation's WxApp, import line changed ---------------------------------
class WxApp(WxApplication):
    SECRET_TOKEN = "test_token"
    WECHAT_APPID = "wx1234556"
    WECHAT_APPSECRET = "sevcs0j"

    def on_text(self, text):
        return WxTextResponse(text.Content, text)


YourApplication = WxApp  # the documentation's name for "your WxApplication subclass"


def _pusher(token: str = "test_token", **kwargs: Any) -> WeChatPusher:
    # A sender of its own per test: compat applications share one replay-guard storage per
    # process (see wxkit/compat/_app.py), so two tests' pushes must never look alike.
    return WeChatPusher(token, openid=f"o_{uuid.uuid4().hex}", **kwargs)


def _query_from(qs: str) -> dict[str, str]:
    # The documentation's parsing, verbatim.
    query = dict([q.split("=") for q in qs.split("&")])
    return query


# -- "process": the URL check -----------------------------------------------------------
def test_url_check_example() -> None:
    pusher = _pusher()
    params, expected = pusher.url_check("echo-1221")
    qs = urlencode(params)  # the documentation: qs = 'nonce=1221&signature=19selKDJF&timestamp=12312'
    query = _query_from(qs)
    app = YourApplication()
    echo_str = app.process(query, xml=None)
    # 返回echo_str给微信即可
    assert echo_str == expected


def test_url_check_with_a_wrong_signature_raises() -> None:
    pusher = _pusher()
    params, _ = pusher.url_check()
    params["signature"] = "0" * 40
    from wxkit.errors import SignatureError

    with pytest.raises(SignatureError):  # the old SDK returned the text 'invalid request'
        YourApplication().process(params, xml=None)


# -- "process": a push ---------------------------------------------------------------
def test_push_example() -> None:
    pusher = _pusher()
    push = pusher.text("hello from the docs")
    qs = push.query_string
    query = _query_from(qs)
    body = push.body  # the documentation: body = '<xml> ..... </xml>'
    app = YourApplication()
    result = app.process(query, xml=body)
    # 返回result给微信即可
    reply = pusher.read_reply(200, result)
    assert (reply.msg_type, reply.content) == ("text", "hello from the docs")
    assert reply.data["ToUserName"] == pusher.openid
    assert reply.data["FromUserName"] == pusher.account


def test_wxapp_example_echoes_text() -> None:
    pusher = _pusher()
    reply = pusher.deliver(WxApp(), pusher.text("你好"))
    assert reply.content == "你好"


def test_wxapp_example_in_safe_mode() -> None:
    # ENCODING_AES_KEY: "(可选),加密用的SECRET" - the same class with the key configured.
    class SafeWxApp(WxApp):
        ENCODING_AES_KEY = AES_KEY

    pusher = _pusher(app_id="wx1234556", aes_key=AES_KEY)
    push = pusher.text("secret echo")
    assert "secret echo" not in push.body  # the push really is encrypted
    result = SafeWxApp().process(push.params, push.body)
    reply = pusher.read_reply(200, result)
    assert reply.encrypted
    assert reply.content == "secret echo"
    assert "secret echo" not in result


def test_documented_defaults_for_unhandled_types() -> None:
    # UNSUPPORT_TXT / WELCOME_TXT: optional; the old SDK's defaults apply when unset.
    pusher = _pusher()
    assert pusher.deliver(WxApp(), pusher.image()).content == "暂不支持此类型消息"
    assert pusher.deliver(WxApp(), pusher.subscribe()).content == "你好！感谢您的关注！"

    class Configured(WxApp):
        UNSUPPORT_TXT = "text only, please"
        WELCOME_TXT = "welcome aboard"

    pusher = _pusher()  # another follower: the same subscribe in the same second is a retry
    assert pusher.deliver(Configured(), pusher.image()).content == "text only, please"
    assert pusher.deliver(Configured(), pusher.subscribe()).content == "welcome aboard"


# -- the response constructors, each as the documentation writes it ------------------
CONSTRUCTORS: dict[str, Any] = {
    "text": lambda req: WxTextResponse("hello", req),
    "image": lambda req: WxImageResponse(WxImage(MediaId="xxyy"), req),
    "voice": lambda req: WxVoiceResponse(WxVoice(MediaId="xxyy"), req),
    "video": lambda req: WxVideoResponse(WxVideo(MediaId="xxyy", Title="video", Description="test"), req),
    "music": lambda req: WxMusicResponse(
        WxMusic(
            Title="hey jude",
            Description="dont make it bad",
            PicUrl="http://heyjude.com/logo.png",
            Url="http://heyjude.com/mucis.mp3",
        ),
        req,
    ),
    "news": lambda req: WxNewsResponse(
        WxArticle(
            Title="test news",
            Description="this is a test",
            Picurl="http://smpic.com/pic.jpg",
            Url="http://github.com/jeffkit",
        ),
        req,
    ),
    "empty": lambda req: WxEmptyResponse(req),
}

EXPECTED: dict[str, dict[str, Any]] = {
    "text": {"MsgType": "text", "Content": "hello"},
    "image": {"MsgType": "image", "Image": {"MediaId": "xxyy"}},
    "voice": {"MsgType": "voice", "Voice": {"MediaId": "xxyy"}},
    "video": {"MsgType": "video", "Video": {"MediaId": "xxyy", "Title": "video", "Description": "test"}},
    "music": {
        "MsgType": "music",
        "Music": {
            "Title": "hey jude",
            "Description": "dont make it bad",
            "MusicUrl": "http://heyjude.com/mucis.mp3",
            "HQMusicUrl": "",
            "ThumbMediaId": "",
        },
    },
    "news": {
        "MsgType": "news",
        "ArticleCount": "1",
        "Articles": {
            "item": {
                "Title": "test news",
                "Description": "this is a test",
                "PicUrl": "http://smpic.com/pic.jpg",
                "Url": "http://github.com/jeffkit",
            }
        },
    },
}


class ResponsesApp(WxApp):
    """Answers a text naming a constructor with that constructor's response."""

    def on_text(self, text):
        return CONSTRUCTORS[text.Content](text)


@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe-mode"])
@pytest.mark.parametrize("kind", sorted(CONSTRUCTORS))
def test_response_constructors(kind: str, safe: bool, caplog: pytest.LogCaptureFixture) -> None:
    if safe:
        pusher = _pusher(app_id="wx1234556", aes_key=AES_KEY)
        app = ResponsesApp(aes_key=AES_KEY)
    else:
        pusher = _pusher()
        app = ResponsesApp()
    with caplog.at_level(logging.WARNING, logger="wxkit.compat"):
        reply = pusher.deliver(app, pusher.text(kind))
    assert reply.status == 200
    assert reply.encrypted is (safe and kind != "empty")
    if kind == "empty":
        assert reply.is_success
        return
    assert reply.data["ToUserName"] == pusher.openid
    assert reply.data["FromUserName"] == pusher.account
    assert int(reply.data["CreateTime"]) > 0
    for key, value in EXPECTED[kind].items():
        assert reply.data[key] == value, key
    if kind == "music":
        # WeChat's music reply has no picture URL and requires ThumbMediaId: never silent
        assert "heyjude.com/logo.png" not in reply.xml
        assert "ThumbMediaId" in caplog.text


# -- every on_xxx the documentation lists ---------------------------------------------
def _events(pusher: WeChatPusher) -> dict[str, tuple[Push, str]]:
    """handler name -> (a push it handles, the field the handler echoes)."""
    scan = {"ScanType": "qrcode", "ScanResult": "scanned"}
    pics = {"Count": "1", "PicList": {"item": {"PicMd5Sum": "md5"}}}
    location = {"Location_X": "23.1", "Location_Y": "113.3", "Scale": "15", "Label": "here", "Poiname": ""}
    return {
        "on_text": (pusher.text("hi"), "Content"),
        "on_link": (pusher.link("http://example.invalid/a", title="A link"), "Url"),
        "on_image": (pusher.image(media_id="m-1"), "MediaId"),
        "on_voice": (pusher.voice(media_id="v-1"), "MediaId"),
        "on_video": (pusher.message("video", MediaId="vid-1", ThumbMediaId="th-1"), "MediaId"),
        "on_location": (pusher.location(label="the office"), "Label"),
        "on_subscribe": (pusher.subscribe(), "Event"),
        "on_unsubscribe": (pusher.event("unsubscribe", EventKey=""), "Event"),
        "on_click": (pusher.click("MENU_KEY"), "EventKey"),
        "on_scan": (pusher.event("SCAN", EventKey="42", Ticket="tk"), "Ticket"),
        "on_location_update": (
            pusher.event("LOCATION", Latitude="23.1", Longitude="113.3", Precision="119.3"),
            "Latitude",
        ),
        "on_view": (pusher.event("VIEW", EventKey="http://example.invalid/menu"), "EventKey"),
        "on_scancode_push": (pusher.event("scancode_push", EventKey="k1", ScanCodeInfo=scan), "EventKey"),
        "on_scancode_waitmsg": (pusher.event("scancode_waitmsg", EventKey="k2", ScanCodeInfo=scan), "EventKey"),
        "on_pic_sysphoto": (pusher.event("pic_sysphoto", EventKey="k3", SendPicsInfo=pics), "EventKey"),
        "on_pic_photo_or_album": (
            pusher.event("pic_photo_or_album", EventKey="k4", SendPicsInfo=pics),
            "EventKey",
        ),
        "on_pic_weixin": (pusher.event("pic_weixin", EventKey="k5", SendPicsInfo=pics), "EventKey"),
        "on_location_select": (
            pusher.event("location_select", EventKey="k6", SendLocationInfo=location),
            "EventKey",
        ),
    }


HANDLERS = sorted(_events(WeChatPusher("t")))


def _answer(name: str, field: str):
    def handler(self, req):
        # The attributes every message has (the documentation's list), then the type's own field.
        common = [req.ToUserName, req.FromUserName, req.CreateTime, req.MsgType]
        if req.MsgType != "event":
            common.append(req.MsgId)
        return WxTextResponse("|".join([name, *common, getattr(req, field)]), req)

    return handler


def test_the_documentation_lists_eighteen_handlers() -> None:
    assert len(HANDLERS) == 18


@pytest.mark.parametrize("name", HANDLERS)
def test_every_documented_handler(name: str) -> None:
    pusher = _pusher()
    push, field = _events(pusher)[name]

    class EveryHandler(WxApplication):
        SECRET_TOKEN = "test_token"

    for handler_name, (_, handler_field) in _events(pusher).items():
        setattr(EveryHandler, handler_name, _answer(handler_name, handler_field))

    reply = pusher.deliver(EveryHandler(), push)
    parts = reply.content.split("|")
    assert parts[0] == name
    assert parts[1:5] == [pusher.account, pusher.openid, str(push.fields["CreateTime"]), push.fields["MsgType"]]
    if push.fields["MsgType"] != "event":
        assert parts[5] == str(push.fields["MsgId"])
    assert parts[-1] == str(push.fields[field])


def test_image_request_has_pic_url_and_media_id() -> None:
    # "MsgType为image的req,则有PicUrl及MediaId两个属性"
    seen: list[tuple[str, str]] = []

    class App(WxApp):
        def on_image(self, image):
            seen.append((image.PicUrl, image.MediaId))
            return WxEmptyResponse(image)

    pusher = _pusher()
    assert pusher.deliver(App(), pusher.image(media_id="m-9", pic_url="http://example.invalid/9.jpg")).is_success
    assert seen == [("http://example.invalid/9.jpg", "m-9")]


# -- the Django view -----------------------------------------------------------------
def wechat(request):
    app = WxApp()
    result = app.process(request.GET, request.body)
    return HttpResponse(result)


def _django_reply(pusher: WeChatPusher, response: HttpResponse) -> PushReply:
    return pusher.read_reply(response.status_code, response.content.decode())


def test_django_view_example(rf: RequestFactory) -> None:
    pusher = _pusher()
    params, expected = pusher.url_check("django-echo")
    response = wechat(rf.get("/wechat/", params))
    assert (response.status_code, response.content.decode()) == (200, expected)

    push = pusher.text("from django")
    response = wechat(rf.post(f"/wechat/?{push.query_string}", data=push.body, content_type="text/xml"))
    assert _django_reply(pusher, response).content == "from django"


# -- the Flask view ------------------------------------------------------------------
def test_flask_view_example() -> None:
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/wechat")
    def wechat():
        app = WxApp()
        return app.process(request.args, request.data)

    client = app.test_client()
    pusher = _pusher()
    params, expected = pusher.url_check("flask-echo")
    response = client.get("/wechat", query_string=params)
    assert (response.status_code, response.get_data(as_text=True)) == (200, expected)

    # As printed, the route accepts GET only (Flask's default), so WeChat's POSTs get 405 from Flask.
    push = pusher.text("from flask")
    assert client.post("/wechat", query_string=push.params, data=push.body).status_code == 405


def test_flask_view_example_with_post_allowed() -> None:
    # The same view with methods=["GET", "POST"], which receiving pushes needs.
    app = flask.Flask(__name__)

    @app.route("/wechat", methods=["GET", "POST"])
    def wechat():
        app = WxApp()
        return app.process(flask.request.args, flask.request.data)

    client = app.test_client()
    pusher = _pusher()
    push = pusher.text("from flask")
    response = client.post("/wechat", query_string=push.params, data=push.body, content_type="text/xml")
    assert pusher.read_reply(response.status_code, response.get_data(as_text=True)).content == "from flask"


# -- handlers written anywhere, credentials per call ---------------------------------
def my_text_handler(req):
    return WxTextResponse(req.Content, req)


def wechat_view(request):
    app = WxApplication()  # 实例化基类就好。
    app.handlers = {"text": my_text_handler}  # 设置你自己的处理器
    # The documentation writes token='xxxx', app_id='xxxx', aes_key='xxxx'; 'xxxx' is no
    # EncodingAESKey (43 characters), so a real one stands in for it.
    result = app.process(request.GET, request.body, token="xxxx", app_id="xxxx", aes_key=AES_KEY)
    return HttpResponse(result)


def test_custom_handlers_view_example(rf: RequestFactory) -> None:
    pusher = _pusher("xxxx", app_id="xxxx", aes_key=AES_KEY)
    params, expected = pusher.url_check("custom-echo")
    response = wechat_view(rf.get("/wechat/", params))
    assert (response.status_code, response.content.decode()) == (200, expected)

    push = pusher.text("handled anywhere")
    response = wechat_view(rf.post(f"/wechat/?{push.query_string}", data=push.body, content_type="text/xml"))
    reply = _django_reply(pusher, response)
    assert reply.encrypted
    assert reply.content == "handled anywhere"

    # a type the handlers dict does not cover gets UNSUPPORT_TXT, as in the old SDK
    push = pusher.image()
    response = wechat_view(rf.post(f"/wechat/?{push.query_string}", data=push.body, content_type="text/xml"))
    assert _django_reply(pusher, response).content == "暂不支持此类型消息"


def test_custom_event_handlers_example() -> None:
    # "如果要针对事件自定义handlers的话,要修改app.event_handlers,数据的格式是一样的"
    def my_subscribe_handler(req):
        return WxTextResponse(f"welcome {req.FromUserName} via {req.Event}", req)

    pusher = _pusher("xxxx")
    push = pusher.subscribe()
    app = WxApplication()
    app.event_handlers = {"subscribe": my_subscribe_handler}
    result = app.process(push.params, push.body, token="xxxx")
    assert pusher.read_reply(200, result).content == f"welcome {pusher.openid} via subscribe"


def test_base_application_without_a_token_says_so() -> None:
    from wxkit.errors import ConfigError

    pusher = _pusher("xxxx")
    push = pusher.text("x")
    with pytest.raises(ConfigError, match="token"):
        WxApplication().process(push.params, push.body)
