"""The JS-SDK group against the emulator: cached tickets, wx.config and card signatures."""

from __future__ import annotations

import hashlib
import threading

import pytest

from wxkit import MemoryStorage
from wxkit.client.jssdk import sign_card, sign_jsapi
from wxkit.errors import InvalidArgumentError, RateLimitError
from wxkit.testing.routes.jssdk import TICKET_LIFETIME, check_config


def fetches(app, type="jsapi"):
    return app.data.get("ticket_fetches", {}).get(type, 0)


def run_threads(target, n=8):
    barrier = threading.Barrier(n)
    results = [None] * n

    def work(i):
        barrier.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# -- tickets ---------------------------------------------------------------------------


def test_ticket_is_fetched_once_and_cached(wechat_client, wechat_app):
    ticket = wechat_client.jssdk.get_ticket()
    assert ticket.startswith("JSAPI_TICKET_")
    assert wechat_client.jssdk.get_ticket("jsapi") == ticket
    assert fetches(wechat_app) == 1
    assert wechat_client.storage.get(f"wxkit:jsapi_ticket:{wechat_app.appid}:jsapi") == ticket


def test_card_ticket_is_cached_separately(wechat_client, wechat_app):
    jsapi, card = wechat_client.jssdk.get_ticket(), wechat_client.jssdk.get_ticket("wx_card")
    assert card.startswith("WX_CARD_TICKET_")
    assert card != jsapi
    assert wechat_client.jssdk.get_ticket("wx_card") == card
    assert (fetches(wechat_app), fetches(wechat_app, "wx_card")) == (1, 1)


def test_eight_threads_share_one_fetch(wechat_client, wechat_app):
    tickets = run_threads(lambda i: wechat_client.jssdk.get_ticket())
    assert len(set(tickets)) == 1
    assert tickets[0] is not None
    assert fetches(wechat_app) == 1
    assert wechat_app.token_fetches == 1


def test_two_processes_sharing_storage_share_one_fetch(wechat_emulator, wechat_app):
    shared = MemoryStorage()  # stands for a Redis shared by two processes
    clients = [wechat_emulator.client(wechat_app.appid, storage=shared) for _ in range(2)]
    tickets = run_threads(lambda i: clients[i % 2].jssdk.get_ticket())
    assert len(set(tickets)) == 1
    assert fetches(wechat_app) == 1


def test_ticket_is_refetched_before_it_expires(wechat_emulator, wechat_app):
    clock = FakeClock()
    client = wechat_emulator.client(wechat_app.appid, storage=MemoryStorage(clock=clock))
    first = client.jssdk.get_ticket()
    clock.now += TICKET_LIFETIME - 301  # still inside expiry minus the 300 s margin
    assert client.jssdk.get_ticket() == first
    clock.now += 2
    assert client.jssdk.get_ticket() != first
    assert fetches(wechat_app) == 2


def test_force_refresh_replaces_the_ticket_once(wechat_client, wechat_app):
    first = wechat_client.jssdk.get_ticket()
    renewed = run_threads(lambda i: wechat_client.jssdk.get_ticket(force_refresh=True), n=4)
    assert first not in renewed
    assert fetches(wechat_app) >= 2
    assert wechat_client.jssdk.get_ticket() in renewed


def test_ticket_survives_a_refused_access_token(wechat_emulator, wechat_client, wechat_app):
    wechat_client.access_token  # noqa: B018 - cache a token, then make WeChat forget it
    wechat_emulator.invalidate_tokens(wechat_app.appid)
    assert wechat_client.jssdk.get_ticket()
    assert (fetches(wechat_app), wechat_app.token_fetches) == (1, 2)


def test_ticket_quota(wechat_client, wechat_app):
    wechat_app.quota_limits["/cgi-bin/ticket/getticket"] = 1
    wechat_client.jssdk.get_ticket()
    with pytest.raises(RateLimitError) as info:
        wechat_client.jssdk.get_ticket(force_refresh=True)
    assert info.value.errcode == 45009
    assert wechat_client.access_token not in str(info.value)


def test_unknown_ticket_type(wechat_client):
    with pytest.raises(InvalidArgumentError) as info:
        wechat_client.jssdk.get_ticket("wx_unknown")
    assert info.value.errcode == 40097
    assert wechat_client.access_token not in str(info.value)


# -- signatures ---------------------------------------------------------------------------


def test_jsapi_signature_official_example():
    # The worked example of WeChat's JS-SDK doc (附录1 JS-SDK使用权限签名算法).
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    expected = "f4d90daf4b3bca3078ab155816175ba34c443a7b"
    assert sign_jsapi(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com") == expected
    assert sign_jsapi(ticket, "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com#frag") == expected


def test_wx_config_signature(wechat_emulator, wechat_client, wechat_app):
    url = "https://example.com/page?id=1&q=a b#section"
    config = wechat_client.jssdk.signature(url, noncestr="n0nce", timestamp=1_700_000_000)
    ticket = wechat_client.jssdk.get_ticket()
    assert config == {
        "appId": wechat_app.appid,
        "timestamp": 1_700_000_000,
        "nonceStr": "n0nce",
        "signature": sign_jsapi(ticket, "n0nce", 1_700_000_000, "https://example.com/page?id=1&q=a b"),
    }
    assert check_config(wechat_emulator, wechat_app, url, config)
    assert not check_config(wechat_emulator, wechat_app, "https://example.com/page?id=2", config)
    fresh = wechat_client.jssdk.signature(url)
    assert len(fresh["nonceStr"]) == 16
    assert check_config(wechat_emulator, wechat_app, url, fresh)
    assert fetches(wechat_app) == 1


def test_card_signature_follows_the_documented_order():
    # WeChat's card doc example: values sorted as strings, then joined and hashed.
    values = ("ojZ8YtyVyr30HheH3CM73y7h4jJE", "1404896688", "pjZ8Yt1XGILfi-FUsewpnnolGgZk", "1434008071", "", "123")
    string1 = "12314048966881434008071ojZ8YtyVyr30HheH3CM73y7h4jJEpjZ8Yt1XGILfi-FUsewpnnolGgZk"
    assert sign_card(*values) == hashlib.sha1(string1.encode()).hexdigest()


def test_card_ext(wechat_client, wechat_app):
    ext = wechat_client.jssdk.card_signature("p_card_1", openid="o_ann", noncestr="n1", timestamp=1_700_000_000)
    ticket = wechat_client.jssdk.get_ticket("wx_card")
    assert ext == {
        "openid": "o_ann",
        "timestamp": "1700000000",
        "nonce_str": "n1",
        "signature": sign_card(ticket, "1700000000", "p_card_1", "o_ann", "n1"),
    }
    assert fetches(wechat_app, "wx_card") == 1
    assert fetches(wechat_app) == 0
