"""Routing without subclass boilerplate: decorators on an application, and :class:`Router`.

Every application (:class:`wxkit.WxApplication`, ``wxkit.work.WorkApplication``)
has these decorators; they route pushes to plain functions that take the
message, WeRoBot-style::

    bot = WxApplication(token="...")

    @bot.keyword("help", "帮助")
    def help_(msg):
        return "Send 订单123 to look up an order."

    @bot.regex(r"^订单(\\d+)$")
    def order(msg, number):            # the groups are handed to the handler
        return f"order {number}"

    @bot.click("MENU_ABOUT")
    def about(event):
        return "wxkit bot"

    @bot.text
    def echo(msg):
        return msg.content

Rules are tried in the order they were added and the **first match wins**: its
handler's result is the answer (``None`` answers ``"success"``; it does not
fall through to the next rule). Pushes no rule matches go on to the
``handlers`` / ``event_handlers`` dicts and the ``on_*`` methods, so routes
and ``on_*`` methods mix freely. A handler that raises goes to ``on_error``
like any other.

Rules belong to the instance they are registered on (each ``WxApplication``
object has its own table). To share rules between applications or define
them apart from the application, put them on a :class:`Router` and
``include`` it (``bot.include(router)``, or the class attribute
``routes = (router,)`` for every instance of a class). Included routers and
rule sets (:class:`wxkit.rules.AutoReply`) take their turn where they were
included.

Generic forms cover every message and event type: ``@bot.message("voice")``,
``@bot.event("TEMPLATESENDJOBFINISH")``, ``@bot.event("change_contact:create_user")``
(a WeCom sub-type), ``@bot.event("scancode_push", key="SCAN_1")``. Message
types are matched exactly (as WeChat sends them), events case-insensitively.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar, overload, runtime_checkable

from ._eventbase import Event, UnknownEvent
from ._replybase import Reply
from .errors import ConfigError
from .messages import BaseMessage, UnknownMessage

__all__ = ["RouteSource", "Router", "Routing"]

#: What a handler returns (the same union as ``wxkit.app.HandlerResult``).
_Result = Reply | str | None
#: What a route answers for a matching push: a callable taking the message.
_Found = Callable[[Any], _Result]
#: Extra arguments a match hands the handler: ``(args, kwargs)``.
_Args = tuple[tuple[Any, ...], dict[str, Any]]
_Test = Callable[[Any], _Args | None]  # no string inside: a ForwardRef compiles it at import
F = TypeVar("F", bound=Callable[..., Any])

#: A match without extra arguments (the dict is never mutated: ``**{}`` copies).
_MATCHED: _Args = ((), {})
#: Dispatch keys covering every user message / every event.
_ANY_MESSAGE = "message:*"
_ANY_EVENT = "event:*"
#: The per-key candidate cache is dropped when it grows past this (keys come from signed pushes only).
_INDEX_MAX = 512


def _dispatch_key(message: BaseMessage) -> str:
    """The key a push is routed by: its ``MsgType``, or ``event:<Event lower-cased>`` for an event."""
    if isinstance(message, Event):
        return "event:" + message.event.lower()
    return message.msg_type


@runtime_checkable
class RouteSource(Protocol):
    """Anything an application or :class:`Router` can ``include``: a :class:`Router`, an ``AutoReply``...

    ``find`` returns a callable taking the message (the handler, with any
    match arguments bound) for a push it handles, else ``None``. A source may
    also have ``check(app)``, called when it is included into an application,
    to refuse a configuration that cannot work there (with a
    :class:`~wxkit.errors.ConfigError`).
    """

    def find(self, app: Any, message: BaseMessage) -> _Found | None:
        """The handler for ``message`` (extra match arguments bound), or None."""
        ...


class _Route:
    """One rule: pushes with a dispatch key in ``keys`` (None: any) that pass ``test`` go to ``handler``."""

    __slots__ = ("handler", "keys", "test")

    def __init__(self, handler: Callable[..., Any], keys: Iterable[str] | None, test: _Test | None = None) -> None:
        if not callable(handler):
            raise ConfigError(f"a route handler must be callable, not {type(handler).__name__}")
        self.handler = handler
        self.keys = None if keys is None else frozenset(keys)
        self.test = test

    def __repr__(self) -> str:
        keys = "*" if self.keys is None else ",".join(sorted(self.keys))
        return f"<Route {keys} -> {getattr(self.handler, '__qualname__', self.handler)!r}>"

    def accepts(self, key: str) -> bool:
        """Whether a push with dispatch ``key`` may match (the cheap half, cached per key by routers)."""
        keys = self.keys
        if keys is None or key in keys:
            return True
        return (_ANY_EVENT if key.startswith("event:") else _ANY_MESSAGE) in keys

    def find(self, app: Any, message: BaseMessage) -> _Found | None:
        """The handler, with the test's arguments bound, if ``message`` passes the test."""
        test = self.test
        if test is None:
            return self.handler
        found = test(message)
        if found is None:
            return None
        args, kwargs = found
        if not args and not kwargs:
            return self.handler
        return _bind(self.handler, args, kwargs)


def _bind(handler: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Found:
    """``handler`` with match arguments after the message; keeps its name for the logs."""

    def bound(message: Any) -> _Result:
        result: _Result = handler(message, *args, **kwargs)
        return result

    return functools.update_wrapper(bound, handler)


# -------------------------------------------------------------------------- matchers
def _strings(values: Iterable[Any], what: str) -> tuple[str, ...]:
    out = tuple(values)
    for value in out:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{what} must be non-empty strings, got {value!r}")
    return out


def _event_spec(events: Sequence[str], keys: str | Iterable[str] | None) -> tuple[frozenset[str], _Test | None]:
    """Dispatch keys and test for events by name (``"a:b"`` for a sub-type), optionally by ``EventKey``."""
    names = _strings(events, "event names")
    dispatch: set[str] = set()
    plain: set[str] = set()
    subtypes: set[str] = set()
    for name in names:
        low = name.lower()
        if ":" in low:
            base, _, sub = low.partition(":")
            if not base or not sub:
                raise ConfigError(f"an event sub-type is written 'event:subtype', got {name!r}")
            subtypes.add(low)
            dispatch.add("event:" + base)
        else:
            plain.add(low)
            dispatch.add("event:" + low)
    if not names:
        dispatch.add(_ANY_EVENT)
    wanted: frozenset[str] | None = None
    if keys is not None:
        wanted = frozenset(_strings([keys] if isinstance(keys, str) else keys, "event keys"))
        if not wanted:
            raise ConfigError("key= needs at least one EventKey (or leave it out)")
    if not subtypes and wanted is None:
        return frozenset(dispatch), None

    def test(message: Any) -> _Args | None:
        if subtypes and message.event.lower() not in plain and type(message).wx_type.lower() not in subtypes:
            return None
        if wanted is not None and message.raw.get("EventKey") not in wanted:
            return None
        return _MATCHED

    return frozenset(dispatch), test


def _keyword_test(words: Iterable[str], *, contains: bool = False, ignore_case: bool = False) -> _Test:
    """Match text whose content (stripped) equals, or with ``contains`` includes, one of ``words``."""
    norm = tuple(w.strip().casefold() if ignore_case else w.strip() for w in _strings(words, "keywords"))
    if not norm or not all(norm):
        raise ConfigError("keywords must be non-empty strings (after stripping whitespace)")
    exact = frozenset(norm)

    def test(message: Any) -> _Args | None:
        content = getattr(message, "content", None)
        if not isinstance(content, str):
            return None
        content = content.strip()
        if ignore_case:
            content = content.casefold()
        if contains:
            return _MATCHED if any(word in content for word in norm) else None
        return _MATCHED if content in exact else None

    return test


def _compile_pattern(pattern: str | re.Pattern[str], flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` with a :class:`~wxkit.errors.ConfigError` for a bad pattern."""
    if isinstance(pattern, re.Pattern):
        if flags:
            raise ConfigError("flags cannot be added to an already compiled pattern")
        return pattern
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"a regex must be a non-empty string, got {pattern!r}")
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ConfigError(f"bad regex {pattern!r}: {exc}") from None


def _regex_test(pattern: re.Pattern[str]) -> _Test:
    """Match text whose content the pattern finds (``search``); groups become the handler's arguments.

    Named groups are passed as keyword arguments, otherwise every group is
    passed positionally (Django's URL convention).
    """
    named = bool(pattern.groupindex)

    def test(message: Any) -> _Args | None:
        content = getattr(message, "content", None)
        if not isinstance(content, str):
            return None
        found = pattern.search(content)
        if found is None:
            return None
        if named:
            return (), found.groupdict()
        return found.groups(), {}

    return test


def _is_unknown(message: Any) -> _Args | None:
    return _MATCHED if isinstance(message, (UnknownMessage, UnknownEvent)) else None


# -------------------------------------------------------------------------- decorators
class _Decorators:
    """The decorators shared by :class:`Router` and applications (:class:`Routing`)."""

    def _add(self, entry: _Route | RouteSource) -> None:
        raise NotImplementedError

    def _decorator(self, keys: Iterable[str] | None, test: _Test | None = None) -> Callable[[F], F]:
        frozen = None if keys is None else frozenset(keys)

        def register(handler: F) -> F:
            self._add(_Route(handler, frozen, test))
            return handler

        return register

    def _keyed(self, event: str, args: tuple[Any, ...]) -> Any:
        """``@x.click`` (bare: every such event) or ``@x.click("KEY", ...)`` (those EventKeys)."""
        if len(args) == 1 and callable(args[0]):
            return self.event(event)(args[0])
        return self.event(event, key=args or None)

    # -- generic -------------------------------------------------------------------
    def message(self, *msg_types: str) -> Callable[[F], F]:
        """Route user messages of these ``MsgType`` values (exact, e.g. ``"voice"``); none given: every message."""
        types = _strings(msg_types, "message types")
        if "event" in types:
            raise ConfigError("MsgType 'event' is routed with .event(...)")
        return self._decorator(types or (_ANY_MESSAGE,))

    def event(self, *events: str, key: str | Iterable[str] | None = None) -> Callable[[F], F]:
        """Route events by ``Event`` (case-insensitive; ``"change_contact:create_user"`` for a sub-type).

        No name: every event. ``key``: only pushes whose ``EventKey`` is this
        one (or one of these).
        """
        keys, test = _event_spec(events, key)
        return self._decorator(keys, test)

    def when(self, predicate: Callable[[Any], object]) -> Callable[[F], F]:
        """Route every push for which ``predicate(message)`` is true (checked for each push)."""
        if not callable(predicate):
            raise ConfigError("when() needs a callable taking the message")
        return self._decorator(None, lambda msg: _MATCHED if predicate(msg) else None)

    def keyword(self, *words: str, contains: bool = False, ignore_case: bool = False) -> Callable[[F], F]:
        """Route text messages equal to one of ``words`` (surrounding whitespace ignored).

        ``contains=True``: messages containing one of them; ``ignore_case=True``:
        compared case-insensitively.
        """
        if not words:
            raise ConfigError("keyword() needs at least one keyword")
        return self._decorator(("text",), _keyword_test(words, contains=contains, ignore_case=ignore_case))

    def regex(self, pattern: str | re.Pattern[str], flags: int = 0) -> Callable[[F], F]:
        """Route text messages the pattern finds (``re.search``; anchor with ``^...$``).

        The groups are handed to the handler: named groups as keyword
        arguments, otherwise every group positionally - ``handler(msg, *groups)``.
        """
        return self._decorator(("text",), _regex_test(_compile_pattern(pattern, flags)))

    def filter(self, *rules: str | re.Pattern[str]) -> Callable[[F], F]:
        """WeRoBot's ``filter``: text equal to a string rule, or that a compiled pattern ``match``-es."""
        if not rules:
            raise ConfigError("filter() needs at least one string or compiled pattern")
        texts = frozenset(r for r in rules if isinstance(r, str))
        patterns = tuple(r for r in rules if isinstance(r, re.Pattern))
        if len(texts) + len(patterns) != len(rules):
            raise ConfigError("filter() takes strings and compiled patterns (re.compile)")

        def test(message: Any) -> _Args | None:
            content = getattr(message, "content", None)
            if not isinstance(content, str):
                return None
            if content in texts or any(p.match(content) for p in patterns):
                return _MATCHED
            return None

        return self._decorator(("text",), test)

    # -- messages --------------------------------------------------------------
    @overload
    def text(self, handler: F, /) -> F: ...
    @overload
    def text(self) -> Callable[[F], F]: ...
    def text(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route text messages: ``@bot.text`` (or ``@bot.text()``)."""
        return self._bare(handler, self.message("text"))

    @overload
    def image(self, handler: F, /) -> F: ...
    @overload
    def image(self) -> Callable[[F], F]: ...
    def image(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route image messages."""
        return self._bare(handler, self.message("image"))

    @overload
    def voice(self, handler: F, /) -> F: ...
    @overload
    def voice(self) -> Callable[[F], F]: ...
    def voice(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route voice messages."""
        return self._bare(handler, self.message("voice"))

    @overload
    def video(self, handler: F, /) -> F: ...
    @overload
    def video(self) -> Callable[[F], F]: ...
    def video(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route video messages."""
        return self._bare(handler, self.message("video"))

    @overload
    def shortvideo(self, handler: F, /) -> F: ...
    @overload
    def shortvideo(self) -> Callable[[F], F]: ...
    def shortvideo(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route short-video messages."""
        return self._bare(handler, self.message("shortvideo"))

    @overload
    def location(self, handler: F, /) -> F: ...
    @overload
    def location(self) -> Callable[[F], F]: ...
    def location(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route location messages (the ``LOCATION`` report event is :meth:`location_update`)."""
        return self._bare(handler, self.message("location"))

    @overload
    def link(self, handler: F, /) -> F: ...
    @overload
    def link(self) -> Callable[[F], F]: ...
    def link(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route link messages."""
        return self._bare(handler, self.message("link"))

    @overload
    def unknown(self, handler: F, /) -> F: ...
    @overload
    def unknown(self) -> Callable[[F], F]: ...
    def unknown(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route messages and events of types wxkit does not know (what ``on_unknown`` gets)."""
        return self._bare(handler, self._decorator(None, _is_unknown))

    # -- events ------------------------------------------------------------------
    @overload
    def subscribe(self, handler: F, /) -> F: ...
    @overload
    def subscribe(self) -> Callable[[F], F]: ...
    def subscribe(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route follows (``subscribe``), QR-code follows included."""
        return self._bare(handler, self.event("subscribe"))

    @overload
    def unsubscribe(self, handler: F, /) -> F: ...
    @overload
    def unsubscribe(self) -> Callable[[F], F]: ...
    def unsubscribe(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route unfollows (``unsubscribe``)."""
        return self._bare(handler, self.event("unsubscribe"))

    @overload
    def scan(self, handler: F, /) -> F: ...
    @overload
    def scan(self, *scenes: str, subscribe: bool = False) -> Callable[[F], F]: ...
    def scan(self, *args: Any, subscribe: bool = False) -> Any:
        """Route parametric QR-code scans by followers (``SCAN``): every one, or those of these scenes.

        ``subscribe=True`` also routes follows made by scanning such a code
        (``subscribe`` with ``EventKey`` ``qrscene_<scene>``), so one handler
        serves both; plain follows still go to ``subscribe`` routes. The
        handler reads the scene as ``event.scene`` in both cases.
        """
        if len(args) == 1 and callable(args[0]) and not subscribe:
            return self.event("SCAN")(args[0])
        scenes = frozenset(_strings(args, "QR scenes"))
        keys = {"event:scan", "event:subscribe"} if subscribe else {"event:scan"}

        def test(message: Any) -> _Args | None:
            from .events import SubscribeEvent  # loaded with the registry, by the first push parsed

            if isinstance(message, SubscribeEvent) and not message.is_scan:
                return None
            return _MATCHED if not scenes or message.scene in scenes else None

        return self._decorator(keys, test)

    @overload
    def location_update(self, handler: F, /) -> F: ...
    @overload
    def location_update(self) -> Callable[[F], F]: ...
    def location_update(self, handler: F | None = None) -> F | Callable[[F], F]:
        """Route the ``LOCATION`` report event (what ``on_location_update`` gets)."""
        return self._bare(handler, self.event("LOCATION"))

    @overload
    def click(self, handler: F, /) -> F: ...
    @overload
    def click(self, *keys: str) -> Callable[[F], F]: ...
    def click(self, *args: Any) -> Any:
        """Route menu clicks (``CLICK``): every one (``@bot.click``), or those with these keys (``@bot.click("K")``)."""
        return self._keyed("CLICK", args)

    def key_click(self, *keys: str) -> Callable[[F], F]:
        """WeRoBot's name for :meth:`click` with keys: ``@bot.key_click("MENU_KEY")``."""
        if not keys:
            raise ConfigError("key_click() needs at least one menu key")
        return self.event("CLICK", key=keys)

    @overload
    def view(self, handler: F, /) -> F: ...
    @overload
    def view(self, *urls: str) -> Callable[[F], F]: ...
    def view(self, *args: Any) -> Any:
        """Route menu link clicks (``VIEW``): every one, or those opening these URLs."""
        return self._keyed("VIEW", args)

    @overload
    def scancode_push(self, handler: F, /) -> F: ...
    @overload
    def scancode_push(self, *keys: str) -> Callable[[F], F]: ...
    def scancode_push(self, *args: Any) -> Any:
        """Route menu scanner results (``scancode_push``): every one, or those of these menu keys."""
        return self._keyed("scancode_push", args)

    @overload
    def scancode_waitmsg(self, handler: F, /) -> F: ...
    @overload
    def scancode_waitmsg(self, *keys: str) -> Callable[[F], F]: ...
    def scancode_waitmsg(self, *args: Any) -> Any:
        """Route menu scanner results awaiting a reply (``scancode_waitmsg``): all, or these menu keys."""
        return self._keyed("scancode_waitmsg", args)

    @overload
    def pic_sysphoto(self, handler: F, /) -> F: ...
    @overload
    def pic_sysphoto(self, *keys: str) -> Callable[[F], F]: ...
    def pic_sysphoto(self, *args: Any) -> Any:
        """Route menu camera photos (``pic_sysphoto``): every one, or those of these menu keys."""
        return self._keyed("pic_sysphoto", args)

    @overload
    def pic_photo_or_album(self, handler: F, /) -> F: ...
    @overload
    def pic_photo_or_album(self, *keys: str) -> Callable[[F], F]: ...
    def pic_photo_or_album(self, *args: Any) -> Any:
        """Route menu photo-or-album picks (``pic_photo_or_album``): every one, or these menu keys."""
        return self._keyed("pic_photo_or_album", args)

    @overload
    def pic_weixin(self, handler: F, /) -> F: ...
    @overload
    def pic_weixin(self, *keys: str) -> Callable[[F], F]: ...
    def pic_weixin(self, *args: Any) -> Any:
        """Route menu WeChat-album picks (``pic_weixin``): every one, or those of these menu keys."""
        return self._keyed("pic_weixin", args)

    @overload
    def location_select(self, handler: F, /) -> F: ...
    @overload
    def location_select(self, *keys: str) -> Callable[[F], F]: ...
    def location_select(self, *args: Any) -> Any:
        """Route menu location picks (``location_select``): every one, or those of these menu keys."""
        return self._keyed("location_select", args)

    @staticmethod
    def _bare(handler: F | None, decorator: Callable[[F], F]) -> F | Callable[[F], F]:
        return decorator if handler is None else decorator(handler)


class Router(_Decorators):
    """An ordered table of routes and included sources, with the same decorators as an application.

    Use one to define rules apart from the application object (in another
    module, or shared by several applications), then ``bot.include(router)``.
    :meth:`find` tries the entries in order; routes are pre-filtered by
    dispatch key (cached per key), so a push only runs the tests of the
    routes that may match it.
    """

    def __init__(self) -> None:
        self._entries: list[_Route | RouteSource] = []
        self._index: dict[str, tuple[_Route | RouteSource, ...]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Router entries={len(self._entries)}>"

    def __len__(self) -> int:
        return len(self._entries)

    def _add(self, entry: _Route | RouteSource) -> None:
        with self._lock:
            self._entries.append(entry)
            self._index = {}  # rebuilt lazily; a find() in flight fills the old dict

    def include(self, source: RouteSource) -> RouteSource:
        """Append another :class:`Router` or an ``AutoReply``: tried after the routes added before it."""
        if not isinstance(source, RouteSource):
            raise ConfigError(f"include() takes a Router or an AutoReply, not {type(source).__name__}")
        if source is self or (isinstance(source, Router) and source._reaches(self)):
            raise ConfigError("including this router would make a cycle")
        self._add(source)
        return source

    def _reaches(self, other: Router) -> bool:
        return any(e is other or (isinstance(e, Router) and e._reaches(other)) for e in self._entries)

    def check(self, app: Any) -> None:
        """Run ``check(app)`` of every included source (called when included into an application)."""
        for entry in list(self._entries):
            check = getattr(entry, "check", None) if not isinstance(entry, _Route) else None
            if check is not None:
                check(app)

    def find(self, app: Any, message: BaseMessage) -> _Found | None:
        """The handler of the first route or source matching ``message`` (match arguments bound), or None."""
        key = _dispatch_key(message)
        index = self._index
        entries = index.get(key)
        if entries is None:
            entries = tuple(e for e in self._entries if not isinstance(e, _Route) or e.accepts(key))
            if len(index) >= _INDEX_MAX:
                index.clear()
            index[key] = entries
        for entry in entries:
            found = entry.find(app, message)
            if found is not None:
                return found
        return None


class Routing(_Decorators):
    """The routing half of ``BaseApplication``: decorators and ``include`` on an application instance.

    ``routes`` (class attribute): routers and rule sets every instance starts
    with, included at construction (before any decorator of the instance).
    """

    routes: ClassVar[Sequence[RouteSource]] = ()
    _router: Router | None = None

    @property
    def router(self) -> Router:
        """This application's own :class:`Router` (created on first use)."""
        router = self._router
        if router is None:
            router = self._router = Router()
        return router

    def _add(self, entry: _Route | RouteSource) -> None:
        self.router._add(entry)

    def include(self, source: RouteSource) -> RouteSource:
        """Add a :class:`Router` or an ``AutoReply`` after the routes added so far; checks it against this app."""
        self.router.include(source)
        check = getattr(source, "check", None)
        if check is not None:
            check(self)
        return source

    def _init_routes(self) -> None:
        """Include the class's ``routes`` (once per instance; per-call credential copies share them)."""
        if self.__dict__.get("_routes_included"):
            return
        self.__dict__["_routes_included"] = True
        for source in type(self).routes:
            self.include(source)
