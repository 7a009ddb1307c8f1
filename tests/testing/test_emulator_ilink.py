"""The iLink platform offered by the main emulator: ``emu.ilink`` on its own origin ``emu.ilink_url``."""

from __future__ import annotations

import asyncio

import pytest
import requests

from wxkit import MemoryStorage
from wxkit.ilink import AsyncILinkBot, ILinkBot, ILinkMessage
from wxkit.testing import Emulator
from wxkit.testing.ilink import ILinkEmulator


class Echo(ILinkBot):
    def on_text(self, message: ILinkMessage) -> str:
        return f"echo: {message.text}"


class AsyncEcho(AsyncILinkBot):
    async def on_text(self, message: ILinkMessage) -> str:
        return f"async echo: {message.text}"


def test_the_emulator_serves_ilink_on_its_own_origin() -> None:
    with Emulator() as emu:
        assert isinstance(emu.ilink, ILinkEmulator)
        assert emu.ilink is emu.ilink  # one platform per emulator, started once
        assert emu.ilink_url not in (emu.url, emu.work_url)
        account = emu.ilink.add_bot()
        account.send_text("alice@im.wechat", "hi")
        storage = MemoryStorage()  # one cursor for both bots
        with Echo(account.bot_token, base_url=emu.ilink_url, storage=storage) as bot:
            assert bot.poll_once() == 1

        async def run_async() -> int:
            async with AsyncEcho(account.bot_token, base_url=emu.ilink_url, storage=storage) as abot:
                account.send_text("alice@im.wechat", "again")
                return await abot.poll_once()

        assert asyncio.run(run_async()) == 1
        assert [s["text"] for s in account.sent] == ["echo: hi", "async echo: again"]
        # The official-account site does not serve iLink's paths, as api.weixin.qq.com does not.
        assert requests.post(f"{emu.url}/ilink/bot/getupdates", json={}, timeout=10).status_code == 404
        ilink = emu.ilink
    assert ilink._server is None  # stopping the emulator stopped the iLink platform
    with pytest.raises(RuntimeError):
        _ = emu.ilink_url


def test_the_ilink_platform_needs_a_started_emulator() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = Emulator().ilink
