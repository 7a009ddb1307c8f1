"""The message log: observers called after every push with a :class:`PushRecord`.

Register a callable with ``bot.add_observer(fn)`` (it also works as a
decorator). After each push - handled, refused or failed - wxkit calls it
with a frozen :class:`PushRecord`: the typed message (``None`` when the push
could not be parsed), the reply as rendered (plaintext XML; ``None`` for the
empty ``"success"`` answer or when nothing was answered), the
:class:`Outcome` and the time wxkit spent, in seconds::

    def log_push(record):
        print(record.outcome.value, record.duration, record.message and record.message.msg_type)

    bot.add_observer(log_push)

Observers run after the push is handled and before the answer is returned,
in the order they were added; an observer that raises is logged (with its
traceback, on the ``wxkit.observe`` logger) and ignored: it never changes
the answer. The URL check (``GET``) is not a push and is not recorded. On
the async path (``handle_async``) observers run like plain handlers: in a
worker thread unless ``handlers_block`` is False, so one that writes to a
database does not stall the event loop. With no observer registered, the
only cost per push is one attribute test.
"""

from __future__ import annotations

import enum
import inspect
import logging
import time
from collections.abc import Callable, Generator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._flow import is_async_callable
from ._model import AttrsValue
from .errors import DuplicateMessageError, StorageError, WxError

if TYPE_CHECKING:
    from .messages import BaseMessage

__all__ = ["Observable", "Observer", "Outcome", "PushRecord"]

logger = logging.getLogger("wxkit.observe")


class Outcome(str, enum.Enum):
    """How a push ended; the value is a short lower-case name (store it as text)."""

    #: The handler (or a fallback) ran and its reply - or ``"success"`` - was answered.
    HANDLED = "handled"
    #: WeChat's retry of a push handled or being handled: the handler did not run again; ``reply``
    #: is the original's reply it was answered (``None``: "success"), ``error`` a
    #: :class:`~wxkit.errors.DuplicateMessageError` saying so (not raised).
    DUPLICATE = "duplicate"
    #: Bad input, refused before any handler ran: a signature that does not match, a stale
    #: timestamp, a body that does not decrypt or parse (``error`` is the :class:`~wxkit.errors.WxError`).
    REJECTED = "rejected"
    #: A handler or hook raised (or its session could not be saved, or its reply rendered):
    #: ``error`` is the exception, ``reply`` what ``on_error`` answered.
    HANDLER_FAILED = "handler_failed"
    #: wxkit could not handle the push for a reason of its own - the replay guard's storage
    #: failed (answered 500, WeChat retries) - ``error`` says why.
    ERROR = "error"


@attrs.frozen(repr=False, eq=False)  # AttrsValue's repr / eq / hash: not compiled at import
class PushRecord(AttrsValue):
    """One entry of the message log: what came in, what went out, how it ended and how long it took.

    ``message``: the typed message or event (``None`` when the push was
    refused before it could be parsed). ``reply``: the rendered plaintext
    reply XML, before safe-mode encryption (``None`` when the answer was the
    empty ``"success"`` or nothing was answered). ``outcome``: an
    :class:`Outcome`. ``duration``: seconds from the start of the push to the
    rendered answer (observers excluded). ``error``: the exception behind a
    ``duplicate`` / ``rejected`` / ``handler_failed`` / ``error`` outcome,
    else ``None``.
    """

    outcome: Outcome
    message: BaseMessage | None
    reply: str | None
    duration: float
    error: BaseException | None = None


#: An observer: a callable taking a :class:`PushRecord` (its result is ignored).
Observer = Callable[[PushRecord], object]
_O = TypeVar("_O", bound=Callable[[PushRecord], object])


class Observable:
    """The observer registry every application has (mixed into :class:`wxkit.BaseApplication`)."""

    #: The registered observers (an instance's own list, shared with its per-call-credential copies).
    _observers: list[Observer] | tuple[()] = ()

    def _init_observers(self) -> None:
        """Give the instance its list (kept when a copy is re-initialised over a copied ``__dict__``)."""
        if "_observers" not in self.__dict__:
            self._observers = []

    def add_observer(self, observer: _O) -> _O:
        """Call ``observer(record)`` after every push; returns ``observer``, so it works as a decorator too."""
        if not callable(observer):
            raise TypeError(f"an observer must be callable, not {type(observer).__name__}")
        if is_async_callable(observer):
            raise TypeError("an observer must be a plain callable, not async def (it runs after the push, not awaited)")
        observers = self.__dict__.get("_observers")
        if observers is None:
            observers = self._observers = []
        observers.append(observer)
        return observer

    def remove_observer(self, observer: Observer) -> None:
        """Stop calling ``observer``; :class:`ValueError` if it is not registered."""
        observers = self.__dict__.get("_observers") or []
        try:
            observers.remove(observer)
        except ValueError:
            raise ValueError("that observer is not registered") from None

    @property
    def observers(self) -> tuple[Observer, ...]:
        """The registered observers, in the order they are called."""
        return tuple(self._observers)


class _Note:
    """What one push's flow reports to its record: the message and reply as they become known."""

    __slots__ = ("failure", "message", "reply", "start")

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.message: Any = None
        self.reply: str | None = None
        self.failure: BaseException | None = None


_current: ContextVar[_Note | None] = ContextVar("wxkit_push_note", default=None)


def handler_failed(error: BaseException) -> None:
    """Mark the push being observed (if any) as ``handler_failed``; called from dispatch's guard."""
    note = _current.get()
    if note is not None and note.failure is None:
        note.failure = error


def _outcome(error: BaseException) -> Outcome:
    if isinstance(error, DuplicateMessageError):
        return Outcome.DUPLICATE
    if isinstance(error, StorageError):
        return Outcome.ERROR
    if isinstance(error, WxError):
        return Outcome.REJECTED
    return Outcome.ERROR


def notify(observers: list[Observer] | tuple[()], record: PushRecord) -> None:
    """Call each observer with ``record``; one that raises is logged and ignored."""
    for observer in tuple(observers):
        try:
            result = observer(record)
            if inspect.isawaitable(result):  # a plain callable that returned a coroutine: never awaited
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise TypeError("the observer returned an awaitable; observers must be plain callables")
        except Exception:
            name = getattr(observer, "__qualname__", None) or type(observer).__name__
            logger.exception("observer %s failed on a %s push record (ignored)", name, record.outcome.value)


#: The step a flow yields to run the observers (see :mod:`wxkit._flow`: kind, callable, args).
_Step = tuple[int, Callable[..., Any], tuple[Any, ...]]


def observed(
    observers: list[Observer] | tuple[()],
    steps: Generator[_Step, Any, str],
    note: _Note,
    hook_kind: int,
) -> Generator[_Step, Any, str]:
    """Run a push's flow (``steps``, reporting to ``note``), then yield one step calling the observers.

    The observers' step has kind ``hook_kind`` (user code: on the async path
    it runs in a worker thread like a plain handler). A flow abandoned by its
    driver (``GeneratorExit``) is not recorded.
    """
    token = _current.set(note)
    try:
        try:
            body = yield from steps
        finally:
            _current.reset(token)
    except Exception as exc:
        record = PushRecord(_outcome(exc), note.message, None, time.perf_counter() - note.start, exc)
        yield (hook_kind, notify, (observers, record))
        raise
    failure = note.failure
    if failure is None:
        outcome = Outcome.HANDLED
    elif isinstance(failure, DuplicateMessageError):  # WeChat's retry, answered with its original's reply
        outcome = Outcome.DUPLICATE
    else:
        outcome = Outcome.HANDLER_FAILED
    record = PushRecord(outcome, note.message, note.reply, time.perf_counter() - note.start, failure)
    yield (hook_kind, notify, (observers, record))
    return body
