"""client.template against the emulator: template messages, templates, industries."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit import Client
from wxkit.errors import APIError, InvalidArgumentError, RateLimitError, TransportError, UserStateError
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes import template as routes

DATA = {"keyword1": {"value": "A-1024"}, "keyword2": {"value": "SF Express", "color": "#173177"}}


@pytest.fixture
def template_id(wechat_app: AppState) -> str:
    wechat_app.add_follower("o_user")
    return str(routes.add_template(wechat_app, "TPL_SHIPPED")["template_id"])


def raises(client: Client, cls: type[APIError], errcode: int, call: Any, *args: Any, **kwargs: Any) -> APIError:
    """Call and check the error's class, errcode, and that no token leaks into its text."""
    with pytest.raises(cls) as info:
        call(*args, **kwargs)
    assert info.value.errcode == errcode
    assert client.access_token not in str(info.value)
    return info.value


def test_send_returns_msgid_and_records(wechat_client: Client, wechat_app: AppState, template_id: str) -> None:
    mini = {"appid": "wx_mini", "pagepath": "pages/order?id=1"}
    msgid = wechat_client.template.send("o_user", template_id, DATA, url="https://example.com/o/1", miniprogram=mini)
    assert isinstance(msgid, int)
    assert wechat_app.sent == [
        {
            "kind": "template",
            "msgid": msgid,
            "touser": "o_user",
            "template_id": template_id,
            "data": DATA,
            "url": "https://example.com/o/1",
            "miniprogram": mini,
        }
    ]


def test_send_client_msg_id_deduplicates_for_ten_minutes(
    wechat_client: Client, wechat_emulator: Emulator, wechat_app: AppState, template_id: str
) -> None:
    send = wechat_client.template.send
    first = send("o_user", template_id, DATA, client_msg_id="order-1")
    assert send("o_user", template_id, DATA, client_msg_id="order-1") == first
    assert send("o_user", template_id, DATA, client_msg_id="order-2") != first
    wechat_emulator.advance(601)
    assert send("o_user", template_id, DATA, client_msg_id="order-1") != first
    assert [s["client_msg_id"] for s in wechat_app.sent] == ["order-1", "order-2", "order-1"]


def test_send_errors(wechat_client: Client, wechat_app: AppState, template_id: str) -> None:
    send = wechat_client.template.send
    raises(wechat_client, InvalidArgumentError, 40037, send, "o_user", "NO_SUCH_TEMPLATE", DATA)
    raises(wechat_client, InvalidArgumentError, 40003, send, "o_stranger", template_id, DATA)
    wechat_app.add_follower("o_left", subscribe=0)
    raises(wechat_client, UserStateError, 43004, send, "o_left", template_id, DATA)
    path = "/cgi-bin/message/template/send"
    assert wechat_app.quota[path] == 3  # refused calls count too
    wechat_app.quota_limits[path] = 4
    send("o_user", template_id, DATA)
    raises(wechat_client, RateLimitError, 45009, send, "o_user", template_id, DATA)
    assert len(wechat_app.sent) == 1


def test_list_and_delete(wechat_client: Client, template_id: str) -> None:
    (listed,) = wechat_client.template.list()["template_list"]
    assert listed["template_id"] == template_id
    assert "{{keyword1.DATA}}" in listed["content"]
    assert wechat_client.template.delete(template_id) == {"errcode": 0, "errmsg": "ok"}
    assert wechat_client.template.list() == {"template_list": []}
    raises(wechat_client, InvalidArgumentError, 40037, wechat_client.template.delete, template_id)


def test_industry(wechat_client: Client, wechat_app: AppState, template_id: str) -> None:
    assert wechat_client.template.get_industry() == {
        "primary_industry": {"first_class": "IT科技", "second_class": "互联网|电子商务"},
        "secondary_industry": {"first_class": "IT科技", "second_class": "IT软件与服务"},
    }
    wechat_client.template.set_industry(1, "2")  # unchanged: templates stay
    assert wechat_app.data["templates"]
    assert wechat_client.template.set_industry(13, 41) == {"errcode": 0, "errmsg": "ok"}
    assert wechat_client.template.get_industry()["primary_industry"] == {
        "first_class": "运输与仓储",
        "second_class": "快递",
    }
    assert wechat_app.data["templates"] == {}  # a new industry drops the old templates
    raises(wechat_client, InvalidArgumentError, 40035, wechat_client.template.set_industry, 1, 99)


def test_add(wechat_client: Client) -> None:
    industry_tpl = wechat_client.template.add("TM00015")
    category_tpl = wechat_client.template.add("47123", ["时间", "地点"])
    listed = {t["template_id"]: t for t in wechat_client.template.list()["template_list"]}
    assert set(listed) == {industry_tpl, category_tpl}
    assert listed[category_tpl]["content"] == "时间:{{keyword1.DATA}}\n地点:{{keyword2.DATA}}\n"
    raises(wechat_client, APIError, 40246, wechat_client.template.add, "47123")
    raises(wechat_client, InvalidArgumentError, 40037, wechat_client.template.add, "")


def test_answer_without_ids_is_a_transport_error(wechat_client: Client, stub_method: Any) -> None:
    stub_method(wechat_client, "post", {"errcode": 0, "errmsg": "ok"})
    with pytest.raises(TransportError, match="msgid"):
        wechat_client.template.send("o_user", "TPL", DATA)
    with pytest.raises(TransportError, match="template_id"):
        wechat_client.template.add("TM00015")
    with pytest.raises(TransportError, match="priTmplId"):
        wechat_client.subscribe.add_template(99, [1, 2], "scene")
