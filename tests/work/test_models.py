"""wxkit.work.models: WeCom's answers typed, |-joined lists split, and a broken answer a TransportError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wxkit import ParseError, TransportError
from wxkit.testing import Emulator
from wxkit.testing.routes import EmulatorRequest
from wxkit.work import BatchJobResult, SendResult, TagMembersResult, UploadedMedia, WorkUser
from wxkit.work.models import split_ids


def test_split_ids() -> None:
    assert split_ids("a|b||c") == ("a", "b", "c")
    assert split_ids(["a", 2]) == ("a", "2")
    assert split_ids(None) == ()
    assert split_ids("") == ()
    with pytest.raises(ParseError):
        split_ids({"a": 1}, "invaliduser")


def test_send_result() -> None:
    result = SendResult.from_dict({"errcode": 0, "msgid": "m1", "invaliduser": "x|y", "unlicenseduser": "z"})
    assert result.invalid_users == ("x", "y")
    assert result.unlicensed_users == ("z",)
    assert not result.ok
    assert SendResult.from_dict({"msgid": "m2"}).ok
    assert "raw" not in repr(result)
    with pytest.raises(ParseError):
        SendResult.from_dict({"msgid": ["not", "text"]})
    with pytest.raises(ParseError):
        SendResult.from_dict([])


def test_other_models() -> None:
    assert (
        UploadedMedia.from_dict({"media_id": "M", "type": "file", "created_at": "1700000000"}).created_at == 1700000000
    )
    with pytest.raises(ParseError):
        UploadedMedia.from_dict({"type": "file"})
    with pytest.raises(ParseError):
        WorkUser.from_dict({"userid": "a", "department": ["x"]})
    assert TagMembersResult.from_dict({"invalidlist": "a|b", "invalidparty": [3]}).invalid_parties == (3,)
    job = BatchJobResult.from_dict({"status": 3, "result": [{"userid": "a", "errcode": 0}, {"errcode": 60003}]})
    assert job.done
    assert len(job.failures) == 1


@pytest.fixture
def broken_user_get(wechat_emulator: Emulator) -> Iterator[None]:
    """``user/get`` answers a member without a userid, for this test only."""
    key = ("GET", "/cgi-bin/user/get")
    saved = wechat_emulator._site_routes["qyapi"][key]

    def broken(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
        return {"errcode": 0, "errmsg": "ok", "name": "no id"}

    wechat_emulator.add_route("GET", "/cgi-bin/user/get", broken, site="qyapi")
    yield
    with wechat_emulator.lock:
        wechat_emulator._site_routes["qyapi"][key] = saved


def test_a_broken_answer_is_a_transport_error(work_client: Any, broken_user_get: None) -> None:
    with pytest.raises(TransportError) as info:
        work_client.user.get("alice")
    assert "/cgi-bin/user/get" in str(info.value)
    assert "userid" in str(info.value)
    assert "access_token" not in str(info.value)
