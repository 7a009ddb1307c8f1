"""RedisStorage against a real redis-server: the same protocol as MemoryStorage, atomic on the server."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from wxkit import WxApplication
from wxkit.storage import RedisStorage, Storage, StorageLock
from wxkit.testing import WeChatPusher


@pytest.fixture
def redis_client(redis_url: str) -> Any:
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def storage(redis_client: Any) -> RedisStorage:
    return RedisStorage(redis_client, prefix=f"test:{uuid.uuid4().hex}:")


def test_is_a_storage(storage: RedisStorage) -> None:
    assert isinstance(storage, Storage)
    assert "prefix" in repr(storage)


def test_get_set_delete(storage: RedisStorage, redis_client: Any) -> None:
    assert storage.get("k") is None
    storage.set("k", "v")
    assert storage.get("k") == "v"
    assert redis_client.pttl(storage.prefix + "k") == -1  # no expiry
    storage.set("k", "w", ttl=30)
    assert storage.get("k") == "w"
    assert 0 < redis_client.pttl(storage.prefix + "k") <= 30_000
    storage.delete("k")
    assert storage.get("k") is None
    storage.delete("never-there")


def test_add_is_set_if_absent_with_ttl(storage: RedisStorage, redis_client: Any) -> None:
    assert storage.add("a", "1", ttl=60)
    assert not storage.add("a", "2", ttl=60)
    assert storage.get("a") == "1"
    assert 0 < redis_client.pttl(storage.prefix + "a") <= 60_000


def test_delete_if_value_is_atomic_compare_and_delete(storage: RedisStorage) -> None:
    storage.set("lock", "owner-1")
    storage.delete("lock", if_value="owner-2")
    assert storage.get("lock") == "owner-1"
    storage.delete("lock", if_value="owner-1")
    assert storage.get("lock") is None


def test_unicode_values(storage: RedisStorage) -> None:
    storage.set("u", "令牌 😀")
    assert storage.get("u") == "令牌 😀"


def test_lock_released_only_by_owner(storage: RedisStorage) -> None:
    first = StorageLock(storage, "L", ttl=30)
    second = StorageLock(storage, "L", ttl=30)
    assert first.acquire()
    assert not second.acquire()
    second.release()  # not the owner: no effect
    assert not StorageLock(storage, "L").acquire()
    first.release()
    with second as got:
        assert got
    assert storage.get("L") is None


def test_add_race_has_one_winner(storage: RedisStorage) -> None:
    wins: list[int] = []
    barrier = threading.Barrier(16)

    def race(i: int) -> None:
        barrier.wait()
        for key in range(50):
            if storage.add(f"race:{key}", str(i), ttl=60):
                wins.append(key)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == list(range(50))


def test_replay_guard_shared_through_redis(storage: RedisStorage) -> None:
    """Two app processes (here: two instances) sharing Redis never handle one push twice."""
    handled: list[str] = []

    class Bot(WxApplication):
        token = "redis-token"

        def on_text(self, msg: Any) -> None:
            handled.append(msg.content)

    pusher = WeChatPusher("redis-token")
    push = pusher.text("once")
    Bot(storage=storage).process(push.params, push.body)
    assert Bot(storage=storage).process(push.params, push.body) == "success"  # before: DuplicateMessageError
    assert handled == ["once"]


class RetriedSetNX(RedisStorage):
    """What redis-py does when ``SET NX`` times out after the server applied it: it sends it again and the
    second one answers nil ("exists"), so ``add`` returns False for a key it did store."""

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        super().add(key, value, ttl)  # applied; its reply is lost
        return super().add(key, value, ttl)  # the retry's answer


def test_a_claim_whose_set_nx_reply_was_lost_is_still_ours(redis_client: Any) -> None:
    storage = RetriedSetNX(redis_client, prefix=f"test:{uuid.uuid4().hex}:")
    lock = StorageLock(storage, "L", ttl=30)
    assert lock.acquire()  # before: False, and the lock held by nobody until its TTL
    assert not StorageLock(storage, "L", ttl=30).acquire()
    lock.release()
    assert storage.get("L") is None
    handled: list[str] = []

    class Bot(WxApplication):
        token = "redis-token"

        def on_text(self, msg: Any) -> str:
            handled.append(msg.content)
            return "ok"

    pusher = WeChatPusher("redis-token")
    push = pusher.text("once")
    assert pusher.deliver(Bot(storage=storage), push).content == "ok"  # before: 400 "duplicate"
    assert pusher.deliver(Bot(storage=storage), push).is_success  # WeChat's retry: a real duplicate
    assert handled == ["once"]
