"""WorkClient.jssdk over real HTTP against the emulator, sync and async: cached tickets and page signatures."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from wxkit import ConfigError, PermissionDeniedError
from wxkit.storage import MemoryStorage
from wxkit.testing.work import CorpState
from wxkit.work.jssdk import sign_work_jsapi


def _expected(ticket: str, nonce: str, stamp: int, url: str) -> str:
    text = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={stamp}&url={url}"
    return hashlib.sha1(text.encode()).hexdigest()


def test_config_signature_uses_the_cached_corp_ticket(work_client: Any, corp: CorpState) -> None:
    config = work_client.jssdk.config_signature("https://app.example.com/p?a=1#frag", noncestr="n1", timestamp=1700)
    ticket = corp.data["jsapi_tickets"][("corp", "1000002")][0]
    assert config == {
        "appId": corp.corpid,
        "timestamp": 1700,
        "nonceStr": "n1",
        "signature": _expected(ticket, "n1", 1700, "https://app.example.com/p?a=1"),
    }
    work_client.jssdk.config_signature("https://app.example.com/other")
    assert corp.data["jsapi_ticket_fetches"]["corp"] == 1  # cached
    assert work_client.jssdk.get_ticket("corp", force_refresh=True) == ticket  # WeCom hands out the valid one again
    assert corp.data["jsapi_ticket_fetches"]["corp"] == 2


def test_agent_config_signature(work_client: Any, corp: CorpState) -> None:
    agent = work_client.jssdk.agent_config_signature("https://app.example.com/p", noncestr="n2", timestamp=5)
    ticket = corp.data["jsapi_tickets"][("agent", "1000002")][0]
    assert agent["corpid"] == corp.corpid
    assert agent["agentid"] == 1000002
    assert agent["signature"] == sign_work_jsapi(ticket, "n2", 5, "https://app.example.com/p")
    assert agent["signature"] == _expected(ticket, "n2", 5, "https://app.example.com/p")


def test_tickets_are_shared_through_the_storage(make_work_client: Any, corp: CorpState) -> None:
    storage = MemoryStorage()
    first = make_work_client(corp.secrets["1000002"], agent_id=1000002, storage=storage)
    second = make_work_client(corp.secrets["1000002"], agent_id=1000002, storage=storage)
    assert first.jssdk.get_ticket("agent") == second.jssdk.get_ticket("agent")
    assert corp.data["jsapi_ticket_fetches"]["agent"] == 1


def test_refusals(contacts_client: Any) -> None:
    with pytest.raises(ConfigError):
        contacts_client.jssdk.agent_config_signature("https://app.example.com/p")  # no agent_id
    with pytest.raises(ConfigError):
        contacts_client.jssdk.get_ticket("wx_card")
    with pytest.raises(PermissionDeniedError) as info:
        contacts_client.jssdk.get_ticket("agent", agent_id=1000002)  # the contacts secret is no app's
    assert info.value.errcode == 301002
