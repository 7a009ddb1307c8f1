"""The push half of the emulator: build, deliver and read pushes as WeChat would.

:class:`WeChatPusher` builds the request WeChat sends to a bot for any message
or event - signed, and encrypted in safe mode (official accounts) or always
(WeCom) - delivers it to an application object (:meth:`~WeChatPusher.deliver`)
or POSTs it to a URL (:meth:`~WeChatPusher.post`), and verifies and decrypts
the reply into a :class:`PushReply`.

Only the standard library is used for HTTP, so a message-only bot's tests do
not need ``requests``.
"""

from __future__ import annotations

import itertools
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..crypto import MessageCrypto, check_signature, random_nonce, sha1_signature
from ..errors import ParseError
from ..xmlcodec import parse_xml, render_xml

if TYPE_CHECKING:
    from ..app import BaseApplication

__all__ = ["Push", "PushReply", "WeChatPusher"]


@attrs.frozen
class Push:
    """One request as WeChat would send it: query ``params``, POST ``body`` and the plaintext ``xml``."""

    params: dict[str, str]
    body: str
    xml: str
    fields: dict[str, Any] = attrs.field(repr=False)

    @property
    def query_string(self) -> str:
        """``params`` URL-encoded."""
        return urllib.parse.urlencode(self.params)


@attrs.frozen
class PushReply:
    """A bot's answer to a push, verified and decrypted.

    ``xml`` is the plaintext reply XML (``""`` for the empty "success"
    answer) and ``data`` its parsed dict (``{}`` for "success").
    """

    status: int
    body: str
    xml: str
    data: dict[str, Any]
    encrypted: bool

    @property
    def is_success(self) -> bool:
        """Whether the bot answered the empty ``success`` (or an empty body)."""
        return self.status == 200 and not self.xml

    @property
    def msg_type(self) -> str:
        """The reply's ``MsgType`` (``""`` for "success")."""
        return str(self.data.get("MsgType", ""))

    @property
    def content(self) -> str:
        """The reply's ``Content`` (text replies), else ``""``."""
        return str(self.data.get("Content", ""))


class WeChatPusher:
    """Builds and delivers the pushes WeChat sends to one bot.

    Official account, plaintext mode: ``WeChatPusher(token)``; safe mode:
    ``WeChatPusher(token, app_id=..., aes_key=...)``; WeCom:
    ``WeChatPusher(token, aes_key=..., corp_id=..., agent_id=1)`` (always
    encrypted, ``msg_signature`` only). ``openid`` is the sender and
    ``account`` the receiving account's id. ``clock`` gives the wall time
    used for ``timestamp`` and ``CreateTime``.
    """

    def __init__(
        self,
        token: str,
        *,
        app_id: str | None = None,
        aes_key: str | None = None,
        corp_id: str | None = None,
        agent_id: int | None = None,
        openid: str = "o_test_user",
        account: str = "gh_test_account",
        safe_mode: bool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if corp_id is not None and not aes_key:
            raise ValueError("WeCom pushes are always encrypted: corp_id needs aes_key")
        if aes_key and corp_id is None and not app_id:
            raise ValueError("safe mode needs app_id (the receive id) with aes_key")
        self.token = token
        self.work = corp_id is not None
        self.openid = openid
        self.account = corp_id if (self.work and account == "gh_test_account") else account
        self.agent_id = agent_id if agent_id is not None else (1 if self.work else None)
        self.clock = clock
        self.crypto: MessageCrypto | None = None
        if aes_key:
            self.crypto = MessageCrypto(token, aes_key, (corp_id if self.work else app_id) or "")
        self.safe_mode = (self.crypto is not None) if safe_mode is None else safe_mode
        if self.safe_mode and self.crypto is None:
            raise ValueError("safe mode needs aes_key")
        self._msg_ids = itertools.count(secrets.randbelow(10**12) * 1000 + 10**18)

    # -- building -----------------------------------------------------------
    def message(self, msg_type: str, **fields: Any) -> Push:
        """Build a push of any ``MsgType``; ``fields`` are XML element names (CamelCase)."""
        data: dict[str, Any] = {
            "ToUserName": self.account,
            "FromUserName": self.openid,
            "CreateTime": int(self.clock()),
            "MsgType": msg_type,
        }
        if msg_type != "event":
            data["MsgId"] = next(self._msg_ids)
        if self.agent_id is not None:
            data["AgentID"] = self.agent_id
        data.update(fields)
        return self.build(data)

    def text(self, content: str, **fields: Any) -> Push:
        """A text message."""
        return self.message("text", Content=content, **fields)

    def image(self, media_id: str = "media_1", pic_url: str = "http://example.invalid/p.jpg", **fields: Any) -> Push:
        """An image message."""
        return self.message("image", PicUrl=pic_url, MediaId=media_id, **fields)

    def voice(self, media_id: str = "media_1", recognition: str | None = None, **fields: Any) -> Push:
        """A voice message, with speech recognition text when given."""
        if recognition is not None:
            fields["Recognition"] = recognition
        return self.message("voice", MediaId=media_id, Format="amr", **fields)

    def location(self, x: float = 23.134521, y: float = 113.358803, label: str = "", **fields: Any) -> Push:
        """A location message (``x`` latitude, ``y`` longitude)."""
        return self.message("location", Location_X=str(x), Location_Y=str(y), Scale=20, Label=label, **fields)

    def link(self, url: str, title: str = "", description: str = "", **fields: Any) -> Push:
        """A link message."""
        return self.message("link", Title=title, Description=description, Url=url, **fields)

    def event(self, event: str, **fields: Any) -> Push:
        """An event push; ``event`` is WeChat's ``Event`` value (``subscribe``, ``CLICK``...)."""
        return self.message("event", Event=event, **fields)

    def subscribe(self, scene: str | None = None) -> Push:
        """A subscribe event, via a parametric QR code when ``scene`` is given."""
        if scene is None:
            return self.event("subscribe", EventKey="")
        return self.event("subscribe", EventKey=f"qrscene_{scene}", Ticket="test_ticket")

    def click(self, key: str) -> Push:
        """A menu click event."""
        return self.event("CLICK", EventKey=key)

    def build(self, data: Mapping[str, Any]) -> Push:
        """Sign (and encrypt) a push whose XML fields are ``data``."""
        xml = render_xml(data)
        timestamp = str(int(self.clock()))
        nonce = random_nonce()
        if not self.safe_mode:
            params = {"signature": sha1_signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
            params["openid"] = self.openid
            return Push(params, xml, xml, dict(data))
        assert self.crypto is not None
        enc = self.crypto.encrypt(xml)
        msg_signature = self.crypto.signature(timestamp, nonce, enc)
        if self.work:
            params = {"msg_signature": msg_signature, "timestamp": timestamp, "nonce": nonce}
            body = render_xml({"ToUserName": self.account, "AgentID": self.agent_id or 0, "Encrypt": enc})
        else:
            params = {
                "signature": sha1_signature(self.token, timestamp, nonce),
                "timestamp": timestamp,
                "nonce": nonce,
                "openid": self.openid,
                "encrypt_type": "aes",
                "msg_signature": msg_signature,
            }
            body = render_xml({"ToUserName": self.account, "Encrypt": enc})
        return Push(params, body, xml, dict(data))

    def url_check(self, echostr: str = "wxkit-echo") -> tuple[dict[str, str], str]:
        """The URL-verification GET params, and the echostr the bot must answer."""
        timestamp = str(int(self.clock()))
        nonce = random_nonce()
        if self.work:
            assert self.crypto is not None
            enc = self.crypto.encrypt(echostr)
            sig = self.crypto.signature(timestamp, nonce, enc)
            return {"msg_signature": sig, "timestamp": timestamp, "nonce": nonce, "echostr": enc}, echostr
        sig = sha1_signature(self.token, timestamp, nonce)
        return {"signature": sig, "timestamp": timestamp, "nonce": nonce, "echostr": echostr}, echostr

    # -- delivering ---------------------------------------------------------
    def deliver(self, app: BaseApplication, push: Push) -> PushReply:
        """Give ``push`` to an application object through ``handle()`` and read the reply."""
        response = app.handle("POST", push.params, push.body)
        return self.read_reply(response.status, response.body)

    def post(self, url: str, push: Push, *, timeout: float = 10.0) -> PushReply:
        """POST ``push`` to a running bot at ``url`` and read the reply."""
        sep = "&" if "?" in url else "?"
        req = urllib.request.Request(  # noqa: S310 - the URL is the tester's own bot
            url + sep + push.query_string,
            data=push.body.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - see above
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        return self.read_reply(status, raw)

    def read_reply(self, status: int, body: str | bytes) -> PushReply:
        """Verify and decrypt a bot's answer; raise a wxkit error if it is not valid.

        ``body`` is the answer's text, or its raw bytes (what the Flask and
        Django test clients give): bytes are decoded as UTF-8, and a 200
        answer that is not valid UTF-8 is a :class:`~wxkit.errors.ParseError`
        (the body of any other status is decoded with replacement characters).
        """
        if isinstance(body, (bytes, bytearray, memoryview)):
            raw = bytes(body)
            try:
                body = raw.decode("utf-8", "strict" if status == 200 else "replace")
            except UnicodeDecodeError as exc:
                raise ParseError(f"the reply body is not valid UTF-8 (bad byte at offset {exc.start})") from None
        elif not isinstance(body, str):
            raise TypeError(f"body must be str or bytes, not {type(body).__name__}")
        if status != 200:
            return PushReply(status, body, "", {}, False)
        text = body.strip()
        if text in ("", "success"):
            return PushReply(status, body, "", {}, False)
        data = parse_xml(text)
        if "Encrypt" not in data:
            if self.safe_mode:
                raise ParseError("a safe-mode push was answered in plaintext")
            return PushReply(status, body, text, data, False)
        assert self.crypto is not None
        enc = str(data["Encrypt"])
        ts, nonce = str(data.get("TimeStamp", "")), str(data.get("Nonce", ""))
        check_signature(str(data.get("MsgSignature", "")), self.token, ts, nonce, enc)
        xml = self.crypto.decrypt(enc)
        return PushReply(status, body, xml, parse_xml(xml), True)
