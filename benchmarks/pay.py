"""WeChat Pay throughput: v3 signing and verification on each crypto backend next to wechatpayv3; v2 signatures.

v3, three operations, each per second, for

* wxkit on the ``cryptography`` backend (OpenSSL; ``pip install wxkit[fast]``),
* wxkit on the ``pycryptodome`` backend,
* wechatpayv3 (https://github.com/minibear2021/wechatpayv3) doing the same
  work: the reference of the ratios. It is not a dependency of wxkit: install
  it to compare (``pip install wechatpayv3``); without it its line is skipped
  and the ratios are to the floor;
* the floor: the same work with bare primitive calls of the fastest library
  installed (key objects, padding objects and the AES-GCM object built once).

The operations, over distinct real-shaped inputs:

* **sign**: the ``Authorization`` header of a ``POST /v3/pay/transactions/jsapi``
  whose JSON body is already serialized (wxkit: ``PayClient.signer.authorization``;
  wechatpayv3: ``utils.build_authorization``, as ``Core.request`` calls it);
* **response verify**: an answer's ``Wechatpay-*`` headers and body checked
  against the WeChat Pay public key (wxkit: ``PayClient.verifier.verify``,
  which also checks the probe prefix and the 5-minute window; wechatpayv3:
  ``Core._verify_signature``, as ``Core.request`` calls it);
* **notification verify + decrypt**: a ``TRANSACTION.SUCCESS`` notification
  verified, parsed, its resource decrypted (AEAD_AES_256_GCM with the APIv3
  key) and parsed, giving the notification with its decrypted resource
  (wxkit: ``verifier.verify`` + ``PayClient.decrypt``; wechatpayv3:
  ``Core.callback``).

v2: ``wxkit.pay.v2.sign`` of an unifiedorder-sized parameter set (MD5 and
HMAC-SHA256) next to the same string built and hashed with bare ``hashlib`` /
``hmac``.

Each round times every side against the reference in back-to-back pairs (a
quarter of the items each), alternating which goes first, so that load drift on
a shared machine cancels; rates are medians over all passes, a ratio the median
of the per-pair ratios.

    python benchmarks/pay.py [--requests 400] [--responses 2000] [--notifications 2000]
                             [--signs 20000] [--rounds 7]
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

from Crypto.PublicKey import RSA

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wxkit.pay import v2
from wxkit.pay.v3 import PayClient, aead_encrypt, rsa_sign, rsa_verify
from wxkit.pay.v3.signer import build_message

try:  # an older wxkit (the "before" figures) has one backend, pycryptodome
    from wxkit.pay.v3 import available_crypto_backends, set_crypto_backend
except ImportError:  # pragma: no cover - only when measuring an older checkout
    available_crypto_backends = None  # type: ignore[assignment]
    set_crypto_backend = None  # type: ignore[assignment]

try:  # untyped, and maybe not installed
    from wechatpayv3.core import Core as WechatpayCore  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from wechatpayv3.utils import build_authorization  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ImportError:
    WechatpayCore = None
    build_authorization = None

APIV3_KEY = "0123456789abcdef0123456789abcdef"
PUB_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000000001"
MCHID = "1900000001"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
SIGN_PATH = "/v3/pay/transactions/jsapi"
V2_KEY = "192006250b4c09247ec02edce69f6a2d"

Signed = tuple[dict[str, str], bytes]

#: Each round's items are timed in this many back-to-back pairs per contender.
PAIRS_PER_ROUND = 4


# ---------------------------------------------------------------- inputs
def transaction(i: int) -> dict[str, Any]:
    """A ``transaction`` resource as WeChat Pay returns and notifies it."""
    return {
        "mchid": MCHID,
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


def request_bodies(count: int) -> list[bytes]:
    """``count`` JSAPI prepay bodies, serialized as the client sends them."""
    return [
        json.dumps(
            {
                "appid": "wxd678efh567hg6787",
                "mchid": MCHID,
                "description": "Image形象店-深圳腾大-QQ公仔",
                "out_trade_no": f"1217752501201407033233{i:06d}",
                "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
                "amount": {"total": 100 + i, "currency": "CNY"},
                "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        for i in range(count)
    ]


def signed(key: RSA.RsaKey, body: bytes, now: int) -> Signed:
    """``body`` with the headers WeChat Pay signs it with."""
    ts, nonce = str(now), secrets.token_hex(16).upper()
    headers = {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": PUB_KEY_ID,
        "Wechatpay-Signature": rsa_sign(key, build_message(ts, nonce, body)),
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }
    return headers, body


def responses(key: RSA.RsaKey, count: int, now: int) -> list[Signed]:
    """``count`` signed answers to an order query."""
    return [signed(key, json.dumps(transaction(i), ensure_ascii=False).encode(), now) for i in range(count)]


def notifications(key: RSA.RsaKey, count: int, now: int) -> list[Signed]:
    """``count`` distinct payment notifications as WeChat Pay sends them."""
    out = []
    for i in range(count):
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
                    "ciphertext": aead_encrypt(APIV3_KEY, nonce, "transaction", json.dumps(transaction(i))),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        out.append(signed(key, body, now))
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


# ---------------------------------------------------------------- the sides
class Side:
    """One contender: a name, ``prepare()`` (run before each timed pass, untimed) and the three operations."""

    def __init__(
        self,
        name: str,
        sign: Callable[[bytes], str],
        verify: Callable[[Signed], object],
        notify: Callable[[Signed], dict[str, Any]],
        prepare: Callable[[], object] = lambda: None,
    ) -> None:
        self.name, self.prepare = name, prepare
        self.ops: dict[str, Callable[[Any], Any]] = {"sign": sign, "verify": verify, "notify": notify}


def wxkit_side(name: str, client: PayClient, backend: str | None) -> Side:
    signer, verifier, decrypt = client.signer, client.verifier, client.decrypt

    def sign(body: bytes) -> str:
        return signer.authorization("POST", SIGN_PATH, body)

    def notify(item: Signed) -> dict[str, Any]:
        headers, body = item
        verifier.verify(headers, body)
        notification: dict[str, Any] = json.loads(body)
        resource = notification["resource"]
        plain = decrypt(resource["nonce"], resource["associated_data"], resource["ciphertext"])
        notification["resource"] = json.loads(plain)
        return notification

    prepare: Callable[[], object] = (lambda: set_crypto_backend(backend)) if backend else (lambda: None)
    return Side(name, sign, lambda item: verifier.verify(*item), notify, prepare)


def wechatpayv3_side(private_pem: str, public_pem: str) -> Side:
    core = WechatpayCore(
        MCHID, MERCHANT_SERIAL, private_pem, APIV3_KEY, public_key=public_pem, public_key_id=PUB_KEY_ID
    )
    private_key = core._private_key  # what Core.request signs with

    def sign(body: bytes) -> str:
        return str(build_authorization(SIGN_PATH, "POST", MCHID, MERCHANT_SERIAL, private_key, data=body.decode()))

    def verify(item: Signed) -> None:
        headers, body = item
        if not core._verify_signature(headers, body.decode()):  # what Core.request does with response.text
            raise RuntimeError("wechatpayv3 refused a good answer")

    def notify(item: Signed) -> dict[str, Any]:
        result: dict[str, Any] = core.callback(*item)
        return result

    return Side("wechatpayv3", sign, verify, notify)


def floor_side(private_key: RSA.RsaKey, public_key: RSA.RsaKey) -> Side:
    """The same work with bare calls: ``cryptography`` when installed, else pycryptodome."""
    try:
        from cryptography.exceptions import InvalidSignature  # noqa: F401  (availability)
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        return _pycryptodome_floor(private_key, public_key)
    private = serialization.load_der_private_key(private_key.export_key("DER", pkcs=8), None)
    public = serialization.load_der_public_key(public_key.export_key("DER"))
    assert isinstance(private, rsa.RSAPrivateKey)
    assert isinstance(public, rsa.RSAPublicKey)
    pkcs1, sha256, gcm = padding.PKCS1v15(), hashes.SHA256(), AESGCM(APIV3_KEY.encode())
    signer, checker = private.sign, public.verify

    def sign(body: bytes) -> str:
        ts, nonce = str(int(time.time())), secrets.token_hex(16).upper()
        message = b"POST\n%s\n%s\n%s\n%s\n" % (SIGN_PATH.encode(), ts.encode(), nonce.encode(), body)
        signature = base64.b64encode(signer(message, pkcs1, sha256)).decode()
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{MCHID}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{ts}",serial_no="{MERCHANT_SERIAL}"'
        )

    def verify(item: Signed) -> None:
        headers, body = item
        message = b"%s\n%s\n%s\n" % (headers["Wechatpay-Timestamp"].encode(), headers["Wechatpay-Nonce"].encode(), body)
        checker(base64.b64decode(headers["Wechatpay-Signature"]), message, pkcs1, sha256)  # raises if bad

    def notify(item: Signed) -> dict[str, Any]:
        verify(item)
        notification: dict[str, Any] = json.loads(item[1])
        resource = notification["resource"]
        raw = base64.b64decode(resource["ciphertext"])
        plain = gcm.decrypt(resource["nonce"].encode(), raw, resource["associated_data"].encode())
        notification["resource"] = json.loads(plain)
        return notification

    return Side("floor (bare cryptography)", sign, verify, notify)


def _pycryptodome_floor(private_key: RSA.RsaKey, public_key: RSA.RsaKey) -> Side:
    from Crypto.Cipher import AES
    from Crypto.Hash import SHA256
    from Crypto.Signature import pkcs1_15

    signer, checker, aes_key = pkcs1_15.new(private_key), pkcs1_15.new(public_key), APIV3_KEY.encode()

    def sign(body: bytes) -> str:
        ts, nonce = str(int(time.time())), secrets.token_hex(16).upper()
        message = b"POST\n%s\n%s\n%s\n%s\n" % (SIGN_PATH.encode(), ts.encode(), nonce.encode(), body)
        signature = base64.b64encode(signer.sign(SHA256.new(message))).decode()
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{MCHID}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{ts}",serial_no="{MERCHANT_SERIAL}"'
        )

    def verify(item: Signed) -> None:
        headers, body = item
        message = b"%s\n%s\n%s\n" % (headers["Wechatpay-Timestamp"].encode(), headers["Wechatpay-Nonce"].encode(), body)
        checker.verify(SHA256.new(message), base64.b64decode(headers["Wechatpay-Signature"]))  # raises if bad

    def notify(item: Signed) -> dict[str, Any]:
        verify(item)
        notification: dict[str, Any] = json.loads(item[1])
        resource = notification["resource"]
        raw = base64.b64decode(resource["ciphertext"])
        cipher = AES.new(aes_key, AES.MODE_GCM, nonce=resource["nonce"].encode())
        cipher.update(resource["associated_data"].encode())
        notification["resource"] = json.loads(cipher.decrypt_and_verify(raw[:-16], raw[-16:]))
        return notification

    return Side("floor (bare pycryptodome)", sign, verify, notify)


# ---------------------------------------------------------------- harness
def check(op: str, sides: list[Side], item: Any, merchant: RSA.RsaKey) -> None:
    """Every side does the same work and gets the same answer before anything is timed."""
    results = []
    for side in sides:
        side.prepare()
        results.append(side.ops[op](item))
    if op == "sign":
        for side, header in zip(sides, results, strict=True):
            fields = dict(part.split("=", 1) for part in header.split(" ", 1)[1].split(","))
            values = {k: v.strip('"') for k, v in fields.items()}
            message = build_message("POST", SIGN_PATH, values["timestamp"], values["nonce_str"], item)
            assert rsa_verify(merchant, message, values["signature"]), f"{side.name}: bad Authorization"
    elif op == "notify":
        assert all(r == results[0] for r in results), "the sides disagree on a notification"


def timed(side: Side, op: str, items: list[Any]) -> float:
    """One pass of ``side`` over ``items``: operations per second."""
    side.prepare()
    fn = side.ops[op]
    t0 = time.perf_counter()
    for item in items:
        fn(item)
    return len(items) / (time.perf_counter() - t0)


def race(
    title: str, op: str, sides: list[Side], items: list[Any], rounds: int, reference: Side, targets: dict[str, float]
) -> None:
    """Each side against the reference in back-to-back pairs (alternating which goes first) so load drift cancels.

    A round's items are raced in ``PAIRS_PER_ROUND`` slices: short pairs, close in time, many ratios.
    """
    rates: dict[str, list[float]] = {side.name: [] for side in sides}
    ratios: dict[str, list[float]] = {side.name: [] for side in sides if side is not reference}
    size = max(1, -(-len(items) // PAIRS_PER_ROUND))
    slices = [items[i : i + size] for i in range(0, len(items), size)]
    turn = 0
    for _ in range(rounds):
        for side in sides:
            if side is reference:
                continue
            for part in slices:
                turn += 1
                pair = [reference, side] if turn % 2 else [side, reference]
                first, second = (timed(s, op, part) for s in pair)
                ref_rate, side_rate = (first, second) if turn % 2 else (second, first)
                rates[reference.name].append(ref_rate)
                rates[side.name].append(side_rate)
                ratios[side.name].append(side_rate / ref_rate)
    print(f"{title} ({len(items)} per round)")
    print(f"  {'':28} {'per second':>12}   vs {reference.name}")
    for side in sides:
        rate = statistics.median(rates[side.name])
        ratio = statistics.median(ratios[side.name]) if side is not reference else 1.0
        target = f"   (target >= {targets[side.name]:.2f}x)" if side.name in targets else ""
        print(f"  {side.name:28} {rate:12.0f}   {ratio:6.3f}x{target}")


def race_v2(sign_type: str, items: list[dict[str, Any]], rounds: int) -> None:
    key = V2_KEY.encode()

    def wx(params: dict[str, Any]) -> str:
        return v2.sign(params, V2_KEY, sign_type)

    def floor(params: dict[str, Any]) -> str:
        text = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "") + "&key=" + V2_KEY
        if sign_type == "MD5":
            return hashlib.md5(text.encode()).hexdigest().upper()
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest().upper()

    assert wx(items[0]) == floor(items[0]), f"v2 {sign_type}: wxkit and the floor disagree"
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
    ratio = statistics.median(w / f for w, f in zip(wx_rates, floor_rates, strict=True))
    print(f"v2 signs, {sign_type} ({len(items)} per round)")
    print(
        f"  floor: {statistics.median(floor_rates):10.0f}/s   wxkit: {statistics.median(wx_rates):10.0f}/s"
        f"   ratio {ratio:.3f}x  (target >= 0.9x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=400, help="v3 Authorization headers signed per round")
    ap.add_argument("--responses", type=int, default=2000, help="v3 answers verified per round")
    ap.add_argument("--notifications", type=int, default=2000, help="v3 notifications verified + decrypted per round")
    ap.add_argument("--signs", type=int, default=20000, help="v2 signs per round")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()

    merchant, platform = RSA.generate(2048), RSA.generate(2048)
    now = int(time.time())
    # A fixed clock: the run may outlast the 5-minute window; the check itself still runs for every answer.
    client = PayClient(
        MCHID,
        MERCHANT_SERIAL,
        merchant.export_key("PEM", pkcs=8).decode(),
        APIV3_KEY,
        public_key=platform.public_key().export_key("PEM").decode(),
        public_key_id=PUB_KEY_ID,
        use_certificates=False,
        base_url="http://127.0.0.1:9",
        clock=lambda: float(now),
    )

    sides: list[Side] = []
    if WechatpayCore is not None:
        sides.append(
            wechatpayv3_side(
                merchant.export_key("PEM", pkcs=8).decode(), platform.public_key().export_key("PEM").decode()
            )
        )
    sides.append(floor_side(merchant, platform.public_key()))
    targets: dict[str, float] = {}
    if available_crypto_backends is None:
        sides.append(wxkit_side("wxkit (one backend)", client, None))
    else:
        for backend in ("cryptography", "pycryptodome"):
            if backend in available_crypto_backends():
                sides.append(wxkit_side(f"wxkit [{backend}]", client, backend))
    reference = sides[0]  # wechatpayv3 when installed, else the floor

    print(f"python {sys.version.split()[0]}, {args.rounds} alternating rounds (median)")
    if WechatpayCore is None:
        print("wechatpayv3 is not installed (pip install wechatpayv3): its line is skipped, ratios are to the floor")
    inputs: dict[str, list[Any]] = {
        "sign": request_bodies(args.requests),
        "verify": responses(platform, args.responses, now),
        "notify": notifications(platform, args.notifications, now),
    }
    titles = {
        "sign": "v3 request signing (Authorization header)",
        "verify": "v3 response verification",
        "notify": "v3 notification verify + decrypt",
    }
    wanted = {"sign": 1.0, "verify": 0.97, "notify": 1.0}
    for op, items in inputs.items():
        check(op, sides, items[0], merchant)
        if reference.name == "wechatpayv3":
            targets = {"wxkit [cryptography]": wanted[op]}
        race(titles[op], op, sides, items, args.rounds, reference, targets)

    params = [{**V2_PARAMS, "out_trade_no": f"20150806{i:08d}"} for i in range(args.signs)]
    for sign_type in ("MD5", "HMAC-SHA256"):
        race_v2(sign_type, params, args.rounds)


if __name__ == "__main__":
    main()
