"""The automatic "typing..." keep-alive around a slow handler, sync (a thread) and async (a task), over the emulator.

A slow handler holds until the emulator has recorded the keep-alive's starts
(``account.wait_typing``): no sleeps, no assertions on time.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from wxkit.errors import ConfigError
from wxkit.ilink import ILinkMessage
from wxkit.ilink.keepalive import TYPING_KEEPALIVE, AsyncTypingKeepAlive, TypingKeepAlive
from wxkit.testing.ilink import ILinkEmulator

ALICE = "alice@im.wechat"


class SlowSync:
    """A handler that runs until the bot has sent "typing..." twice."""

    typing_delay = 0.0
    typing_keepalive = 0.01
    account: Any = None

    def on_text(self, message: ILinkMessage) -> str:
        self.account.wait_typing(2)
        return "done"


class SlowAsync:
    """The same, awaiting (so the keep-alive task runs while it waits)."""

    typing_delay = 0.0
    typing_keepalive = 0.01
    account: Any = None

    async def on_text(self, message: ILinkMessage) -> str:
        await asyncio.to_thread(self.account.wait_typing, 2)
        return "done"


def _slow(bot_kind: str) -> type:
    return SlowSync if bot_kind == "sync" else SlowAsync


def test_a_slow_handler_keeps_typing_alive_then_cancels(ilink: ILinkEmulator, make_bot: Any, bot_kind: str) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "think hard")
    bot = make_bot(_slow(bot_kind), account.bot_token)
    bot.account = account
    assert bot.poll_once() == 1
    assert [s["text"] for s in account.sent] == ["done"]
    starts = [t for t in account.typing if t == (ALICE, 1)]
    assert len(starts) >= 2  # the start was repeated while the handler ran
    assert account.typing[-1] == (ALICE, 2)  # and the cancel came after the last start
    assert account.typing.count((ALICE, 2)) == 1
    assert len([r for r in ilink.requests if r["path"] == "ilink/bot/getconfig"]) == 1  # the ticket is cached


class Quick:
    typing_delay = 3600.0

    def on_text(self, message: ILinkMessage) -> str:
        return "fast"


class NoKeepAlive:
    typing_delay = 0.0
    typing_keepalive = None

    def on_text(self, message: ILinkMessage) -> str:
        return "plain"


def test_a_handler_that_ends_before_the_delay_sends_no_typing(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "hi")
    bot = make_bot(Quick, account.bot_token)
    assert bot.poll_once() == 1
    assert account.typing == []
    assert not [r for r in ilink.requests if r["path"] == "ilink/bot/getconfig"]


def test_typing_keepalive_none_disables_it(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "hi")
    bot = make_bot(NoKeepAlive, account.bot_token)
    assert bot.poll_once() == 1
    assert account.typing == []
    assert [s["text"] for s in account.sent] == ["plain"]


def test_the_default_interval_is_the_reference_clients() -> None:
    from wxkit.ilink import AsyncILinkBot, ILinkBot

    assert TYPING_KEEPALIVE == 5.0
    assert ILinkBot.typing_keepalive == AsyncILinkBot.typing_keepalive == 5.0


def test_with_typing_indicator_the_start_is_sent_at_once_and_repeated(
    ilink: ILinkEmulator, make_bot: Any, bot_kind: str
) -> None:
    mixin = type("Indicated", (_slow(bot_kind),), {"typing_indicator": True, "typing_delay": 3600.0})
    account = ilink.add_bot()
    account.send_text(ALICE, "x")
    bot = make_bot(mixin, account.bot_token)
    bot.account = account
    assert bot.poll_once() == 1  # the delay is ignored: the start went out before the handler, then repeats
    assert account.typing.count((ALICE, 1)) >= 2
    assert account.typing[-1] == (ALICE, 2)


def test_a_failing_keepalive_never_breaks_the_handler(ilink: ILinkEmulator, make_bot: Any, bot_kind: str) -> None:
    account = ilink.add_bot()
    ilink.inject("ilink/bot/getconfig", status=500, body=b"oops", times=10_000)
    fault = ilink._faults[-1]
    seen = threading.Event()

    def wait_for_getconfig() -> None:
        for _ in range(1000):  # until the keep-alive has failed three times (it goes on trying)
            if fault.times <= 10_000 - 3:
                seen.set()
                return
            threading.Event().wait(0.01)

    class Sync:
        typing_delay, typing_keepalive = 0.0, 0.01

        def on_text(self, message: ILinkMessage) -> str:
            wait_for_getconfig()
            return "still answered"

    class Async(Sync):
        async def on_text(self, message: ILinkMessage) -> str:  # type: ignore[override]
            await asyncio.to_thread(wait_for_getconfig)
            return "still answered"

    account.send_text(ALICE, "x")
    bot = make_bot(Sync if bot_kind == "sync" else Async, account.bot_token)
    assert bot.poll_once() == 1
    assert seen.is_set()
    assert account.typing == []
    assert [s["text"] for s in account.sent] == ["still answered"]


def test_keepalive_helpers_stop_with_their_block() -> None:
    calls: list[str] = []
    release = threading.Event()

    def start() -> None:
        calls.append("start")
        if len(calls) >= 3:
            release.set()

    with TypingKeepAlive(start, delay=0.0, interval=0.001) as keep:
        assert release.wait(10)
    count = len(calls)
    assert keep.sent == count >= 3  # nothing runs after the block: the thread was joined

    async def scenario() -> tuple[int, int]:
        done = asyncio.Event()

        async def astart() -> None:
            calls.append("astart")
            if calls.count("astart") >= 3:
                done.set()

        async with AsyncTypingKeepAlive(astart, delay=0.0, interval=0.001) as akeep:
            await asyncio.wait_for(done.wait(), 10)
        return akeep.sent, calls.count("astart")

    sent, made = asyncio.run(scenario())
    assert sent == made >= 3


def test_a_cancelled_handler_ends_its_keepalive() -> None:
    async def scenario() -> bool:
        started = asyncio.Event()

        async def astart() -> None:
            started.set()

        keep = AsyncTypingKeepAlive(astart, delay=0.0, interval=0.001)

        async def handler() -> None:
            async with keep:
                await asyncio.Event().wait()  # never ends: the test cancels it

        task = asyncio.get_running_loop().create_task(handler())
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert keep._task is not None
        await asyncio.wait([keep._task], timeout=10)  # ended (cancelled, or returned on the done flag)
        return keep._task.done()

    assert asyncio.run(scenario())


@pytest.mark.parametrize("interval", [0, -1.0, float("nan"), float("inf"), "5", True])
def test_a_keepalive_interval_that_is_not_a_positive_number_is_a_config_error(
    ilink: ILinkEmulator, make_bot: Any, interval: Any
) -> None:
    # 0 (or less) once meant sendtyping as fast as iLink answered, for as long as the handler ran.
    with pytest.raises(ConfigError, match="typing_keepalive"):
        TypingKeepAlive(lambda: None, delay=0.0, interval=interval)
    with pytest.raises(ConfigError, match="typing_keepalive"):
        AsyncTypingKeepAlive(_astart_noop, delay=0.0, interval=interval)
    with pytest.raises(ConfigError, match="typing_delay"):
        TypingKeepAlive(lambda: None, delay=float("nan"), interval=1.0)
    mixin = type("Zero", (), {"typing_keepalive": interval, "on_text": lambda self, message: "hi"})
    account = ilink.add_bot()
    with pytest.raises(ConfigError, match="typing_keepalive"):
        make_bot(mixin, account.bot_token)  # at once, not on every message
    assert account.typing == []


async def _astart_noop() -> None:
    return None
