"""The "typing..." keep-alive around a slow handler: a background thread (sync) or task (async).

While a handler runs, :class:`TypingKeepAlive` (sync, a daemon thread) or
:class:`AsyncTypingKeepAlive` (async, a task on the running loop) waits
``delay`` seconds, then calls ``start`` (which sends ``sendtyping`` status 1)
and calls it again every ``interval`` seconds until the ``with`` block ends.
The bot then sends the cancel (status 2) itself, after the keep-alive has
stopped, so the cancel always follows the last start. ``start`` must not
raise (the bot's logs and swallows iLink's failures); anything it raises
anyway is logged and ends the keep-alive, never the handler. An ``interval``
that is not a positive finite number of seconds (or a ``delay`` that is not
finite) raises :class:`~wxkit.errors.ConfigError`.

The reference client (``@tencent-weixin/openclaw-weixin``) repeats the
typing status every 5 seconds (``keepaliveIntervalMs: 5000``):
:data:`TYPING_KEEPALIVE`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType

from ..errors import ConfigError

__all__ = ["AsyncTypingKeepAlive", "TYPING_DELAY", "TYPING_KEEPALIVE", "TypingKeepAlive"]

logger = logging.getLogger("wxkit.ilink")

#: Seconds between two ``sendtyping`` starts while a handler runs (the reference client's 5 s).
TYPING_KEEPALIVE = 5.0
#: Seconds a handler runs before the first automatic ``sendtyping`` start.
TYPING_DELAY = 1.0


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number of seconds, not {value!r}")
    return float(value)


def _check_timing(delay: object, interval: object) -> tuple[float, float]:
    """``(delay, interval)`` as floats (a negative delay is 0); ConfigError unless both are finite, interval > 0.

    A zero or negative interval would repeat ``sendtyping`` as fast as iLink answers.
    """
    seconds = _seconds("typing_keepalive", interval)
    if seconds <= 0:
        raise ConfigError(f"typing_keepalive must be more than 0 seconds (None turns it off), not {interval!r}")
    return max(_seconds("typing_delay", delay), 0.0), seconds


class TypingKeepAlive:
    """``with TypingKeepAlive(start, delay=..., interval=...):`` calls ``start`` from a thread while the block runs.

    :attr:`sent` counts the calls of ``start`` (0: the block ended before ``delay``).
    """

    def __init__(self, start: Callable[[], object], *, delay: float, interval: float) -> None:
        self._start = start
        self.delay, self.interval = _check_timing(delay, interval)
        self.interval = max(self.interval, 0.001)
        self.sent = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        wait = self.delay
        while not self._done.wait(wait):
            try:
                self._start()
            except Exception as exc:  # noqa: BLE001 - the keep-alive must never break the handler
                logger.info("iLink typing keep-alive failed: %s", type(exc).__name__)
                return
            self.sent += 1
            wait = self.interval

    def __enter__(self) -> TypingKeepAlive:
        self._thread = threading.Thread(target=self._run, name="wxkit-ilink-typing", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()  # a start in flight finishes first: the bot's cancel comes after it


class AsyncTypingKeepAlive:
    """``async with AsyncTypingKeepAlive(start, delay=..., interval=...):`` awaits ``start`` from a task.

    The handler must await (an ``async def`` that yields to the loop) for the
    task to run: a blocking sync handler on an async bot blocks the keep-alive too.
    :attr:`sent` counts the calls of ``start``.
    """

    def __init__(self, start: Callable[[], Awaitable[object]], *, delay: float, interval: float) -> None:
        self._start = start
        self.delay, self.interval = _check_timing(delay, interval)
        self.interval = max(self.interval, 0.001)
        self.sent = 0
        self._done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        wait = self.delay
        while True:
            try:
                await asyncio.wait_for(self._done.wait(), wait)
                return
            except asyncio.TimeoutError:
                pass
            try:
                await self._start()
            except Exception as exc:  # noqa: BLE001 - the keep-alive must never break the handler
                logger.info("iLink typing keep-alive failed: %s", type(exc).__name__)
                return
            self.sent += 1
            wait = self.interval

    async def __aenter__(self) -> AsyncTypingKeepAlive:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        if self._task is None:
            return
        if exc_type is not None and issubclass(exc_type, asyncio.CancelledError):
            self._task.cancel()  # the handler was cancelled: so is its keep-alive, without waiting
            return
        await self._task  # a start in flight finishes first: the bot's cancel comes after it
