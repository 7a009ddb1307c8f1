"""Shared fixtures for the WeChat Pay tests: merchants on the session's emulator and v3 clients for them.

Append fixtures here; keep the existing ones' behaviour (other test modules rely on them).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from Crypto.PublicKey import RSA

from wxkit.pay.models import Refund, Transaction
from wxkit.pay.v3.client import PayClient
from wxkit.testing import Emulator
from wxkit.testing.pay import MerchantState, platform_key

#: A valid 32-byte APIv3 key for emulated merchants.
APIV3_KEY = "0123456789abcdef0123456789abcdef"
#: The appid emulated merchants are bound to (``PayClient(appid=...)`` by default).
PAY_APPID = "wx_pay_test_app"
#: The merchant API certificate serial the clients sign with.
MERCHANT_SERIAL = "MERCHANT_SERIAL_0001"

_MCHIDS = itertools.count(1)

#: ``make_pay_client(mode=..., appid=..., **PayClient kwargs) -> (merchant, client)``.
MakePayClient = Callable[..., tuple[MerchantState, PayClient]]


@pytest.fixture(scope="session")
def merchant_key() -> RSA.RsaKey:
    """The merchant's API private key (one 2048-bit key per process, ``platform_key(100)``)."""
    return platform_key(100)


@pytest.fixture
def make_pay_client(wechat_emulator: Emulator, merchant_key: RSA.RsaKey) -> Iterator[MakePayClient]:
    """A factory: a fresh merchant (unique mchid) on the emulator and a :class:`PayClient` for it.

    ``mode`` is the emulator merchant's mode: ``"public_key"`` (the client is
    given the WeChat Pay public key), ``"certificate"`` (the client downloads
    platform certificates) or ``"both"``. The client has no retry backoff.
    Injected faults are cleared afterwards.
    """

    def make(
        mode: str = "public_key", *, appid: str | None = PAY_APPID, **kwargs: Any
    ) -> tuple[MerchantState, PayClient]:
        mchid = f"19{os.getpid() % 10000:04d}{next(_MCHIDS):04d}"
        merchant = wechat_emulator.add_merchant(
            mchid,
            serial_no=MERCHANT_SERIAL,
            public_key=merchant_key.public_key(),
            apiv3_key=APIV3_KEY,
            mode=mode,
            appid=appid,
        )
        if mode != "certificate":
            kwargs.setdefault("public_key", merchant.pay_public_key_pem())
            kwargs.setdefault("public_key_id", merchant.public_key_id)
        kwargs.setdefault("backoff", 0.0)
        kwargs.setdefault("clock", wechat_emulator.now)
        client = PayClient(
            mchid, MERCHANT_SERIAL, merchant_key, APIV3_KEY, appid=appid, base_url=wechat_emulator.url, **kwargs
        )
        return merchant, client

    yield make
    wechat_emulator.clear_faults()


# -- WeChat Pay v2 (PayClientV2) -------------------------------------------------------------------
#: ``make_pay_client_v2(sign_type="MD5", *, cert=True, appid=PAY_APPID, **PayClientV2 kwargs) -> (merchant, client)``.
MakePayClientV2 = Callable[..., tuple[MerchantState, Any]]


@pytest.fixture(scope="session")
def pay_cert_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Placeholder ``apiclient_cert.pem`` / ``apiclient_key.pem`` (the emulator serves plain HTTP: never read)."""
    folder = tmp_path_factory.mktemp("pay-cert")
    cert, key = folder / "apiclient_cert.pem", folder / "apiclient_key.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----\n")
    return str(cert), str(key)


@pytest.fixture
def make_pay_client_v2(
    wechat_emulator: Emulator, merchant_key: RSA.RsaKey, pay_cert_files: tuple[str, str]
) -> Iterator[MakePayClientV2]:
    """A factory: a fresh merchant with a random v2 key on the emulator and a :class:`PayClientV2` for it.

    ``cert=True`` gives the client the placeholder certificate files (needed
    by refund / reverse / fund-flow bills); no retry backoff. Injected faults
    are cleared afterwards.
    """
    from wxkit.pay.v2 import PayClientV2

    def make(
        sign_type: str = "MD5", *, cert: bool = True, appid: str | None = PAY_APPID, **kwargs: Any
    ) -> tuple[MerchantState, PayClientV2]:
        mchid = f"19{os.getpid() % 10000:04d}{next(_MCHIDS):04d}"
        merchant = wechat_emulator.add_merchant(
            mchid,
            serial_no=MERCHANT_SERIAL,
            public_key=merchant_key.public_key(),
            apiv3_key=APIV3_KEY,
            appid=appid,
            v2_key=os.urandom(16).hex(),
        )
        if cert:
            kwargs.setdefault("cert", pay_cert_files[0])
            kwargs.setdefault("cert_key", pay_cert_files[1])
        kwargs.setdefault("backoff", 0.0)
        assert merchant.v2_key is not None
        client = PayClientV2(
            appid or PAY_APPID, mchid, merchant.v2_key, sign_type=sign_type, base_url=wechat_emulator.url, **kwargs
        )
        return merchant, client

    yield make
    wechat_emulator.clear_faults()


# -- notification handlers -------------------------------------------------------------------------
class Recorder:
    """``on_paid`` / ``on_refund`` callables that record their calls (and can fail or block on demand)."""

    def __init__(self) -> None:
        self.paid: list[Transaction] = []
        self.refunds: list[Refund] = []
        #: Fail this many ``on_paid`` calls (``RuntimeError``) before recording again.
        self.fail_next = 0
        #: When set, ``on_paid`` waits for it (after setting ``entered``).
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def on_paid(self, item: Transaction) -> None:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database is down")
        self.paid.append(item)

    def on_refund(self, item: Refund) -> None:
        self.refunds.append(item)


@pytest.fixture
def recorder() -> Recorder:
    """A fresh :class:`Recorder`."""
    return Recorder()


# -- crypto backends -------------------------------------------------------------------------------
@pytest.fixture(params=["cryptography", "pycryptodome"])
def pay_crypto_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test on each WeChat Pay crypto backend (OpenSSL through ``cryptography``, and pycryptodome).

    Opt a module in with ``pytestmark = pytest.mark.usefixtures("pay_crypto_backend")``:
    the crypto-level and notification modules do, so CI runs them on both
    (``cryptography`` is in the ``test`` extra; without it those runs skip).
    The emulator scenarios run once, on the default backend.
    """
    from wxkit.pay.v3 import available_crypto_backends, set_crypto_backend

    name = request.param
    if name not in available_crypto_backends():
        pytest.skip(f"the {name} crypto backend is not installed (pip install 'wxkit[fast]')")
    previous = set_crypto_backend(name)
    try:
        yield name
    finally:
        set_crypto_backend(previous)
