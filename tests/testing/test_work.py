"""The emulator's WeCom site: its own listener, gettoken's errcodes and token rules, corps and their secrets."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from wxkit.testing import Emulator
from wxkit.testing.work import CorpState

ECHO = "/cgi-bin/wxkit_test/work_site_echo"


def _echo(emu: Emulator, req: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", "corpid": req.corp.corpid, "secret_name": req.secret_name, "site": req.site}


@pytest.fixture(scope="module")
def frozen() -> Any:
    """An emulator whose time moves only by ``advance``."""
    with Emulator(clock=lambda: 1_700_000_000.0) as emu:
        emu.add_route("GET", ECHO, _echo, site="qyapi")
        yield emu


@pytest.fixture
def emu(frozen: Emulator) -> Any:
    yield frozen
    frozen.reset_clock()
    frozen.clear_faults()


@pytest.fixture
def corp(emu: Emulator) -> CorpState:
    state = emu.add_corp(f"ww_corp_{emu.next_id()}")
    state.add_app(1000002, "app-secret")
    state.add_secret("contacts", "contacts-secret")
    return state


def gettoken(emu: Emulator, **params: str) -> dict[str, Any]:
    answer: dict[str, Any] = requests.get(f"{emu.work_url}/cgi-bin/gettoken", params=params, timeout=5).json()
    return answer


def echo(emu: Emulator, token: str) -> dict[str, Any]:
    answer: dict[str, Any] = requests.get(f"{emu.work_url}{ECHO}", params={"access_token": token}, timeout=5).json()
    return answer


def test_two_listeners_two_urls(emu: Emulator) -> None:
    assert emu.url != emu.work_url
    assert emu.work_url.startswith("http://127.0.0.1:")


def test_gettoken_issues_one_token_per_secret(emu: Emulator, corp: CorpState) -> None:
    app = gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")
    contacts = gettoken(emu, corpid=corp.corpid, corpsecret="contacts-secret")
    assert (app["errcode"], app["expires_in"]) == (0, emu.token_lifetime)
    assert app["access_token"] != contacts["access_token"]
    assert echo(emu, app["access_token"]) == {
        "errcode": 0,
        "errmsg": "ok",
        "corpid": corp.corpid,
        "secret_name": "1000002",
        "site": "qyapi",
    }
    assert echo(emu, contacts["access_token"])["secret_name"] == "contacts"
    assert corp.token_fetches == {"1000002": 1, "contacts": 1}
    assert corp.agents == {1000002: "1000002"}


def test_a_valid_token_is_handed_out_again_then_renewed_after_expiry(emu: Emulator, corp: CorpState) -> None:
    first = gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")
    emu.advance(1000)
    again = gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")
    assert again["access_token"] == first["access_token"]
    assert again["expires_in"] == emu.token_lifetime - 1000
    emu.advance(emu.token_lifetime)
    assert echo(emu, first["access_token"])["errcode"] == 42001
    renewed = gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")
    assert renewed["access_token"] != first["access_token"]
    assert echo(emu, renewed["access_token"])["errcode"] == 0
    assert corp.token_fetches["1000002"] == 3


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({}, 41002),
        ({"corpsecret": "app-secret"}, 41002),
        ({"corpid": "ww_unknown", "corpsecret": "app-secret"}, 40013),
        ({"corpid": "CORP"}, 41004),
        ({"corpid": "CORP", "corpsecret": "wrong"}, 40001),
        ({"corpid": "CORP", "corpsecret": "秘密"}, 40001),
    ],
)
def test_gettoken_errcodes(emu: Emulator, corp: CorpState, params: dict[str, str], errcode: int) -> None:
    params = {k: corp.corpid if v == "CORP" else v for k, v in params.items()}
    answer = gettoken(emu, **params)
    assert answer["errcode"] == errcode
    assert "access_token" not in answer
    assert sum(corp.token_fetches.values()) == 0


def test_token_checks_on_wecom_routes(emu: Emulator, corp: CorpState) -> None:
    answer = requests.get(f"{emu.work_url}{ECHO}", timeout=5).json()
    assert answer["errcode"] == 41001
    assert echo(emu, "not-a-token")["errcode"] == 40014
    token = gettoken(emu, corpid=corp.corpid, corpsecret="contacts-secret")["access_token"]
    other = gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")["access_token"]
    emu.invalidate_work_tokens(corp.corpid, "contacts")
    assert echo(emu, token)["errcode"] == 40014
    assert echo(emu, other)["errcode"] == 0  # another secret's token is untouched
    assert gettoken(emu, corpid=corp.corpid, corpsecret="contacts-secret")["access_token"] != token
    emu.invalidate_work_tokens(corp.corpid)
    assert echo(emu, other)["errcode"] == 40014


def test_official_tokens_are_not_wecom_tokens(emu: Emulator, corp: CorpState) -> None:
    app = emu.add_app(f"wx_site_{emu.next_id()}", "secret")
    token = emu.issue_token(app, "classic")
    assert echo(emu, token)["errcode"] == 40014


def test_each_site_serves_only_its_routes(emu: Emulator, corp: CorpState) -> None:
    wrong = requests.get(f"{emu.url}/cgi-bin/gettoken", params={"corpid": corp.corpid}, timeout=5)
    assert wrong.status_code == 404
    assert wrong.json()["errcode"] == 404
    official = requests.get(f"{emu.work_url}/cgi-bin/token", params={"appid": "x"}, timeout=5)
    assert official.status_code == 404
    post = requests.post(f"{emu.work_url}/cgi-bin/gettoken", timeout=5)
    assert post.json()["errcode"] == 43002  # a path the site serves, with the wrong method
    assert requests.get(f"{emu.url}{ECHO}", params={"access_token": "x"}, timeout=5).status_code == 404


def test_faults_can_target_one_site(emu: Emulator, corp: CorpState) -> None:
    emu.inject("/cgi-bin/gettoken", errcode=-1, site="api")
    assert gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")["errcode"] == 0
    emu.clear_faults()
    emu.inject("/cgi-bin/gettoken", errcode=-1, site="qyapi")
    assert gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")["errcode"] == -1
    emu.inject("/cgi-bin/gettoken", errcode=-1)  # no site: either listener
    assert gettoken(emu, corpid=corp.corpid, corpsecret="app-secret")["errcode"] == -1


def test_corp_state_rules(emu: Emulator) -> None:
    corp = emu.add_corp("ww_rules")
    assert emu.add_corp("ww_rules") is corp
    assert emu.corp("ww_rules") is corp
    generated = corp.add_secret("external_contact")
    assert len(generated) >= 32
    assert corp.secret_name(generated) == "external_contact"
    with pytest.raises(ValueError, match="already registered"):
        corp.add_app(1000003, generated)
    corp.add_secret("external_contact", "rotated")
    assert corp.secret_name(generated) is None
    assert "rotated" not in repr(corp)
    with pytest.raises(ValueError, match="site"):
        emu.add_route("GET", "/x", _echo, site="mch")
