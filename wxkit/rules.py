"""Declarative auto-reply rules (自动回复): plain data in, replies out.

A rule set is a list of dicts (JSON-ready), checked when it is loaded::

    [
        {"name": "help", "match": {"type": "keyword", "keywords": ["help", "帮助"]},
         "reply": {"type": "text", "content": "Send 订单123 to look up an order."}},
        {"name": "order", "match": {"type": "regex", "pattern": "^订单(\\\\d+)$"},
         "reply": {"type": "handler", "name": "order_status"}},
        {"name": "about", "match": {"type": "event", "event": "CLICK", "key": "MENU_ABOUT"},
         "reply": {"type": "news", "articles": [{"title": "About us", "url": "https://example.com"}]}},
        {"name": "human", "match": {"type": "keyword", "keywords": ["人工"], "mode": "contain"},
         "reply": {"type": "transfer_customer_service"}},
    ]

:class:`AutoReply` compiles such a list and is included into an application
like a :class:`~wxkit.routing.Router` (``bot.include(AutoReply(rules))``):
rules are tried in list order, the first rule with a matching ``match`` entry
answers, and pushes no rule matches go on to the next routes and the ``on_*``
methods. Rules come from a list, a JSON file (:meth:`AutoReply.from_file`) or
a :class:`~wxkit.storage.Storage` (:meth:`AutoReply.from_storage`), where an
admin page can change them without a restart (:func:`store_rules`): each push
reads one short version key, and the rules are parsed again only when it
changed. :func:`import_console_rules` turns the account's own console rules
(``client.autoreply.get_current()``) into this format.

Rule fields: ``match`` (one matcher or a list: any one matching is enough),
``reply`` (one reply or a list), optional ``name``, ``enabled`` (default
true), ``reply_mode`` (``"first"``, the default, or ``"random_one"``: a
passive reply carries one message) and ``meta`` (free-form, kept as is).

Matchers (``type``):

- ``keyword``: ``keywords`` (a string or a list), ``mode`` ``"equal"``
  (default; surrounding whitespace ignored) or ``"contain"``, ``ignore_case``;
- ``regex``: ``pattern`` (``re.search`` on the text; its groups are handed to
  a ``handler`` reply), ``ignore_case``;
- ``event``: ``event`` (a name or a list, case-insensitive; absent: any
  event) and ``key`` (an ``EventKey`` or a list);
- ``message``: ``msg_type`` (a ``MsgType`` or a list; absent: any user
  message, not events);
- ``all``: every push.

Replies (``type``): ``text`` (``content``), ``image`` / ``voice``
(``media_id``), ``video`` (``media_id``, ``title``, ``description``),
``music`` (``thumb_media_id``, ``title``, ``description``, ``music_url``,
``hq_music_url``), ``news`` (``articles``: 1 to 8 of ``title``,
``description``, ``pic_url``, ``url``), ``handler`` (``name``: a callable in
the ``handlers`` given to :class:`AutoReply`, else a method of the
application; it takes the message and the regex groups) and
``transfer_customer_service`` (optional ``kf_account``).

Unknown fields and types, bad regexes and rules without a reply raise
:class:`~wxkit.errors.RuleError` naming the rule.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError, ParseError, RuleError
from .jsoncodec import load_json
from .messages import BaseMessage
from .replies import (
    Article,
    ImageReply,
    MusicReply,
    NewsReply,
    Reply,
    TextReply,
    TransferCustomerServiceReply,
    VideoReply,
    VoiceReply,
)
from .routing import (
    _ANY_MESSAGE,
    _MATCHED,
    Router,
    _Args,
    _compile_pattern,
    _event_spec,
    _Found,
    _keyword_test,
    _regex_test,
    _Result,
    _Route,
    _Test,
)
from .storage import Storage

__all__ = ["AutoReply", "DEFAULT_KEY", "import_console_rules", "parse_rules", "store_rules"]

logger = logging.getLogger("wxkit.rules")

#: The storage key rules are kept under by default (the version under ``DEFAULT_KEY + ":version"``).
DEFAULT_KEY = "wxkit:autoreply"

_RULE_FIELDS = frozenset({"name", "enabled", "match", "reply", "reply_mode", "meta"})
_MATCH_FIELDS: dict[str, frozenset[str]] = {
    "keyword": frozenset({"keywords", "mode", "ignore_case"}),
    "regex": frozenset({"pattern", "ignore_case"}),
    "event": frozenset({"event", "key"}),
    "message": frozenset({"msg_type"}),
    "all": frozenset(),
}
_REPLY_FIELDS: dict[str, frozenset[str]] = {
    "text": frozenset({"content"}),
    "image": frozenset({"media_id"}),
    "voice": frozenset({"media_id"}),
    "video": frozenset({"media_id", "title", "description"}),
    "music": frozenset({"thumb_media_id", "title", "description", "music_url", "hq_music_url"}),
    "news": frozenset({"articles"}),
    "handler": frozenset({"name"}),
    "transfer_customer_service": frozenset({"kf_account"}),
}
_ARTICLE_FIELDS = frozenset({"title", "description", "pic_url", "url"})
_REPLY_MODES = ("first", "random_one")


# --------------------------------------------------------------------------- parsing
class _Problem(Exception):
    """A rule-local validation failure; turned into a RuleError naming the rule."""


def _fields(data: Any, allowed: frozenset[str], what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _Problem(f"{what} must be an object, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in allowed and k != "type")
    if unknown:
        raise _Problem(f"{what}: unknown field(s) {', '.join(map(repr, unknown))}")
    return data


def _kind(data: Any, known: Mapping[str, frozenset[str]], what: str) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        raise _Problem(f"{what} must be an object, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in known:
        raise _Problem(f"{what}: unknown {what.split()[0]} type {kind!r} (expected one of: {', '.join(sorted(known))})")
    return kind, _fields(data, known[kind], f"{what} ({kind})")


def _text(data: Mapping[str, Any], name: str, what: str, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise _Problem(
            f"{what}: {name!r} must be a non-empty string" if required else f"{what}: {name!r} must be a string"
        )
    return value


def _text_list(data: Mapping[str, Any], name: str, what: str, *, required: bool = True) -> tuple[str, ...] | None:
    value = data.get(name)
    if value is None and not required:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise _Problem(f"{what}: {name!r} must be a non-empty string or a non-empty list of them")
    return tuple(items)


def _flag(data: Mapping[str, Any], name: str, what: str, default: bool = False) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise _Problem(f"{what}: {name!r} must be true or false")
    return value


def _matcher(data: Any, what: str) -> tuple[frozenset[str] | None, _Test | None]:
    kind, spec = _kind(data, _MATCH_FIELDS, what)
    try:
        if kind == "keyword":
            words = _text_list(spec, "keywords", what)
            mode = spec.get("mode", "equal")
            if mode not in ("equal", "contain"):
                raise _Problem(f"{what}: mode must be 'equal' or 'contain', got {mode!r}")
            test = _keyword_test(words or (), contains=mode == "contain", ignore_case=_flag(spec, "ignore_case", what))
            return frozenset({"text"}), test
        if kind == "regex":
            flags = re.IGNORECASE if _flag(spec, "ignore_case", what) else 0
            return frozenset({"text"}), _regex_test(_compile_pattern(_text(spec, "pattern", what), flags))
        if kind == "event":
            events = _text_list(spec, "event", what, required=False) or ()
            keys = _text_list(spec, "key", what, required=False)
            return _event_spec(events, keys)
        if kind == "message":
            types = _text_list(spec, "msg_type", what, required=False)
            if types and "event" in types:
                raise _Problem(f"{what}: events are matched with type 'event'")
            return frozenset(types or (_ANY_MESSAGE,)), None
        return None, None  # all
    except ConfigError as exc:
        raise _Problem(f"{what}: {exc}") from None


def _article(data: Any, what: str) -> Article:
    spec = _fields(data, _ARTICLE_FIELDS, what)
    return Article(
        title=_text(spec, "title", what),
        description=_text(spec, "description", what, required=False),
        pic_url=_text(spec, "pic_url", what, required=False),
        url=_text(spec, "url", what, required=False),
    )


def _reply(data: Any, what: str) -> Reply | str:
    """A reply object, or the name of a handler (``type: handler``)."""
    kind, spec = _kind(data, _REPLY_FIELDS, what)
    if kind == "text":
        return TextReply(_text(spec, "content", what))
    if kind == "image":
        return ImageReply(_text(spec, "media_id", what))
    if kind == "voice":
        return VoiceReply(_text(spec, "media_id", what))
    if kind == "video":
        return VideoReply(
            _text(spec, "media_id", what),
            title=_text(spec, "title", what, required=False),
            description=_text(spec, "description", what, required=False),
        )
    if kind == "music":
        return MusicReply(
            _text(spec, "thumb_media_id", what),
            title=_text(spec, "title", what, required=False),
            description=_text(spec, "description", what, required=False),
            music_url=_text(spec, "music_url", what, required=False),
            hq_music_url=_text(spec, "hq_music_url", what, required=False),
        )
    if kind == "news":
        articles = spec.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
            raise _Problem(f"{what}: 'articles' must be a list of 1 to 8 articles")
        return NewsReply([_article(a, f"{what} article {i}") for i, a in enumerate(articles)])
    if kind == "handler":
        return _text(spec, "name", what)
    return TransferCustomerServiceReply(_text(spec, "kf_account", what, required=False) or None)


class _Rule:
    """One compiled rule: its routes' keys and tests, and what it answers."""

    __slots__ = ("enabled", "index", "matchers", "mode", "name", "replies")

    def __init__(self, index: int, data: Any) -> None:
        self.index = index
        if not isinstance(data, Mapping):
            raise _Problem(f"a rule must be an object, got {type(data).__name__}")
        spec = data
        _fields(spec, _RULE_FIELDS, "rule")
        if "type" in spec:
            raise _Problem("rule: unknown field 'type' (a rule has 'match' and 'reply')")
        self.name = spec.get("name", "")
        if not isinstance(self.name, str):
            raise _Problem("'name' must be a string")
        self.enabled = _flag(spec, "enabled", "rule", default=True)
        if "meta" in spec and not isinstance(spec["meta"], Mapping):
            raise _Problem("'meta' must be an object")
        self.mode = spec.get("reply_mode", "first")
        if self.mode not in _REPLY_MODES:
            raise _Problem(f"reply_mode must be one of {', '.join(_REPLY_MODES)}, got {self.mode!r}")
        matches = spec.get("match")
        if matches is None:
            raise _Problem("missing 'match'")
        matches = matches if isinstance(matches, list) else [matches]
        if not matches:
            raise _Problem("'match' is an empty list")
        self.matchers = tuple(_matcher(m, f"match {i}") for i, m in enumerate(matches))
        replies = spec.get("reply")
        if replies is None:
            raise _Problem("missing 'reply'")
        replies = replies if isinstance(replies, list) else [replies]
        if not replies:
            raise _Problem("'reply' is an empty list")
        self.replies = tuple(_reply(r, f"reply {i}") for i, r in enumerate(replies))

    def label(self) -> str:
        """``rule 3 ('help')`` for messages and logs."""
        return f"rule {self.index} ({self.name!r})" if self.name else f"rule {self.index}"

    def answer(self, app: Any, handlers: Mapping[str, Callable[..., Any]], message: Any, args: _Args) -> _Result:
        """The reply for a push this rule matched."""
        reply = self.replies[0] if self.mode == "first" or len(self.replies) == 1 else secrets.choice(self.replies)
        if isinstance(reply, Reply):
            return reply
        handler = _resolve(reply, handlers, app)
        if handler is None:
            raise ConfigError(f"auto-reply {self.label()}: no handler named {reply!r}")
        result: _Result = handler(message, *args[0], **args[1])
        return result


def _resolve(name: str, handlers: Mapping[str, Callable[..., Any]], app: Any) -> Callable[..., Any] | None:
    handler = handlers.get(name)
    if handler is None and not name.startswith("_"):
        handler = getattr(app, name, None)
    return handler if callable(handler) else None


def _rules_list(data: Any) -> list[Any]:
    if isinstance(data, Mapping):
        if set(data) != {"rules"}:
            raise RuleError("a rule file is a list of rules, or an object with only 'rules'")
        data = data["rules"]
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise RuleError(f"rules must be a list, got {type(data).__name__}")
    return list(data)


def _parse(data: Any) -> list[_Rule]:
    rules = []
    for index, item in enumerate(_rules_list(data)):
        try:
            rules.append(_Rule(index, item))
        except _Problem as exc:
            name = item.get("name", "") if isinstance(item, Mapping) and isinstance(item.get("name"), str) else ""
            label = f"rule {index} ({name!r})" if name else f"rule {index}"
            raise RuleError(f"auto-reply {label}: {exc}", index=index, rule_name=name) from None
    return rules


def parse_rules(rules: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> list[dict[str, Any]]:
    """Check a rule list (or ``{"rules": [...]}``) and return it as plain dicts; :class:`RuleError` if invalid.

    What an admin page calls before saving; :func:`store_rules` and
    :class:`AutoReply` run the same checks (handler names are checked against
    an application only once it is known).
    """
    data = _rules_list(rules)
    _parse(data)
    return copy.deepcopy([dict(r) for r in data])


# --------------------------------------------------------------------------- the rule set
class _RuleRoute(_Route):
    """A route whose handler is a rule's answer (it needs the application for handler names)."""

    __slots__ = ("rule", "rule_handlers")

    def __init__(
        self, rule: _Rule, handlers: Mapping[str, Callable[..., Any]], keys: frozenset[str] | None, test: _Test | None
    ) -> None:
        super().__init__(rule.answer, keys, test)
        self.rule = rule
        self.rule_handlers = handlers

    def find(self, app: Any, message: BaseMessage) -> _Found | None:
        args = _MATCHED if self.test is None else self.test(message)
        if args is None:
            return None
        rule, handlers = self.rule, self.rule_handlers

        def answer(msg: Any) -> _Result:
            return rule.answer(app, handlers, msg, args)

        answer.__qualname__ = f"auto-reply {rule.label()}"
        return answer


class _Compiled:
    __slots__ = ("data", "router", "rules")

    def __init__(self, data: list[Any], rules: list[_Rule], handlers: Mapping[str, Callable[..., Any]]) -> None:
        self.data = data
        self.rules = rules
        self.router = Router()
        for rule in rules:
            if not rule.enabled:
                continue
            for keys, test in rule.matchers:
                self.router._add(_RuleRoute(rule, handlers, keys, test))

    def check(self, app: Any, handlers: Mapping[str, Callable[..., Any]]) -> None:
        for rule in self.rules:
            for reply in rule.replies:
                if isinstance(reply, str) and _resolve(reply, handlers, app) is None:
                    raise RuleError(
                        f"auto-reply {rule.label()}: no handler named {reply!r} "
                        f"(in the handlers given to AutoReply, or a method of {type(app).__name__})",
                        index=rule.index,
                        rule_name=rule.name,
                    )


def _compile(data: Any, handlers: Mapping[str, Callable[..., Any]], app: Any = None) -> _Compiled:
    items = _rules_list(data)
    compiled = _Compiled(items, _parse(items), handlers)
    if app is not None:
        compiled.check(app, handlers)
    return compiled


class _StorageSource:
    __slots__ = ("check_interval", "clock", "failing", "key", "lock", "next_check", "storage", "version")

    def __init__(self, key: str, storage: Storage | None, check_interval: float, clock: Callable[[], float]) -> None:
        self.key = key
        self.storage = storage
        self.check_interval = check_interval
        self.clock = clock
        self.next_check = float("-inf")
        self.version: str | None = None
        self.failing = False
        self.lock = threading.Lock()


class AutoReply:
    """A compiled set of auto-reply rules, included into an application like a router.

    ``rules`` is a list of rule dicts (or ``{"rules": [...]}``), checked
    here: an invalid one raises :class:`~wxkit.errors.RuleError`.
    ``handlers`` maps the names ``handler`` replies use to callables (a name
    not in it is looked up as a method of the application). Include it with
    ``bot.include(auto_reply)``, which also checks every handler name.

    Storage-backed rule sets (:meth:`from_storage`) reload themselves when
    the stored version changes; invalid stored rules are logged and the last
    good rules stay in force.
    """

    def __init__(
        self,
        rules: Iterable[Mapping[str, Any]] | Mapping[str, Any] = (),
        *,
        handlers: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.handlers: dict[str, Callable[..., Any]] = dict(handlers or {})
        for name, func in self.handlers.items():
            if not callable(func):
                raise ConfigError(f"AutoReply handler {name!r} is not callable")
        self._compiled = _compile(rules, self.handlers)
        self._source: _StorageSource | None = None

    def __repr__(self) -> str:
        where = f" key={self._source.key!r} version={self._source.version!r}" if self._source else ""
        return f"<AutoReply rules={len(self._compiled.rules)}{where}>"

    def __len__(self) -> int:
        return len(self._compiled.rules)

    @property
    def rules(self) -> list[dict[str, Any]]:
        """The rules in force, as plain dicts (a copy)."""
        return copy.deepcopy(self._compiled.data)

    @property
    def version(self) -> str | None:
        """The stored version in force (storage-backed rule sets), else None."""
        return self._source.version if self._source else None

    @classmethod
    def from_file(
        cls, path: str | Path, *, handlers: Mapping[str, Callable[..., Any]] | None = None, encoding: str = "utf-8"
    ) -> AutoReply:
        """Load rules from a JSON file (a list of rules, or ``{"rules": [...]}``)."""
        try:
            data = load_json(Path(path).read_text(encoding), what="the rules file", max_size=None)
        except (OSError, ValueError, ParseError) as exc:
            raise RuleError(f"cannot read auto-reply rules from {str(path)!r}: {exc}") from None
        return cls(data, handlers=handlers)

    @classmethod
    def from_storage(
        cls,
        key: str = DEFAULT_KEY,
        *,
        storage: Storage | None = None,
        handlers: Mapping[str, Callable[..., Any]] | None = None,
        check_interval: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> AutoReply:
        """Rules kept in a :class:`~wxkit.storage.Storage` under ``key``, reloaded when they change.

        ``storage`` defaults to the application's (``app.storage``). Each
        push reads the version key (``key + ":version"``), at most once every
        ``check_interval`` seconds (0: on every push); the rules are parsed
        again only when the version changed. Stored rules that are invalid, or
        a storage that fails, are logged and the last good rules stay in
        force; a missing version keeps the rules in force too (store an empty
        list to remove every rule). Write with :func:`store_rules`. One such
        rule set follows one storage: applications with different storages
        each need their own (or ``storage=`` given).
        """
        if check_interval < 0:
            raise ConfigError("check_interval must be >= 0")
        rule_set = cls((), handlers=handlers)
        rule_set._source = _StorageSource(key, storage, check_interval, clock)
        return rule_set

    # -- the route-source protocol ---------------------------------------------------
    def check(self, app: Any) -> None:
        """Refuse handler names that neither ``handlers`` nor ``app`` has (RuleError); load stored rules."""
        if self._source is not None:
            self._refresh(app, force=True)
        else:
            self._compiled.check(app, self.handlers)

    def find(self, app: Any, message: BaseMessage) -> _Found | None:
        """The answer of the first rule matching ``message``, or None."""
        if self._source is not None:
            self._refresh(app)
        return self._compiled.router.find(app, message)

    def _refresh(self, app: Any, *, force: bool = False) -> None:
        src = self._source
        assert src is not None
        if not force:
            now = src.clock()
            if now < src.next_check:
                return
            src.next_check = now + src.check_interval
        if not src.lock.acquire(blocking=force):
            return  # another thread is reloading; this push uses the rules in force
        try:
            storage = src.storage if src.storage is not None else getattr(app, "storage", None)
            if storage is None:
                raise ConfigError("AutoReply.from_storage needs storage= or an application with a storage")
            try:
                version = storage.get(src.key + ":version")
                if version is None or version == src.version:
                    self._recovered()
                    return
                text = storage.get(src.key)
            except Exception as exc:  # noqa: BLE001 - a storage outage must not break the bot: keep the rules in force
                if not src.failing:
                    src.failing = True
                    logger.warning(
                        "cannot read auto-reply rules %r (%s): keeping the rules in force", src.key, type(exc).__name__
                    )
                return
            self._recovered()
            src.version = version  # parsed once per version, good or bad
            try:
                if text is None:
                    raise RuleError("the rules key is missing (the version key is there)")
                self._compiled = _compile(load_json(text, what="the stored rules", max_size=None), self.handlers, app)
            except (ValueError, ParseError) as exc:  # a RuleError, or text that is not JSON
                logger.error(
                    "auto-reply rules %r version %s are invalid, keeping the last good rules: %s", src.key, version, exc
                )
                return
            except Exception:  # never let stored data break the bot
                logger.exception(
                    "auto-reply rules %r version %s failed to load, keeping the last good rules", src.key, version
                )
                return
            logger.info("auto-reply rules %r version %s loaded (%d rules)", src.key, version, len(self._compiled.rules))
        finally:
            src.lock.release()

    def _recovered(self) -> None:
        src = self._source
        if src is not None and src.failing:
            src.failing = False
            logger.info("auto-reply rules %r: the storage answers again", src.key)


def store_rules(
    storage: Storage, rules: Iterable[Mapping[str, Any]] | Mapping[str, Any], *, key: str = DEFAULT_KEY
) -> str:
    """Check ``rules`` and store them for :meth:`AutoReply.from_storage`; return the new version.

    Invalid rules raise :class:`~wxkit.errors.RuleError` and nothing is
    written. The rules are written first, then a new version, so a reader
    that sees the version finds those rules (or newer ones).
    """
    data = parse_rules(rules)
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise RuleError(f"rules must be JSON data: {exc}") from None
    version = uuid.uuid4().hex
    storage.set(key, text)
    storage.set(key + ":version", version)
    return version


# --------------------------------------------------------------------------- the console importer
def _console_reply(data: Any, media: Callable[[str, str], str] | None) -> dict[str, Any] | None:
    """One ``reply_list_info`` item (or a default reply) as a rule reply; None for what cannot be a passive reply."""
    if not isinstance(data, Mapping):
        return None
    kind, content = data.get("type"), data.get("content")
    if kind == "text" and isinstance(content, str) and content:
        return {"type": "text", "content": content}
    if kind in ("img", "voice") and isinstance(content, str) and content:
        reply_type = "image" if kind == "img" else "voice"
        return {"type": reply_type, "media_id": media(reply_type, content) if media else content}
    if kind == "video" and isinstance(content, str) and content:
        # The console answers a video as a link, not a media id: a passive video reply needs one.
        if content.startswith(("http://", "https://")):
            return {"type": "text", "content": f'<a href="{content}">视频</a>'}
        return {"type": "video", "media_id": media("video", content) if media else content}
    if kind == "news":
        info = data.get("news_info")
        items = info.get("list") if isinstance(info, Mapping) else None
        if not isinstance(items, list):
            return None
        for item in items:  # a passive reply to a user message carries one article
            if isinstance(item, Mapping) and isinstance(item.get("title"), str) and item["title"]:
                article = {"title": item["title"]}
                for ours, theirs in (("description", "digest"), ("pic_url", "cover_url"), ("url", "content_url")):
                    if isinstance(item.get(theirs), str) and item[theirs]:
                        article[ours] = item[theirs]
                return {"type": "news", "articles": [article]}
    return None


def _console_keywords(items: Any) -> list[dict[str, Any]]:
    by_mode: dict[str, list[str]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or item.get("type", "text") != "text":
            continue
        word = item.get("content")
        mode = "contain" if item.get("match_mode") == "contain" else "equal"
        if isinstance(word, str) and word.strip():
            by_mode.setdefault(mode, []).append(word)
    return [{"type": "keyword", "keywords": words, "mode": mode} for mode, words in by_mode.items()]


def import_console_rules(
    answer: Mapping[str, Any], *, media: Callable[[str, str], str] | None = None
) -> list[dict[str, Any]]:
    """Turn ``GET /cgi-bin/get_current_autoreply_info``'s answer into rules for :class:`AutoReply`.

    Order: the follow reply (``add_friend_autoreply_info``, an event rule on
    ``subscribe``), the keyword rules in the console's order (``equal`` /
    ``contain`` keywords; ``reply_mode`` ``random_one`` is kept, ``reply_all``
    becomes ``first`` because a passive reply carries one message), then the
    default reply to any message (``message_default_autoreply_info``). Rules
    switched off in the console (``is_add_friend_reply_open`` /
    ``is_autoreply_open`` 0) come with ``"enabled": false``. ``meta`` keeps
    ``source: "console"``, the console's ``rule_name`` / ``create_time`` /
    ``reply_mode`` and which replies were ``skipped``.

    WeChat answers images and voices with *temporary* media ids (valid three
    days): pass ``media(kind, media_id) -> media_id`` to swap them for
    permanent ones (kind ``"image"``, ``"voice"`` or ``"video"``). A video the
    console answers as a link becomes a text reply with that link; a news
    reply keeps its first article. Replies that cannot be passive replies are
    skipped, and a rule left without replies is dropped (logged).
    """
    if not isinstance(answer, Mapping):
        raise RuleError(f"the console answer must be an object, got {type(answer).__name__}")
    rules: list[dict[str, Any]] = []
    follow = _console_reply(answer.get("add_friend_autoreply_info"), media)
    if follow is not None:
        rules.append(
            {
                "name": "关注后自动回复",
                "enabled": bool(answer.get("is_add_friend_reply_open")),
                "match": {"type": "event", "event": "subscribe"},
                "reply": follow,
                "meta": {"source": "console"},
            }
        )
    keyword_info = answer.get("keyword_autoreply_info")
    items = keyword_info.get("list") if isinstance(keyword_info, Mapping) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, Mapping):
            continue
        name = item.get("rule_name") if isinstance(item.get("rule_name"), str) else f"console rule {index}"
        matchers = _console_keywords(item.get("keyword_list_info"))
        raw_replies = item.get("reply_list_info")
        raw_replies = raw_replies if isinstance(raw_replies, list) else []
        replies, skipped = [], []
        for raw in raw_replies:
            reply = _console_reply(raw, media)
            if reply is None:
                skipped.append(raw.get("type") if isinstance(raw, Mapping) else type(raw).__name__)
            else:
                replies.append(reply)
        if not matchers or not replies:
            logger.warning("console auto-reply rule %r dropped: no usable keyword or reply", name)
            continue
        meta: dict[str, Any] = {"source": "console", "rule_name": name}
        for field in ("create_time", "reply_mode"):
            if field in item:
                meta[field] = item[field]
        if skipped:
            meta["skipped"] = skipped
        rules.append(
            {
                "name": name,
                "match": matchers,
                "reply": replies,
                "reply_mode": "random_one" if item.get("reply_mode") == "random_one" else "first",
                "meta": meta,
            }
        )
    default = _console_reply(answer.get("message_default_autoreply_info"), media)
    if default is not None:
        rules.append(
            {
                "name": "收到消息回复",
                "enabled": bool(answer.get("is_autoreply_open")),
                "match": {"type": "message"},
                "reply": default,
                "meta": {"source": "console"},
            }
        )
    parse_rules(rules)  # what this returns is always loadable
    return rules
