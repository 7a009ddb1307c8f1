"""Conversations: per-user session state kept between pushes (``self.session(msg)`` in a handler).

A session is a plain ``dict`` of JSON values, one per user of one account,
stored in the application's :class:`~wxkit.storage.Storage` (a
:class:`~wxkit.storage.RedisStorage` shares it between processes)::

    class Bot(WxApplication):
        token = "..."

        def on_text(self, msg):
            session = self.session(msg)
            if session.get("step") == "city":
                session.clear()                 # the dialogue is over: the stored session is deleted
                return f"Weather for {msg.content}: sunny"
            if msg.content == "weather":
                session["step"] = "city"
                return "Which city?"
            return msg.content

What wxkit guarantees:

* one load per user and push: ``session(msg)`` called twice in one push (in
  ``pre_process`` and the handler, say) returns the same ``dict``;
* one write, after the handler and ``post_process`` return, and only if the
  session changed (compared as JSON); an emptied session is deleted. The
  write sets the TTL, :attr:`Sessions.session_ttl` seconds (7 days by
  default; ``None``: no expiry), so it counts from the last change;
* a handler (or hook) that raises loses its changes: ``on_error`` then sees
  the session as stored before the push, and what ``on_error`` changes is
  saved;
* only JSON values are stored: ``str``, ``int``, ``float`` (finite), ``bool``,
  ``None``, ``list`` and ``dict`` with ``str`` keys. Anything else (a
  ``datetime``, a ``tuple``, a ``set``, an ``int`` key...) fails the save
  with a :class:`~wxkit.errors.SessionError` naming where it is, handled as a
  failing handler (logged, ``on_error``) - never a silently different value
  on the next push;
* a stored session that is not a JSON object (corrupt, written by something
  else) is logged and replaced by an empty one: the bot keeps answering.

Two pushes from one user handled at the same moment each save their own
copy: the last write wins.
"""

from __future__ import annotations

import json
import logging
import math
from contextvars import ContextVar, Token
from typing import Any

from ._lazy import regex
from .errors import ParseError, SessionError, StorageError
from .storage import Storage

__all__ = ["Sessions"]

logger = logging.getLogger("wxkit.session")

#: Nesting deeper than this is refused when saving (far below Python's recursion limit).
MAX_DEPTH = 64
#: A snapshot that equals no JSON text: the stored value was corrupt (so it is overwritten or deleted).
_CORRUPT = "\x00corrupt"
_NAME = regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,39}")


class _Entry:
    """One session opened during a push: where it is saved, its dict, and the JSON it was loaded from."""

    __slots__ = ("data", "snapshot", "storage", "ttl")

    def __init__(self, storage: Storage, ttl: float | None, data: dict[str, Any], snapshot: str | None) -> None:
        self.storage = storage
        self.ttl = ttl
        self.data = data
        self.snapshot = snapshot


class _Scope:
    """The sessions opened while one push is dispatched: storage key -> entry."""

    __slots__ = ("entries", "token")

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] | None = None
        self.token: Token[_Scope | None] | None = None

    def commit(self) -> None:
        """Save every opened session that changed; raise :class:`SessionError` / :class:`StorageError`."""
        entries = self.entries
        if not entries:
            return
        for key, entry in entries.items():
            _save(key, entry)

    def rollback(self) -> None:
        """Forget the sessions opened so far (their changes are not saved; a later ``session()`` reloads)."""
        self.entries = None

    def close(self) -> None:
        """End the scope (the sessions are no longer reachable through ``session()``)."""
        token = self.token
        if token is not None:
            self.token = None
            _current.reset(token)


_current: ContextVar[_Scope | None] = ContextVar("wxkit_session_scope", default=None)


def open_scope() -> _Scope:
    """Start the session scope of one dispatch (the caller commits or rolls back, then closes it)."""
    scope = _Scope()
    scope.token = _current.set(scope)
    return scope


class Sessions:
    """The session methods every application has (mixed into :class:`wxkit.BaseApplication`).

    :meth:`session` returns the sender's session (a ``dict``) while a push is
    dispatched; wxkit saves it after the handler returns. The storage is the
    application's ``storage``; :meth:`session_key` names the key.
    """

    #: Seconds a session lives after its last change (7 days); ``None``: it never expires.
    session_ttl: float | None = 7 * 24 * 3600
    storage: Storage | None

    def session(self, message: Any) -> dict[str, Any]:
        """The session of the user who sent ``message`` (a ``dict`` of JSON values), saved after the push.

        Works in handlers (methods, ``handlers`` entries, decorator routes),
        ``pre_process``, ``post_process`` and ``on_error`` (when a handler or hook
        raised; not after a reply failed to render, the session being saved by
        then), on the sync and the async path. Outside a dispatch it raises
        :class:`~wxkit.errors.SessionError` (nothing would save the changes);
        a storage that fails to load raises :class:`~wxkit.errors.StorageError`.
        """
        scope = _current.get()
        if scope is None:
            raise SessionError("session() works only while a push is dispatched (in a handler or hook)")
        key = self.session_key(message)
        entries = scope.entries
        if entries is None:
            entries = scope.entries = {}
        else:
            entry = entries.get(key)
            if entry is not None:
                return entry.data
        storage = self.storage
        if storage is None:  # set by BaseApplication.__init__
            raise SessionError("this application has no storage for sessions")
        data, snapshot = _load(storage, key)
        entries[key] = _Entry(storage, self.session_ttl, data, snapshot)
        return data

    def session_key(self, message: Any) -> str:
        """The storage key of ``message``'s sender's session: ``wxkit:session:<account>:<openid>``.

        ``<account>`` is the receiving account as the push names it
        (``ToUserName``: the official account's or mini program's original id,
        the WeCom corp id), followed by ``/<agent id>`` for WeCom apps, so
        accounts sharing a storage never share sessions. Override to key
        sessions differently (by ``union_id``, say).
        """
        sender = message.from_user_name
        if not sender:
            raise SessionError("this push has no sender (FromUserName), so it has no session")
        account = message.to_user_name
        agent = getattr(message, "agent_id", None)
        if agent is not None:
            account = f"{account}/{agent}"
        return f"wxkit:session:{account}:{sender}"


def _load(storage: Storage, key: str) -> tuple[dict[str, Any], str | None]:
    """Read a session: ``(dict, the stored text or None)``; a corrupt value gives an empty dict, logged."""
    try:
        raw = storage.get(key)
    except UnicodeDecodeError:  # bytes that are not UTF-8 (RedisStorage decodes strictly)
        return _corrupt(key, "not UTF-8 text"), _CORRUPT
    except Exception as exc:
        raise StorageError(f"the storage failed while loading a session ({type(exc).__name__})", key=key) from exc
    if raw is None:
        return {}, None
    try:
        from .jsoncodec import load_json  # here, not at import: a bot without sessions never needs it

        data = load_json(raw, what="the stored session", max_size=None, allow_constants=False)
    except ParseError as exc:
        return _corrupt(key, str(exc)), _CORRUPT
    if not isinstance(data, dict):
        return _corrupt(key, f"a JSON {type(data).__name__}, not an object"), _CORRUPT
    return data, raw


def _corrupt(key: str, why: str) -> dict[str, Any]:
    # The key's account part only: the openid stays out of the logs.
    account = key.rsplit(":", 1)[0]
    logger.warning("a stored session under %s:... was %s; it is replaced by an empty session", account, why)
    return {}


def _save(key: str, entry: _Entry) -> None:
    data = entry.data
    if not data:
        if entry.snapshot is None:
            return
        _write(entry, key, None)
        return
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        text = None
    if text is not None and text == entry.snapshot:
        return
    # Changed (or not serialisable): refuse what JSON would store differently from what the handler
    # holds - a tuple comes back a list, an int key a str - as firmly as what it cannot store at all.
    _check(data, "session", 0, set())
    if text is None:  # _check found nothing, yet json failed: a value too deep or odd to describe
        raise SessionError("the session cannot be stored as JSON")
    _write(entry, key, text)


def _write(entry: _Entry, key: str, text: str | None) -> None:
    try:
        if text is None:
            entry.storage.delete(key)
        else:
            entry.storage.set(key, text, entry.ttl)
    except Exception as exc:
        raise StorageError(f"the storage failed while saving a session ({type(exc).__name__})", key=key) from exc
    entry.snapshot = text


def _where(path: str, key: object) -> str:
    """``path`` extended by a dict key; keys that do not look like names are not shown (they may be user text)."""
    if isinstance(key, str) and _NAME.fullmatch(key):
        return f"{path}[{key!r}]"
    return f"{path}[...]"


def _check(value: Any, path: str, depth: int, seen: set[int]) -> None:
    """Raise :class:`SessionError` naming the first value JSON would not store as it is."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SessionError(f"{path} is a non-finite float (nan or inf), which JSON cannot store")
        return
    if depth >= MAX_DEPTH:
        raise SessionError(f"{path} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        if id(value) in seen:
            raise SessionError(f"{path} contains itself")
        seen.add(id(value))
        for key, item in value.items():
            if not isinstance(key, str):
                raise SessionError(
                    f"{path} has a {type(key).__name__} key; JSON keys are str (it would come back as a str)"
                )
            _check(item, _where(path, key), depth + 1, seen)
        seen.discard(id(value))
        return
    if isinstance(value, list):
        if id(value) in seen:
            raise SessionError(f"{path} contains itself")
        seen.add(id(value))
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]", depth + 1, seen)
        seen.discard(id(value))
        return
    hint = " (use a list: a tuple would come back as a list)" if isinstance(value, tuple) else ""
    raise SessionError(
        f"{path} is a {type(value).__name__}; sessions hold JSON values only "
        f"(str, int, float, bool, None, list, dict with str keys){hint}"
    )
