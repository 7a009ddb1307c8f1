"""Many processes, threads and asyncio tasks, one shared RedisStorage, one emulator: one fetch per token generation.

Each worker process runs either the sync ``Client`` on threads or the ``AsyncClient`` on asyncio tasks (one event
loop per process); all of them share one ``RedisStorage``, so sync and async clients share one token. The test kills
every token twice mid-run (``Emulator.invalidate_tokens``) and checks that each token generation was fetched exactly
once in total and that no call failed.

Why the test waits for *every* worker before the next invalidation: a call retries once on a token error (drop the
token if still current, refetch, retry once; see docs/tokens.md). A worker whose call failed on generation k and
whose retry is not yet sent (its process descheduled under load) would send generation k+1's token after a second
invalidation had already killed it, and fail with AccessTokenError 40001: a call that saw two token deaths, which is
the rule working (stopping one worker process with SIGSTOP just after the first invalidation, until after the
second, reproduces it). Waiting for a fixed number of calls by the others was not enough (that flaked under load),
so each invalidation waits until every worker has completed a call with the current token.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from wxkit.testing import AppState, Emulator
from wxkit.testing.routes import EmulatorRequest

PROBE = "/cgi-bin/wxkit_test/concurrency"
PROCESSES = 4
THREADS = 8
TASKS = 50
INVALIDATIONS = 2
CALLS_PER_PHASE = 50  # successful calls between two invalidations, besides one per worker
#: Each worker's pause between calls: without it the sync processes, cheap per call, take the two CPUs that the
#: emulator and the async processes (httpcore costs ~3x more per call) need, and a phase lasts many seconds.
PAUSE = 0.05

WORKER = r"""
import asyncio, json, os, sys, threading, time
import redis
from wxkit.storage import RedisStorage

kind, name, count, base_url, redis_url, appid, secret, stop_file, prefix = sys.argv[1:10]
count = int(count)
storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=prefix)
lock = threading.Lock()
stats = {"calls": 0, "errors": 0, "failures": []}


def record(error):
    with lock:
        stats["calls"] += 1
        if error is not None:
            stats["errors"] += 1
            stats["failures"].append(repr(error))


def run_sync():
    from wxkit import Client

    client = Client(appid, secret, storage=storage, base_url=base_url, backoff=0.0)

    def run(worker):
        while not os.path.exists(stop_file):
            error = None
            try:
                client.get("PROBE_PATH", {"w": worker})
            except Exception as exc:
                error = exc
            record(error)
            time.sleep(PAUSE)

    threads = [threading.Thread(target=run, args=(f"{name}.{i}",)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    return client.tokens.fetch_count


async def run_async():
    from wxkit import AsyncClient

    async with AsyncClient(appid, secret, storage=storage, base_url=base_url, backoff=0.0) as client:

        async def run(worker):
            while not os.path.exists(stop_file):
                error = None
                try:
                    await client.get("PROBE_PATH", {"w": worker})
                except Exception as exc:
                    error = exc
                record(error)
                await asyncio.sleep(PAUSE)

        await asyncio.gather(*(run(f"{name}.{i}") for i in range(count)))
        return client.tokens.fetch_count


fetches = run_sync() if kind == "sync" else asyncio.run(run_async())
stats["failures"] = stats["failures"][:5]
print(json.dumps({**stats, "fetches": fetches}))
""".replace("PROBE_PATH", PROBE).replace("PAUSE", str(PAUSE))


class _Tally:
    """What the probe route saw for one app: per worker, the token of its last successful call."""

    def __init__(self, appid: str) -> None:
        self.appid = appid
        self.lock = threading.Lock()
        self.last: dict[str, str] = {}
        self.calls = 0

    def route(self, emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
        # Served only once the token was accepted: this is a successful call with that token.
        if req.app is not None and req.app.appid == self.appid:
            with self.lock:
                self.last[req.query.get("w", "")] = req.query["access_token"]
                self.calls += 1
        return {"errcode": 0, "errmsg": "ok"}


def _settle(app: AppState, tally: _Tally, workers: list[str], procs: list[subprocess.Popen[str]]) -> None:
    """Wait until every worker has completed a call with the app's current token, and a few more calls were made."""
    with tally.lock:
        start = tally.calls
    give_up = time.monotonic() + 120  # a bound on the wait (a stuck worker), not a measurement
    while True:
        token = app.stable_token
        with tally.lock:
            if (
                token is not None
                and tally.calls - start >= CALLS_PER_PHASE
                and all(tally.last.get(w) == token for w in workers)
            ):
                return
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"a worker exited early: {proc.communicate()[1][-2000:]}")
        if time.monotonic() > give_up:
            pytest.fail("the workers did not all complete a call with the current token")
        time.sleep(0.005)


def _run(
    emu: Emulator, app: AppState, redis_url: str, tmp_path: Path, kinds: list[tuple[str, int]]
) -> list[dict[str, Any]]:
    """Start one worker process per ``(kind, count)``, invalidate the token twice mid-run, return their results."""
    tally = _Tally(app.appid)
    emu.add_route("GET", PROBE, tally.route)
    stop_file = tmp_path / "stop"
    prefix = f"concurrency:{app.appid}:"
    workers = [f"p{n}.{i}" for n, (_, count) in enumerate(kinds) for i in range(count)]
    shared = [emu.url, redis_url, app.appid, app.secret, str(stop_file), prefix]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, kind, f"p{n}", str(count), *shared],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, (kind, count) in enumerate(kinds)
    ]
    outputs: list[tuple[str, str]] = []
    try:
        _settle(app, tally, workers, procs)
        for _ in range(INVALIDATIONS):
            emu.invalidate_tokens(app.appid)
            _settle(app, tally, workers, procs)
    finally:
        stop_file.touch()
        for proc in procs:
            try:
                outputs.append(proc.communicate(timeout=60))
            except subprocess.TimeoutExpired:
                proc.kill()
                outputs.append(proc.communicate())
    results = []
    for out, err in outputs:
        assert out.strip(), err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _check(app: AppState, results: list[dict[str, Any]], workers: int) -> None:
    generations = 1 + INVALIDATIONS
    assert [r["errors"] for r in results] == [0] * len(results), [r["failures"] for r in results]
    assert sum(r["calls"] for r in results) >= generations * max(workers, CALLS_PER_PHASE)
    assert app.token_fetches == generations  # what the emulator issued
    assert sum(r["fetches"] for r in results) == generations  # what the clients fetched, all together


def test_one_fetch_per_generation_across_processes(
    wechat_emulator: Emulator, wechat_app: AppState, redis_url: str, tmp_path: Path
) -> None:
    """4 processes x 8 threads on the sync Client."""
    results = _run(wechat_emulator, wechat_app, redis_url, tmp_path, [("sync", THREADS)] * PROCESSES)
    _check(wechat_app, results, PROCESSES * THREADS)


def test_one_fetch_per_generation_across_async_processes(
    wechat_emulator: Emulator, wechat_app: AppState, redis_url: str, tmp_path: Path
) -> None:
    """4 processes x 50 asyncio tasks on one event loop each, on the AsyncClient."""
    results = _run(wechat_emulator, wechat_app, redis_url, tmp_path, [("async", TASKS)] * PROCESSES)
    _check(wechat_app, results, PROCESSES * TASKS)


def test_sync_and_async_clients_share_one_token(
    wechat_emulator: Emulator, wechat_app: AppState, redis_url: str, tmp_path: Path
) -> None:
    """2 processes on the sync Client (threads) and 2 on the AsyncClient (tasks), one RedisStorage: one token."""
    kinds = [("sync", THREADS), ("async", TASKS), ("sync", THREADS), ("async", TASKS)]
    results = _run(wechat_emulator, wechat_app, redis_url, tmp_path, kinds)
    _check(wechat_app, results, 2 * THREADS + 2 * TASKS)
    assert all(r["calls"] > 0 for r in results)
