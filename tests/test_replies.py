"""Reply rendering: every type, addressing, and CDATA safety."""

from __future__ import annotations

import pytest

from wxkit.replies import (
    Article,
    ImageReply,
    MusicReply,
    NewsReply,
    SuccessReply,
    TextReply,
    TransferCustomerServiceReply,
    VideoReply,
    VoiceReply,
)
from wxkit.xmlcodec import parse_xml


def render(reply: object) -> dict:  # type: ignore[type-arg]
    xml = reply.render("o_user", "gh_account", 1700000000)  # type: ignore[attr-defined]
    data = parse_xml(xml)
    assert (data["ToUserName"], data["FromUserName"], data["CreateTime"]) == ("o_user", "gh_account", "1700000000")
    return data


def test_text() -> None:
    assert render(TextReply("hello")) == {
        "ToUserName": "o_user",
        "FromUserName": "gh_account",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "hello",
    }


def test_media_replies() -> None:
    assert render(ImageReply("m1"))["Image"] == {"MediaId": "m1"}
    assert render(VoiceReply("m2"))["Voice"] == {"MediaId": "m2"}
    assert render(VideoReply("m3", "t", "d"))["Video"] == {"MediaId": "m3", "Title": "t", "Description": "d"}
    music = render(MusicReply("thumb", "song", "desc", "http://m", "http://hq"))
    assert music["MsgType"] == "music"
    assert music["Music"] == {
        "Title": "song",
        "Description": "desc",
        "MusicUrl": "http://m",
        "HQMusicUrl": "http://hq",
        "ThumbMediaId": "thumb",
    }


def test_news_with_one_and_eight_articles() -> None:
    one = render(NewsReply([Article("t", "d", "http://p", "http://u")]))
    assert one["ArticleCount"] == "1"
    assert one["Articles"]["item"] == {"Title": "t", "Description": "d", "PicUrl": "http://p", "Url": "http://u"}
    eight = render(NewsReply([Article(f"t{i}") for i in range(8)]))
    assert eight["ArticleCount"] == "8"
    assert [a["Title"] for a in eight["Articles"]["item"]] == [f"t{i}" for i in range(8)]


@pytest.mark.parametrize("count", [0, 9])
def test_news_needs_one_to_eight_articles(count: int) -> None:
    with pytest.raises(ValueError, match="1 to 8"):
        NewsReply([Article("t")] * count)


def test_news_articles_must_be_articles() -> None:
    with pytest.raises(TypeError):
        NewsReply(["not an article"])  # type: ignore[list-item]


def test_transfer_customer_service() -> None:
    assert "TransInfo" not in render(TransferCustomerServiceReply())
    assert render(TransferCustomerServiceReply("kf@x"))["TransInfo"] == {"KfAccount": "kf@x"}


def test_success() -> None:
    assert SuccessReply().render("a", "b", 1) == "success"


@pytest.mark.parametrize(
    "hostile",
    ["]]>", "a]]><ToUserName>attacker</ToUserName><![CDATA[", "]]]]>", "<![CDATA[", "x]]>]]>]]>y", "😀\u3000"],
)
def test_user_text_never_escapes_cdata(hostile: str) -> None:
    for reply, path in [
        (TextReply(hostile), ("Content",)),
        (VideoReply("m", hostile, hostile), ("Video", "Title")),
        (NewsReply([Article(hostile, hostile)]), ("Articles", "item", "Title")),
    ]:
        data = render(reply)
        value = data
        for key in path:
            value = value[key]
        assert value == hostile
        assert data["ToUserName"] == "o_user"


def test_illegal_xml_characters_are_dropped() -> None:
    assert render(TextReply("a\x00b\x07c"))["Content"] == "abc"
