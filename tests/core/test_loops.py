"""Event-loop helpers of the async clients (wxkit/core/_loops.py): per-loop locks, cancellation-safe storage locks."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from wxkit.core._async.cache import AsyncSharedValue
from wxkit.core._loops import LoopLock
from wxkit.storage import MemoryStorage


class BlockingStorage:
    """A storage (not a MemoryStorage: called in threads) whose lock claims wait until the test lets them through."""

    def __init__(self) -> None:
        self.inner = MemoryStorage()
        self.entered = threading.Event()
        self.proceed = threading.Event()

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        if key.endswith(":lock"):
            self.entered.set()
            self.proceed.wait(10)
        return self.inner.add(key, value, ttl)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_task_cancelled_while_taking_the_storage_lock_leaves_it_free() -> None:
    """The thread takes the lock after the task is gone: it must not stay held (other processes would stall)."""
    storage = BlockingStorage()
    fetched: list[int] = []

    async def fetch(failed: str | None) -> tuple[str, float]:
        fetched.append(1)
        return "token", 7200.0

    async def scenario() -> None:
        value = AsyncSharedValue(storage, "wxkit:test:value", fetch, lock_ttl=3600)  # type: ignore[arg-type]
        task = asyncio.create_task(value.get())
        while not storage.entered.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        storage.proceed.set()  # the thread now wins the lock, for a task that is gone
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for _ in range(1000):  # until the release (in a thread) has run: no time is asserted
            if storage.inner.get("wxkit:test:value:lock") is None:
                break
            await asyncio.sleep(0.01)
        assert storage.inner.get("wxkit:test:value:lock") is None
        assert fetched == []  # the cancelled task fetched nothing
        assert await value.get() == "token"  # the next caller takes the lock at once

    asyncio.run(scenario())


def test_a_loop_lock_serves_each_loop_its_own_lock() -> None:
    lock = LoopLock()

    async def hold() -> bool:
        async with lock:
            return lock.locked()

    assert asyncio.run(hold()) is True
    assert asyncio.run(hold()) is True  # a second loop: a fresh asyncio.Lock, not the first loop's
