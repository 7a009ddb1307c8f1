"""WorkClient.oauth over real HTTP against the emulator, sync and async: authorize URL, codes, user tickets."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from wxkit import APIError, ConfigError, InvalidArgumentError
from wxkit.testing import Emulator
from wxkit.testing.routes.work_oauth import issue_work_oauth_code
from wxkit.testing.work import CorpState
from wxkit.work import WorkOAuthUser, WorkUserDetail


def test_authorize_url(work_client: Any, corp: CorpState) -> None:
    url = work_client.oauth.authorize_url("https://app.example.com/cb?x=1", state="abc123")
    parts = urlsplit(url)
    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert parts.fragment == "wechat_redirect"
    query = parse_qs(parts.query)
    assert query["appid"] == [corp.corpid]
    assert query["redirect_uri"] == ["https://app.example.com/cb?x=1"]
    assert query["scope"] == ["snsapi_base"]
    assert query["state"] == ["abc123"]
    assert query["agentid"] == ["1000002"]
    for bad in ({"scope": "snsapi_userinfo"}, {"state": "no spaces"}):
        with pytest.raises(ConfigError):
            work_client.oauth.authorize_url("https://app.example.com/cb", **bad)


def test_privateinfo_needs_an_agent(contacts_client: Any) -> None:
    with pytest.raises(ConfigError):
        contacts_client.oauth.authorize_url("https://app.example.com/cb", scope="snsapi_privateinfo")
    url = contacts_client.oauth.authorize_url("https://a.example.com/", scope="snsapi_privateinfo", agent_id=7)
    assert "agentid=7" in url


def test_member_signs_in_and_shares_details(work_client: Any, corp: CorpState, wechat_emulator: Emulator) -> None:
    code = issue_work_oauth_code(wechat_emulator, corp, "alice", scope="snsapi_privateinfo")
    who = work_client.oauth.get_user_info(code)
    assert isinstance(who, WorkOAuthUser)
    assert who.is_member
    assert who.userid == "alice"
    assert who.user_ticket
    assert who.user_ticket not in repr(who)
    detail = work_client.oauth.get_user_detail(who.user_ticket)
    assert isinstance(detail, WorkUserDetail)
    assert (detail.userid, detail.mobile, detail.email) == ("alice", "13800000001", "alice@example.com")


def test_silent_sign_in_and_outsiders(work_client: Any, corp: CorpState, wechat_emulator: Emulator) -> None:
    who = work_client.oauth.get_user_info(issue_work_oauth_code(wechat_emulator, corp, "bob"))
    assert who.userid == "bob"
    assert who.user_ticket == ""
    outsider = work_client.oauth.get_user_info(issue_work_oauth_code(wechat_emulator, corp, openid="oOutsider"))
    assert not outsider.is_member
    assert outsider.openid == "oOutsider"


def test_bad_codes_and_tickets(
    work_client: Any, make_work_client: Any, corp: CorpState, wechat_emulator: Emulator
) -> None:
    code = issue_work_oauth_code(wechat_emulator, corp, "alice")
    work_client.oauth.get_user_info(code)
    with pytest.raises(InvalidArgumentError) as reused:
        work_client.oauth.get_user_info(code)
    assert reused.value.errcode == 40029
    expired = issue_work_oauth_code(wechat_emulator, corp, "alice")
    wechat_emulator.advance(301)
    with pytest.raises(InvalidArgumentError) as late:
        work_client.oauth.get_user_info(expired)
    assert late.value.errcode == 40029
    with pytest.raises(InvalidArgumentError):
        work_client.oauth.get_user_info("")
    with pytest.raises(APIError) as ticket:
        work_client.oauth.get_user_detail("no-such-ticket")
    assert ticket.value.errcode == 40058
    # A code issued in another corp is not this corp's.
    other = wechat_emulator.add_corp(f"{corp.corpid}o")
    other.add_user("zed")
    with pytest.raises(InvalidArgumentError):
        work_client.oauth.get_user_info(issue_work_oauth_code(wechat_emulator, other, "zed"))
