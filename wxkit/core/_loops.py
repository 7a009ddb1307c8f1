"""Event-loop affinity for the async clients (internal).

An ``asyncio.Lock`` binds itself to the first loop that waits on it, and an
``httpx.AsyncClient``'s pooled connections to the loop that opened them. A
program that calls ``asyncio.run()`` more than once (a script, a test suite
with a loop per test) would find a client made earlier tied to a closed loop.
:class:`LoopLock` keeps one ``asyncio.Lock`` per running loop;
:class:`~wxkit.core.ahttp.AsyncHTTPClient` opens a new pool when the loop it
used has closed (see :func:`loop_changed`).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..storage import StorageLock

__all__ = ["LoopLock", "acquire_in_thread", "loop_changed"]


class LoopLock:
    """``async with lock:`` — mutual exclusion among the tasks of the running loop, one ``asyncio.Lock`` per loop.

    Locks of loops that are gone are dropped with them (weak keys).
    """

    __slots__ = ("_locks",)

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    def _current(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def locked(self) -> bool:
        """Whether the running loop's lock is held."""
        return self._current().locked()

    async def __aenter__(self) -> None:
        await self._current().acquire()

    async def __aexit__(self, *exc: Any) -> None:
        self._current().release()


def loop_changed(bound: asyncio.AbstractEventLoop | None, running: asyncio.AbstractEventLoop) -> str:
    """What a client bound to loop ``bound`` should do on loop ``running``.

    ``"same"``: carry on; ``"rebind"``: the old loop is gone (closed or no
    longer running), open new connections on this one; ``"foreign"``: the old
    loop still runs (another thread): the client is that loop's, not this one's.
    """
    if bound is running:
        return "same"
    if bound is None or bound.is_closed() or not bound.is_running():
        return "rebind"
    return "foreign"


async def acquire_in_thread(lock: StorageLock, inline: bool) -> bool:
    """``lock.acquire()`` for async code: in a worker thread unless ``inline``, and safe against cancellation.

    A task cancelled while the thread takes the storage lock (a client that
    went away) would leave the lock held until its TTL, stalling every other
    process waiting for the value: the thread runs on (shielded), and a lock
    it won after the cancellation is released at once, in a thread.
    """
    if inline:
        return lock.acquire()
    acquiring = asyncio.ensure_future(asyncio.to_thread(lock.acquire))
    try:
        return await asyncio.shield(acquiring)
    except asyncio.CancelledError:
        loop = asyncio.get_running_loop()

        def release_if_won(done: asyncio.Future[bool]) -> None:
            if not done.cancelled() and done.exception() is None and done.result():
                loop.run_in_executor(None, lock.release)

        acquiring.add_done_callback(release_if_won)
        raise
