"""client.analysis (typed dates) and client.risk; sync and async against the emulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wxkit.errors import APIError
from wxkit.miniprogram.models import format_date, parse_date
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import miniprogram_state

_CHINA = dt.timezone(dt.timedelta(hours=8))


def _yesterday(emu: Emulator) -> dt.date:
    return dt.datetime.fromtimestamp(emu.now(), _CHINA).date() - dt.timedelta(days=1)


def test_daily_calls_send_one_day(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    day = _yesterday(wechat_emulator)
    wechat_app.data["datacube"] = {
        "getweanalysisappiddailysummarytrend": [{"ref_date": f"{day:%Y%m%d}", "visit_total": 7}]
    }
    assert mp_client.analysis.get_daily_summary(day)["list"][0]["visit_total"] == 7
    assert mp_client.analysis.get_daily_visit_trend(f"{day:%Y%m%d}")["list"][0]["ref_date"] == f"{day:%Y%m%d}"
    assert mp_client.analysis.get_daily_retain(day)["ref_date"] == f"{day:%Y%m%d}"


def test_ranged_calls(mp_client: Any, wechat_emulator: Emulator) -> None:
    end = _yesterday(wechat_emulator)
    begin = end - dt.timedelta(days=6)
    assert mp_client.analysis.get_weekly_visit_trend(begin, end)["list"]
    assert mp_client.analysis.get_monthly_visit_trend(begin, end)["list"]
    assert mp_client.analysis.get_weekly_retain(begin, end)["ref_date"]
    assert mp_client.analysis.get_monthly_retain(begin, end)["ref_date"]
    assert mp_client.analysis.get_user_portrait(begin, end)["ref_date"] == f"{begin:%Y%m%d}-{end:%Y%m%d}"


def test_today_has_no_data(mp_client: Any, wechat_emulator: Emulator) -> None:
    with pytest.raises(APIError) as info:
        mp_client.analysis.get_daily_summary(_yesterday(wechat_emulator) + dt.timedelta(days=1))
    assert info.value.errcode == 61500


def test_dates_are_checked_before_sending(mp_client: Any) -> None:
    with pytest.raises(ValueError, match="after"):
        mp_client.analysis.get_weekly_visit_trend(dt.date(2024, 3, 8), dt.date(2024, 3, 1))
    with pytest.raises(ValueError, match="datetime"):
        mp_client.analysis.get_daily_summary(dt.datetime(2024, 3, 1, tzinfo=_CHINA))
    with pytest.raises(ValueError, match="yyyymmdd"):
        mp_client.analysis.get_daily_summary("2024-03-01")


def test_format_and_parse_date() -> None:
    assert format_date(dt.date(2024, 3, 1)) == "20240301" == format_date("20240301")
    assert parse_date("20240229") == dt.date(2024, 2, 29)
    for bad in ("20240230", "2024031", "２０２４０３０１"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_user_risk_rank(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")
    miniprogram_state(wechat_app).risk_ranks["o_ann"] = 3
    answer = mp_client.risk.get_user_risk_rank("o_ann", scene=0, client_ip="203.0.113.7", mobile_no="13800138000")
    assert answer["risk_rank"] == 3
    assert "unoin_id" in answer
    with pytest.raises(APIError) as info:
        mp_client.risk.get_user_risk_rank("o_nobody", scene=1, client_ip="203.0.113.7", is_test=True)
    assert info.value.errcode == 40003
    with pytest.raises(APIError) as info:
        mp_client.risk.get_user_risk_rank("o_ann", scene=2, client_ip="203.0.113.7")
    assert info.value.errcode == 40097
