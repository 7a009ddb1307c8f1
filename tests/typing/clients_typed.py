"""Checked by ``mypy --strict`` in tests/test_unasync.py (never run): both clients are fully typed."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from wxkit import AsyncClient, Client
from wxkit.oauth import UserToken


def sync_side(client: Client) -> None:
    assert_type(client.template.send("o_user", "TPL", {"thing1": {"value": "hi"}}), int)
    assert_type(client.get("/cgi-bin/get_api_domain_ip"), dict[str, Any])
    assert_type(client.misc.callback_ips(), list[str])
    assert_type(client.access_token, str)
    assert_type(client.oauth.fetch_token("CODE"), UserToken)
    for openid in client.user.iter_followers():
        assert_type(openid, str)
    with Client("wx", "secret") as other:
        assert_type(other, Client)


async def async_side(aclient: AsyncClient) -> None:
    assert_type(await aclient.template.send("o_user", "TPL", {"thing1": {"value": "hi"}}), int)
    assert_type(await aclient.get_access_token(), str)
    assert_type(await aclient.get("/cgi-bin/get_api_domain_ip"), dict[str, Any])
    assert_type(await aclient.misc.callback_ips(), list[str])
    assert_type(await aclient.oauth.fetch_token("CODE"), UserToken)
    async for openid in aclient.user.iter_followers():
        assert_type(openid, str)
    async with AsyncClient("wx", "secret") as other:
        assert_type(other, AsyncClient)
