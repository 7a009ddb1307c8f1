"""A value fetched from WeChat, cached in storage and refreshed safely (tokens, tickets).

:class:`SharedValue` keeps one short-lived credential in a
:class:`~wxkit.storage.Storage` until its expiry minus a safety margin: the
access token (:class:`~wxkit.core.token.TokenManager`), the JS-SDK tickets
(:class:`~wxkit.client.jssdk.JSSDKAPI`) ... The rules:

* one fetch at a time per process: a thread lock, then the cache is checked
  again;
* one fetch at a time across processes sharing the storage: a
  :class:`~wxkit.storage.StorageLock` with a TTL, released only by its owner,
  then the cache is checked again; waiters poll the cache;
* :meth:`SharedValue.refresh` drops the cached value only if it is still the
  one that failed, so a burst of failures caused by one stale value triggers
  exactly one refetch;
* a storage that fails raises :class:`~wxkit.errors.StorageError` (before
  anything is sent); a value fetched but that cannot be cached (the write
  failed, or its reply was lost) is still returned.
"""
# Generated from wxkit/core/_async/cache.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..bounds import clamp_expires_in
from ..errors import APIError, StorageError
from ..storage import MemoryStorage, Storage, StorageLock

logger = logging.getLogger("wxkit.client")

__all__ = ["Fetcher", "SharedValue"]

_T = TypeVar("_T")

#: ``fetch(failed)`` returns ``(value, expires_in seconds)``; ``failed`` is the
#: value being replaced (``None`` on a first fetch).
_FetchResult = tuple[str, float]
Fetcher = Callable[[str | None], _FetchResult]


class SharedValue:
    """One value cached in ``storage`` under ``key``, fetched with ``fetch`` once for everyone waiting.

    The async twin (this source) takes one fetch at a time per event loop
    (an ``asyncio.Lock`` per loop) and runs the storage's calls in a thread, except
    for a :class:`~wxkit.storage.MemoryStorage`, which never blocks; the sync
    twin takes a thread lock and calls the storage directly. Both use the
    same storage lock, so sync and async clients sharing a storage share one
    value.

    The value is stored for ``expires_in - margin`` seconds (at least
    ``min(60, expires_in / 2)``). The storage lock is ``lock_key`` (default
    ``<key>:lock``); ``lock_ttl`` bounds how long a crashed
    fetcher can block the others; a caller waiting longer than
    ``wait_timeout`` for another process gets ``error(-2, ...)``.
    """

    def __init__(
        self,
        storage: Storage,
        key: str,
        fetch: Fetcher,
        *,
        lock_key: str | None = None,
        what: str = "the value",
        error: type[APIError] = APIError,
        margin: float = 300.0,
        lock_ttl: float = 15.0,
        wait_timeout: float = 20.0,
        poll_interval: float = 0.02,
    ) -> None:
        self.storage = storage
        self.key = key
        self.lock_key = lock_key if lock_key is not None else f"{key}:lock"
        self.what = what
        self.error = error
        self.margin = margin
        self.lock_ttl = lock_ttl
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._fetch = fetch
        self._lock = threading.Lock()
        self._inline = isinstance(storage, MemoryStorage)
        #: How many times this object fetched the value (for tests and metrics).
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"  # never the value

    def get(self) -> str:
        """Return the cached value, or fetch it once for every thread (task) and process waiting."""
        cached = self._read()
        if cached:
            return cached
        with self._lock:
            cached = self._read()
            if cached:
                return cached
            return self._fetch_across_processes(failed=None)

    def invalidate(self, failed: str) -> None:
        """Drop the cached value, but only if it is still ``failed``; a storage failure is a StorageError."""
        try:
            self._io(self.storage.delete, self.key, if_value=failed)
        except Exception as exc:
            raise StorageError(f"the storage failed dropping {self.what} ({type(exc).__name__})", key=self.key) from exc

    def refresh(self, failed: str) -> str:
        """Drop ``failed`` (if still cached) and return a value other than it, fetching if needed."""
        try:
            self.invalidate(failed)
        except StorageError as exc:  # the value is read again below, and a refetch overwrites it
            logger.warning("%s", exc)
        with self._lock:
            cached = self._read()
            if cached and cached != failed:
                return cached
            return self._fetch_across_processes(failed=failed)

    # -- internals ------------------------------------------------------------
    def _io(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Call the storage: in a thread on the async side unless it is a MemoryStorage."""
        if self._inline:
            return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    def _fetch_across_processes(self, failed: str | None) -> str:
        deadline = time.monotonic() + self.wait_timeout
        while True:
            lock = StorageLock(self.storage, self.lock_key, self.lock_ttl)
            if lock.acquire():
                try:
                    value = self._read()  # another process may have fetched meanwhile
                    if value and value != failed:
                        return value
                    return self._fetch_and_store(failed)
                finally:
                    self._io(lock.release)
            time.sleep(self.poll_interval)
            value = self._read()
            if value and value != failed:
                return value
            if time.monotonic() > deadline:
                raise self.error(-2, f"timed out waiting for another process to fetch {self.what}")

    def _fetch_and_store(self, failed: str | None) -> str:
        self.fetch_count += 1
        value, expires_in = self._fetch(failed)
        # In [60 s, 7 days] (wxkit.bounds): never a TTL Redis refuses, never a refetch on every call.
        seconds = float(clamp_expires_in(expires_in, source=f"{self.what} ({self.key})"))
        ttl = max(seconds - self.margin, min(60.0, seconds / 2))
        try:
            self._io(self.storage.set, self.key, value, ttl)
        except Exception as exc:  # noqa: BLE001 - any storage error: the value in hand is valid, use it
            logger.warning("%s fetched but not cached: the storage failed (%s)", self.what, type(exc).__name__)
        return value

    def read(self) -> str | None:
        """The cached value, or ``None`` (a storage failure is a :class:`~wxkit.errors.StorageError`)."""
        return self._read()

    def _read(self) -> str | None:
        try:
            return self._io(self.storage.get, self.key)
        except Exception as exc:
            raise StorageError(f"the storage failed reading {self.what} ({type(exc).__name__})", key=self.key) from exc
