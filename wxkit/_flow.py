"""One request-handling flow, two drivers: how the sync and async entry points share their code.

The inbound core (:meth:`wxkit.BaseApplication.handle` / ``handle_async``) and
the pay notification handler (:meth:`wxkit.pay.notify.PayNotificationHandler.handle`
/ ``handle_async``) write their work once, as a generator (a *flow*). The flow
does everything that needs no I/O itself - verifying, decrypting, parsing,
rendering, encrypting - and *yields* a step for each call it cannot make
itself:

* ``(HOOK, func, args)`` - the user's code (a handler or a hook), which may
  be ``async def``;
* ``(STORE, func, args)`` - a call that may block on a storage (the replay
  guard's claim in Redis);
* ``(IO, func, args)`` - any other call that may block (verifying a pay
  notification may download WeChat Pay's platform certificates);
* ``(SLEEP, time.sleep, (seconds,))`` - a pause (WeChat's retry polling for
  the reply of the push it repeats): :func:`run_sync` sleeps, :func:`run_async`
  awaits :func:`asyncio.sleep`, so the event loop never blocks.

A driver runs the step and sends its result back into the flow (or throws
its exception into it, so that the flow's own ``try`` / ``except`` decides).
:func:`run_sync` calls everything directly and refuses ``async def`` user
code with a :class:`~wxkit.errors.ConfigError`; :func:`run_async` awaits
``async def`` user code, runs plain user code in a worker thread (unless told
it does not block), storage calls in a worker thread (unless the storage
is a :class:`~wxkit.storage.MemoryStorage`) and ``IO`` calls in a worker
thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from contextvars import ContextVar
from typing import Any, TypeVar

from .errors import ConfigError

__all__ = [
    "HOOK",
    "IO",
    "SLEEP",
    "STORE",
    "Flow",
    "Refused",
    "Step",
    "call_sync",
    "callable_name",
    "check_sync",
    "inline",
    "flow_loop",
    "is_async_callable",
    "run_async",
    "run_sync",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

#: Step kinds: the user's code, a possibly blocking storage call, any other blocking call, a pause.
HOOK = 0
STORE = 1
IO = 2
SLEEP = 3
Step = tuple[int, Callable[..., Any], tuple[Any, ...]]
Flow = Generator[Step, Any, T]

_INLINE = "_wxkit_inline"

#: The event loop running the current flow (:func:`run_async`; ``None`` elsewhere). Worker threads
#: running plain user code see it too (:func:`asyncio.to_thread` copies the context), so such code
#: can hand coroutines to the loop (``WxApplication.reply_later``).
flow_loop: ContextVar[Any] = ContextVar("wxkit_flow_loop", default=None)


def inline(func: F) -> F:
    """Mark a default hook that never blocks: the async driver calls it on the loop, not in a thread."""
    setattr(func, _INLINE, True)
    return func


def is_async_callable(func: object) -> bool:
    """Whether calling ``func`` gives an awaitable: an ``async def`` function, method, partial or object."""
    if inspect.iscoroutinefunction(func):
        return True
    if inspect.isfunction(func) or inspect.ismethod(func):
        return False
    # an object whose __call__ is async def
    return callable(func) and inspect.iscoroutinefunction(type(func).__call__)


def _looks_async(func: Callable[..., Any]) -> bool:
    """:func:`is_async_callable`, also through ``functools.wraps`` wrappers (a route with bound match groups)."""
    if is_async_callable(func):
        return True
    try:
        inner = inspect.unwrap(func)
    except ValueError:  # a __wrapped__ cycle
        return False
    return inner is not func and is_async_callable(inner)


def callable_name(func: Callable[..., Any]) -> str:
    """A callable's name for messages: ``Bot.on_text``, ``my_handler``, or its class name."""
    name = getattr(func, "__qualname__", None)
    return name if isinstance(name, str) else type(func).__name__


class Refused(BaseException):
    """Raised through a flow by :func:`call_sync` for ``async def`` user code; :func:`run_sync` raises ``error``.

    A ``BaseException``: the flow's own ``except Exception`` guards (a failing
    handler goes to ``on_error``) must not take it for the user code failing.
    """

    def __init__(self, error: ConfigError) -> None:
        super().__init__(error)
        self.error = error


def call_sync(
    func: Callable[..., Any], args: tuple[Any, ...], refuse: Callable[[Callable[..., Any]], ConfigError]
) -> Any:
    """Call user code from a flow run by :func:`run_sync`, as :func:`run_sync` runs a ``HOOK`` step.

    A flow that knows its driver is :func:`run_sync` calls its hot-path user code
    with this instead of yielding it (no round trip through the driver); an
    awaitable result is closed and raises :class:`Refused`.
    """
    return check_sync(func, func(*args), refuse)


def check_sync(func: Callable[..., Any], value: Any, refuse: Callable[[Callable[..., Any]], ConfigError]) -> Any:
    """``value``, what ``func`` returned, unless it is an awaitable: closed, and :class:`Refused` raised."""
    if value is not None and value.__class__ is not str and inspect.isawaitable(value):
        _close(value)
        raise Refused(refuse(func))
    return value


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()  # never awaited, on purpose: no RuntimeWarning


def run_sync(flow: Flow[T], refuse: Callable[[Callable[..., Any]], ConfigError]) -> T:
    """Run ``flow`` calling every step directly; ``async def`` user code raises ``refuse(func)``.

    User code is refused by what it returns: calling an ``async def`` function
    (or anything returning an awaitable) only builds the awaitable, which is
    closed unawaited, so nothing of it runs.
    """
    try:
        step = flow.send(None)
        while True:
            kind, func, args = step
            try:
                value = func(*args)
            except Exception as exc:  # noqa: BLE001 - handed to the flow, which decides (on_error, a 500...)
                step = flow.throw(exc)
                continue
            if kind == HOOK and value is not None and value.__class__ is not str and inspect.isawaitable(value):
                _close(value)
                raise refuse(func)
            step = flow.send(value)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]  # the flow's return value is a T
    except Refused as refused:  # call_sync inside the flow met async user code
        raise refused.error from None
    finally:
        flow.close()


async def run_async(flow: Flow[T], *, handlers_block: bool, storage_blocks: bool) -> T:
    """Run ``flow`` awaiting ``async def`` user code; blocking calls go to :func:`asyncio.to_thread`.

    ``handlers_block``: run plain user code in a worker thread (else on the
    loop); hooks marked :func:`inline` always run on the loop.
    ``storage_blocks``: run ``STORE`` steps in a worker thread (``IO`` steps always run in one).
    ``SLEEP`` steps are awaited with :func:`asyncio.sleep`.
    """
    import asyncio  # not at module level: a sync-only bot never imports asyncio

    value: Any = None
    error: Exception | None = None
    loop_token = flow_loop.set(asyncio.get_running_loop())
    try:
        while True:
            try:
                kind, func, args = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]  # the flow's return value is a T
            value = error = None
            try:
                if kind == SLEEP:
                    await asyncio.sleep(*args)
                elif kind != HOOK:
                    blocks = storage_blocks if kind == STORE else True
                    value = await asyncio.to_thread(func, *args) if blocks else func(*args)
                elif handlers_block and not getattr(func, _INLINE, False) and not _looks_async(func):
                    value = await asyncio.to_thread(func, *args)
                else:
                    value = func(*args)
                if kind == HOOK and value is not None and value.__class__ is not str and inspect.isawaitable(value):
                    value = await value
            except Exception as exc:  # noqa: BLE001 - handed to the flow, which decides (on_error, a 500...)
                error = exc
    finally:
        flow_loop.reset(loop_token)
        flow.close()
