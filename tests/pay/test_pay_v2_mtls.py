"""WeChat Pay v2's client certificate, emulated: PayClientV2 over the emulator's TLS listener."""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from wxkit.errors import ConfigError, PayError, TransportError
from wxkit.pay.dates import china_today
from wxkit.pay.v2 import PayClientV2
from wxkit.testing import Emulator
from wxkit.testing.pay import MerchantState, platform_key
from wxkit.testing.routes import EmulatorRequest
from wxkit.testing.routes.pay_v2 import CERT_MISMATCH_MSG, complete_payment_v2
from wxkit.testing.x509 import TLSFiles, make_certificate, make_tls_files

from .conftest import APIV3_KEY, PAY_APPID

MCHID = "1900009001"
V2_KEY = "0123456789abcdef0123456789abcdef"
NOTIFY = "https://shop.example/pay/notify"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"), MCHID)


def _emulator(files: TLSFiles, *, require_client_cert: bool) -> Emulator:
    emu = Emulator().start_tls(
        files.ca_cert, files.server_cert, files.server_key, require_client_cert=require_client_cert
    )
    merchant = emu.add_merchant(
        MCHID,
        serial_no="SERIAL",
        public_key=platform_key(100).public_key(),
        apiv3_key=APIV3_KEY,
        appid=PAY_APPID,
        v2_key=V2_KEY,
    )
    merchant.data["require_client_cert"] = True
    return emu


@pytest.fixture(scope="module")
def emu(files: TLSFiles) -> Iterator[Emulator]:
    """Client certificates optional at the handshake (as on WeChat's host): every call over one URL."""
    emulator = _emulator(files, require_client_cert=False)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def strict_emu(files: TLSFiles) -> Iterator[Emulator]:
    """Client certificates required at the handshake."""
    emulator = _emulator(files, require_client_cert=True)
    yield emulator
    emulator.stop()


def merchant(emu: Emulator) -> MerchantState:
    return emu.merchants[MCHID]


def client(emu: Emulator, files: TLSFiles, *, with_cert: bool = True, **kwargs: Any) -> PayClientV2:
    """A client for the emulator's TLS listener, trusting the test CA, with the merchant's certificate."""
    if with_cert:
        kwargs.setdefault("cert", files.client_cert)
        kwargs.setdefault("cert_key", files.client_key)
    kwargs.setdefault("base_url", emu.tls_url)
    kwargs.setdefault("verify", files.ca_cert)
    return PayClientV2(PAY_APPID, MCHID, V2_KEY, backoff=0.0, **kwargs)


def paid(emu: Emulator, pay: PayClientV2, out_trade_no: str) -> None:
    pay.unified_order("Q币", out_trade_no, 100, "203.0.113.7", NOTIFY, "JSAPI", openid="o_payer")
    complete_payment_v2(emu, merchant(emu), out_trade_no)


def test_refund_over_tls_with_the_merchant_certificate(emu: Emulator, files: TLSFiles) -> None:
    pay = client(emu, files)
    assert emu.tls_url.startswith("https://127.0.0.1:")
    paid(emu, pay, "T-tls-1")
    refund = pay.refund("R-tls-1", 100, 40, out_trade_no="T-tls-1")
    assert refund["refund_fee"] == "40"
    assert merchant(emu).data["v2_refunds"]["R-tls-1"]["refund_status"] == "PROCESSING"
    today = china_today(emu.now())
    assert "资金流水总笔数" in pay.download_fund_flow(today)  # the other certificate endpoint


def test_the_route_sees_the_verified_client_certificate(emu: Emulator, files: TLSFiles) -> None:
    seen: list[dict[str, str] | None] = []

    def whoami(_emu: Emulator, request: EmulatorRequest) -> dict[str, Any]:
        seen.append(request.client_cert)
        return {"errcode": 0}

    emu.add_route("POST", "/test/whoami", whoami, auth=False)
    pay = client(emu, files)
    assert pay._cert_http is not None
    pay._cert_http.send("POST", "/test/whoami")
    pay.http.send("POST", "/test/whoami")  # the other session sends no certificate
    requests.post(emu.url + "/test/whoami", timeout=5)  # plain HTTP
    assert seen[0] is not None
    assert seen[0]["common_name"] == MCHID
    assert seen[0]["issuer"] == "wxkit emulator test CA"
    assert seen[0]["serial_no"]
    assert seen[1:] == [None, None]


def test_plain_http_is_refused_when_the_merchant_requires_a_certificate(emu: Emulator, files: TLSFiles) -> None:
    pay = client(emu, files)
    paid(emu, pay, "T-plain-1")
    plain = client(emu, files, base_url=emu.url, verify=None)
    with pytest.raises(PayError) as err:
        plain.refund("R-plain-1", 100, 40, out_trade_no="T-plain-1")
    assert err.value.status == 400
    assert err.value.code == "INVALID_RESPONSE"
    assert "R-plain-1" not in merchant(emu).data.get("v2_refunds", {})
    with pytest.raises(PayError):
        plain.reverse(out_trade_no="T-plain-1")
    assert plain.order_query(out_trade_no="T-plain-1")["trade_state"] == "SUCCESS"  # not a /secapi endpoint


def test_plain_http_is_served_for_merchants_without_the_flag(emu: Emulator, files: TLSFiles) -> None:
    pay = client(emu, files)
    paid(emu, pay, "T-flag-1")
    merchant(emu).data["require_client_cert"] = False
    try:
        plain = client(emu, files, base_url=emu.url, verify=None)
        assert plain.refund("R-flag-1", 100, 10, out_trade_no="T-flag-1")["refund_fee"] == "10"
    finally:
        merchant(emu).data["require_client_cert"] = True


def test_tls_without_a_client_certificate(emu: Emulator, strict_emu: Emulator, files: TLSFiles) -> None:
    pay = client(emu, files)
    paid(emu, pay, "T-nocert-1")
    params = {"out_trade_no": "T-nocert-1", "out_refund_no": "R-nocert-1", "total_fee": 100, "refund_fee": 10}
    # Optional at the handshake: the request arrives without one and gets WeChat's HTTP 400 page.
    with pytest.raises(PayError) as err:
        client(emu, files, with_cert=False).request("/secapi/pay/refund", params)
    assert err.value.status == 400
    # Required at the handshake: the connection fails.
    with pytest.raises(TransportError):
        client(strict_emu, files, with_cert=False).request("/secapi/pay/refund", params)
    with pytest.raises(ConfigError, match="certificate"):  # and the client never tries on its own
        client(strict_emu, files, with_cert=False).refund("R-nocert-1", 100, 10, out_trade_no="T-nocert-1")


def test_a_strict_listener_serves_a_client_with_the_certificate(strict_emu: Emulator, files: TLSFiles) -> None:
    pay = client(strict_emu, files)
    plain = client(strict_emu, files, base_url=strict_emu.url, verify=None)  # orders need no certificate
    paid(strict_emu, plain, "T-strict-1")
    assert pay.reverse(out_trade_no="T-strict-1")["recall"] == "N"
    with pytest.raises(TransportError):  # the session without a certificate cannot even connect
        pay.order_query(out_trade_no="T-strict-1")


@pytest.mark.parametrize("require_client_cert", [False, True])
def test_a_certificate_from_another_ca_is_refused(
    emu: Emulator, strict_emu: Emulator, files: TLSFiles, tmp_path: Path, require_client_cert: bool
) -> None:
    target = strict_emu if require_client_cert else emu
    keys = (platform_key(203), platform_key(201), platform_key(202))  # another CA key, the same leaf keys
    rogue = make_tls_files(tmp_path, MCHID, ca_name="rogue CA", keys=keys)
    forged = client(target, files, cert=rogue.client_cert, cert_key=rogue.client_key)
    with pytest.raises(TransportError):
        forged.refund("R-rogue-1", 100, 10, out_trade_no="T-rogue-1")
    assert "R-rogue-1" not in merchant(target).data.get("v2_refunds", {})


def test_a_certificate_of_another_merchant_is_refused(emu: Emulator, files: TLSFiles, tmp_path: Path) -> None:
    pay = client(emu, files)
    paid(emu, pay, "T-other-1")
    other = make_tls_files(tmp_path, "1900009999")  # the same CA (same keys), another merchant's name
    borrowed = client(emu, files, cert=other.client_cert, cert_key=other.client_key)
    with pytest.raises(PayError) as err:
        borrowed.refund("R-other-1", 100, 10, out_trade_no="T-other-1")
    assert (err.value.code, err.value.message) == ("FAIL", CERT_MISMATCH_MSG)
    assert "R-other-1" not in merchant(emu).data.get("v2_refunds", {})


def test_the_client_does_not_trust_the_test_ca_unless_told(emu: Emulator, files: TLSFiles) -> None:
    with pytest.raises(TransportError):
        client(emu, files, verify=True).order_query(out_trade_no="T-x")
    session = requests.Session()
    session.verify = files.ca_cert  # or through your own session
    pay = client(emu, files, verify=None, session=session)
    with pytest.raises(PayError, match="订单不存在"):
        pay.order_query(out_trade_no="T-none")
    with pytest.raises(ConfigError, match="verify"):
        client(emu, files, session=session)


def test_tls_url_needs_start_tls() -> None:
    emulator = Emulator()
    with pytest.raises(RuntimeError, match="start_tls"):
        _ = emulator.tls_url


# -- certificates --------------------------------------------------------------------------------
def test_the_certificates_verify_with_openssl(files: TLSFiles) -> None:
    context = ssl.create_default_context(cafile=files.ca_cert)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=files.ca_cert)
    server.load_cert_chain(files.server_cert, files.server_key)
    server.verify_mode = ssl.CERT_REQUIRED
    server.verify_flags |= ssl.VERIFY_X509_STRICT
    context.load_cert_chain(files.client_cert, files.client_key)
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    c = context.wrap_bio(client_in, client_out, server_hostname="127.0.0.1")
    s = server.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):
        for sock in (c, s):
            with contextlib.suppress(ssl.SSLWantReadError):
                sock.do_handshake()
        server_in.write(client_out.read())
        client_in.write(server_out.read())
    assert s.getpeercert()["subject"] == ((("commonName", MCHID),),)
    assert c.getpeercert()["subjectAltName"] == (("IP Address", "127.0.0.1"),)


def test_make_certificate_keeps_its_self_signed_form() -> None:
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    pem = make_certificate(platform_key(100), "ABC", not_before=now, not_after=now.replace(year=2029))
    plain = ssl.PEM_cert_to_DER_cert(pem)
    assert b"\x55\x1d" not in plain  # no extension OIDs (2.5.29.x)
    with pytest.raises(ValueError, match="issuer"):
        make_certificate(platform_key(100), "AB", not_before=now, not_after=now, issuer_name="CA")


def test_tls_files_for_a_dns_name(tmp_path: Path) -> None:
    names = make_tls_files(tmp_path, MCHID, host="localhost")
    info = ssl._ssl._test_decode_cert(names.server_cert)  # type: ignore[attr-defined]
    assert info["subjectAltName"] == (("DNS", "localhost"),)


def test_an_explicit_verify_wins_over_requests_ca_bundle(
    emu: Emulator, files: TLSFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests lets REQUESTS_CA_BUNDLE override a session's verify; wxkit's HTTP client does not.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", files.server_cert)  # a bundle that cannot verify the server
    with pytest.raises(PayError, match="订单不存在"):
        client(emu, files).order_query(out_trade_no="T-env")
