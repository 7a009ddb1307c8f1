"""PayNotificationHandler with v3 notifications: verification, decryption, typed objects, exactly-once handling.

Notifications are built by the emulator's delivery helpers (signed with the
emulator's key, encrypted with the merchant's APIv3 key) and handed to
``handle`` directly; the end-to-end flow over HTTP is in test_pay_e2e.py.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest

from wxkit.errors import ConfigError, DecryptError, ParseError, SignatureError
from wxkit.pay import v3
from wxkit.pay.models import Refund, Transaction
from wxkit.pay.notify import PayNotificationHandler, content_type_for
from wxkit.storage import MemoryStorage
from wxkit.testing.pay import platform_key, signed_headers
from wxkit.testing.pay_notify import V3_TAMPERS, v3_headers, v3_notification

APIV3_KEY = "0123456789abcdef0123456789abcdef"
MERCHANT_KEY = platform_key(100)

# Every test here runs on both crypto backends (tests/pay/conftest.py).
pytestmark = pytest.mark.usefixtures("pay_crypto_backend")


def transaction(**overrides: Any) -> dict[str, Any]:
    """A decrypted ``transaction`` resource as the docs show it."""
    tid = uuid.uuid4().hex[:28]
    data = {
        "appid": "wxd678efh567hg6787",
        "mchid": "1230000109",
        "out_trade_no": f"order-{tid[:10]}",
        "transaction_id": tid,
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "attach": "cart=7",
        "success_time": "2018-06-08T10:34:56+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 1200, "payer_total": 1100, "currency": "CNY", "payer_currency": "CNY"},
        "promotion_detail": [{"coupon_id": "109519", "amount": 100}],
    }
    data.update(overrides)
    return data


def refund(status: str = "SUCCESS", **overrides: Any) -> dict[str, Any]:
    """A decrypted ``refund`` resource."""
    data = {
        "mchid": "1230000109",
        "out_trade_no": "order-1",
        "transaction_id": "1217752501201407033233368018",
        "out_refund_no": "refund-1",
        "refund_id": uuid.uuid4().hex[:29],
        "refund_status": status,
        "success_time": "2018-06-08T10:34:56+08:00",
        "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 1200, "refund": 500, "payer_total": 1100, "payer_refund": 450},
    }
    data.update(overrides)
    return data


@pytest.fixture
def merchant(wechat_emulator):
    return wechat_emulator.add_merchant(
        f"17{uuid.uuid4().int % 10**8:08d}",
        serial_no="MERCHANT_SERIAL",
        public_key=MERCHANT_KEY.public_key(),
        apiv3_key=APIV3_KEY,
        mode="public_key",
    )


def emulated_verifier(merchant, emu) -> v3.Verifier:
    """A verifier trusting the emulator's WeChat Pay public key, on the emulator's clock.

    The session's emulator clock may have been advanced by other tests: notifications are
    stamped with it, so the receiving side must read the same clock.
    """
    return v3.Verifier(public_key=merchant.pay_public_key_pem(), public_key_id=merchant.public_key_id, clock=emu.now)


@pytest.fixture
def handler(merchant, recorder, wechat_emulator) -> PayNotificationHandler:
    verifier = emulated_verifier(merchant, wechat_emulator)
    return PayNotificationHandler(
        verifier=verifier, apiv3_key=APIV3_KEY, on_paid=recorder.on_paid, on_refund=recorder.on_refund
    )


@pytest.fixture
def notify(wechat_emulator, merchant):
    """``notify(resource, event_type=..., tamper=...) -> (headers, body)``: one v3 notification."""

    def build(resource: dict, event_type: str = "TRANSACTION.SUCCESS", tamper: str | None = None):
        now = wechat_emulator.now()
        body = v3_notification(merchant, event_type, resource, now=now, tamper=tamper)
        return v3_headers(merchant, body, now=now, tamper=tamper), body

    return build


def fail_message(answer: tuple[int, str]) -> str:
    body = json.loads(answer[1])
    assert body["code"] == "FAIL"
    return body["message"]


# -- the happy path, exactly once -----------------------------------------------------------
def test_paid_once_for_repeated_deliveries(handler, recorder, notify):
    resource = transaction()
    headers, body = notify(resource)
    answers = [handler.handle(headers, body) for _ in range(3)]
    assert answers == [(204, "")] * 3
    (paid,) = recorder.paid
    assert paid == Transaction(
        appid="wxd678efh567hg6787",
        mchid="1230000109",
        out_trade_no=resource["out_trade_no"],
        transaction_id=resource["transaction_id"],
        trade_type="JSAPI",
        trade_state="SUCCESS",
        trade_state_desc="支付成功",
        bank_type="CMC",
        attach="cart=7",
        success_time="2018-06-08T10:34:56+08:00",
        payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        amount_total=1200,
        payer_total=1100,
        currency="CNY",
    )
    assert paid.raw["promotion_detail"] == [{"coupon_id": "109519", "amount": 100}]


def test_a_fresh_redelivery_of_the_same_payment_is_deduplicated(handler, recorder, notify):
    resource = transaction()
    for _ in range(2):  # WeChat re-sends: new id, new signature, same transaction
        assert handler.handle(*notify(resource)) == (204, "")
    assert len(recorder.paid) == 1


def test_str_body_and_lower_case_headers(handler, recorder, notify):
    headers, body = notify(transaction())
    assert handler.handle({k.lower(): v for k, v in headers.items()}, body.decode()) == (204, "")
    assert len(recorder.paid) == 1


@pytest.mark.parametrize("status", ["SUCCESS", "ABNORMAL", "CLOSED"])
def test_refund_events(handler, recorder, notify, status):
    resource = refund(status)
    headers, body = notify(resource, f"REFUND.{status}")
    assert handler.handle(headers, body) == (204, "")
    assert handler.handle(headers, body) == (204, "")
    assert recorder.refunds == [
        Refund(
            refund_id=resource["refund_id"],
            out_refund_no="refund-1",
            transaction_id="1217752501201407033233368018",
            out_trade_no="order-1",
            refund_status=status,
            success_time="2018-06-08T10:34:56+08:00",
            amount_total=1200,
            amount_refund=500,
            payer_refund=450,
            user_received_account="招商银行信用卡0403",
        )
    ]
    assert recorder.paid == []


def test_an_abnormal_refund_that_later_succeeds_is_handled_twice(handler, recorder, notify):
    abnormal = refund("ABNORMAL")
    success = {**abnormal, "refund_status": "SUCCESS"}
    assert handler.handle(*notify(abnormal, "REFUND.ABNORMAL")) == (204, "")
    assert handler.handle(*notify(success, "REFUND.SUCCESS")) == (204, "")
    assert handler.handle(*notify(success, "REFUND.SUCCESS")) == (204, "")
    assert [r.refund_status for r in recorder.refunds] == ["ABNORMAL", "SUCCESS"]


def test_combine_order_calls_on_paid_per_sub_order(handler, recorder, notify):
    resource = {
        "combine_appid": "wxd678efh567hg6787",
        "combine_mchid": "1900000109",
        "combine_out_trade_no": "P20150806125346",
        "combine_payer_info": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "sub_orders": [
            {
                "mchid": "1900000109",
                "trade_type": "JSAPI",
                "trade_state": "SUCCESS",
                "bank_type": "CMC",
                "attach": "a",
                "success_time": "2015-05-20T13:29:35+08:00",
                "transaction_id": f"42{n}{uuid.uuid4().hex[:20]}",
                "out_trade_no": f"sub-{n}",
                "amount": {"total_amount": 100 * n, "payer_amount": 90 * n, "currency": "CNY"},
            }
            for n in (1, 2)
        ],
    }
    headers, body = notify(resource)
    assert handler.handle(headers, body) == (204, "")
    assert handler.handle(headers, body) == (204, "")
    assert [(t.out_trade_no, t.amount_total, t.payer_total) for t in recorder.paid] == [
        ("sub-1", 100, 90),
        ("sub-2", 200, 180),
    ]
    assert recorder.paid[0].payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert recorder.paid[0].appid == "wxd678efh567hg6787"
    assert recorder.paid[0].raw["combine_out_trade_no"] == "P20150806125346"


def test_a_transaction_that_is_not_success_is_acknowledged_without_on_paid(handler, recorder, notify):
    assert handler.handle(*notify(transaction(trade_state="PAYERROR"))) == (204, "")
    assert recorder.paid == []


# -- refused: never the handler, never a 5xx -----------------------------------------------
@pytest.mark.parametrize("tamper", V3_TAMPERS)
def test_tampered_notifications_are_refused(handler, recorder, notify, tamper):
    status, _ = answer = handler.handle(*notify(transaction(), tamper=tamper))
    assert status == (401 if tamper in ("signature", "timestamp", "serial") else 400)
    assert fail_message(answer)
    assert recorder.paid == []


def test_a_stale_replay_is_refused_even_after_the_original_was_handled(
    handler, recorder, notify, wechat_emulator, merchant
):
    resource = transaction()
    headers, body = notify(resource)
    assert handler.handle(headers, body) == (204, "")
    stale = v3_headers(merchant, body, now=wechat_emulator.now(), tamper="timestamp")
    assert handler.handle(stale, body)[0] == 401
    assert len(recorder.paid) == 1


def signed_body(merchant, wechat_emulator, body: bytes) -> tuple[dict[str, str], bytes]:
    return signed_headers(merchant, body, wechat_emulator.now()), body


def encrypted(merchant, resource: dict, plaintext: bytes, ad: str = "transaction") -> dict:
    nonce = "0123456789ab"
    return {**resource, "nonce": nonce, "ciphertext": v3.aead_encrypt(APIV3_KEY, nonce, ad, plaintext)}


BASE_RESOURCE = {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "associated_data": "transaction"}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json at all", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"event_type": "TRANSACTION.SUCCESS"}', "no resource"),
        (b'{"resource": "x"}', "no resource"),
        (b'{"resource": {"algorithm": "AES-CBC", "ciphertext": "", "nonce": ""}}', "algorithm"),
        (b'{"resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": 1, "nonce": "n"}}', "ciphertext"),
        (
            b'{"resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": "YQ==", "nonce": "n", '
            b'"associated_data": 7}}',
            "associated_data",
        ),
        (b'{"resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": "***", "nonce": "n"}}', "base64"),
    ],
)
def test_signed_but_malformed_bodies_are_400(handler, recorder, merchant, wechat_emulator, body, why):
    answer = handler.handle(*signed_body(merchant, wechat_emulator, body))
    assert answer[0] == 400
    assert why in fail_message(answer)
    assert recorder.paid == []


@pytest.mark.parametrize(
    ("plaintext", "event_type"),
    [
        (b"not json", "TRANSACTION.SUCCESS"),
        (b"[]", "TRANSACTION.SUCCESS"),
        (json.dumps(transaction(transaction_id="")).encode(), "TRANSACTION.SUCCESS"),
        (json.dumps(transaction(amount={"total": 12.5})).encode(), "TRANSACTION.SUCCESS"),
        (json.dumps(transaction(amount={"total": True})).encode(), "TRANSACTION.SUCCESS"),
        (json.dumps(transaction(amount={"total": -1})).encode(), "TRANSACTION.SUCCESS"),
        (json.dumps(transaction(out_trade_no={"x": 1})).encode(), "TRANSACTION.SUCCESS"),
        (json.dumps(transaction()).encode(), "SOMETHING.ELSE"),
        (json.dumps(transaction()).encode(), "TRANSACTION.FAIL"),
        (json.dumps(refund()).encode(), "REFUND.UNKNOWN"),
        (json.dumps({"combine_out_trade_no": "x", "sub_orders": []}).encode(), "TRANSACTION.SUCCESS"),
        (json.dumps({"combine_out_trade_no": "x", "sub_orders": ["x"]}).encode(), "TRANSACTION.SUCCESS"),
    ],
)
def test_bad_decrypted_resources_are_400(handler, recorder, merchant, wechat_emulator, plaintext, event_type):
    notification = {"event_type": event_type, "resource": encrypted(merchant, BASE_RESOURCE, plaintext)}
    body = json.dumps(notification).encode()
    assert handler.handle(*signed_body(merchant, wechat_emulator, body))[0] == 400
    assert recorder.paid == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Wechatpay-Signature": "abc"},
        {"Wechatpay-Serial": "x", "Wechatpay-Nonce": "n", "Wechatpay-Signature": "s", "Wechatpay-Timestamp": "soon"},
        {"Wechatpay-Serial": "x", "Wechatpay-Nonce": "n", "Wechatpay-Signature": "***", "Wechatpay-Timestamp": "1"},
    ],
)
def test_missing_or_malformed_headers_are_401(handler, recorder, notify, headers):
    _, body = notify(transaction())
    assert handler.handle(headers, body)[0] == 401
    assert recorder.paid == []


def test_unsigned_garbage_and_empty_bodies(handler):
    assert handler.handle({}, b"")[0] == 401  # a v3-only handler takes it as v3: no signature
    assert handler.handle({}, None)[0] == 401
    assert handler.handle({}, b"hello")[0] == 401


def test_a_text_body_with_a_lone_surrogate_is_400_not_a_crash(handler, both, recorder, notify):
    headers, body = notify(transaction())
    text = body.decode("utf-8")[:-1] + '"\ud800"}'
    for answer in (handler.handle(headers, text), both.handle({}, "<xml>\ud800</xml>"), both.handle({}, "\udfff")):
        assert answer[0] == 400
        assert "not valid Unicode text" in (fail_message(answer) if answer[1].startswith("{") else answer[1])
        answer[1].encode("utf-8")
    with pytest.raises(ParseError, match="not valid Unicode text"):
        handler.parse(headers, text)
    spoiled = {**headers, "Wechatpay-Nonce": "\ud800", "Wechatpay-Serial": "\udc80"}
    assert handler.handle(spoiled, body)[0] == 401
    assert recorder.paid == []


def test_body_over_the_limit_is_413(handler, recorder, merchant, wechat_emulator):
    body = json.dumps({"pad": "x" * (handler.max_body_size or 0)}).encode()
    assert handler.handle(*signed_body(merchant, wechat_emulator, body))[0] == 413


def test_a_v2_only_handler_refuses_v3(recorder, notify):
    handler = PayNotificationHandler(v2_key="k" * 32, on_paid=recorder.on_paid)
    assert handler.handle(*notify(transaction()))[0] == 400
    assert recorder.paid == []


# -- failures and concurrency ------------------------------------------------------------------
def test_a_failing_handler_answers_500_and_runs_again_on_the_next_delivery(handler, recorder, notify):
    recorder.fail_next = 1
    headers, body = notify(transaction())
    answer = handler.handle(headers, body)
    assert answer[0] == 500
    assert "database" not in fail_message(answer)  # the exception text stays in the logs
    assert recorder.paid == []
    assert handler.handle(headers, body) == (204, "")
    assert handler.handle(headers, body) == (204, "")
    assert len(recorder.paid) == 1


def test_no_handler_defined_never_acknowledges(merchant, notify, wechat_emulator):
    verifier = emulated_verifier(merchant, wechat_emulator)
    handler = PayNotificationHandler(verifier=verifier, apiv3_key=APIV3_KEY)
    assert handler.handle(*notify(transaction()))[0] == 500
    assert handler.handle(*notify(refund(), "REFUND.SUCCESS"))[0] == 500


def test_a_concurrent_duplicate_is_answered_409_without_running_the_handler(handler, recorder, notify):
    recorder.gate = threading.Event()
    headers, body = notify(transaction())
    answers: list[tuple[int, str]] = []
    first = threading.Thread(target=lambda: answers.append(handler.handle(headers, body)))
    first.start()
    assert recorder.entered.wait(10)
    second = handler.handle(headers, body)
    assert second[0] == 409
    assert fail_message(second)
    recorder.gate.set()
    first.join(10)
    assert answers == [(204, "")]
    assert handler.handle(headers, body) == (204, "")
    assert len(recorder.paid) == 1


def test_many_threads_one_call(handler, recorder, notify):
    headers, body = notify(transaction())
    start = threading.Barrier(8)
    statuses: list[int] = []

    def deliver() -> None:
        start.wait(10)
        statuses.append(handler.handle(headers, body)[0])

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(recorder.paid) == 1
    assert set(statuses) <= {204, 409}
    assert 204 in statuses


class BrokenStorage(MemoryStorage):
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        raise ConnectionError("redis is down")


class ForgetfulStorage(MemoryStorage):
    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        raise ConnectionError("redis is down")


def test_a_storage_outage_answers_500_without_running_the_handler(merchant, recorder, notify, wechat_emulator):
    verifier = emulated_verifier(merchant, wechat_emulator)
    handler = PayNotificationHandler(
        verifier=verifier, apiv3_key=APIV3_KEY, storage=BrokenStorage(), on_paid=recorder.on_paid
    )
    assert handler.handle(*notify(transaction()))[0] == 500
    assert recorder.paid == []


def test_failing_to_record_done_still_answers_success(merchant, recorder, notify, wechat_emulator):
    verifier = emulated_verifier(merchant, wechat_emulator)
    handler = PayNotificationHandler(
        verifier=verifier, apiv3_key=APIV3_KEY, storage=ForgetfulStorage(), on_paid=recorder.on_paid
    )
    assert handler.handle(*notify(transaction())) == (204, "")
    assert len(recorder.paid) == 1


def test_shared_redis_storage_dedups_across_handlers(redis_url, merchant, recorder, notify, wechat_emulator):
    redis = pytest.importorskip("redis")
    from wxkit.storage import RedisStorage

    verifier = emulated_verifier(merchant, wechat_emulator)
    storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=f"test-{uuid.uuid4().hex}:")
    workers = [
        PayNotificationHandler(verifier=verifier, apiv3_key=APIV3_KEY, storage=storage, on_paid=recorder.on_paid)
        for _ in range(2)
    ]
    headers, body = notify(transaction())
    assert [w.handle(headers, body) for w in workers] == [(204, "")] * 2
    assert len(recorder.paid) == 1


class LostClaimReply(MemoryStorage):
    """``add`` is applied, then its reply is lost: redis-py's retry of the ``SET NX`` answers "exists"."""

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        super().add(key, value, ttl)
        return super().add(key, value, ttl)


def test_a_claim_whose_reply_was_lost_still_runs_the_handler_once(merchant, recorder, notify, wechat_emulator):
    verifier = emulated_verifier(merchant, wechat_emulator)
    handler = PayNotificationHandler(
        verifier=verifier, apiv3_key=APIV3_KEY, storage=LostClaimReply(), on_paid=recorder.on_paid
    )
    headers, body = notify(transaction())
    assert handler.handle(headers, body) == (204, "")  # before: 409 to its own claim, for processing_ttl
    assert handler.handle(headers, body) == (204, "")  # WeChat's retry: done already
    assert len(recorder.paid) == 1


def _dead_redis_storage() -> Any:
    """A RedisStorage whose server is down (nothing listens on the port; redis-py's retries off)."""
    redis = pytest.importorskip("redis")
    import socket

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from wxkit.storage import RedisStorage

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = redis.Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2)
    return RedisStorage(client)


def test_certificate_mode_with_the_storage_down_answers_and_never_raises(wechat_emulator):
    merchant = wechat_emulator.add_merchant(
        f"15{uuid.uuid4().int % 10**8:08d}",
        serial_no="MERCHANT_SERIAL",
        public_key=MERCHANT_KEY.public_key(),
        apiv3_key=APIV3_KEY,
    )
    storage = _dead_redis_storage()
    client = v3.PayClient(
        merchant.mchid,
        "MERCHANT_SERIAL",
        MERCHANT_KEY,
        APIV3_KEY,
        base_url=wechat_emulator.url,
        clock=wechat_emulator.now,
        storage=storage,
    )
    paid: list[Transaction] = []
    shop = PayNotificationHandler(v3_client=client, on_paid=paid.append)
    now = wechat_emulator.now()
    body = v3_notification(merchant, "TRANSACTION.SUCCESS", transaction(), now=now)
    # An unknown serial: the certificate cache cannot be read (before: redis.ConnectionError escaped handle()).
    status, answer = shop.handle(v3_headers(merchant, body, now=now, tamper="serial"), body)
    assert status == 401
    assert json.loads(answer)["code"] == "FAIL"
    # A genuine notification verifies (certificates downloaded, kept in memory), but cannot be claimed: 500.
    status, answer = shop.handle(v3_headers(merchant, body, now=now), body)
    assert status == 500
    assert json.loads(answer)["code"] == "FAIL"
    assert paid == []


# -- the v3 client as configuration ------------------------------------------------------------
def test_with_a_pay_client_in_certificate_mode(wechat_emulator):
    merchant = wechat_emulator.add_merchant(
        f"16{uuid.uuid4().int % 10**8:08d}",
        serial_no="MERCHANT_SERIAL",
        public_key=MERCHANT_KEY.public_key(),
        apiv3_key=APIV3_KEY,
    )
    client = v3.PayClient(
        merchant.mchid,
        "MERCHANT_SERIAL",
        MERCHANT_KEY,
        APIV3_KEY,
        base_url=wechat_emulator.url,
        clock=wechat_emulator.now,
        monotonic=lambda: monotonic[0],
    )
    monotonic = [1000.0]
    paid: list[Transaction] = []

    class Shop(PayNotificationHandler):
        def on_paid(self, transaction: Transaction) -> None:
            paid.append(transaction)

    shop = Shop(v3_client=client)
    assert shop.storage is client.storage
    now = wechat_emulator.now()
    body = v3_notification(merchant, "TRANSACTION.SUCCESS", transaction(), now=now)
    assert shop.handle(v3_headers(merchant, body, now=now), body) == (204, "")
    assert len(paid) == 1
    # An unknown serial within a minute of the first download: refused without downloading again
    # (the first download counts for the rate limit); a minute later: one certificate refresh, then refused.
    downloads = merchant.certificate_downloads
    assert shop.handle(v3_headers(merchant, body, now=now, tamper="serial"), body)[0] == 401
    assert merchant.certificate_downloads == downloads
    monotonic[0] += 60
    assert shop.handle(v3_headers(merchant, body, now=now, tamper="serial"), body)[0] == 401
    assert merchant.certificate_downloads == downloads + 1
    assert len(paid) == 1


def test_parse_without_handling(handler, recorder, notify, merchant, wechat_emulator):
    headers, body = notify(transaction())
    (item,) = handler.parse(headers, body)
    assert isinstance(item, Transaction)
    assert handler.parse(headers, body) == [item]  # parse never dedups nor calls handlers
    assert recorder.paid == []
    with pytest.raises(SignatureError):
        handler.parse(*notify(transaction(), tamper="signature"))
    with pytest.raises(DecryptError):
        handler.parse(*notify(transaction(), tamper="tag"))
    with pytest.raises(ParseError):
        handler.parse(*signed_body(merchant, wechat_emulator, b"[]"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "configure"),
        ({"apiv3_key": APIV3_KEY}, "verifier"),
        ({"verifier": "v"}, "verifier"),
        ({"verifier": "v", "apiv3_key": "short"}, "32 bytes"),
        ({"v2_key": ""}, "v2_key"),
        ({"v2_key": "k", "v2_sign_type": "SHA1"}, "v2_sign_type"),
        ({"v2_key": "k", "dedup_ttl": 0}, "positive"),
    ],
)
def test_configuration_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        PayNotificationHandler(**kwargs)


def test_repr_and_content_types(handler):
    assert repr(handler) == "PayNotificationHandler(versions=['v3'])"
    assert APIV3_KEY not in repr(handler)
    assert content_type_for("") == "text/plain; charset=utf-8"
    assert content_type_for('{"code":"FAIL"}').startswith("application/json")
    assert content_type_for(b"<xml/>").startswith("application/xml")


# -- the framework adapters, through Django's and Flask's own test clients ----------------------------
#: This module is the ROOT_URLCONF while a Django test runs (override_settings).
urlpatterns: list = []


def v2_payment_xml(key: str) -> str:
    from wxkit.pay import v2 as pay_v2
    from wxkit.xmlcodec import render_xml

    fields = {
        "return_code": "SUCCESS",
        "result_code": "SUCCESS",
        "mch_id": "10000100",
        "nonce_str": uuid.uuid4().hex,
        "transaction_id": uuid.uuid4().hex[:28],
        "out_trade_no": "v2-order",
        "total_fee": "100",
    }
    return render_xml({**fields, "sign": pay_v2.sign(fields, key)})


@pytest.fixture
def both(merchant, recorder, wechat_emulator) -> PayNotificationHandler:
    """A handler for v3 and v2 at one URL."""
    verifier = emulated_verifier(merchant, wechat_emulator)
    return PayNotificationHandler(
        verifier=verifier, apiv3_key=APIV3_KEY, v2_key="v2-key", on_paid=recorder.on_paid, on_refund=recorder.on_refund
    )


@pytest.fixture
def django_send(both):
    django = pytest.importorskip("django")
    from django.conf import settings
    from django.test import Client, override_settings
    from django.urls import path

    from wxkit.adapters.pay import make_django_view

    if not settings.configured:  # test_django.py configures Django when it is collected first
        settings.configure(SECRET_KEY="wxkit-pay-tests", ALLOWED_HOSTS=["testserver"], INSTALLED_APPS=[])
        django.setup()
    urlpatterns[:] = [path("pay/notify", make_django_view(both))]
    middleware = ["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware, ALLOWED_HOSTS=["testserver"]):
        client = Client(enforce_csrf_checks=True)  # the view must be CSRF-exempt

        def send(method: str, headers: dict[str, str], body: bytes) -> tuple[int, str | None, bytes]:
            ctype = headers.pop("Content-Type", "application/json")
            response = client.generic(method, "/pay/notify", data=body, content_type=ctype, headers=headers)
            return response.status_code, response.get("Content-Type"), response.content

        yield send
    urlpatterns.clear()


@pytest.fixture
def flask_send(both):
    flask = pytest.importorskip("flask")
    from wxkit.adapters.pay import make_flask_view

    app = flask.Flask(__name__)
    app.add_url_rule("/pay/notify", view_func=make_flask_view(both), methods=["GET", "POST"])
    client = app.test_client()

    def send(method: str, headers: dict[str, str], body: bytes) -> tuple[int, str | None, bytes]:
        response = client.open("/pay/notify", method=method, headers=headers, data=body)
        return response.status_code, response.headers.get("Content-Type"), response.get_data()

    return send


@pytest.fixture(params=["django", "flask"])
def send(request):
    return request.getfixturevalue(f"{request.param}_send")


def test_adapters_serve_v3_and_v2(send, recorder, notify):
    headers, body = notify(transaction())
    for _ in range(2):
        assert send("POST", dict(headers), body) == (204, None, b"")
    status, ctype, answer = send("POST", {"Content-Type": "text/xml"}, v2_payment_xml("v2-key").encode())
    assert (status, ctype) == (200, "application/xml; charset=utf-8")
    assert b"SUCCESS" in answer
    assert len(recorder.paid) == 2


def test_adapters_refuse(send, recorder, notify):
    headers, body = notify(transaction(), tamper="signature")
    status, ctype, answer = send("POST", dict(headers), body)
    assert (status, ctype) == (401, "application/json; charset=utf-8")
    assert json.loads(answer)["code"] == "FAIL"
    assert send("POST", {"Content-Type": "text/xml"}, b"<xml><broken>")[0] == 400
    assert send("POST", {}, b"{" + b" " * (70 * 1024) + b"}")[0] == 413
    assert send("GET", {}, b"")[0] == 405
    assert recorder.paid == []
