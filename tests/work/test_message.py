"""WorkClient.message over real HTTP against the emulator, sync and async: sends, partial sends, recall, cards."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import AccessTokenError, APIError, ConfigError, InvalidArgumentError, PermissionDeniedError
from wxkit.testing.work import CorpState
from wxkit.work import SendResult


def test_send_text_to_users_is_recorded(work_client: Any, corp: CorpState) -> None:
    result = work_client.message.send_text("hello", touser=["alice", "bob"], safe=True)
    assert isinstance(result, SendResult)
    assert result.ok
    assert isinstance(result.msgid, str)
    assert result.msgid
    assert result.invalid_users == ()
    assert result.raw["errcode"] == 0
    sent = corp.sent[-1]
    assert sent["msgid"] == result.msgid
    assert sent["agentid"] == 1000002
    assert sent["touser"] == ["alice", "bob"]
    assert sent["content"] == {"content": "hello"}
    assert sent["safe"] == 1


def test_send_to_party_tag_and_all(work_client: Any, corp: CorpState) -> None:
    corp.tags[7] = {"tagid": 7, "tagname": "ops", "userlist": ["alice"], "partylist": []}
    assert work_client.message.send_markdown("**hi**", toparty=[2]).ok
    assert corp.sent[-1]["touser"] == ["bob"]
    assert work_client.message.send_text("t", totag=[7]).ok
    assert corp.sent[-1]["touser"] == ["alice"]
    assert work_client.message.send_text("all", touser="@all").ok
    assert corp.sent[-1]["touser"] == ["alice", "bob"]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "msgtype"),
    [
        ("send_image", ("MEDIA",), {}, "image"),
        ("send_voice", ("MEDIA",), {}, "voice"),
        ("send_video", ("MEDIA",), {"title": "t", "description": "d"}, "video"),
        ("send_file", ("MEDIA",), {}, "file"),
        ("send_textcard", ("title", "desc", "https://example.com"), {"btntxt": "More"}, "textcard"),
        ("send_news", ([{"title": "a", "url": "https://example.com"}],), {}, "news"),
        ("send_mpnews", ([{"title": "a", "thumb_media_id": "M", "content": "c"}],), {}, "mpnews"),
        ("send_miniprogram_notice", ({"appid": "wx1", "title": "t"},), {}, "miniprogram_notice"),
        ("send_template_card", ({"card_type": "text_notice", "main_title": {"title": "t"}},), {}, "template_card"),
    ],
)
def test_every_message_type(
    work_client: Any, corp: CorpState, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], msgtype: str
) -> None:
    result = getattr(work_client.message, method)(*args, touser=["alice"], **kwargs)
    assert result.ok
    assert corp.sent[-1]["msgtype"] == msgtype
    assert corp.sent[-1]["touser"] == ["alice"]


def test_partial_send_lists_the_invalid_recipients(work_client: Any, corp: CorpState) -> None:
    result = work_client.message.send_text("hi", touser=["alice", "ghost", "nobody"], toparty=[99], totag=[42])
    assert not result.ok
    assert result.invalid_users == ("ghost", "nobody")
    assert result.invalid_parties == ("99",)
    assert result.invalid_tags == ("42",)
    assert result.raw["invaliduser"] == "ghost|nobody"  # |-joined on the wire, a tuple here
    assert corp.sent[-1]["touser"] == ["alice"]


def test_every_recipient_invalid_is_81013(work_client: Any, corp: CorpState) -> None:
    count = len(corp.sent)
    with pytest.raises(InvalidArgumentError) as info:
        work_client.message.send_text("hi", touser=["ghost"])
    assert info.value.errcode == 81013
    assert len(corp.sent) == count


def test_no_recipient_and_bad_type_are_refused_before_sending(work_client: Any, corp: CorpState) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        work_client.message.send_text("hi")
    assert info.value.errcode == 40035
    with pytest.raises(InvalidArgumentError):
        work_client.message.send("telegram", {"x": 1}, touser="alice")


def test_agent_id_defaults_to_the_clients_and_is_required(make_work_client: Any, corp: CorpState) -> None:
    client = make_work_client(corp.secrets["1000002"])
    with pytest.raises(ConfigError):
        client.message.send_text("hi", touser="alice")
    assert client.message.send_text("hi", touser="alice", agent_id=1000002).ok
    with pytest.raises(ConfigError):
        make_work_client(corp.secrets["1000002"], agent_id="1000002")


def test_another_apps_agentid_is_refused(work_client: Any, corp: CorpState) -> None:
    corp.add_app(1000003)
    with pytest.raises(PermissionDeniedError) as info:
        work_client.message.send_text("hi", touser="alice", agent_id=1000003)
    assert info.value.errcode == 301002
    with pytest.raises(APIError) as unknown:
        work_client.message.send_text("hi", touser="alice", agent_id=5)
    assert unknown.value.errcode == 40056


def test_duplicate_check_sends_once(work_client: Any, corp: CorpState) -> None:
    first = work_client.message.send_text("once", touser="alice", enable_duplicate_check=True)
    count = len(corp.sent)
    again = work_client.message.send_text(
        "once", touser="alice", enable_duplicate_check=True, duplicate_check_interval=600
    )
    assert again.msgid == first.msgid
    assert len(corp.sent) == count


def test_recall(work_client: Any, corp: CorpState) -> None:
    msgid = work_client.message.send_text("oops", touser="alice").msgid
    work_client.message.recall(msgid)
    assert corp.sent[-1]["recalled"] is True
    with pytest.raises(APIError) as info:
        work_client.message.recall("no-such-msgid")
    assert info.value.errcode == 40058


def test_update_template_card(work_client: Any, corp: CorpState) -> None:
    card = {"card_type": "button_interaction", "main_title": {"title": "Approve?"}, "task_id": "t1"}
    sent = work_client.message.send_template_card(card, touser=["alice", "bob"])
    assert sent.response_code
    result = work_client.message.update_template_card(
        sent.response_code, userids=["alice", "ghost"], replace_name="Approved"
    )
    assert result.invalid_users == ("ghost",)
    assert not result.ok
    assert corp.sent[-1]["body"]["button"] == {"replace_name": "Approved"}
    with pytest.raises(InvalidArgumentError):
        work_client.message.update_template_card(sent.response_code, userids=["alice"])


def test_wrong_secret_is_40001(make_work_client: Any, corp: CorpState) -> None:
    client = make_work_client("not-the-secret", agent_id=1000002)
    with pytest.raises(AccessTokenError) as info:
        client.message.send_text("hi", touser="alice")
    assert info.value.errcode == 40001
    assert "not-the-secret" not in str(info.value)


def test_a_token_from_another_corp_is_refused(make_work_client: Any, corp: CorpState, wechat_emulator: Any) -> None:
    other = wechat_emulator.add_corp(f"{corp.corpid}x")
    other_secret = other.add_app(1000009)
    # Another corp's secret under this corpid: gettoken refuses it.
    with pytest.raises(AccessTokenError) as info:
        make_work_client(other_secret, agent_id=1000002).get_access_token()
    assert info.value.errcode == 40001
    # A token of the other corp handed in by a token source: this corp's app and members are out of its reach.
    other_token = make_work_client(other_secret, corpid=other.corpid).get_access_token()
    client = make_work_client(None, agent_id=1000002, token_source=lambda: other_token)
    with pytest.raises(APIError) as send:
        client.message.send_text("hi", touser="alice")
    assert send.value.errcode == 40056
    with pytest.raises(APIError) as lookup:
        client.user.get("alice")
    assert lookup.value.errcode == 60111


def test_the_raw_escape_hatch(work_client: Any, corp: CorpState) -> None:
    answer = work_client.post(
        "/cgi-bin/message/send", {"touser": "alice", "msgtype": "text", "agentid": 1000002, "text": {"content": "raw"}}
    )
    assert answer["errcode"] == 0
    assert corp.sent[-1]["content"] == {"content": "raw"}
    assert work_client.get("/cgi-bin/user/get", {"userid": "bob"})["name"] == "Bob"
    assert "secret" not in repr(work_client)
