"""The inbound core: :class:`WxApplication` and :class:`WxResponse`.

Subclass :class:`WxApplication`, write ``on_text`` / ``on_subscribe`` / ...
handlers, and call :meth:`~BaseApplication.process` (raises typed errors) or
:meth:`~BaseApplication.handle` (never raises for bad input; answers 4xx) from
any web framework. One push goes through:

1. body size check, signature check (``signature``, or ``msg_signature`` over
   ``Encrypt`` in safe mode), AES decryption and receive-id check;
2. safe XML parsing into a typed, frozen message or event;
3. the replay guard: timestamp window and duplicate-push suppression;
4. dispatch to the handler, ``pre_process`` / ``post_process`` hooks;
5. rendering the reply and, in safe mode, encrypting and signing it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs

from .crypto import MessageCrypto, check_signature, random_nonce
from .errors import (
    ConfigError,
    DecryptError,
    DuplicateMessageError,
    ParseError,
    SignatureError,
    StaleTimestampError,
    WxError,
)
from .events import Event, SubscribeEvent, UnknownEvent, official_registry
from .messages import BaseMessage, Message, TypeRegistry, UnknownMessage
from .replies import Reply, TextReply
from .storage import MemoryStorage, Storage
from .xmlcodec import DEFAULT_MAX_BODY_SIZE, parse_xml

__all__ = ["BaseApplication", "Handler", "HandlerResult", "WxApplication", "WxResponse"]

logger = logging.getLogger("wxkit.app")

#: What a handler may return: a reply object, text for a text reply, or None for "success".
HandlerResult = Reply | str | None
#: A handler in the ``handlers`` / ``event_handlers`` dicts: a callable taking the
#: message (bound methods work) or the name of a method of the application.
Handler = Callable[[Any], HandlerResult] | str

_UNSET: Any = object()
_TEXT = "text/plain; charset=utf-8"
_XML = "application/xml; charset=utf-8"


@attrs.frozen
class WxResponse:
    """What :meth:`BaseApplication.handle` answers: an HTTP status, body and content type."""

    status: int
    body: str
    content_type: str = _TEXT


def _param(params: Mapping[str, Any] | None, name: str) -> str:
    """Read one query parameter; list values (``parse_qs``) give their last item."""
    if not params:
        return ""
    value = params.get(name)
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)


def _checked(reply: Any) -> HandlerResult:
    """Refuse handler results that are not a Reply, str or None (raised inside dispatch's guard)."""
    if reply is None or isinstance(reply, (str, Reply)):
        return reply
    raise TypeError(f"a handler must return a Reply, str or None, not {type(reply).__name__}")


class BaseApplication:
    """The handler model shared by :class:`WxApplication` and ``wxkit.work.WorkApplication``.

    Configuration is read from class attributes, overridable by constructor
    keywords:

    ``token``
        the callback token configured on WeChat's side.
    ``timestamp_window``
        seconds a push's timestamp may differ from now (default 300;
        ``None`` disables the check).
    ``dedup_ttl``
        seconds a handled push is remembered for duplicate suppression
        (default 600; ``None`` disables duplicate suppression).
    ``storage``
        the :class:`~wxkit.storage.Storage` behind duplicate suppression
        (default: a private :class:`~wxkit.storage.MemoryStorage`).
    ``max_body_size``
        the largest body accepted, in bytes (default 1 MiB).
    ``handlers`` / ``event_handlers``
        dicts overriding dispatch by ``MsgType`` (exact, as WeChat sends it) /
        by ``Event`` (case-insensitive); values are callables taking the
        message, or names of methods. They are checked at construction.
    ``unsupported_reply`` / ``welcome_reply``
        text answered to messages nobody handles / to a subscribe nobody handles.
    """

    registry: ClassVar[TypeRegistry] = official_registry
    token: str | None = None
    timestamp_window: float | None = 300
    dedup_ttl: float | None = 600
    storage: Storage | None = None
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE
    handlers: Mapping[str, Handler] = {}
    event_handlers: Mapping[str, Handler] = {}
    unsupported_reply: str | None = None
    welcome_reply: str | None = None
    #: What :meth:`handle` answers a duplicate push (WeChat's retry): 400 by default; set it to
    #: 200 to answer "success" instead, so WeChat never shows the user "service unavailable".
    duplicate_status: int = 400

    def __init__(
        self,
        *,
        token: str | None = None,
        storage: Storage | None = None,
        timestamp_window: float | None = _UNSET,
        dedup_ttl: float | None = _UNSET,
        max_body_size: int | None = _UNSET,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if token is not None:
            self.token = token
        if not self.token or not isinstance(self.token, str):
            raise ConfigError(f"{type(self).__name__}: token is required")
        if timestamp_window is not _UNSET:
            self.timestamp_window = timestamp_window
        if dedup_ttl is not _UNSET:
            self.dedup_ttl = dedup_ttl
        if max_body_size is not _UNSET:
            self.max_body_size = max_body_size
        if storage is not None:
            self.storage = storage
        if self.storage is None:
            self.storage = MemoryStorage()
        self._clock: Callable[[], float] = clock or time.time
        self._event_handlers = {k.lower(): v for k, v in self.event_handlers.items()}
        for key, value in [*self.handlers.items(), *self._event_handlers.items()]:
            target = getattr(self, value, None) if isinstance(value, str) else value
            if not callable(target):
                raise ConfigError(f"{type(self).__name__}: the handler for {key!r} is not a method or callable")
        self._dispatch_cache: dict[tuple[type[BaseMessage], str], Callable[[Any], HandlerResult] | None] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # -- hooks users override ------------------------------------------------
    def pre_process(self, message: BaseMessage) -> HandlerResult:
        """Run before the handler; return a reply to answer with it and skip the handler."""
        return None

    def post_process(self, message: BaseMessage, reply: HandlerResult) -> HandlerResult:
        """Run after the handler with its result; return the reply to send."""
        return reply

    def on_error(self, message: BaseMessage, error: Exception) -> HandlerResult:
        """Called when a handler raises; the default answers ``"success"`` so WeChat does not retry."""
        return None

    # -- the two entry points ------------------------------------------------
    def process(self, params: Mapping[str, Any] | None, xml: str | bytes | None = None) -> str:
        """Handle one request from WeChat and return the response body.

        With ``xml`` ``None`` this is the URL check and returns the echostr.
        Bad input raises :class:`~wxkit.errors.SignatureError`,
        :class:`~wxkit.errors.DecryptError`, :class:`~wxkit.errors.ParseError`
        or :class:`~wxkit.errors.ReplayError`.
        """
        if xml is None:
            return self.verify_url(params)
        return self._process_push(params, xml, self._crypto_for_request(params))

    def handle(self, method: str, params: Mapping[str, Any] | None, body: str | bytes | None) -> WxResponse:
        """Framework glue: never raises for bad input.

        ``GET`` is the URL check, ``POST`` a push. Signature failures answer
        403, every other bad input 400, other methods 405.
        """
        verb = (method or "").upper()
        try:
            if verb == "GET":
                return WxResponse(200, self.verify_url(params))
            if verb != "POST":
                return WxResponse(405, "method not allowed")
            result = self.process(params, body if body is not None else b"")
        except SignatureError as exc:
            logger.warning("rejected push: %s", exc)
            return WxResponse(403, str(exc))
        except DuplicateMessageError as exc:
            logger.info("duplicate push: %s", exc)
            if self.duplicate_status == 200:
                return WxResponse(200, "success")
            return WxResponse(self.duplicate_status, str(exc))
        except WxError as exc:
            logger.warning("rejected push: %s: %s", type(exc).__name__, exc)
            return WxResponse(400, str(exc))
        if result.startswith("<"):
            return WxResponse(200, result, _XML)
        return WxResponse(200, result)

    # -- subclass responsibilities -------------------------------------------
    def verify_url(self, params: Mapping[str, Any] | None) -> str:
        """Answer WeChat's URL check (GET with ``echostr``)."""
        raise NotImplementedError

    def _crypto_for_request(self, params: Mapping[str, Any] | None) -> MessageCrypto | None:
        """The crypto to decrypt this push with, or None for plaintext."""
        raise NotImplementedError

    # -- shared machinery ----------------------------------------------------
    def check_timestamp(self, timestamp: str) -> None:
        """Raise :class:`~wxkit.errors.StaleTimestampError` outside ``timestamp_window``."""
        window = self.timestamp_window
        if window is None:
            return
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise StaleTimestampError("timestamp is not a number of seconds")
        ts = int(timestamp)
        if abs(self._clock() - ts) > window:
            raise StaleTimestampError(f"timestamp outside the {window:g}-second window")

    def _process_push(self, params: Mapping[str, Any] | None, xml: str | bytes, crypto: MessageCrypto | None) -> str:
        max_size = self.max_body_size
        if max_size is not None and len(xml) * 4 > max_size:
            size = len(xml.encode("utf-8", "surrogatepass")) if isinstance(xml, str) else len(xml)
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
            data = parse_xml(xml, max_size=None)
        else:
            envelope = parse_xml(xml, max_size=None)
            encrypted = envelope.get("Encrypt")
            if not encrypted or not isinstance(encrypted, str):
                raise ParseError("missing <Encrypt> in a safe-mode push")
            crypto.check_signature(_param(params, "msg_signature"), timestamp, nonce, encrypted)
            self.check_timestamp(timestamp)
            plain, receive_id = crypto.decrypt_with_id(encrypted)
            data = parse_xml(plain, max_size=None)
        message = self.registry.parse(data)
        self._check_duplicate(message)
        reply = self.dispatch(message)
        body = self._render_guarded(message, reply)
        if crypto is None or body == "success":
            return body
        # The reply carries the receive id the push carried (the same one, unless the check is off).
        return crypto.encrypt_reply(
            body, timestamp=str(int(self._clock())), nonce=random_nonce(), receive_id=receive_id
        )

    def _check_duplicate(self, message: BaseMessage) -> None:
        ttl = self.dedup_ttl
        if ttl is None:
            return
        key = f"wxkit:seen:{message.to_user_name}:{message.dedup_key}"
        assert self.storage is not None  # set in __init__
        if not self.storage.add(key, "1", ttl):
            raise DuplicateMessageError("duplicate push (already handled)", key=message.dedup_key)

    def _render_guarded(self, message: BaseMessage, reply: HandlerResult) -> str:
        # A reply that cannot be rendered (a None field...) is a handler failure like any other:
        # logged, handed to on_error, and answered "success" - never a 500 after the push was marked seen.
        try:
            return self.render(message, reply)
        except Exception as exc:
            logger.exception(
                "rendering the reply failed for %s push (create time %s)", type(message).__name__, message.create_time
            )
            try:
                return self.render(message, _checked(self.on_error(message, exc)))
            except Exception:
                logger.exception("on_error failed")
                return "success"

    def render(self, message: BaseMessage, reply: HandlerResult) -> str:
        """Render a handler result (checked by :meth:`dispatch`) as the response body for ``message``."""
        if reply is None:
            return "success"
        if isinstance(reply, str):
            reply = TextReply(reply)
        return reply.render(message.from_user_name, message.to_user_name, int(self._clock()))

    def dispatch(self, message: BaseMessage) -> HandlerResult:
        """Run the hooks and the handler for ``message``; a raising handler goes to :meth:`on_error`."""
        try:
            reply = self.pre_process(message)
            if reply is None:
                handler = self.find_handler(message)
                reply = handler(message) if handler is not None else self._fallback_reply(message)
            return _checked(self.post_process(message, reply))
        except Exception as exc:
            # user code failed: log (ids, never content) and answer, never a 500 or a retry
            logger.exception(
                "handler failed for %s push (msg id %s, create time %s)",
                type(message).__name__,
                getattr(message, "msg_id", "") or "-",
                message.create_time,
            )
            try:
                return _checked(self.on_error(message, exc))
            except Exception:
                logger.exception("on_error failed")
                return None

    def find_handler(self, message: BaseMessage) -> Callable[[Any], HandlerResult] | None:
        """Return the callable that handles ``message``, or None (the fallback replies apply).

        Order: ``event_handlers[Event]`` / ``handlers[MsgType]``, the class's
        ``on_*`` method, its parent classes' ``on_*`` methods, ``on_unknown``
        for unknown types, then ``on_default``.
        """
        name = message.event.lower() if isinstance(message, Event) else message.msg_type
        key = (type(message), name)
        try:
            return self._dispatch_cache[key]
        except KeyError:
            pass
        handler: Handler | None = None
        if isinstance(message, Event):
            handler = self._event_handlers.get(name)
        if handler is None:
            handler = self.handlers.get(message.msg_type)
        if handler is None:
            # The class's own handler, then its parents' (a WeCom create_user
            # event falls back to on_change_contact, a WorkTextMessage to on_text).
            for klass in type(message).__mro__:
                name_ = klass.__dict__.get("handler")
                if isinstance(name_, str) and name_ != "on_unknown":
                    handler = getattr(self, name_, None)
                    if handler is not None:
                        break
        if handler is None and isinstance(message, (UnknownMessage, UnknownEvent)):
            handler = getattr(self, "on_unknown", None)
        if handler is None:
            handler = getattr(self, "on_default", None)
        resolved: Callable[[Any], HandlerResult] | None = (
            getattr(self, handler) if isinstance(handler, str) else handler
        )
        self._dispatch_cache[key] = resolved
        return resolved

    def _fallback_reply(self, message: BaseMessage) -> HandlerResult:
        if self.welcome_reply is not None and isinstance(message, SubscribeEvent):
            return self.welcome_reply
        if self.unsupported_reply is not None and isinstance(message, Message):
            return self.unsupported_reply
        return None


class WxApplication(BaseApplication):
    """An official-account (公众号) callback application.

    Configure with class attributes ``token``, ``app_id`` and ``aes_key``
    (``aes_key`` only for safe / compatible mode) - or the old SDK's
    ``SECRET_TOKEN``, ``APP_ID`` and ``ENCODING_AES_KEY`` - or with the same
    constructor keywords. A malformed ``aes_key`` is a
    :class:`~wxkit.errors.ConfigError` here, not at the first message.
    """

    app_id: str | None = None
    aes_key: str | None = None
    #: With ``aes_key`` set, plaintext pushes are refused (403) unless this is True - turn it on
    #: only while switching the account from plaintext to safe mode.
    allow_plaintext: bool = False
    SECRET_TOKEN: ClassVar[str | None] = None
    APP_ID: ClassVar[str | None] = None
    ENCODING_AES_KEY: ClassVar[str | None] = None
    UNSUPPORT_TXT: ClassVar[str | None] = None
    WELCOME_TXT: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
        allow_plaintext: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if allow_plaintext is not None:
            self.allow_plaintext = allow_plaintext
        token = token or self.token or self.SECRET_TOKEN
        self.app_id = app_id or self.app_id or self.APP_ID
        self.aes_key = aes_key or self.aes_key or self.ENCODING_AES_KEY
        if self.unsupported_reply is None and self.UNSUPPORT_TXT is not None:
            self.unsupported_reply = self.UNSUPPORT_TXT
        if self.welcome_reply is None and self.WELCOME_TXT is not None:
            self.welcome_reply = self.WELCOME_TXT
        super().__init__(token=token, **kwargs)
        self._crypto: MessageCrypto | None = None
        if self.aes_key:
            assert self.token is not None
            self._crypto = MessageCrypto(self.token, self.aes_key, self.app_id or "")
            if not self.app_id:
                raise ConfigError("app_id is required with aes_key (it is the receive id)")
        self._overrides: dict[tuple[str | None, str | None, str | None], WxApplication] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} app_id={self.app_id!r} safe_mode={self._crypto is not None}>"

    def process(
        self,
        params: Mapping[str, Any] | None,
        xml: str | bytes | None = None,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
    ) -> str:
        """Handle one request (the old SDK's call shape); see :meth:`BaseApplication.process`.

        ``token`` / ``app_id`` / ``aes_key`` override the configured ones for
        this call (multi-account servers); the replay storage is shared.
        """
        if token or app_id or aes_key:
            return self._with_credentials(token, app_id, aes_key).process(params, xml)
        return super().process(params, xml)

    def _with_credentials(self, token: str | None, app_id: str | None, aes_key: str | None) -> WxApplication:
        key = (token, app_id, aes_key)
        app = self._overrides.get(key)
        if app is None:
            app = type(self).__new__(type(self))
            app.__dict__.update(self.__dict__)
            WxApplication.__init__(
                app,
                token=token or self.token,
                app_id=app_id or self.app_id,
                aes_key=aes_key or self.aes_key,
                storage=self.storage,
                timestamp_window=self.timestamp_window,
                dedup_ttl=self.dedup_ttl,
                max_body_size=self.max_body_size,
                clock=self._clock,
            )
            if len(self._overrides) > 256:
                self._overrides.clear()
            self._overrides[key] = app
        return app

    def verify_url(self, params: Mapping[str, Any] | None) -> str:
        """Check ``signature`` over token/timestamp/nonce and return ``echostr``."""
        echostr = _param(params, "echostr")
        if not echostr:
            raise ParseError("missing echostr")
        timestamp = _param(params, "timestamp")
        assert self.token is not None
        check_signature(_param(params, "signature"), self.token, timestamp, _param(params, "nonce"))
        self.check_timestamp(timestamp)
        return echostr

    def _crypto_for_request(self, params: Mapping[str, Any] | None) -> MessageCrypto | None:
        if _param(params, "encrypt_type").lower() != "aes":
            if self._crypto is not None and not self.allow_plaintext:
                # The plaintext signature does not cover the body: accepting it here would let anyone
                # who saw one push URL post forged XML to a safe-mode bot.
                raise SignatureError("plaintext push to a safe-mode app (aes_key set; allow_plaintext is off)")
            return None
        if self._crypto is None:
            raise DecryptError("safe-mode push (encrypt_type=aes) but this app has no aes_key configured")
        return self._crypto
