"""WeChat Pay's calendar: bill dates and "today" are days in China time (UTC+8).

WeChat Pay files a payment under the day China's wall clock showed when it
was made, whatever zone the merchant's server runs in. A server in UTC that
asks for "today's" bill between 16:00 and 24:00 UTC asks for yesterday's in
China. These helpers make that explicit:

* :data:`CHINA_TZ`: the fixed ``UTC+08:00`` zone (China has no DST).
* :func:`china_today`: the current China calendar day.
* :func:`china_date`: the China calendar day of a date, a datetime or a POSIX
  timestamp. An aware ``datetime`` is converted to China time first; a naive
  one is taken as already China wall time (WeChat writes naive times in China
  time); a ``date`` is used as is.

Every bill-date argument in wxkit (v2 ``download_bill`` / ``download_fund_flow``,
v3 ``trade_bill`` / ``fund_flow_bill``) goes through :func:`china_date`.
"""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["CHINA_TZ", "china_date", "china_today"]

#: China Standard Time, ``UTC+08:00``, the zone of every WeChat Pay calendar day.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def china_date(value: dt.date | float) -> dt.date:
    """The China (UTC+8) calendar day of ``value``.

    ``value`` is a ``date`` (as is), a ``datetime`` (aware: converted to China
    time; naive: taken as China wall time) or a POSIX timestamp in seconds.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(CHINA_TZ)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"china_date takes a date, a datetime or a timestamp, not {type(value).__name__}")
    return dt.datetime.fromtimestamp(value, CHINA_TZ).date()


def china_today(now: float | None = None) -> dt.date:
    """Today in China (UTC+8): the day WeChat Pay files a payment made ``now`` (default: the current time)."""
    return china_date(time.time() if now is None else now)
