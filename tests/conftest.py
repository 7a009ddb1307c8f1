"""Shared fixtures: the emulator fixtures wxkit ships for its users, a real redis-server, and wsgiref servers."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from wxkit.testing import Emulator

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


#: ``WXKIT_TEST_CHINA_CLOCK=23:50:00`` (any ``HH:MM:SS``) starts the shared emulator's clock at the next moment
#: China's wall clock (UTC+8) reads that time; the time-zone sweep (tests/test_timezones.py) runs the suite so, with
#: ``TZ`` set far from China's, to catch code that takes a calendar day from the machine's zone.
_CHINA = dt.timezone(dt.timedelta(hours=8))


def pytest_configure(config: pytest.Config) -> None:
    """Apply a ``TZ`` set for the sweep in this process too (``time.tzset``), so local-time calls see it."""
    if os.environ.get("TZ"):
        time.tzset()


#: The longest tests, with their rough seconds on a 2-core CI machine: they start first, spread over the xdist
#: workers, so that none of them is left running alone at the end of the run (``pytest -n 2`` hands each worker a
#: first batch of consecutive tests, then the rest on demand). A test id prefix matches every parametrization.
SLOW_FIRST: dict[str, float] = {
    "tests/test_timezones.py::test_the_suite_passes_far_from_china_time[utc+14": 16,
    "tests/test_timezones.py::test_the_suite_passes_far_from_china_time[utc-11": 16,
    "tests/client/test_token_concurrency.py::test_sync_and_async_clients_share_one_token": 12,
    "tests/client/test_token_concurrency.py::test_one_fetch_per_generation_across_async_processes": 12,
    "tests/client/test_token_concurrency.py::test_one_fetch_per_generation_across_processes": 2,
    "tests/faults/test_hostile_server.py::test_async_client": 6,
    "tests/faults/test_hostile_server.py::test_client": 6,
    "tests/faults/test_hostile_server.py::test_pay_v3": 6,
    "tests/faults/test_hostile_server.py::test_pay_v2": 3.5,
    "tests/faults/test_hostile_server.py::test_async_oauth": 3,
    "tests/faults/test_hostile_server.py::test_oauth": 3,
    "tests/test_unasync.py::test_the_generated_sync_code_is_current": 5,
    "tests/test_unasync.py::test_both_clients_are_fully_typed": 5,
    "tests/test_handle_fuzz.py::test_the_sync_direct_path_answers_what_the_flow_answers": 3.5,
    "tests/test_handle_fuzz.py::test_handle_async_answers_what_handle_answers": 2.5,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the :data:`SLOW_FIRST` tests first, each worker's share at the head of its first batch of tests."""
    weight = {}
    for item in items:
        for prefix, seconds in SLOW_FIRST.items():
            if item.nodeid.startswith(prefix):
                weight[item.nodeid] = seconds
    if not weight:
        return
    slow = sorted((item for item in items if item.nodeid in weight), key=lambda item: -weight[item.nodeid])
    rest = [item for item in items if item.nodeid not in weight]
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    # xdist's load scheduling: each worker's first batch is a quarter of its share, at least 2 tests.
    batch = max((len(items) // workers) // 4, 2)
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for item in slow:  # the longest first, each to the least loaded worker
        k = loads.index(min(loads))
        shares[k].append(item)
        loads[k] += weight[item.nodeid]
    ordered: list[pytest.Item] = []
    for share in shares[:-1]:
        ordered += share
        take = max(batch - len(share), 0)
        ordered += rest[:take]
        rest = rest[take:]
    ordered += shares[-1] + rest
    items[:] = ordered


def _china_clock(wall: str) -> Callable[[], float]:
    hour, minute, second = (int(part) for part in wall.split(":"))
    now = dt.datetime.now(_CHINA)
    target = now.replace(hour=hour, minute=minute, second=second, microsecond=0)
    if target < now:
        target += dt.timedelta(days=1)
    shift = target.timestamp() - time.time()
    return lambda: time.time() + shift


@pytest.fixture(scope="session")
def wechat_emulator() -> Iterator[Emulator]:
    """The plugin's shared emulator, on a China wall clock when ``WXKIT_TEST_CHINA_CLOCK`` asks for one."""
    wall = os.environ.get("WXKIT_TEST_CHINA_CLOCK")
    with Emulator(clock=_china_clock(wall) if wall else time.time) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _isolate_the_shared_emulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests share one emulator per worker: undo clock moves and faults after each test that used it."""
    yield
    if "wechat_emulator" in request.fixturenames:
        emulator = request.getfixturevalue("wechat_emulator")
        emulator.reset_clock()
        emulator.clear_faults()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def wsgi_server() -> Iterator[Callable[[Any], str]]:
    """``wsgi_server(wsgi_app)``: serve it with wsgiref on a free loopback port; returns ``http://127.0.0.1:PORT``.

    Every server started is shut down after the test.
    """
    servers = []

    def start(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def serve_bot(wsgi_server: Callable[[Any], str]) -> Callable[[Any], str]:
    """``serve_bot(app)``: a wxkit callback app served by :func:`wsgi_server`; returns its ``.../wechat`` URL."""
    from wxkit.adapters.wsgi import make_wsgi_app

    return lambda app: f"{wsgi_server(make_wsgi_app(app))}/wechat"


# -- async clients driven from sync test bodies (tests/client, tests/miniprogram): every client scenario runs
# twice, the sync client and its async twin seen through a SyncView, from one test body ------------------------
class _Loop:
    """One event loop in a thread, for driving async clients from sync test bodies."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, awaitable: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(_await(awaitable), self.loop).result(timeout=120)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


async def _await(awaitable: Any) -> Any:
    return await awaitable


class SyncView:
    """A sync view of an async object: coroutines are awaited on the loop, async iterators become iterators.

    ``view.template.send(...)`` runs ``await aclient.template.send(...)``; attributes that are plain values
    (``fetch_count``, ``key``, ``base_url``) read and write through.
    """

    __slots__ = ("_loop", "_target")

    def __init__(self, target: Any, loop: _Loop) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_loop", loop)

    def __getattr__(self, name: str) -> Any:
        return _wrap(getattr(self._target, name), self._loop)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __repr__(self) -> str:
        return repr(self._target)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _wrap(self._target(*args, **kwargs), self._loop)

    def __iter__(self) -> Iterator[Any]:
        agen = self._target.__aiter__()
        while True:
            try:
                yield self._loop.run(agen.__anext__())
            except StopAsyncIteration:
                return

    def __enter__(self) -> SyncView:
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.run(self._target.aclose())

    def close(self) -> None:
        """``Client.close()`` on the async twin."""
        self._loop.run(self._target.aclose())

    @property
    def access_token(self) -> str:
        """``Client.access_token`` on the async twin."""
        return str(self._loop.run(self._target.get_access_token()))


_PLAIN = (str, bytes, int, float, bool, type(None), dict, list, tuple, set, frozenset)
#: Modules whose objects (API groups, core helpers) are wrapped in a SyncView rather than returned as values.
_ASYNC_MODULES = ("wxkit.client", "wxkit.core", "wxkit._async", "wxkit.miniprogram._async", "wxkit.work._async")


def _wrap(value: Any, loop: _Loop) -> Any:
    if inspect.isawaitable(value):
        return _wrap(loop.run(value), loop)
    if isinstance(value, (*_PLAIN, type)):
        return value
    if hasattr(value, "__aiter__") or callable(value):
        return SyncView(value, loop)
    if type(value).__module__.startswith(_ASYNC_MODULES):
        return SyncView(value, loop)
    return value


@pytest.fixture(scope="session")
def async_loop() -> Iterator[_Loop]:
    """The event loop (in its own thread) that drives the async clients of the session."""
    loop = _Loop()
    yield loop
    loop.close()


@pytest.fixture
def sync_view(async_loop: _Loop) -> Any:
    """``sync_view(async_object)``: a :class:`SyncView` of it on the session's loop."""
    return lambda target: SyncView(target, async_loop)
