"""client.misc against the emulator: IP lists, the callback check, quotas and rids."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import pytest

from wxkit import Client
from wxkit.errors import APIError, RateLimitError
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes.misc import add_rid

RID = "61725984-6126f6f9-040f19c4"


def expect(client: Client, cls: type[APIError], code: int, call: Callable[[], Any]) -> APIError:
    with pytest.raises(cls) as info:
        call()
    assert info.value.errcode == code
    assert client.access_token not in str(info.value)
    return info.value


def test_ip_lists(wechat_client: Client, wechat_app: AppState) -> None:
    assert wechat_client.misc.api_domain_ips() == ["203.0.113.10", "203.0.113.11"]
    wechat_app.data["misc"]["callback_ips"] = ["192.0.2.1"]
    assert wechat_client.misc.callback_ips() == ["192.0.2.1"]


@pytest.mark.parametrize(("action", "keys"), [("all", {"dns", "ping"}), ("dns", {"dns"}), ("ping", {"ping"})])
def test_check_callback(wechat_client: Client, action: str, keys: set[str]) -> None:
    answer = wechat_client.misc.check_callback(action=action, check_operator="UNICOM")
    assert set(answer) == keys
    assert answer.get("ping", [{"from_operator": "UNICOM"}])[0]["from_operator"] == "UNICOM"


def test_check_callback_errors(wechat_client: Client, wechat_app: AppState) -> None:
    expect(wechat_client, APIError, 40202, lambda: wechat_client.misc.check_callback(action="trace"))
    expect(wechat_client, APIError, 40203, lambda: wechat_client.misc.check_callback(check_operator="MOBILE"))
    wechat_app.data.setdefault("misc", {})["callback_url"] = None
    expect(wechat_client, APIError, 40201, wechat_client.misc.check_callback)


def test_quota_is_counted_reported_and_cleared(wechat_client: Client, wechat_app: AppState) -> None:
    path = "/cgi-bin/getcallbackip"
    wechat_app.quota_limits[path] = 2
    wechat_client.misc.callback_ips()
    wechat_client.misc.callback_ips()
    expect(wechat_client, RateLimitError, 45009, wechat_client.misc.callback_ips)
    assert wechat_client.misc.get_quota(path)["quota"] == {"daily_limit": 2, "used": 2, "remain": 0}
    wechat_client.misc.clear_quota()
    assert wechat_app.quota[path] == 0
    assert wechat_client.misc.callback_ips()


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/cgi-bin/message/template/send", lambda c: c.template.send("o_user", "TPL", {"k": {"value": "v"}})),
        ("/cgi-bin/message/custom/send", lambda c: c.message.send_text("o_user", "hi")),
        ("/cgi-bin/message/subscribe/bizsend", lambda c: c.subscribe.send("o_user", "SUB", {})),
        ("/cgi-bin/media/get", lambda c: c.media.download("no-such-media", io.BytesIO())),
        ("/cgi-bin/ticket/getticket", lambda c: c.jssdk.get_ticket(force_refresh=True)),
        ("/cgi-bin/menu/get", lambda c: c.menu.get()),
    ],
    ids=["template", "custom", "subscribe", "media", "ticket", "menu"],
)
def test_every_route_module_meters_by_api_path(
    wechat_client: Client, wechat_app: AppState, path: str, call: Callable[[Client], Any]
) -> None:
    with contextlib.suppress(APIError):  # refused calls count as well
        call(wechat_client)
    assert wechat_client.misc.get_quota(path)["quota"]["used"] == 1
    assert dict(wechat_app.quota) == {path: 1, "/cgi-bin/openapi/quota/get": 1}
    wechat_app.quota_limits[path] = 1
    expect(wechat_client, RateLimitError, 45009, lambda: call(wechat_client))
    wechat_client.misc.clear_quota()
    assert wechat_client.misc.get_quota(path)["quota"]["used"] == 0


def test_clear_quota_ten_times_a_month(wechat_client: Client, wechat_emulator: Emulator) -> None:
    for _ in range(10):
        wechat_client.misc.clear_quota()
    expect(wechat_client, APIError, 48006, wechat_client.misc.clear_quota)
    wechat_emulator.advance(32 * 86400)
    wechat_client.misc.clear_quota()


def test_clear_quota_of_another_app(wechat_client: Client) -> None:
    expect(wechat_client, APIError, 40013, lambda: wechat_client.post("/cgi-bin/clear_quota", {"appid": "wx_other"}))


@pytest.mark.parametrize(("path", "code"), [("cgi-bin/getcallbackip", 76003), ("/cgi-bin/nothing", 76021)])
def test_get_quota_errors(wechat_client: Client, path: str, code: int) -> None:
    expect(wechat_client, APIError, code, lambda: wechat_client.misc.get_quota(path))


def test_get_rid(wechat_client: Client, wechat_app: AppState) -> None:
    add_rid(wechat_app, RID, request_url="/cgi-bin/message/custom/send", response_body='{"errcode":45015}')
    request = wechat_client.misc.get_rid(RID)["request"]
    assert request["request_url"] == "/cgi-bin/message/custom/send"
    assert request["response_body"] == '{"errcode":45015}'
    expect(wechat_client, APIError, 76001, lambda: wechat_client.misc.get_rid("00000000-00000000-00000000"))
    expect(wechat_client, APIError, 76002, lambda: wechat_client.misc.get_rid("not a rid"))
