"""client.security: msg_sec_check v2 (typed verdicts) and media_check_async; sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit.errors import APIError, InvalidArgumentError
from wxkit.miniprogram import SecurityCheck
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import miniprogram_state, set_security_verdict


@pytest.fixture(autouse=True)
def user(wechat_emulator: Emulator, wechat_app: AppState) -> str:
    return wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")


def test_clean_text_passes(mp_client: Any) -> None:
    check = mp_client.security.msg_sec_check("o_ann", "hello", scene=2)
    assert isinstance(check, SecurityCheck)
    assert (check.suggest, check.label, check.passed) == ("pass", 100, True)
    assert check.trace_id
    assert check.details[0].strategy == "content_model"


def test_a_keyword_verdict(mp_client: Any, wechat_app: AppState) -> None:
    set_security_verdict(wechat_app, "risky", label=20006, keyword="forbidden")
    check = mp_client.security.msg_sec_check("o_ann", "so forbidden", scene=3, title="t", nickname="n")
    assert (check.suggest, check.label, check.passed) == ("risky", 20006, False)
    keyword = [d for d in check.details if d.strategy == "keyword"]
    assert keyword
    assert keyword[0].keyword == "forbidden"
    assert keyword[0].level == 20


def test_a_default_review_verdict(mp_client: Any, wechat_app: AppState) -> None:
    set_security_verdict(wechat_app, "review")
    check = mp_client.security.msg_sec_check("o_ann", "anything", scene=1, signature="sig")
    assert (check.suggest, check.label) == ("review", 21000)


@pytest.mark.parametrize("scene", [0, 5, True])
def test_a_bad_scene_is_refused_before_sending(mp_client: Any, wechat_emulator: Emulator, scene: Any) -> None:
    sent = len(wechat_emulator.requests)
    with pytest.raises(APIError) as info:
        mp_client.security.msg_sec_check("o_ann", "hello", scene=scene)
    assert info.value.errcode == 40129
    assert len(wechat_emulator.requests) == sent


def test_an_unknown_or_absent_user(mp_client: Any, wechat_emulator: Emulator) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.security.msg_sec_check("o_nobody", "hello", scene=2)
    assert info.value.errcode == 40003
    wechat_emulator.advance(2 * 3600 + 1)
    with pytest.raises(APIError) as info:
        mp_client.security.msg_sec_check("o_ann", "hello", scene=2)
    assert info.value.errcode == 61010


def test_media_check_async_records_the_verdict(mp_client: Any, wechat_app: AppState) -> None:
    set_security_verdict(wechat_app, "risky", label=20002, keyword="bad.jpg")
    trace_id = mp_client.security.media_check_async("o_ann", "https://cdn.example/bad.jpg", media_type=2, scene=3)
    check = miniprogram_state(wechat_app).media_checks[trace_id]
    assert check["result"] == {"suggest": "risky", "label": 20002}
    assert check["openid"] == "o_ann"
    assert check["media_type"] == 2


def test_media_type_is_checked_before_sending(mp_client: Any) -> None:
    with pytest.raises(APIError) as info:
        mp_client.security.media_check_async("o_ann", "https://cdn.example/a.jpg", media_type=3, scene=1)
    assert info.value.errcode == 40097


def test_set_security_verdict_checks_its_suggest(wechat_app: AppState) -> None:
    with pytest.raises(ValueError, match="suggest"):
        set_security_verdict(wechat_app, "maybe")
