"""client.subscribe: subscribe messages and the template library; sync and async against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from wxkit.errors import APIError, InvalidArgumentError, UserStateError
from wxkit.testing import AppState, Emulator
from wxkit.testing.routes.subscribe import accept_subscription, add_template

DATA = {"thing1": {"value": "Order 42"}, "amount2": {"value": "9.90元"}}


@pytest.fixture
def template_id(wechat_emulator: Emulator, wechat_app: AppState) -> str:
    wechat_emulator.miniprogram_login(wechat_app.appid, "o_ann")
    template = add_template(wechat_app)
    accept_subscription(wechat_app, "o_ann", template["priTmplId"])
    return str(template["priTmplId"])


def test_send_is_recorded(mp_client: Any, wechat_app: AppState, template_id: str) -> None:
    answer = mp_client.subscribe.send(
        "o_ann", template_id, DATA, page="pages/order/order?id=42", miniprogram_state="formal", lang="en_US"
    )
    assert answer["errcode"] == 0
    sent = wechat_app.sent[-1]
    assert sent["kind"] == "miniprogram_subscribe"
    assert (sent["touser"], sent["page"], sent["miniprogram_state"], sent["lang"]) == (
        "o_ann",
        "pages/order/order?id=42",
        "formal",
        "en_US",
    )


def test_one_acceptance_one_message(mp_client: Any, template_id: str) -> None:
    mp_client.subscribe.send("o_ann", template_id, DATA)
    with pytest.raises(UserStateError) as info:
        mp_client.subscribe.send("o_ann", template_id, DATA)
    assert info.value.errcode == 43101


def test_unknown_user_template_and_missing_data(mp_client: Any, template_id: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.subscribe.send("o_nobody", template_id, DATA)
    assert info.value.errcode == 40003
    with pytest.raises(InvalidArgumentError) as info:
        mp_client.subscribe.send("o_ann", "no-such-template", DATA)
    assert info.value.errcode == 40037
    with pytest.raises(APIError) as info:
        mp_client.subscribe.send("o_ann", template_id, {"thing1": {"value": "x"}})
    assert info.value.errcode == 47003


@pytest.mark.parametrize("kwargs", [{"miniprogram_state": "release"}, {"lang": "fr_FR"}])
def test_state_and_lang_are_checked(mp_client: Any, template_id: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        mp_client.subscribe.send("o_ann", template_id, DATA, **kwargs)


def test_the_template_library(mp_client: Any) -> None:
    categories = mp_client.subscribe.get_category()["data"]
    titles = mp_client.subscribe.get_pub_template_titles([c["id"] for c in categories], limit=10)
    tid = titles["data"][0]["tid"]
    kids = [k["kid"] for k in mp_client.subscribe.get_pub_template_keywords(tid)["data"]][:2]
    pri_tmpl_id = mp_client.subscribe.add_template(tid, kids, "order paid")
    assert pri_tmpl_id in [t["priTmplId"] for t in mp_client.subscribe.list_templates()["data"]]
    mp_client.subscribe.delete_template(pri_tmpl_id)
    assert pri_tmpl_id not in [t["priTmplId"] for t in mp_client.subscribe.list_templates()["data"]]
