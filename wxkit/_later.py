"""Work longer than WeChat waits: answer the push now, send the result later (``WxApplication.reply_later``).

WeChat waits 5 seconds for each of its three tries of a push (about 15
seconds in all). Work that may take longer runs here, in the background, and
its result goes to the user as a customer-service message (客服消息,
``client.message.send``) through the application's ``client``: a
:class:`wxkit.Client` or an ``AsyncClient``.

* a plain ``fn`` runs in an executor: the application's ``reply_executor``,
  or a pool of :data:`WORKERS` threads shared by the process (made at first
  use, again in a forked child);
* an ``async def`` fn runs as an asyncio task on the loop serving the push
  (``handle_async``, the ASGI adapter), also when ``reply_later`` is called
  from a plain handler running in a worker thread;
* the result - a ``str``, a :class:`~wxkit.replies.TextReply`, ``ImageReply``,
  ``VoiceReply``, ``VideoReply``, ``MusicReply`` or ``NewsReply``; ``None``
  sends nothing - is sent with a sync client in the worker (in a thread from
  an async task) and with an async client on the loop.

Failures (``fn`` raising, WeChat refusing the send: the user left the
48-hour window, ...) are logged on the ``wxkit.app`` logger with their
traceback and go no further: the push was answered long ago.
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _flow
from .errors import ConfigError
from .replies import ImageReply, MusicReply, NewsReply, TextReply, VideoReply, VoiceReply

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["WORKERS", "customer_message", "submit"]

logger = logging.getLogger("wxkit.app")

#: Threads in the shared pool running plain ``reply_later`` work (bounded: more work waits its turn).
WORKERS = 8

_pool: Executor | None = None
_pool_lock = threading.Lock()
#: Strong references to the running tasks and futures (the loop keeps only weak ones).
_pending: set[Any] = set()


def _forget_pool() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()  # a forked child has none of its parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _shared_pool() -> Executor:
    global _pool
    with _pool_lock:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor  # only once reply_later is used

            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="wxkit-reply-later")
        return _pool


def customer_message(result: Any) -> tuple[str, dict[str, Any]] | None:
    """The customer-service message ``(msgtype, body)`` for a work result; ``None`` for ``None``.

    Raises :class:`TypeError` for a result that has no customer-service form.
    """
    if result is None:
        return None
    if isinstance(result, str):
        return "text", {"content": result}
    if isinstance(result, TextReply):
        return "text", {"content": result.content}
    if isinstance(result, (ImageReply, VoiceReply)):
        return result.msg_type, {"media_id": result.media_id}
    if isinstance(result, VideoReply):
        body = {"media_id": result.media_id, "title": result.title, "description": result.description}
        return "video", {k: v for k, v in body.items() if v}
    if isinstance(result, MusicReply):
        body = {
            "title": result.title,
            "description": result.description,
            "musicurl": result.music_url,
            "hqmusicurl": result.hq_music_url,
            "thumb_media_id": result.thumb_media_id,
        }
        return "music", {k: v for k, v in body.items() if v}
    if isinstance(result, NewsReply):
        articles = [
            {"title": a.title, "description": a.description, "url": a.url, "picurl": a.pic_url} for a in result.articles
        ]
        return "news", {"articles": articles}
    raise TypeError(f"reply_later work must return a str, a text/media/news Reply or None, not {type(result).__name__}")


def _name(fn: Callable[..., Any]) -> str:
    return _flow.callable_name(fn)


def submit(client: Any, executor: Executor | None, openid: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Start ``fn(*args)`` in the background and send its result to ``openid`` through ``client``.

    Raises :class:`~wxkit.errors.ConfigError` when it cannot work: no client,
    or an ``async def`` fn / an async client outside the async path.
    """
    if client is None or getattr(client, "message", None) is None:
        raise ConfigError("reply_later needs a client: set client = wxkit.Client(appid, secret) on the application")
    import asyncio  # here only: a sync-only bot never imports asyncio

    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        on_loop = True
    except RuntimeError:  # a plain handler: sync path, or a worker thread of the async path
        loop, on_loop = _flow.flow_loop.get(), False
    async_client = _flow.is_async_callable(client.message.send)
    if loop is None and (async_client or _flow.is_async_callable(fn)):
        what = "an AsyncClient" if async_client else f"the async def {_name(fn)}"
        raise ConfigError(f"reply_later with {what} needs the async path: serve the bot with handle_async()")
    if _flow.is_async_callable(fn):
        assert loop is not None
        coro = _run_async(client, async_client, openid, fn, args)
        job: Any = loop.create_task(coro) if on_loop else asyncio.run_coroutine_threadsafe(coro, loop)
    else:
        job = (executor or _shared_pool()).submit(_run, client, loop, openid, fn, args)
    _pending.add(job)
    job.add_done_callback(_pending.discard)


def _run(client: Any, loop: Any, openid: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The executor's job: run ``fn``, send its result; log every failure."""
    try:
        message = customer_message(fn(*args))
    except Exception:
        logger.exception("reply_later: %s failed; nothing was sent", _name(fn))
        return
    if message is None:
        return
    try:
        sent = client.message.send(openid, *message)
        if inspect.iscoroutine(sent):  # an AsyncClient: its calls run on the loop it belongs to
            import asyncio  # only with an async client

            asyncio.run_coroutine_threadsafe(sent, loop).result()
    except Exception:
        logger.exception("reply_later: sending the result of %s failed", _name(fn))


async def _run_async(
    client: Any, async_client: bool, openid: str, fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    """The task: await ``fn``, send its result (a sync client's call in a worker thread); log every failure."""
    import asyncio  # only on the async path

    try:
        message = customer_message(await fn(*args))
    except Exception:
        logger.exception("reply_later: %s failed; nothing was sent", _name(fn))
        return
    if message is None:
        return
    try:
        if async_client:
            await client.message.send(openid, *message)
        else:
            msgtype, body = message
            await asyncio.to_thread(client.message.send, openid, msgtype, body)
    except Exception:
        logger.exception("reply_later: sending the result of %s failed", _name(fn))
