"""WeChat Pay's calendar is China time (UTC+8), whatever the machine's zone."""

from __future__ import annotations

import datetime as dt

import pytest

from wxkit.pay.dates import CHINA_TZ, china_date, china_today
from wxkit.pay.v2 import _bill_date
from wxkit.pay.v3.bills import bill_date

# 2024-01-01 16:30 UTC is 2024-01-02 00:30 in China: the hour the old bill test failed.
LATE_UTC = dt.datetime(2024, 1, 1, 16, 30, tzinfo=dt.timezone.utc)


def test_china_date_of_an_aware_datetime_is_china_time() -> None:
    assert china_date(LATE_UTC) == dt.date(2024, 1, 2)
    assert china_date(LATE_UTC.astimezone(dt.timezone(dt.timedelta(hours=-10)))) == dt.date(2024, 1, 2)
    assert china_date(dt.datetime(2024, 1, 2, 7, 59, tzinfo=dt.timezone.utc)) == dt.date(2024, 1, 2)


def test_china_date_of_a_timestamp_and_today() -> None:
    stamp = LATE_UTC.timestamp()
    assert china_date(stamp) == dt.date(2024, 1, 2)
    assert china_date(int(stamp) - 3600) == dt.date(2024, 1, 1)  # 23:30 in China
    assert china_today(stamp) == dt.date(2024, 1, 2)
    before = dt.datetime.now(CHINA_TZ).date()
    assert china_today() in {before, dt.datetime.now(CHINA_TZ).date()}


def test_naive_datetimes_and_dates_are_china_days_as_written() -> None:
    assert china_date(dt.datetime(2024, 1, 1, 23, 59)) == dt.date(2024, 1, 1)
    assert china_date(dt.date(2024, 1, 1)) == dt.date(2024, 1, 1)


@pytest.mark.parametrize("value", ["2024-01-01", None, True, object()])
def test_china_date_refuses_other_types(value: object) -> None:
    with pytest.raises(TypeError, match="china_date"):
        china_date(value)  # type: ignore[arg-type]


def test_bill_dates_use_the_china_day() -> None:
    assert _bill_date(LATE_UTC) == "20240102"
    assert bill_date(LATE_UTC) == "2024-01-02"
    assert bill_date(dt.date(2024, 1, 1)) == "2024-01-01"
    assert _bill_date("20240101") == "20240101"
