"""Property tests: nothing a client sends makes PayNotificationHandler.handle() raise or answer 5xx.

The twin of tests/test_handle_fuzz.py for WeChat Pay notifications. Text
bodies and header values include lone surrogates (``"\\ud800"``), which a
``str`` can hold but UTF-8 cannot encode; every answer must be text the
adapters can send (UTF-8 encodable).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxkit.pay import v3
from wxkit.pay.notify import PayNotificationHandler, content_type_for
from wxkit.pay.v3.crypto import rsa_sign
from wxkit.pay.v3.signer import build_message
from wxkit.testing.pay import platform_key

APIV3_KEY = "0123456789abcdef0123456789abcdef"
NOW = 1_700_000_000
KEY_ID = "PUB_KEY_ID_0000000000000000000000000000"
WECHAT_KEY = platform_key(0)


class Shop(PayNotificationHandler):
    """Handles everything (a 5xx would then only come from the handler itself, never here)."""

    def on_paid(self, transaction: object) -> None:
        pass

    def on_refund(self, refund: object) -> None:
        pass

    def on_transfer(self, transfer: object) -> None:
        pass

    def on_profit_sharing(self, sharing: object) -> None:
        pass


VERIFIER = v3.Verifier(
    public_key=WECHAT_KEY.public_key().export_key("PEM").decode("ascii"), public_key_id=KEY_ID, clock=lambda: NOW
)
BOTH = Shop(verifier=VERIFIER, apiv3_key=APIV3_KEY, v2_key="k" * 32)
V2_ONLY = Shop(v2_key="k" * 32)

#: Text that often holds a lone surrogate (plain ``st.text()`` never does).
_text = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=40)
_header_names = st.sampled_from(
    [
        "Wechatpay-Signature",
        "Wechatpay-Serial",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "wechatpay-serial",
        "Content-Type",
        "X",
    ]
)
_headers = st.dictionaries(_header_names, st.one_of(_text, st.just(str(NOW)), st.just(KEY_ID)))
_soup = st.lists(
    st.sampled_from(
        [
            "{",
            "}",
            '"resource":',
            '"event_type":',
            '"TRANSACTION.SUCCESS"',
            '"MCHTRANSFER.BILL.FINISHED"',
            '"PROFITSHARING.SUCCESS"',
            '"algorithm":"AEAD_AES_256_GCM"',
            '"original_type":"profitsharing"',
            '"ciphertext":"YQ=="',
            '"nonce":"n"',
            '"\\ud800"',
            "\ud800",
            "<xml>",
            "</xml>",
            "<req_info>",
            ",",
            ":",
            "1",
            "é",
        ]
    ),
    max_size=25,
).map("".join)
_bodies = st.one_of(
    st.none(), st.binary(max_size=300), _text, _soup, _soup.map(lambda s: s.encode("utf-8", "surrogatepass"))
)


def _check(answer: tuple[int, str]) -> None:
    status, body = answer
    assert 200 <= status < 500
    assert isinstance(body, str)
    body.encode("utf-8")  # what every adapter does with it
    content_type_for(body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_headers, _bodies)
def test_random_notifications_never_raise_or_5xx(headers: dict[str, str], body: str | bytes | None) -> None:
    for handler in (BOTH, V2_ONLY):
        _check(handler.handle(headers, body))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_soup)
def test_signed_json_soup_never_raises_or_5xx(soup: str) -> None:
    """Correctly signed v3 bodies (as if WeChat's key signed junk): still a 4xx at worst."""
    body = soup.encode("utf-8", "surrogatepass")
    nonce = "fuzz"
    headers = {
        "Wechatpay-Timestamp": str(NOW),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": KEY_ID,
        "Wechatpay-Signature": rsa_sign(WECHAT_KEY, build_message(str(NOW), nonce, body)),
    }
    _check(BOTH.handle(headers, body))
    _check(BOTH.handle(headers, soup))


_resource_values = st.one_of(_text, st.integers(-5, 10**6), st.none(), st.just({}), st.just([]))
_resources = st.dictionaries(
    st.sampled_from(
        [
            "transaction_id",
            "out_trade_no",
            "trade_state",
            "refund_id",
            "refund_status",
            "transfer_bill_no",
            "out_bill_no",
            "state",
            "order_id",
            "out_order_no",
            "receiver",
            "transfer_amount",
            "amount",
        ]
    ),
    _resource_values,
)
_events = st.sampled_from(
    [
        "TRANSACTION.SUCCESS",
        "REFUND.SUCCESS",
        "MCHTRANSFER.BILL.FINISHED",
        "PROFITSHARING.SUCCESS",
        "PROFITSHARING.RETURN",
        "OTHER",
    ]
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_events, st.sampled_from(["transaction", "refund", "mch_payment", "profitsharing"]), _resources)
def test_signed_and_encrypted_junk_resources_never_raise_or_5xx(event: str, original: str, resource: dict) -> None:  # type: ignore[type-arg]
    """Authentic envelopes around junk resources (lone surrogates in ids included)."""
    plaintext = json.dumps(resource)  # ensure_ascii: a lone surrogate becomes a \\ud800 escape
    nonce = "0123456789ab"
    body = json.dumps(
        {
            "id": "EV-fuzz",
            "event_type": event,
            "resource": {
                "original_type": original,
                "algorithm": "AEAD_AES_256_GCM",
                "associated_data": original,
                "nonce": nonce,
                "ciphertext": v3.aead_encrypt(APIV3_KEY, nonce, original, plaintext),
            },
        }
    ).encode()
    headers = {
        "Wechatpay-Timestamp": str(NOW),
        "Wechatpay-Nonce": "n",
        "Wechatpay-Serial": KEY_ID,
        "Wechatpay-Signature": rsa_sign(WECHAT_KEY, build_message(str(NOW), "n", body)),
    }
    status, _ = BOTH.handle(headers, body)
    assert status in (204, 400)
