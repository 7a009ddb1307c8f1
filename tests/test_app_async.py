"""The async inbound path: handle_async / process_async await async def handlers; the sync path refuses them.

The answers of handle_async equal handle's for every input (a Hypothesis property test in
test_handle_fuzz.py); here: async handlers and hooks of every kind, where plain code runs
(a worker thread or the loop), the replay guard's storage off the loop, and the refusals.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from wxkit import WxApplication
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.errors import ConfigError, StorageError
from wxkit.replies import TextReply
from wxkit.routing import Router
from wxkit.storage import MemoryStorage
from wxkit.work import WorkApplication
from wxkit.xmlcodec import parse_xml

TOKEN = "async-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
NOW = 1_700_000_000
_ids = iter(range(10**6, 10**7))


def text_xml(content: str, msg_id: int | None = None) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_bot]]></ToUserName><FromUserName><![CDATA[o-user]]></FromUserName>"
        f"<CreateTime>{NOW}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or next(_ids)}</MsgId></xml>"
    )


def event_xml(event: str, key: str = "") -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_bot]]></ToUserName><FromUserName><![CDATA[o-user]]></FromUserName>"
        f"<CreateTime>{next(_ids)}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def signed() -> dict[str, str]:
    return {"signature": sha1_signature(TOKEN, str(NOW), "n"), "timestamp": str(NOW), "nonce": "n"}


def reply_text(body: str) -> str:
    return str(parse_xml(body)["Content"])


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class AsyncBot(WxApplication):
    """Every kind of handler and hook, async def."""

    token = TOKEN
    handlers_block = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(clock=lambda: NOW, **kwargs)
        self.seen: list[str] = []

    async def on_text(self, msg: Any) -> str:
        await asyncio.sleep(0)
        if msg.content == "boom":
            raise RuntimeError("handler failed")
        return f"async: {msg.content}"

    async def on_subscribe(self, event: Any) -> str:
        return "welcome"

    async def pre_process(self, message: Any) -> Any:
        self.seen.append("pre")
        return "short-circuit" if getattr(message, "content", "") == "pre" else None

    async def post_process(self, message: Any, reply: Any) -> Any:
        self.seen.append("post")
        return reply

    async def on_error(self, message: Any, error: Exception) -> Any:
        self.seen.append(f"error:{type(error).__name__}")
        return "sorry"


async def click_handler(event: Any) -> str:
    await asyncio.sleep(0)
    return f"clicked {event.event_key}"


async def voice_handler(msg: Any) -> str:
    return "voice"


# -- async handlers through handle_async / process_async -----------------------------------------
def test_async_on_methods_and_hooks_are_awaited() -> None:
    bot = AsyncBot()
    response = run(bot.handle_async("POST", signed(), text_xml("hi")))
    assert response.status == 200
    assert response.content_type.startswith("application/xml")
    assert reply_text(response.body) == "async: hi"
    assert bot.seen == ["pre", "post"]
    assert reply_text(run(bot.process_async(signed(), event_xml("subscribe")))) == "welcome"


def test_async_pre_process_short_circuits_and_async_on_error_answers() -> None:
    bot = AsyncBot()
    assert reply_text(run(bot.process_async(signed(), text_xml("pre")))) == "short-circuit"
    assert reply_text(run(bot.process_async(signed(), text_xml("boom")))) == "sorry"
    assert "error:RuntimeError" in bot.seen


def test_an_unrenderable_reply_goes_to_an_async_on_error() -> None:
    class Bot(AsyncBot):
        async def on_text(self, msg: Any) -> Any:
            return TextReply(None)  # type: ignore[arg-type]  # cannot be rendered

    bot = Bot()
    assert reply_text(run(bot.process_async(signed(), text_xml("x")))) == "sorry"


def test_async_handlers_in_the_dicts_and_routes() -> None:
    class Bot(WxApplication):
        handlers = {"voice": voice_handler}  # noqa: RUF012 - read once, never mutated
        event_handlers = {"CLICK": click_handler}  # noqa: RUF012 - read once, never mutated

    bot = Bot(token=TOKEN, clock=lambda: NOW)
    voice = text_xml("x").replace("<![CDATA[text]]>", "<![CDATA[voice]]>")
    assert reply_text(run(bot.process_async(signed(), voice))) == "voice"
    assert reply_text(run(bot.process_async(signed(), event_xml("CLICK", "K1")))) == "clicked K1"

    @bot.regex(r"^order (\d+)$")  # match groups bound: the handler is wrapped, still awaited
    async def order(msg: Any, number: str) -> str:
        return f"order {number}"

    @bot.keyword("help")
    async def help_(msg: Any) -> str:
        return "help!"

    assert reply_text(run(bot.process_async(signed(), text_xml("order 42")))) == "order 42"
    assert reply_text(run(bot.process_async(signed(), text_xml("help")))) == "help!"


def test_url_check_and_errors_through_handle_async() -> None:
    bot = AsyncBot()
    params = {**signed(), "echostr": "e-1"}
    assert run(bot.handle_async("GET", params, None)).body == "e-1"
    assert run(bot.handle_async("PUT", params, None)).status == 405
    assert run(bot.handle_async("POST", {**signed(), "signature": "x" * 40}, text_xml("hi"))).status == 403
    assert run(bot.handle_async("POST", signed(), "<xml><broken")).status == 400
    push = text_xml("once")
    assert run(bot.handle_async("POST", signed(), push)).status == 200
    retry = run(bot.handle_async("POST", signed(), push))  # WeChat's retry of a fast push
    assert (retry.status, retry.body) == (200, "success")  # before: 400


def test_safe_mode_and_wecom_replies_are_encrypted() -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
    bot = AsyncBot(app_id=APP_ID, aes_key=AES_KEY)
    enc = crypto.encrypt(text_xml("secret"))
    params = {**signed(), "encrypt_type": "aes", "msg_signature": sha1_signature(TOKEN, str(NOW), "n", enc)}
    body = run(bot.process_async(params, f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"))
    assert reply_text(crypto.decrypt(parse_xml(body)["Encrypt"])) == "async: secret"

    class WorkBot(WorkApplication):
        async def on_text(self, msg: Any) -> str:
            return f"work: {msg.content}"

    work = WorkBot(token=TOKEN, corp_id="ww1", aes_key=AES_KEY, clock=lambda: NOW)
    work_crypto = MessageCrypto(TOKEN, AES_KEY, "ww1")
    enc = work_crypto.encrypt(text_xml("hi"))
    params = {"timestamp": str(NOW), "nonce": "n", "msg_signature": sha1_signature(TOKEN, str(NOW), "n", enc)}
    response = run(work.handle_async("POST", params, f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"))
    assert reply_text(work_crypto.decrypt(parse_xml(response.body)["Encrypt"])) == "work: hi"


def test_process_async_with_per_call_credentials() -> None:
    bot = AsyncBot()
    other = "other-token"
    params = {"signature": sha1_signature(other, str(NOW), "n"), "timestamp": str(NOW), "nonce": "n"}
    assert reply_text(run(bot.process_async(params, text_xml("hi"), token=other))) == "async: hi"


# -- where plain code runs -------------------------------------------------------------------------
class ThreadBot(WxApplication):
    token = TOKEN

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(clock=lambda: NOW, **kwargs)
        self.threads: dict[str, int] = {}

    def on_text(self, msg: Any) -> str:
        self.threads["handler"] = threading.get_ident()
        return "plain"

    def post_process(self, message: Any, reply: Any) -> Any:
        self.threads["post_process"] = threading.get_ident()
        return reply


async def _on_loop(app: Any, *args: Any) -> tuple[Any, int]:
    return await app.handle_async(*args), threading.get_ident()


@pytest.mark.parametrize("blocking", [True, False])
def test_plain_handlers_run_in_a_thread_unless_handlers_block_is_false(blocking: bool) -> None:
    bot = ThreadBot()
    bot.handlers_block = blocking
    response, loop_thread = run(_on_loop(bot, "POST", signed(), text_xml("hi")))
    assert reply_text(response.body) == "plain"
    assert (bot.threads["handler"] != loop_thread) is blocking
    assert (bot.threads["post_process"] != loop_thread) is blocking


class RecordingStorage:
    """A Storage that is not a MemoryStorage (and can be down); records the threads it is called from."""

    def __init__(self, fail: bool = False) -> None:
        self.inner = MemoryStorage()
        self.threads: list[int] = []
        self.fail = fail

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.get_ident())
            if self.fail:
                raise StorageError("the storage is down")
            return method(*args, **kwargs)

        return call


def test_the_replay_guard_storage_runs_in_a_thread_unless_it_is_a_memory_storage() -> None:
    storage = RecordingStorage()
    bot = ThreadBot(storage=storage)  # type: ignore[arg-type]
    bot.handlers_block = False
    response, loop_thread = run(_on_loop(bot, "POST", signed(), text_xml("hi")))
    assert response.status == 200
    assert storage.threads
    assert loop_thread not in storage.threads

    class InlineMemory(MemoryStorage):
        def add(self, *args: Any, **kwargs: Any) -> Any:
            self.thread = threading.get_ident()
            return super().add(*args, **kwargs)

    memory = InlineMemory()
    bot = ThreadBot(storage=memory)
    response, loop_thread = run(_on_loop(bot, "POST", signed(), text_xml("hi")))
    assert response.status == 200
    assert memory.thread == loop_thread


def test_a_failing_storage_answers_500_on_both_paths() -> None:
    sync_bot = ThreadBot(storage=RecordingStorage(fail=True))  # type: ignore[arg-type]
    async_bot = ThreadBot(storage=RecordingStorage(fail=True))  # type: ignore[arg-type]
    push = text_xml("hi")
    assert sync_bot.handle("POST", signed(), push) == run(async_bot.handle_async("POST", signed(), push))
    assert sync_bot.handle("POST", signed(), push).status == 500
    assert "handler" not in async_bot.threads


def test_a_slow_plain_handler_does_not_stall_the_loop() -> None:
    release = threading.Event()

    class Slow(ThreadBot):
        def on_text(self, msg: Any) -> str:
            release.wait(10)
            return "slow"

    bot = Slow()

    async def main() -> str:
        task = asyncio.create_task(bot.handle_async("POST", signed(), text_xml("hi")))
        await asyncio.sleep(0.01)  # the loop keeps running while the handler blocks its thread
        assert not task.done()
        release.set()
        return reply_text((await task).body)

    assert run(main()) == "slow"


# -- the sync entry points refuse async handlers ---------------------------------------------------
def test_sync_process_and_handle_refuse_an_async_application() -> None:
    bot = AsyncBot()
    for call in (
        lambda: bot.process(signed(), text_xml("hi")),
        lambda: bot.handle("POST", signed(), text_xml("hi")),
        lambda: bot.handle("GET", {**signed(), "echostr": "e"}, None),
    ):
        with pytest.raises(ConfigError, match=r"on_text.*handle_async") as info:
            call()
        assert "pre_process" in str(info.value)
        assert "on_error" in str(info.value)


@pytest.mark.parametrize(
    ("config", "name"),
    [
        ({"handlers": {"voice": voice_handler}}, "voice_handler"),
        ({"event_handlers": {"click": click_handler}}, "click_handler"),
    ],
)
def test_async_dict_handlers_are_refused_at_construction_time(config: dict[str, Any], name: str) -> None:
    bot = type("Bot", (WxApplication,), config)(token=TOKEN, clock=lambda: NOW)
    with pytest.raises(ConfigError, match=name):
        bot.handle("POST", signed(), text_xml("hi"))


def test_async_class_routes_are_refused_and_later_routes_at_dispatch() -> None:
    router = Router()

    @router.text
    async def echo(msg: Any) -> str:
        return "x"

    bot = type("Bot", (WxApplication,), {"routes": (router,)})(token=TOKEN, clock=lambda: NOW)
    with pytest.raises(ConfigError, match="echo"):
        bot.process(signed(), text_xml("hi"))
    assert reply_text(run(bot.process_async(signed(), text_xml("hi")))) == "x"

    later = WxApplication(token=TOKEN, clock=lambda: NOW)

    @later.text
    async def later_echo(msg: Any) -> str:
        return "y"

    with pytest.raises(ConfigError, match=r"later_echo.*handle_async"):
        later.handle("POST", signed(), text_xml("hi"))  # raised, never a 400 or "success"
    assert reply_text(run(later.process_async(signed(), text_xml("hi")))) == "y"


def test_a_plain_function_returning_a_coroutine_is_refused_without_a_warning(recwarn: Any) -> None:
    bot = WxApplication(token=TOKEN, clock=lambda: NOW)
    bot.text(lambda msg: voice_handler(msg))
    with pytest.raises(ConfigError, match="lambda"):
        bot.handle("POST", signed(), text_xml("hi"))
    assert not [w for w in recwarn if "never awaited" in str(w.message)]
    assert reply_text(run(bot.process_async(signed(), text_xml("hi")))) == "voice"


def test_dispatch_refuses_async_hooks() -> None:
    bot = AsyncBot()
    message = bot.registry.parse(parse_xml(text_xml("hi")))
    with pytest.raises(ConfigError, match="pre_process"):
        bot.dispatch(message)


def test_a_plain_application_is_unaffected() -> None:
    bot = ThreadBot()
    assert reply_text(bot.process(signed(), text_xml("hi"))) == "plain"
    assert not bot._async_handlers


# -- subclasses that override process() (wxkit.compat) ---------------------------------------------
def test_an_overridden_process_is_served_by_handle_async_through_handle() -> None:
    class Custom(ThreadBot):
        def process(self, params: Any, xml: Any = None, *args: Any) -> str:  # type: ignore[override]
            self.threads["process"] = 1
            return super().process(params, xml, *args)

    bot = Custom()
    assert reply_text(run(bot.handle_async("POST", signed(), text_xml("hi"))).body) == "plain"
    assert bot.threads["process"] == 1


def test_compat_application_answers_the_same_async() -> None:
    from wxkit.compat.official import WxApplication as CompatApplication

    class Old(CompatApplication):
        SECRET_TOKEN = TOKEN

        def on_text(self, req: Any) -> str:
            return f"old {req.Content}"

    old = Old()
    old._clock = lambda: NOW
    push = text_xml("hi")
    response = run(old.handle_async("POST", signed(), push))
    assert reply_text(response.body) == "old hi"
    assert run(old.handle_async("POST", signed(), b"")).status == old.handle("POST", signed(), b"").status
