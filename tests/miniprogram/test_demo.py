"""``wxkit demo miniprogram``: a simulated user logged in through the emulator, each step printed."""

from __future__ import annotations

import pytest

from wxkit.cli import main


def test_demo_miniprogram(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "miniprogram"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "code2session: openid=o_demo_user unionid=o_demo_union; the session_key stays server-side",
        "signature checked with the stored session_key",
        "decrypted: nickName='Demo User', watermark appid wx_demo_miniprogram checked",
        "phone number 138****",
        "refused: encryptedData was encrypted with the user's previous session_key",
        "on_user_enter_tempsession: o_demo_user, session-from 'demo-button'",
        "answered 'success' (HTTP 200)",
    ):
        assert expected in out
    assert "FAILED" not in out
    assert out.rstrip().endswith("wxkit demo: done")


def test_demo_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "minigame"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
