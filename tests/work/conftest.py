"""Fixtures for the WeCom client tests: every scenario runs on WorkClient and AsyncWorkClient.

``corp`` is a fresh corp on the session's emulator (app 1000002, a contacts secret, members ``alice``
and ``bob`` in department 1, department 2 "R&D"); ``work_client`` is the app's client and
``contacts_client`` the contacts secret's, sync then async (seen through the shared ``SyncView``,
tests/conftest.py); ``make_work_client(secret, corpid=None, **kwargs)`` makes more of the same kind.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from wxkit.testing import Emulator
from wxkit.testing.work import CorpState
from wxkit.work import AsyncWorkClient, WorkClient

AGENT_ID = 1000002


@pytest.fixture(params=["sync", "async"])
def work_kind(request: pytest.FixtureRequest) -> str:
    """``"sync"`` then ``"async"``: which WeCom client the scenario runs on."""
    return str(request.param)


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def corp(wechat_emulator: Emulator) -> Iterator[CorpState]:
    """A fresh corp: app 1000002, the contacts secret, alice and bob in department 1, department 2 "R&D"."""
    state = wechat_emulator.add_corp(f"ww{uuid.uuid4().hex[:16]}")
    state.add_app(AGENT_ID, f"app-secret-{state.corpid}")
    state.add_secret("contacts", f"contacts-secret-{state.corpid}")
    state.add_department(2, "R&D")
    state.add_user("alice", "Alice", mobile="13800000001", email="alice@example.com")
    state.add_user("bob", "Bob", department=(1, 2))
    yield state
    wechat_emulator.clear_faults()


@pytest.fixture
def make_work_client(
    wechat_emulator: Emulator, corp: CorpState, work_kind: str, async_loop: Any, sync_view: Any
) -> Iterator[Any]:
    """``make_work_client(secret, corpid=None, **kwargs)``: a WeCom client of ``work_kind`` on the emulator."""
    made: list[Any] = []

    def make(secret: str | None, corpid: str | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", wechat_emulator.work_url)
        kwargs.setdefault("backoff", 0.0)
        cid = corpid or corp.corpid
        if work_kind == "sync":
            client = WorkClient(cid, secret, **kwargs)
            made.append(client)
            return client
        kwargs.setdefault("sleep", _no_sleep)

        async def build() -> AsyncWorkClient:
            return AsyncWorkClient(cid, secret, **kwargs)

        view = sync_view(async_loop.run(build()))
        made.append(view)
        return view

    yield make
    for client in made:
        client.close()


@pytest.fixture
def work_client(make_work_client: Any, corp: CorpState) -> Any:
    """The app 1000002's client (``agent_id`` set): sync, then async."""
    return make_work_client(corp.secrets[str(AGENT_ID)], agent_id=AGENT_ID)


@pytest.fixture
def contacts_client(make_work_client: Any, corp: CorpState) -> Any:
    """The contacts (通讯录) secret's client: sync, then async."""
    return make_work_client(corp.secrets["contacts"])
