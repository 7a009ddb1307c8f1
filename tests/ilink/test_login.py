"""iLink QR login against the emulator, sync and async from one body."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from wxkit import MemoryStorage
from wxkit.ilink import ILinkCredentials, ILinkError, QRCode, QRStatus
from wxkit.testing.ilink import ILinkEmulator


def test_login_wait_scaned_confirmed_stores_the_credentials(
    ilink: ILinkEmulator, make_login: Any, make_bot: Any
) -> None:
    storage = MemoryStorage()
    login = make_login(storage=storage, name="main")
    shown: list[QRCode] = []
    statuses: list[str] = []

    def on_qrcode(code: QRCode) -> None:
        shown.append(code)
        ilink.scan(code.qrcode)

    def on_status(status: QRStatus) -> None:
        statuses.append(status.status)
        if status.status == "scaned":
            ilink.confirm(shown[-1].qrcode, bot_id="b1@im.bot", user_id="me@im.wechat")

    credentials = login.wait(on_qrcode, on_status=on_status)
    assert statuses == ["scaned", "confirmed"]
    assert (credentials.bot_id, credentials.user_id, credentials.base_url) == ("b1@im.bot", "me@im.wechat", ilink.url)
    assert credentials.bot_token not in repr(credentials)
    assert login.load() == credentials
    assert shown[0].url.endswith(shown[0].qrcode)
    # The credentials work: a bot made from them receives.
    account = ilink.accounts[credentials.bot_token]
    account.send_text("alice@im.wechat", "hi")
    bot = make_bot(_Echo, credentials.bot_token, bot_id=credentials.bot_id, storage=storage)
    assert bot.poll_once() == 1
    assert account.sent[0]["text"] == "hi"


class _Echo:
    def on_text(self, message: Any) -> str:
        return str(message.text)


def test_an_expired_code_is_replaced(ilink: ILinkEmulator, make_login: Any) -> None:
    login = make_login()
    shown: list[QRCode] = []

    def on_qrcode(code: QRCode) -> None:
        shown.append(code)
        if len(shown) == 1:
            ilink.expire(code.qrcode)
        else:
            ilink.confirm(code.qrcode)

    credentials = login.wait(on_qrcode)
    assert len(shown) == 2
    assert shown[0].qrcode != shown[1].qrcode
    assert credentials.bot_token in ilink.accounts


def test_codes_that_keep_expiring_give_up(ilink: ILinkEmulator, make_login: Any) -> None:
    login = make_login()
    with pytest.raises(ILinkError, match="expired"):
        login.wait(lambda code: ilink.expire(code.qrcode), max_refreshes=2)


def test_a_login_that_needs_a_verify_code_without_one_is_refused(ilink: ILinkEmulator, make_login: Any) -> None:
    login = make_login()
    with pytest.raises(ILinkError, match="verify_code"):
        login.wait(lambda code: ilink._set_status(code.qrcode, "need_verifycode"))


def test_nothing_stored_loads_none(make_login: Any) -> None:
    assert make_login(storage=MemoryStorage()).load() is None


def test_credentials_round_trip_through_a_dict() -> None:
    creds = ILinkCredentials(bot_token="t", bot_id="b", user_id="u", base_url="https://x")
    assert ILinkCredentials.from_dict(creds.to_dict()) == creds
    assert ILinkCredentials.from_dict({"bot_token": ""}) is None
    assert ILinkCredentials.from_dict([1]) is None


def test_a_verify_code_is_asked_for_and_sent(ilink: ILinkEmulator, make_login: Any) -> None:
    login = make_login()
    asked: list[str] = []
    answers = iter(["000", "4821"])

    def verify_code() -> str:
        asked.append("asked")
        return next(answers)

    def on_status(status: QRStatus) -> None:
        if status.status == "scaned":
            ilink.confirm(ilink.last_qrcode.qrcode)

    credentials = login.wait(
        lambda code: ilink.require_verify_code(code.qrcode, "4821"), verify_code=verify_code, on_status=on_status
    )
    assert len(asked) == 2  # a wrong number is asked again
    assert credentials.bot_token in ilink.accounts


def _status_polls(ilink: ILinkEmulator) -> list[str]:
    return [r["origin"] for r in ilink.requests if r["path"] == "ilink/bot/get_qrcode_status"]


def test_scaned_but_redirect_moves_the_polling_to_the_redirect_host(ilink: ILinkEmulator, make_login: Any) -> None:
    login = make_login()
    statuses: list[QRStatus] = []

    def on_status(status: QRStatus) -> None:
        statuses.append(status)
        if status.status == "scaned":
            ilink.confirm(ilink.last_qrcode.qrcode, bot_id="idc@im.bot")

    credentials = login.wait(lambda code: ilink.redirect(code.qrcode), on_status=on_status, max_polls=20)
    assert [s.status for s in statuses] == ["scaned_but_redirect", "scaned", "confirmed"]
    assert statuses[0].redirect_host == ilink.redirect_host
    polls = _status_polls(ilink)
    assert polls[0] == "main"
    assert set(polls[1:]) == {"redirect"}  # every poll after the redirect went to the other host
    assert credentials.bot_id == "idc@im.bot"


@pytest.mark.parametrize("host", ["evil.example/x?@y", "127.0.0.1:99999", "127.0.0.1:0"])
def test_a_malformed_redirect_host_is_ignored(ilink: ILinkEmulator, make_login: Any, host: str) -> None:
    # A port out of range once made the async login raise a bare ExceptionGroup, the sync one poll in vain.
    login = make_login()
    ilink.inject(
        "ilink/bot/get_qrcode_status",
        body=b'{"status": "scaned_but_redirect", "redirect_host": "%s"}' % host.encode(),
    )

    def on_status(status: QRStatus) -> None:
        if status.status == "scaned_but_redirect":
            ilink.scan(ilink.last_qrcode.qrcode)
        elif status.status == "scaned":
            ilink.confirm(ilink.last_qrcode.qrcode)

    credentials = login.wait(on_status=on_status, max_polls=20)
    assert credentials.bot_token in ilink.accounts
    assert set(_status_polls(ilink)) == {"main"}


def test_too_many_wrong_verify_codes_block_the_code_and_a_new_one_is_shown(
    ilink: ILinkEmulator, make_login: Any
) -> None:
    login = make_login()
    shown: list[QRCode] = []
    statuses: list[str] = []

    def on_qrcode(code: QRCode) -> None:
        shown.append(code)
        if len(shown) == 1:
            ilink.require_verify_code(code.qrcode, "4821", max_attempts=2)
        else:
            ilink.confirm(code.qrcode)

    credentials = login.wait(on_qrcode, verify_code=lambda: "0000", on_status=lambda s: statuses.append(s.status))
    assert "verify_code_blocked" in statuses
    assert len(shown) == 2
    assert credentials.bot_token in ilink.accounts
    # The new code's polls carry no stale verify code.
    polls = [r for r in ilink.requests if r["path"] == "ilink/bot/get_qrcode_status"]
    second = [r for r in polls if r["query"]["qrcode"] == shown[1].qrcode]
    assert second
    assert all("verify_code" not in r["query"] and r["origin"] == "main" for r in second)
    assert any(r["query"].get("verify_code") == "0000" for r in polls)  # the first code's did


def test_an_already_bound_account_is_an_error(ilink: ILinkEmulator, make_login: Any) -> None:
    login = make_login()
    with pytest.raises(ILinkError, match="already bound"):
        login.wait(lambda code: ilink.set_status(code.qrcode, "binded_redirect"))


class _ThreadRecordingStorage:
    """A storage (not a MemoryStorage) that records the thread of each call."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.threads: list[int] = []

    def get(self, key: str) -> str | None:
        self.threads.append(threading.get_ident())
        return self.data.get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.threads.append(threading.get_ident())
        self.data[key] = value

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        self.threads.append(threading.get_ident())
        return self.data.setdefault(key, value) == value

    def delete(self, key: str, *, if_value: str | None = None) -> None:
        self.threads.append(threading.get_ident())
        self.data.pop(key, None)


def test_the_async_login_calls_its_storage_off_the_event_loop(ilink: ILinkEmulator, async_loop: Any) -> None:
    from wxkit.ilink import AsyncILinkLogin

    storage = _ThreadRecordingStorage()
    creds = ILinkCredentials(bot_token="t", bot_id="b", user_id="u", base_url="https://x")

    async def scenario() -> tuple[int, ILinkCredentials | None]:
        login = AsyncILinkLogin(ilink.url, storage=storage)
        try:
            await login.save(creds)
            return threading.get_ident(), await login.load()
        finally:
            await login.aclose()

    loop_thread, loaded = async_loop.run(scenario())
    assert loaded == creds
    assert len(storage.threads) == 2
    assert loop_thread not in storage.threads


def test_a_failed_status_poll_pauses_before_the_next(ilink: ILinkEmulator, make_login: Any, bot_kind: str) -> None:
    """A network that is down answers at once: the login pauses between polls instead of hammering it."""
    pauses: list[float] = []
    if bot_kind == "sync":
        sleep: Any = pauses.append
    else:

        async def sleep(seconds: float) -> None:
            pauses.append(seconds)

    login = make_login(sleep=sleep)
    ilink.inject("ilink/bot/get_qrcode_status", drop=True, times=6)  # dropped, and the re-send of each too
    with pytest.raises(ILinkError, match="not confirmed after 3 polls"):
        login.wait(lambda code: None, max_polls=3)
    assert len(pauses) == 3
    assert all(pause >= 1.0 for pause in pauses)
