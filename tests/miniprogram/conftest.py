"""Fixtures for the mini-program client tests: every scenario runs on MiniProgramClient and AsyncMiniProgramClient.

``mp_client`` is the sync client, then the async one seen through the shared ``SyncView`` (tests/conftest.py),
for a fresh mini program on the session's emulator; ``make_mp_client(**kwargs)`` makes more of the same kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from wxkit.miniprogram import AsyncMiniProgramClient, MiniProgramClient
from wxkit.testing import AppState, Emulator


@pytest.fixture(params=["sync", "async"])
def mp_kind(request: pytest.FixtureRequest) -> str:
    """``"sync"`` then ``"async"``: which mini-program client the scenario runs on."""
    return str(request.param)


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def make_mp_client(
    wechat_emulator: Emulator, wechat_app: AppState, mp_kind: str, async_loop: Any, sync_view: Any
) -> Iterator[Any]:
    """``make_mp_client(appid=None, secret=None, **kwargs)``: a client of ``mp_kind`` on the emulator.

    ``appid`` / ``secret`` default to ``wechat_app``'s; ``secret=""`` makes a client without a secret.
    """
    made: list[Any] = []

    def make(appid: str | None = None, secret: str | None = None, **kwargs: Any) -> Any:
        appid = appid or wechat_app.appid
        secret = wechat_emulator.apps[appid].secret if secret is None else (secret or None)
        kwargs.setdefault("base_url", wechat_emulator.url)
        kwargs.setdefault("backoff", 0.0)
        if mp_kind == "sync":
            client = MiniProgramClient(appid, secret, **kwargs)
            made.append(client)
            return client
        kwargs.setdefault("sleep", _no_sleep)

        async def build() -> AsyncMiniProgramClient:
            return AsyncMiniProgramClient(appid, secret, **kwargs)

        view = sync_view(async_loop.run(build()))
        made.append(view)
        return view

    yield make
    for client in made:
        client.close()


@pytest.fixture
def mp_client(make_mp_client: Any) -> Any:
    """The scenario's mini-program client for ``wechat_app``: sync, then async (through ``SyncView``)."""
    return make_mp_client()


@pytest.fixture
def override_route(wechat_emulator: Emulator) -> Iterator[Any]:
    """``override_route(method, path, handler)``: serve ``handler`` there for this test; the route is restored after."""
    saved: dict[tuple[str, str], Any] = {}

    def override(method: str, path: str, handler: Any) -> None:
        key = (method.upper(), path)
        saved.setdefault(key, wechat_emulator._routes.get(key))
        wechat_emulator.add_route(method, path, handler)

    yield override
    with wechat_emulator.lock:
        for key, route in saved.items():
            if route is None:
                wechat_emulator._routes.pop(key, None)
            else:
                wechat_emulator._routes[key] = route
