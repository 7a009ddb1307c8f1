"""iLink QR login against the emulator, sync and async from one body."""

from __future__ import annotations

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
