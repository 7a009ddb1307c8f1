"""Official-account messages: every MsgType parsed into its typed, frozen class."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from wxkit.errors import ParseError
from wxkit.events import official_registry
from wxkit.messages import (
    MESSAGE_CLASSES,
    ImageMessage,
    LinkMessage,
    LocationMessage,
    ShortVideoMessage,
    TextMessage,
    UnknownMessage,
    VideoMessage,
    VoiceMessage,
)
from wxkit.xmlcodec import parse_xml

HEADER = (
    "<ToUserName><![CDATA[gh_123]]></ToUserName><FromUserName><![CDATA[o_abc]]></FromUserName>"
    "<CreateTime>1348831860</CreateTime>"
)

CASES: list[tuple[str, str, type[Any], dict[str, Any]]] = [
    (
        "text",
        "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId>",
        TextMessage,
        {"content": "this is a test", "msg_id": "1234567890123456", "handler": "on_text"},
    ),
    (
        "image",
        "<PicUrl><![CDATA[http://p/1.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>2</MsgId>",
        ImageMessage,
        {"pic_url": "http://p/1.jpg", "media_id": "m1", "handler": "on_image"},
    ),
    (
        "voice",
        "<MediaId>m2</MediaId><Format>amr</Format><Recognition><![CDATA[腾讯微信团队]]></Recognition>"
        "<MediaId16K>m16</MediaId16K><MsgId>3</MsgId>",
        VoiceMessage,
        {"media_id": "m2", "format": "amr", "recognition": "腾讯微信团队", "media_id_16k": "m16"},
    ),
    (
        "video",
        "<MediaId>m3</MediaId><ThumbMediaId>t3</ThumbMediaId><MsgId>4</MsgId>",
        VideoMessage,
        {"media_id": "m3", "thumb_media_id": "t3", "handler": "on_video"},
    ),
    (
        "shortvideo",
        "<MediaId>m4</MediaId><ThumbMediaId>t4</ThumbMediaId><MsgId>5</MsgId>",
        ShortVideoMessage,
        {"media_id": "m4", "thumb_media_id": "t4", "handler": "on_shortvideo"},
    ),
    (
        "location",
        "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
        "<Label><![CDATA[位置信息]]></Label><MsgId>6</MsgId>",
        LocationMessage,
        {"latitude": 23.134521, "longitude": 113.358803, "scale": 20, "label": "位置信息", "handler": "on_location"},
    ),
    (
        "link",
        "<Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[desc]]></Description>"
        "<Url><![CDATA[http://url]]></Url><MsgId>7</MsgId>",
        LinkMessage,
        {"title": "公众平台官网链接", "description": "desc", "url": "http://url", "handler": "on_link"},
    ),
]


@pytest.mark.parametrize(("msg_type", "body", "cls", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parse(msg_type: str, body: str, cls: type[Any], expected: dict[str, Any]) -> None:
    data = parse_xml(f"<xml>{HEADER}<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>")
    msg = official_registry.parse(data)
    assert type(msg) is cls
    assert (msg.to_user_name, msg.from_user_name, msg.create_time, msg.msg_type) == (
        "gh_123",
        "o_abc",
        1348831860,
        msg_type,
    )
    for name, value in expected.items():
        assert getattr(msg, name) == value, name
    assert msg.raw is data
    assert msg.dedup_key == f"msg:{data['MsgId']}"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        msg.msg_type = "x"


def test_every_message_class_is_covered() -> None:
    assert {c[2] for c in CASES} == set(MESSAGE_CLASSES)


def test_article_comment_fields() -> None:
    data = parse_xml(
        f"<xml>{HEADER}<MsgType>text</MsgType><Content>hi</Content><MsgId>9</MsgId>"
        "<MsgDataId>xxxx</MsgDataId><Idx>1</Idx></xml>"
    )
    msg = official_registry.parse(data)
    assert (msg.msg_data_id, msg.idx) == ("xxxx", "1")


def test_new_fields_are_kept_in_raw() -> None:
    data = parse_xml(f"<xml>{HEADER}<MsgType>text</MsgType><Content>x</Content><BrandNewField>v</BrandNewField></xml>")
    msg = official_registry.parse(data)
    assert msg.raw["BrandNewField"] == "v"


def test_unknown_message_type() -> None:
    data = parse_xml(f"<xml>{HEADER}<MsgType>miniprogrampage</MsgType><Title>t</Title><MsgId>5</MsgId></xml>")
    msg = official_registry.parse(data)
    assert type(msg) is UnknownMessage
    assert msg.handler == "on_unknown"
    assert msg.raw["Title"] == "t"
    assert msg.msg_id == "5"


def test_missing_msg_id_dedups_on_sender_and_time() -> None:
    msg = official_registry.parse(parse_xml(f"<xml>{HEADER}<MsgType>text</MsgType></xml>"))
    assert msg.dedup_key == "o_abc:1348831860:text"


@pytest.mark.parametrize(
    "body",
    [
        "<xml><Content>x</Content></xml>",
        "<xml><MsgType></MsgType></xml>",
        "<xml><MsgType><a>1</a></MsgType></xml>",
        f"<xml>{HEADER.replace('1348831860', 'noon')}<MsgType>text</MsgType></xml>",
        "<xml><MsgType>location</MsgType><Location_X>north</Location_X></xml>",
        "<xml><MsgType>text</MsgType><Content><b>nested</b></Content></xml>",
    ],
)
def test_bad_fields_are_parse_errors(body: str) -> None:
    with pytest.raises(ParseError):
        official_registry.parse(parse_xml(body))
