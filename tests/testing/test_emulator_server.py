"""The emulator's HTTP server: many clients connecting at once (an async client's pool) are all let in."""

from __future__ import annotations

import contextlib
import select
import socket
import sys
import time

import pytest

from wxkit.testing.emulator import _Handler, _Server

CONNECTIONS = 64


@pytest.mark.skipif(sys.platform != "linux", reason="Linux's accept-queue behaviour (SYNs dropped when full)")
def test_a_burst_of_connections_fits_in_the_listen_backlog() -> None:
    """socketserver's default backlog is 5: a burst beyond it had its SYNs dropped and waited 1 s, 3 s, ...

    The server here accepts nothing, so whatever connects was queued by the kernel in the backlog.
    """
    server = _Server(("127.0.0.1", 0), _Handler)
    clients: list[socket.socket] = []
    try:
        for _ in range(CONNECTIONS):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(server.server_address[:2])
            clients.append(s)
        connected: set[socket.socket] = set()
        give_up = time.monotonic() + 10  # a bound on the wait, not a measurement
        while len(connected) < CONNECTIONS and time.monotonic() < give_up:
            _, writable, _ = select.select([], [s for s in clients if s not in connected], [], 0.2)
            connected.update(s for s in writable if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0)
        assert len(connected) == CONNECTIONS
    finally:
        for s in clients:
            s.close()
        server.server_close()
