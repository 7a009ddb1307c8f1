"""WeChat Pay throughput: v3 notifications verified + decrypted, and v2 signatures, against bare floors.

v3: for each payment notification (a real-shaped ``TRANSACTION.SUCCESS``
body, signed with the WeChat Pay public key, its resource encrypted with the
APIv3 key) wxkit runs ``Verifier.verify(headers, body)`` (header lookup,
signature-probe check, 5-minute window, serial -> key, SHA256withRSA), then
``json.loads(body)``, ``aead_decrypt`` of the resource and ``json.loads`` of
the transaction. The floor does the same bare pycryptodome calls:
``pkcs1_15`` verify over ``SHA256`` (verifier object built once), AES-GCM
``decrypt_and_verify`` and the two ``json.loads``.

v2: ``wxkit.pay.v2.sign`` of an unifiedorder-sized parameter set (MD5 and
HMAC-SHA256) next to the same string built and hashed with bare
``hashlib`` / ``hmac``.

Rounds alternate which side goes first so machine noise hits both alike; the
rates are medians over rounds, the ratio the median of per-round ratios.

    python benchmarks/pay.py [--notifications 2000] [--signs 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wxkit.pay import v2
from wxkit.pay.v3 import Verifier, aead_decrypt, aead_encrypt, rsa_sign
from wxkit.pay.v3.signer import build_message

APIV3_KEY = "0123456789abcdef0123456789abcdef"
PUB_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000000001"
V2_KEY = "192006250b4c09247ec02edce69f6a2d"

Notification = tuple[dict[str, str], bytes]


# ---------------------------------------------------------------- inputs
def make_notifications(key: RSA.RsaKey, count: int, now: int) -> list[Notification]:
    """``count`` distinct payment notifications as WeChat Pay sends them."""
    out = []
    for i in range(count):
        transaction = {
            "mchid": "1900000001",
            "appid": "wxd678efh567hg6787",
            "out_trade_no": f"1217752501201407033233{i:06d}",
            "transaction_id": f"42000000{i:020d}",
            "trade_type": "JSAPI",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "bank_type": "CMC",
            "attach": "",
            "success_time": "2025-06-01T10:34:56+08:00",
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": 100 + i, "payer_total": 100 + i, "currency": "CNY", "payer_currency": "CNY"},
        }
        nonce = secrets.token_hex(6)
        body = json.dumps(
            {
                "id": f"EV-2018022511223320873{i:06d}",
                "create_time": "2025-06-01T10:34:57+08:00",
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": aead_encrypt(APIV3_KEY, nonce, "transaction", json.dumps(transaction)),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        ts, header_nonce = str(now), secrets.token_hex(16).upper()
        headers = {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": header_nonce,
            "Wechatpay-Serial": PUB_KEY_ID,
            "Wechatpay-Signature": rsa_sign(key, build_message(ts, header_nonce, body)),
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }
        out.append((headers, body))
    return out


V2_PARAMS = {
    "appid": "wxd930ea5d5a258f4f",
    "mch_id": "10000100",
    "nonce_str": "ibuaiVcKdpRxkhJA",
    "body": "腾讯充值中心-QQ会员充值",
    "out_trade_no": "20150806125346",
    "total_fee": 888,
    "spbill_create_ip": "123.12.12.123",
    "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
    "trade_type": "JSAPI",
    "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    "attach": "",
    "sign_type": "MD5",
}


# ---------------------------------------------------------------- the two sides
def wxkit_v3(verifier: Verifier) -> Callable[[Notification], dict[str, Any]]:
    def handle(notification: Notification) -> dict[str, Any]:
        headers, body = notification
        verifier.verify(headers, body)
        resource = json.loads(body)["resource"]
        plain = aead_decrypt(APIV3_KEY, resource["nonce"], resource["associated_data"], resource["ciphertext"])
        result: dict[str, Any] = json.loads(plain)
        return result

    return handle


def floor_v3(public_key: RSA.RsaKey) -> Callable[[Notification], dict[str, Any]]:
    rsa = pkcs1_15.new(public_key)
    aes_key = APIV3_KEY.encode()

    def handle(notification: Notification) -> dict[str, Any]:
        headers, body = notification
        ts, nonce = headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"]
        message = f"{ts}\n{nonce}\n".encode() + body + b"\n"
        rsa.verify(SHA256.new(message), base64.b64decode(headers["Wechatpay-Signature"]))  # raises if bad
        resource = json.loads(body)["resource"]
        raw = base64.b64decode(resource["ciphertext"])
        cipher = AES.new(aes_key, AES.MODE_GCM, nonce=resource["nonce"].encode())
        cipher.update(resource["associated_data"].encode())
        result: dict[str, Any] = json.loads(cipher.decrypt_and_verify(raw[:-16], raw[-16:]))
        return result

    return handle


def wxkit_v2(sign_type: str) -> Callable[[dict[str, Any]], str]:
    def sign(params: dict[str, Any]) -> str:
        return v2.sign(params, V2_KEY, sign_type)

    return sign


def floor_v2(sign_type: str) -> Callable[[dict[str, Any]], str]:
    key = V2_KEY.encode()

    def sign(params: dict[str, Any]) -> str:
        text = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "") + "&key=" + V2_KEY
        if sign_type == "MD5":
            return hashlib.md5(text.encode()).hexdigest().upper()
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest().upper()

    return sign


# ---------------------------------------------------------------- harness
def race(
    name: str, wx: Callable[[Any], Any], floor: Callable[[Any], Any], items: list[Any], rounds: int, target: float
) -> float:
    assert wx(items[0]) == floor(items[0]), f"{name}: wxkit and the floor disagree"
    wx_rates: list[float] = []
    floor_rates: list[float] = []
    for r in range(rounds):
        order = [(wx, wx_rates), (floor, floor_rates)]
        if r % 2:
            order.reverse()
        for fn, rates in order:
            t0 = time.perf_counter()
            for item in items:
                fn(item)
            rates.append(len(items) / (time.perf_counter() - t0))
    wx_rate, floor_rate = statistics.median(wx_rates), statistics.median(floor_rates)
    # The median of per-round ratios: both sides of a round ran back to back, so load drift cancels.
    ratio = statistics.median(w / f for w, f in zip(wx_rates, floor_rates, strict=True))
    print(f"{name}")
    print(f"  floor: {floor_rate:10.0f}/s   wxkit: {wx_rate:10.0f}/s   ratio {ratio:.3f}x  (target >= {target}x)")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notifications", type=int, default=2000)
    ap.add_argument("--signs", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()

    key = RSA.generate(2048)
    now = int(time.time())
    notifications = make_notifications(key, args.notifications, now)
    # A fixed clock: the run may outlast the 5-minute window; the check itself still runs for every notification.
    verifier = Verifier(public_key=key.public_key(), public_key_id=PUB_KEY_ID, clock=lambda: float(now))

    print(f"python {sys.version.split()[0]}, {args.rounds} alternating rounds (median)")
    race(
        f"v3 notifications verified + decrypted ({args.notifications} per round)",
        wxkit_v3(verifier),
        floor_v3(key.public_key()),
        notifications,
        args.rounds,
        0.9,
    )
    params = [{**V2_PARAMS, "out_trade_no": f"20150806{i:08d}"} for i in range(args.signs)]
    for sign_type in ("MD5", "HMAC-SHA256"):
        race(
            f"v2 signs, {sign_type} ({args.signs} per round)",
            wxkit_v2(sign_type),
            floor_v2(sign_type),
            params,
            args.rounds,
            0.9,
        )


if __name__ == "__main__":
    main()
