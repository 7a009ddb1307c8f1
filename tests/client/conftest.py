"""Fixtures for the client tests: a neutral echo endpoint on the shared emulator."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit.testing import Emulator
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
