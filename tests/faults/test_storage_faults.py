"""Fault injection, storage part: a storage that applies a write and then fails (a lost reply), one that is down,
and a flaky one, under the inbound replay guard (WxApplication.handle, plaintext and safe mode), the token manager
(a Client against the emulator) and PayNotificationHandler.handle (certificate mode, against the emulator).

Each scenario drives many inputs, plays WeChat (a push or notification answered 5xx is delivered again), and
counts: inputs tried, deliveries, unexpected exceptions, wrong results, lost inputs (never handled), inputs
handled twice. Every count but the first two must be 0. One line of figures per scenario (``pytest -s``).
"""

from __future__ import annotations

import logging
import random
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from wxkit import StorageError, WxApplication, WxError
from wxkit.client import Client
from wxkit.pay.models import Transaction
from wxkit.pay.notify import PayNotificationHandler
from wxkit.pay.v3 import PayClient
from wxkit.storage import MemoryStorage, RedisStorage, Storage
from wxkit.testing import Emulator, WeChatPusher
from wxkit.testing.pay import platform_key
from wxkit.testing.pay_notify import v3_headers, v3_notification
from wxkit.testing.routes import EmulatorRequest

TOKEN = "faults-token"
APP_ID = "wx_faults_app_id"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APIV3_KEY = "0123456789abcdef0123456789abcdef"
ECHO = "/cgi-bin/wxkit_test/storage_faults_echo"
#: How many times "WeChat" delivers one input before the test calls it lost.
MAX_DELIVERIES = 25


# -- the faulty storages ---------------------------------------------------------------------------


class LostReplies:
    """Applies every write, then raises as a timed-out reply would; reads work.

    ``retried=True`` plays redis-py's retry instead: ``add`` is applied, its reply is lost, and the
    re-sent ``SET NX`` answers "exists" (False).
    """

    def __init__(self, inner: Storage, *, error: type[Exception] = TimeoutError, retried: bool = False) -> None:
        self.inner = inner
        self.error = error
        self.retried = retried

    def get(self, key: str) -> str | None:
        return self.inner.get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.inner.set(key, value, ttl)
        raise self.error("reply lost")

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        stored = self.inner.add(key, value, ttl)
        if self.retried:
            return stored and self.inner.add(key, value, ttl)
        raise self.error("reply lost")

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        self.inner.delete(key, if_value=if_value)
        raise self.error("reply lost")


class Down:
    """Every call raises while ``down``; then it is the inner storage again."""

    def __init__(self, inner: Storage, *, error: type[Exception] = ConnectionError) -> None:
        self.inner = inner
        self.error = error
        self.down = True

    def _check(self) -> None:
        if self.down:
            raise self.error("storage down")

    def get(self, key: str) -> str | None:
        self._check()
        return self.inner.get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._check()
        self.inner.set(key, value, ttl)

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        self._check()
        return self.inner.add(key, value, ttl)

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        self._check()
        self.inner.delete(key, if_value=if_value)


class Flaky:
    """Each call fails with probability ``rate`` (seeded): half before it reaches the store, half after a write
    was applied (its reply lost)."""

    def __init__(self, inner: Storage, *, rate: float = 0.3, seed: int = 8, lost: type[Exception] = TimeoutError):
        self.inner = inner
        self.rate = rate
        self.rng = random.Random(seed)
        self.lost = lost
        self.failures = 0

    def _fault(self) -> str:
        if self.rng.random() >= self.rate:
            return ""
        self.failures += 1
        return "before" if self.rng.random() < 0.5 else "after"

    def _write(self, call: Callable[[], Any]) -> Any:
        fault = self._fault()
        if fault == "before":
            raise ConnectionError("connection reset")
        result = call()
        if fault == "after":
            raise self.lost("reply lost")
        return result

    def get(self, key: str) -> str | None:
        if self._fault():
            raise ConnectionError("connection reset")
        return self.inner.get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._write(lambda: self.inner.set(key, value, ttl))

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        return bool(self._write(lambda: self.inner.add(key, value, ttl)))

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        self._write(lambda: self.inner.delete(key, if_value=if_value))


@pytest.fixture
def redis_storage(redis_url: str) -> Iterator[tuple[RedisStorage, type[Exception]]]:
    """A RedisStorage on the session's real redis-server (a fresh prefix), and redis' TimeoutError."""
    import redis

    client = redis.Redis.from_url(redis_url)
    yield RedisStorage(client, prefix=f"faults:{uuid.uuid4().hex}:"), redis.exceptions.TimeoutError
    client.close()


def storage_for(kind: str, inner: Storage, lost: type[Exception] = TimeoutError) -> Storage:
    """The faulty storage named ``kind`` around ``inner``."""
    if kind == "lost-reply":
        return LostReplies(inner, error=lost)
    if kind == "lost-reply-retried":
        return LostReplies(inner, error=lost, retried=True)
    if kind == "down":
        return Down(inner)
    if kind == "flaky":
        return Flaky(inner, lost=lost)
    raise AssertionError(kind)


def heal(storage: Storage, down: bool = False) -> None:
    """Bring a ``Down`` storage back up (WeChat's third try finds it working), or down again (a new input)."""
    if isinstance(storage, Down):
        storage.down = down


# -- the figures -------------------------------------------------------------------------------------


@attrs.define
class Figures:
    """What one scenario counted."""

    scenario: str
    inputs: int = 0
    deliveries: int = 0
    answered_5xx: int = 0
    storage_errors: int = 0
    unexpected: int = 0
    wrong: int = 0
    lost: int = 0
    twice: int = 0
    extra: dict[str, int] = attrs.Factory(dict)

    def report(self) -> None:
        extra = "".join(f" {k}={v}" for k, v in self.extra.items())
        print(
            f"\n[storage faults] {self.scenario}: inputs={self.inputs} deliveries={self.deliveries}"
            f" 5xx={self.answered_5xx} storage_errors={self.storage_errors} unexpected={self.unexpected}"
            f" wrong={self.wrong} lost={self.lost} twice={self.twice}{extra}"
        )

    def check(self) -> None:
        self.report()
        assert self.inputs > 0
        assert (self.unexpected, self.wrong, self.lost, self.twice) == (0, 0, 0, 0), self


# -- inbound: the replay guard -----------------------------------------------------------------------


class EchoBot(WxApplication):
    """Answers every input with ``echo:<its id>`` and counts how often each ran."""

    token = TOKEN

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ran: Counter[str] = Counter()

    def _echo(self, ident: str) -> str:
        self.ran[ident] += 1
        return f"echo:{ident}"

    def on_text(self, msg: Any) -> str:
        return self._echo(msg.content)

    def on_image(self, msg: Any) -> str:
        return self._echo(msg.media_id)

    def on_click(self, event: Any) -> str:
        return self._echo(event.event_key)


def _push(pusher: WeChatPusher, i: int) -> tuple[str, Any]:
    ident = f"input-{i}-{secrets.token_hex(3)}"
    if i % 3 == 0:
        return ident, pusher.text(ident)
    if i % 3 == 1:
        return ident, pusher.image(media_id=ident)
    return ident, pusher.click(ident)


def drive_inbound(storage: Storage, *, safe: bool, count: int, scenario: str) -> Figures:
    """Push ``count`` inputs as WeChat does (again after a 5xx), then once more after success (a duplicate)."""
    figures = Figures(scenario)
    if safe:
        bot = EchoBot(storage=storage, app_id=APP_ID, aes_key=AES_KEY)
        pusher = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    else:
        bot = EchoBot(storage=storage)
        pusher = WeChatPusher(TOKEN)
    idents = []
    for i in range(count):
        ident, push = _push(pusher, i)
        idents.append(ident)
        figures.inputs += 1
        heal(storage, down=True)
        answered = False
        for delivery in range(MAX_DELIVERIES):
            if delivery == 2:
                heal(storage)  # a storage that was down is back for WeChat's third try
            figures.deliveries += 1
            try:
                response = bot.handle("POST", push.params, push.body)
            except Exception:
                figures.unexpected += 1
                continue
            if response.status >= 500:
                figures.answered_5xx += 1
                figures.storage_errors += response.status == 500
                continue
            try:
                reply = pusher.read_reply(response.status, response.body)
            except WxError:
                figures.wrong += 1
                break
            if reply.status != 200 or reply.content != f"echo:{ident}":
                figures.wrong += 1  # e.g. "duplicate" for a push whose handler never ran
            answered = True
            break
        if not answered:
            continue
        # WeChat's copy of a push it got no answer to in time: not handled again, answered "success" (its
        # handler was fast, so its reply was not kept) or the very reply (kept when the storage could not
        # tell whether a retry was waiting) - never a 4xx.
        for _ in range(MAX_DELIVERIES):
            figures.deliveries += 1
            try:
                response = bot.handle("POST", push.params, push.body)
            except Exception:
                figures.unexpected += 1
                continue
            if response.status >= 500:
                figures.answered_5xx += 1
                figures.storage_errors += response.status == 500
                continue
            try:
                again = pusher.read_reply(response.status, response.body)
            except WxError:
                figures.wrong += 1
                break
            figures.wrong += not (again.is_success or again.content == f"echo:{ident}")
            break
    figures.lost = sum(1 for ident in idents if bot.ran[ident] == 0)
    figures.twice = sum(1 for ident in idents if bot.ran[ident] > 1)
    return figures


@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])
@pytest.mark.parametrize("kind", ["lost-reply", "lost-reply-retried", "down", "flaky"])
def test_inbound_replay_guard_on_a_faulty_memory_storage(kind: str, safe: bool) -> None:
    storage = storage_for(kind, MemoryStorage())
    mode = "safe" if safe else "plaintext"
    figures = drive_inbound(storage, safe=safe, count=150, scenario=f"inbound/{mode} {kind} (memory)")
    figures.check()
    if kind.startswith("lost-reply"):
        assert figures.answered_5xx == 0  # a lost reply is recognised: nothing to retry
    if kind == "down":
        assert figures.storage_errors == 2 * figures.inputs  # two 500s each, then handled once it is back


@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe"])
@pytest.mark.parametrize("kind", ["lost-reply", "lost-reply-retried", "flaky"])
def test_inbound_replay_guard_on_a_faulty_real_redis(
    redis_storage: tuple[RedisStorage, type[Exception]], kind: str, safe: bool
) -> None:
    inner, timeout_error = redis_storage
    storage = storage_for(kind, inner, lost=timeout_error)
    mode = "safe" if safe else "plaintext"
    figures = drive_inbound(storage, safe=safe, count=100, scenario=f"inbound/{mode} {kind} (redis)")
    figures.check()
    if kind.startswith("lost-reply"):
        assert figures.answered_5xx == 0


def test_a_storage_error_on_the_replay_guard_is_a_documented_error_from_process() -> None:
    storage = Down(MemoryStorage())
    bot = EchoBot(storage=storage)
    pusher = WeChatPusher(TOKEN)
    push = pusher.text("hello")
    with pytest.raises(StorageError) as info:
        bot.process(push.params, push.body)
    assert isinstance(info.value.__cause__, ConnectionError)
    assert bot.ran == Counter()
    heal(storage)
    assert pusher.deliver(bot, push).content == "echo:hello"  # the retry is handled normally


# -- the token manager -------------------------------------------------------------------------------


def _echo(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    assert req.app is not None
    return {"errcode": 0, "errmsg": "ok", "appid": req.app.appid}


def drive_tokens(emu: Emulator, appid: str, secret: str, storage: Storage, *, count: int, scenario: str) -> Figures:
    """``count`` API calls (the caller trying again after a StorageError); tokens killed every 10 calls."""
    emu.add_route("GET", ECHO, _echo)
    client: Client = emu.client(appid, secret, storage=storage)
    client.tokens.shared.wait_timeout = 5.0  # a lock taken for nobody would show as errcode -2, not a hang
    figures = Figures(scenario)
    generations = 1
    for i in range(count):
        if i and i % 10 == 0:
            emu.invalidate_tokens(appid)
            generations += 1
        figures.inputs += 1
        heal(storage, down=True)
        for delivery in range(MAX_DELIVERIES):
            if delivery == 2:
                heal(storage)
            figures.deliveries += 1
            try:
                answer = client.get(ECHO)
            except StorageError:
                figures.storage_errors += 1
                continue
            except WxError:
                figures.wrong += 1  # AccessTokenError -2 (a lock nobody holds), a refused token ...
                break
            except Exception:
                figures.unexpected += 1
                continue
            figures.wrong += answer.get("appid") != appid
            break
        else:
            figures.lost += 1
    figures.extra["token_generations"] = generations
    figures.extra["token_fetches"] = client.tokens.fetch_count
    return figures


@pytest.mark.parametrize("kind", ["lost-reply", "lost-reply-retried", "down", "flaky"])
def test_token_manager_on_a_faulty_memory_storage(wechat_emulator: Emulator, kind: str) -> None:
    app = wechat_emulator.add_app(f"wx{uuid.uuid4().hex[:16]}", "faults-secret")
    storage = storage_for(kind, MemoryStorage())
    figures = drive_tokens(
        wechat_emulator, app.appid, app.secret, storage, count=60, scenario=f"tokens {kind} (memory)"
    )
    figures.check()
    if kind.startswith("lost-reply"):
        assert figures.storage_errors == 0
        assert figures.extra["token_fetches"] == figures.extra["token_generations"]  # one fetch per generation
    if kind == "down":
        assert figures.storage_errors == 2 * figures.inputs


@pytest.mark.parametrize("kind", ["lost-reply", "lost-reply-retried", "flaky"])
def test_token_manager_on_a_faulty_real_redis(
    wechat_emulator: Emulator, redis_storage: tuple[RedisStorage, type[Exception]], kind: str
) -> None:
    inner, timeout_error = redis_storage
    app = wechat_emulator.add_app(f"wx{uuid.uuid4().hex[:16]}", "faults-secret")
    storage = storage_for(kind, inner, lost=timeout_error)
    figures = drive_tokens(wechat_emulator, app.appid, app.secret, storage, count=60, scenario=f"tokens {kind} (redis)")
    figures.check()
    if kind.startswith("lost-reply"):
        assert figures.storage_errors == 0
        assert figures.extra["token_fetches"] == figures.extra["token_generations"]


# -- pay notifications -------------------------------------------------------------------------------

MERCHANT_KEY = platform_key(100)


def _resource(mchid: str) -> dict[str, Any]:
    tid = secrets.token_hex(14)
    return {
        "appid": "wx_shop",
        "mchid": mchid,
        "out_trade_no": f"order-{tid[:12]}",
        "transaction_id": tid,
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "success_time": "2025-06-08T10:34:56+08:00",
        "payer": {"openid": "o_payer"},
        "amount": {"total": 1200, "payer_total": 1200, "currency": "CNY"},
    }


class _Unexpected(logging.Handler):
    """Counts the "unexpected error" records of PayNotificationHandler.handle's last-resort guard."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "unexpected" in record.getMessage()


def drive_payments(emu: Emulator, storage: Storage, *, count: int, scenario: str) -> Figures:
    """``count`` payments (delivered again after any failure answer) and forged notifications in between."""
    merchant = emu.add_merchant(
        f"14{uuid.uuid4().int % 10**8:08d}",
        serial_no="MERCHANT_SERIAL",
        public_key=MERCHANT_KEY.public_key(),
        apiv3_key=APIV3_KEY,
        mode="certificate",  # the platform certificates are cached in the same faulty storage
    )
    client = PayClient(
        merchant.mchid, "MERCHANT_SERIAL", MERCHANT_KEY, APIV3_KEY, base_url=emu.url, clock=emu.now, storage=storage
    )
    paid: Counter[str] = Counter()

    def on_paid(transaction: Transaction) -> None:
        paid[transaction.transaction_id] += 1

    shop = PayNotificationHandler(v3_client=client, on_paid=on_paid)
    figures = Figures(scenario)
    unexpected = _Unexpected()  # handle() answers 500 to anything unexpected: count those too
    logging.getLogger("wxkit.pay.notify").addHandler(unexpected)

    def deliver(body: bytes, tamper: str | None = None) -> int | None:
        figures.deliveries += 1
        now = emu.now()
        try:
            status, _ = shop.handle(v3_headers(merchant, body, now=now, tamper=tamper), body)
        except Exception:
            figures.unexpected += 1
            return None
        return status

    transactions = []
    for i in range(count):
        resource = _resource(merchant.mchid)
        transactions.append(resource["transaction_id"])
        body = v3_notification(merchant, "TRANSACTION.SUCCESS", resource, now=emu.now())
        figures.inputs += 1
        heal(storage, down=True)
        for delivery in range(MAX_DELIVERIES):
            if delivery == 2:
                heal(storage)
            status = deliver(body)
            if status is None or status in (409, 500):  # WeChat sends it again later
                figures.answered_5xx += status == 500
                figures.storage_errors += status == 500
                continue
            figures.wrong += status != 204
            break
        # A second copy after success (WeChat's rare re-send): never runs the handler again.
        for _ in range(MAX_DELIVERIES):
            status = deliver(body)
            if status is None or status == 500:
                continue
            figures.wrong += status not in (204, 409)  # 409: "done" could not be recorded; never a second run
            break
        if i % 4 == 0:  # forged copies: refused, whatever the storage does
            figures.inputs += 2
            for tamper in ("serial", "signature"):
                forged = v3_notification(merchant, "TRANSACTION.SUCCESS", _resource(merchant.mchid), now=emu.now())
                status = deliver(forged, tamper)
                figures.wrong += status is not None and status != 401
    logging.getLogger("wxkit.pay.notify").removeHandler(unexpected)
    figures.unexpected += unexpected.count
    figures.lost = sum(1 for t in transactions if paid[t] == 0)
    figures.twice = sum(1 for t in transactions if paid[t] > 1)
    figures.wrong += sum(1 for t in paid if t not in transactions)  # a forged one reached the handler
    assert client.certificates is not None
    figures.extra["certificate_downloads"] = merchant.certificate_downloads
    return figures


@pytest.mark.parametrize("kind", ["lost-reply", "lost-reply-retried", "down", "flaky"])
def test_pay_notifications_on_a_faulty_memory_storage(wechat_emulator: Emulator, kind: str) -> None:
    storage = storage_for(kind, MemoryStorage())
    figures = drive_payments(wechat_emulator, storage, count=60, scenario=f"pay {kind} (memory)")
    figures.check()
    assert figures.extra["certificate_downloads"] == 1  # storage faults never cost WeChat extra downloads
    if kind.startswith("lost-reply"):
        assert figures.answered_5xx == 0  # before the fix: 409 to its own claim for processing_ttl
    if kind == "down":
        assert figures.storage_errors == 2 * 60  # two 500s per payment while the storage is down


@pytest.mark.parametrize("kind", ["lost-reply", "lost-reply-retried", "flaky"])
def test_pay_notifications_on_a_faulty_real_redis(
    wechat_emulator: Emulator, redis_storage: tuple[RedisStorage, type[Exception]], kind: str
) -> None:
    inner, timeout_error = redis_storage
    storage = storage_for(kind, inner, lost=timeout_error)
    figures = drive_payments(wechat_emulator, storage, count=40, scenario=f"pay {kind} (redis)")
    figures.check()
    assert figures.extra["certificate_downloads"] == 1
    if kind.startswith("lost-reply"):
        assert figures.answered_5xx == 0
