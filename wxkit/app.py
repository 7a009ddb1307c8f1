"""The inbound core: :class:`WxApplication` and :class:`WxResponse`.

Subclass :class:`WxApplication`, write ``on_text`` / ``on_subscribe`` / ...
handlers, and call :meth:`~BaseApplication.process` (raises typed errors) or
:meth:`~BaseApplication.handle` (never raises for bad input; answers 4xx) from
any web framework. One push goes through:

1. body size check, signature check (``signature``, or ``msg_signature`` over
   ``Encrypt`` in safe mode), AES decryption and receive-id check;
2. safe XML parsing into a typed, frozen message or event;
3. the replay guard: timestamp window and duplicate-push suppression;
4. dispatch to the handler, ``pre_process`` / ``post_process`` hooks, then
   saving the sessions they changed (:mod:`wxkit.session`);
5. rendering the reply and, in safe mode, encrypting and signing it;
6. the message log: observers get a :class:`~wxkit.observe.PushRecord`
   (:mod:`wxkit.observe`).
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from . import _flow, observe, session
from ._eventbase import Event, OfficialRegistry, UnknownEvent
from ._model import AttrsValue
from ._replybase import Reply, _render, _text_body
from .crypto import MessageCrypto, check_signature
from .errors import (
    ConfigError,
    DecryptError,
    DuplicateMessageError,
    ParseError,
    SignatureError,
    StaleTimestampError,
    StorageError,
    WxError,
)
from .messages import BaseMessage, Message, TypeRegistry, UnknownMessage
from .routing import Routing
from .storage import MemoryStorage, Storage, _claim, claim, release_claim
from .xmlcodec import DEFAULT_MAX_BODY_SIZE, _scan_envelope, parse_xml

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["BaseApplication", "Handler", "HandlerResult", "WxApplication", "WxResponse"]

logger = logging.getLogger("wxkit.app")

#: What a handler may return: a reply object, text for a text reply, or None for "success".
HandlerResult = Reply | str | None
#: A handler in the ``handlers`` / ``event_handlers`` dicts: a callable taking the
#: message (bound methods work) or the name of a method of the application.
Handler = Callable[[Any], HandlerResult] | str

_UNSET: Any = object()

#: The authorizer appid of the push being handled by an ``open_platform`` application (set by its entry points).
#: The authorizer appid of the push being handled, with the key of the application handling it: an
#: application reads only its own (one open-platform app's handler may call another's process()).
_AUTHORIZER: ContextVar[tuple[object, str]] = ContextVar("wxkit_authorizer_appid", default=(None, ""))

# -- replies kept for WeChat's retries (see BaseApplication.retry_wait and docs/receiving.md) --
#: The replay-guard key's value once the push's reply was kept: "finished; the reply key tells the rest".
_DONE = "done"
#: The reply key holds ``done:<length>:<reply>`` (written in one ``set``) or a waiting retry's ``wait:<id>``.
_KEPT = "done:"
_WAIT = "wait:"
#: A waiting retry polls the reply key at once, then after 10 ms, the pause growing to 100 ms.
_POLL_FIRST = 0.01
_POLL_MAX = 0.1
#: Owner ids of this process's claims: a random prefix (new in a forked child) and a counter - unique
#: like a uuid4, and cheaper. A retry finding one of ours on the replay-guard key that is not in
#: ``_running`` knows its original is over (its reply kept, or not to be kept) and need not wait.
_owner_prefix = uuid.uuid4().hex[:20] + "."
_owner_count = itertools.count()
#: The owner ids of the pushes this process is handling (claimed, not yet settled).
_running: set[str] = set()


def _new_owner_prefix() -> None:
    global _owner_prefix
    _owner_prefix = uuid.uuid4().hex[:20] + "."


if hasattr(os, "register_at_fork"):  # a forked worker must not pass its parent's claims for its own
    os.register_at_fork(after_in_child=_new_owner_prefix)


def _new_owner() -> str:
    return f"{_owner_prefix}{next(_owner_count)}"


def _is_over(held: str) -> bool:
    """Whether the claim value ``held`` says its push is finished: marked done, or ours and not running."""
    return held == _DONE or (held.startswith(_owner_prefix) and held not in _running)


def _pack_reply(body: str) -> str:
    """The reply key's value for a kept reply: its length says whether the value arrived whole."""
    return f"{_KEPT}{len(body)}:{body}"


def _unpack_reply(value: str | None) -> str | None:
    """The reply kept in ``value``, or None (absent, a waiting retry's marker, cut short or foreign)."""
    if value is None or not value.startswith(_KEPT):
        return None
    size, sep, body = value[len(_KEPT) :].partition(":")
    if not sep or not (size.isascii() and size.isdigit()) or len(size) > 9 or int(size) != len(body):
        return None
    return body


_TEXT = "text/plain; charset=utf-8"
_XML = "application/xml; charset=utf-8"


@attrs.frozen(repr=False, eq=False)  # AttrsValue's repr / eq / hash: not compiled at import
class WxResponse(AttrsValue):
    """What :meth:`BaseApplication.handle` answers: an HTTP status, body and content type."""

    status: int
    body: str
    content_type: str = _TEXT


def _is_text(value: str) -> bool:
    """Whether ``value`` encodes as UTF-8 (a ``str`` holding a lone surrogate does not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _param(params: Mapping[str, Any] | None, name: str) -> str:
    """Read one query parameter; list values (``parse_qs``) give their last item."""
    if not params:
        return ""
    value = params.get(name)
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if value.__class__ is list and value and value[-1].__class__ is str:  # parse_qs (the adapters)
        return value[-1]
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)


_APPID_HEX = frozenset("0123456789abcdef")


def _path_appid(path: str) -> str:
    """The authorizer appid in an open-platform message URL's path.

    WeChat puts ``$APPID$`` anywhere in the path (its documentation's own
    example is ``/$APPID$/revice``): the last segment shaped like a WeChat
    appid (``wx`` and 16 hex digits) is taken, else the last segment
    (``/wx/<appid>``, e.g. the emulator's made-up appids).
    """
    segments = path.rstrip("/").split("/")
    for segment in reversed(segments):
        if len(segment) == 18 and segment.startswith("wx") and _APPID_HEX.issuperset(segment[2:]):
            return segment
    return segments[-1]


def _callable_name(func: Callable[..., Any]) -> str:
    """A handler's name for logs: ``Bot.on_text``, ``my_text_handler``, or its class name."""
    name = getattr(func, "__qualname__", None)
    return name if isinstance(name, str) else type(func).__name__


class _AsyncHandlerError(ConfigError):
    """An ``async def`` handler met by the sync entry points; :meth:`BaseApplication.handle` raises it too."""


def _checked(reply: Any) -> HandlerResult:
    """Refuse handler results that are not a Reply, str or None (raised inside dispatch's guard)."""
    if reply is None or reply.__class__ is str or isinstance(reply, (str, Reply)):
        return reply
    raise TypeError(f"a handler must return a Reply, str or None, not {type(reply).__name__}")


class BaseApplication(Routing, session.Sessions, observe.Observable):
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

    WeChat's retries (class attributes, see :attr:`retry_wait`,
    :attr:`keep_reply_after`, :attr:`reply_ttl`): a retry of a push being
    handled waits for its reply and answers it; a retry of a push handled
    already answers its kept reply, or ``"success"``. The handler runs once.
    """

    if TYPE_CHECKING:
        registry: ClassVar[TypeRegistry]
    else:  # wxkit.events.official_registry, imported (with every event class) on the first push parsed
        registry = OfficialRegistry()
    token: str | None = None
    timestamp_window: float | None = 300
    dedup_ttl: float | None = 600
    storage: Storage | None = None
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE
    handlers: Mapping[str, Handler] = {}
    event_handlers: Mapping[str, Handler] = {}
    unsupported_reply: str | None = None
    welcome_reply: str | None = None
    #: Deprecated: WeChat's retries are no longer refused (see :attr:`retry_wait`). What
    #: :meth:`handle` answers a :class:`~wxkit.errors.DuplicateMessageError` raised by your own
    #: code (a ``dispatch`` override): 400 by default, 200 answers "success".
    duplicate_status: int = 400
    #: Seconds a retry of a push still being handled waits for the original's reply (polling the
    #: storage) before answering "success". WeChat waits 5 seconds for each try: the default 4.5
    #: lets the retry answer inside its own window. 0: never wait (a kept reply is still answered).
    retry_wait: float = 4.5
    #: Seconds of handling after which a push's reply is kept for WeChat's retries (a faster push
    #: costs no storage write: WeChat retries only after 5 seconds without an answer). A retry that
    #: is waiting gets the reply however fast the rest of the handler is. 0 keeps every reply.
    keep_reply_after: float = 1.0
    #: Seconds a kept reply stays in the storage (WeChat's three tries span about 15 seconds).
    reply_ttl: float = 30.0
    #: On the async path (:meth:`handle_async`, the ASGI adapter), plain (not ``async def``)
    #: handlers and hooks run in a worker thread (:func:`asyncio.to_thread`) so that a blocking
    #: one cannot stall the event loop. Set this to False when none of them blocks: they then
    #: run inline on the loop, without the thread hop.
    handlers_block: bool = True
    #: An open-platform (第三方平台) message URL serving every authorized account (see
    #: :class:`WxApplication`); the other applications leave it False.
    open_platform: bool = False
    _authorizer_key: object = None  # an open-platform WxApplication's own (see _AUTHORIZER)
    #: With ``open_platform``: answer the full-network release check's test accounts
    #: (:mod:`wxkit.open.release`) before any handler; needs :attr:`component`.
    release_check: bool = False
    #: With ``open_platform``: the :class:`wxkit.open.Component` (or ``AsyncComponent``) the release
    #: check trades its authorization code with and sends through.
    component: Any = None

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
        #: Open-platform accounts (ToUserName) known to come under their appid (see _bind_account).
        self._bound_accounts: dict[str, str] = {}
        self._init_routes()
        self._init_observers()
        #: The async def handlers and hooks seen at construction: the sync entry points refuse them.
        self._async_handlers = self._find_async_handlers()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # -- hooks users override ------------------------------------------------
    @_flow.inline  # the default never blocks: the async path calls it on the loop
    def pre_process(self, message: BaseMessage) -> HandlerResult:
        """Run before the handler; return a reply to answer with it and skip the handler."""
        return None

    @_flow.inline  # the default never blocks: the async path calls it on the loop
    def post_process(self, message: BaseMessage, reply: HandlerResult) -> HandlerResult:
        """Run after the handler with its result; return the reply to send."""
        return reply

    @_flow.inline  # the default never blocks: the async path calls it on the loop
    def on_error(self, message: BaseMessage, error: Exception) -> HandlerResult:
        """Called when a handler raises; the default answers ``"success"`` so WeChat does not retry."""
        return None

    # -- the two entry points ------------------------------------------------
    def process(self, params: Mapping[str, Any] | None, xml: str | bytes | None = None) -> str:
        """Handle one request from WeChat and return the response body.

        With ``xml`` ``None`` this is the URL check and returns the echostr.
        Bad input raises :class:`~wxkit.errors.SignatureError`,
        :class:`~wxkit.errors.DecryptError`, :class:`~wxkit.errors.ParseError`
        or :class:`~wxkit.errors.ReplayError`; a replay-guard storage that
        fails raises :class:`~wxkit.errors.StorageError` (the handler has not
        run, and WeChat's retry is handled normally).
        """
        if self._async_handlers:
            self._refuse_async_handlers()
        if xml is None:
            return self.verify_url(params)
        if self._observers:  # the message log: the flow, whose observers' step runs after the push
            return _flow.run_sync(self._push_flow(params, xml, store_inline=True), self._async_refusal)
        try:
            return self._push_direct(params, xml)
        except _flow.Refused as refused:  # async def user code met on the way (a route added later)
            raise refused.error from None

    async def process_async(self, params: Mapping[str, Any] | None, xml: str | bytes | None = None) -> str:
        """:meth:`process` for asyncio code: awaits ``async def`` handlers and hooks, runs plain ones.

        The same checks, the same answers and the same errors as
        :meth:`process`. Plain handlers and hooks run in a worker thread
        unless :attr:`handlers_block` is False; the replay guard's storage
        calls run in a worker thread unless the storage is a
        :class:`~wxkit.storage.MemoryStorage` (a :class:`~wxkit.storage.RedisStorage`
        blocks on the network).
        """
        if xml is None:
            return self.verify_url(params)
        storage_blocks = not isinstance(self.storage, MemoryStorage)
        return await _flow.run_async(
            self._push_flow(params, xml, store_inline=not storage_blocks),
            handlers_block=self.handlers_block,
            storage_blocks=storage_blocks,
        )

    def handle(self, method: str, params: Mapping[str, Any] | None, body: str | bytes | None) -> WxResponse:
        """Framework glue: never raises for bad input.

        ``GET`` is the URL check, ``POST`` a push. Signature failures answer
        403, every other bad input 400, other methods 405; a failing storage
        (:class:`~wxkit.errors.StorageError`) 500, so that WeChat retries.
        An application with ``async def`` handlers is refused with a
        :class:`~wxkit.errors.ConfigError` (raised: a deployment error, not
        bad input); serve it with :meth:`handle_async`.
        """
        self._refuse_async_handlers()
        verb = (method or "").upper()
        try:
            if verb == "GET":
                return WxResponse(200, self.verify_url(params))
            if verb != "POST":
                return WxResponse(405, "method not allowed")
            result = self.process(params, body if body is not None else b"")
        except WxError as exc:
            return self._error_response(exc)
        return self._ok_response(result)

    async def handle_async(self, method: str, params: Mapping[str, Any] | None, body: str | bytes | None) -> WxResponse:
        """:meth:`handle` for asyncio code (what the ASGI adapter calls): the same answers for every input.

        ``async def`` handlers and hooks (``on_*`` methods, ``handlers`` /
        ``event_handlers`` entries, routes, ``pre_process`` /
        ``post_process`` / ``on_error``) are awaited; plain ones run in a
        worker thread unless :attr:`handlers_block` is False. Verification,
        decryption, parsing, rendering and encryption are the very code
        :meth:`handle` runs. The replay guard's storage calls run in a worker
        thread unless the storage is a :class:`~wxkit.storage.MemoryStorage`.
        A subclass that overrides :meth:`process` without ``process_async``
        (the :mod:`wxkit.compat` classes) is served by running :meth:`handle`
        (in a worker thread unless :attr:`handlers_block` is False).
        """
        if not self._native_async():
            if self.handlers_block:
                import asyncio  # here only: a sync-only bot never imports asyncio

                return await asyncio.to_thread(self.handle, method, params, body)
            return self.handle(method, params, body)
        verb = (method or "").upper()
        try:
            if verb == "GET":
                return WxResponse(200, self.verify_url(params))
            if verb != "POST":
                return WxResponse(405, "method not allowed")
            result = await self.process_async(params, body if body is not None else b"")
        except WxError as exc:
            return self._error_response(exc)
        return self._ok_response(result)

    def _error_response(self, exc: WxError) -> WxResponse:
        """The answer to a request refused with ``exc`` (both entry points); async handlers are re-raised."""
        if isinstance(exc, _AsyncHandlerError):
            raise exc  # a deployment error: never an answer WeChat would take for "handled"
        if isinstance(exc, SignatureError):
            logger.warning("rejected push: %s", exc)
            return WxResponse(403, str(exc))
        if isinstance(exc, DuplicateMessageError):
            logger.info("duplicate push: %s", exc)
            if self.duplicate_status == 200:
                return WxResponse(200, "success")
            return WxResponse(self.duplicate_status, str(exc))
        if isinstance(exc, StorageError):
            logger.error("push not handled, the replay-guard storage failed: %s", exc, exc_info=exc)
            return WxResponse(500, "storage unavailable; retry later")
        logger.warning("rejected push: %s: %s", type(exc).__name__, exc)
        return WxResponse(400, str(exc))

    @staticmethod
    def _ok_response(result: str) -> WxResponse:
        """The answer carrying a response body (an XML reply, ``success`` or an echostr)."""
        if result.startswith("<"):
            return WxResponse(200, result, _XML)
        return WxResponse(200, result)

    # -- async handlers --------------------------------------------------------
    def _find_async_handlers(self) -> tuple[str, ...]:
        """Names of the ``async def`` handlers and hooks: ``on_*`` methods, the dicts' entries, class routes."""
        found: list[str] = []
        for name in dir(type(self)):
            hook = name.startswith("on_") or name in ("pre_process", "post_process")
            if hook and _flow.is_async_callable(getattr(self, name, None)):
                found.append(name)
        for key, value in [*self.handlers.items(), *self._event_handlers.items()]:
            target = getattr(self, value, None) if isinstance(value, str) else value
            if callable(target) and _flow.is_async_callable(target):
                found.append(f"the handler for {key!r} ({_callable_name(target)})")
        pending: list[Any] = [self._router] if self._router is not None else []
        while pending:  # routes included at construction (the class's ``routes``), nested routers too
            source = pending.pop()
            for entry in getattr(source, "_entries", ()):
                handler = getattr(entry, "handler", None)
                if handler is not None and _flow.is_async_callable(handler):
                    found.append(f"the route handler {_callable_name(handler)}")
                elif handler is None:
                    pending.append(entry)
        return tuple(found)

    def _refuse_async_handlers(self) -> None:
        """Raise the :class:`~wxkit.errors.ConfigError` of the sync entry points for an async application."""
        if self._async_handlers:
            raise _AsyncHandlerError(
                f"{type(self).__name__}: {', '.join(self._async_handlers)} is async def; "
                "the sync process() / handle() cannot await it: serve this application with "
                "handle_async() / process_async() (the ASGI adapter does)"
            )

    def _async_refusal(self, func: Callable[..., Any]) -> ConfigError:
        """The error for an ``async def`` handler met while dispatching on the sync path (a route added later)."""
        return _AsyncHandlerError(
            f"{type(self).__name__}: {_callable_name(func)} is async def (or returned an awaitable); "
            "the sync process() / handle() cannot await it: serve this application with "
            "handle_async() / process_async() (the ASGI adapter does)"
        )

    def _native_async(self) -> bool:
        """Whether ``process_async`` is the twin of ``process`` (not so when a subclass overrides only ``process``).

        Decided once per class (a class attribute lookup per request after that).
        """
        cls = type(self)
        native = cls.__dict__.get("_wx_native_async")
        if native is None:
            sync = next(k for k in cls.__mro__ if "process" in k.__dict__)
            async_ = next(k for k in cls.__mro__ if "process_async" in k.__dict__)
            native = issubclass(async_, sync)
            type.__setattr__(cls, "_wx_native_async", native)
        return bool(native)

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

    # -- one push: a sans-IO prefix and suffix around the calls the two drivers make --
    def _push_flow(self, params: Mapping[str, Any] | None, xml: str | bytes, *, store_inline: bool) -> _flow.Flow[str]:
        """One push as a flow (see :mod:`wxkit._flow`): only the replay guard and user code are yielded steps.

        With ``store_inline`` (the sync driver; the async one with a storage
        that does not block) the flow calls the replay guard's storage steps
        itself instead of yielding them: the driver would call them right away.
        The sync entry points run :meth:`_push_direct` instead, unless observers
        are registered.
        """
        observers = self._observers
        if not observers:  # the message log costs nothing without observers
            return self._push_steps(params, xml, None, store_inline)
        note = observe._Note()
        return observe.observed(observers, self._push_steps(params, xml, note, store_inline), note, _flow.HOOK)

    def _push_steps(
        self, params: Mapping[str, Any] | None, xml: str | bytes, note: observe._Note | None, store_inline: bool
    ) -> _flow.Flow[str]:
        """:meth:`_push_flow`'s steps; ``note`` (observers only) learns the message and the rendered reply.

        :meth:`_push_direct` is the same sequence for the sync driver: a change here is made there too
        (tests/test_handle_fuzz.py checks that both answer alike).
        """
        crypto = self._crypto_for_request(params)
        message, receive_id = self._open_push(params, xml, crypto)
        if note is not None:
            note.message = message
        if message.authorizer_appid and self._bound_accounts.get(message.to_user_name) != message.authorizer_appid:
            if store_inline:
                self._bind_account(message)
            else:
                yield (_flow.STORE, self._bind_account, (message,))
        ttl = self.dedup_ttl
        owner = suffix = seen = ""
        start = 0.0
        try:
            if ttl is not None:  # else duplicate suppression is off: every copy is handled
                start = time.monotonic()
                suffix = f"{message.to_user_name}:{message.dedup_key}"
                if message.authorizer_appid:  # an open-platform push: one key space per account
                    suffix = f"open:{message.authorizer_appid}:{suffix}"
                seen = "wxkit:seen:" + suffix
                owner = f"{_owner_prefix}{next(_owner_count)}"  # _new_owner(), inlined
                # A unique owner value: a claim stored but whose reply was lost is recognised as ours
                # (wxkit.storage.claim), and a storage failure raises StorageError before the handler runs.
                if store_inline:
                    held = self._claim_push(seen, owner, ttl)
                else:
                    held = yield (_flow.STORE, self._claim_push, (seen, owner, ttl))
                if held is not None:  # WeChat's retry (or a replay): answer the original's reply
                    body = yield from self._retry_flow("wxkit:reply:" + suffix, held)
                    if note is not None:
                        note.failure = DuplicateMessageError(
                            "a retry of a push handled or being handled: answered its reply", key=message.dedup_key
                        )
                        note.reply = None if body == "success" else body
                    return self._seal_reply(body, crypto, receive_id)
            if type(self).dispatch is BaseApplication.dispatch:
                reply = yield from self._dispatch_flow(message)
            else:  # a subclass's dispatch() (wxkit.compat's): called as plain user code
                reply = _checked((yield (_flow.HOOK, self.dispatch, (message,))))
            try:
                body = self.render(message, reply)
            except Exception as exc:  # noqa: BLE001 - logged and handed to on_error by _render_failed
                body = yield from self._render_failed(message, exc)
            if owner and ttl is not None:
                if store_inline:
                    self._settle(seen, "wxkit:reply:" + suffix, body, start, ttl)
                else:
                    yield (_flow.STORE, self._settle, (seen, "wxkit:reply:" + suffix, body, start, ttl))
        finally:
            if owner:  # after _settle: a retry in this process that sees our claim now need not wait
                _running.discard(owner)
        if note is not None:
            note.reply = None if body == "success" else body
        return self._seal_reply(body, crypto, receive_id)

    def _push_direct(self, params: Mapping[str, Any] | None, xml: str | bytes) -> str:
        """:meth:`_push_steps` for the sync driver, without a generator: the common path calls every step.

        The same steps in the same order (verification, decryption and parsing
        in :meth:`_open_push`, the replay guard, :meth:`_dispatch_direct`,
        :meth:`render`, :meth:`_settle`, :meth:`_seal_reply`); the rare paths
        (a retry, a reply that fails to render) run their flows with
        :func:`~wxkit._flow.run_sync`. User code meeting ``async def`` raises
        :class:`~wxkit._flow.Refused`, which the entry point turns into its error.
        """
        refuse = self._async_refusal
        crypto = self._crypto_for_request(params)
        message, receive_id = self._open_push(params, xml, crypto)
        if message.authorizer_appid and self._bound_accounts.get(message.to_user_name) != message.authorizer_appid:
            self._bind_account(message)
        ttl = self.dedup_ttl
        owner = suffix = seen = ""
        start = 0.0
        try:
            if ttl is not None:  # see _push_steps
                start = time.monotonic()
                suffix = f"{message.to_user_name}:{message.dedup_key}"
                if message.authorizer_appid:  # see _push_steps
                    suffix = f"open:{message.authorizer_appid}:{suffix}"
                seen = "wxkit:seen:" + suffix
                owner = f"{_owner_prefix}{next(_owner_count)}"
                held = self._claim_push(seen, owner, ttl)
                if held is not None:
                    body = _flow.run_sync(self._retry_flow("wxkit:reply:" + suffix, held), refuse)
                    return self._seal_reply(body, crypto, receive_id)
            cls = type(self)
            if cls.dispatch is not BaseApplication.dispatch:  # wxkit.compat's: plain user code
                reply = _checked(_flow.call_sync(self.dispatch, (message,), refuse))
            elif cls._dispatch_flow is _BASE_DISPATCH_FLOW:
                reply = self._dispatch_direct(message)
            else:  # a subclass's own flow (WorkApplication's)
                reply = _flow.run_sync(self._dispatch_flow(message), refuse)
            try:
                body = self.render(message, reply)
            except Exception as exc:  # noqa: BLE001 - logged and handed to on_error by _render_failed
                body = _flow.run_sync(self._render_failed(message, exc), refuse)
            if owner and ttl is not None:
                self._settle(seen, "wxkit:reply:" + suffix, body, start, ttl)
        finally:
            if owner:
                _running.discard(owner)
        return self._seal_reply(body, crypto, receive_id)

    def _open_push(
        self, params: Mapping[str, Any] | None, xml: str | bytes, crypto: MessageCrypto | None
    ) -> tuple[BaseMessage, str]:
        """Check size and signature, decrypt and parse a push: ``(message, receive id)``; raises for bad input."""
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
            # WeChat's envelope in its exact shape takes one regex pass; anything else the full parser.
            encrypted = _scan_envelope(xml)
            if encrypted is None:
                encrypted = parse_xml(xml, max_size=None).get("Encrypt")
            if not encrypted or not isinstance(encrypted, str):
                raise ParseError("missing <Encrypt> in a safe-mode push")
            check_signature(_param(params, "msg_signature"), crypto.token, timestamp, nonce, encrypted)
            self.check_timestamp(timestamp)
            plain, receive_id = crypto.decrypt_with_id(encrypted)
            data = parse_xml(plain, max_size=None)
        message = self.registry.parse(data)
        if self.open_platform:  # the account the push is for: the /$APPID$ of the URL (see WxApplication)
            owner, appid = _AUTHORIZER.get()
            if not appid or owner is not self._authorizer_key:
                raise ParseError("an open-platform push needs its authorizer appid (the /$APPID$ of the message URL)")
            object.__setattr__(message, "authorizer_appid", appid)  # set once, before any user code sees it
        return message, receive_id

    def _seal_reply(self, body: str, crypto: MessageCrypto | None, receive_id: str) -> str:
        """Encrypt and sign a rendered reply in safe mode (``success`` stays plain)."""
        if crypto is None or body == "success" or not body:  # the two "no reply" bodies stay plain
            return body
        # The reply carries the receive id the push carried (the same one, unless the check is off).
        # No nonce given: encrypt_reply draws it and the random prefix from one os.urandom call.
        return crypto.encrypt_reply(body, timestamp=str(int(self._clock())), receive_id=receive_id)

    # -- the replay guard and WeChat's retries (the protocol: docs/receiving.md, "Retries and slow handlers") --
    def _bind_account(self, message: BaseMessage) -> None:
        """An open-platform push's account (its signed ToUserName) must always come under the same appid.

        The appid comes from the URL, which WeChat's signature does not cover:
        the first push of an account binds its ToUserName to the appid in the
        storage (for good: an account's appid never changes), and a push of
        that account under another appid is refused (SignatureError, 403), so a
        captured push re-posted to another account's URL is never handled as
        that account. A storage failure is a StorageError (500: WeChat retries).
        """
        storage = self.storage
        assert storage is not None  # set in __init__
        account, appid = message.to_user_name, message.authorizer_appid
        key = f"wxkit:open:account:{account}"
        try:
            bound = appid if storage.add(key, appid) else storage.get(key)
        except Exception as exc:
            raise StorageError(f"the storage failed binding {account} to its appid ({type(exc).__name__})") from exc
        if bound != appid:
            raise SignatureError(f"a push for account {account} arrived under appid {appid}, not its own")
        if len(self._bound_accounts) >= 100_000:  # bounded; a forgotten binding is read from the storage again
            self._bound_accounts.clear()
        self._bound_accounts[account] = appid

    def _claim_push(self, seen: str, owner: str, ttl: float) -> str | None:
        """Claim the push's replay-guard key: None when won, else what the key holds (the original's state)."""
        storage = self.storage
        assert storage is not None  # set in __init__
        _running.add(owner)  # before the claim: a retry here never sees our claim without this mark
        # A MemoryStorage's add neither fails nor loses its answer: a True is the claim won, and after
        # a False, _claim's own add (False again) and read back decide as they would have.
        if storage.__class__ is MemoryStorage and storage.add(seen, owner, ttl):
            return None
        won, value = _claim(storage, seen, owner, ttl)
        return None if won else (value or "")

    def _settle(self, seen: str, reply_key: str, body: str, start: float, ttl: float) -> None:
        """After the handler: keep the reply for WeChat's retries if the push was slow or a retry is waiting.

        Never raises: the handler has run, so the push is answered whatever the storage does.
        """
        storage = self.storage
        assert storage is not None
        elapsed = time.monotonic() - start
        if elapsed < self.keep_reply_after:
            # Fast: keep the reply only if a retry's marker is there. A retry writes its marker
            # before it starts waiting, so a marker written before this read is seen here.
            try:
                if storage.get(reply_key) is None:
                    return
            except Exception as exc:  # noqa: BLE001 - cannot tell: keep it, in case a retry waits
                logger.warning("could not check for a waiting retry (%s): keeping the reply", type(exc).__name__)
        try:
            # The reply first, then the mark: "done" on the replay-guard key always finds its reply
            # written (or expired). Each value is one set, and a cut one fails its length check.
            storage.set(reply_key, _pack_reply(body), self.reply_ttl)
            if elapsed < ttl:  # else the claim may have expired and been taken again: leave it alone
                storage.set(seen, _DONE, ttl)
        except Exception as exc:  # noqa: BLE001 - the push is answered anyway; only its retries lose
            logger.warning("could not keep the reply for WeChat's retries (%s)", type(exc).__name__)

    def _retry_flow(self, reply_key: str, held: str) -> _flow.Flow[str]:
        """A retry: answer the reply its original kept, waiting up to :attr:`retry_wait`; else ``"success"``."""
        wait = self.retry_wait
        marker = _WAIT + _new_owner() if wait > 0 else None
        body, waiting = yield (_flow.STORE, self._retry_begin, (reply_key, held, marker))
        if waiting:
            assert marker is not None
            deadline = time.monotonic() + wait
            pause = _POLL_FIRST
            while True:
                body, final = yield (_flow.STORE, self._retry_poll, (reply_key, held))
                left = deadline - time.monotonic()
                if final or left <= 0:
                    break
                yield (_flow.SLEEP, time.sleep, (min(pause, left),))
                pause = min(pause * 1.5, _POLL_MAX)
            if body is None:  # the reply may still come: no longer ours to wait for
                yield (_flow.STORE, self._retry_end, (reply_key, marker))
        return "success" if body is None else body

    def _retry_begin(self, reply_key: str, held: str, marker: str | None) -> tuple[str | None, bool]:
        """``(kept reply or None, whether to wait)``: answer now, or wait with this retry's marker written."""
        storage = self.storage
        assert storage is not None
        try:
            if marker is None or _is_over(held):  # the original is over: no waiting
                return _unpack_reply(storage.get(reply_key)), False
            got = claim(storage, reply_key, marker, self.retry_wait + 1.0)
        except Exception as exc:  # noqa: BLE001 - a retry is never refused: it answers "success"
            logger.warning("a retry could not read the kept reply (%s): answering success", type(exc).__name__)
            return None, False
        if got.won:
            return None, True
        # The reply is there - or another copy of this push is waiting already (at most one waits:
        # a replayed push cannot pin many workers), or the key kept changing: answer now.
        return _unpack_reply(got.value), False

    def _retry_poll(self, reply_key: str, held: str) -> tuple[str | None, bool]:
        """``(kept reply or None, whether that is final)``; the original finished here is final."""
        storage = self.storage
        assert storage is not None
        over = _is_over(held)  # read before the reply: an original over has written it (if it keeps it)
        try:
            body = _unpack_reply(storage.get(reply_key))
        except Exception as exc:  # noqa: BLE001 - a retry is never refused: it answers "success"
            logger.warning("a retry could not read the kept reply (%s): answering success", type(exc).__name__)
            return None, True
        return body, over or body is not None

    def _retry_end(self, reply_key: str, marker: str) -> None:
        """Remove this retry's marker unless the reply replaced it (never raises)."""
        assert self.storage is not None
        release_claim(self.storage, reply_key, marker)

    def _render_failed(self, message: BaseMessage, exc: Exception) -> _flow.Flow[str]:
        """The body when :meth:`render` raised ``exc``: ``on_error``'s reply, rendered, or ``"success"``.

        A reply that cannot be rendered (a None field...) is a handler failure like any other:
        logged, handed to on_error, and answered "success" - never a 500 after the push was marked seen.
        """
        observe.handler_failed(exc)
        logger.exception(
            "rendering the reply failed for %s push (create time %s)", type(message).__name__, message.create_time
        )
        try:
            return self.render(message, _checked((yield (_flow.HOOK, self.on_error, (message, exc)))))
        except Exception:
            logger.exception("on_error failed")
            return "success"

    def render(self, message: BaseMessage, reply: HandlerResult) -> str:
        """Render a handler result (checked by :meth:`dispatch`) as the response body for ``message``."""
        if reply is None:
            return "success"
        if isinstance(reply, str):  # TextReply(reply).render(...), without building the TextReply
            return _render(message.from_user_name, message.to_user_name, int(self._clock()), "text", _text_body(reply))
        return reply.render(message.from_user_name, message.to_user_name, int(self._clock()))

    def dispatch(self, message: BaseMessage) -> HandlerResult:
        """Run the hooks, then the routes or the handler for ``message``; a raising handler goes to :meth:`on_error`.

        An ``async def`` handler or hook raises :class:`~wxkit.errors.ConfigError` here.
        """
        if type(self)._dispatch_flow is not _BASE_DISPATCH_FLOW:  # a subclass's own flow
            return _flow.run_sync(self._dispatch_flow(message), self._async_refusal)
        try:
            return self._dispatch_direct(message)
        except _flow.Refused as refused:
            raise refused.error from None

    def _dispatch_flow(self, message: BaseMessage) -> _flow.Flow[HandlerResult]:
        """:meth:`dispatch` as a flow: each call of user code is a yielded step (see :mod:`wxkit._flow`).

        :meth:`_dispatch_direct` is the same sequence for the sync driver: a change here is made there
        too. Subclasses may override this (a generator ending in ``yield from super()._dispatch_flow(message)``);
        the sync path then runs it instead of :meth:`_dispatch_direct`.
        """
        step = "pre_process"  # what is running, named in the log line if it raises
        handler: Callable[[Any], HandlerResult] | None = None  # named in that line while step is "handler"
        cls = type(self)
        own = self.__dict__
        sessions = session.open_scope()  # self.session(msg) in user code; saved below, dropped on failure
        try:
            try:
                # The default hooks do nothing: not called (an override, or an instance attribute, is).
                if cls.pre_process is _DEFAULT_PRE and "pre_process" not in own:
                    reply = None
                else:
                    reply = yield (_flow.HOOK, self.pre_process, (message,))
                if reply is None:
                    step = "handler lookup"
                    handler = self._lookup(message)
                    if handler is None:
                        reply = self._fallback_reply(message)
                    else:
                        step = "handler"
                        reply = _checked((yield (_flow.HOOK, handler, (message,))))
                step = "post_process"
                if cls.post_process is _DEFAULT_POST and "post_process" not in own:
                    reply = _checked(reply)  # what the default answers, checked (a pre_process result may be bad)
                else:
                    reply = _checked((yield (_flow.HOOK, self.post_process, (message, reply))))
                if sessions.entries:
                    step = "saving the session"
                    yield (_flow.STORE, sessions.commit, ())
                return reply
            except Exception as exc:  # noqa: BLE001 - logged and handed to on_error by _dispatch_failed
                return (yield from self._dispatch_failed(message, exc, sessions, step, handler))
        finally:
            sessions.close()

    def _dispatch_direct(self, message: BaseMessage) -> HandlerResult:
        """:meth:`_dispatch_flow` for the sync driver: user code is called (:func:`~wxkit._flow.call_sync`)."""
        refuse = self._async_refusal
        step = "pre_process"
        handler: Callable[[Any], HandlerResult] | None = None
        cls = type(self)
        own = self.__dict__
        sessions = session.open_scope()
        try:
            try:
                if cls.pre_process is _DEFAULT_PRE and "pre_process" not in own:
                    reply = None
                else:
                    reply = _flow.call_sync(self.pre_process, (message,), refuse)
                if reply is None:
                    step = "handler lookup"
                    handler = self._lookup(message)
                    if handler is None:
                        reply = self._fallback_reply(message)
                    else:
                        step = "handler"
                        reply = handler(message)  # _checked(_flow.call_sync(...)), the common answers inlined
                        if reply is not None and reply.__class__ is not str:
                            reply = _checked(_flow.check_sync(handler, reply, refuse))
                step = "post_process"
                if cls.post_process is _DEFAULT_POST and "post_process" not in own:
                    if reply is not None and reply.__class__ is not str:
                        reply = _checked(reply)
                else:
                    reply = _checked(_flow.call_sync(self.post_process, (message, reply), refuse))
                if sessions.entries:
                    step = "saving the session"
                    sessions.commit()
                return reply
            except Exception as exc:  # noqa: BLE001 - logged and handed to on_error by _dispatch_failed
                return _flow.run_sync(self._dispatch_failed(message, exc, sessions, step, handler), refuse)
        finally:
            sessions.close()

    def _lookup(self, message: BaseMessage) -> Callable[[Any], HandlerResult] | None:
        """The handler for ``message``: decorator routes and included rules first, then :meth:`find_handler`.

        With :attr:`release_check` on, the release check's test messages come first (:mod:`wxkit.open.release`).
        """
        if self.release_check and message.authorizer_appid:
            from .open import release  # here only: a bot without the release check never loads it

            answer = release.release_check_handler(self, message)
            if answer is not None:
                return answer
        router = self._router  # None: no routes
        if router is not None:
            found = router.find(self, message)
            if found is not None:
                return found
        return self.find_handler(message)

    def _dispatch_failed(
        self,
        message: BaseMessage,
        exc: Exception,
        sessions: session._Scope,
        step: str,
        handler: Callable[[Any], HandlerResult] | None,
    ) -> _flow.Flow[HandlerResult]:
        """User code failed during dispatch (``step``): log it, drop the session changes, answer ``on_error``'s reply.

        Never a 500 or a retry. The log names what failed (the handler, the
        exception class; ids, never content); what ``on_error`` changes in the
        sessions is saved.
        """
        sessions.rollback()
        observe.handler_failed(exc)
        if step == "handler" and handler is not None:
            step = f"handler {_callable_name(handler)}"
        logger.error(
            "%s failed for %s push: %s (msg id %s, create time %s)",
            step,
            type(message).__name__,
            type(exc).__name__,
            getattr(message, "msg_id", "") or "-",
            message.create_time,
            exc_info=exc,
        )
        try:
            reply = _checked((yield (_flow.HOOK, self.on_error, (message, exc))))
            if sessions.entries:  # what on_error changed is saved
                yield (_flow.STORE, sessions.commit, ())
            return reply
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
        if self.welcome_reply is not None:
            from .events import SubscribeEvent  # loaded with the registry, by the first push parsed

            if isinstance(message, SubscribeEvent):
                return self.welcome_reply
        if self.unsupported_reply is not None and isinstance(message, Message):
            return self.unsupported_reply
        return None


#: The default hooks, skipped by dispatch unless overridden (they do nothing).
_DEFAULT_PRE = BaseApplication.pre_process
_DEFAULT_POST = BaseApplication.post_process
#: The sync path runs _dispatch_direct unless a subclass overrides _dispatch_flow.
_BASE_DISPATCH_FLOW = BaseApplication._dispatch_flow
_BASE_PROCESS = BaseApplication.process


class WxApplication(BaseApplication):
    """An official-account (公众号) callback application.

    Configure with class attributes ``token``, ``app_id`` and ``aes_key``
    (``aes_key`` only for safe / compatible mode) - or the old SDK's
    ``SECRET_TOKEN``, ``APP_ID`` and ``ENCODING_AES_KEY`` - or with the same
    constructor keywords. A malformed ``aes_key`` is a
    :class:`~wxkit.errors.ConfigError` here, not at the first message.

    **The open platform** (``open_platform=True``, or
    :meth:`wxkit.open.Component.application`): one application serves every
    account that authorized a third-party platform. ``token``, ``aes_key``
    and ``app_id`` are the *platform's* (its message check token and key,
    the component appid: the receive id of every account's pushes, always
    encrypted); each call names the account, the ``/$APPID$`` of the message
    URL: ``handle(method, params, body, authorizer_appid=appid)`` (the
    adapters take it from the URL path). Handlers read it as
    ``message.authorizer_appid``; the replay guard keys each account apart;
    :meth:`accepts_authorizer` may refuse accounts (403). The URL is not
    signed, so an account's first push binds its ``ToUserName`` (signed,
    inside the ciphertext) to the appid in the storage, and a push of that
    account under another appid is refused (403): a captured push re-posted
    to another account's URL is never handled as that account.
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
    #: The :class:`wxkit.Client` (or ``AsyncClient``) :meth:`reply_later` sends its results through.
    client: Any = None
    #: The executor running :meth:`reply_later`'s plain work; ``None``: a pool of 8 threads shared
    #: by the process (:data:`wxkit._later.WORKERS`).
    reply_executor: Executor | None = None

    def __init__(
        self,
        *,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
        allow_plaintext: bool | None = None,
        open_platform: bool | None = None,
        release_check: bool | None = None,
        component: Any = None,
        **kwargs: Any,
    ) -> None:
        if allow_plaintext is not None:
            self.allow_plaintext = allow_plaintext
        if open_platform is not None:
            self.open_platform = open_platform
        if release_check is not None:
            self.release_check = release_check
        if component is not None:
            self.component = component
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
        if self.open_platform:
            if self._crypto is None:
                raise ConfigError(
                    "an open_platform application needs the platform's aes_key and app_id (pushes are encrypted)"
                )
            self.allow_plaintext = False
        if self.release_check and not self.open_platform:
            raise ConfigError("release_check is for open_platform applications")
        if self.release_check and self.component is None:  # here, not at the check's QUERY_AUTH_CODE push
            raise ConfigError("release_check needs the platform's component (Component.application() sets it)")
        self._overrides: dict[tuple[str | None, str | None, str | None], WxApplication] = {}
        #: Whose authorizer appid a push carries (_AUTHORIZER); the copies _with_credentials makes share it.
        self._authorizer_key = object()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} app_id={self.app_id!r} safe_mode={self._crypto is not None}>"

    def reply_later(
        self, message: BaseMessage, fn: Callable[..., Any], *args: Any, interim: HandlerResult = None
    ) -> HandlerResult:
        """Answer the push now with ``interim`` and send ``fn(*args)``'s result later, as a customer-service message.

        For work longer than WeChat waits (5 seconds a try, about 15 in all):
        ``return self.reply_later(msg, fn, *args)`` from a handler. A plain
        ``fn`` runs in :attr:`reply_executor` (default: a bounded thread pool),
        an ``async def`` one as an asyncio task on the async path. Its result
        (a ``str``, a text / image / voice / video / music / news reply, or
        ``None`` for nothing) is sent to the message's sender through
        :attr:`client`; failures are logged on the ``wxkit.app`` logger. A
        missing client, or async work outside :meth:`handle_async`, raises
        :class:`~wxkit.errors.ConfigError` here.
        """
        from . import _later  # not at module level: a bot that never replies later never loads it

        _later.submit(self.client, self.reply_executor, message.from_user_name, fn, args)
        return interim

    def process(
        self,
        params: Mapping[str, Any] | None,
        xml: str | bytes | None = None,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
        *,
        authorizer_appid: str | None = None,
    ) -> str:
        """Handle one request (the old SDK's call shape); see :meth:`BaseApplication.process`.

        ``token`` / ``app_id`` / ``aes_key`` override the configured ones for
        this call (multi-account servers); the replay storage is shared.
        ``authorizer_appid``: the account an ``open_platform`` push is for.
        """
        if not (token or app_id or aes_key or authorizer_appid or self.open_platform):  # the common call
            return _BASE_PROCESS(self, params, xml)
        reset = self._enter_authorizer(authorizer_appid) if (self.open_platform or authorizer_appid) else None
        try:
            if token or app_id or aes_key:
                return self._with_credentials(token, app_id, aes_key).process(params, xml)
            return _BASE_PROCESS(self, params, xml)
        finally:
            if reset is not None:
                _AUTHORIZER.reset(reset)

    async def process_async(
        self,
        params: Mapping[str, Any] | None,
        xml: str | bytes | None = None,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
        *,
        authorizer_appid: str | None = None,
    ) -> str:
        """:meth:`process` for asyncio code (see :meth:`BaseApplication.process_async`); same overrides."""
        reset = self._enter_authorizer(authorizer_appid) if (self.open_platform or authorizer_appid) else None
        try:
            if token or app_id or aes_key:
                return await self._with_credentials(token, app_id, aes_key).process_async(params, xml)
            return await super().process_async(params, xml)
        finally:
            if reset is not None:
                _AUTHORIZER.reset(reset)

    def handle(
        self,
        method: str,
        params: Mapping[str, Any] | None,
        body: str | bytes | None,
        *,
        authorizer_appid: str | None = None,
    ) -> WxResponse:
        """:meth:`BaseApplication.handle`; ``authorizer_appid``: the account an ``open_platform`` push is for.

        On an ``open_platform`` application a missing or malformed appid
        answers 400, one :meth:`accepts_authorizer` refuses 403.
        """
        if not self.open_platform:
            if authorizer_appid:
                raise ConfigError(f"{type(self).__name__}: authorizer_appid is for open_platform applications")
            return super().handle(method, params, body)
        try:
            reset = self._enter_authorizer(authorizer_appid)
        except WxError as exc:
            self._refuse_async_handlers()
            return self._error_response(exc)
        try:
            return super().handle(method, params, body)
        finally:
            if reset is not None:
                _AUTHORIZER.reset(reset)

    async def handle_async(
        self,
        method: str,
        params: Mapping[str, Any] | None,
        body: str | bytes | None,
        *,
        authorizer_appid: str | None = None,
    ) -> WxResponse:
        """:meth:`BaseApplication.handle_async`; ``authorizer_appid`` as in :meth:`handle`."""
        if not self.open_platform:
            if authorizer_appid:
                raise ConfigError(f"{type(self).__name__}: authorizer_appid is for open_platform applications")
            return await super().handle_async(method, params, body)
        try:
            reset = self._enter_authorizer(authorizer_appid)
        except WxError as exc:
            return self._error_response(exc)
        try:
            return await super().handle_async(method, params, body)
        finally:
            if reset is not None:
                _AUTHORIZER.reset(reset)

    def accepts_authorizer(self, authorizer_appid: str) -> bool:
        """Whether this ``open_platform`` application serves ``authorizer_appid`` (default: every account).

        Override it to refuse accounts the platform does not know (e.g. not
        in its database): their pushes answer 403. The appid comes from the
        URL path, which WeChat's signature does not cover; the replay guard
        keys pushes by it (see docs/open-platform.md).
        """
        return True

    def _enter_authorizer(self, authorizer_appid: str | None) -> Any:
        """Check ``authorizer_appid`` and make it the current push's account: the reset token, or None (already set)."""
        if not self.open_platform:
            raise ConfigError(f"{type(self).__name__}: authorizer_appid is for open_platform applications")
        if authorizer_appid is None:
            if _AUTHORIZER.get()[0] is self._authorizer_key:  # set by this app's handle(), which calls process()
                return None
            raise ParseError("an open-platform push needs its authorizer appid (the /$APPID$ of the message URL)")
        if not (
            isinstance(authorizer_appid, str)
            and 0 < len(authorizer_appid) <= 64
            and authorizer_appid.isascii()
            and authorizer_appid.replace("_", "").replace("-", "").isalnum()
        ):
            raise ParseError("the authorizer appid is not an appid (letters, digits, '_' and '-', at most 64)")
        if not self.accepts_authorizer(authorizer_appid):
            raise SignatureError(f"pushes for {authorizer_appid} are not served here (accepts_authorizer)")
        return _AUTHORIZER.set((self._authorizer_key, authorizer_appid))

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
        if not _is_text(echostr):  # it becomes the answer body, which must encode as UTF-8
            raise ParseError("echostr is not valid Unicode text (a lone surrogate)")
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
