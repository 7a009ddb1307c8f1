"""A small key-value storage protocol shared by every stateful part of wxkit.

Access tokens, JS-SDK tickets, the inbound replay guard and pay certificates
all keep their state behind :class:`Storage`: ``get``, ``set`` with a TTL,
``add`` (set only if absent, atomically) and ``delete`` (optionally only if
the key still holds a given value, atomically). Values are ``str``.
:class:`StorageLock` builds a lock with a TTL, released only by its owner, on
any storage.

:class:`MemoryStorage` is the default: thread-safe, honouring TTLs and bounded
in size. :class:`RedisStorage` shares state between processes and machines.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

__all__ = ["MemoryStorage", "RedisStorage", "Storage", "StorageLock"]


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

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        """Remove ``key`` if present; with ``if_value``, only while it still holds that value (atomically)."""
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

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        """Remove ``key`` if present; with ``if_value``, only while it still holds that value."""
        with self._lock:
            if if_value is not None and self._live(key, self._clock()) != if_value:
                return
            self._data.pop(key, None)


_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisStorage:
    """A :class:`Storage` on Redis, shared by every process and machine using it.

    ``redis_client`` is a ``redis.Redis`` (install ``wxkit[redis]``); keys are
    prefixed with ``prefix``. ``add`` is ``SET NX PX`` and ``delete`` with
    ``if_value`` is a small Lua script, so both are atomic on the server.
    """

    def __init__(self, redis_client: Any, prefix: str = "wxkit:") -> None:
        self.redis = redis_client
        self.prefix = prefix
        self._release = redis_client.register_script(_RELEASE_SCRIPT)

    def __repr__(self) -> str:
        return f"RedisStorage(prefix={self.prefix!r})"

    @staticmethod
    def _px(ttl: float | None) -> int | None:
        return None if ttl is None else max(1, int(ttl * 1000))

    def get(self, key: str) -> str | None:
        """Return the value of ``key``, or ``None``."""
        value = self.redis.get(self.prefix + key)
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (``None``: no expiry)."""
        self.redis.set(self.prefix + key, value, px=self._px(ttl))

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent (``SET NX``); return whether stored."""
        return bool(self.redis.set(self.prefix + key, value, px=self._px(ttl), nx=True))

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        """Remove ``key``; with ``if_value``, only while it still holds that value (atomically)."""
        if if_value is None:
            self.redis.delete(self.prefix + key)
        else:
            self._release(keys=[self.prefix + key], args=[if_value])


class StorageLock:
    """A lock with a TTL on any :class:`Storage`, released only by its owner.

    ``acquire()`` tries once (``add``); a crashed owner's lock expires after
    ``ttl`` seconds. Use as ``with StorageLock(storage, key, ttl) as got: ...``
    where ``got`` says whether this caller holds the lock.
    """

    def __init__(self, storage: Storage, key: str, ttl: float = 10.0) -> None:
        self.storage = storage
        self.key = key
        self.ttl = ttl
        self.owner = uuid.uuid4().hex
        self.held = False

    def acquire(self) -> bool:
        """Try to take the lock once; return whether it is now held."""
        self.held = self.storage.add(self.key, self.owner, self.ttl)
        return self.held

    def release(self) -> None:
        """Release the lock if this owner still holds it."""
        if self.held:
            self.storage.delete(self.key, if_value=self.owner)
            self.held = False

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
