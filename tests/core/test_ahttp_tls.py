"""The async transport's pools share one default TLS context (loading the CA bundle costs ~50 ms a client)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
certifi = pytest.importorskip("certifi")

from wxkit.core import ahttp  # noqa: E402 - after the importorskip
from wxkit.core.ahttp import AsyncHTTPClient  # noqa: E402


def _pool_context(client: AsyncHTTPClient) -> Any:
    return client.session._transport._pool._ssl_context


def test_pools_share_one_default_tls_context_per_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []
    real = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> Any:
        context = real(*args, **kwargs)
        made.append(context)
        return context

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    monkeypatch.setattr(ahttp, "_TLS_CONTEXTS", {})
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    clients = [AsyncHTTPClient(f"https://example.invalid/{n}") for n in range(3)]
    assert len(made) == 1
    assert all(_pool_context(client) is made[0] for client in clients)
    # httpx's own rule: SSL_CERT_FILE names the CA bundle; a change of it gets a context of its own.
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    clients.append(AsyncHTTPClient("https://example.invalid/other"))
    assert len(made) == 2
    assert _pool_context(clients[-1]) is made[1]
    # and a session of the caller's is used as given
    own = httpx.AsyncClient()
    clients.append(AsyncHTTPClient("https://example.invalid/own", session=own))
    assert len(made) == 2

    async def close() -> None:
        for client in clients:
            await client.aclose()
        await own.aclose()

    asyncio.run(close())
