"""client.subscribe against the emulator: subscription notifications and one-time messages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from wxkit import Client
from wxkit.errors import APIError, InvalidArgumentError, RateLimitError, UserStateError
from wxkit.testing import AppState
from wxkit.testing.routes import subscribe as routes

PAID = {"thing1": {"value": "Coffee"}, "amount2": {"value": "18.00"}}


@pytest.fixture
def tmpl(wechat_client: Client, wechat_app: AppState) -> str:
    """A follower ``o_user`` and a private template picked from public template 99."""
    wechat_app.add_follower("o_user")
    return wechat_client.subscribe.add_template(99, [1, 2], "付款后通知")


def raises(client: Client, cls: type[APIError], errcode: int, call: Any, *args: Any, **kwargs: Any) -> APIError:
    """Call and check the error's class, errcode, and that no token leaks into its text."""
    with pytest.raises(cls) as info:
        call(*args, **kwargs)
    assert info.value.errcode == errcode
    assert client.access_token not in str(info.value)
    return info.value


# -- templates ----------------------------------------------------------------------------------
def test_library_queries(wechat_client: Client) -> None:
    sub = wechat_client.subscribe
    assert sub.get_category()["data"] == [{"id": 616, "name": "公交"}]
    keywords = sub.get_pub_template_keywords(99)
    assert keywords["count"] == 3
    assert keywords["data"][0] == {
        "kid": 1,
        "name": "物品名称",
        "example": "名称",
        "rule": "thing",
    }
    page = sub.get_pub_template_titles([2, 616], start=1, limit=1)
    assert page["count"] == 2
    assert page["data"] == [{"tid": 401, "title": "线路变更通知", "type": 3, "categoryId": "616"}]
    assert sub.get_pub_template_titles([616])["data"][0]["tid"] == 99


@pytest.mark.parametrize(
    ("call", "errcode"),
    [
        (lambda s: s.get_pub_template_keywords(12345), 200014),
        (lambda s: s.get_pub_template_titles([]), 200018),
        (lambda s: s.get_pub_template_titles(["x"]), 200019),
        (lambda s: s.get_pub_template_titles([616], start=-1), 200016),
        (lambda s: s.get_pub_template_titles([616], limit=31), 200017),
        (lambda s: s.add_template(12345, [1, 2], "scene"), 200014),
        (lambda s: s.add_template(99, [1], "scene"), 200020),
        (lambda s: s.add_template(99, [1, 9], "scene"), 200020),
        (lambda s: s.add_template(99, [1, 2], "x" * 16), 200021),
        (lambda s: s.delete_template("NO_SUCH"), 40037),
    ],
    ids=[
        "keywords-tid",
        "titles-no-ids",
        "titles-bad-ids",
        "titles-start",
        "titles-limit",
        "add-tid",
        "add-one-kid",
        "add-bad-kid",
        "add-scene",
        "delete",
    ],
)
def test_template_errors(wechat_client: Client, call: Any, errcode: int) -> None:
    raises(wechat_client, APIError, errcode, call, wechat_client.subscribe)


def test_add_list_delete_template(wechat_client: Client, wechat_app: AppState, tmpl: str) -> None:
    (listed,) = wechat_client.subscribe.list_templates()["data"]
    assert listed == {
        "priTmplId": tmpl,
        "title": "付款成功通知",
        "content": "物品名称:{{thing1.DATA}}\n付款金额:{{amount2.DATA}}\n",
        "example": "物品名称:名称\n付款金额:100元\n",
        "type": 2,
    }
    assert wechat_client.subscribe.delete_template(tmpl) == {"errcode": 0, "errmsg": "ok"}
    assert wechat_client.subscribe.list_templates()["data"] == []


# -- subscription notifications -----------------------------------------------------------------
def test_send_consumes_one_acceptance(wechat_client: Client, wechat_app: AppState, tmpl: str) -> None:
    routes.accept_subscription(wechat_app, "o_user", tmpl)
    page = "https://example.com/orders/1"
    assert wechat_client.subscribe.send("o_user", tmpl, PAID, page=page) == {"errcode": 0, "errmsg": "ok"}
    assert wechat_app.sent == [
        {"kind": "subscribe", "touser": "o_user", "template_id": tmpl, "data": PAID, "page": page}
    ]
    err = raises(wechat_client, UserStateError, 43101, wechat_client.subscribe.send, "o_user", tmpl, PAID)
    assert "refuse" in err.errmsg


def test_long_term_acceptance_and_miniprogram(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.add_follower("o_user")
    tmpl = routes.add_template(wechat_app, "LONG", content="线路:{{thing1.DATA}}\n", type=3)["priTmplId"]
    routes.accept_subscription(wechat_app, "o_user", tmpl, times=None)
    mini = {"appid": "wx_mini", "pagepath": "pages/line"}
    for _ in range(3):
        wechat_client.subscribe.send("o_user", tmpl, {"thing1": {"value": "1路"}}, miniprogram=mini)
    assert [s["miniprogram"] for s in wechat_app.sent] == [mini] * 3


def test_send_errors(wechat_client: Client, wechat_app: AppState, tmpl: str) -> None:
    send = wechat_client.subscribe.send
    routes.accept_subscription(wechat_app, "o_user", tmpl, times=5)
    raises(wechat_client, InvalidArgumentError, 40037, send, "o_user", "NO_SUCH", PAID)
    raises(wechat_client, InvalidArgumentError, 40003, send, "o_stranger", tmpl, PAID)
    err = raises(wechat_client, APIError, 47003, send, "o_user", tmpl, {"thing1": {"value": "Coffee"}})
    assert "amount2" in err.errmsg
    wechat_app.quota_limits["/cgi-bin/message/subscribe/bizsend"] = 0
    raises(wechat_client, RateLimitError, 45009, send, "o_user", tmpl, PAID)
    assert wechat_app.sent == []


# -- one-time subscribe messages ------------------------------------------------------------------
def test_one_time_url(wechat_client: Client) -> None:
    url = wechat_client.subscribe.one_time_url("https://example.com/cb", 1000, "ONCE_TPL", reserved="csrf42")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "https",
        "mp.weixin.qq.com",
        "/mp/subscribemsg",
        "wechat_redirect",
    )
    assert parse_qs(parts.query) == {
        "action": ["get_confirm"],
        "appid": [wechat_client.appid],
        "scene": ["1000"],
        "template_id": ["ONCE_TPL"],
        "redirect_url": ["https://example.com/cb"],
        "reserved": ["csrf42"],
    }
    with pytest.raises(ValueError, match="scene"):
        wechat_client.subscribe.one_time_url("https://example.com/cb", 10001, "ONCE_TPL")
    with pytest.raises(ValueError, match="128 bytes"):
        wechat_client.subscribe.one_time_url("https://example.com/cb", 1, "ONCE_TPL", reserved="x" * 129)


def test_send_one_time_after_confirmation(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.add_follower("o_user")
    sub = wechat_client.subscribe
    content = {"content": {"value": "Your ticket is ready", "color": "#FF0000"}}
    raises(wechat_client, UserStateError, 43101, sub.send_one_time, "o_user", "ONCE_TPL", 7, "Ticket", content)
    url = sub.one_time_url("https://example.com/cb?step=2", 7, "ONCE_TPL", reserved="s1")
    redirect = routes.confirm_one_time(wechat_app, url, "o_user")
    assert (
        redirect
        == "https://example.com/cb?step=2&openid=o_user&template_id=ONCE_TPL&action=confirm&scene=7&reserved=s1"
    )
    answer = sub.send_one_time("o_user", "ONCE_TPL", 7, "Ticket", content, url="https://example.com/t")
    assert answer == {"errcode": 0, "errmsg": "ok"}
    assert wechat_app.sent == [
        {
            "kind": "subscribe_once",
            "touser": "o_user",
            "template_id": "ONCE_TPL",
            "scene": "7",
            "title": "Ticket",
            "data": content,
            "url": "https://example.com/t",
        }
    ]
    raises(wechat_client, UserStateError, 43101, sub.send_one_time, "o_user", "ONCE_TPL", 7, "Again", content)
    raises(wechat_client, InvalidArgumentError, 40003, sub.send_one_time, "o_stranger", "ONCE_TPL", 7, "T", content)


def test_confirm_one_time_cancel_and_bad_urls(wechat_client: Client, wechat_app: AppState) -> None:
    wechat_app.add_follower("o_user")
    url = wechat_client.subscribe.one_time_url("https://example.com/cb", 3, "ONCE_TPL")
    assert routes.confirm_one_time(wechat_app, url, "o_user", accept=False) == (
        "https://example.com/cb?template_id=ONCE_TPL&action=cancel&scene=3"
    )
    content = {"content": {"value": "v"}}
    send_one_time = wechat_client.subscribe.send_one_time
    raises(wechat_client, UserStateError, 43101, send_one_time, "o_user", "ONCE_TPL", 3, "T", content)
    for bad in (
        "https://example.com/x",
        url.replace(wechat_client.appid, "wx_other"),
        url.replace("scene=3", "scene=x"),
    ):
        with pytest.raises(ValueError):
            routes.confirm_one_time(wechat_app, bad, "o_user")
