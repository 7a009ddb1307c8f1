"""``wxkit ilink login`` and ``wxkit demo ilink``."""

from __future__ import annotations

import stat
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

from wxkit.cli import main
from wxkit.errors import ConfigError
from wxkit.ilink.cli import load_credentials, login_command
from wxkit.testing.ilink import ILinkEmulator


def _confirm_when_asked(emu: ILinkEmulator) -> threading.Thread:
    def confirm() -> None:
        code = emu.wait_for_qrcode()
        emu.scan(code.qrcode)
        emu.confirm(code.qrcode, bot_id="cli@im.bot", user_id="me@im.wechat")

    thread = threading.Thread(target=confirm, daemon=True)
    thread.start()
    return thread


def test_ilink_login_writes_the_credentials_0600(
    ilink: ILinkEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bot.json"
    out.write_text("old")
    out.chmod(0o644)
    thread = _confirm_when_asked(ilink)
    assert main(["ilink", "login", "--out", str(out), "--base-url", ilink.url]) == 0
    thread.join(timeout=10)
    credentials = load_credentials(out)
    assert credentials.bot_id == "cli@im.bot"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    printed = capsys.readouterr().out
    assert "scan this QR code" in printed
    assert "cli@im.bot" in printed
    assert credentials.bot_token not in printed


def test_load_credentials_refuses_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ConfigError):
        load_credentials(bad)
    bad.write_text('{"bot_token": ""}')
    with pytest.raises(ConfigError):
        load_credentials(bad)
    with pytest.raises(ConfigError):
        load_credentials(tmp_path / "missing.json")


def test_demo_ilink(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "ilink"]) == 0
    printed = capsys.readouterr().out
    assert "echo: hello" in printed
    assert "wxkit demo: done" in printed


class _FakeQR:
    """What ``wxkit ilink login`` uses of the optional ``qrcode`` package (QRCode, add_data, print_ascii)."""

    def __init__(self, border: int = 4) -> None:
        self.data = ""

    def add_data(self, data: str) -> None:
        self.data = data

    def print_ascii(self, out: Any = None, tty: bool = False, invert: bool = False) -> None:
        out.write(f"[QR {self.data} invert={invert}]\n")


class _BrokenQR(_FakeQR):
    def print_ascii(self, out: Any = None, tty: bool = False, invert: bool = False) -> None:
        raise ValueError("data too long")


@pytest.mark.parametrize("module", ["fake", "broken", "missing"])
def test_ilink_login_draws_the_qr_code_when_qrcode_is_installed(
    ilink: ILinkEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    fake = types.ModuleType("qrcode")
    fake.QRCode = {"fake": _FakeQR, "broken": _BrokenQR}.get(module)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "qrcode", fake if module != "missing" else None)  # None: ImportError
    lines: list[str] = []
    thread = _confirm_when_asked(ilink)
    credentials = login_command(tmp_path / "bot.json", base_url=ilink.url, echo=lines.append)
    thread.join(timeout=10)
    url = next(line for line in lines if line.startswith("scan this QR code")).split(": ", 1)[1]
    drawn = [line for line in lines if line.startswith("[QR ")]
    if module == "fake":
        assert drawn == [f"[QR {url} invert=True]"]  # drawn through echo, right after the URL
        assert lines.index(drawn[0]) == 1
    else:
        assert drawn == []  # the URL alone: no qrcode package, or it failed (logged)
    assert credentials.bot_token not in "".join(lines)
