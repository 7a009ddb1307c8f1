"""MemoryStorage: get/set/add/delete, TTLs on a fake clock, bounded size, sweeping, threads."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pytest

import wxkit
from wxkit.errors import StorageError
from wxkit.storage import Claim, MemoryStorage, Storage, StorageLock, claim, release_claim


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStorage:
    return MemoryStorage(clock=clock)


def test_get_set_delete(store: MemoryStorage) -> None:
    assert store.get("k") is None
    store.set("k", "v1")
    assert store.get("k") == "v1"
    store.set("k", "v2")
    assert store.get("k") == "v2"
    assert len(store) == 1
    store.delete("k")
    assert store.get("k") is None
    assert len(store) == 0
    store.delete("k")  # deleting an absent key is fine
    assert store.get("k") is None


def test_empty_string_value_is_stored(store: MemoryStorage) -> None:
    store.set("k", "")
    assert store.get("k") == ""


def test_ttl_expiry(store: MemoryStorage, clock: FakeClock) -> None:
    store.set("short", "s", ttl=10)
    store.set("long", "l", ttl=100)
    clock.advance(9.5)
    assert store.get("short") == "s"
    clock.advance(1)
    assert store.get("short") is None
    assert store.get("long") == "l"
    clock.advance(90)
    assert store.get("long") is None


def test_set_without_ttl_never_expires(store: MemoryStorage, clock: FakeClock) -> None:
    store.set("forever", "v")
    store.set("explicit", "v", ttl=None)
    clock.advance(10**9)
    assert store.get("forever") == "v"
    assert store.get("explicit") == "v"


def test_set_replaces_ttl(store: MemoryStorage, clock: FakeClock) -> None:
    store.set("k", "v", ttl=5)
    store.set("k", "w")  # no TTL now
    clock.advance(10)
    assert store.get("k") == "w"
    store.set("k", "x", ttl=5)
    clock.advance(10)
    assert store.get("k") is None


def test_add_only_when_absent(store: MemoryStorage) -> None:
    assert store.add("k", "first", ttl=60) is True
    assert store.add("k", "second", ttl=60) is False
    assert store.get("k") == "first"
    store.delete("k")
    assert store.add("k", "third") is True
    assert store.get("k") == "third"


def test_add_over_expired_key(store: MemoryStorage, clock: FakeClock) -> None:
    assert store.add("k", "old", ttl=10)
    clock.advance(5)
    assert not store.add("k", "new", ttl=10)
    clock.advance(6)
    assert store.add("k", "new", ttl=10) is True
    assert store.get("k") == "new"
    clock.advance(9)  # the new TTL counts from the second add
    assert store.get("k") == "new"
    assert not store.add("k", "newer", ttl=10)


def test_add_without_ttl_never_expires(store: MemoryStorage, clock: FakeClock) -> None:
    assert store.add("k", "v", ttl=None)
    clock.advance(10**9)
    assert not store.add("k", "w")
    assert store.get("k") == "v"


def test_bounded_keeps_newest(clock: FakeClock) -> None:
    store = MemoryStorage(max_entries=10, clock=clock)
    for i in range(100):
        store.set(f"k{i}", str(i))
        assert len(store) <= 10
    assert [store.get(f"k{i}") for i in range(90, 100)] == [str(i) for i in range(90, 100)]
    assert all(store.get(f"k{i}") is None for i in range(90))


def test_bounded_add_evicts_oldest(clock: FakeClock) -> None:
    store = MemoryStorage(max_entries=3, clock=clock)
    assert all(store.add(k, k) for k in "abcd")
    assert len(store) == 3
    assert store.get("a") is None
    assert store.add("a", "again")  # forgotten, so it is new again


def test_rewritten_key_counts_as_new(clock: FakeClock) -> None:
    store = MemoryStorage(max_entries=3, clock=clock)
    for k in "abc":
        store.set(k, k)
    store.set("a", "A")  # "a" is now the newest, "b" the oldest
    store.set("d", "d")
    assert store.get("b") is None
    assert [store.get(k) for k in "acd"] == ["A", "c", "d"]


def test_max_entries_one(clock: FakeClock) -> None:
    store = MemoryStorage(max_entries=1, clock=clock)
    store.set("a", "1")
    store.set("b", "2")
    assert len(store) == 1
    assert (store.get("a"), store.get("b")) == (None, "2")


def test_expired_entries_are_swept_on_insert(clock: FakeClock) -> None:
    store = MemoryStorage(max_entries=10_000, clock=clock)
    for i in range(200):
        store.set(f"old{i}", "x", ttl=1)
    assert len(store) == 200
    clock.advance(10)
    for i in range(100):
        store.set(f"new{i}", "y", ttl=3600)
    # Without a sweep there would be 300 entries; expired ones were dropped without any get().
    assert len(store) < 200
    assert all(store.get(f"new{i}") == "y" for i in range(100))
    assert all(store.get(f"old{i}") is None for i in range(200))


def test_sweep_keeps_live_entries(clock: FakeClock) -> None:
    store = MemoryStorage(max_entries=10_000, clock=clock)
    for i in range(100):
        store.set(f"live{i}", "x", ttl=3600)
    clock.advance(10)
    for i in range(100):
        store.set(f"more{i}", "y")
    assert len(store) == 200


def test_concurrent_add_has_one_winner_per_key() -> None:
    store = MemoryStorage()
    keys = [f"msg{i}" for i in range(200)]
    n_threads = 16
    barrier = threading.Barrier(n_threads)
    wins: list[list[str]] = [[] for _ in range(n_threads)]

    def worker(n: int) -> None:
        barrier.wait()
        for key in keys:
            if store.add(key, str(n), ttl=600):
                wins[n].append(key)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_wins = [key for won in wins for key in won]
    assert sorted(all_wins) == sorted(keys)  # exactly one winner per key
    for n, won in enumerate(wins):
        assert all(store.get(key) == str(n) for key in won)


def test_concurrent_set_and_delete_stay_consistent() -> None:
    store = MemoryStorage(max_entries=50)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(500):
                key = f"k{(n * 7 + i) % 80}"
                store.set(key, str(i), ttl=60)
                store.get(key)
                if i % 3 == 0:
                    store.delete(key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store) <= 50


def test_is_a_storage() -> None:
    assert isinstance(MemoryStorage(), Storage)
    assert isinstance(MemoryStorage(), wxkit.Storage)
    assert not isinstance(object(), Storage)
    assert not isinstance({}, Storage)


@pytest.mark.parametrize("max_entries", [0, -1])
def test_max_entries_must_be_positive(max_entries: int) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        MemoryStorage(max_entries=max_entries)


def test_repr_shows_no_keys_or_values(store: MemoryStorage) -> None:
    store.set("access_token_key", "s3cr3t-token-value")
    text = repr(store)
    assert "s3cr3t" not in text
    assert "access_token_key" not in text
    assert "entries=1" in text
    assert "max_entries=100000" in text


def test_default_clock_is_monotonic_seconds() -> None:
    store = MemoryStorage()
    store.set("k", "v", ttl=3600)
    assert store.get("k") == "v"


# -- claim(): add-if-absent with a unique owner, surviving lost replies ---------------------------


class LostReplies(MemoryStorage):
    """Applies each write, then fails as a timed-out reply would (``retried``: answers as redis-py's retry).

    ``retried=True``: ``add`` answers what a second ``SET NX`` answers once the first one was applied
    (False); otherwise every write raises ``TimeoutError`` after it is applied. ``reads_fail`` makes
    ``get`` raise too, ``deletes_fail`` makes ``delete`` raise before doing anything.
    """

    def __init__(self, *, retried: bool = False) -> None:
        super().__init__()
        self.retried = retried
        self.reads_fail = False
        self.deletes_fail = False

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        super().add(key, value, ttl)
        if self.retried:
            return super().add(key, value, ttl)
        raise TimeoutError("reply lost")

    def get(self, key: str) -> str | None:
        if self.reads_fail:
            raise ConnectionError("storage down")
        return super().get(key)

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        if self.deletes_fail:
            raise ConnectionError("storage down")
        super().delete(key, if_value=if_value)


@pytest.mark.parametrize("retried", [False, True], ids=["add-raised", "add-answered-exists"])
def test_a_claim_stored_but_whose_reply_was_lost_is_ours(retried: bool) -> None:
    store = LostReplies(retried=retried)
    won = claim(store, "k", "owner-1", ttl=60)
    assert won
    assert won == Claim(True, "owner-1")
    lost = claim(store, "k", "owner-2", ttl=60)  # somebody else's claim is still refused
    assert not lost
    assert lost.value == "owner-1"
    lock = StorageLock(store, "lock", ttl=60)
    assert lock.acquire() is True  # the lock is ours, not taken for nobody
    assert StorageLock(store, "lock", ttl=60).acquire() is False
    lock.release()
    assert store.get("lock") is None


def test_a_claim_that_cannot_be_checked_raises_and_is_released() -> None:
    store = LostReplies()
    store.reads_fail = True
    with pytest.raises(StorageError) as info:
        claim(store, "k", "owner-1", ttl=60)
    assert info.value.key == "k"
    assert isinstance(info.value.__cause__, ConnectionError)
    store.reads_fail = False
    assert store.get("k") is None  # released: a retry of the same work is not refused by it
    assert claim(MemoryStorage(), "k", "owner-2")  # (a healthy storage, for contrast)


def test_a_claim_abandoned_while_the_storage_was_down_is_freed_by_the_next_claim_here() -> None:
    store = LostReplies()
    store.reads_fail = store.deletes_fail = True
    with pytest.raises(StorageError):
        claim(store, "abandoned-key", "owner-1", ttl=60)
    store.reads_fail = store.deletes_fail = False
    assert store.get("abandoned-key") == "owner-1"  # stored, and could not be released
    healthy = MemoryStorage()
    healthy.set("abandoned-key", "owner-1")
    assert claim(healthy, "abandoned-key", "owner-2", ttl=60).won  # this process's own, never used: freed
    assert healthy.get("abandoned-key") == "owner-2"
    healthy.set("abandoned-key", "owner-1")
    assert not claim(healthy, "abandoned-key", "owner-3", ttl=60)  # freed once; now it is somebody's


def test_claim_on_a_healthy_storage() -> None:
    store = MemoryStorage()
    assert claim(store, "k", "a", ttl=60) == Claim(True, "a")
    assert claim(store, "k", "b", ttl=60) == Claim(False, "a")
    assert release_claim(store, "k", "b") is True  # not its claim: kept
    assert store.get("k") == "a"
    assert release_claim(store, "k", "a") is True
    assert store.get("k") is None


def test_a_storage_that_is_down_raises_storage_error_from_claim_and_lock() -> None:
    class Down(MemoryStorage):
        def add(self, key: str, value: str, ttl: float | None = None) -> bool:
            raise ConnectionError("down")

        def get(self, key: str) -> str | None:
            raise ConnectionError("down")

        def delete(self, key: str, *, if_value: str | None = None) -> None:
            raise ConnectionError("down")

    with pytest.raises(StorageError, match=r"ConnectionError"):
        claim(Down(), "k", "a")
    lock = StorageLock(Down(), "lock")
    with pytest.raises(StorageError):
        lock.acquire()
    lock.held = True
    lock.release()  # never raises
    assert lock.held is False


def test_removing_the_oldest_entry_lets_the_next_insert_sweep_the_new_oldest(clock: FakeClock) -> None:
    store = MemoryStorage(clock=clock)
    store.set("x", "1", ttl=100)  # the oldest, long-lived: inserts need not look at the old end for 100 s
    store.set("y", "2", ttl=1)
    store.delete("x")  # y is the oldest now, and expires first
    clock.advance(10)
    store.add("z", "3", ttl=100)
    assert len(store) == 1  # y swept by the insertion, as it would be had x never been there
    store.set("z", "4", ttl=1)  # rewritten: moved to the new end, with its new expiry
    store.set("w", "5", ttl=100)
    clock.advance(10)
    store.add("v", "6", ttl=100)
    assert (len(store), store.get("z"), store.get("w")) == (2, None, "5")


def test_a_live_key_is_never_absent_while_it_is_rewritten(clock: FakeClock) -> None:
    """``get`` takes no lock: a rewritten value replaces the old one in place, never removed and added back.

    A reader running at the moment a writer removes the key (checked right there, as a
    thread switched in at that point would) would find a live key missing.
    """
    store = MemoryStorage(max_entries=4, clock=clock)
    misses: list[str] = []

    class Watched(OrderedDict):  # type: ignore[type-arg]
        def _check(self, key: object) -> None:
            if key == "key" and store.get("key") is None:
                misses.append("removed while live")

        def pop(self, key: object, *default: object) -> object:
            value = super().pop(key, *default)
            self._check(key)
            return value

        def __delitem__(self, key: object) -> None:
            super().__delitem__(key)
            self._check(key)

    store._data = Watched()
    for i in range(20):
        store.set("key", str(i), ttl=600)
        store.add(f"other{i % 3}", "x", ttl=600)  # inserts that sweep and evict around it
        store.set("key", f"again {i}")  # and without a TTL
        assert store.get("key") == f"again {i}"
    assert misses == []


def test_claim_compares_hashes_and_shows_as_attrs_would() -> None:
    """Claim's eq / hash / repr are written out (cold start), with attrs' behaviour."""
    import attrs

    assert Claim(True, "a") == Claim(True, "a")
    assert Claim(True, "a") != Claim(False, "a")
    assert Claim(True, "a") != (True, "a")
    assert hash(Claim(False, None)) == hash(Claim(False, None))
    assert repr(Claim(won=True, value="a")) == "Claim(won=True, value='a')"
    assert attrs.evolve(Claim(True, "a"), won=False) == Claim(False, "a")
    assert not Claim(False, "b")
