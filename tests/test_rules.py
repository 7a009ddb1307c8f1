"""Auto-reply rules (wxkit.rules): every matcher and reply through real pushes, validation, files, storage reloads."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wxkit import ConfigError, MemoryStorage, RedisStorage, WxApplication
from wxkit.errors import RuleError
from wxkit.routing import Router
from wxkit.rules import DEFAULT_KEY, AutoReply, import_console_rules, parse_rules, store_rules
from wxkit.testing import Push, WeChatPusher
from wxkit.work import WorkApplication

TOKEN = "rules-token"
NOW = 1_700_000_000.0


@pytest.fixture
def pusher() -> WeChatPusher:
    return WeChatPusher(TOKEN, clock=lambda: NOW)


class Bot(WxApplication):
    token = TOKEN

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("clock", lambda: NOW)
        super().__init__(**kwargs)

    def on_text(self, msg: Any) -> str:
        return "on_text"

    def order_status(self, msg: Any, number: str = "") -> str:
        return f"order {number} is on its way"


def text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def rule(match: Any, reply: Any, **extra: Any) -> dict[str, Any]:
    return {"match": match, "reply": reply, **extra}


def deliver(pusher: WeChatPusher, bot: Any, push: Push) -> dict[str, Any]:
    reply = pusher.deliver(bot, push)
    assert reply.status == 200
    return reply.data


def said(pusher: WeChatPusher, bot: Any, push: Push) -> str:
    return str(deliver(pusher, bot, push).get("Content", ""))


# -------------------------------------------------------------------------- matchers
def test_every_matcher(pusher: WeChatPusher) -> None:
    bot = Bot()
    bot.include(
        AutoReply(
            [
                rule({"type": "keyword", "keywords": ["help", "帮助"]}, text("equal")),
                rule({"type": "keyword", "keywords": "退款", "mode": "contain"}, text("contain")),
                rule({"type": "keyword", "keywords": "price", "ignore_case": True}, text("any case")),
                rule({"type": "regex", "pattern": r"^weather (\w+)$", "ignore_case": True}, text("regex")),
                rule({"type": "event", "event": "CLICK", "key": ["K1", "K2"]}, text("click K1/K2")),
                rule({"type": "event", "event": ["subscribe", "SCAN"]}, text("follow or scan")),
                rule({"type": "message", "msg_type": ["image", "voice"]}, text("media")),
                rule({"type": "message"}, text("any other message")),
                rule({"type": "all"}, text("anything else")),
            ]
        )
    )
    assert said(pusher, bot, pusher.text(" 帮助 ")) == "equal"
    assert said(pusher, bot, pusher.text("我要退款")) == "contain"
    assert said(pusher, bot, pusher.text("PRICE")) == "any case"
    assert said(pusher, bot, pusher.text("Weather Beijing")) == "regex"
    assert said(pusher, bot, pusher.click("K2")) == "click K1/K2"
    assert said(pusher, bot, pusher.click("K3")) == "anything else"
    assert said(pusher, bot, pusher.subscribe("x")) == "follow or scan"
    assert said(pusher, bot, pusher.event("SCAN", EventKey="x")) == "follow or scan"
    assert said(pusher, bot, pusher.voice()) == "media"
    assert said(pusher, bot, pusher.location()) == "any other message"
    assert said(pusher, bot, pusher.text("hello")) == "any other message"
    assert said(pusher, bot, pusher.event("LOCATION", Latitude="1", Longitude="2")) == "anything else"


def test_rules_list_order_first_match_and_disabled_rules(pusher: WeChatPusher) -> None:
    bot = Bot()
    bot.include(
        AutoReply(
            [
                rule({"type": "keyword", "keywords": "a"}, text("disabled"), enabled=False),
                rule([{"type": "keyword", "keywords": "b"}, {"type": "keyword", "keywords": "a"}], text("first")),
                rule({"type": "keyword", "keywords": "a"}, text("second")),
            ]
        )
    )
    assert said(pusher, bot, pusher.text("a")) == "first"
    assert said(pusher, bot, pusher.text("b")) == "first"
    assert said(pusher, bot, pusher.text("c")) == "on_text"  # no rule: on_* as usual


def test_every_reply_type(pusher: WeChatPusher) -> None:
    bot = Bot()
    rules = AutoReply(
        [
            rule({"type": "keyword", "keywords": "text"}, text("hello")),
            rule({"type": "keyword", "keywords": "image"}, {"type": "image", "media_id": "IMG"}),
            rule({"type": "keyword", "keywords": "voice"}, {"type": "voice", "media_id": "VOICE"}),
            rule({"type": "keyword", "keywords": "video"}, {"type": "video", "media_id": "VID", "title": "T"}),
            rule({"type": "keyword", "keywords": "music"}, {"type": "music", "thumb_media_id": "TH", "title": "M"}),
            rule(
                {"type": "keyword", "keywords": "news"},
                {"type": "news", "articles": [{"title": "A", "url": "https://example.com/a", "pic_url": "p"}]},
            ),
            rule({"type": "keyword", "keywords": "kf"}, {"type": "transfer_customer_service"}),
            rule({"type": "keyword", "keywords": "kf1"}, {"type": "transfer_customer_service", "kf_account": "a@b"}),
            rule({"type": "regex", "pattern": r"^订单(\d+)$"}, {"type": "handler", "name": "order_status"}),
            rule({"type": "keyword", "keywords": "named"}, {"type": "handler", "name": "from_mapping"}),
        ],
        handlers={"from_mapping": lambda msg: f"mapped for {msg.from_user_name}"},
    )
    bot.include(rules)
    assert said(pusher, bot, pusher.text("text")) == "hello"
    assert deliver(pusher, bot, pusher.text("image"))["Image"] == {"MediaId": "IMG"}
    assert deliver(pusher, bot, pusher.text("voice"))["Voice"] == {"MediaId": "VOICE"}
    assert deliver(pusher, bot, pusher.text("video"))["Video"]["MediaId"] == "VID"
    assert deliver(pusher, bot, pusher.text("music"))["Music"]["ThumbMediaId"] == "TH"
    news = deliver(pusher, bot, pusher.text("news"))
    assert (news["MsgType"], news["ArticleCount"], news["Articles"]["item"]["Title"]) == ("news", "1", "A")
    kf = deliver(pusher, bot, pusher.text("kf"))
    assert kf["MsgType"] == "transfer_customer_service"
    assert "TransInfo" not in kf
    assert deliver(pusher, bot, pusher.text("kf1"))["TransInfo"] == {"KfAccount": "a@b"}
    assert said(pusher, bot, pusher.text("订单42")) == "order 42 is on its way"  # regex groups to the handler
    assert said(pusher, bot, pusher.text("named")) == "mapped for o_test_user"


def test_random_one_picks_among_the_replies(pusher: WeChatPusher, monkeypatch: pytest.MonkeyPatch) -> None:
    picked: list[Any] = []

    def choice(options: Any) -> Any:
        picked.append(len(options))
        return options[-1]

    monkeypatch.setattr("wxkit.rules.secrets.choice", choice)
    bot = Bot()
    replies = [text("one"), text("two"), text("three")]
    bot.include(AutoReply([rule({"type": "all"}, replies, reply_mode="random_one")]))
    assert said(pusher, bot, pusher.text("x")) == "three"
    assert picked == [3]
    first = Bot()
    first.include(AutoReply([rule({"type": "all"}, replies)]))  # default "first"
    assert said(pusher, first, pusher.text("x")) == "one"


def test_rules_and_decorators_take_turns_in_include_order(pusher: WeChatPusher) -> None:
    bot = Bot()
    bot.keyword("a")(lambda m: "decorator before")
    bot.include(AutoReply([rule({"type": "keyword", "keywords": ["a", "b"]}, text("rule"))]))
    bot.keyword("b")(lambda m: "decorator after")
    assert said(pusher, bot, pusher.text("a")) == "decorator before"
    assert said(pusher, bot, pusher.text("b")) == "rule"


def test_rules_work_on_wecom() -> None:
    corp, key = "ww1234567890abcdef", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
    pusher = WeChatPusher(TOKEN, aes_key=key, corp_id=corp, clock=lambda: NOW)
    app = WorkApplication(token=TOKEN, corp_id=corp, aes_key=key, clock=lambda: NOW)
    app.include(
        AutoReply(
            [
                rule({"type": "keyword", "keywords": "hi"}, text("hello wecom")),
                rule({"type": "event", "event": "click", "key": "W"}, text("clicked")),
                rule({"type": "event", "event": "change_contact:create_user"}, text("created")),
            ]
        )
    )
    assert pusher.deliver(app, pusher.text("hi")).content == "hello wecom"
    assert pusher.deliver(app, pusher.event("click", EventKey="W")).content == "clicked"
    assert pusher.deliver(app, pusher.event("change_contact", ChangeType="create_user")).content == "created"
    assert pusher.deliver(app, pusher.event("change_contact", ChangeType="update_user")).is_success


# -------------------------------------------------------------------------- validation
BAD_RULES = [
    (rule({"type": "kw", "keywords": "a"}, text("x")), "unknown match type 'kw'"),
    (rule({"type": "regex", "pattern": "(unclosed"}, text("x")), "bad regex"),
    (rule({"type": "regex"}, text("x")), "'pattern' must be a non-empty string"),
    ({"match": {"type": "all"}}, "missing 'reply'"),
    ({"reply": text("x")}, "missing 'match'"),
    (rule([], text("x")), "'match' is an empty list"),
    (rule({"type": "all"}, []), "'reply' is an empty list"),
    (rule({"type": "all"}, {"type": "sms", "content": "x"}), "unknown reply type 'sms'"),
    (rule({"type": "all"}, {"type": "text"}), "'content' must be a non-empty string"),
    (rule({"type": "all"}, {"type": "text", "content": "x", "colour": "red"}), "unknown field(s) 'colour'"),
    (rule({"type": "keyword", "keywords": "a", "mdoe": "contain"}, text("x")), "unknown field(s) 'mdoe'"),
    (rule({"type": "keyword", "keywords": []}, text("x")), "'keywords' must be a non-empty string"),
    (rule({"type": "keyword", "keywords": "a", "mode": "fuzzy"}, text("x")), "mode must be 'equal' or 'contain'"),
    (rule({"type": "keyword", "keywords": " "}, text("x")), "non-empty"),
    (rule({"type": "event", "event": "x:"}, text("x")), "sub-type"),
    (rule({"type": "message", "msg_type": "event"}, text("x")), "type 'event'"),
    (rule({"type": "all"}, {"type": "news", "articles": []}), "1 to 8 articles"),
    (rule({"type": "all"}, {"type": "news", "articles": [{"url": "u"}]}), "'title'"),
    (rule({"type": "all"}, text("x"), reply_mode="reply_all"), "reply_mode must be one of first, random_one"),
    (rule({"type": "all"}, text("x"), enabled="yes"), "'enabled' must be true or false"),
    (rule({"type": "all"}, text("x"), priority=1), "unknown field(s) 'priority'"),
    (rule({"type": "all"}, text("x"), name=3), "'name' must be a string"),
    ("not a rule", "a rule must be an object"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_RULES, ids=[m for _, m in BAD_RULES])
def test_invalid_rules_are_refused_with_the_rule_named(bad: Any, message: str) -> None:
    good = rule({"type": "all"}, text("ok"), name="good")
    if isinstance(bad, dict):
        bad = {"name": "broken", **bad} if "name" not in bad else bad
    with pytest.raises(RuleError) as info:
        AutoReply([good, bad])
    assert message in str(info.value)
    assert info.value.index == 1
    assert isinstance(info.value, ConfigError)
    if isinstance(bad, dict) and bad.get("name") == "broken":
        assert info.value.rule_name == "broken"
        assert "rule 1 ('broken')" in str(info.value)
    with pytest.raises(RuleError):
        parse_rules([good, bad])


@pytest.mark.parametrize("data", ["a string", 3, {"rules": [], "extra": 1}])
def test_the_rule_list_itself_must_be_a_list(data: Any) -> None:
    with pytest.raises(RuleError) as info:
        AutoReply(data)
    assert info.value.index is None


def test_handler_names_are_checked_when_included(pusher: WeChatPusher) -> None:
    rules = AutoReply([rule({"type": "all"}, {"type": "handler", "name": "no_such_handler"})])
    with pytest.raises(RuleError, match="no handler named 'no_such_handler'"):
        Bot().include(rules)
    with pytest.raises(RuleError, match="no handler named '_private'"):  # never a private attribute
        Bot().include(AutoReply([rule({"type": "all"}, {"type": "handler", "name": "_private"})]))
    via_router = Router()
    via_router.include(rules)
    with pytest.raises(RuleError, match="no_such_handler"):
        Bot().include(via_router)
    with pytest.raises(ConfigError, match="not callable"):
        AutoReply([], handlers={"x": "nope"})  # type: ignore[dict-item]


def test_parse_rules_returns_a_checked_copy() -> None:
    data = [rule({"type": "all"}, text("x"), meta={"id": 7})]
    parsed = parse_rules({"rules": data})
    assert parsed == data
    parsed[0]["meta"]["id"] = 8
    assert data[0]["meta"]["id"] == 7
    rules = AutoReply(data)
    assert rules.rules == data
    assert len(rules) == 1
    assert rules.version is None


def test_from_file(tmp_path: Path, pusher: WeChatPusher) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [rule({"type": "keyword", "keywords": "文件"}, text("从文件"))]}), "utf-8")
    bot = Bot()
    bot.include(AutoReply.from_file(path))
    assert said(pusher, bot, pusher.text("文件")) == "从文件"
    path.write_text("[{", "utf-8")
    with pytest.raises(RuleError, match="cannot read"):
        AutoReply.from_file(path)
    with pytest.raises(RuleError, match="cannot read"):
        AutoReply.from_file(tmp_path / "missing.json")


# -------------------------------------------------------------------------- storage
class CountingStorage(MemoryStorage):
    """A MemoryStorage that counts reads per key and can be switched off."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: dict[str, int] = {}
        self.down = False

    def get(self, key: str) -> str | None:
        if self.down:
            raise ConnectionError("storage down")
        self.reads[key] = self.reads.get(key, 0) + 1
        return super().get(key)


def _reload_scenario(storage: Any, pusher: WeChatPusher, make_bot: Any, key: str = DEFAULT_KEY) -> None:
    """Rules change in the storage and the running bots pick them up, without a restart."""
    bots = [make_bot(), make_bot()]  # two application objects sharing one storage (two workers)
    for bot in bots:
        bot.include(AutoReply.from_storage(key, storage=storage))
        assert said(pusher, bot, pusher.text("help")) == "on_text"  # nothing stored yet
    store_rules(storage, [rule({"type": "keyword", "keywords": "help"}, text("v1"))], key=key)
    for bot in bots:
        assert said(pusher, bot, pusher.text("help")) == "v1"
    store_rules(storage, [rule({"type": "keyword", "keywords": "help"}, text("v2"))], key=key)
    for bot in bots:
        assert said(pusher, bot, pusher.text("help")) == "v2"
    storage.set(key, json.dumps([{"match": {"type": "nope"}, "reply": text("bad")}]))
    storage.set(key + ":version", "broken-1")
    for bot in bots:
        assert said(pusher, bot, pusher.text("help")) == "v2"  # the last good rules stay
    store_rules(storage, [], key=key)
    for bot in bots:
        assert said(pusher, bot, pusher.text("help")) == "on_text"


def test_rules_reload_from_memory_storage(pusher: WeChatPusher, caplog: pytest.LogCaptureFixture) -> None:
    storage = MemoryStorage()
    with caplog.at_level(logging.INFO, logger="wxkit.rules"):
        _reload_scenario(storage, pusher, lambda: Bot(storage=storage))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2  # one per bot, once for the broken version (not once per push)
    assert "unknown match type 'nope'" in errors[0].getMessage()
    assert "keeping the last good rules" in errors[0].getMessage()


@pytest.fixture
def redis_storage(redis_url: str) -> Iterator[RedisStorage]:
    import redis

    client = redis.Redis.from_url(redis_url)
    yield RedisStorage(client, prefix=f"test:{uuid.uuid4().hex}:")
    client.close()


def test_rules_reload_from_redis(redis_storage: RedisStorage, pusher: WeChatPusher) -> None:
    # the app's own storage (storage=None) is used: the replay guard and the rules share Redis
    bots: list[Bot] = []

    def make_bot() -> Bot:
        bots.append(Bot(storage=redis_storage))
        return bots[-1]

    for _ in range(2):
        make_bot().include(AutoReply.from_storage("rules:main"))
    store_rules(redis_storage, [rule({"type": "keyword", "keywords": "help"}, text("from redis"))], key="rules:main")
    for bot in bots:
        assert said(pusher, bot, pusher.text("help")) == "from redis"
    assert redis_storage.redis.get(redis_storage.prefix + "rules:main:version")
    store_rules(redis_storage, [rule({"type": "keyword", "keywords": "help"}, text("changed"))], key="rules:main")
    for bot in bots:
        assert said(pusher, bot, pusher.text("help")) == "changed"


def test_rules_reload_scenario_on_redis(redis_storage: RedisStorage, pusher: WeChatPusher) -> None:
    _reload_scenario(redis_storage, pusher, lambda: Bot(storage=MemoryStorage()), key="rules:scenario")


def test_a_version_check_per_push_and_one_parse_per_version(pusher: WeChatPusher) -> None:
    storage = CountingStorage()
    store_rules(storage, [rule({"type": "all"}, text("stored"))])
    bot = Bot(storage=storage)
    bot.include(AutoReply.from_storage())
    storage.reads.clear()
    for _ in range(5):
        assert said(pusher, bot, pusher.text("x")) == "stored"
    rules_reads = {key: n for key, n in storage.reads.items() if key.startswith(DEFAULT_KEY)}
    assert rules_reads == {DEFAULT_KEY + ":version": 5}  # the rules themselves are not read again


def test_check_interval(pusher: WeChatPusher) -> None:
    now = [0.0]
    storage = CountingStorage()
    store_rules(storage, [rule({"type": "all"}, text("v1"))])
    bot = Bot(storage=storage)
    bot.include(AutoReply.from_storage(check_interval=10, clock=lambda: now[0]))
    store_rules(storage, [rule({"type": "all"}, text("v2"))])
    assert said(pusher, bot, pusher.text("x")) == "v2"  # first push after include: checked
    store_rules(storage, [rule({"type": "all"}, text("v3"))])
    now[0] = 9.0
    assert said(pusher, bot, pusher.text("x")) == "v2"  # within the interval: no read
    now[0] = 10.0
    assert said(pusher, bot, pusher.text("x")) == "v3"
    with pytest.raises(ConfigError, match="check_interval"):
        AutoReply.from_storage(check_interval=-1)


def test_a_failing_storage_keeps_the_rules_and_logs_once(
    pusher: WeChatPusher, caplog: pytest.LogCaptureFixture
) -> None:
    storage = CountingStorage()
    store_rules(storage, [rule({"type": "keyword", "keywords": "k"}, text("kept"))])
    bot = Bot(dedup_ttl=None)  # the replay guard on its own storage: only the rules' storage fails
    rules = AutoReply.from_storage(storage=storage)
    bot.include(rules)
    storage.down = True
    with caplog.at_level(logging.INFO, logger="wxkit.rules"):
        for _ in range(3):
            assert said(pusher, bot, pusher.text("k")) == "kept"
            assert said(pusher, bot, pusher.text("other")) == "on_text"
        storage.down = False
        assert said(pusher, bot, pusher.text("k")) == "kept"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0].getMessage()
    assert "storage down" not in caplog.text  # the storage's own message may carry hosts: type only
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_unknown_handler_in_stored_rules_keeps_the_last_good(pusher: WeChatPusher) -> None:
    storage = MemoryStorage()
    store_rules(storage, [rule({"type": "all"}, {"type": "handler", "name": "order_status"})])
    bot = Bot(storage=storage)
    rules = AutoReply.from_storage()
    bot.include(rules)
    first = rules.version
    assert said(pusher, bot, pusher.text("x")) == "order  is on its way"
    store_rules(storage, [rule({"type": "all"}, {"type": "handler", "name": "gone"})])  # valid data, no such handler
    assert said(pusher, bot, pusher.text("x")) == "order  is on its way"
    assert rules.version != first  # parsed (and refused) once; not parsed again per push
    assert "gone" not in json.dumps(rules.rules)


def test_invalid_stored_rules_at_start_do_not_break_the_bot(
    pusher: WeChatPusher, caplog: pytest.LogCaptureFixture
) -> None:
    storage = MemoryStorage()
    storage.set(DEFAULT_KEY, '[{"match": {"type": "regex", "pattern": "("}, "reply": {"type": "text"}}]')
    storage.set(DEFAULT_KEY + ":version", "v1")
    bot = Bot(storage=storage)
    with caplog.at_level(logging.ERROR, logger="wxkit.rules"):
        bot.include(AutoReply.from_storage())  # logged, not raised
    assert "bad regex" in caplog.text
    assert said(pusher, bot, pusher.text("x")) == "on_text"


def test_store_rules_refuses_invalid_rules_and_writes_nothing() -> None:
    storage = MemoryStorage()
    with pytest.raises(RuleError):
        store_rules(storage, [{"match": {"type": "all"}}])
    with pytest.raises(RuleError, match="JSON"):
        store_rules(storage, [rule({"type": "all"}, text("x"), meta={"when": object()})])
    assert storage.get(DEFAULT_KEY) is None
    assert storage.get(DEFAULT_KEY + ":version") is None


def test_missing_rules_key_with_a_version_keeps_the_rules(pusher: WeChatPusher) -> None:
    storage = MemoryStorage()
    store_rules(storage, [rule({"type": "all"}, text("kept"))])
    bot = Bot(storage=storage)
    bot.include(AutoReply.from_storage())
    storage.delete(DEFAULT_KEY)
    storage.set(DEFAULT_KEY + ":version", "orphan")
    assert said(pusher, bot, pusher.text("x")) == "kept"
    storage.delete(DEFAULT_KEY + ":version")  # no version at all: nothing new published
    assert said(pusher, bot, pusher.text("x")) == "kept"


# -------------------------------------------------------------------------- the console importer
#: The answer in WeChat's documentation for GET /cgi-bin/get_current_autoreply_info (abridged URLs).
CONSOLE_ANSWER: dict[str, Any] = {
    "is_add_friend_reply_open": 1,
    "is_autoreply_open": 1,
    "add_friend_autoreply_info": {"type": "text", "content": "Thanks for your attention!"},
    "message_default_autoreply_info": {"type": "text", "content": "Hello, this is autoreply!"},
    "keyword_autoreply_info": {
        "list": [
            {
                "rule_name": "autoreply-news",
                "create_time": 1423028166,
                "reply_mode": "reply_all",
                "keyword_list_info": [{"type": "text", "match_mode": "contain", "content": "news测试"}],
                "reply_list_info": [
                    {
                        "type": "news",
                        "content": "QX9ePT6JzbfuDGZRjGWhBFIwjBkN4FjaNgKBGlBDZvCg",
                        "news_info": {
                            "list": [
                                {
                                    "title": "it's news",
                                    "author": "jim",
                                    "digest": "it's digest",
                                    "show_cover": 1,
                                    "cover_url": "http://mmbiz.qpic.cn/mmbiz/cover/0",
                                    "content_url": "http://mp.weixin.qq.com/s?__biz=MjM5&mid=2039&idx=1#rd",
                                    "source_url": "http://www.url.com",
                                },
                                {"title": "second", "digest": "", "cover_url": "", "content_url": "http://x"},
                            ]
                        },
                    },
                    {"type": "music", "content": "not a passive reply the console gives"},
                ],
            },
            {
                "rule_name": "autoreply-voice",
                "create_time": 1423027971,
                "reply_mode": "random_one",
                "keyword_list_info": [{"type": "text", "match_mode": "contain", "content": "voice测试"}],
                "reply_list_info": [{"type": "voice", "content": "NESsxgHEvAcg3egJTtYj4uG1PTL6iPhratdWKDLAXYErh"}],
            },
            {
                "rule_name": "autoreply-text",
                "create_time": 1423027926,
                "reply_mode": "random_one",
                "keyword_list_info": [
                    {"type": "text", "match_mode": "contain", "content": "text测试"},
                    {"type": "text", "match_mode": "equal", "content": "精确"},
                ],
                "reply_list_info": [{"type": "text", "content": "hello!text!"}],
            },
            {
                "rule_name": "autoreply-video",
                "create_time": 1423027801,
                "reply_mode": "random_one",
                "keyword_list_info": [{"type": "text", "match_mode": "equal", "content": "video测试"}],
                "reply_list_info": [
                    {"type": "video", "content": "http://61.182.133.153/vweixinp.tc.qq.com/1007_114bcede.f10.mp4"}
                ],
            },
            {
                "rule_name": "only unsupported",
                "create_time": 1,
                "reply_mode": "reply_all",
                "keyword_list_info": [{"type": "text", "match_mode": "equal", "content": "x"}],
                "reply_list_info": [{"type": "card", "content": "c"}],
            },
        ]
    },
}


def test_import_console_rules_shape() -> None:
    rules = import_console_rules(CONSOLE_ANSWER)
    assert [r["name"] for r in rules] == [
        "关注后自动回复",
        "autoreply-news",
        "autoreply-voice",
        "autoreply-text",
        "autoreply-video",
        "收到消息回复",
    ]  # the rule without a usable reply is dropped
    follow, news, voice, text_rule, video, default = rules
    assert follow["match"] == {"type": "event", "event": "subscribe"}
    assert follow["enabled"] is True
    assert news["match"] == [{"type": "keyword", "keywords": ["news测试"], "mode": "contain"}]
    assert news["reply"] == [
        {
            "type": "news",
            "articles": [
                {
                    "title": "it's news",
                    "description": "it's digest",
                    "pic_url": "http://mmbiz.qpic.cn/mmbiz/cover/0",
                    "url": "http://mp.weixin.qq.com/s?__biz=MjM5&mid=2039&idx=1#rd",
                }
            ],
        }
    ]
    assert news["reply_mode"] == "first"
    assert news["meta"] == {
        "source": "console",
        "rule_name": "autoreply-news",
        "create_time": 1423028166,
        "reply_mode": "reply_all",
        "skipped": ["music"],
    }
    assert voice["reply"] == [{"type": "voice", "media_id": "NESsxgHEvAcg3egJTtYj4uG1PTL6iPhratdWKDLAXYErh"}]
    assert voice["reply_mode"] == "random_one"
    assert text_rule["match"] == [
        {"type": "keyword", "keywords": ["text测试"], "mode": "contain"},
        {"type": "keyword", "keywords": ["精确"], "mode": "equal"},
    ]
    assert video["reply"][0]["type"] == "text"
    assert "vweixinp" in video["reply"][0]["content"]
    assert default["match"] == {"type": "message"}
    assert default["enabled"] is True
    assert parse_rules(rules) == rules


def test_import_console_rules_switches_and_media_hook() -> None:
    answer = {**CONSOLE_ANSWER, "is_add_friend_reply_open": 0, "is_autoreply_open": 0}
    answer["add_friend_autoreply_info"] = {"type": "img", "content": "TEMP_IMG"}
    swapped: list[tuple[str, str]] = []

    def media(kind: str, media_id: str) -> str:
        swapped.append((kind, media_id))
        return f"PERM_{media_id}"

    rules = import_console_rules(answer, media=media)
    assert rules[0]["enabled"] is False
    assert rules[-1]["enabled"] is False
    assert rules[0]["reply"] == {"type": "image", "media_id": "PERM_TEMP_IMG"}
    assert ("voice", "NESsxgHEvAcg3egJTtYj4uG1PTL6iPhratdWKDLAXYErh") in swapped
    assert import_console_rules({}) == []
    with pytest.raises(RuleError):
        import_console_rules([])  # type: ignore[arg-type]


def test_imported_console_rules_answer_like_the_console(pusher: WeChatPusher) -> None:
    bot = Bot()
    bot.include(AutoReply(import_console_rules(CONSOLE_ANSWER)))
    assert said(pusher, bot, pusher.subscribe()) == "Thanks for your attention!"
    assert deliver(pusher, bot, pusher.text("看看news测试吧"))["Articles"]["item"]["Title"] == "it's news"
    assert said(pusher, bot, pusher.text("精确")) == "hello!text!"
    assert deliver(pusher, bot, pusher.text("voice测试"))["MsgType"] == "voice"
    assert said(pusher, bot, pusher.text("anything")) == "Hello, this is autoreply!"
    assert said(pusher, bot, pusher.image()) == "Hello, this is autoreply!"
    assert deliver(pusher, bot, pusher.click("K")) == {}  # events other than subscribe: not answered
