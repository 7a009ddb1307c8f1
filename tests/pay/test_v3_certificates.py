"""Platform certificates end to end against the emulator: download once, storage, rotation, forged serials,
the refresh rate limit, public-key and switch-over merchants, a wrong APIv3 key, the refresh schedule;
and PlatformCertificates alone with a fake fetcher."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from Crypto.PublicKey import RSA

from wxkit.errors import DecryptError, PayError, SignatureError, TransportError
from wxkit.pay.notify import PayNotificationHandler
from wxkit.pay.v3 import PayClient, aead_encrypt, oaep_decrypt, rsa_sign
from wxkit.pay.v3.certificates import PlatformCertificates
from wxkit.pay.v3.signer import build_message
from wxkit.storage import MemoryStorage
from wxkit.testing import Emulator
from wxkit.testing.pay import MerchantState, platform_key, v3_route
from wxkit.testing.pay_notify import v3_headers, v3_notification
from wxkit.testing.routes import EmulatorRequest, Router
from wxkit.testing.x509 import make_certificate

PING = "/v3/wxkit-test/certificates/ping"
router = Router()


@v3_route(router, "GET", PING)
def _ping(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    return {"mchid": req.merchant.mchid}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def emu(wechat_emulator: Emulator) -> Iterator[Emulator]:
    for route in router.routes:
        wechat_emulator.add_route(route.method, route.path, route.handler, auth=False)
    yield wechat_emulator
    wechat_emulator.clear_faults()


@pytest.fixture(scope="module")
def merchant_key() -> RSA.RsaKey:
    return platform_key(110)


@pytest.fixture
def new_merchant(emu: Emulator, merchant_key: RSA.RsaKey) -> Callable[..., MerchantState]:
    def make(mode: str = "certificate") -> MerchantState:
        return emu.add_merchant(
            f"19{secrets.randbelow(10**8):08d}",
            serial_no="MERCHANT_SERIAL",
            public_key=merchant_key.public_key(),
            apiv3_key=secrets.token_hex(16),
            mode=mode,
        )

    return make


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def new_client(emu: Emulator, merchant_key: RSA.RsaKey, clock: FakeClock) -> Callable[..., PayClient]:
    def make(merchant: MerchantState, *, public_key: bool = False, **kwargs: Any) -> PayClient:
        if public_key:
            kwargs.update(public_key=merchant.pay_public_key_pem(), public_key_id=merchant.public_key_id)
        kwargs.setdefault("apiv3_key", merchant.apiv3_key)
        kwargs.setdefault("monotonic", clock)
        kwargs.setdefault("clock", emu.now)  # other tests move the session emulator's time
        return PayClient(
            merchant.mchid, "MERCHANT_SERIAL", merchant_key, base_url=emu.url, backoff=0.0, max_retries=0, **kwargs
        )

    return make


def ping(client: PayClient) -> None:
    assert client.request("GET", PING) == {"mchid": client.mchid}


# -- certificate mode ----------------------------------------------------------------------------


def test_download_once_cache_by_serial_share_through_storage_and_follow_a_rotation(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient], clock: FakeClock
) -> None:
    merchant = new_merchant()
    storage = MemoryStorage()
    client = new_client(merchant, storage=storage)
    assert client.certificates is not None
    for _ in range(3):
        ping(client)
    assert merchant.certificate_downloads == 1
    assert client.certificates.fetch_count == 1
    first = merchant.certificates[0].serial_no
    cached = json.loads(storage.get(f"wxkit:pay:certs:{merchant.mchid}") or "{}")
    assert list(cached) == [first]
    assert cached[first]["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert cached[first]["expire_time"] == merchant.certificates[0].expire_time

    # A second client (another process) sharing the storage starts warm: no download.
    second = new_client(merchant, storage=storage)
    ping(second)
    assert second.certificates is not None
    assert second.certificates.fetch_count == 0
    assert merchant.certificate_downloads == 1

    # WeChat rotates its platform certificate: later answers are signed by the new one (picked up once the
    # minute of the rate limit, which the first download started, has passed).
    clock.advance(60)
    new = merchant.rotate_certificate()
    for _ in range(3):
        ping(client)
    assert client.certificates.fetch_count == 2
    assert merchant.certificate_downloads == 2
    assert client.certificates.serials == [first, new.serial_no]
    assert client.encrypt_sensitive("张三")[1] == new.serial_no  # sensitive fields go to the newest certificate
    # The other client finds the new serial in the shared storage instead of downloading it.
    ping(second)
    assert second.certificates.fetch_count == 0
    assert merchant.certificate_downloads == 2


def test_a_forged_serial_fails_after_exactly_one_refresh_and_refreshes_are_rate_limited(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient], clock: FakeClock
) -> None:
    merchant = new_merchant()
    client = new_client(merchant, certificate_min_refresh_interval=60)
    assert client.certificates is not None
    ping(client)
    assert client.certificates.fetch_count == 1

    merchant.data["forge_serial"] = True  # answers now name a serial WeChat never issued
    with pytest.raises(SignatureError, match="unknown Wechatpay-Serial"):
        ping(client)
    assert client.certificates.fetch_count == 1  # the first download counts: no refresh within its minute
    clock.advance(60)
    with pytest.raises(SignatureError, match="unknown Wechatpay-Serial"):
        ping(client)
    assert client.certificates.fetch_count == 2  # exactly one refresh
    clock.advance(59)
    with pytest.raises(SignatureError, match="unknown Wechatpay-Serial"):
        ping(client)
    assert client.certificates.fetch_count == 2  # within min_refresh_interval: no second refresh
    clock.advance(1)
    with pytest.raises(SignatureError):
        ping(client)
    assert client.certificates.fetch_count == 3
    assert merchant.certificate_downloads == 3

    # A real rotation right after a forged flood waits for the rate limit, then is picked up.
    del merchant.data["forge_serial"]
    merchant.rotate_certificate()
    with pytest.raises(SignatureError):
        ping(client)
    clock.advance(60)
    ping(client)
    assert client.certificates.fetch_count == 4


def test_forged_serial_on_the_first_answer_downloads_once(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient]
) -> None:
    merchant = new_merchant()
    merchant.data["forge_serial"] = "ABCDEF0123456789"
    client = new_client(merchant)
    with pytest.raises(SignatureError, match="'ABCDEF0123456789'"):
        ping(client)
    assert client.certificates is not None
    assert client.certificates.fetch_count == 1


def test_scheduled_refresh_after_refresh_interval(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient], clock: FakeClock
) -> None:
    merchant = new_merchant()
    client = new_client(merchant, certificate_refresh_interval=3600)
    assert client.certificates is not None
    ping(client)
    clock.advance(3599)
    ping(client)
    assert merchant.certificate_downloads == 1
    clock.advance(1)
    ping(client)
    assert merchant.certificate_downloads == 2
    assert client.certificates.fetch_count == 2
    ping(client)
    assert merchant.certificate_downloads == 2


def test_a_failed_scheduled_refresh_keeps_the_known_certificates(
    emu: Emulator,
    new_merchant: Callable[..., MerchantState],
    new_client: Callable[..., PayClient],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    merchant = new_merchant()
    client = new_client(merchant, certificate_refresh_interval=3600, certificate_min_refresh_interval=60)
    ping(client)
    clock.advance(3600)
    emu.inject("/v3/certificates", status=500)
    with caplog.at_level(logging.WARNING, logger="wxkit.pay"):
        ping(client)  # still verified with the certificate we have
    assert "refresh" in caplog.text
    assert merchant.apiv3_key not in caplog.text
    clock.advance(30)
    ping(client)
    assert client.certificates is not None
    assert client.certificates.fetch_count == 2
    clock.advance(30)
    ping(client)
    assert client.certificates.fetch_count == 3
    assert merchant.certificate_downloads == 2


def test_a_failed_first_download_raises(
    emu: Emulator, new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient], clock: FakeClock
) -> None:
    client = new_client(new_merchant())
    emu.inject("/v3/certificates", status=500)
    with pytest.raises(TransportError):
        ping(client)
    # A failed download counts for the rate limit: the next one waits for min_refresh_interval.
    with pytest.raises(TransportError, match=r"no platform certificates yet.*TransportError.*allowed in 60 s"):
        ping(client)
    assert client.certificates is not None
    assert client.certificates.fetch_count == 1
    clock.advance(60)
    ping(client)


def test_forged_serials_cost_at_most_one_download_a_minute_in_every_state(
    emu: Emulator, new_merchant: Callable[..., MerchantState], merchant_key: RSA.RsaKey, clock: FakeClock
) -> None:
    """A cold start, a failing /v3/certificates, then a healthy one: a flood of notifications naming forged
    serials never costs WeChat more than one download per certificate_min_refresh_interval (a failed one counts)."""
    merchant = new_merchant()
    client = PayClient(
        merchant.mchid,
        "MERCHANT_SERIAL",
        merchant_key,
        merchant.apiv3_key,
        base_url=emu.url,
        backoff=0.0,
        monotonic=clock,
        clock=emu.now,
    )  # default max_retries=2: one download is up to 3 GETs while WeChat answers 5xx
    per_download = 3
    paid: list[Any] = []
    shop = PayNotificationHandler(v3_client=client, on_paid=paid.append)
    fault = emu.inject("/v3/certificates", status=500, times=10**6)

    def gets() -> int:
        return fault.fired + merchant.certificate_downloads

    def flood(count: int, tamper: str | None = "serial") -> set[int]:
        statuses = set()
        for _ in range(count):
            now = emu.now()
            body = v3_notification(merchant, "TRANSACTION.SUCCESS", _paid_resource(merchant), now=now)
            statuses.add(shop.handle(v3_headers(merchant, body, now=now, tamper=tamper), body)[0])
        return statuses

    # A cold start while /v3/certificates fails: nothing can be verified (500: WeChat retries), one download.
    assert flood(30) == {500}
    assert gets() == per_download  # before the fix: 30 downloads, 90 GETs
    clock.advance(59)
    assert flood(10) == {500}
    assert gets() == per_download
    clock.advance(1)
    assert flood(10) == {500}
    assert gets() == 2 * per_download

    # WeChat answers again: the next download (a minute later) succeeds; forged serials are refused (401).
    emu.clear_faults()
    assert flood(10) == {500}  # still within the minute of the last failed download
    clock.advance(60)
    assert flood(30) == {401}
    assert merchant.certificate_downloads == 1
    assert flood(1, tamper=None) == {204}  # a genuine notification is handled
    assert len(paid) == 1
    clock.advance(59)
    assert flood(20) == {401}
    assert merchant.certificate_downloads == 1
    clock.advance(1)
    assert flood(20) == {401}
    assert merchant.certificate_downloads == 2

    # A healthy cold start: the first download counts too (before the fix: a second one for the first forged serial).
    fresh = PayClient(
        merchant.mchid,
        "MERCHANT_SERIAL",
        merchant_key,
        merchant.apiv3_key,
        base_url=emu.url,
        backoff=0.0,
        monotonic=clock,
        clock=emu.now,
    )
    shop = PayNotificationHandler(v3_client=fresh, on_paid=paid.append)
    assert flood(30) == {401}
    assert merchant.certificate_downloads == 3


def _paid_resource(merchant: MerchantState) -> dict[str, Any]:
    tid = secrets.token_hex(14)
    return {
        "appid": "wx_shop",
        "mchid": merchant.mchid,
        "out_trade_no": f"order-{tid[:10]}",
        "transaction_id": tid,
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "success_time": "2025-06-08T10:34:56+08:00",
        "payer": {"openid": "o_payer"},
        "amount": {"total": 1200, "payer_total": 1200, "currency": "CNY"},
    }


def test_a_wrong_apiv3_key_is_a_clear_decrypt_error(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient]
) -> None:
    merchant = new_merchant()
    wrong = secrets.token_hex(16)
    client = new_client(merchant, apiv3_key=wrong)
    with pytest.raises(DecryptError, match="is the APIv3 key right") as info:
        ping(client)
    assert wrong not in str(info.value)
    assert merchant.apiv3_key not in str(info.value)


# -- public-key mode and the switch-over ---------------------------------------------------------


def test_public_key_merchant_never_fails_and_never_downloads(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient]
) -> None:
    merchant = new_merchant("public_key")
    client = new_client(merchant, public_key=True)
    for _ in range(3):
        ping(client)
    ciphertext, serial = client.encrypt_sensitive("张三")
    assert serial == merchant.public_key_id
    assert oaep_decrypt(platform_key(0), ciphertext) == "张三"
    assert merchant.certificate_downloads == 0
    assert client.certificates is not None
    assert client.certificates.fetch_count == 0
    # Even an explicit refresh only learns there are none: 404 is "no certificates", not an error.
    client.certificates.refresh()
    assert client.certificates.available is False
    assert client.certificates.serials == []
    ping(client)

    strict = new_client(merchant, public_key=True, use_certificates=False)
    ping(strict)
    assert strict.certificates is None
    assert merchant.certificate_downloads == 1


def test_public_key_merchant_with_a_certificate_only_client_says_what_is_missing(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient]
) -> None:
    merchant = new_merchant("public_key")
    client = new_client(merchant)
    with pytest.raises(SignatureError, match="configure public_key and public_key_id"):
        ping(client)
    assert merchant.certificate_downloads == 0  # a PUB_KEY_ID serial never triggers a download


def test_certificate_merchant_with_a_public_key_only_client_is_refused(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient]
) -> None:
    merchant = new_merchant("certificate")
    client = new_client(merchant, public_key=True, use_certificates=False)
    with pytest.raises(SignatureError, match="no platform certificates are used"):
        ping(client)


def test_switch_over_client_accepts_both(
    new_merchant: Callable[..., MerchantState], new_client: Callable[..., PayClient]
) -> None:
    merchant = new_merchant("both")
    client = new_client(merchant, public_key=True)
    ping(client)
    assert merchant.certificate_downloads == 0
    # During the switch-over WeChat signs some answers and notifications with the certificate.
    merchant.mode = "certificate"
    ping(client)
    ping(client)
    merchant.mode = "both"
    ping(client)
    assert merchant.certificate_downloads == 1
    assert client.certificates is not None
    assert client.certificates.serials == [merchant.certificates[0].serial_no]
    assert client.encrypt_sensitive("x")[1] == merchant.public_key_id


# -- PlatformCertificates alone ------------------------------------------------------------------

APIV3 = "0123456789abcdef0123456789abcdef"


def _entry(key: RSA.RsaKey, serial: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    pem = make_certificate(key, serial, not_before=start, not_after=end)
    nonce = secrets.token_hex(6)
    return {
        "serial_no": serial,
        "effective_time": start.isoformat(),
        "expire_time": end.isoformat(),
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "nonce": nonce,
            "associated_data": "certificate",
            "ciphertext": aead_encrypt(APIV3, nonce, "certificate", pem),
        },
    }


class Fetcher:
    def __init__(self, *entries: dict[str, Any], status: int = 200, body: bytes | None = None) -> None:
        self.entries = list(entries)
        self.status = status
        self.body = body
        self.calls = 0

    def __call__(self) -> tuple[dict[str, str], bytes]:
        self.calls += 1
        if self.status != 200:
            raise PayError("NOT_FOUND", "no certificates", status=self.status)
        body = self.body if self.body is not None else json.dumps({"data": self.entries}).encode()
        return {}, body


NOW = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)


def certs(fetch: Fetcher, storage: MemoryStorage | None = None, **kwargs: Any) -> PlatformCertificates:
    kwargs.setdefault("wall_clock", NOW.timestamp)
    return PlatformCertificates("1900000001", APIV3, storage or MemoryStorage(), fetch, **kwargs)


def test_expired_certificates_are_dropped_and_newest_is_the_latest_effective() -> None:
    k1, k2, k3 = platform_key(100), platform_key(101), platform_key(102)
    year = dt.timedelta(days=365)
    fetch = Fetcher(
        _entry(k1, "E0E0", NOW - 6 * year, NOW - dt.timedelta(seconds=1)),
        _entry(k2, "C0C0", NOW - year, NOW + 4 * year),
        _entry(k3, "F0F0", NOW + dt.timedelta(days=1), NOW + 5 * year),
    )
    platform = certs(fetch)
    assert platform.key_for("E0E0") is None
    assert platform.serials == ["C0C0", "F0F0"]
    newest = platform.newest()
    assert newest is not None
    assert newest[0] == "C0C0"
    assert fetch.calls == 1  # the download made for that very lookup is not repeated for the unknown serial


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", SignatureError),
        (b'{"data": 3}', SignatureError),
        (b'{"data": [{"serial_no": "X"}]}', SignatureError),
        (b'{"data": [{"serial_no": "X", "encrypt_certificate": {"nonce": "n", "ciphertext": "AAAA"}}]}', DecryptError),
    ],
)
def test_malformed_answers(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        certs(Fetcher(body=body)).key_for("X")


def test_404_is_public_key_mode_and_other_errors_raise() -> None:
    fetch = Fetcher(status=404)
    platform = certs(fetch, clock=FakeClock())
    assert platform.key_for("ANY") is None
    assert platform.newest() is None
    assert platform.available is False
    assert fetch.calls == 1
    with pytest.raises(PayError):
        certs(Fetcher(status=403)).key_for("ANY")


def test_storage_is_read_in_old_and_new_formats_and_garbage_is_ignored() -> None:
    key = platform_key(100)
    pem = make_certificate(key, "51", not_before=NOW, not_after=NOW + dt.timedelta(days=9))
    for value in (json.dumps({"51": pem}), json.dumps({"51": {"pem": pem, "expire_time": ""}})):
        storage = MemoryStorage()
        storage.set("wxkit:pay:certs:1900000001", value)
        fetch = Fetcher()
        assert certs(fetch, storage).key_for("51") is not None
        assert fetch.calls == 0
    for garbage in ("not json", "[1]", json.dumps({"51": {"pem": "nope"}}), json.dumps({"51": 3})):
        storage = MemoryStorage()
        storage.set("wxkit:pay:certs:1900000001", garbage)
        fetch = Fetcher(_entry(key, "51", NOW, NOW + dt.timedelta(days=9)))
        assert certs(fetch, storage).key_for("51") is not None
        assert fetch.calls == 1


def test_concurrent_unknown_serials_download_once() -> None:
    key = platform_key(100)
    fetch = Fetcher(_entry(key, "51", NOW, NOW + dt.timedelta(days=9)))
    clock = FakeClock()
    platform = certs(fetch, clock=clock)
    assert platform.key_for("51") is not None
    fetch.entries.append(_entry(platform_key(101), "52", NOW, NOW + dt.timedelta(days=9)))
    clock.advance(60)  # past the rate limit the first download started
    barrier = threading.Barrier(8)
    found: list[Any] = []

    def worker() -> None:
        barrier.wait()
        found.append(platform.key_for("52"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(k is not None for k in found)
    assert len(found) == 8
    assert fetch.calls == 2


def test_the_certificates_answer_must_verify_with_its_own_certificates() -> None:
    key = platform_key(100)
    fetch = Fetcher(_entry(key, "51", NOW, NOW + dt.timedelta(days=9)))
    seen: list[dict[str, RSA.RsaKey]] = []

    def verify_answer(headers: dict[str, str], body: bytes, keys: dict[str, RSA.RsaKey]) -> None:
        seen.append(keys)
        raise SignatureError("the /v3/certificates answer is not signed by WeChat")

    platform = certs(fetch, verify_answer=verify_answer)
    with pytest.raises(SignatureError, match="not signed"):
        platform.key_for("51")
    assert list(seen[0]) == ["51"]
    assert platform.serials == []
    # Sanity: the headers a real answer carries verify with the key it brings.
    assert rsa_sign(key, build_message("1", "n", b"{}"))


def test_a_storage_holding_only_expired_certificates_is_downloaded_again() -> None:
    key = platform_key(100)
    old = make_certificate(key, "51", not_before=NOW - dt.timedelta(days=9), not_after=NOW - dt.timedelta(days=1))
    storage = MemoryStorage()
    expired = {"51": {"pem": old, "expire_time": (NOW - dt.timedelta(days=1)).isoformat()}}
    storage.set("wxkit:pay:certs:1900000001", json.dumps(expired))
    fetch = Fetcher(_entry(platform_key(101), "52", NOW, NOW + dt.timedelta(days=9)))
    platform = certs(fetch, storage)
    assert platform.key_for("52") is not None
    assert fetch.calls == 1
    assert platform.serials == ["52"]
    assert list(json.loads(storage.get("wxkit:pay:certs:1900000001") or "{}")) == ["52"]
