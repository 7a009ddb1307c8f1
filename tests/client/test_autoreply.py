"""client.autoreply against the emulator: the console's rules as WeChat answers them, and as wxkit rules."""

from __future__ import annotations

import pytest

from wxkit import Client, WxApplication
from wxkit.errors import AccessTokenError
from wxkit.rules import AutoReply, store_rules
from wxkit.storage import MemoryStorage
from wxkit.testing import AppState, WeChatPusher
from wxkit.testing.routes.autoreply import set_autoreply

KEYWORDS = [
    {
        "rule_name": "营业时间",
        "create_time": 1423028166,
        "reply_mode": "reply_all",
        "keyword_list_info": [
            {"type": "text", "match_mode": "contain", "content": "几点"},
            {"type": "text", "match_mode": "equal", "content": "营业时间"},
        ],
        "reply_list_info": [
            {"type": "text", "content": "每天 9:00-21:00"},
            {"type": "img", "content": "TEMP_MEDIA_1"},
        ],
    },
    {
        "rule_name": "图片",
        "create_time": 1423027971,
        "reply_mode": "random_one",
        "keyword_list_info": [{"type": "text", "match_mode": "equal", "content": "菜单"}],
        "reply_list_info": [{"type": "img", "content": "TEMP_MEDIA_2"}],
    },
]


def test_nothing_configured(wechat_client: Client) -> None:
    assert wechat_client.autoreply.get_current() == {"is_add_friend_reply_open": 0, "is_autoreply_open": 0}
    assert wechat_client.autoreply.export_rules() == []


def test_get_current_answers_the_console_settings(wechat_client: Client, wechat_app: AppState) -> None:
    set_autoreply(
        wechat_app,
        add_friend={"type": "text", "content": "欢迎关注"},
        default={"type": "text", "content": "已收到"},
        keywords=KEYWORDS,
    )
    info = wechat_client.autoreply.get_current()
    assert info["is_add_friend_reply_open"] == 1
    assert info["is_autoreply_open"] == 1
    assert info["add_friend_autoreply_info"] == {"type": "text", "content": "欢迎关注"}
    assert info["keyword_autoreply_info"]["list"] == KEYWORDS
    assert wechat_app.quota["/cgi-bin/get_current_autoreply_info"] == 1


def test_exported_rules_answer_pushes_like_the_console(wechat_client: Client, wechat_app: AppState) -> None:
    set_autoreply(wechat_app, add_friend={"type": "text", "content": "欢迎关注"}, keywords=KEYWORDS)
    rules = wechat_client.autoreply.export_rules(media=lambda kind, media_id: f"PERM_{media_id}")
    assert [r["name"] for r in rules] == ["关注后自动回复", "营业时间", "图片"]
    assert rules[1]["reply_mode"] == "first"
    assert rules[2]["reply"] == [{"type": "image", "media_id": "PERM_TEMP_MEDIA_2"}]

    storage = MemoryStorage()
    store_rules(storage, rules)  # e.g. from an admin page; every worker picks them up
    bot = WxApplication(token="t", storage=storage)
    bot.include(AutoReply.from_storage())
    pusher = WeChatPusher("t")
    assert pusher.deliver(bot, pusher.subscribe()).content == "欢迎关注"
    assert pusher.deliver(bot, pusher.text("你们几点开门")).content == "每天 9:00-21:00"
    assert pusher.deliver(bot, pusher.text("营业时间")).content == "每天 9:00-21:00"
    assert pusher.deliver(bot, pusher.text("菜单")).data["Image"] == {"MediaId": "PERM_TEMP_MEDIA_2"}
    assert pusher.deliver(bot, pusher.text("别的")).is_success  # no default reply configured


def test_a_bad_token_is_refused(wechat_client: Client, wechat_app: AppState) -> None:
    with pytest.raises(AccessTokenError):
        wechat_client.get("/cgi-bin/get_current_autoreply_info", {"access_token": "bogus"}, with_token=False)
