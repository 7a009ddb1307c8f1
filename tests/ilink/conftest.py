"""Fixtures for the iLink tests: an iLink emulator, and bots made sync or async from one test body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wxkit.ilink import AsyncILinkBot, AsyncILinkLogin, ILinkBot, ILinkLogin
from wxkit.testing.ilink import ILinkEmulator


@pytest.fixture
def ilink() -> Iterator[ILinkEmulator]:
    """An iLink emulator whose long-poll holds at most half a second."""
    with ILinkEmulator(hold=0.5) as emu:
        yield emu


@pytest.fixture(params=["sync", "async"])
def bot_kind(request: pytest.FixtureRequest) -> str:
    """``"sync"`` then ``"async"``: which bot class the scenario runs on."""
    return str(request.param)


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def make_bot(bot_kind: str, ilink: ILinkEmulator, async_loop: Any, sync_view: Any) -> Iterator[Any]:
    """``make_bot(handlers_mixin, token, **kw)``: an ``ILinkBot`` (sync) or an ``AsyncILinkBot`` seen through
    ``SyncView``, with the mixin's handlers, pointed at the emulator."""
    made: list[Any] = []

    def make(mixin: type, token: str, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", ilink.url)
        kwargs.setdefault("backoff", 0.0)
        if bot_kind == "sync":
            kwargs.setdefault("sleep", lambda seconds: None)
            bot = type("Bot", (mixin, ILinkBot), {})(token, **kwargs)
            made.append(bot)
            return bot
        kwargs.setdefault("sleep", _no_sleep)

        async def build() -> Any:
            return type("AsyncBot", (mixin, AsyncILinkBot), {})(token, **kwargs)

        view = sync_view(async_loop.run(build()))
        made.append(view)
        return view

    yield make
    for bot in made:
        if bot_kind == "sync":
            bot.close()
        else:
            bot.aclose()


@pytest.fixture
def run_bot(bot_kind: str, async_loop: Any) -> Any:
    """``run_bot(bot)``: ``bot.run()``, or ``await bot.run_async()`` on the loop, until it stops or raises."""

    def run(bot: Any) -> None:
        if bot_kind == "sync":
            bot.run()
        else:
            bot.run_async()

    return run


@pytest.fixture
def make_login(bot_kind: str, ilink: ILinkEmulator, async_loop: Any, sync_view: Any) -> Any:
    """``make_login(**kw)``: an ``ILinkLogin`` or a ``SyncView`` of an ``AsyncILinkLogin`` on the emulator."""

    def make(**kwargs: Any) -> Any:
        if bot_kind == "sync":
            return ILinkLogin(ilink.url, **kwargs)

        async def build() -> Any:
            return AsyncILinkLogin(ilink.url, **kwargs)

        return sync_view(async_loop.run(build()))

    return make
