"""The ``analysis`` API group (``client.analysis``): data analysis (数据分析, ``/datacube``).

::

    import datetime as dt
    day = dt.date(2024, 3, 1)
    client.analysis.get_daily_summary(day)["list"]          # visit_total, share_pv, share_uv
    client.analysis.get_daily_visit_trend(day)
    client.analysis.get_user_portrait(dt.date(2024, 2, 24), day)

Dates are ``datetime.date`` (or ``yyyymmdd`` text), China days, sent as
``yyyymmdd``; data exists up to yesterday. Daily calls take one day; weekly
ones a Monday-Sunday week; monthly ones a whole calendar month; the user
portrait the last 1, 7 or 30 days ending yesterday. 61500 for a date WeChat
has no data for. Each call returns WeChat's JSON.
"""
# Generated from wxkit/miniprogram/_async/analysis.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import datetime as dt
from typing import Any

from ._base import MiniProgramAPI
from .models import format_date

__all__ = ["AnalysisAPI"]


def _range(begin: dt.date | str, end: dt.date | str) -> dict[str, str]:
    first, last = format_date(begin), format_date(end)
    if first > last:
        raise ValueError(f"begin ({first}) is after end ({last})")
    return {"begin_date": first, "end_date": last}


class AnalysisAPI(MiniProgramAPI):
    """Visit summaries, trends, retention and user portraits (``/datacube/getweanalysisappid*``)."""

    def _cube(self, name: str, begin: dt.date | str, end: dt.date | str) -> dict[str, Any]:
        return self._client.post(f"/datacube/{name}", json=_range(begin, end), idempotent=True)

    def get_daily_summary(self, day: dt.date | str) -> dict[str, Any]:
        """Totals of one day: ``POST /datacube/getweanalysisappiddailysummarytrend``."""
        return self._cube("getweanalysisappiddailysummarytrend", day, day)

    def get_daily_visit_trend(self, day: dt.date | str) -> dict[str, Any]:
        """Visits of one day: ``POST /datacube/getweanalysisappiddailyvisittrend``."""
        return self._cube("getweanalysisappiddailyvisittrend", day, day)

    def get_weekly_visit_trend(self, begin: dt.date | str, end: dt.date | str) -> dict[str, Any]:
        """Visits of a week (Monday to Sunday): ``POST /datacube/getweanalysisappidweeklyvisittrend``."""
        return self._cube("getweanalysisappidweeklyvisittrend", begin, end)

    def get_monthly_visit_trend(self, begin: dt.date | str, end: dt.date | str) -> dict[str, Any]:
        """Visits of a calendar month: ``POST /datacube/getweanalysisappidmonthlyvisittrend``."""
        return self._cube("getweanalysisappidmonthlyvisittrend", begin, end)

    def get_daily_retain(self, day: dt.date | str) -> dict[str, Any]:
        """Retention of one day's users: ``POST /datacube/getweanalysisappiddailyretaininfo``."""
        return self._cube("getweanalysisappiddailyretaininfo", day, day)

    def get_weekly_retain(self, begin: dt.date | str, end: dt.date | str) -> dict[str, Any]:
        """Retention of a week's users: ``POST /datacube/getweanalysisappidweeklyretaininfo``."""
        return self._cube("getweanalysisappidweeklyretaininfo", begin, end)

    def get_monthly_retain(self, begin: dt.date | str, end: dt.date | str) -> dict[str, Any]:
        """Retention of a month's users: ``POST /datacube/getweanalysisappidmonthlyretaininfo``."""
        return self._cube("getweanalysisappidmonthlyretaininfo", begin, end)

    def get_user_portrait(self, begin: dt.date | str, end: dt.date | str) -> dict[str, Any]:
        """Who the users are (regions, devices, ages ...): ``POST /datacube/getweanalysisappiduserportrait``.

        ``end`` is yesterday and the range 1, 7 or 30 days.
        """
        return self._cube("getweanalysisappiduserportrait", begin, end)
