"""Every WeCom API group, sync and async, with bad credentials: a wrong secret is 40001, never retried,
and a token of another corp reaches none of this corp's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wxkit import AccessTokenError, APIError
from wxkit.testing import Emulator
from wxkit.testing.routes.work_oauth import issue_work_oauth_code
from wxkit.testing.work import CorpState

#: group -> a call on a client, given what the corp holds (see ``seeded``).
CALLS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "message": lambda c, s: c.message.send_text("hi", touser="alice", agent_id=1000002),
    "appchat": lambda c, s: c.appchat.get(s["chatid"]),
    "user": lambda c, s: c.user.get("alice"),
    "department": lambda c, s: c.department.get(2),
    "tag": lambda c, s: c.tag.get(s["tagid"]),
    "batch": lambda c, s: c.batch.get_result(s["jobid"]),
    "media": lambda c, s: c.media.download(s["media_id"]),
    "oauth": lambda c, s: c.oauth.get_user_info(s["code"]),
    "jssdk": lambda c, s: c.jssdk.config_signature("https://app.example.com/"),
}
#: What a token of another corp gets instead of this corp's data.
OTHER_CORP_ERRCODES = {
    "message": 40056,
    "appchat": 40050,
    "user": 60111,
    "department": 60123,
    "tag": 40068,
    "batch": 40058,
    "media": 40007,
    "oauth": 40029,
}


@pytest.fixture
def seeded(corp: CorpState, wechat_emulator: Emulator) -> dict[str, Any]:
    """One of each thing in the corp: a chat, a tag, a finished job, a medium, a sign-in code."""
    corp.appchats["chat1"] = {"chatid": "chat1", "name": "", "owner": "alice", "userlist": ["alice", "bob"]}
    corp.tags[5] = {"tagid": 5, "tagname": "ops", "userlist": ["alice"], "partylist": []}
    corp.jobs["job1"] = {"kind": "sync_user", "status": 3, "total": 0, "percentage": 100, "result": []}
    corp.media["media1"] = ("a.txt", b"data", "text/plain", "file")
    code = issue_work_oauth_code(wechat_emulator, corp, "alice")
    return {"chatid": "chat1", "tagid": 5, "jobid": "job1", "media_id": "media1", "code": code}


@pytest.mark.parametrize("group", sorted(CALLS))
def test_a_wrong_secret_is_40001(group: str, make_work_client: Any, corp: CorpState, seeded: dict[str, Any]) -> None:
    client = make_work_client("wrong-secret", agent_id=1000002)
    with pytest.raises(AccessTokenError) as info:
        CALLS[group](client, seeded)
    assert info.value.errcode == 40001
    assert "wrong-secret" not in str(info.value)
    assert corp.token_fetches == {}  # gettoken refused it: no token issued, once (no retry loop)


@pytest.mark.parametrize("group", sorted(OTHER_CORP_ERRCODES))
def test_another_corps_token_is_refused(
    group: str, make_work_client: Any, corp: CorpState, seeded: dict[str, Any], wechat_emulator: Emulator
) -> None:
    other = wechat_emulator.add_corp(f"{corp.corpid}z")
    other_secret = other.add_app(1000077)
    other_token = make_work_client(other_secret, corpid=other.corpid).get_access_token()
    client = make_work_client(None, agent_id=1000002, token_source=lambda: other_token)
    with pytest.raises(APIError) as info:
        CALLS[group](client, seeded)
    assert info.value.errcode == OTHER_CORP_ERRCODES[group]
