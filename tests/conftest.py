"""Shared fixtures: the emulator fixtures wxkit ships for its users, and a real redis-server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["wxkit.testing.pytest_plugin"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port, started for the session.

    Missing ``redis-server`` skips locally but fails in CI (``CI`` set), where
    ``.ci/run`` installs it.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs it with apt-get)")
        pytest.skip("redis-server is not installed")
    pytest.importorskip("redis")
    port = _free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    break
            except OSError:
                time.sleep(0.025)
        else:
            pytest.fail("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def _isolate_the_shared_emulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests share one emulator per worker: undo clock moves and faults after each test that used it."""
    yield
    if "wechat_emulator" in request.fixturenames:
        emulator = request.getfixturevalue("wechat_emulator")
        emulator.reset_clock()
        emulator.clear_faults()
