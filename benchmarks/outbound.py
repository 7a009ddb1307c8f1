"""Outbound throughput: template sends through wxkit.Client vs. a bare requests.Session floor.

The emulator runs in its own process on a loopback port (like a remote server).
Both sides send the same template-message JSON over keep-alive connections:

* floor: a bare ``requests.Session`` posting pre-encoded JSON with a held
  access token, decoding the answer and checking ``errcode``;
* wxkit: ``client.template.send(...)`` — token from storage, JSON encoded
  once, typed errors, the works.

Rounds alternate between the two so machine noise hits both alike; the figure
reported is the median round. Target: wxkit >= 0.97x the floor.

    python benchmarks/outbound.py [--sends 1500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wxkit import Client

APPID, SECRET, OPENID, TEMPLATE = "wxbench0000000001", "bench-secret", "o_bench_user", "BENCH_TEMPLATE"
DATA = {"thing1": {"value": "订单已发货"}, "character_string2": {"value": "ORDER-20261121-0001"}}


def _serve(port: int) -> None:
    from wxkit.testing import Emulator
    from wxkit.testing.routes import template as template_routes

    emu = Emulator()
    app = emu.add_app(APPID, SECRET)
    app.add_follower(OPENID)
    template_routes.add_template(app, TEMPLATE, title="发货通知", content="{{thing1.DATA}}")
    emu.serve_forever("127.0.0.1", port)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sends", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)

    client = Client(APPID, SECRET, base_url=base)
    token = client.access_token  # the floor holds the same token
    session = requests.Session()
    url = f"{base}/cgi-bin/message/template/send"
    payload = json.dumps({"touser": OPENID, "template_id": TEMPLATE, "data": DATA}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}

    def floor_send() -> None:
        resp = session.post(url, params={"access_token": token}, data=payload, headers=headers, timeout=(3.05, 10))
        if resp.json().get("errcode"):
            raise RuntimeError(resp.text)

    def wxkit_send() -> None:
        client.template.send(OPENID, TEMPLATE, DATA)

    for f in (floor_send, wxkit_send):  # warm both connections up
        for _ in range(50):
            f()

    floor_rates, wx_rates = [], []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for _ in range(args.sends):
            floor_send()
        t1 = time.perf_counter()
        for _ in range(args.sends):
            wxkit_send()
        t2 = time.perf_counter()
        floor_rates.append(args.sends / (t1 - t0))
        wx_rates.append(args.sends / (t2 - t1))
    server.terminate()

    floor, wx = statistics.median(floor_rates), statistics.median(wx_rates)
    print(f"python {sys.version.split()[0]}, {args.sends} template sends x {args.rounds} rounds (median)")
    print(f"floor (bare requests.Session, held token): {floor:8.0f} sends/s")
    print(f"wxkit Client.template.send:                 {wx:8.0f} sends/s")
    print(f"ratio wxkit/floor: {wx / floor:.3f}x  (target >= 0.97x)")


if __name__ == "__main__":
    main()
