"""WeChat's retries get the reply, not an error; work longer than WeChat waits is answered later (reply_later).

No test here asserts on time: the original's handler blocks on an event, and
the test releases it once the retry is known to be waiting (its marker was
written to the storage).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
import uuid
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import pytest

from wxkit import AsyncClient, Client, ConfigError, MemoryStorage, WxApplication
from wxkit import app as app_module
from wxkit.observe import Outcome, PushRecord
from wxkit.replies import Article, ImageReply, MusicReply, NewsReply, TextReply, TransferCustomerServiceReply
from wxkit.storage import RedisStorage, Storage
from wxkit.testing import AppState, Emulator, Push, WeChatPusher
from wxkit.xmlcodec import parse_xml

TOKEN = "retry-token"
APP_ID = "wx0000000000retry"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
OPENID = "o_retry_user"
WAIT = 30.0  # an upper bound for events that do happen (never reached when the code works)


class Marking:
    """A storage that tells when a retry has written its waiting marker (and can cut long values)."""

    def __init__(self, inner: Storage, *, cut_after: int | None = None) -> None:
        self.inner = inner
        self.cut_after = cut_after
        self.marked = threading.Event()
        self.reads: collections.Counter[int] = collections.Counter()  # reads of reply keys, by thread

    def get(self, key: str) -> str | None:
        if key.startswith("wxkit:reply:"):
            self.reads[threading.get_ident()] += 1
        return self.inner.get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        if self.cut_after is not None:
            value = value[: self.cut_after]  # a database column too short for the reply
        self.inner.set(key, value, ttl)

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        stored = self.inner.add(key, value, ttl)
        if stored and key.startswith("wxkit:reply:") and value.startswith("wait:"):
            self.marked.set()
        return stored

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        self.inner.delete(key, if_value=if_value)


class SlowBot(WxApplication):
    """Its handler blocks until the test releases it; ``calls`` counts the runs."""

    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY
    keep_reply_after = 3600.0  # never "slow" here: a reply is kept only because a retry waits for it

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def on_text(self, msg: Any) -> str:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(WAIT)
        return f"slow: {msg.content}"


@pytest.fixture
def pusher() -> WeChatPusher:
    return WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, openid=OPENID)


def retry_of(pusher: WeChatPusher, push: Push) -> Push:
    """WeChat's retry of ``push``: the same message (MsgId), encrypted and signed anew (its own nonce)."""
    return pusher.build(push.fields)


def envelope(body: str) -> dict[str, Any]:
    return parse_xml(body)


class Background:
    """Run calls in threads and collect their results."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.results: dict[str, Any] = {}

    def run(self, name: str, call: Any, *args: Any) -> None:
        def target() -> None:
            self.results[name] = call(*args)

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> dict[str, Any]:
        for thread in self.threads:
            thread.join(WAIT)
            assert not thread.is_alive()
        return self.results


def _retry_gets_the_reply(original_bot: SlowBot, retry_bot: SlowBot, storage: Marking, pusher: WeChatPusher) -> None:
    push = pusher.text("hi")
    retry = retry_of(pusher, push)
    assert retry.params["nonce"] != push.params["nonce"]
    work = Background()
    work.run("original", original_bot.handle, "POST", push.params, push.body)
    assert original_bot.entered.wait(WAIT)
    work.run("retry", retry_bot.process, retry.params, retry.body)  # process(): the body handle() would answer
    assert storage.marked.wait(WAIT)  # the retry is waiting for the original's reply ...
    original_bot.release.set()  # ... which then comes at once (faster than keep_reply_after)
    results = work.join()
    first = pusher.read_reply(200, results["original"].body)
    again = pusher.read_reply(200, results["retry"])  # verifies MsgSignature and decrypts
    assert first.content == again.content == "slow: hi"
    assert again.encrypted
    # encrypted and signed anew for the retry, not the original's envelope replayed
    assert envelope(results["retry"])["Encrypt"] != envelope(results["original"].body)["Encrypt"]
    assert original_bot.calls == 1  # the handler ran once
    assert retry_bot is original_bot or retry_bot.calls == 0


def test_a_retry_waits_for_its_slow_original_and_answers_its_reply(pusher: WeChatPusher) -> None:
    storage = Marking(MemoryStorage())
    bot = SlowBot(storage=storage)
    _retry_gets_the_reply(bot, bot, storage, pusher)  # before: 400 / DuplicateMessageError


def test_the_same_across_two_applications_sharing_redis(redis_url: str, pusher: WeChatPusher) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        storage = Marking(RedisStorage(client, prefix=f"test:{uuid.uuid4().hex}:"))
        _retry_gets_the_reply(SlowBot(storage=storage), SlowBot(storage=storage), storage, pusher)
    finally:
        client.close()


def test_a_retry_on_another_machine_polls_the_shared_storage(
    redis_url: str, pusher: WeChatPusher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The original's claim carries another process's owner id: the retry cannot look it up here, it polls."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        storage = Marking(RedisStorage(client, prefix=f"test:{uuid.uuid4().hex}:"))
        machine_a, machine_b = SlowBot(storage=storage), SlowBot(storage=storage)
        push = pusher.text("far")
        work = Background()
        monkeypatch.setattr(app_module, "_owner_prefix", "machine-a.")
        work.run("original", machine_a.process, push.params, push.body)
        assert machine_a.entered.wait(WAIT)
        monkeypatch.setattr(app_module, "_owner_prefix", "machine-b.")
        retry = retry_of(pusher, push)
        work.run("retry", machine_b.process, retry.params, retry.body)
        assert storage.marked.wait(WAIT)
        machine_a.release.set()
        results = work.join()
        assert pusher.read_reply(200, results["retry"]).content == "slow: far"
        assert (machine_a.calls, machine_b.calls) == (1, 0)
    finally:
        client.close()


def test_a_retry_with_nothing_in_time_answers_success(pusher: WeChatPusher) -> None:
    storage = Marking(MemoryStorage())
    bot = SlowBot(storage=storage)
    bot.retry_wait = 0.01
    push = pusher.text("late")
    work = Background()
    work.run("original", bot.handle, "POST", push.params, push.body)
    assert bot.entered.wait(WAIT)
    retry = retry_of(pusher, push)
    answer = bot.handle("POST", retry.params, retry.body)
    assert (answer.status, answer.body) == (200, "success")  # never a 4xx for a retry
    assert bot.process(retry.params, retry.body) == "success"
    bot.release.set()
    assert pusher.read_reply(200, work.join()["original"].body).content == "slow: late"
    assert bot.calls == 1
    # the waiting retries gave up and removed their markers: the fast original kept nothing
    assert pusher.deliver(bot, retry_of(pusher, push)).is_success


def test_only_one_copy_of_a_push_waits(pusher: WeChatPusher) -> None:
    """A replayed push cannot pin many workers: while one copy waits, the others answer "success" at once."""
    storage = Marking(MemoryStorage())
    bot = SlowBot(storage=storage)
    push = pusher.text("crowd")
    work = Background()
    work.run("original", bot.process, push.params, push.body)
    assert bot.entered.wait(WAIT)
    work.run("retry", bot.process, push.params, push.body)
    assert storage.marked.wait(WAIT)
    assert bot.process(push.params, push.body) == "success"  # a third copy meanwhile: answered at once ...
    assert storage.reads[threading.get_ident()] <= 1  # ... without polling (one read: the claim's check)
    bot.release.set()
    results = work.join()
    assert pusher.read_reply(200, results["retry"]).content == "slow: crowd"
    assert bot.calls == 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FastBot(WxApplication):
    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls = 0

    def on_text(self, msg: Any) -> str:
        self.calls += 1
        return f"fast: {msg.content}"


def test_a_kept_reply_is_answered_again_until_its_ttl(pusher: WeChatPusher) -> None:
    monotonic = Clock()
    bot = FastBot(storage=MemoryStorage(clock=monotonic))
    bot.keep_reply_after = 0  # keep every reply
    push = pusher.text("kept")
    first = bot.process(push.params, push.body)
    again = bot.process(push.params, push.body)  # process() returns the reply for a retry: no exception
    assert pusher.read_reply(200, first).content == pusher.read_reply(200, again).content == "fast: kept"
    monotonic.now += bot.reply_ttl + 1  # the kept reply expired; the replay guard still remembers the push
    assert bot.process(push.params, push.body) == "success"
    assert pusher.deliver(bot, retry_of(pusher, push)).is_success
    assert bot.calls == 1


def test_plaintext_retry_answers_the_same_body(pusher: WeChatPusher) -> None:
    plain = WeChatPusher(TOKEN)
    bot = FastBot(allow_plaintext=True)
    bot.keep_reply_after = 0
    push = plain.text("plain")
    body = bot.process(push.params, push.body)
    assert bot.process(push.params, push.body) == body  # plaintext: the very same XML
    response = bot.handle("POST", push.params, push.body)
    assert (response.status, response.body) == (200, body)
    assert bot.calls == 1


def test_a_fast_push_costs_no_storage_write(pusher: WeChatPusher) -> None:
    writes: list[str] = []

    class Counting(MemoryStorage):
        def set(self, key: str, value: str, ttl: float | None = None) -> None:
            writes.append(key)
            super().set(key, value, ttl)

    bot = FastBot(storage=Counting())
    push = pusher.text("quick")
    assert pusher.deliver(bot, push).content == "fast: quick"
    assert writes == []  # only the claim (an add): no reply kept
    bot.keep_reply_after = 0
    pusher.deliver(bot, pusher.text("kept"))
    assert [key.split(":")[1] for key in writes] == ["reply", "seen"]  # the reply first, then "done"


def test_a_cut_or_failing_storage_never_gives_a_wrong_answer(pusher: WeChatPusher) -> None:
    bot = FastBot(storage=Marking(MemoryStorage(), cut_after=40))
    bot.keep_reply_after = 0
    push = pusher.text("long enough to be cut")
    assert pusher.deliver(bot, push).content == "fast: long enough to be cut"
    assert pusher.deliver(bot, push).is_success  # not a cut reply

    class Broken(MemoryStorage):
        def get(self, key: str) -> str | None:
            if key.startswith("wxkit:reply:"):
                raise ConnectionError("down")
            return super().get(key)

        def set(self, key: str, value: str, ttl: float | None = None) -> None:
            if key.startswith("wxkit:reply:"):
                raise ConnectionError("down")
            super().set(key, value, ttl)

    bot = FastBot(storage=Broken())
    push = pusher.text("x")
    assert pusher.deliver(bot, push).content == "fast: x"  # the original is answered whatever happens
    answer = bot.handle("POST", push.params, push.body)
    assert (answer.status, answer.body) == (200, "success")
    assert bot.calls == 1


def test_observers_see_the_retry_and_the_reply_it_got(pusher: WeChatPusher) -> None:
    bot = FastBot()
    bot.keep_reply_after = 0
    records: list[PushRecord] = []
    bot.add_observer(records.append)
    push = pusher.text("seen")
    bot.process(push.params, push.body)
    bot.process(push.params, push.body)
    assert [r.outcome for r in records] == [Outcome.HANDLED, Outcome.DUPLICATE]
    assert records[1].reply == records[0].reply is not None


# -- the async path --------------------------------------------------------------------------------
class SignallingMemory(MemoryStorage):
    """A MemoryStorage (so the async path calls it on the loop) that tells when a retry waits."""

    def __init__(self) -> None:
        super().__init__()
        self.marked = asyncio.Event()

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        stored = super().add(key, value, ttl)
        if stored and value.startswith("wait:"):
            self.marked.set()
        return stored


def test_async_path_waits_without_blocking_the_loop(pusher: WeChatPusher, monkeypatch: pytest.MonkeyPatch) -> None:
    class AsyncBot(WxApplication):
        token = TOKEN
        app_id = APP_ID
        aes_key = AES_KEY
        keep_reply_after = 3600.0

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.entered = asyncio.Event()
            self.release = asyncio.Event()
            self.calls = 0

        async def on_text(self, msg: Any) -> str:
            self.calls += 1
            self.entered.set()
            await self.release.wait()
            return f"async: {msg.content}"

    def no_blocking_sleep(seconds: float) -> None:
        raise AssertionError("time.sleep on the async path would block the event loop")

    monkeypatch.setattr(time, "sleep", no_blocking_sleep)

    async def main() -> tuple[Any, str]:
        storage = SignallingMemory()
        bot = AsyncBot(storage=storage)
        push = pusher.text("hi")
        retry = retry_of(pusher, push)
        original = asyncio.ensure_future(bot.handle_async("POST", push.params, push.body))
        await asyncio.wait_for(bot.entered.wait(), WAIT)
        again = asyncio.ensure_future(bot.process_async(retry.params, retry.body))
        await asyncio.wait_for(storage.marked.wait(), WAIT)  # the retry polls with asyncio.sleep meanwhile
        bot.release.set()
        first, second = await asyncio.wait_for(asyncio.gather(original, again), WAIT)
        assert bot.calls == 1
        return first, second

    first, second = asyncio.run(main())
    assert pusher.read_reply(200, first.body).content == pusher.read_reply(200, second).content == "async: hi"


# -- reply_later ------------------------------------------------------------------------------------
class InlineExecutor(Executor):
    """A fake executor: runs the job at once, in the caller's thread."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@pytest.fixture
def follower(wechat_emulator: Emulator, wechat_app: AppState) -> str:
    wechat_app.add_follower(OPENID)
    wechat_app.touch(OPENID, wechat_emulator.now())
    return OPENID


class LaterBot(WxApplication):
    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY

    def on_text(self, msg: Any) -> Any:
        if msg.content == "bad":
            return self.reply_later(msg, self.broken)
        return self.reply_later(msg, self.research, msg.content, interim="working on it")

    def on_click(self, event: Any) -> Any:
        return self.reply_later(event, lambda: NewsReply([Article("t", "d", "http://p", "http://u")]))

    def research(self, topic: str) -> str:
        return f"the answer about {topic}"

    def broken(self) -> str:
        raise RuntimeError("work failed")


def custom_sends(app: AppState) -> list[dict[str, Any]]:
    return [sent for sent in app.sent if sent.get("kind") == "custom"]


def test_reply_later_answers_now_and_sends_later(
    wechat_client: Client, wechat_app: AppState, follower: str, pusher: WeChatPusher
) -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    bot = LaterBot()
    bot.client, bot.reply_executor = wechat_client, pool
    assert pusher.deliver(bot, pusher.text("tides")).content == "working on it"  # before: AttributeError
    assert pusher.deliver(bot, pusher.click("K")).is_success
    pool.shutdown(wait=True)  # wait for the background work (no sleeping)
    sent = custom_sends(wechat_app)
    assert sent[0]["touser"] == follower
    assert (sent[0]["msgtype"], sent[0]["text"]) == ("text", {"content": "the answer about tides"})
    assert sent[1]["msgtype"] == "news"
    assert sent[1]["news"]["articles"][0]["title"] == "t"


def test_reply_later_failures_are_logged(
    wechat_client: Client, wechat_app: AppState, follower: str, pusher: WeChatPusher, caplog: pytest.LogCaptureFixture
) -> None:
    bot = LaterBot()
    bot.client, bot.reply_executor = wechat_client, InlineExecutor()
    with caplog.at_level(logging.ERROR, logger="wxkit.app"):
        assert pusher.deliver(bot, pusher.text("bad")).is_success
        assert "reply_later: LaterBot.broken failed" in caplog.text
        stranger = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, openid="o_not_a_follower")
        assert stranger.deliver(bot, stranger.text("x")).content == "working on it"
        assert "sending the result of LaterBot.research failed" in caplog.text
    assert custom_sends(wechat_app) == []
    assert wechat_client.access_token not in caplog.text


def test_reply_later_needs_a_client_and_async_work_needs_the_async_path(pusher: WeChatPusher) -> None:
    bot = LaterBot()
    message = bot.registry.parse(parse_xml(pusher.text("x").xml))
    with pytest.raises(ConfigError, match="needs a client"):
        bot.reply_later(message, str)

    async def work() -> str:
        return "later"

    bot.client = Client("wx1", "secret")
    with pytest.raises(ConfigError, match="async path"):
        bot.reply_later(message, work)


def test_reply_later_on_the_async_path(
    wechat_emulator: Emulator, wechat_app: AppState, follower: str, pusher: WeChatPusher
) -> None:
    class AsyncLaterBot(WxApplication):
        token = TOKEN
        app_id = APP_ID
        aes_key = AES_KEY

        async def on_text(self, msg: Any) -> Any:
            return self.reply_later(msg, self.research, msg.content)

        def on_click(self, event: Any) -> Any:  # a plain handler, run in a worker thread
            return self.reply_later(event, self.research, event.event_key)

        async def research(self, topic: str) -> str:
            await asyncio.sleep(0)
            return f"async answer about {topic}"

    async def main() -> None:
        client = AsyncClient(wechat_app.appid, wechat_app.secret, base_url=wechat_emulator.url, backoff=0.0)
        bot = AsyncLaterBot()
        bot.client = client
        for push in (pusher.text("moon"), pusher.click("sun")):
            response = await bot.handle_async("POST", push.params, push.body)
            assert pusher.read_reply(response.status, response.body).is_success
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        while pending:  # the reply_later tasks (and what they started)
            await asyncio.gather(*pending)
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        await client.aclose()

    asyncio.run(main())
    contents = sorted(sent["text"]["content"] for sent in custom_sends(wechat_app))
    assert contents == ["async answer about moon", "async answer about sun"]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("hi", ("text", {"content": "hi"})),
        (TextReply("hi"), ("text", {"content": "hi"})),
        (ImageReply("M"), ("image", {"media_id": "M"})),
        (
            MusicReply("T", title="song", music_url="http://m"),
            ("music", {"title": "song", "musicurl": "http://m", "thumb_media_id": "T"}),
        ),
        (None, None),
    ],
)
def test_work_results_become_customer_service_messages(result: Any, expected: Any) -> None:
    from wxkit._later import customer_message

    assert customer_message(result) == expected


def test_a_result_with_no_customer_service_form_is_a_type_error() -> None:
    from wxkit._later import customer_message

    with pytest.raises(TypeError, match="TransferCustomerServiceReply"):
        customer_message(TransferCustomerServiceReply())
