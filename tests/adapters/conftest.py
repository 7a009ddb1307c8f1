"""Shared bots and signed-push builders for the adapter tests.

Every adapter test file gets the same three fixtures:

* ``bot`` - an official-account :class:`EchoBot` in safe-mode-capable
  configuration (plaintext pushes work too) with a small body limit;
* ``work_bot`` - a WeCom :class:`WorkEchoBot`;
* ``pushes`` - a :class:`Pushes` that builds signed query parameters and
  bodies and checks replies.

Each adapter file turns ``(method, params, body)`` into a request through its
framework's own test client and returns an :class:`HttpResult` (its ``send``
fixture), and runs the checks every adapter passes with
``class TestContract(AdapterContract)``.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, NamedTuple

import pytest

from wxkit import WxApplication
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.messages import TextMessage
from wxkit.work import WorkApplication
from wxkit.xmlcodec import parse_xml

TOKEN = "adapter-test-token"
APP_ID = "wx0123456789abcdef"
CORP_ID = "ww0123456789abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
USER = "o-user-openid"
ACCOUNT = "gh_account"
#: The bots' max_body_size: small, so that "too large" tests stay cheap.
BODY_LIMIT = 4096
XML = "application/xml"

_msg_ids = itertools.count(int(time.time() * 1000))


class EchoBot(WxApplication):
    """Echo text, welcome subscribers."""

    allow_plaintext = True  # these tests push plaintext and safe mode to one bot

    def on_text(self, message: TextMessage) -> str:
        return f"echo: {message.content}"

    def on_subscribe(self, message: Any) -> str:
        return "welcome"


class WorkEchoBot(WorkApplication):
    """The WeCom twin of :class:`EchoBot`."""

    def on_text(self, message: TextMessage) -> str:
        return f"work echo: {message.content}"


class HttpResult(NamedTuple):
    """A response as seen through a test client."""

    status: int
    content_type: str
    text: str


Request = tuple[dict[str, str], str]  # (query parameters, body)


class Pushes:
    """Builds signed requests for :class:`EchoBot` / :class:`WorkEchoBot` and checks their replies."""

    def __init__(self) -> None:
        self.crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
        self.work_crypto = MessageCrypto(TOKEN, AES_KEY, CORP_ID)

    @staticmethod
    def _stamp() -> tuple[str, str]:
        return str(int(time.time())), f"n{next(_msg_ids)}"

    def text_xml(self, content: str, *, agent_id: int | None = None) -> str:
        """A text message with a fresh MsgId (the replay guard refuses repeats)."""
        agent = f"<AgentID>{agent_id}</AgentID>" if agent_id is not None else ""
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{USER}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{next(_msg_ids)}</MsgId>{agent}</xml>"
        )

    def signed(self) -> dict[str, str]:
        """Plaintext-mode query parameters: ``signature`` over token / timestamp / nonce."""
        ts, nonce = self._stamp()
        return {"signature": sha1_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}

    def url_check(self, echostr: str = "echo-4242") -> dict[str, str]:
        """An official-account URL check (GET)."""
        return {**self.signed(), "echostr": echostr}

    def plain(self, content: str = "hello") -> Request:
        """A plaintext text push."""
        return self.signed(), self.text_xml(content)

    def _encrypted(self, crypto: MessageCrypto, xml: str, extra: dict[str, str]) -> Request:
        ts, nonce = self._stamp()
        enc = crypto.encrypt(xml)
        params = {**extra, "timestamp": ts, "nonce": nonce, "msg_signature": crypto.signature(ts, nonce, enc)}
        return params, f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"

    def safe(self, content: str = "hello") -> Request:
        """A safe-mode (``encrypt_type=aes``) text push."""
        params, body = self._encrypted(self.crypto, self.text_xml(content), {"encrypt_type": "aes"})
        params["signature"] = sha1_signature(TOKEN, params["timestamp"], params["nonce"])
        return params, body

    def bad_signature(self) -> Request:
        """A plaintext push whose signature does not match."""
        params, body = self.plain()
        params["signature"] = "0" * 40
        return params, body

    def malformed(self) -> Request:
        """A correctly signed push whose body is not well-formed XML."""
        return self.signed(), "<xml><ToUserName>broken"

    def oversized(self) -> Request:
        """A correctly signed push over :data:`BODY_LIMIT`."""
        params, body = self.plain()
        return params, body.replace("</xml>", "<Pad>" + "x" * BODY_LIMIT + "</Pad></xml>")

    def work_url_check(self, echostr: str = "work-echo-77") -> dict[str, str]:
        """A WeCom URL check: ``echostr`` encrypted and signed with ``msg_signature``."""
        ts, nonce = self._stamp()
        enc = self.work_crypto.encrypt(echostr)
        return {
            "msg_signature": self.work_crypto.signature(ts, nonce, enc),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": enc,
        }

    def work_push(self, content: str = "hi") -> Request:
        """A WeCom (always encrypted) text push."""
        return self._encrypted(self.work_crypto, self.text_xml(content, agent_id=1000002), {})

    # -- checking replies ------------------------------------------------
    @staticmethod
    def result(status: int, content_type: str | None, text: str) -> HttpResult:
        """What the adapter test files return from their test-client calls."""
        return HttpResult(status, content_type or "", text)

    @staticmethod
    def text_reply(result: HttpResult) -> dict[str, Any]:
        """Check a 200 XML reply and return it parsed."""
        assert result.status == 200, result
        assert result.content_type.startswith(XML)
        return parse_xml(result.text)

    def decrypted_reply(self, result: HttpResult, *, work: bool = False) -> dict[str, Any]:
        """Check a safe-mode reply envelope's signature, decrypt it and return the inner reply parsed."""
        crypto = self.work_crypto if work else self.crypto
        envelope = self.text_reply(result)
        crypto.check_signature(envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"])
        return parse_xml(crypto.decrypt(envelope["Encrypt"]))

    @staticmethod
    def assert_echo(reply: dict[str, Any], content: str) -> None:
        """Check a text reply addressed back to the sender."""
        assert reply["MsgType"] == "text"
        assert reply["Content"] == content
        assert reply["ToUserName"] == USER
        assert reply["FromUserName"] == ACCOUNT


class AdapterContract:
    """What every adapter answers, through its test module's ``send(method, params, body, path=...)`` fixture.

    ``path="/work"`` reaches ``work_bot``; any other path ``bot``.
    """

    def test_url_check(self, send: Any, pushes: Pushes) -> None:
        result = send("GET", pushes.url_check("e-1"))
        assert (result.status, result.text) == (200, "e-1")
        assert result.content_type.startswith("text/plain")

    def test_plain_text_push(self, send: Any, pushes: Pushes) -> None:
        pushes.assert_echo(pushes.text_reply(send("POST", *pushes.plain("hi"))), "echo: hi")

    def test_safe_mode_push(self, send: Any, pushes: Pushes) -> None:
        pushes.assert_echo(pushes.decrypted_reply(send("POST", *pushes.safe("secret"))), "echo: secret")

    def test_wrong_signature_is_403(self, send: Any, pushes: Pushes) -> None:
        assert send("POST", *pushes.bad_signature()).status == 403

    def test_malformed_xml_is_400(self, send: Any, pushes: Pushes) -> None:
        assert send("POST", *pushes.malformed()).status == 400

    def test_body_over_limit_is_413(self, send: Any, pushes: Pushes) -> None:
        assert send("POST", *pushes.oversized()).status == 413

    def test_work_round_trip(self, send: Any, pushes: Pushes) -> None:
        result = send("GET", pushes.work_url_check("plain-echo"), path="/work")
        assert (result.status, result.text) == (200, "plain-echo")
        reply = pushes.decrypted_reply(send("POST", *pushes.work_push("yo"), path="/work"), work=True)
        pushes.assert_echo(reply, "work echo: yo")


@pytest.fixture
def bot() -> EchoBot:
    """A fresh official-account bot (safe mode available, no timestamp window)."""
    return EchoBot(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, timestamp_window=None, max_body_size=BODY_LIMIT)


@pytest.fixture
def work_bot() -> WorkEchoBot:
    """A fresh WeCom bot."""
    return WorkEchoBot(token=TOKEN, corp_id=CORP_ID, aes_key=AES_KEY, timestamp_window=None, max_body_size=BODY_LIMIT)


@pytest.fixture
def pushes() -> Pushes:
    """The signed-request builder."""
    return Pushes()
