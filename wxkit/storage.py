"""A small key-value storage protocol shared by every stateful part of wxkit.

Access tokens, JS-SDK tickets, the inbound replay guard and pay certificates
all keep their state behind :class:`Storage`: ``get``, ``set`` with a TTL,
``add`` (set only if absent, atomically) and ``delete``. Values are ``str``.

:class:`MemoryStorage` is the default: thread-safe, honouring TTLs and bounded
in size. Use a shared storage (``RedisStorage``, arriving with the client) when
several processes or machines share the work.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["MemoryStorage", "Storage"]


@runtime_checkable
class Storage(Protocol):
    """What wxkit needs from a key-value store. TTLs are in seconds."""

    def get(self, key: str) -> str | None:
        """Return the value of ``key``, or ``None`` if absent or expired."""
        ...

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl`` seconds (``None``: never)."""
        ...

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent; return whether it was stored."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...


class MemoryStorage:
    """An in-process :class:`Storage`: thread-safe, TTL-aware and bounded.

    ``max_entries`` bounds memory: expired entries are swept from the old end
    as new ones arrive and, when the store is full, the oldest entries are
    evicted first (for the replay guard a flood of distinct pushes can only
    make it forget the oldest ones, never exhaust memory). ``clock``
    (a monotonic seconds function) can be replaced in tests.
    """

    __slots__ = ("_clock", "_data", "_lock", "max_entries")

    def __init__(self, max_entries: int = 100_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._clock = clock
        # key -> (value, expires_at or None); dict order is insertion order.
        self._data: OrderedDict[str, tuple[str, float | None]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryStorage(entries={len(self._data)}, max_entries={self.max_entries})"

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str, now: float) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= now:
            del self._data[key]
            return None
        return value

    def _make_room(self, now: float) -> None:
        data = self._data
        # Amortised sweep: drop a couple of expired entries from the old end.
        for _ in range(2):
            if not data:
                return
            key, (_, exp) = next(iter(data.items()))
            if exp is None or exp > now:
                break
            del data[key]
        while len(data) >= self.max_entries:
            data.popitem(last=False)

    def _put(self, key: str, value: str, ttl: float | None, now: float) -> None:
        self._data.pop(key, None)
        self._make_room(now)
        self._data[key] = (value, None if ttl is None else now + ttl)

    def get(self, key: str) -> str | None:
        """Return the value of ``key``, or ``None`` if absent or expired."""
        with self._lock:
            return self._live(key, self._clock())

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (``None``: no expiry)."""
        with self._lock:
            self._put(key, value, ttl, self._clock())

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent or expired; return whether stored."""
        with self._lock:
            now = self._clock()
            if self._live(key, now) is not None:
                return False
            self._put(key, value, ttl, now)
            return True

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        with self._lock:
            self._data.pop(key, None)
