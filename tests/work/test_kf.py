"""WorkClient.kf (微信客服) over real HTTP against the emulator, sync and async."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wxkit import APIError, InvalidArgumentError, MemoryStorage, RedisStorage, Storage
from wxkit.errors import AccessTokenError
from wxkit.testing.work import CorpState
from wxkit.work import KfAccount, KfMessage, KfServicer, KfServicerResult
from wxkit.work.kf import kf_cursor_key

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
AGENT_ID = 1000002


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """A storage the cursor is kept in: a MemoryStorage, then a real Redis (the async twin uses a thread)."""
    if request.param == "memory":
        yield MemoryStorage()
        return
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisStorage(client, prefix=f"test:{uuid.uuid4().hex}:")
    client.close()


def _app(make_work_client: Any, corp: CorpState, **kwargs: Any) -> Any:
    return make_work_client(corp.secrets[str(AGENT_ID)], agent_id=AGENT_ID, **kwargs)


def test_accounts_and_contact_way(work_client: Any, corp: CorpState) -> None:
    media_id = work_client.media.upload("image", ("avatar.png", PNG)).media_id
    kfid = work_client.kf.add_account("Support", media_id)
    assert kfid in corp.kf_accounts
    work_client.kf.update_account(kfid, name="Help desk")
    accounts = work_client.kf.list_accounts()
    assert all(isinstance(a, KfAccount) for a in accounts)
    assert [(a.open_kfid, a.name, a.manage_privilege) for a in accounts] == [(kfid, "Help desk", True)]
    assert work_client.kf.list_accounts(offset=1) == []
    url = work_client.kf.add_contact_way(kfid, scene="shop")
    assert url.startswith("https://work.weixin.qq.com/kf/")
    assert "enc_scene=" in url
    work_client.kf.delete_account(kfid)
    assert corp.kf_accounts == {}


def test_servicers(work_client: Any, corp: CorpState) -> None:
    kfid = corp.kf_add_account("Support")
    result = work_client.kf.add_servicers(kfid, ["alice", "ghost"])
    assert isinstance(result, KfServicerResult)
    assert not result.ok
    assert result.failed == {"ghost": 60111}
    assert work_client.kf.add_servicers(kfid, "bob").ok
    servicers = work_client.kf.list_servicers(kfid)
    assert all(isinstance(s, KfServicer) for s in servicers)
    assert [(s.userid, s.status) for s in servicers] == [("alice", 0), ("bob", 0)]
    assert work_client.kf.delete_servicers(kfid, ["alice"]).ok
    assert [s.userid for s in work_client.kf.list_servicers(kfid)] == ["bob"]


def test_sync_msg_pages_and_keeps_the_cursor(make_work_client: Any, corp: CorpState, storage: Storage) -> None:
    kfid = corp.kf_add_account("Support")
    token = ""
    for i in range(5):
        token = corp.kf_enqueue(kfid, "wm_customer", f"hello {i}")
    client = _app(make_work_client, corp, storage=storage)
    seen = list(client.kf.sync_msg(kfid, token=token, limit=2))  # three pages: 2 + 2 + 1
    assert all(isinstance(m, KfMessage) for m in seen)
    assert [m.content for m in seen] == [f"hello {i}" for i in range(5)]
    first = seen[0]
    assert (first.msgtype, first.open_kfid, first.external_userid, first.origin) == ("text", kfid, "wm_customer", 3)
    assert first.from_customer
    assert first.msgid
    assert storage.get(kf_cursor_key(corp.corpid, kfid))
    # Nothing new: nothing handed out again, by this client or by a "restarted" one on the same storage.
    assert list(client.kf.sync_msg(kfid, token=token)) == []
    corp.kf_enqueue(kfid, "wm_customer", "after restart")
    restarted = _app(make_work_client, corp, storage=storage)
    assert [m.content for m in restarted.kf.sync_msg(kfid)] == ["after restart"]
    # An explicit cursor reads from there and leaves the stored one alone.
    stored = storage.get(kf_cursor_key(corp.corpid, kfid))
    assert len(list(restarted.kf.sync_msg(kfid, cursor=""))) == 6
    assert storage.get(kf_cursor_key(corp.corpid, kfid)) == stored


def test_sync_msg_stopping_mid_page_repeats_that_page_only(make_work_client: Any, corp: CorpState) -> None:
    kfid = corp.kf_add_account("Support")
    for i in range(4):
        corp.kf_enqueue(kfid, "wm_customer", f"m{i}")
    storage = MemoryStorage()
    client = _app(make_work_client, corp, storage=storage)
    got: list[str] = []
    for message in client.kf.sync_msg(kfid, limit=2):
        got.append(message.content)
        if message.content == "m2":  # the consumer stops in the middle of the second page
            break
    again = [m.content for m in _app(make_work_client, corp, storage=storage).kf.sync_msg(kfid, limit=2)]
    assert got == ["m0", "m1", "m2"]
    assert again == ["m2", "m3"]  # never lost; the unfinished page comes again (msgid tells repeats apart)


def test_send_msg_and_welcome(work_client: Any, corp: CorpState) -> None:
    kfid = corp.kf_add_account("Support")
    token, code = corp.kf_enter_session(kfid, "wm_customer", scene="shop")
    [event] = list(work_client.kf.sync_msg(kfid, token=token))
    assert (event.msgtype, event.event_type, event.welcome_code) == ("event", "enter_session", code)
    assert event.external_userid == "wm_customer"
    assert event.open_kfid == kfid
    msgid = work_client.kf.send_msg_on_event(code, "text", {"content": "welcome"})
    assert msgid
    assert corp.sent[-1]["kind"] == "kf_event"
    assert corp.sent[-1]["touser"] == "wm_customer"
    with pytest.raises(APIError) as info:  # a welcome_code works once
        work_client.kf.send_msg_on_event(code, "text", {"content": "again"})
    assert info.value.errcode == 95007
    corp.kf_enqueue(kfid, "wm_customer", "where is my parcel?")
    [question] = list(work_client.kf.sync_msg(kfid))
    assert work_client.kf.send_text(kfid, question.external_userid, "on its way", msgid="answer-1") == "answer-1"
    sent = corp.sent[-1]
    assert (sent["kind"], sent["open_kfid"], sent["touser"], sent["body"]["text"]) == (
        "kf",
        kfid,
        "wm_customer",
        {"content": "on its way"},
    )
    for _ in range(4):
        work_client.kf.send_text(kfid, "wm_customer", "more")
    with pytest.raises(APIError) as info:  # 5 answers per customer message
        work_client.kf.send_text(kfid, "wm_customer", "one too many")
    assert info.value.errcode == 95001


def test_refusals(work_client: Any, make_work_client: Any, corp: CorpState) -> None:
    kfid = corp.kf_add_account("Support")
    corp.kf_enqueue(kfid, "wm_customer", "hi")
    cases: list[tuple[Callable[[], Any], int]] = [
        (lambda: work_client.kf.delete_account("wk_ghost"), 95000),
        (lambda: work_client.kf.update_account("wk_ghost", name="x"), 95000),
        (lambda: work_client.kf.add_account("Support", "no-such-media"), 40007),
        (lambda: work_client.kf.list_servicers("wk_ghost"), 95000),
        (lambda: work_client.kf.add_servicers("wk_ghost", ["alice"]), 95000),
        (lambda: list(work_client.kf.sync_msg("wk_ghost")), 95000),
        (lambda: list(work_client.kf.sync_msg(kfid, token="ENC-forged")), 95007),
        (lambda: list(work_client.kf.sync_msg(kfid, cursor="not-a-cursor")), 40035),
        (lambda: work_client.kf.send_text(kfid, "wm_stranger", "hello"), 95002),
        (lambda: work_client.kf.send_text("wk_ghost", "wm_customer", "hello"), 95000),
        (lambda: work_client.kf.send_msg(kfid, "wm_customer", "text", {"content": ""}), 44004),
    ]
    for call, errcode in cases:
        with pytest.raises(APIError) as info:
            call()
        assert info.value.errcode == errcode, call
    checked: list[Callable[[], Any]] = [
        lambda: list(work_client.kf.sync_msg("")),
        lambda: list(work_client.kf.sync_msg(kfid, limit=0)),
        lambda: work_client.kf.add_servicers(kfid, []),
    ]
    for check in checked:
        with pytest.raises(InvalidArgumentError):
            check()
    with pytest.raises(AccessTokenError):
        list(make_work_client("wrong-secret").kf.sync_msg(kfid))


def test_cursor_of_another_account_is_refused(make_work_client: Any, corp: CorpState) -> None:
    first, second = corp.kf_add_account("A"), corp.kf_add_account("B")
    corp.kf_enqueue(first, "wm_customer", "x")
    storage = MemoryStorage()
    client = _app(make_work_client, corp, storage=storage)
    assert len(list(client.kf.sync_msg(first))) == 1
    foreign = storage.get(kf_cursor_key(corp.corpid, first))
    with pytest.raises(APIError) as info:
        list(client.kf.sync_msg(second, cursor=foreign))
    assert info.value.errcode == 40035
