"""WorkClient.appchat over real HTTP against the emulator, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import APIError, InvalidArgumentError
from wxkit.testing.work import CorpState
from wxkit.work import AppChat


def test_create_get_update_send(work_client: Any, corp: CorpState) -> None:
    chatid = work_client.appchat.create(["alice", "bob"], name="Launch", owner="alice", chatid="launch1")
    assert chatid == "launch1"
    chat = work_client.appchat.get(chatid)
    assert isinstance(chat, AppChat)
    assert (chat.chatid, chat.name, chat.owner, chat.userlist) == ("launch1", "Launch", "alice", ("alice", "bob"))
    corp.add_user("carol")
    work_client.appchat.update(chatid, name="Launch v2", owner="bob", add_user_list=["carol"], del_user_list=["alice"])
    chat = work_client.appchat.get(chatid)
    assert (chat.name, chat.owner, chat.userlist) == ("Launch v2", "bob", ("bob", "carol"))
    work_client.appchat.send_text(chatid, "we ship today", safe=True)
    assert corp.sent[-1]["kind"] == "appchat"
    assert corp.sent[-1]["content"] == {"content": "we ship today"}
    work_client.appchat.send(chatid, "markdown", {"content": "**done**"})
    assert corp.sent[-1]["msgtype"] == "markdown"
    generated = work_client.appchat.create(["alice", "bob"])
    assert generated
    assert generated != chatid


def test_refusals(work_client: Any) -> None:
    work_client.appchat.create(["alice", "bob"], chatid="taken")
    cases = [
        (lambda: work_client.appchat.get("nochat"), 40050),
        (lambda: work_client.appchat.send_text("nochat", "hi"), 40050),
        (lambda: work_client.appchat.create(["alice", "ghost"]), 40031),
        (lambda: work_client.appchat.create(["alice"]), 40035),
        (lambda: work_client.appchat.create(["alice", "bob"], chatid="taken"), 86215),
    ]
    for call, errcode in cases:
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == errcode
    with pytest.raises(InvalidArgumentError):
        work_client.appchat.send("taken", "telegram", {})
