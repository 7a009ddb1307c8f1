"""Outbound throughput: template sends through wxkit's clients vs. bare-HTTP floors, sync and async.

The emulator runs in its own process on a loopback port (like a remote server).
Every contender sends the same template-message JSON over keep-alive
connections:

* sync floor: a bare ``requests.Session`` posting pre-encoded JSON with a held
  access token, decoding the answer and checking ``errcode``;
* sync wxkit: ``client.template.send(...)`` on ``Client`` — token from
  storage, JSON encoded once, typed errors, the works;
* async floor: a bare ``httpx.AsyncClient`` (the same pool limits as wxkit's)
  doing what the sync floor does, from ``--tasks`` concurrent tasks;
* async wxkit: ``await aclient.template.send(...)`` on ``AsyncClient``, from
  the same number of tasks on one event loop.

Each round is raced in short slices, the floor and wxkit back to back, the
order alternating between slices, so that load drift on a shared machine hits
both alike; a rate is the median slice, a ratio the median of the per-slice
ratios. Targets: sync wxkit >= 0.97x its floor, async wxkit >= 0.95x its floor.

    python benchmarks/outbound.py [--sends 1500] [--rounds 5] [--slice 250] [--tasks 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wxkit import AsyncClient, Client

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


def race(
    floor: Callable[[int], float], wx: Callable[[int], float], total: int, size: int, flip: bool
) -> tuple[list[float], list[float]]:
    """``total`` sends each in slices of ``size``, floor and wxkit back to back: (floor rates, wxkit rates)."""
    floor_rates: list[float] = []
    wx_rates: list[float] = []
    for n, start in enumerate(range(0, total, size)):
        count = min(size, total - start)
        order = [(floor, floor_rates), (wx, wx_rates)]
        if (n % 2 == 1) != flip:
            order.reverse()
        for run, rates in order:
            rates.append(run(count))
    return floor_rates, wx_rates


def _summary(floor_rates: list[float], wx_rates: list[float]) -> tuple[float, float, float]:
    """Median floor rate, median wxkit rate, median of the per-slice ratios."""
    ratio = statistics.median(w / f for w, f in zip(wx_rates, floor_rates, strict=True))
    return statistics.median(floor_rates), statistics.median(wx_rates), ratio


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sends", type=int, default=1500, help="template sends per contender and round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--slice", type=int, default=250, help="sends per timed slice")
    ap.add_argument("--tasks", type=int, default=50, help="concurrent tasks on the async side")
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

    url = f"{base}/cgi-bin/message/template/send"
    payload = json.dumps({"touser": OPENID, "template_id": TEMPLATE, "data": DATA}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}

    # -- sync: requests.Session vs. Client -------------------------------------------------------
    client = Client(APPID, SECRET, base_url=base)
    token = client.access_token  # the floors hold the same token
    session = requests.Session()

    def floor_send() -> None:
        resp = session.post(url, params={"access_token": token}, data=payload, headers=headers, timeout=(3.05, 10))
        if resp.json().get("errcode"):
            raise RuntimeError(resp.text)

    def wxkit_send() -> None:
        client.template.send(OPENID, TEMPLATE, DATA)

    def timed(send: Callable[[], None]) -> Callable[[int], float]:
        def run(count: int) -> float:
            t0 = time.perf_counter()
            for _ in range(count):
                send()
            return count / (time.perf_counter() - t0)

        return run

    # -- async: httpx.AsyncClient vs. AsyncClient, --tasks tasks on one loop ---------------------------
    loop = asyncio.new_event_loop()
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=32)  # what AsyncClient's own pool uses
    asession = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(10, connect=3.05), follow_redirects=False)
    aclient = loop.run_until_complete(_make_async(base))

    async def afloor_send() -> None:
        resp = await asession.post(url, params={"access_token": token}, content=payload, headers=headers)
        if resp.json().get("errcode"):
            raise RuntimeError(resp.text)

    async def awxkit_send() -> None:
        await aclient.template.send(OPENID, TEMPLATE, DATA)

    def atimed(send: Callable[[], Awaitable[None]]) -> Callable[[int], float]:
        async def worker(count: int) -> None:
            for _ in range(count):
                await send()

        async def all_tasks(count: int) -> None:
            share, extra = divmod(count, args.tasks)
            await asyncio.gather(*(worker(share + (i < extra)) for i in range(args.tasks)))

        def run(count: int) -> float:
            t0 = time.perf_counter()
            loop.run_until_complete(all_tasks(count))
            return count / (time.perf_counter() - t0)

        return run

    for _ in range(50):  # warm the connections up
        floor_send()
        wxkit_send()
    sync_floor, sync_wx = timed(floor_send), timed(wxkit_send)
    async_floor, async_wx = atimed(afloor_send), atimed(awxkit_send)
    async_floor(args.tasks * 10)  # open both pools' connections
    async_wx(args.tasks * 10)

    floor_rates: list[float] = []
    wx_rates: list[float] = []
    afloor_rates: list[float] = []
    awx_rates: list[float] = []
    for n in range(args.rounds):
        f, w = race(sync_floor, sync_wx, args.sends, args.slice, flip=n % 2 == 1)
        floor_rates += f
        wx_rates += w
        f, w = race(async_floor, async_wx, args.sends, args.slice, flip=n % 2 == 0)
        afloor_rates += f
        awx_rates += w
    loop.run_until_complete(aclient.aclose())
    loop.run_until_complete(asession.aclose())
    loop.close()
    client.close()
    server.terminate()

    floor, wx, ratio = _summary(floor_rates, wx_rates)
    afloor, awx, aratio = _summary(afloor_rates, awx_rates)
    print(
        f"python {sys.version.split()[0]}, {args.sends} template sends x {args.rounds} rounds, slices of {args.slice}"
    )
    print(f"floor (bare requests.Session, held token):            {floor:8.0f} sends/s")
    print(f"wxkit Client.template.send:                            {wx:8.0f} sends/s")
    print(f"ratio wxkit/floor: {ratio:.3f}x  (target >= 0.97x)")
    print(f"async, {args.tasks} concurrent tasks on one event loop:")
    print(f"floor (bare httpx.AsyncClient, held token):           {afloor:8.0f} sends/s")
    print(f"wxkit AsyncClient.template.send:                       {awx:8.0f} sends/s")
    print(f"ratio wxkit/floor: {aratio:.3f}x  (target >= 0.95x)")


async def _make_async(base: str) -> AsyncClient:
    aclient = AsyncClient(APPID, SECRET, base_url=base)
    await aclient.get_access_token()
    return aclient


if __name__ == "__main__":
    main()
