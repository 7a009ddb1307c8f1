"""The ``wxkit`` command: demo, sign, decrypt and push (against a loopback wsgiref server)."""

from __future__ import annotations

import argparse
import importlib.metadata
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wxkit import WxApplication
from wxkit.cli import build_parser, main
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


# -- user errors: exit 2, one line on stderr, never a traceback --------------------


def assert_user_error(code: int, out: str, err: str, prefix: str, *fragments: str) -> None:
    assert (code, out) == (2, ""), err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"wxkit {prefix}: ")
    for fragment in fragments:
        assert fragment in err


@pytest.fixture
def busy_port() -> Any:
    """A loopback port held by a listening socket for the test's duration."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


PUSH = ["--token", TOKEN, "--text", "x"]


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        pytest.param(["push", "not-a-url", *PUSH], ["not an http:// or https:// URL", "'not-a-url'"], id="no-scheme"),
        pytest.param(["push", "ftp://example.invalid/", *PUSH], ["not an http:// or https:// URL"], id="ftp"),
        pytest.param(["push", "http://", *PUSH], ["not an http:// or https:// URL"], id="no-host"),
        pytest.param(["push", "http://[::1/", *PUSH], ["not a valid URL", "IPv6"], id="bad-ipv6"),
        pytest.param(["push", "http://127.0.0.1:99999/", *PUSH], ["not a valid URL", "Port"], id="port-range"),
        pytest.param(["push", "http://127.0.0.1:1/a b", *PUSH], ["whitespace or control"], id="space"),
        pytest.param(["push", "http://a..b/", *PUSH], ["not a valid host name"], id="empty-label"),
        pytest.param(["push", "http://127.0.0.1:1/", *PUSH, "--timeout", "0"], ["--timeout"], id="timeout-0"),
        pytest.param(["push", "http://127.0.0.1:1/", *PUSH, "--timeout", "-1"], ["--timeout"], id="timeout-neg"),
        pytest.param(["push", "http://127.0.0.1:1/", *PUSH, "--timeout", "nan"], ["--timeout"], id="timeout-nan"),
        pytest.param(["push", "http://127.0.0.1:1/", *PUSH, "--timeout", "inf"], ["--timeout"], id="timeout-inf"),
        pytest.param(["push", "http://127.0.0.1:1/", *PUSH, "--timeout", "1e300"], ["--timeout"], id="timeout-huge"),
        pytest.param(
            ["push", "http://127.0.0.1:1/", *PUSH, "--agent-id", "5"], ["--agent-id needs --corp-id"], id="agent-id"
        ),
        pytest.param(
            ["push", "http://127.0.0.1:1/", *PUSH, "--app-id", APP_ID, "--corp-id", CORP_ID, "--aes-key", AES_KEY],
            ["not both"],
            id="app-id-and-corp-id",
        ),
        pytest.param(["demo", "--port", "99999"], ["--port 99999", "0-65535"], id="demo-port-high"),
        pytest.param(["demo", "--port", "-1"], ["--port -1", "0-65535"], id="demo-port-negative"),
        pytest.param(["emulator", "--port", "65536"], ["--port 65536", "0-65535"], id="emulator-port-high"),
        pytest.param(
            ["emulator", "--host", "no-such-host.invalid", "--port", "0"],
            ["cannot listen on no-such-host.invalid:0"],
            id="emulator-bad-host",
        ),
        pytest.param(["pay", "sign", "--key", "k"], ["NAME=VALUE"], id="pay-sign-nothing"),
        pytest.param(["pay", "sign", "--key", "k", "a=1", "a=2"], ["a is given twice"], id="pay-sign-twice"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = "pay sign" if argv[0] == "pay" else argv[0]
    assert_user_error(*run(capsys, *argv), prefix, *fragments)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        pytest.param([], "--token, --timestamp, --nonce", id="none"),
        pytest.param(["--token", TOKEN], "--timestamp, --nonce", id="token-only"),
        pytest.param(["--token", TOKEN, "--timestamp", TS], "--nonce", id="no-nonce"),
        pytest.param(["--timestamp", TS, "--nonce", NONCE], "--token", id="no-token"),
        pytest.param(["--token", TOKEN, "--timestamp", "", "--nonce", NONCE], "--timestamp", id="empty-timestamp"),
    ],
)
def test_decrypt_msg_signature_names_missing_options(
    given: list[str], missing: str, encrypted: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    enc, sig = encrypted
    result = run(capsys, "decrypt", enc, "--aes-key", AES_KEY, "--msg-signature", sig, *given)
    assert_user_error(*result, "decrypt", f"missing: {missing}")
    assert "signature mismatch" not in result[2]


def test_decrypt_signature_options_without_msg_signature(
    encrypted: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(capsys, "decrypt", encrypted[0], "--aes-key", AES_KEY, "--token", TOKEN, "--nonce", NONCE)
    assert_user_error(*result, "decrypt", "--token, --nonce", "--msg-signature")


def test_decrypt_xml_without_encrypt(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "decrypt", "<xml><ToUserName>gh_x</ToUserName></xml>", "--aes-key", AES_KEY)
    assert_user_error(*result, "decrypt", "ParseError", "no Encrypt element")


def test_demo_busy_port(busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert_user_error(*run(capsys, "demo", "--port", str(busy_port)), "demo", f"cannot listen on 127.0.0.1:{busy_port}")


def test_emulator_busy_port_fails_before_the_banner(busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "emulator", "--port", str(busy_port))
    assert_user_error(*result, "emulator", f"cannot listen on 127.0.0.1:{busy_port}")


def test_emulator_banner_names_the_bound_port(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wxkit.testing import Emulator

    answered: list[bytes] = []

    def serve_then_interrupt(self: Emulator, host: str, port: int) -> None:
        with urllib.request.urlopen(
            f"{self.url}/cgi-bin/token?grant_type=client_credential&appid=wxcli&secret=sek", timeout=30
        ) as resp:
            answered.append(resp.read())
        raise KeyboardInterrupt

    monkeypatch.setattr(Emulator, "serve_forever", serve_then_interrupt)
    code, out, _ = run(capsys, "emulator", "--port", "0", "--app-id", "wxcli", "--secret", "sek")
    assert code == 0
    assert b"access_token" in answered[0]
    first = out.splitlines()[0]
    assert first.startswith("wxkit emulator: serving WeChat's API at http://127.0.0.1:")
    assert ":0 " not in first


def test_push_to_a_server_that_is_not_http(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer_garbage() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"garbage\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        result = run(capsys, "push", f"http://127.0.0.1:{port}/", *PUSH, "--timeout", "30")
        thread.join(30)
    assert_user_error(*result, "push", f"cannot push to http://127.0.0.1:{port}/", "BadStatusLine")


def test_push_invalid_utf8_reply_is_a_parse_error(
    wsgi_server: Callable[[Any], str], capsys: pytest.CaptureFixture[str]
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [b"<xml><Content>\xff\xfe</Content></xml>"]

    result = run(capsys, "push", wsgi_server(app), *PUSH)
    assert_user_error(*result, "push", "ParseError", "UTF-8")


def test_argument_not_utf8_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "k\udcffey"  # what Python makes of undecodable bytes in argv
    code, out, err = run(capsys, "pay", "sign", "--key", secret, "a=1")
    assert (code, out) == (2, "")
    assert err == "wxkit: argument 4 is not valid UTF-8\n"  # and never the key itself


def test_interrupt_exits_130(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from wxkit.testing import WeChatPusher

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(WeChatPusher, "post", interrupted)
    try:
        code, out, err = run(capsys, "push", "http://127.0.0.1:9/", *PUSH)
    except KeyboardInterrupt:  # would stop the whole pytest session
        pytest.fail("KeyboardInterrupt escaped main()")
    assert (code, out, err) == (130, "", "wxkit push: interrupted\n")


# -- --version and help -----------------------------------------------------------


def installed_version() -> str:
    return importlib.metadata.version("wxkit")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"wxkit {installed_version()}\n"


def test_version_falls_back_to_dunder_version(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import wxkit

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    monkeypatch.setattr(wxkit, "__version__", "9.8.7", raising=False)
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == "wxkit 9.8.7\n"


def test_python_m_wxkit_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wxkit", "--version"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"wxkit {installed_version()}\n"


def all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += all_parsers(child)
    return found


def test_every_option_has_help() -> None:
    parsers = all_parsers(build_parser())
    assert {p.prog for p in parsers} >= {f"wxkit {c}" for c in ("demo", "push", "emulator", "decrypt", "sign")}
    assert "wxkit pay sign" in {p.prog for p in parsers}
    for parser in parsers:
        for action in parser._actions:
            assert (action.help or "").strip(), f"{parser.prog}: {action.option_strings or action.dest}"
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert (choice.help or "").strip(), f"{parser.prog} {choice.dest}"
