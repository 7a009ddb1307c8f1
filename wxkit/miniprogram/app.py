"""Mini-program message push (消息推送): :class:`MiniProgramApplication`.

WeChat pushes a mini program's customer-service messages and events
(``user_enter_tempsession``, ``wxa_media_check``, subscribe-message events
...) to the URL set in the console, in the **data format** chosen there, XML
or JSON, and in plaintext, compatible or safe mode::

    from wxkit.miniprogram import MiniProgramApplication

    class Push(MiniProgramApplication):
        token = "..."; app_id = "wx..."; aes_key = "..."      # aes_key: compatible / safe mode

        def on_user_enter_tempsession(self, event):
            client.customer_service.send_text(event.from_user_name, "Hi! How can we help?")

        def on_text(self, msg):
            return TransferCustomerServiceReply()             # hand the message to customer service

        def on_wxa_media_check(self, event):
            mark_checked(event.trace_id, event.passed)

The handler model, hooks, routes, sessions, replay guard (timestamp window,
WeChat's retries answered once) and the ``handle`` / ``handle_async`` /
``process`` entry points are :class:`wxkit.BaseApplication`'s, as for
official accounts. The format of each push is read from its body (``{``:
JSON, ``<``: XML), so a console switched from one to the other needs no
change here; a safe-mode push's decrypted payload is detected the same way,
and the reply (and its encrypted envelope) is written in the push's format.

**Replies.** A mini program cannot reply passively with a message: the only
answers are ``"success"`` (a handler returning ``None``, or
:class:`~wxkit.replies.SuccessReply`) and
:class:`~wxkit.replies.TransferCustomerServiceReply` (to a user message, not
an event; without ``kf_account``, which mini programs do not have). Send
messages with ``client.customer_service`` instead. A handler returning
anything else (text, an image reply ...) is refused when the reply is
rendered: :class:`PassiveReplyError` is logged on the ``wxkit.app`` logger
and handed to :meth:`~wxkit.BaseApplication.on_error`, and WeChat is answered
``"success"``. ``unsupported_reply`` and ``welcome_reply`` are refused at
construction (:class:`~wxkit.errors.ConfigError`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from ..app import BaseApplication, HandlerResult, WxResponse, _is_text, _param
from ..crypto import MessageCrypto, check_signature, random_nonce
from ..errors import ConfigError, DecryptError, ParseError, SignatureError, WxError
from ..events import Event
from ..jsoncodec import load_json
from ..messages import BaseMessage, TypeRegistry
from ..replies import SuccessReply, TransferCustomerServiceReply
from ..xmlcodec import parse_xml
from .messages import JSON, XML, miniprogram_registry

__all__ = ["MiniProgramApplication", "PassiveReplyError", "parse_body"]

_JSON_TYPE = "application/json; charset=utf-8"
_BOM = b"\xef\xbb\xbf"


class PassiveReplyError(WxError, TypeError):
    """A mini-program handler returned a reply mini programs cannot send passively.

    Mini programs answer a push with ``"success"`` or a transfer to customer
    service only; messages go through ``client.customer_service``. Raised
    while rendering the reply: logged and handed to ``on_error``, the push is
    answered ``"success"``.
    """


def _json_to_xml_shape(value: Any) -> Any:
    """A parsed JSON value in the shape XML parsing gives: text for every scalar, objects and arrays kept.

    Numbers become their JSON text (``1482048670`` -> ``"1482048670"``),
    ``true`` / ``false`` -> ``"true"`` / ``"false"``, ``null`` -> ``""``: the
    typed classes read both formats with the same converters, and ``raw`` has
    one shape whatever the console's format.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {key: _json_to_xml_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_to_xml_shape(item) for item in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # int / float, as JSON writes it


def _detect(body: str | bytes) -> str:
    """``"json"`` or ``"xml"`` from a body's first significant character; anything else is a ParseError."""
    if isinstance(body, str):
        head = body.lstrip("\ufeff \t\r\n")[:1]
    else:
        raw = bytes(body).lstrip(b" \t\r\n")
        if raw.startswith(_BOM):
            raw = raw[len(_BOM) :].lstrip(b" \t\r\n")
        head = raw[:1].decode("latin-1")
    if head == "{":
        return JSON
    if head == "<":
        return XML
    raise ParseError("the push body is neither JSON (an object) nor XML")


def parse_body(body: str | bytes) -> tuple[dict[str, Any], str]:
    """Parse a push body (or a decrypted payload) in either format: ``(dict, "json" | "xml")``.

    JSON is parsed strictly (:func:`wxkit.jsoncodec.load_json`: UTF-8,
    bounded depth, no ``NaN``) and must be an object; its values are given
    the XML shape (see the module docs); XML is parsed safely
    (:func:`wxkit.xmlcodec.parse_xml`: no DTDs or entities). Bad input is a
    :class:`~wxkit.errors.ParseError`.
    """
    fmt = _detect(body)
    if fmt == XML:
        return parse_xml(body, max_size=None), XML
    data = load_json(body, what="the push body", max_size=None, allow_constants=False)
    if not isinstance(data, dict):
        raise ParseError("the push body is not a JSON object")
    try:  # a \\ud800 escape gives a lone surrogate, which no reply or log could carry as UTF-8
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError("the push body holds a lone surrogate (an unpaired \\ud800-style escape)") from None
    shaped: dict[str, Any] = _json_to_xml_shape(data)
    return shaped, JSON


def _seal_json(
    crypto: MessageCrypto,
    body: str,
    *,
    timestamp: str,
    nonce: str,
    receive_id: str | None = None,
    random_prefix: bytes | None = None,
) -> str:
    """The signed JSON envelope of an encrypted reply: ``{"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}``."""
    encrypted = crypto.encrypt(body, random_prefix=random_prefix, receive_id=receive_id)
    envelope = {
        "Encrypt": encrypted,
        "MsgSignature": crypto.signature(timestamp, nonce, encrypted),
        "TimeStamp": int(timestamp),
        "Nonce": nonce,
    }
    return json.dumps(envelope, separators=(",", ":"))


class MiniProgramApplication(BaseApplication):
    """A mini program's message-push application (JSON or XML; plaintext, compatible or safe mode).

    Configure ``token``, ``app_id`` and ``aes_key`` (``aes_key`` only for
    compatible / safe mode) as class attributes or constructor keywords; a
    malformed ``aes_key`` is a :class:`~wxkit.errors.ConfigError` here. With
    ``aes_key`` set, plaintext pushes are refused (403) unless
    ``allow_plaintext`` is on (only while switching modes). Handlers are
    ``on_text``, ``on_image``, ``on_miniprogrampage``,
    ``on_user_enter_tempsession``, ``on_wxa_media_check``,
    ``on_subscribe_msg_popup_event``, ``on_subscribe_msg_change_event``,
    ``on_subscribe_msg_sent_event``, ``on_unknown`` and ``on_default`` (see
    :mod:`wxkit.miniprogram.messages`). A handler returns ``None``
    (``"success"``) or a :class:`~wxkit.replies.TransferCustomerServiceReply`;
    anything else is refused with :class:`PassiveReplyError` (see the module docs).
    """

    registry: ClassVar[TypeRegistry] = miniprogram_registry
    app_id: str | None = None
    aes_key: str | None = None
    #: With ``aes_key`` set, plaintext pushes are refused (403) unless this is True.
    allow_plaintext: bool = False

    def __init__(
        self,
        *,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
        allow_plaintext: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self._crypto: MessageCrypto | None = None
        if allow_plaintext is not None:
            self.allow_plaintext = allow_plaintext
        self.app_id = app_id or self.app_id
        self.aes_key = aes_key or self.aes_key
        if self.unsupported_reply is not None or self.welcome_reply is not None:
            raise ConfigError(
                f"{type(self).__name__}: mini programs cannot reply with text passively "
                "(unsupported_reply / welcome_reply): send a customer-service message instead"
            )
        super().__init__(token=token, **kwargs)
        if self.aes_key:
            if not self.app_id:
                raise ConfigError("app_id is required with aes_key (it is the receive id)")
            assert self.token is not None
            self._crypto = MessageCrypto(self.token, self.aes_key, self.app_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} app_id={self.app_id!r} safe_mode={self._crypto is not None}>"

    # -- the URL check and the request's mode ----------------------------------
    def verify_url(self, params: Mapping[str, Any] | None) -> str:
        """Check ``signature`` over token/timestamp/nonce and return ``echostr`` (every mode and format)."""
        echostr = _param(params, "echostr")
        if not echostr:
            raise ParseError("missing echostr")
        timestamp = _param(params, "timestamp")
        assert self.token is not None
        check_signature(_param(params, "signature"), self.token, timestamp, _param(params, "nonce"))
        self.check_timestamp(timestamp)
        if not _is_text(echostr):  # it becomes the answer body, which must encode as UTF-8
            raise ParseError("echostr is not valid Unicode text (a lone surrogate)")
        return echostr

    def _crypto_for_request(self, params: Mapping[str, Any] | None) -> MessageCrypto | None:
        if _param(params, "encrypt_type").lower() != "aes":
            if self._crypto is not None and not self.allow_plaintext:
                # The plaintext signature does not cover the body: accepting it would let anyone who
                # saw one push URL post a forged body to a safe-mode application.
                raise SignatureError("plaintext push to a safe-mode app (aes_key set; allow_plaintext is off)")
            return None
        if self._crypto is None:
            raise DecryptError("safe-mode push (encrypt_type=aes) but this app has no aes_key configured")
        return self._crypto

    # -- one push: JSON or XML -------------------------------------------------
    def _open_push(
        self, params: Mapping[str, Any] | None, xml: str | bytes, crypto: MessageCrypto | None
    ) -> tuple[BaseMessage, str]:
        """Check size and signature, decrypt and parse a push in either format: ``(message, receive id)``."""
        body = xml
        max_size = self.max_body_size
        if max_size is not None and len(body) * 4 > max_size:
            size = len(body.encode("utf-8", "surrogatepass")) if isinstance(body, str) else len(body)
            if size > max_size:
                raise ParseError(f"body of {size} bytes exceeds the {max_size}-byte limit")
        timestamp = _param(params, "timestamp")
        nonce = _param(params, "nonce")
        token = self.token
        assert token is not None  # checked in __init__
        receive_id = ""
        if crypto is None:
            check_signature(_param(params, "signature"), token, timestamp, nonce)
            self.check_timestamp(timestamp)  # signed, so checked before any further work
            data, fmt = parse_body(body)
        else:
            # Compatible mode sends the plaintext fields beside Encrypt: they are not signed, so only
            # the ciphertext (covered by msg_signature) is read.
            envelope, _ = parse_body(body)
            encrypted = envelope.get("Encrypt")
            if not encrypted or not isinstance(encrypted, str):
                raise ParseError("missing Encrypt in a safe-mode push")
            crypto.check_signature(_param(params, "msg_signature"), timestamp, nonce, encrypted)
            self.check_timestamp(timestamp)
            plain, receive_id = crypto.decrypt_with_id(encrypted)
            data, fmt = parse_body(plain)
        message = self.registry.parse(data)
        if fmt == JSON and "data_format" in attrs.fields_dict(type(message)):
            changes: dict[str, Any] = {"data_format": JSON}  # every mini-program class has the field
            message = attrs.evolve(message, **changes)
        return message, receive_id

    def render(self, message: BaseMessage, reply: HandlerResult) -> str:
        """Render a handler result: ``"success"``, or a transfer to customer service in the push's format.

        Anything else raises :class:`PassiveReplyError` (logged and handed to
        ``on_error`` by the push flow; WeChat is answered ``"success"``).
        """
        if reply is None or isinstance(reply, SuccessReply):
            return "success"
        if not isinstance(reply, TransferCustomerServiceReply):
            what = "text (a str)" if isinstance(reply, str) else f"a {type(reply).__name__}"
            raise PassiveReplyError(
                f'a mini program cannot answer a push with {what}: return None ("success") or '
                "TransferCustomerServiceReply(), and send messages with client.customer_service"
            )
        if reply.kf_account:
            raise PassiveReplyError("a mini program transfers to customer service without a kf_account")
        if isinstance(message, Event):
            raise PassiveReplyError(
                f"transfer to customer service answers user messages only, not a {message.event!r} event"
            )
        create_time = int(self._clock())
        if getattr(message, "data_format", XML) == JSON:
            answer = {
                "ToUserName": message.from_user_name,
                "FromUserName": message.to_user_name,
                "CreateTime": create_time,
                "MsgType": TransferCustomerServiceReply.msg_type,
            }
            return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        return reply.render(message.from_user_name, message.to_user_name, create_time)

    def _seal_reply(self, body: str, crypto: MessageCrypto | None, receive_id: str) -> str:
        """Encrypt and sign a rendered reply in safe mode, in its own format (``success`` stays plain)."""
        if crypto is None or body == "success" or not body.startswith("{"):
            return super()._seal_reply(body, crypto, receive_id)
        return _seal_json(crypto, body, timestamp=str(int(self._clock())), nonce=random_nonce(), receive_id=receive_id)

    @staticmethod
    def _ok_response(result: str) -> WxResponse:
        """The answer carrying a response body: JSON, XML, ``success`` or an echostr."""
        if result.startswith("{"):
            return WxResponse(200, result, _JSON_TYPE)
        return BaseApplication._ok_response(result)
