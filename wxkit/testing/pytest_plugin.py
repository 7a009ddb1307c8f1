"""pytest fixtures for testing code that talks to WeChat, against the local emulator.

Enable in your ``conftest.py``::

    pytest_plugins = ["wxkit.testing.pytest_plugin"]

Fixtures:

``wechat_emulator``
    an :class:`~wxkit.testing.Emulator` started on a free loopback port, one
    per test session (per xdist worker); injected faults are cleared after
    each test.
``wechat_app``
    a fresh :class:`~wxkit.testing.AppState` (unique appid) for each test;
    afterwards, injected faults are cleared and the emulator's clock is reset
    (:meth:`~wxkit.testing.Emulator.reset_clock`).
``wechat_client``
    a :class:`wxkit.Client` for ``wechat_app`` pointed at the emulator, with
    no retry backoff sleeps.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .emulator import AppState, Emulator

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["wechat_app", "wechat_client", "wechat_emulator"]


@pytest.fixture(scope="session")
def wechat_emulator() -> Iterator[Emulator]:
    """A started emulator shared by the session."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def wechat_app(wechat_emulator: Emulator) -> Iterator[AppState]:
    """A fresh app registered on the emulator; faults are cleared afterwards."""
    appid = f"wx{uuid.uuid4().hex[:16]}"
    yield wechat_emulator.add_app(appid, f"secret-{appid}")
    wechat_emulator.clear_faults()
    wechat_emulator.reset_clock()


@pytest.fixture
def wechat_client(wechat_emulator: Emulator, wechat_app: AppState) -> Client:
    """A :class:`wxkit.Client` for ``wechat_app`` talking to the emulator."""
    return wechat_emulator.client(wechat_app.appid, wechat_app.secret)
