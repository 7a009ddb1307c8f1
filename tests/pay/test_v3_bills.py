"""v3 bills end to end against the emulator: apply, download (plain / gzip), hash checks, errors."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
import requests

from wxkit.errors import PayError, SignatureError
from wxkit.pay.v3 import PayClient
from wxkit.testing import Emulator
from wxkit.testing.routes.pay_v3_funds import complete_transfer, seed_paid_order, tamper_bill
from wxkit.testing.x509 import make_tls_files

from .conftest import APIV3_KEY, MERCHANT_SERIAL, PAY_APPID


@pytest.fixture
def pay(make_pay_client: Any) -> Any:
    """A merchant with one paid order (300 fen) and a 100 fen refund of it, and the bill date."""
    merchant, client = make_pay_client("public_key")
    order = seed_paid_order(merchant, "T1001", 300)
    client.refunds.create("R1001", 100, 300, out_trade_no="T1001")
    return merchant, client, order["success_time"][:10]


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines()


@pytest.mark.parametrize("tar_type", [None, "GZIP"])
def test_trade_bill_download(pay: Any, tar_type: str | None) -> None:
    _merchant, client, day = pay
    info = client.bills.trade_bill(day, tar_type=tar_type)
    assert info["hash_type"] == "SHA1"
    assert info["download_url"].startswith(f"{client.http.base_url}/v3/billdownload/file?token=")
    data = client.bills.download(info)
    assert hashlib.sha1(data).hexdigest() == info["hash_value"]  # the digest of the original bill
    lines = _lines(data)
    assert lines[0].startswith("交易时间,公众账号ID,商户号")
    assert any("`T1001" in line and "`SUCCESS" in line and "`3.00" in line for line in lines)
    assert any("`R1001" in line and "`REFUND" in line and "`1.00" in line for line in lines)
    assert lines[-2].startswith("总交易单数")
    assert lines[-1].startswith("`2,`3.00,`1.00")


def test_gzip_and_plain_carry_the_same_bill(pay: Any) -> None:
    merchant, client, day = pay
    plain, gzipped = client.bills.trade_bill(day), client.bills.trade_bill(day, tar_type="GZIP")
    assert plain["hash_value"] == gzipped["hash_value"]
    token = gzipped["download_url"].split("token=")[1].split("&")[0]
    raw = merchant.data["bill_downloads"][token]["body"]
    assert raw[:2] == b"\x1f\x8b"
    # A hash over the gzip bytes as sent is accepted too (WeChat's SDKs disagree on which it is).
    data = client.bills.download(gzipped["download_url"], hash_value=hashlib.sha1(raw).hexdigest())
    assert data == client.bills.download(plain)


@pytest.mark.parametrize(("bill_type", "has_pay", "has_refund"), [("SUCCESS", True, False), ("REFUND", False, True)])
def test_trade_bill_types(pay: Any, bill_type: str, has_pay: bool, has_refund: bool) -> None:
    _, client, day = pay
    text = client.bills.download(client.bills.trade_bill(dt.date.fromisoformat(day), bill_type=bill_type)).decode()
    assert ("`SUCCESS" in text) is has_pay
    assert ("`R1001" in text) is has_refund


def test_fund_flow_bills(wechat_emulator: Emulator, pay: Any) -> None:
    merchant, client, day = pay
    basic = _lines(client.bills.download(client.bills.fund_flow_bill(day, tar_type="GZIP")))
    assert basic[0].startswith("记账时间")
    assert basic[-1] == "`2,`1,`3.00,`1,`1.00"
    fees = client.bills.download(client.bills.fund_flow_bill(day, account_type="FEES")).decode()
    assert "扣除交易手续费" in fees
    with pytest.raises(PayError) as exc:  # no transfer yet
        client.bills.fund_flow_bill(day, account_type="OPERATION")
    assert (exc.value.status, exc.value.code) == (400, "NO_STATEMENT_EXIST")
    client.transfers.create(
        "TB1",
        "1000",
        "o_user",
        500,
        "奖励",
        transfer_scene_report_infos=[{"info_type": "活动名称", "info_content": "x"}],
    )
    transfer_day = complete_transfer(wechat_emulator, merchant, "TB1")["update_time"][:10]
    operation = client.bills.download(client.bills.fund_flow_bill(transfer_day, account_type="OPERATION")).decode()
    assert "商家转账" in operation
    assert "`5.00" in operation


def test_download_to_dest(pay: Any, tmp_path: Path) -> None:
    _, client, day = pay
    info = client.bills.trade_bill(day, tar_type="GZIP")
    data = client.bills.download(info, tmp_path / "bill.csv")
    assert (tmp_path / "bill.csv").read_bytes() == data
    buffer = io.BytesIO()
    client.bills.download(client.bills.trade_bill(day), buffer)
    assert buffer.getvalue() == data


@pytest.mark.parametrize("tar_type", [None, "GZIP"])
def test_wrong_hash_is_detected_and_nothing_written(pay: Any, tmp_path: Path, tar_type: str | None) -> None:
    merchant, client, day = pay
    tamper_bill(merchant, hash_value="0" * 40)
    info = client.bills.trade_bill(day, tar_type=tar_type)
    with pytest.raises(SignatureError, match="SHA1"):
        client.bills.download(info, tmp_path / "bill.csv")
    assert not (tmp_path / "bill.csv").exists()
    assert client.bills.download(client.bills.trade_bill(day, tar_type=tar_type))  # one-shot control


@pytest.mark.parametrize(
    ("body", "error"),
    [(b"a different bill\r\n", SignatureError), (b"\x1f\x8b not really gzip", PayError)],
)
def test_tampered_file_is_refused(pay: Any, body: bytes, error: type[Exception]) -> None:
    merchant, client, day = pay
    tamper_bill(merchant, body=body)
    with pytest.raises(error):
        client.bills.download(client.bills.trade_bill(day))


def test_hash_type_and_missing_hash(pay: Any) -> None:
    _, client, day = pay
    info = client.bills.trade_bill(day)
    data = client.bills.download(info["download_url"])  # no hash given: nothing to check
    sha256 = hashlib.sha256(data).hexdigest()
    assert client.bills.download(client.bills.trade_bill(day), hash_value=sha256, hash_type="SHA256") == data
    with pytest.raises(SignatureError, match="unsupported"):
        client.bills.download({**client.bills.trade_bill(day), "hash_type": "CRC32"})


def test_file_answer_is_unsigned_and_needs_authorization(pay: Any) -> None:
    _, client, day = pay
    url = client.bills.trade_bill(day)["download_url"]
    assert requests.get(url, timeout=5).status_code == 401
    path, query = url.split(client.http.base_url, 1)[1].split("?", 1)
    headers, body, _ = client.send("GET", path, params=dict([query.split("=", 1)]), verify=False)
    assert body.startswith("交易时间".encode())
    assert not {k.lower() for k in headers} & {"wechatpay-signature", "wechatpay-serial"}


def test_download_errors(make_pay_client: Any, pay: Any) -> None:
    merchant, client, day = pay
    info = client.bills.trade_bill(day)
    _, other = make_pay_client("certificate")
    for who, url in ((other, info["download_url"]), (client, info["download_url"] + "x")):
        with pytest.raises(PayError) as exc:  # another merchant's token, an unknown token
            who.bills.download(url)
        assert (exc.value.status, exc.value.code) == (400, "PARAM_ERROR")
    merchant.data["bill_downloads"][info["download_url"].split("token=")[1]]["expires"] = 0
    with pytest.raises(PayError) as exc:  # expired
        client.bills.download(info)
    assert (exc.value.status, exc.value.code) == (400, "PARAM_ERROR")


def test_no_bill_for_a_day_without_business(pay: Any) -> None:
    with pytest.raises(PayError) as exc:
        pay[1].bills.trade_bill("2001-01-01")
    assert (exc.value.status, exc.value.code) == (400, "NO_STATEMENT_EXIST")


@pytest.mark.parametrize(
    "query",
    [
        {"bill_date": "2025/01/01"},
        {"bill_date": "2025-02-30"},
        {"bill_date": "2025-01-01", "bill_type": "EVERYTHING"},
        {"bill_date": "2025-01-01", "tar_type": "ZIP"},
        {},
    ],
)
def test_emulator_param_errors(pay: Any, query: dict[str, str]) -> None:
    with pytest.raises(PayError) as exc:
        pay[1].request("GET", "/v3/bill/tradebill", params=query)
    assert (exc.value.status, exc.value.code) == (400, "PARAM_ERROR")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.bills.trade_bill("2025/01/01"), "bill_date"),
        (lambda c: c.bills.trade_bill("2025-02-30"), "calendar"),
        (lambda c: c.bills.trade_bill(20250101), "bill_date"),
        (lambda c: c.bills.trade_bill(" 2025-01-01"), "bill_date"),
        (lambda c: c.bills.trade_bill("2025-01-01", bill_type="all"), "bill_type"),
        (lambda c: c.bills.trade_bill("2025-01-01", tar_type="gzip"), "tar_type"),
        (lambda c: c.bills.fund_flow_bill("2025-01-01", account_type="MAIN"), "account_type"),
        (lambda c: c.bills.fund_flow_bill("01-01-2025"), "bill_date"),
        (lambda c: c.bills.download({}), "download_url"),
        (lambda c: c.bills.download("billdownload/file?token=x"), "download_url"),
    ],
)
def test_bad_input_is_refused_before_sending(wechat_emulator: Emulator, pay: Any, call: Any, match: str) -> None:
    before = len(wechat_emulator.requests)
    with pytest.raises(ValueError, match=match):
        call(pay[1])
    assert len(wechat_emulator.requests) == before


def test_download_url_on_another_host_is_refused(wechat_emulator: Emulator, pay: Any) -> None:
    before = len(wechat_emulator.requests)
    with pytest.raises(PayError) as exc:
        pay[1].bills.download("https://evil.example.com/v3/billdownload/file?token=x")
    assert exc.value.code == "INVALID_DOWNLOAD_URL"
    assert len(wechat_emulator.requests) == before


def test_bill_date_accepts_dates_and_datetimes(pay: Any) -> None:
    _, client, day = pay
    moment = dt.datetime.fromisoformat(day + "T12:00:00")
    assert client.bills.trade_bill(moment)["hash_value"] == client.bills.trade_bill(day)["hash_value"]


def test_download_url_is_on_the_origin_and_scheme_the_client_used(tmp_path: Path, merchant_key: Any) -> None:
    """Over the TLS listener the bill URL is https on that listener; over plain HTTP, the Host the client sent."""
    tls = make_tls_files(tmp_path, "1900000777")
    with Emulator() as emu:
        emu.start_tls(tls.ca_cert, tls.server_cert, tls.server_key, require_client_cert=False)
        merchant = emu.add_merchant(
            "1900000777",
            serial_no=MERCHANT_SERIAL,
            public_key=merchant_key.public_key(),
            apiv3_key=APIV3_KEY,
            appid=PAY_APPID,
            mode="public_key",
        )
        day = seed_paid_order(merchant, "T-tls", 300, emu=emu)["success_time"][:10]
        session = requests.Session()
        session.verify = tls.ca_cert
        port = emu.url.rsplit(":", 1)[1]
        for base_url in (emu.tls_url, emu.url, f"http://localhost:{port}"):
            client = PayClient(
                "1900000777",
                MERCHANT_SERIAL,
                merchant_key,
                APIV3_KEY,
                base_url=base_url,
                public_key=merchant.pay_public_key_pem(),
                public_key_id=merchant.public_key_id,
                session=session,
                backoff=0.0,
            )
            info = client.bills.trade_bill(day)
            assert info["download_url"].startswith(f"{base_url}/v3/billdownload/file?token=")
            assert client.bills.download(info).startswith("交易时间".encode())


@pytest.mark.parametrize("tar_type", [None, "GZIP"])
def test_save_streams_to_a_path_or_file_with_the_hash_checked(pay: Any, tmp_path: Path, tar_type: str | None) -> None:
    _, client, day = pay
    expected = client.bills.download(client.bills.trade_bill(day, tar_type=tar_type))
    target = tmp_path / "bill.csv"
    assert client.bills.save(client.bills.trade_bill(day, tar_type=tar_type), target) == len(expected)
    assert target.read_bytes() == expected
    buffer = io.BytesIO()
    assert client.bills.save(client.bills.trade_bill(day, tar_type=tar_type), buffer) == len(expected)
    assert buffer.getvalue() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bill.csv"]  # no temporary file left


def test_save_with_a_wrong_hash_writes_nothing(pay: Any, tmp_path: Path) -> None:
    merchant, client, day = pay
    tamper_bill(merchant, hash_value="0" * 40)
    buffer = io.BytesIO()
    with pytest.raises(SignatureError, match="SHA1"):
        client.bills.save(client.bills.trade_bill(day), tmp_path / "bill.csv")
    tamper_bill(merchant, hash_value="0" * 40)
    with pytest.raises(SignatureError):
        client.bills.save(client.bills.trade_bill(day), buffer)
    assert list(tmp_path.iterdir()) == []
    assert buffer.getvalue() == b""
    with pytest.raises(SignatureError, match="CRC32"):  # refused before anything is sent
        client.bills.save({**client.bills.trade_bill(day), "hash_type": "CRC32"}, tmp_path / "bill.csv")


def test_a_gzip_bomb_bill_is_refused_not_inflated(make_pay_client: Any) -> None:
    """Before the fix: gzip.decompress inflated the whole file (200 MB decompressed peaked near 500 MB RSS)."""
    merchant, client = make_pay_client("public_key", max_bill_size=1 << 20)
    day = seed_paid_order(merchant, "T-bomb", 300)["success_time"][:10]
    bomb = gzip.compress(b"\0" * (8 << 20))  # 8 MiB inflated, 8 KB on the wire
    tamper_bill(merchant, body=bomb, hash_value=hashlib.sha1(bomb).hexdigest())
    with pytest.raises(PayError, match="more than 1048576 bytes"):
        client.bills.download(client.bills.trade_bill(day, tar_type="GZIP"))
