"""A small key-value storage protocol shared by every stateful part of wxkit.

Access tokens, JS-SDK tickets, the inbound replay guard and pay certificates
all keep their state behind :class:`Storage`: ``get``, ``set`` with a TTL,
``add`` (set only if absent, atomically) and ``delete`` (optionally only if
the key still holds a given value, atomically). Values are ``str``.

Every "add if absent" wxkit makes is a claim (:func:`claim`): the value is a
token unique to the claimant, and an ``add`` that raised or answered "exists"
is checked by reading the key back, because a write may be applied while its
reply is lost (a timeout; redis-py's retry then answers "exists"). The replay
guard, :class:`StorageLock` (a lock with a TTL, released only by its owner)
and the pay-notification claim all go through it.

:class:`MemoryStorage` is the default: thread-safe, honouring TTLs and bounded
in size. :class:`RedisStorage` shares state between processes and machines.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import attrs

from .errors import StorageError

__all__ = ["Claim", "MemoryStorage", "RedisStorage", "Storage", "StorageLock", "claim", "release_claim"]

logger = logging.getLogger("wxkit.storage")


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


#: MemoryStorage._sweep_at values: look at the old end on the next insertion / never needed.
_LOOK = float("-inf")
_NEVER = float("inf")


class MemoryStorage:
    """An in-process :class:`Storage`: thread-safe, TTL-aware and bounded.

    ``max_entries`` bounds memory: expired entries are swept from the old end
    as new ones arrive and, when the store is full, the oldest entries are
    evicted first (for the replay guard a flood of distinct pushes can only
    make it forget the oldest ones, never exhaust memory). ``clock``
    (a monotonic seconds function) can be replaced in tests. Writes take a
    lock; ``get`` does not (a value is replaced in place, never removed and
    added back).
    """

    __slots__ = ("_clock", "_data", "_lock", "_sweep_at", "max_entries")

    def __init__(self, max_entries: int = 100_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._clock = clock
        # key -> (value, expires_at or None); dict order is insertion order.
        self._data: OrderedDict[str, tuple[str, float | None]] = OrderedDict()
        self._lock = threading.Lock()
        #: When the oldest entry expires, as last seen by the sweep; -inf: look again (the oldest
        #: entry may have changed). Until then an insertion need not look at the old end at all.
        self._sweep_at = _LOOK

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
            self._sweep_at = _LOOK
            return None
        return value

    def _make_room(self, now: float, adding: bool = True) -> None:
        """Sweep expired entries from the old end; when ``adding`` one, evict the oldest while full."""
        data = self._data
        if now >= self._sweep_at:
            # Amortised sweep: drop a couple of expired entries from the old end.
            for _ in (0, 1):
                if not data:
                    break
                key = next(iter(data))
                exp = data[key][1]
                if exp is None or exp > now:
                    break
                del data[key]
        if adding:
            while len(data) >= self.max_entries:
                data.popitem(last=False)
        if data:  # the oldest entry now: until it expires, or until an entry is removed, no need to look
            exp = data[next(iter(data))][1]
            self._sweep_at = _NEVER if exp is None else exp
        else:
            self._sweep_at = _LOOK

    def _replace(self, key: str, item: tuple[str, float | None], now: float) -> None:
        """Give a present ``key`` a new value, moved to the new end; never absent in between (``get`` takes no lock)."""
        data = self._data
        data[key] = item
        data.move_to_end(key)
        self._sweep_at = _LOOK  # the old end may have changed
        self._make_room(now, adding=False)

    def _put(self, key: str, value: str, ttl: float | None, now: float) -> None:
        item = (value, None if ttl is None else now + ttl)
        if key in self._data:
            self._replace(key, item, now)
            return
        self._make_room(now)
        self._data[key] = item

    def get(self, key: str) -> str | None:
        """Return the value of ``key``, or ``None`` if absent or expired."""
        # No lock: one dict read is atomic, and no writer removes a live key even for a moment (a new
        # value replaces the old in place). Only an expired entry's removal takes the lock.
        item = self._data.get(key)
        if item is None:
            return None
        expires = item[1]
        if expires is not None and expires <= self._clock():
            with self._lock:
                if self._data.get(key) is item:
                    del self._data[key]
                    self._sweep_at = _LOOK
            return None
        return item[0]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (``None``: no expiry)."""
        with self._lock:
            self._put(key, value, ttl, self._clock())

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent or expired; return whether stored."""
        with self._lock:  # _live + _put, inlined: the replay guard calls this for every push
            now = self._clock()
            data = self._data
            item = data.get(key)
            if item is not None:
                expires = item[1]
                if expires is None or expires > now:
                    return False
                self._replace(key, (value, None if ttl is None else now + ttl), now)
                return True
            if now >= self._sweep_at or len(data) >= self.max_entries or not data:
                self._make_room(now)
            data[key] = (value, None if ttl is None else now + ttl)
            return True

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        """Remove ``key`` if present; with ``if_value``, only while it still holds that value."""
        with self._lock:
            if if_value is not None and self._live(key, self._clock()) != if_value:
                return
            if self._data.pop(key, None) is not None:
                self._sweep_at = _LOOK


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


@attrs.frozen(repr=False, eq=False)  # the three below are attrs' own, written out: not compiled at import
class Claim:
    """What :func:`claim` found; truthy exactly when the claim was won.

    ``won``: the caller's owner value holds the key now. ``value``: what the
    key holds - the caller's owner value when won, otherwise the other
    claimant's value (``None`` if the key kept being freed before it could be
    taken).
    """

    won: bool
    value: str | None

    def __bool__(self) -> bool:
        return self.won

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Claim):
            return NotImplemented
        return (self.won, self.value) == (other.won, other.value)

    def __hash__(self) -> int:
        return hash((self.__class__, self.won, self.value))

    def __repr__(self) -> str:
        return f"Claim(won={self.won!r}, value={self.value!r})"


#: How many times :func:`claim` tries ``add`` when the key turns out free after a failed one.
_CLAIM_TRIES = 3
#: Claims this process gave up on but could not delete: key -> owner values (bounded, oldest dropped).
_abandoned: OrderedDict[str, list[str]] = OrderedDict()
_abandoned_lock = threading.Lock()
_ABANDONED_MAX = 10_000
_ABANDONED_PER_KEY = 8


def _abandon(key: str, owner: str) -> None:
    with _abandoned_lock:
        owners = _abandoned.pop(key, [])
        owners.append(owner)
        _abandoned[key] = owners[-_ABANDONED_PER_KEY:]
        while len(_abandoned) > _ABANDONED_MAX:
            _abandoned.popitem(last=False)


def _is_abandoned(key: str, value: str) -> bool:
    with _abandoned_lock:
        return value in _abandoned.get(key, ())


def _forget_abandoned(key: str, value: str) -> None:
    with _abandoned_lock:
        owners = _abandoned.get(key)
        if owners is not None and value in owners:
            owners.remove(value)
            if not owners:
                del _abandoned[key]


def _failed(key: str, exc: BaseException) -> StorageError:
    # The storage's own message stays in __cause__ (for logs); ours names only its type.
    return StorageError(f"the storage failed during a claim ({type(exc).__name__})", key=key)


def claim(storage: Storage, key: str, owner: str, ttl: float | None = None) -> Claim:
    """Take ``key`` for ``owner`` if it is free (``add``), telling a lost reply from somebody else's claim.

    ``owner`` must be unique to this claim (e.g. ``uuid.uuid4().hex``, with a
    prefix if the caller wants one). When ``add`` raises or answers "exists",
    the key is read back: if it holds ``owner``, the write was applied and only
    its reply was lost, and the claim is won. A key found free again is tried
    again (``add`` failed before applying, or the holder released it
    meanwhile); a key holding a claim this process abandoned (see
    :func:`release_claim`) is freed and tried again. Otherwise the claim is
    lost to the value found.

    Raises :class:`~wxkit.errors.StorageError` when the storage fails so that
    the outcome cannot be known. Before raising, a claim that may have been
    stored is released (:func:`release_claim`), so a retry of the same work is
    not refused by it.
    """
    won, value = _claim(storage, key, owner, ttl)
    return Claim(won, value)


def _claim(storage: Storage, key: str, owner: str, ttl: float | None) -> tuple[bool, str | None]:
    """:func:`claim` as ``(won, value)`` (no :class:`Claim` built: the replay guard calls it for every push)."""
    failure: Exception | None = None
    for _ in range(_CLAIM_TRIES):
        failure = None
        try:
            if storage.add(key, owner, ttl):
                return True, owner
        except Exception as exc:  # noqa: BLE001 - any storage error; the write may have been applied
            failure = exc
        try:
            held = storage.get(key)
        except Exception as exc:
            if failure is not None:  # our add may have been applied: do not leave it to block a retry
                release_claim(storage, key, owner)
            raise _failed(key, exc) from exc
        if held == owner:
            if failure is not None:
                logger.info("a claim was stored but its reply was lost (%s): it is ours", type(failure).__name__)
            return True, owner
        if held is None:
            continue
        if not _is_abandoned(key, held):
            return False, held
        try:  # a claim of this process that answered "failed" and was never used: free it
            storage.delete(key, if_value=held)
        except Exception as exc:
            raise _failed(key, exc) from exc
        _forget_abandoned(key, held)
    if failure is not None:
        raise _failed(key, failure) from failure
    return False, None


def release_claim(storage: Storage, key: str, owner: str) -> bool:
    """Delete ``key`` if it still holds ``owner``; never raises. Return whether the storage answered.

    When the storage fails, the claim is remembered (in this process, bounded)
    as abandoned: the next :func:`claim` of ``key`` in this process frees it
    instead of treating it as somebody else's; elsewhere it lasts until its
    TTL.
    """
    try:
        storage.delete(key, if_value=owner)
    except Exception as exc:  # noqa: BLE001 - never raises: remembered instead
        logger.warning(
            "could not release a claim (%s): it is freed by the next claim here or expires", type(exc).__name__
        )
        _abandon(key, owner)
        return False
    return True


class StorageLock:
    """A lock with a TTL on any :class:`Storage`, released only by its owner.

    ``acquire()`` tries once, with :func:`claim` and a random owner value (so
    a lock stored but whose reply was lost is still ours, and a storage that
    cannot tell raises :class:`~wxkit.errors.StorageError`); a crashed
    owner's lock expires after ``ttl`` seconds. ``release()`` never raises.
    Use as ``with StorageLock(storage, key, ttl) as got: ...`` where ``got``
    says whether this caller holds the lock.
    """

    def __init__(self, storage: Storage, key: str, ttl: float = 10.0) -> None:
        self.storage = storage
        self.key = key
        self.ttl = ttl
        self.owner = uuid.uuid4().hex
        self.held = False

    def acquire(self) -> bool:
        """Try to take the lock once; return whether it is now held (:class:`~wxkit.errors.StorageError` if unknown)."""
        self.held = claim(self.storage, self.key, self.owner, self.ttl).won
        return self.held

    def release(self) -> None:
        """Release the lock if this owner still holds it (see :func:`release_claim`; never raises)."""
        if self.held:
            self.held = False
            release_claim(self.storage, self.key, self.owner)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
