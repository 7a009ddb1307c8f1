"""Many processes, many threads, one shared RedisStorage, one emulator: one fetch per token generation."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wxkit.testing import AppState, Emulator

ECHO = "/cgi-bin/wxkit_test/echo"  # served by tests/client/conftest.py
PROCESSES = 4
THREADS = 8

WORKER = r"""
import json, sys, threading, os
import redis
from wxkit import Client
from wxkit.storage import RedisStorage

base_url, redis_url, appid, secret, stop_file, prefix = sys.argv[1:7]
storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=prefix)
client = Client(appid, secret, storage=storage, base_url=base_url, backoff=0.0)
calls = errors = 0
lock = threading.Lock()
failures = []

def run():
    global calls, errors
    while not os.path.exists(stop_file):
        try:
            client.get("ECHO_PATH")
            ok = True
        except Exception as exc:
            ok = False
            failures.append(repr(exc))
        with lock:
            calls += 1
            errors += 0 if ok else 1

threads = [threading.Thread(target=run) for _ in range(THREAD_COUNT)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"calls": calls, "errors": errors, "failures": failures[:5], "fetches": client.tokens.fetch_count}))
""".replace("ECHO_PATH", ECHO).replace("THREAD_COUNT", str(THREADS))


def _wait_for(emu: Emulator, appid: str, calls: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(1 for _, p, a in emu.requests if p == ECHO and a == appid) < calls:
        if time.monotonic() > deadline:
            pytest.fail("workers made too few calls")
        time.sleep(0.01)


def test_one_fetch_per_generation_across_processes(
    wechat_emulator: Emulator, wechat_app: AppState, redis_url: str, tmp_path: Path
) -> None:
    stop_file = tmp_path / "stop"
    prefix = f"concurrency:{wechat_app.appid}:"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                wechat_emulator.url,
                redis_url,
                wechat_app.appid,
                wechat_app.secret,
                str(stop_file),
                prefix,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        generations = 1
        _wait_for(wechat_emulator, wechat_app.appid, 200)
        for _ in range(2):  # invalidate the token twice mid-run
            seen = sum(1 for _, p, a in wechat_emulator.requests if p == ECHO and a == wechat_app.appid)
            wechat_emulator.invalidate_tokens(wechat_app.appid)
            generations += 1
            _wait_for(wechat_emulator, wechat_app.appid, seen + 200)
    finally:
        stop_file.touch()
        outputs = [p.communicate(timeout=60) for p in procs]
    results = []
    for out, err in outputs:
        assert out.strip(), err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["errors"] for r in results] == [0] * PROCESSES, [r["failures"] for r in results]
    assert sum(r["calls"] for r in results) >= 600
    assert wechat_app.token_fetches == generations
    assert sum(r["fetches"] for r in results) == generations
