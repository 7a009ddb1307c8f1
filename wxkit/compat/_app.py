"""What the compat applications share: CamelCase requests for handlers, the old hook signatures.

:class:`CompatHooks` sits in front of a wxkit application class in the MRO
(``class WxApplication(CompatHooks, wxkit.WxApplication)``). It

* hands every handler, ``pre_process``, ``post_process`` and ``on_error`` a
  :class:`~wxkit.compat.models.WxRequest` instead of the typed message (one
  request object per push, also kept as ``self.wxreq`` / ``self.req``, where the
  old SDK kept it);
* adapts hooks written with the old signatures (``pre_process(self)``,
  ``post_process(self, rsp)``, ``post_process(self)``) when a subclass defines
  them;
* picks up ``handlers`` / ``event_handlers`` assigned on the instance after
  construction (the old SDK's documented pattern);
* maps ``UNSUPPORT_TXT`` / ``WELCOME_TXT`` to wxkit's fallback replies, with
  the old SDK's default texts.
"""

from __future__ import annotations

import base64
import functools
import inspect
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ClassVar

from ..app import BaseApplication, HandlerResult
from ..messages import BaseMessage
from ..storage import MemoryStorage, Storage
from .models import WxRequest

__all__ = ["CompatHooks", "placeholder_aes_key", "placeholder_secret"]

#: One replay-guard storage for every compat application of the process: the old SDK's
#: examples build an application per request, which would otherwise forget each push at once.
PROCESS_STORAGE = MemoryStorage()

#: The old SDK's default texts.
DEFAULT_UNSUPPORT_TXT = "暂不支持此类型消息"
DEFAULT_WELCOME_TXT = "你好！感谢您的关注！"

_current: ContextVar[tuple[BaseMessage, WxRequest] | None] = ContextVar("wxkit_compat_request", default=None)
_MISSING: Any = object()
_HOOKS = ("pre_process", "post_process", "on_error")


def placeholder_secret() -> str:
    """An unguessable stand-in for a credential that only ``process(...)`` will give."""
    return "wxkit-unset-" + secrets.token_hex(16)


def placeholder_aes_key() -> str:
    """A random, well-formed EncodingAESKey standing in until ``process(...)`` gives the real one."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


def request_for(message: Any) -> Any:
    """The push's :class:`WxRequest` (the one being dispatched, if ``message`` is it); None stays None."""
    if message is None or isinstance(message, WxRequest):
        return message
    if isinstance(message, BaseMessage):
        current = _current.get()
        if current is not None and current[0] is message:
            return current[1]
        return WxRequest(message)
    return message


def _positional_capacity(func: Callable[..., Any]) -> int | None:
    """How many positional arguments ``func`` takes after ``self`` (None: any number)."""
    try:
        params = list(inspect.signature(func).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    count = 0
    for p in params:
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def _adapt_hook(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    capacity = _positional_capacity(func)
    adapted: Callable[..., Any]
    if name == "pre_process" and capacity == 0:
        # the old SDK's pre_process(self): its result was ignored, the handler always ran
        def adapted(self: Any, message: Any = None) -> HandlerResult:
            func(self)
            return None

    elif name == "post_process" and capacity is not None and capacity < 2:
        # the old SDK's post_process(self, rsp) / post_process(self): the response is sent as returned by the handler
        def adapted(self: Any, message: Any = None, reply: Any = _MISSING) -> Any:
            if reply is _MISSING:  # an old-style super().post_process(rsp) call
                reply = message
            if capacity == 0:
                func(self)
            else:
                func(self, reply)
            return reply

    elif name == "on_error":

        def adapted(self: Any, message: Any, error: Exception) -> Any:
            return func(self, request_for(message), error)

    elif name == "post_process":

        def adapted(self: Any, message: Any = None, reply: Any = None) -> Any:
            return func(self, request_for(message), reply)

    else:

        def adapted(self: Any, message: Any = None) -> Any:
            return func(self, request_for(message))

    functools.update_wrapper(adapted, func)
    adapted.__dict__["_wxkit_compat"] = True  # marks an adapted hook
    return adapted


def _with_request(handler: Callable[[Any], HandlerResult]) -> Callable[[Any], HandlerResult]:
    """Wrap a handler to receive the push's :class:`WxRequest`; it keeps the handler's name for logs."""

    def call(message: Any) -> HandlerResult:
        return handler(request_for(message))

    return functools.update_wrapper(call, handler)


class CompatHooks(BaseApplication):
    """The old SDK's handler conventions on a wxkit application (see the module docstring)."""

    UNSUPPORT_TXT: ClassVar[str | None] = DEFAULT_UNSUPPORT_TXT
    WELCOME_TXT: ClassVar[str | None] = DEFAULT_WELCOME_TXT
    storage: Storage | None = PROCESS_STORAGE
    #: The request being handled, where the old SDK kept it (``wxreq`` official, ``req`` WeCom).
    wxreq: WxRequest | None = None
    req: WxRequest | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _HOOKS:
            func = cls.__dict__.get(name)
            if inspect.isfunction(func) and not getattr(func, "_wxkit_compat", False):
                setattr(cls, name, _adapt_hook(name, func))

    def _compat_init(self) -> None:
        """Finish construction: fallback texts and the handler dicts seen so far."""
        if self.unsupported_reply is None and self.UNSUPPORT_TXT is not None:
            self.unsupported_reply = self.UNSUPPORT_TXT
        if self.welcome_reply is None and self.WELCOME_TXT is not None:
            self.welcome_reply = self.WELCOME_TXT
        self._seen_handlers = (self.handlers, self.event_handlers)

    # -- the hooks' defaults, callable with the old and the new signatures ---------
    def pre_process(self, message: Any = None) -> HandlerResult:
        """Run before the handler with the push's :class:`WxRequest`; ``pre_process(self)`` works too."""
        return None

    def post_process(self, message: Any = None, reply: Any = _MISSING) -> Any:
        """Run after the handler; ``post_process(self, rsp)`` (the old form) works too."""
        return message if reply is _MISSING else reply

    # -- dispatch -----------------------------------------------------------------
    def dispatch(self, message: BaseMessage) -> HandlerResult:
        """Dispatch as wxkit does, with one :class:`WxRequest` for this push (also ``self.wxreq``)."""
        request = WxRequest(message)
        self.wxreq = self.req = request
        token = _current.set((message, request))
        try:
            return super().dispatch(message)
        finally:
            _current.reset(token)

    def find_handler(self, message: BaseMessage) -> Callable[[Any], HandlerResult] | None:
        """Find the handler as wxkit does; it is called with the push's :class:`WxRequest`."""
        seen = getattr(self, "_seen_handlers", None)
        if seen is None or seen[0] is not self.handlers or seen[1] is not self.event_handlers:
            # handlers / event_handlers were assigned after construction (app.handlers = {...})
            self._event_handlers = {k.lower(): v for k, v in self.event_handlers.items()}
            self._dispatch_cache.clear()
            self._seen_handlers = (self.handlers, self.event_handlers)
        handler = super().find_handler(message)
        return None if handler is None else _with_request(handler)
