"""examples/wecom_notify_bot.py and examples/wecom_kf_bot.py against the emulator, over real HTTP."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from wxkit.testing import Emulator, WeChatPusher
from wxkit.testing.work import CorpState
from wxkit.work import WorkClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AGENT_ID = 1000002
TOKEN = "kf-callback-token"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return __import__(name)


def test_notify_bot(wechat_emulator: Emulator, corp: CorpState, monkeypatch: pytest.MonkeyPatch) -> None:
    example = _load("wecom_notify_bot", monkeypatch)
    robot = wechat_emulator.add_robot()
    for key, value in {
        "WXKIT_ROBOT_KEY": robot.key,
        "WXKIT_CORP_ID": corp.corpid,
        "WXKIT_CORP_SECRET": corp.secrets[str(AGENT_ID)],
        "WXKIT_AGENT_ID": str(AGENT_ID),
        "WXKIT_WORK_BASE_URL": wechat_emulator.work_url,
    }.items():
        monkeypatch.setenv(key, value)
    assert example.main(["api-gateway", "v1.4.2", "alice", "bob"]) == 0
    assert robot.received[0]["msgtype"] == "markdown"
    assert "v1.4.2" in robot.received[0]["markdown"]["content"]
    sent = corp.sent[-1]
    assert sent["msgtype"] == "textcard"
    assert sent["agentid"] == AGENT_ID
    # An owner who left: the card reaches the others, the group hears who was missed, the script exits 1.
    assert example.main(["api-gateway", "v1.4.3", "alice", "ghost"]) == 1
    assert robot.received[-1] == {"msgtype": "text", "text": {"content": "could not reach: ghost"}}
    assert example.main(["too-few"]) == 2


def test_kf_bot(wechat_emulator: Emulator, corp: CorpState, monkeypatch: pytest.MonkeyPatch) -> None:
    example = _load("wecom_kf_bot", monkeypatch)
    kfid = corp.kf_add_account("Support")
    client = WorkClient(corp.corpid, corp.secrets[str(AGENT_ID)], base_url=wechat_emulator.work_url)
    bot = example.KfBot(client, token=TOKEN, corp_id=corp.corpid, aes_key=AES_KEY)
    pusher = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=corp.corpid)
    try:
        callback, _code = corp.kf_enter_session(kfid, "wm_customer")
        assert pusher.deliver(bot, pusher.event("kf_msg_or_event", Token=callback, OpenKfId=kfid)).is_success
        assert corp.sent[-1]["kind"] == "kf_event"
        corp.kf_enqueue(kfid, "wm_customer", "what are your hours?")
        callback = corp.kf_enqueue(kfid, "wm_customer", "and the price?")
        assert pusher.deliver(bot, pusher.event("kf_msg_or_event", Token=callback, OpenKfId=kfid)).is_success
        answers = [s["body"]["text"]["content"] for s in corp.sent if s["kind"] == "kf"]
        assert answers == [example.ANSWERS["hours"], example.ANSWERS["price"]]
        # WeCom retries the same callback: the duplicate is suppressed, and the cursor kept nothing to re-read.
        assert pusher.deliver(bot, pusher.event("kf_msg_or_event", Token=callback, OpenKfId=kfid)).is_success
        assert len([s for s in corp.sent if s["kind"] == "kf"]) == 2
    finally:
        client.close()


def test_kf_bot_from_environment(wechat_emulator: Emulator, corp: CorpState, monkeypatch: pytest.MonkeyPatch) -> None:
    example = _load("wecom_kf_bot", monkeypatch)
    for key, value in {
        "WXKIT_CORP_ID": corp.corpid,
        "WXKIT_KF_SECRET": corp.secrets[str(AGENT_ID)],
        "WXKIT_WORK_TOKEN": TOKEN,
        "WXKIT_WORK_AES_KEY": AES_KEY,
        "WXKIT_WORK_BASE_URL": wechat_emulator.work_url,
    }.items():
        monkeypatch.setenv(key, value)
    bot = example.from_environment()
    try:
        assert isinstance(bot.client, WorkClient)
        assert bot.corp_id == corp.corpid
    finally:
        bot.client.close()
