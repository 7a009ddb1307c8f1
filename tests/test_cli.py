"""The ``wxkit`` command: demo, sign, decrypt and push (against a loopback wsgiref server)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wxkit import WxApplication
from wxkit.cli import main
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.work import WorkApplication
from wxkit.xmlcodec import parse_xml

REPO = Path(__file__).resolve().parents[1]
TOKEN = "cli-test-token"
APP_ID = "wx1234567890abcdef"
CORP_ID = "ww1234567890abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
TS, NONCE = "1410685589", "n0nce"
PLAIN = "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Content><![CDATA[你好 cli]]></Content></xml>"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- demo -----------------------------------------------------------------------


def test_demo(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WXKIT_TOKEN", "WXKIT_APP_ID", "WXKIT_AES_KEY"):
        monkeypatch.delenv(name, raising=False)
    code, out, _ = run(capsys, "demo")
    assert code == 0
    for expected in (
        "You said: Hello, wxkit!",
        "scene 42",
        "V1001_TODAY_MUSIC",
        "emulator received a template message to o_demo_user: thing1='wxkit demo'",
    ):
        assert expected in out
    assert "bot answered the echostr: True" in out
    assert "FAILED" not in out
    assert out.rstrip().endswith("wxkit demo: done")


# -- sign -----------------------------------------------------------------------


def test_sign_public_vector(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", "--token", "test", "--timestamp", "1410685589", "--nonce", "test")
    assert (code, out) == (0, "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff\n")


def test_sign_with_data_is_msg_signature(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", "ENCRYPTED", "--token", TOKEN, "--timestamp", TS, "--nonce", NONCE)
    assert code == 0
    assert out.strip() == sha1_signature(TOKEN, TS, NONCE, "ENCRYPTED")
    assert out.strip() == MessageCrypto(TOKEN, AES_KEY, "").signature(TS, NONCE, "ENCRYPTED")


def test_python_m_wxkit_sign() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wxkit", "sign", "--token", "test", "--timestamp", "1410685589", "--nonce", "test"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["sign", "--token", "t", "--nonce", "n"], id="sign-missing-timestamp"),
        pytest.param(["push", "http://127.0.0.1:1/", "--token", "t"], id="push-nothing-to-push"),
        pytest.param(["push", "http://127.0.0.1:1/", "--token", "t", "--text", "a", "--click", "b"], id="push-two"),
        pytest.param(["decrypt", "abc"], id="decrypt-missing-key"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


# -- decrypt --------------------------------------------------------------------


@pytest.fixture
def encrypted() -> tuple[str, str]:
    """An Encrypt value of PLAIN for APP_ID and its msg_signature."""
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
    enc = crypto.encrypt(PLAIN)
    return enc, crypto.signature(TS, NONCE, enc)


def signed_args(signature: str, token: str = TOKEN) -> list[str]:
    return ["--token", token, "--timestamp", TS, "--nonce", NONCE, "--msg-signature", signature]


@pytest.mark.parametrize("receive_id", [APP_ID, None], ids=["receive-id", "no-check"])
def test_decrypt_without_signature(
    receive_id: str | None, encrypted: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [] if receive_id is None else ["--receive-id", receive_id]
    code, out, err = run(capsys, "decrypt", encrypted[0], "--aes-key", AES_KEY, *extra)
    assert (code, out) == (0, PLAIN + "\n")
    assert "msg_signature" not in err


def test_decrypt_with_signature(encrypted: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    enc, sig = encrypted
    code, out, err = run(capsys, "decrypt", enc, "--aes-key", AES_KEY, "--receive-id", APP_ID, *signed_args(sig))
    assert (code, out) == (0, PLAIN + "\n")
    assert "msg_signature: OK" in err


def test_decrypt_whole_xml_body(encrypted: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    enc, sig = encrypted
    body = f"\n<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    code, out, _ = run(capsys, "decrypt", body, "--aes-key", AES_KEY, *signed_args(sig))
    assert (code, out) == (0, PLAIN + "\n")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(lambda enc, sig: signed_args(sig[::-1]), "SignatureError", id="wrong-signature"),
        pytest.param(lambda enc, sig: signed_args(sig, token="other"), "SignatureError", id="wrong-token"),
        pytest.param(lambda enc, sig: ["--msg-signature", sig], "SignatureError", id="no-token"),
        pytest.param(lambda enc, sig: ["--receive-id", "wx_other"], "DecryptError", id="wrong-receive-id"),
        pytest.param(lambda enc, sig: ["--aes-key", "short"], "ConfigError", id="bad-aes-key"),
        pytest.param(lambda enc, sig: ["--aes-key", "!" * 43], "ConfigError", id="aes-key-not-base64"),
    ],
)
def test_decrypt_errors_exit_2(
    args: Callable[[str, str], list[str]], error: str, encrypted: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    enc, sig = encrypted
    code, out, err = run(capsys, "decrypt", enc, "--aes-key", AES_KEY, *args(enc, sig))
    assert code == 2
    assert out == ""
    assert err.startswith(f"wxkit decrypt: {error}:")
    assert AES_KEY not in err


def test_decrypt_garbage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "decrypt", "bm90IGVuY3J5cHRlZA==", "--aes-key", AES_KEY)
    assert (code, out) == (2, "")
    assert "DecryptError" in err


# -- push -----------------------------------------------------------------------


class Bot(WxApplication):
    allow_plaintext = True  # these tests push plaintext and safe mode to one bot
    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY

    def on_text(self, msg: Any) -> str:
        return f"echo: {msg.content}"

    def on_subscribe(self, event: Any) -> str:
        return "welcome"

    def on_click(self, event: Any) -> str:
        return f"clicked {event.event_key}"


class WorkBot(WorkApplication):
    token = TOKEN
    corp_id = CORP_ID
    aes_key = AES_KEY

    def on_text(self, msg: Any) -> str:
        return f"work echo: {msg.content} agent={msg.raw['AgentID']}"


MODE_ARGS = {
    "plain": ["--token", TOKEN],
    "safe": ["--token", TOKEN, "--app-id", APP_ID, "--aes-key", AES_KEY],
}


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        pytest.param(["--text", "hi there"], "echo: hi there", id="text"),
        pytest.param(["--event", "subscribe"], "welcome", id="subscribe"),
        pytest.param(["--click", "V1001_KEY"], "clicked V1001_KEY", id="click"),
    ],
)
@pytest.mark.parametrize("mode", list(MODE_ARGS))
def test_push(
    mode: str, what: list[str], expected: str, serve_bot: Callable[[Any], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = serve_bot(Bot())
    code, out, _ = run(capsys, "push", url, *MODE_ARGS[mode], "--openid", "o_cli_user", *what)
    assert code == 0
    status, xml = out.split("\n", 1)
    assert status == "HTTP 200"
    reply = parse_xml(xml)
    assert reply["MsgType"] == "text"
    assert reply["Content"] == expected
    assert reply["ToUserName"] == "o_cli_user"
    assert "Encrypt" not in reply  # safe-mode replies are printed decrypted


def test_push_work(serve_bot: Callable[[Any], str], capsys: pytest.CaptureFixture[str]) -> None:
    url = serve_bot(WorkBot())
    argv = ["push", url, "--token", TOKEN, "--corp-id", CORP_ID, "--aes-key", AES_KEY, "--agent-id", "5"]
    code, out, _ = run(capsys, *argv, "--text", "hello")
    assert code == 0
    assert parse_xml(out.split("\n", 1)[1])["Content"] == "work echo: hello agent=5"


def test_push_refused_exits_1(serve_bot: Callable[[Any], str], capsys: pytest.CaptureFixture[str]) -> None:
    url = serve_bot(Bot())
    code, out, _ = run(capsys, "push", url, "--token", "wrong-token", "--text", "x")
    assert code == 1
    assert out.startswith("HTTP 403\n")


def test_push_unreachable_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = run(capsys, "push", f"http://127.0.0.1:{port}/", "--token", TOKEN, "--text", "x", "--timeout", "5")
    assert (code, out) == (2, "")
    assert err.startswith("wxkit push:")


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--aes-key", "A" * 43], "--aes-key needs"), (["--corp-id", "ww1"], "--corp-id needs")],
)
def test_push_refuses_inconsistent_options(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from wxkit.cli import main

    assert main(["push", "http://127.0.0.1:9/", "--token", "t", "--text", "x", *extra]) == 2
    assert message in capsys.readouterr().err


def test_emulator_command_serves_until_interrupted() -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "wxkit", "emulator", "--port", str(port), "--app-id", "wxcli", "--secret", "sek"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "serving WeChat's API" in (proc.stdout.readline() if proc.stdout else "")
        url = f"http://127.0.0.1:{port}/cgi-bin/token?grant_type=client_credential&appid=wxcli&secret=sek"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    body = resp.read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the emulator did not answer")
        assert b"access_token" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
