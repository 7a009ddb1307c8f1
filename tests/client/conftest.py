"""Fixtures for the client tests: a neutral echo endpoint on the shared emulator."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from wxkit import AsyncClient
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes import EmulatorRequest

#: A test-only authenticated endpoint: answers what it received.
ECHO = "/cgi-bin/wxkit_test/echo"


def _echo(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    assert req.app is not None
    body = req.json if req.method == "POST" else None
    return {"errcode": 0, "errmsg": "ok", "appid": req.app.appid, "method": req.method, "body": body, "q": req.query}


@pytest.fixture(autouse=True)
def echo_route(wechat_emulator: Emulator) -> str:
    """Serve :data:`ECHO` (GET and POST) on the session's emulator."""
    wechat_emulator.add_route("GET", ECHO, _echo)
    wechat_emulator.add_route("POST", ECHO, _echo)
    return ECHO


# -- every client scenario runs twice: the sync Client, and the AsyncClient driven from the same test body --------
# (the loop thread, SyncView and the async_loop / sync_view fixtures live in tests/conftest.py, shared with
# tests/miniprogram)
@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> str:
    """``"sync"`` then ``"async"``: which client the scenario runs on."""
    return str(request.param)


@pytest.fixture
def make_client(wechat_emulator: Emulator, client_kind: str, async_loop: Any, sync_view: Any) -> Iterator[Any]:
    """``make_client(appid, secret=None, **kwargs)``: the emulator's ``Client``, or an ``AsyncClient`` seen through
    :class:`SyncView` (same constructor options), per ``client_kind``."""
    made: list[Any] = []

    def make(appid: str | None = None, secret: str | None = None, **kwargs: Any) -> Any:
        if client_kind == "sync":
            client = wechat_emulator.client(appid, secret, **kwargs)
            made.append(client)
            return client
        kwargs.setdefault("sleep", _no_sleep)
        aclient = async_loop.run(_make_async(wechat_emulator, appid, secret, kwargs))
        view = sync_view(aclient)
        made.append(view)
        return view

    yield make
    for client in made:
        client.close()


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


async def _make_async(emu: Emulator, appid: str | None, secret: str | None, kwargs: dict[str, Any]) -> AsyncClient:
    if appid is None:
        appid = next(iter(emu.apps), "wx_emulated_app")
    app = emu.apps.get(appid) or emu.add_app(appid, secret or "emulated-secret")
    kwargs.setdefault("base_url", emu.url)
    kwargs.setdefault("backoff", 0.0)
    return AsyncClient(appid, secret or app.secret, **kwargs)


@pytest.fixture
def wechat_client(make_client: Any, wechat_app: AppState) -> Any:
    """The scenario's client for ``wechat_app``: sync, then async (through :class:`SyncView`)."""
    return make_client(wechat_app.appid, wechat_app.secret)


@pytest.fixture
def stub_method(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``stub_method(client, "post", answer)``: make ``client.post`` (sync or async) answer ``answer``."""

    def stub(client: Any, name: str, answer: Any) -> None:
        target = getattr(client, "_target", client)
        if inspect.iscoroutinefunction(getattr(target, name)):

            async def fake(*args: Any, **kwargs: Any) -> Any:
                return answer

            monkeypatch.setattr(target, name, fake)
        else:
            monkeypatch.setattr(target, name, lambda *args, **kwargs: answer)

    return stub


@pytest.fixture
def make_core(client_kind: str, async_loop: Any, sync_view: Any) -> Iterator[Any]:
    """``make_core(module, name, base_url, *args, **kwargs)``: ``wxkit.core.<module>.<name>(http, *args, **kwargs)``
    (sync) or its ``Async`` twin seen through :class:`SyncView` (async), on a transport to ``base_url`` made for
    it (no backoff sleeps). ``SyncView`` arguments are passed as the async objects they wrap."""
    import importlib

    from wxkit.core.ahttp import AsyncHTTPClient
    from wxkit.core.http import HTTPClient

    transports: list[Any] = []

    def make(module: str, name: str, base_url: str, *args: Any, **kwargs: Any) -> Any:
        args = tuple(getattr(a, "_target", a) if type(a).__name__ == "SyncView" else a for a in args)
        if client_kind == "sync":
            http = HTTPClient(base_url, backoff=0.0)
            transports.append(http)
            return getattr(importlib.import_module(f"wxkit.core.{module}"), name)(http, *args, **kwargs)

        async def build() -> Any:
            ahttp = AsyncHTTPClient(base_url, backoff=0.0, sleep=_no_sleep)
            transports.append(ahttp)
            return getattr(importlib.import_module(f"wxkit.core._async.{module}"), f"Async{name}")(
                ahttp, *args, **kwargs
            )

        return sync_view(async_loop.run(build()))

    yield make
    for http in transports:
        if client_kind == "sync":
            http.close()
        else:
            async_loop.run(http.aclose())
