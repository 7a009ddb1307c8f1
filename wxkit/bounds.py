"""Bounds on what a slow, broken or hostile server can make wxkit do: time, memory, cache lifetimes.

Independent of any HTTP library (the ``requests`` layer in
:mod:`wxkit.core.http` uses them, an ``httpx`` one can too):

* :class:`Deadline` — the total time one HTTP call may take, its re-sends and
  the reading of its body included (:func:`default_deadline` is the
  documented worst case of the timeouts and retries). A server that answers
  one byte at a time never trips a read timeout; it trips the deadline.
* :class:`BodyDecoder` — decodes an answer's ``Content-Encoding`` (``gzip``,
  ``deflate`` or none) chunk by chunk and refuses one whose *decoded* size
  passes a limit, so a gzip bomb is refused after at most ``limit`` bytes,
  never inflated whole into memory.
* :func:`clamp_expires_in` — the lifetime WeChat announces for a token or a
  ticket, forced into ``[MIN_EXPIRES_IN, MAX_EXPIRES_IN]`` (60 s to 7 days).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import threading
import time
import zlib
from collections.abc import Callable, Iterator

from .errors import TransportError, WxError

__all__ = [
    "BodyDecoder",
    "DEFAULT_MAX_BILL_SIZE",
    "Deadline",
    "MAX_EXPIRES_IN",
    "MIN_EXPIRES_IN",
    "clamp_expires_in",
    "current_deadline",
    "default_deadline",
]

logger = logging.getLogger("wxkit.client")

#: The shortest lifetime wxkit caches a token or ticket for, in seconds: a zero or
#: negative ``expires_in`` would otherwise mean a fetch on every call.
MIN_EXPIRES_IN = 60
#: The longest lifetime, in seconds (7 days; WeChat's tokens and tickets live 2 hours): an
#: absurd ``expires_in`` (``Infinity``, ``1e30``) would otherwise overflow or be refused by Redis.
MAX_EXPIRES_IN = 7 * 24 * 3600
#: The most a bill held in memory may hold once decompressed, in bytes (256 MiB): WeChat Pay
#: v2 ``download_bill`` / ``download_fund_flow`` and v3 ``bills.download`` (``bills.save``
#: streams to a file instead, without a bound).
DEFAULT_MAX_BILL_SIZE = 256 * 1024 * 1024

_DECODE_STEP = 256 * 1024  # the most a single step of decompression may produce
_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("wxkit_deadline", default=None)


# -- time ----------------------------------------------------------------------------------------
def default_deadline(timeout: float | tuple[float, float], *, max_retries: int, backoff: float) -> float:
    """The documented worst case of one call: ``(max_retries + 1) x (connect + read)`` plus the backoff pauses."""
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    tries = max(0, max_retries) + 1
    pauses = backoff * (2 ** max(0, max_retries) - 1)
    return float(tries * (float(connect) + float(read)) + pauses)


class Deadline:
    """The moment one call must be over by, on a monotonic clock (``seconds=None``: never).

    :meth:`active` makes it the calling thread's (or task's) current deadline,
    which wxkit's own connections check before every socket read.
    """

    def __init__(self, seconds: float | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.at = None if seconds is None else clock() + seconds
        #: Set once a read was cut short because the deadline had passed.
        self.hit = False

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds!r})"

    def remaining(self) -> float:
        """Seconds left (``math.inf`` without a deadline; zero or less once passed)."""
        return math.inf if self.at is None else self.at - self._clock()

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.remaining() <= 0

    def error(self, method: str = "", url: str = "") -> TransportError:
        """The :class:`~wxkit.errors.TransportError` of a call that ran out of time."""
        return TransportError(
            f"{method} {url} timed out: exceeded its deadline of {self.seconds:g} s".strip(), method=method, url=url
        )

    def check(self, method: str = "", url: str = "") -> None:
        """Raise :meth:`error` if the deadline has passed."""
        if self.expired():
            self.hit = True
            raise self.error(method, url)

    @contextlib.contextmanager
    def active(self) -> Iterator[Deadline]:
        """Make this the current deadline (:func:`current_deadline`) for the ``with`` block."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)


def current_deadline() -> Deadline | None:
    """The deadline made current by :meth:`Deadline.active` in this thread or task, if any."""
    return _current.get()


# -- memory --------------------------------------------------------------------------------------
def _default_error(message: str) -> WxError:
    return TransportError(message)


class BodyDecoder:
    """Decode a body's ``Content-Encoding`` chunk by chunk, refusing more than ``limit`` decoded bytes.

    ``content_encoding`` is the header's value: empty or ``identity``,
    ``gzip`` (``x-gzip``; several members allowed) or ``deflate`` (zlib or
    raw). Anything else is refused. ``limit=None`` bounds nothing (a stream
    written to a file), but every step still inflates at most 256 KiB.
    ``what`` names the body in errors ("GET https://... answered"); ``error``
    builds the exception (default :class:`~wxkit.errors.TransportError`).
    :attr:`size` counts the decoded bytes so far.
    """

    def __init__(
        self,
        content_encoding: str = "",
        *,
        limit: int | None,
        what: str = "the answer",
        error: Callable[[str], WxError] = _default_error,
    ) -> None:
        self.limit = limit
        self.what = what
        self._error = error
        self.size = 0
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if not codings:
            self.coding = ""
        elif codings in (["gzip"], ["x-gzip"]):
            self.coding = "gzip"
        elif codings == ["deflate"]:
            self.coding = "deflate"
        else:
            raise error(f"{what} with an unsupported Content-Encoding {content_encoding[:40]!r}")
        self._inflater: zlib._Decompress | None = self._new() if self.coding else None
        self._started = False
        self._head = b""

    def __repr__(self) -> str:
        return f"BodyDecoder(coding={self.coding!r}, limit={self.limit!r}, size={self.size})"

    def _new(self, raw_deflate: bool = False) -> zlib._Decompress:
        if self.coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)

    def _count(self, piece: bytes) -> bytes:
        self.size += len(piece)
        if self.limit is not None and self.size > self.limit:
            raise self._error(f"{self.what} with more than {self.limit} bytes")
        return piece

    def decode(self, data: bytes) -> Iterator[bytes]:
        """Yield the decoded bytes of the next raw chunk ``data`` (pieces of at most 256 KiB when inflating)."""
        if self._inflater is None:
            if data:
                yield self._count(data)
            return
        if data and not self._started:
            if self.coding == "deflate" and len(self._head + data) < 2:
                self._head += data  # two bytes tell zlib-wrapped from raw deflate
                return
            data, self._head = self._head + data, b""
            self._started = True
            zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            if self.coding == "deflate" and not zlib_header:
                self._inflater = self._new(raw_deflate=True)  # some servers send raw deflate
        pending = data
        while True:
            inflater = self._inflater
            if inflater.eof:
                if not pending:
                    return
                if self.coding != "gzip" or pending[:1] != b"\x1f":
                    return  # bytes after the end of the stream are ignored
                self._inflater = inflater = self._new()  # the next gzip member
            step = _DECODE_STEP
            if self.limit is not None:
                step = max(1, min(step, self.limit - self.size + 1))
            try:
                piece = inflater.decompress(pending, step)
            except zlib.error:
                raise self._error(f"{self.what} with a body that is not valid {self.coding}") from None
            pending = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            if piece:
                yield self._count(piece)
            if not pending and len(piece) < step:
                return  # all input consumed and no output held back

    def finish(self) -> None:
        """Refuse a compressed body that was cut short; call it once the raw body has ended."""
        if self._inflater is not None and (self._head or (self._started and not self._inflater.eof)):
            raise self._error(f"{self.what} with a truncated {self.coding} body")


# -- cache lifetimes -------------------------------------------------------------------------------
_warned: set[str] = set()
_warned_lock = threading.Lock()


def clamp_expires_in(value: object, *, source: str, default: int = 7200) -> int:
    """The ``expires_in`` a token or ticket endpoint announced, as whole seconds in ``[60, 7 days]``.

    ``value`` is taken as WeChat sent it (int, float, numeric string). Missing
    (``None``) gives ``default`` (WeChat's 7200 s). Zero, negative or below
    :data:`MIN_EXPIRES_IN` becomes 60 s (a refetch a minute, not one per
    call); above :data:`MAX_EXPIRES_IN`, ``Infinity`` included, becomes 7
    days; anything unreadable (``NaN``, text, a bool) becomes ``default``.
    Each correction is logged as a WARNING on ``wxkit.client`` once per
    ``source`` (e.g. ``"the access token of wx123"``).
    """
    if value is None:
        return default
    seconds: float | int
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value  # compared as an int: 10**400 has no float
    else:
        try:
            if isinstance(value, bool):
                raise TypeError
            seconds = float(value)  # type: ignore[arg-type]  # anything else is refused just below
        except (TypeError, ValueError, OverflowError):
            seconds = math.nan
    if seconds != seconds:  # NaN (math.isnan would overflow on a huge int)
        result = default
    elif seconds < MIN_EXPIRES_IN:
        result = MIN_EXPIRES_IN
    elif seconds > MAX_EXPIRES_IN:
        result = MAX_EXPIRES_IN
    else:
        return int(seconds)
    with _warned_lock:
        first = source not in _warned
        if first and len(_warned) < 4096:
            _warned.add(source)
    if first:
        logger.warning("%s announced expires_in=%.40r; using %d s", source, value, result)
    return result
