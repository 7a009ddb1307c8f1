"""The emulator's mini-program pushes: :class:`MiniProgramPusher`.

WeChat pushes a mini program's customer-service messages and events in the
data format chosen in the console, JSON or XML, and in plaintext, compatible
(plaintext fields beside ``Encrypt``) or safe mode (``Encrypt`` only).
:class:`MiniProgramPusher` builds those requests exactly so, delivers them to
an application object (:meth:`~MiniProgramPusher.deliver`) or POSTs them to a
URL (:meth:`~MiniProgramPusher.post`), and verifies and decrypts the answer
into a :class:`~wxkit.testing.PushReply` (its ``xml`` is the plaintext answer,
JSON or XML; ``data`` its parsed dict)::

    pusher = MiniProgramPusher(token, app_id=appid, aes_key=key, data_format="json", mode="safe")
    reply = pusher.deliver(app, pusher.text("hello"))
    reply = pusher.deliver(app, pusher.media_check("trace-1", suggest="risky", label=20002))
    reply = pusher.deliver(app, pusher.wrap(documented_body))     # any body, sent as is

Only the standard library is used for HTTP.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..crypto import MessageCrypto, check_signature, random_nonce, sha1_signature
from ..errors import ParseError
from ..jsoncodec import load_json
from ..xmlcodec import parse_xml, render_xml
from .push import Push, PushReply

if TYPE_CHECKING:
    from ..app import BaseApplication

__all__ = ["MODES", "MiniProgramPusher"]

#: The message encryption modes of the console: plaintext, compatible (both), safe (ciphertext only).
MODES = ("plaintext", "compatible", "safe")
_FORMATS = ("json", "xml")
_LIST_WRAPPERS = {
    "subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
    "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
    "subscribe_msg_sent_event": "SubscribeMsgSentEvent",
}


def _format_of(text: str) -> str:
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head == "{":
        return "json"
    if head == "<":
        return "xml"
    raise ParseError("the body is neither JSON nor XML")


class MiniProgramPusher:
    """Builds and delivers the pushes WeChat sends to one mini program.

    ``data_format`` is ``"json"`` or ``"xml"``; ``mode`` one of :data:`MODES`
    (default ``"safe"`` with ``aes_key``, else ``"plaintext"``; compatible and
    safe mode need ``app_id`` and ``aes_key``). ``openid`` is the sender,
    ``account`` the mini program's original id (``gh_...``); ``clock`` gives
    the wall time used for ``timestamp`` and ``CreateTime``.
    """

    def __init__(
        self,
        token: str,
        *,
        app_id: str | None = None,
        aes_key: str | None = None,
        data_format: str = "json",
        mode: str | None = None,
        openid: str = "o_test_user",
        account: str = "gh_test_miniprogram",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if data_format not in _FORMATS:
            raise ValueError(f"data_format must be one of {_FORMATS}, got {data_format!r}")
        mode = mode or ("safe" if aes_key else "plaintext")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode != "plaintext" and not (aes_key and app_id):
            raise ValueError(f"{mode} mode needs app_id and aes_key")
        self.token = token
        self.data_format = data_format
        self.mode = mode
        self.openid = openid
        self.account = account
        self.clock = clock
        self.crypto = MessageCrypto(token, aes_key, app_id or "") if aes_key else None
        self._msg_ids = itertools.count(secrets.randbelow(10**12) * 1000 + 10**15)

    def __repr__(self) -> str:
        return f"MiniProgramPusher(data_format={self.data_format!r}, mode={self.mode!r})"

    # -- building -----------------------------------------------------------
    def message(self, msg_type: str, **fields: Any) -> Push:
        """A push of any ``MsgType``; ``fields`` are WeChat's field names (CamelCase), ints stay numbers in JSON."""
        data: dict[str, Any] = {
            "ToUserName": self.account,
            "FromUserName": self.openid,
            "CreateTime": int(self.clock()),
            "MsgType": msg_type,
        }
        if msg_type != "event":
            data["MsgId"] = next(self._msg_ids)
        data.update(fields)
        return self.build(data)

    def text(self, content: str, **fields: Any) -> Push:
        """A customer-service text message."""
        return self.message("text", Content=content, **fields)

    def image(self, media_id: str = "media_1", pic_url: str = "http://example.invalid/p.jpg", **fields: Any) -> Push:
        """A customer-service image message."""
        return self.message("image", PicUrl=pic_url, MediaId=media_id, **fields)

    def miniprogrampage(
        self, title: str = "A page", *, app_id: str = "wx_card_app", page_path: str = "pages/index", **fields: Any
    ) -> Push:
        """A mini-program card sent in the customer-service conversation."""
        fields.setdefault("ThumbUrl", "http://example.invalid/thumb.jpg")
        fields.setdefault("ThumbMediaId", "thumb_media_1")
        return self.message("miniprogrampage", Title=title, AppId=app_id, PagePath=page_path, **fields)

    def event(self, event: str, **fields: Any) -> Push:
        """An event push; ``event`` is WeChat's ``Event`` value."""
        return self.message("event", Event=event, **fields)

    def user_enter_tempsession(self, session_from: str = "") -> Push:
        """The user opened the customer-service conversation (``session-from`` of the button)."""
        return self.event("user_enter_tempsession", SessionFrom=session_from)

    def media_check(
        self, trace_id: str, *, suggest: str = "pass", label: int = 100, appid: str = "", **fields: Any
    ) -> Push:
        """The ``wxa_media_check`` result of ``media_check_async`` (version 2), from WeChat's push service."""
        detail = {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}
        data: dict[str, Any] = {
            "appid": appid,
            "trace_id": trace_id,
            "version": 2,
            "detail": [detail],
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": suggest, "label": label},
        }
        data.update(fields)
        return self.event("wxa_media_check", **data)

    def subscribe_event(self, event: str, items: Iterable[Mapping[str, Any]]) -> Push:
        """A subscribe-message event carrying ``items`` (dicts of WeChat's field names), shaped per format.

        XML: a ``<SubscribeMsg...Event>`` wrapper with one ``<List>`` per item;
        JSON: a top-level ``"List"``, an object for one item and an array for
        several, as WeChat sends them.
        """
        wrapper = _LIST_WRAPPERS.get(event)
        if wrapper is None:
            raise ValueError(f"not a subscribe-message event: {event!r}")
        listed = [dict(item) for item in items]
        if self.data_format == "xml":
            return self.event(event, **{wrapper: {"List": listed}})
        return self.event(event, List=listed[0] if len(listed) == 1 else listed)

    def subscribe_popup(self, *accepted: str, rejected: Iterable[str] = (), scene: int = 0) -> Push:
        """The user answered a subscribe popup: ``accept`` for ``accepted`` templates, ``reject`` for ``rejected``."""
        items = [{"TemplateId": t, "SubscribeStatusString": "accept", "PopupScene": scene} for t in accepted]
        items += [{"TemplateId": t, "SubscribeStatusString": "reject", "PopupScene": scene} for t in rejected]
        return self.subscribe_event("subscribe_msg_popup_event", items)

    def subscribe_sent(
        self, template_id: str, msg_id: str, *, error_code: int = 0, error_status: str = "success"
    ) -> Push:
        """The delivery result of one subscribe message."""
        item = {"TemplateId": template_id, "MsgID": msg_id, "ErrorCode": error_code, "ErrorStatus": error_status}
        return self.subscribe_event("subscribe_msg_sent_event", [item])

    def render(self, data: Mapping[str, Any]) -> str:
        """``data`` as a body in this pusher's format (compact JSON, or WeChat-style XML)."""
        if self.data_format == "json":
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return render_xml(data)

    def build(self, data: Mapping[str, Any]) -> Push:
        """Render ``data`` in this pusher's format, then sign (and encrypt) it: :meth:`wrap`."""
        return self.wrap(self.render(data), fields=data)

    def wrap(self, plaintext: str, *, fields: Mapping[str, Any] | None = None) -> Push:
        """Sign (and, in compatible or safe mode, encrypt) the body ``plaintext`` exactly as given.

        For sending a documented sample as it is. ``Push.xml`` is the
        plaintext (JSON or XML text); the envelope of compatible and safe mode
        is written in ``plaintext``'s own format.
        """
        fmt = _format_of(plaintext)
        if fields is None:
            fields = self._parse(plaintext, fmt)
        timestamp = str(int(self.clock()))
        nonce = random_nonce()
        params = {"signature": sha1_signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        params["openid"] = self.openid
        if self.mode == "plaintext":
            return Push(params, plaintext, plaintext, dict(fields))
        assert self.crypto is not None
        encrypted = self.crypto.encrypt(plaintext)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = self.crypto.signature(timestamp, nonce, encrypted)
        to_user = str(fields.get("ToUserName", self.account))
        envelope: dict[str, Any] = {"ToUserName": to_user, "Encrypt": encrypted}
        if self.mode == "compatible":  # the plaintext fields beside the ciphertext
            envelope = {**fields, "Encrypt": encrypted}
        body = (
            json.dumps(envelope, ensure_ascii=False, separators=(",", ":")) if fmt == "json" else render_xml(envelope)
        )
        return Push(params, body, plaintext, dict(fields))

    def url_check(self, echostr: str = "wxkit-echo") -> tuple[dict[str, str], str]:
        """The URL-verification GET params, and the echostr the application must answer."""
        timestamp = str(int(self.clock()))
        nonce = random_nonce()
        sig = sha1_signature(self.token, timestamp, nonce)
        return {"signature": sig, "timestamp": timestamp, "nonce": nonce, "echostr": echostr}, echostr

    # -- delivering ---------------------------------------------------------
    def deliver(self, app: BaseApplication, push: Push) -> PushReply:
        """Give ``push`` to an application object through ``handle()`` and read the answer."""
        response = app.handle("POST", push.params, push.body)
        return self.read_reply(response.status, response.body, push=push)

    async def deliver_async(self, app: BaseApplication, push: Push) -> PushReply:
        """:meth:`deliver` through ``handle_async()``."""
        response = await app.handle_async("POST", push.params, push.body)
        return self.read_reply(response.status, response.body, push=push)

    def post(self, url: str, push: Push, *, timeout: float = 10.0) -> PushReply:
        """POST ``push`` to a running application at ``url`` and read the answer."""
        sep = "&" if "?" in url else "?"
        content_type = "application/json" if push.body.lstrip().startswith("{") else "text/xml"
        req = urllib.request.Request(  # noqa: S310 - the URL is the tester's own server
            url + sep + push.query_string,
            data=push.body.encode("utf-8"),
            headers={"Content-Type": f"{content_type}; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - see above
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        return self.read_reply(status, raw, push=push)

    def read_reply(self, status: int, body: str | bytes, *, push: Push | None = None) -> PushReply:
        """Verify and decrypt an answer (JSON or XML); raise a wxkit error if WeChat would not accept it.

        A 200 answer other than ``success`` / empty must be in the push's
        format (``push`` given: that push's, else :attr:`data_format`), and
        encrypted and correctly signed when the push was.
        """
        if isinstance(body, (bytes, bytearray, memoryview)):
            try:
                body = bytes(body).decode("utf-8", "strict" if status == 200 else "replace")
            except UnicodeDecodeError as exc:
                raise ParseError(f"the reply body is not valid UTF-8 (bad byte at offset {exc.start})") from None
        if status != 200:
            return PushReply(status, body, "", {}, False)
        text = body.strip()
        if text in ("", "success"):
            return PushReply(status, body, "", {}, False)
        expected = _format_of(push.xml) if push is not None else self.data_format
        fmt = _format_of(text)
        if fmt != expected:
            raise ParseError(f"a {expected.upper()} push was answered in {fmt.upper()}")
        data = self._parse(text, fmt)
        encrypted_push = push is not None and "encrypt_type" in push.params
        if "Encrypt" not in data:
            if encrypted_push:
                raise ParseError("an encrypted push was answered in plaintext")
            return PushReply(status, body, text, data, False)
        if self.crypto is None:
            raise ParseError("an encrypted answer, but this pusher has no aes_key")
        enc = str(data["Encrypt"])
        ts, nonce = str(data.get("TimeStamp", "")), str(data.get("Nonce", ""))
        check_signature(str(data.get("MsgSignature", "")), self.token, ts, nonce, enc)
        plain = self.crypto.decrypt(enc)
        if _format_of(plain) != fmt:
            raise ParseError(f"a {fmt.upper()} envelope holds a reply in another format")
        return PushReply(status, body, plain, self._parse(plain, fmt), True)

    @staticmethod
    def _parse(text: str, fmt: str) -> dict[str, Any]:
        if fmt == "xml":
            return parse_xml(text)
        data = load_json(text, what="the body")
        if not isinstance(data, dict):
            raise ParseError("the body is not a JSON object")
        return data
