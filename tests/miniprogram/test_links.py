"""client.links: URL Scheme, NFC Scheme, URL Link and Short Link, generated then queried; sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit.errors import APIError
from wxkit.testing import AppState, Emulator
from wxkit.testing.miniprogram import miniprogram_state, set_pages


def test_a_scheme_can_be_queried(mp_client: Any, wechat_emulator: Emulator, wechat_app: AppState) -> None:
    link = mp_client.links.generate_scheme(path="pages/item/item", query="id=42", expire_interval=7)
    assert link.startswith("weixin://dl/business/?t=")
    info = mp_client.links.query_scheme(link)["scheme_info"]
    assert (info["appid"], info["path"], info["query"], info["env_version"]) == (
        wechat_app.appid,
        "pages/item/item",
        "id=42",
        "release",
    )
    assert info["expire_time"] - info["create_time"] == 7 * 86400


def test_a_scheme_with_an_expire_time(mp_client: Any, wechat_emulator: Emulator) -> None:
    at = int(wechat_emulator.now()) + 3600
    link = mp_client.links.generate_scheme(expire_time=at, env_version="trial")
    info = mp_client.links.query_scheme(link)["scheme_info"]
    assert (info["expire_time"], info["env_version"], info["path"]) == (at, "trial", "")


@pytest.mark.parametrize("kwargs", [{"expire_interval": 31}, {"expire_interval": 0}, {"expire_time": 1}])
def test_a_bad_expiry_is_85401(mp_client: Any, kwargs: dict[str, int]) -> None:
    with pytest.raises(APIError) as info:
        mp_client.links.generate_scheme(**kwargs)
    assert info.value.errcode == 85401


def test_expire_time_and_interval_exclude_each_other(mp_client: Any) -> None:
    with pytest.raises(ValueError, match="not both"):
        mp_client.links.generate_url_link(expire_time=1, expire_interval=1)


def test_an_unpublished_path_is_40165(mp_client: Any, wechat_app: AppState) -> None:
    set_pages(wechat_app, ["pages/index/index"])
    with pytest.raises(APIError) as info:
        mp_client.links.generate_scheme(path="pages/draft/draft")
    assert info.value.errcode == 40165


def test_an_nfc_scheme(mp_client: Any, wechat_app: AppState) -> None:
    link = mp_client.links.generate_nfc_scheme("model-1", path="pages/index/index", sn="SN-7")
    assert miniprogram_state(wechat_app).schemes[link]["sn"] == "SN-7"
    assert mp_client.links.query_scheme(link)["scheme_info"]["path"] == "pages/index/index"


def test_a_url_link_can_be_queried(mp_client: Any, wechat_app: AppState) -> None:
    link = mp_client.links.generate_url_link(path="pages/item/item", query="id=7", expire_interval=1)
    assert link.startswith("https://wxaurl.cn/")
    answer = mp_client.links.query_url_link(link)
    assert answer["url_link_info"]["query"] == "id=7"
    assert "remain_visit_quota" in answer["quota_info"]


def test_an_unknown_link_is_refused(mp_client: Any) -> None:
    for call, value in (
        (mp_client.links.query_scheme, "weixin://dl/business/?t=nope"),
        (mp_client.links.query_url_link, "https://wxaurl.cn/nope"),
    ):
        with pytest.raises(APIError) as info:
            call(value)
        assert info.value.errcode == 40097


def test_a_short_link(mp_client: Any, wechat_app: AppState) -> None:
    link = mp_client.links.generate_short_link("pages/item/item?id=42", page_title="Item 42", is_permanent=True)
    assert link.startswith("#小程序://")
    assert miniprogram_state(wechat_app).short_links[link]["is_permanent"] is True
    with pytest.raises(APIError) as info:
        mp_client.links.generate_short_link("pages/item/item", page_title="t" * 41)
    assert info.value.errcode == 40097
