"""Conversations: self.session(msg) across real pushes, in memory and across processes through Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from typing import Any

import pytest

from wxkit import MemoryStorage, RedisStorage, SessionError, StorageError, WxApplication
from wxkit.messages import TextMessage
from wxkit.testing import WeChatPusher
from wxkit.work import WorkApplication

TOKEN = "session-token"
APP_ID = "wx5e55104e5e55104e"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


class WeatherBot(WxApplication):
    """A two-step dialogue: "weather" -> "Which city?" -> "<city>" -> the forecast."""

    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY

    def on_text(self, msg: TextMessage) -> str:
        session = self.session(msg)
        if session.get("step") == "city":
            session.clear()
            return f"Weather for {msg.content}: sunny"
        if msg.content == "weather":
            session["step"] = "city"
            return "Which city?"
        return f"echo {msg.content}"


def pusher(openid: str = "o_alice", account: str = "gh_weather") -> WeChatPusher:
    return WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, openid=openid, account=account)


def say(bot: WxApplication, who: WeChatPusher, text: str) -> str:
    reply = who.deliver(bot, who.text(text))
    assert reply.status == 200, reply.body
    return reply.content


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the dialogue ------------------------------------------------------------------------------
def test_two_step_dialogue_in_memory() -> None:
    storage = MemoryStorage()
    bot = WeatherBot(storage=storage)
    alice = pusher()
    assert say(bot, alice, "weather") == "Which city?"
    assert storage.get(f"wxkit:session:gh_weather:{alice.openid}") == '{"step":"city"}'
    assert say(bot, alice, "Shanghai") == "Weather for Shanghai: sunny"
    # the finished dialogue cleared the session: the stored key is deleted, the bot starts over
    assert storage.get(f"wxkit:session:gh_weather:{alice.openid}") is None
    assert say(bot, alice, "Shanghai") == "echo Shanghai"


def test_sessions_are_per_user_and_per_account() -> None:
    bot = WeatherBot(storage=MemoryStorage())
    alice, bob = pusher("o_alice"), pusher("o_bob")
    other_account = pusher("o_alice", account="gh_other")
    assert say(bot, alice, "weather") == "Which city?"
    assert say(bot, bob, "Beijing") == "echo Beijing"
    assert say(bot, other_account, "Beijing") == "echo Beijing"
    assert say(bot, alice, "Beijing") == "Weather for Beijing: sunny"


def test_two_step_dialogue_across_two_processes_through_redis(redis_url: str) -> None:
    redis = pytest.importorskip("redis")
    prefix = f"test:{uuid.uuid4().hex}:"
    # two application instances with their own Redis connections: two workers behind one URL
    first = WeatherBot(storage=RedisStorage(redis.Redis.from_url(redis_url), prefix=prefix))
    second = WeatherBot(storage=RedisStorage(redis.Redis.from_url(redis_url), prefix=prefix))
    alice = pusher()
    assert say(first, alice, "weather") == "Which city?"
    client = redis.Redis.from_url(redis_url)
    key = f"{prefix}wxkit:session:gh_weather:{alice.openid}"
    assert client.get(key) == b'{"step":"city"}'
    assert 0 < client.ttl(key) <= WeatherBot.session_ttl  # type: ignore[operator]
    assert say(second, alice, "Shanghai") == "Weather for Shanghai: sunny"
    assert client.get(key) is None
    assert say(first, alice, "Shanghai") == "echo Shanghai"


def test_corrupt_bytes_in_redis_are_replaced(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    redis = pytest.importorskip("redis")
    prefix = f"test:{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(redis_url)
    bot = WeatherBot(storage=RedisStorage(client, prefix=prefix))
    alice = pusher()
    key = f"{prefix}wxkit:session:gh_weather:{alice.openid}"
    client.set(key, b"\xff\xfe not utf-8")
    with caplog.at_level(logging.WARNING, logger="wxkit.session"):
        assert say(bot, alice, "weather") == "Which city?"
    assert "not UTF-8" in caplog.text
    assert client.get(key) == b'{"step":"city"}'


# -- TTL ------------------------------------------------------------------------------------------
def test_session_expires_after_session_ttl_from_the_last_change() -> None:
    clock = ManualClock()
    storage = MemoryStorage(clock=clock)

    class ShortBot(WeatherBot):
        session_ttl = 600

    bot = ShortBot(storage=storage)
    alice = pusher()
    assert say(bot, alice, "weather") == "Which city?"
    clock.now += 599
    assert say(bot, alice, "Shanghai") == "Weather for Shanghai: sunny"
    assert say(bot, alice, "weather") == "Which city?"
    clock.now += 601  # the user went away: the dialogue is forgotten
    assert say(bot, alice, "Shanghai") == "echo Shanghai"


def test_session_ttl_none_never_expires_and_default_is_a_week() -> None:
    assert WxApplication.session_ttl == 7 * 24 * 3600
    clock = ManualClock()
    storage = MemoryStorage(clock=clock)

    class ForeverBot(WeatherBot):
        session_ttl = None

    bot = ForeverBot(storage=storage)
    alice = pusher()
    say(bot, alice, "weather")
    clock.now += 10 * 365 * 24 * 3600
    assert say(bot, alice, "Shanghai") == "Weather for Shanghai: sunny"


# -- what is saved, and when ---------------------------------------------------------------------
class CountingStorage(MemoryStorage):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, str | None]] = []

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        if key.startswith("wxkit:session:"):
            self.writes.append((key, value))
        super().set(key, value, ttl)

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        if key.startswith("wxkit:session:"):
            self.writes.append((key, None))
        super().delete(key, if_value=if_value)


class CounterBot(WxApplication):
    token = TOKEN

    def pre_process(self, message: Any) -> None:
        self.session(message).setdefault("seen", 0)  # the same dict the handler gets
        return None

    def on_text(self, msg: TextMessage) -> str:
        session = self.session(msg)
        assert session is self.session(msg)
        if msg.content == "count":
            session["seen"] += 1
            session.setdefault("log", []).append(session["seen"])  # nested changes are seen too
        return f"{session['seen']}"


def test_saved_only_when_changed_and_nested_changes_count() -> None:
    storage = CountingStorage()
    bot = CounterBot(storage=storage)
    who = WeChatPusher(TOKEN)
    assert say(bot, who, "count") == "1"
    assert say(bot, who, "look") == "1"
    assert say(bot, who, "count") == "2"
    assert [value for _, value in storage.writes] == ['{"seen":1,"log":[1]}', '{"seen":2,"log":[1,2]}']


def test_reading_an_absent_session_writes_nothing() -> None:
    storage = CountingStorage()

    class Reader(WxApplication):
        token = TOKEN

        def on_text(self, msg: TextMessage) -> str:
            return str(self.session(msg).get("x"))

    assert say(Reader(storage=storage), WeChatPusher(TOKEN), "hi") == "None"
    assert storage.writes == []


def test_decorator_routes_use_the_session_too() -> None:
    bot = WxApplication(token=TOKEN, storage=MemoryStorage())

    @bot.keyword("order")
    def start(msg: Any) -> str:
        bot.session(msg)["ordering"] = True
        return "What would you like?"

    @bot.text
    def item(msg: Any) -> str:
        session = bot.session(msg)
        if session.pop("ordering", False):
            return f"One {msg.content}, coming up"
        return "Send 'order' to order"

    who = WeChatPusher(TOKEN)
    assert say(bot, who, "tea") == "Send 'order' to order"
    assert say(bot, who, "order") == "What would you like?"
    assert say(bot, who, "tea") == "One tea, coming up"
    assert say(bot, who, "tea") == "Send 'order' to order"


# -- failures ------------------------------------------------------------------------------------
class FailingBot(WxApplication):
    token = TOKEN

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors: list[Exception] = []

    def on_text(self, msg: TextMessage) -> str:
        session = self.session(msg)
        session["count"] = session.get("count", 0) + 1
        if msg.content == "boom":
            session["half-done"] = True
            raise RuntimeError("handler bug")
        if msg.content == "date":
            session["when"] = dt.date(2024, 1, 1)
        if msg.content == "tuple":
            session["pos"] = (1, 2)
        if msg.content == "intkey":
            session["scores"] = {1: "a"}
        if msg.content == "nan":
            session["x"] = float("nan")
        if msg.content == "loop":
            session["self"] = session
        return f"count {session['count']}"

    def on_error(self, message: Any, error: Exception) -> str:
        self.errors.append(error)
        self.session(message)["errors"] = len(self.errors)  # on_error's own changes are saved
        return "sorry"


def stored(storage: MemoryStorage, who: WeChatPusher) -> str | None:
    return storage.get(f"wxkit:session:{who.account}:{who.openid}")


def test_a_failing_handler_loses_its_changes_and_on_error_sees_the_stored_session() -> None:
    storage = MemoryStorage()
    bot = FailingBot(storage=storage)
    who = WeChatPusher(TOKEN)
    assert say(bot, who, "hi") == "count 1"
    assert say(bot, who, "boom") == "sorry"
    assert stored(storage, who) == '{"count":1,"errors":1}'  # no "half-done", count not bumped
    assert say(bot, who, "hi") == "count 2"


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("date", "session['when'] is a date"),
        ("tuple", "session['pos'] is a tuple"),
        ("intkey", "session['scores'] has a int key"),
        ("nan", "session['x'] is a non-finite float"),
        ("loop", "session['self'] contains itself"),
    ],
)
def test_a_value_json_cannot_store_is_a_clear_error_handled_as_a_failing_handler(
    content: str, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage = MemoryStorage()
    bot = FailingBot(storage=storage)
    who = WeChatPusher(TOKEN)
    assert say(bot, who, "hi") == "count 1"
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert say(bot, who, content) == "sorry"
    [error] = bot.errors
    assert isinstance(error, SessionError)
    assert where in str(error)
    assert "saving the session failed for TextMessage push: SessionError" in caplog.text
    assert stored(storage, who) == '{"count":1,"errors":1}'


def test_error_paths_never_show_keys_that_may_be_user_text() -> None:
    bot = WxApplication(token=TOKEN, storage=MemoryStorage())
    errors: list[Exception] = []

    @bot.text
    def remember(msg: Any) -> None:
        bot.session(msg)["answers"] = {msg.content: {1, 2}}

    bot.on_error = lambda message, error: errors.append(error)  # type: ignore[method-assign]
    who = WeChatPusher(TOKEN)
    say(bot, who, "my secret answer")
    assert "secret" not in str(errors[0])
    assert "session['answers'][...] is a set" in str(errors[0])


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"', '{"x": NaN}', "[" * 100_000])
def test_a_corrupt_stored_session_is_logged_and_replaced(raw: str, caplog: pytest.LogCaptureFixture) -> None:
    storage = MemoryStorage()
    bot = FailingBot(storage=storage)
    who = WeChatPusher(TOKEN, openid="o_corrupt")
    storage.set(f"wxkit:session:{who.account}:{who.openid}", raw)
    with caplog.at_level(logging.WARNING, logger="wxkit.session"):
        assert say(bot, who, "hi") == "count 1"
    assert "replaced by an empty session" in caplog.text
    assert "o_corrupt" not in caplog.text  # the openid stays out of the log
    assert stored(storage, who) == '{"count":1}'
    assert bot.errors == []


def test_an_emptied_corrupt_session_is_deleted() -> None:
    storage = MemoryStorage()

    class Reset(WxApplication):
        token = TOKEN

        def on_text(self, msg: TextMessage) -> str:
            self.session(msg).clear()
            return "reset"

    who = WeChatPusher(TOKEN)
    storage.set(f"wxkit:session:{who.account}:{who.openid}", "{broken")
    assert say(Reset(storage=storage), who, "x") == "reset"
    assert stored(storage, who) is None


class DownStorage(MemoryStorage):
    """A storage whose session reads or writes fail (the replay guard keeps working)."""

    def __init__(self, fail: str) -> None:
        super().__init__()
        self.fail = fail

    def get(self, key: str) -> str | None:
        if self.fail == "get" and key.startswith("wxkit:session:"):
            raise ConnectionError("storage down")
        return super().get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        if self.fail == "set" and key.startswith("wxkit:session:"):
            raise ConnectionError("storage down")
        super().set(key, value, ttl)


@pytest.mark.parametrize("fail", ["get", "set"])
def test_a_failing_storage_is_a_storage_error_handled_as_a_failing_handler(fail: str) -> None:
    bot = FailingBot(storage=DownStorage(fail))
    assert say(bot, WeChatPusher(TOKEN), "hi") == ""  # "success": on_error's own session() failed too
    assert isinstance(bot.errors[0], StorageError)
    assert isinstance(bot.errors[0].__cause__, ConnectionError)


def test_session_outside_a_push_is_an_error() -> None:
    bot = WeatherBot()
    message = TextMessage(to_user_name="gh", from_user_name="o_1", create_time=1, msg_type="text", msg_id="1")
    with pytest.raises(SessionError, match="only while a push is dispatched"):
        bot.session(message)


def test_direct_dispatch_opens_and_saves_the_session() -> None:
    storage = MemoryStorage()
    bot = WeatherBot(storage=storage)
    message = TextMessage(
        to_user_name="gh", from_user_name="o_1", create_time=1, msg_type="text", msg_id="1", content="weather"
    )
    assert bot.dispatch(message) == "Which city?"
    assert storage.get("wxkit:session:gh:o_1") == '{"step":"city"}'


def test_a_push_without_a_sender_has_no_session() -> None:
    bot = FailingBot(storage=MemoryStorage())
    who = WeChatPusher(TOKEN, openid="")
    assert say(bot, who, "hi") == ""  # "success": on_error's own session() failed too
    assert isinstance(bot.errors[0], SessionError)
    assert "no sender" in str(bot.errors[0])


# -- WeCom and the async path -----------------------------------------------------------------------
def test_wecom_sessions_are_per_agent() -> None:
    corp = "ww5e55104e5e55104e"

    class WorkBot(WorkApplication):
        token = TOKEN
        corp_id = corp
        aes_key = AES_KEY

        def on_text(self, msg: Any) -> str:
            session = self.session(msg)
            session["n"] = session.get("n", 0) + 1
            return str(session["n"])

    storage = MemoryStorage()
    bot = WorkBot(storage=storage)
    agent1 = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=corp, agent_id=1, openid="zhangsan")
    agent2 = WeChatPusher(TOKEN, aes_key=AES_KEY, corp_id=corp, agent_id=2, openid="zhangsan")
    assert say(bot, agent1, "a") == "1"
    assert say(bot, agent1, "a") == "2"
    assert say(bot, agent2, "a") == "1"
    assert storage.get(f"wxkit:session:{corp}/1:zhangsan") == '{"n":2}'


def test_async_handlers_and_plain_handlers_in_threads_share_the_session_flow() -> None:
    storage = MemoryStorage()

    class AsyncBot(WxApplication):
        token = TOKEN

        async def on_text(self, msg: TextMessage) -> str:
            await asyncio.sleep(0)
            session = self.session(msg)
            session["n"] = session.get("n", 0) + 1
            if msg.content == "boom":
                raise RuntimeError("async bug")
            return str(session["n"])

        def on_location(self, msg: Any) -> str:  # plain: runs in a worker thread on the async path
            session = self.session(msg)
            session["where"] = msg.label
            return "noted"

    bot = AsyncBot(storage=storage)
    who = WeChatPusher(TOKEN)

    async def push(p: Any) -> str:
        response = await bot.handle_async("POST", p.params, p.body)
        return who.read_reply(response.status, response.body).content

    async def main() -> list[str]:
        return [
            await push(who.text("a")),
            await push(who.text("boom")),
            await push(who.location(label="Shanghai")),
            await push(who.text("b")),
        ]

    assert asyncio.run(main()) == ["1", "", "noted", "2"]
    assert stored(storage, who) == '{"n":2,"where":"Shanghai"}'
