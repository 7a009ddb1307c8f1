"""client.message against the emulator: customer-service messages, typing, mass sends."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import Client
from wxkit.errors import APIError, InvalidArgumentError, RateLimitError, UserStateError
from wxkit.testing import AppState, Emulator

OPENID = "o_user_1"
WINDOW = 48 * 3600


@pytest.fixture
def user(wechat_emulator: Emulator, wechat_app: AppState) -> str:
    """A follower who messaged the account just now (inside the 48-hour window)."""
    wechat_app.add_follower(OPENID)
    wechat_app.touch(OPENID, wechat_emulator.now())
    return OPENID


def raises(client: Client, cls: type[APIError], errcode: int, call: Any, *args: Any, **kwargs: Any) -> APIError:
    """Call and check the error's class, errcode, and that no token leaks into its text."""
    with pytest.raises(cls) as info:
        call(*args, **kwargs)
    assert info.value.errcode == errcode
    assert client.access_token not in str(info.value)
    return info.value


CUSTOM = [
    ("send_text", ("hello",), {}, "text", {"content": "hello"}),
    ("send_image", ("M1",), {}, "image", {"media_id": "M1"}),
    ("send_voice", ("M1",), {}, "voice", {"media_id": "M1"}),
    (
        "send_video",
        ("M1",),
        {"thumb_media_id": "T1", "title": "t"},
        "video",
        {"media_id": "M1", "thumb_media_id": "T1", "title": "t"},
    ),
    (
        "send_music",
        ("http://m", "http://hq", "T1"),
        {"title": "song"},
        "music",
        {"musicurl": "http://m", "hqmusicurl": "http://hq", "thumb_media_id": "T1", "title": "song"},
    ),
    (
        "send_news",
        ([{"title": "a", "url": "http://a"}],),
        {},
        "news",
        {"articles": [{"title": "a", "url": "http://a"}]},
    ),
    ("send_mpnews", ("M1",), {}, "mpnews", {"media_id": "M1"}),
    ("send_mpnewsarticle", ("A1",), {}, "mpnewsarticle", {"article_id": "A1"}),
    (
        "send_msgmenu",
        ({"101": "yes", "102": "no"},),
        {"head_content": "Happy?", "tail_content": "thanks"},
        "msgmenu",
        {
            "head_content": "Happy?",
            "list": [{"id": "101", "content": "yes"}, {"id": "102", "content": "no"}],
            "tail_content": "thanks",
        },
    ),
    (
        "send_miniprogrampage",
        ("Shop", "wx_mini", "pages/index", "T1"),
        {},
        "miniprogrampage",
        {"title": "Shop", "appid": "wx_mini", "pagepath": "pages/index", "thumb_media_id": "T1"},
    ),
    ("send_wxcard", ("C1",), {}, "wxcard", {"card_id": "C1"}),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "msgtype", "obj"), CUSTOM, ids=[c[0] for c in CUSTOM])
def test_custom_send_each_type(
    wechat_client: Client,
    wechat_app: AppState,
    user: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    msgtype: str,
    obj: dict[str, Any],
) -> None:
    answer = getattr(wechat_client.message, method)(user, *args, **kwargs)
    assert answer == {"errcode": 0, "errmsg": "ok"}
    assert wechat_app.sent == [{"kind": "custom", "touser": user, "msgtype": msgtype, msgtype: obj}]


def test_custom_send_as_kf_account_and_generic_send(wechat_client: Client, wechat_app: AppState, user: str) -> None:
    wechat_client.message.send_text(user, "hi", kf_account="kf01@account")
    wechat_client.message.send(user, "text", {"content": "raw"})
    assert wechat_app.sent[0]["customservice"] == {"kf_account": "kf01@account"}
    assert wechat_app.sent[1] == {"kind": "custom", "touser": user, "msgtype": "text", "text": {"content": "raw"}}


def test_custom_send_errors(wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState, user: str) -> None:
    msg = wechat_client.message
    raises(wechat_client, InvalidArgumentError, 40003, msg.send_text, "o_stranger", "hi")
    raises(wechat_client, InvalidArgumentError, 40008, msg.send, user, "hologram", {"x": 1})
    two = [{"title": "a", "url": "http://a"}, {"title": "b", "url": "http://b"}]
    raises(wechat_client, InvalidArgumentError, 45008, msg.send_news, user, two)
    wechat_app.add_follower("o_left", subscribe=0)
    wechat_app.touch("o_left", wechat_emulator.now())
    raises(wechat_client, UserStateError, 43004, msg.send_text, "o_left", "hi")
    wechat_app.add_follower("o_silent")
    raises(wechat_client, UserStateError, 45015, msg.send_text, "o_silent", "hi")
    assert wechat_app.sent == []


def test_custom_send_window_closes_after_48_hours(wechat_client: Client, wechat_emulator: Emulator, user: str) -> None:
    wechat_emulator.advance(WINDOW - 60)
    wechat_client.message.send_text(user, "still in time")
    wechat_emulator.advance(61)
    err = raises(wechat_client, UserStateError, 45015, wechat_client.message.send_text, user, "too late")
    assert "out of time limit" in err.errmsg


def test_custom_send_quota(wechat_client: Client, wechat_app: AppState, user: str) -> None:
    wechat_app.quota_limits["/cgi-bin/message/custom/send"] = 1
    wechat_client.message.send_text(user, "one")
    raises(wechat_client, RateLimitError, 45009, wechat_client.message.send_text, user, "two")
    assert len(wechat_app.sent) == 1


def test_typing(wechat_client: Client, wechat_app: AppState, user: str) -> None:
    assert wechat_client.message.typing(user) == {"errcode": 0, "errmsg": "ok"}
    assert wechat_app.data["typing"][user] == "Typing"
    wechat_client.message.typing(user, command="CancelTyping")
    assert wechat_app.data["typing"][user] == "CancelTyping"
    raises(wechat_client, APIError, 45072, wechat_client.message.typing, user, command="Dancing")
    wechat_app.add_follower("o_silent")
    raises(wechat_client, UserStateError, 45015, wechat_client.message.typing, "o_silent")


# -- mass sends --------------------------------------------------------------------------------
@pytest.fixture
def audience(wechat_app: AppState) -> AppState:
    wechat_app.add_follower("o_a", tagid_list=[2])
    wechat_app.add_follower("o_b", tagid_list=[2, 3])
    wechat_app.add_follower("o_c")
    wechat_app.add_follower("o_gone", subscribe=0, tagid_list=[2])
    return wechat_app


@pytest.mark.parametrize(
    ("tag_id", "recipients"), [(None, ["o_a", "o_b", "o_c"]), (2, ["o_a", "o_b"]), (3, ["o_b"]), (9, [])]
)
def test_mass_send_by_tag(wechat_client: Client, audience: AppState, tag_id: int | None, recipients: list[str]) -> None:
    answer = wechat_client.message.mass_send_by_tag("mpnews", "NEWS_ID", tag_id=tag_id, send_ignore_reprint=True)
    assert answer["errcode"] == 0
    assert isinstance(answer["msg_id"], int)
    assert isinstance(answer["msg_data_id"], int)
    sent = audience.sent[-1]
    assert sent["kind"] == "mass"
    assert sent["msg_id"] == answer["msg_id"]
    assert sent["recipients"] == recipients
    expected_filter = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
    assert sent["filter"] == expected_filter
    assert sent["mpnews"] == {"media_id": "NEWS_ID"}
    assert sent["send_ignore_reprint"] == 1


@pytest.mark.parametrize(
    ("msgtype", "content", "key", "obj"),
    [
        ("text", "hello all", "text", {"content": "hello all"}),
        ("voice", "V1", "voice", {"media_id": "V1"}),
        ("image", "I1", "images", {"media_ids": ["I1"]}),
        (
            "image",
            {"media_ids": ["I1", "I2"], "recommend": "r"},
            "images",
            {"media_ids": ["I1", "I2"], "recommend": "r"},
        ),
        ("mpvideo", "VID", "mpvideo", {"media_id": "VID"}),
        ("wxcard", "CARD", "wxcard", {"card_id": "CARD"}),
    ],
)
def test_mass_send_by_openids_content_shapes(
    wechat_client: Client, audience: AppState, msgtype: Any, content: Any, key: str, obj: dict[str, Any]
) -> None:
    answer = wechat_client.message.mass_send_by_openids(["o_a", "o_c", "o_unknown"], msgtype, content)
    assert "msg_data_id" not in answer
    sent = audience.sent[-1]
    assert sent["msgtype"] == msgtype
    assert sent[key] == obj
    assert sent["touser"] == ["o_a", "o_c", "o_unknown"]
    assert sent["recipients"] == ["o_a", "o_c"]


def test_mass_send_errors(wechat_client: Client, wechat_emulator: Emulator, audience: AppState) -> None:
    msg = wechat_client.message
    raises(wechat_client, InvalidArgumentError, 40130, msg.mass_send_by_openids, ["o_a"], "text", "alone")
    first = msg.mass_send_by_tag("text", "once", clientmsgid="batch-1")
    err = raises(wechat_client, APIError, 45065, msg.mass_send_by_tag, "text", "twice", clientmsgid="batch-1")
    assert type(err) is APIError  # a duplicate clientmsgid: the first job's msg_id, not a bad argument
    assert err.response["msg_id"] == first["msg_id"]
    wechat_emulator.advance(24 * 3600)
    assert msg.mass_send_by_tag("text", "next day", clientmsgid="batch-1")["msg_id"] != first["msg_id"]
    audience.quota_limits["/cgi-bin/message/mass/sendall"] = audience.quota["/cgi-bin/message/mass/sendall"]
    raises(wechat_client, RateLimitError, 45009, msg.mass_send_by_tag, "text", "over quota")


def test_mass_preview(wechat_client: Client, audience: AppState) -> None:
    msg = wechat_client.message
    answer = msg.mass_preview("image", "I1", touser="o_a")
    assert answer["errmsg"] == "preview success"
    assert audience.sent[-1] == {
        "kind": "mass_preview",
        "msg_id": answer["msg_id"],
        "touser": "o_a",
        "msgtype": "image",
        "image": {"media_id": "I1"},
    }
    msg.mass_preview("text", "hi", towxname="some_wechat_id")
    assert audience.sent[-1]["towxname"] == "some_wechat_id"
    raises(wechat_client, InvalidArgumentError, 40003, msg.mass_preview, "text", "hi", touser="o_nobody")
    with pytest.raises(ValueError, match="exactly one"):
        msg.mass_preview("text", "hi")


def test_mass_status_delete_and_speed(wechat_client: Client, audience: AppState) -> None:
    msg = wechat_client.message
    msg_id = msg.mass_send_by_tag("mpnews", "NEWS_ID")["msg_id"]
    assert msg.mass_status(msg_id) == {"msg_id": msg_id, "msg_status": "SEND_SUCCESS"}
    assert msg.mass_delete(msg_id, article_idx=2) == {"errcode": 0, "errmsg": "ok"}
    assert msg.mass_status(msg_id)["msg_status"] == "SEND_SUCCESS"
    msg.mass_delete(msg_id)
    assert msg.mass_status(msg_id)["msg_status"] == "DELETE"
    raises(wechat_client, InvalidArgumentError, 40059, msg.mass_status, 123)
    raises(wechat_client, InvalidArgumentError, 40059, msg.mass_delete, 123)
    assert msg.get_mass_speed() == {"speed": 0, "realspeed": 80}
    msg.set_mass_speed(3)
    assert msg.get_mass_speed() == {"speed": 3, "realspeed": 30}
    raises(wechat_client, APIError, 45083, msg.set_mass_speed, 5)
