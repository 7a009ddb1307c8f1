"""Inbound throughput: the safe-mode echo round trip, against a bare-primitive floor.

Both sides do the same work for each push: verify msg_signature (hashlib),
parse the envelope and the message (expat), AES-256-CBC decrypt with strict
padding and receive-id checks (pycryptodome), build the text reply, encrypt
it, sign it and wrap the envelope. wxkit additionally builds typed objects,
dispatches through the handler model and runs the replay guard (timestamp
window + duplicate suppression in MemoryStorage), which stays ON here.

Prints messages per second for each and wxkit's ratio to the floor. Each round
is raced in short slices, floor and wxkit back to back, the order alternating
between slices, so that load drift on a shared machine hits both alike; the
rates are medians over all slices, the ratio the median of the per-slice ratios.
Time is the thread's CPU time (``time.thread_time``): on a machine shared with
other work, time spent waiting for a CPU is not counted against either side.

    python benchmarks/inbound.py [--messages 4000] [--rounds 7] [--slice 200]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from xml.parsers import expat

from Crypto.Cipher import AES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wxkit import WxApplication
from wxkit.testing import WeChatPusher

TOKEN = "bench-token"
APP_ID = "wxbench000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class EchoBot(WxApplication):
    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY

    def on_text(self, msg):  # type: ignore[no-untyped-def]
        return msg.content


# ---------------------------------------------------------------- the floor
KEY = base64.b64decode(AES_KEY + "=")
IV = KEY[:16]
APPID_B = APP_ID.encode()


def _expat_dict(data: bytes | str) -> dict[str, str]:
    out: dict[str, str] = {}
    current: list[str] = []

    def start(name: str, _a: object) -> None:
        current.append(name)

    def end(_name: str) -> None:
        current.pop()

    def chars(text: str) -> None:
        if len(current) == 2:
            out[current[1]] = out.get(current[1], "") + text

    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.Parse(data, True)
    return out


def floor_round_trip(params: dict[str, str], body: str) -> str:
    ts, nonce = params["timestamp"], params["nonce"]
    env = _expat_dict(body)
    enc = env["Encrypt"]
    sig = hashlib.sha1("".join(sorted([TOKEN, ts, nonce, enc])).encode()).hexdigest()
    if not hmac.compare_digest(sig, params["msg_signature"]):
        raise ValueError("bad signature")
    raw = base64.b64decode(enc, validate=True)
    plain = AES.new(KEY, AES.MODE_CBC, IV).decrypt(raw)
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes((pad,)) * pad:
        raise ValueError("bad padding")
    plain = plain[:-pad]
    length = int.from_bytes(plain[16:20], "big")
    if plain[20 + length :] != APPID_B:
        raise ValueError("bad appid")
    msg = _expat_dict(plain[20 : 20 + length])
    now = str(int(time.time()))
    reply = (
        f"<xml><ToUserName><![CDATA[{msg['FromUserName']}]]></ToUserName>"
        f"<FromUserName><![CDATA[{msg['ToUserName']}]]></FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{msg['Content']}]]></Content></xml>"
    ).encode()
    data = os.urandom(16) + len(reply).to_bytes(4, "big") + reply + APPID_B
    n = 32 - len(data) % 32
    out = base64.b64encode(AES.new(KEY, AES.MODE_CBC, IV).encrypt(data + bytes((n,)) * n)).decode()
    rnonce = os.urandom(8).hex()
    rsig = hashlib.sha1("".join(sorted([TOKEN, now, rnonce, out])).encode()).hexdigest()
    return (
        f"<xml>\n<Encrypt><![CDATA[{out}]]></Encrypt>\n<MsgSignature><![CDATA[{rsig}]]></MsgSignature>\n"
        f"<TimeStamp>{now}</TimeStamp>\n<Nonce><![CDATA[{rnonce}]]></Nonce>\n</xml>"
    )


# ---------------------------------------------------------------- harness
def race(
    pushes: list[tuple[dict[str, str], str]], wx: Callable[[dict[str, str], str], str], size: int, flip: bool
) -> tuple[list[float], list[float]]:
    """Run ``pushes`` in slices of ``size``, floor and wxkit back to back: (floor rates, wxkit rates)."""
    floor_rates: list[float] = []
    wx_rates: list[float] = []
    for n, start in enumerate(range(0, len(pushes), size)):
        chunk = pushes[start : start + size]
        order = [(floor_round_trip, floor_rates), (wx, wx_rates)]
        if (n % 2 == 1) != flip:
            order.reverse()
        for func, rates in order:
            t0 = time.thread_time()
            for params, body in chunk:
                func(params, body)
            rates.append(len(chunk) / (time.thread_time() - t0))
    return floor_rates, wx_rates


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--slice", type=int, default=200, help="pushes per timed slice")
    args = ap.parse_args()

    pusher = WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    # distinct MsgIds per round: the replay guard is on and must not short-circuit
    batches = [[pusher.text(f"hello wxkit {i}") for i in range(args.messages)] for _ in range(args.rounds + 1)]
    sample = batches[-1][0]
    bot = EchoBot()
    assert pusher.read_reply(200, bot.process(sample.params, sample.body)).content == "hello wxkit 0"
    assert pusher.read_reply(200, floor_round_trip(sample.params, sample.body)).content == "hello wxkit 0"

    floor_rates: list[float] = []
    wx_rates: list[float] = []
    for r in range(args.rounds):
        pushes = [(p.params, p.body) for p in batches[r]]
        bot = EchoBot()  # fresh replay storage each round
        f, w = race(pushes, bot.process, args.slice, flip=r % 2 == 1)
        floor_rates += f
        wx_rates += w

    floor = statistics.median(floor_rates)
    wx = statistics.median(wx_rates)
    ratio = statistics.median(w / f for w, f in zip(wx_rates, floor_rates, strict=True))
    print(f"python {sys.version.split()[0]}, {args.messages} pushes x {args.rounds} rounds, slices of {args.slice}")
    print(f"floor (hashlib + pycryptodome + expat): {floor:10.0f} msg/s")
    print(f"wxkit WxApplication.process (safe mode, replay guard on): {wx:10.0f} msg/s")
    print(f"ratio wxkit/floor: {ratio:.3f}x  (target >= 1.05x)")


if __name__ == "__main__":
    main()
