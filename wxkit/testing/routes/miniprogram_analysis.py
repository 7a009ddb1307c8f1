"""Emulator routes for the mini-program ``analysis`` group (``/datacube/getweanalysisappid*``).

Each answers WeChat's shape with zero-valued (or seeded) data: the
``begin_date`` / ``end_date`` must be ``yyyymmdd`` dates (40097 otherwise;
begin after end 61501) before today on the emulator's China clock (61500
"date format error" for today or later, as WeChat has no data yet). Daily
calls take one day (61501 otherwise). Seed figures with
``app.data["datacube"][name] = [...]`` (``name`` the endpoint's last path
segment); they are answered as the ``list``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, json_object, ok

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["router"]

router = QuotaRouter()

_CHINA = dt.timezone(dt.timedelta(hours=8))
_DAILY = (
    "getweanalysisappiddailysummarytrend",
    "getweanalysisappiddailyvisittrend",
    "getweanalysisappiddailyretaininfo",
)
_RANGED = (
    "getweanalysisappidweeklyvisittrend",
    "getweanalysisappidmonthlyvisittrend",
    "getweanalysisappidweeklyretaininfo",
    "getweanalysisappidmonthlyretaininfo",
    "getweanalysisappiduserportrait",
)


def _day(value: Any) -> dt.date:
    if not (isinstance(value, str) and len(value) == 8 and value.isdigit()):
        raise WeChatAPIError(40097, "invalid args: dates are yyyymmdd")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise WeChatAPIError(40097, "invalid args: dates are yyyymmdd") from None


def _make(name: str, daily: bool) -> None:
    def handler(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
        app, body = calling_app(req), json_object(req)
        begin, end = _day(body.get("begin_date")), _day(body.get("end_date"))
        today = dt.datetime.fromtimestamp(emu.now(), _CHINA).date()
        if end >= today:
            raise WeChatAPIError(61500, "date format error")
        if begin > end or (daily and begin != end):
            raise WeChatAPIError(61501, "date range error")
        rows = app.data.get("datacube", {}).get(name)
        if name == "getweanalysisappiduserportrait":
            ref = f"{begin:%Y%m%d}-{end:%Y%m%d}"
            return ok(ref_date=ref, visit_uv_new={}, visit_uv={})
        if name.endswith("retaininfo"):
            return ok(ref_date=f"{begin:%Y%m%d}", visit_uv_new=[], visit_uv=[])
        ref = f"{begin:%Y%m%d}" if daily else f"{begin:%Y%m%d}-{end:%Y%m%d}"
        return ok(list=rows if rows is not None else [{"ref_date": ref}])

    handler.__doc__ = f"``POST /datacube/{name}``."
    router.route("POST", f"/datacube/{name}")(handler)


for _name in _DAILY:
    _make(_name, True)
for _name in _RANGED:
    _make(_name, False)
