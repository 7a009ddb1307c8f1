"""The message log: observer records for every outcome, on the sync and the async path."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import attrs
import pytest

from wxkit import (
    DecryptError,
    DuplicateMessageError,
    MemoryStorage,
    ParseError,
    SignatureError,
    StaleTimestampError,
    StorageError,
    WxApplication,
)
from wxkit.crypto import random_nonce
from wxkit.messages import TextMessage
from wxkit.observe import Outcome, PushRecord
from wxkit.testing import WeChatPusher

TOKEN = "observe-token"
APP_ID = "wx0b5e27e0b5e27e00"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


class Bot(WxApplication):
    token = TOKEN
    app_id = APP_ID
    aes_key = AES_KEY

    def on_text(self, msg: TextMessage) -> str | None:
        if msg.content == "boom":
            raise RuntimeError("handler bug")
        if msg.content == "quiet":
            return None
        return f"echo {msg.content}"

    def on_error(self, message: Any, error: Exception) -> str:
        return "sorry"


def safe_pusher() -> WeChatPusher:
    return WeChatPusher(TOKEN, app_id=APP_ID, aes_key=AES_KEY, openid="o_obs")


def observed_bot(**kwargs: Any) -> tuple[Bot, list[PushRecord]]:
    bot = Bot(**kwargs)
    records: list[PushRecord] = []
    bot.add_observer(records.append)
    return bot, records


def test_handled_push_record() -> None:
    bot, records = observed_bot()
    who = safe_pusher()
    push = who.text("hi")
    assert who.deliver(bot, push).content == "echo hi"
    [record] = records
    assert record.outcome is Outcome.HANDLED
    assert record.outcome.value == "handled"
    assert isinstance(record.message, TextMessage)
    assert record.message.content == "hi"
    # the reply as rendered, before safe-mode encryption
    assert record.reply is not None
    assert record.reply.startswith("<xml>")
    assert "<Content><![CDATA[echo hi]]></Content>" in record.reply
    assert record.error is None
    assert record.duration >= 0
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.outcome = Outcome.ERROR  # type: ignore[misc]


def test_success_answer_is_recorded_without_a_reply() -> None:
    bot, records = observed_bot()
    who = safe_pusher()
    assert who.deliver(bot, who.text("quiet")).is_success
    assert records[0].outcome is Outcome.HANDLED
    assert records[0].reply is None


def test_duplicate_push_record() -> None:
    bot, records = observed_bot()
    who = safe_pusher()
    push = who.text("hi")
    assert who.deliver(bot, push).status == 200
    assert who.deliver(bot, push).is_success  # WeChat's retry of a fast push: "success", not a 400
    first, second = records
    assert first.outcome is Outcome.HANDLED
    assert second.outcome is Outcome.DUPLICATE
    assert isinstance(second.error, DuplicateMessageError)
    assert second.message == first.message  # the retried message is known
    assert second.reply is None  # a fast push's reply is not kept: the retry answered "success"
    bot.keep_reply_after = 0  # keep every reply: the retry answers it again
    push = who.text("kept")
    assert who.deliver(bot, push).content == who.deliver(bot, push).content != ""
    assert records[-1].outcome is Outcome.DUPLICATE
    assert records[-1].reply == records[-2].reply


def test_rejected_signature_record() -> None:
    bot, records = observed_bot()
    who = safe_pusher()
    push = who.text("hi")
    params = dict(push.params, msg_signature="0" * 40)
    assert bot.handle("POST", params, push.body).status == 403
    [record] = records
    assert record.outcome is Outcome.REJECTED
    assert isinstance(record.error, SignatureError)
    assert record.message is None
    assert record.reply is None


def test_decrypt_error_record() -> None:
    bot, records = observed_bot()
    who = safe_pusher()
    assert who.crypto is not None
    # correctly signed, but not a valid ciphertext for this key
    encrypted = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwMTI="
    timestamp, nonce = str(int(who.clock())), random_nonce()
    params = {
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": who.crypto.signature(timestamp, nonce, encrypted),
    }
    body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    assert bot.handle("POST", params, body).status == 400
    [record] = records
    assert record.outcome is Outcome.REJECTED
    assert isinstance(record.error, DecryptError)
    assert record.message is None


def test_stale_and_unparsable_pushes_are_rejected() -> None:
    bot, records = observed_bot(clock=lambda: 10_000_000_000.0)
    who = safe_pusher()
    assert who.deliver(bot, who.text("hi")).status == 400
    assert bot.handle("POST", {}, "<xml><broken").status in (400, 403)
    assert records[0].outcome is Outcome.REJECTED
    assert isinstance(records[0].error, StaleTimestampError)
    assert records[1].outcome is Outcome.REJECTED
    assert isinstance(records[1].error, (SignatureError, ParseError))


def test_handler_failed_record() -> None:
    bot, records = observed_bot()
    who = safe_pusher()
    assert who.deliver(bot, who.text("boom")).content == "sorry"
    [record] = records
    assert record.outcome is Outcome.HANDLER_FAILED
    assert isinstance(record.error, RuntimeError)
    assert isinstance(record.message, TextMessage)
    assert record.reply is not None
    assert "sorry" in record.reply  # what on_error answered


def test_storage_failure_is_an_error_record() -> None:
    class Down(MemoryStorage):
        def add(self, key: str, value: str, ttl: float | None = None) -> bool:
            raise ConnectionError("down")

        def get(self, key: str) -> str | None:
            raise ConnectionError("down")

    bot, records = observed_bot(storage=Down())
    who = safe_pusher()
    assert who.deliver(bot, who.text("hi")).status == 500
    assert records[0].outcome is Outcome.ERROR
    assert isinstance(records[0].error, StorageError)


def test_url_check_is_not_recorded() -> None:
    bot, records = observed_bot()
    params, echostr = WeChatPusher(TOKEN).url_check()
    assert bot.handle("GET", params, None).body == echostr
    assert records == []


def test_a_raising_observer_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    bot = Bot()
    seen: list[Outcome] = []

    @bot.add_observer
    def broken(record: PushRecord) -> None:
        raise ValueError("observer bug")

    bot.add_observer(lambda record: seen.append(record.outcome))
    who = safe_pusher()
    with caplog.at_level(logging.ERROR, logger="wxkit.observe"):
        reply = who.deliver(bot, who.text("hi"))
    assert reply.content == "echo hi"  # the answer is unchanged
    assert seen == [Outcome.HANDLED]  # the next observer still ran
    [log] = [r for r in caplog.records if r.name == "wxkit.observe"]
    assert "broken" in log.getMessage()
    assert log.exc_info is not None
    assert isinstance(log.exc_info[1], ValueError)


def test_a_raising_observer_on_a_rejected_push_keeps_the_answer(caplog: pytest.LogCaptureFixture) -> None:
    bot = Bot()
    bot.add_observer(lambda record: 1 / 0)
    push = safe_pusher().text("hi")
    with caplog.at_level(logging.ERROR, logger="wxkit.observe"):
        assert bot.handle("POST", dict(push.params, msg_signature="0" * 40), push.body).status == 403
    assert "ZeroDivisionError" in caplog.text


def test_an_observer_returning_a_coroutine_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    bot = Bot()

    async def later(record: PushRecord) -> None:
        pass

    bot.add_observer(lambda record: later(record))
    who = safe_pusher()
    with caplog.at_level(logging.ERROR, logger="wxkit.observe"):
        assert who.deliver(bot, who.text("hi")).content == "echo hi"
    assert "returned an awaitable" in caplog.text


def test_add_and_remove_observers() -> None:
    bot = Bot()
    records: list[PushRecord] = []
    observer = records.append
    assert bot.add_observer(observer) is observer
    assert bot.observers == (observer,)
    bot.remove_observer(observer)
    assert bot.observers == ()
    with pytest.raises(ValueError, match="not registered"):
        bot.remove_observer(observer)
    with pytest.raises(TypeError):
        bot.add_observer("not callable")  # type: ignore[arg-type]

    async def async_observer(record: PushRecord) -> None:
        pass

    with pytest.raises(TypeError, match="async def"):
        bot.add_observer(async_observer)
    who = safe_pusher()
    who.deliver(bot, who.text("hi"))
    assert records == []
    assert Bot().observers == ()  # observers belong to the instance


def test_per_call_credential_copies_share_the_observers() -> None:
    class Plain(WxApplication):
        token = "token-a"

        def on_text(self, msg: TextMessage) -> str:
            return msg.content

    bot = Plain()
    other = WeChatPusher("token-b")
    bot.process(other.text("warm").params, other.text("warm").body, token="token-b")  # the copy exists now
    records: list[PushRecord] = []
    bot.add_observer(records.append)
    push = other.text("hi")
    bot.process(push.params, push.body, token="token-b")
    assert [r.outcome for r in records] == [Outcome.HANDLED]
    assert records[0].message is not None
    assert records[0].message.content == "hi"  # type: ignore[attr-defined]


def test_observers_on_the_async_path() -> None:
    class AsyncBot(Bot):
        async def on_text(self, msg: TextMessage) -> str | None:  # type: ignore[override]
            await asyncio.sleep(0)
            if msg.content == "boom":
                raise RuntimeError("async bug")
            return f"async {msg.content}"

    bot = AsyncBot()
    records: list[PushRecord] = []
    bot.add_observer(records.append)
    bot.add_observer(lambda record: 1 / 0)  # raising: ignored on this path too
    who = safe_pusher()
    ok, boom, bad = who.text("hi"), who.text("boom"), who.text("x")

    async def main() -> list[int]:
        return [
            (await bot.handle_async("POST", ok.params, ok.body)).status,
            (await bot.handle_async("POST", ok.params, ok.body)).status,
            (await bot.handle_async("POST", boom.params, boom.body)).status,
            (await bot.handle_async("POST", dict(bad.params, msg_signature="0" * 40), bad.body)).status,
        ]

    assert asyncio.run(main()) == [200, 200, 200, 403]
    assert [r.outcome for r in records] == [
        Outcome.HANDLED,
        Outcome.DUPLICATE,
        Outcome.HANDLER_FAILED,
        Outcome.REJECTED,
    ]
    assert records[0].reply is not None
    assert "async hi" in records[0].reply
    assert isinstance(records[2].error, RuntimeError)


def test_push_record_and_response_keep_attrs_value_semantics() -> None:
    """PushRecord and WxResponse take repr / eq / hash from AttrsValue (cold start): as attrs' own."""
    from wxkit import WxResponse

    record = PushRecord(Outcome.HANDLED, None, "<xml/>", 0.5)
    assert record == PushRecord(Outcome.HANDLED, None, "<xml/>", 0.5)
    assert record != PushRecord(Outcome.ERROR, None, "<xml/>", 0.5)
    assert hash(record) == hash(PushRecord(Outcome.HANDLED, None, "<xml/>", 0.5))
    assert repr(record).startswith("PushRecord(outcome=<Outcome.HANDLED: 'handled'>, message=None")
    assert attrs.asdict(record)["reply"] == "<xml/>"
    response = WxResponse(200, "ok")
    assert response == WxResponse(200, "ok", "text/plain; charset=utf-8")
    assert {response, WxResponse(200, "ok")} == {response}
    assert repr(response) == "WxResponse(status=200, body='ok', content_type='text/plain; charset=utf-8')"
