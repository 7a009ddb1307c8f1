"""iLink bot scenarios over real HTTP against the iLink emulator, each run sync and async from one body."""

from __future__ import annotations

import base64
import logging
import os
import signal
from typing import Any

import pytest

from wxkit import MemoryStorage
from wxkit.errors import ConfigError, ParseError, TransportError
from wxkit.ilink import (
    FileItem,
    ILinkError,
    ILinkMessage,
    ILinkSessionExpired,
    ImageItem,
    TextItem,
    UnknownItem,
    VideoItem,
    VoiceItem,
)
from wxkit.testing.ilink import ILinkEmulator

ALICE = "alice@im.wechat"


class Echo:
    """Handlers: echo text; remember every message; stop on "stop"."""

    seen: list[ILinkMessage]

    def on_text(self, message: ILinkMessage) -> Any:
        self.__dict__.setdefault("seen", []).append(message)
        if message.text == "stop":
            self.stop()  # type: ignore[attr-defined]
            return None
        return message.text


class Recorder:
    """Handlers: record every message by kind, reply nothing."""

    def _keep(self, message: ILinkMessage) -> None:
        self.__dict__.setdefault("seen", []).append(message)

    def on_text(self, message: ILinkMessage) -> None:
        self._keep(message)

    def on_image(self, message: ILinkMessage) -> None:
        self._keep(message)

    def on_voice(self, message: ILinkMessage) -> str:
        self._keep(message)
        return f"heard: {message.text}"

    def on_file(self, message: ILinkMessage) -> None:
        self._keep(message)

    def on_video(self, message: ILinkMessage) -> None:
        self._keep(message)

    def on_unknown(self, message: ILinkMessage) -> None:
        self._keep(message)


def test_text_is_echoed_with_the_context_token(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    sent = account.send_text(ALICE, "hello 你好")
    bot = make_bot(Echo, account.bot_token)
    assert bot.poll_once() == 1
    assert [(s["to"], s["text"], s["context_token"]) for s in account.sent] == [
        (ALICE, "hello 你好", sent["context_token"])
    ]
    assert account.sent[0]["msg"]["message_type"] == 2
    assert account.sent[0]["msg"]["message_state"] == 2


def test_every_request_carries_the_protocol_headers_and_base_info(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "one")
    bot = make_bot(Echo, account.bot_token)
    bot.poll_once()
    calls = [r for r in ilink.requests if r["path"].startswith("ilink/bot/")]
    assert [r["path"] for r in calls] == ["ilink/bot/getupdates", "ilink/bot/sendmessage"]
    uins = set()
    for call in calls:
        headers = call["headers"]
        assert headers["authorizationtype"] == "ilink_bot_token"
        assert headers["authorization"] == f"Bearer {account.bot_token}"
        assert headers["ilink-app-id"]
        assert headers["ilink-app-clientversion"].isdigit()
        assert base64.b64decode(headers["x-wechat-uin"]).decode().isdigit()
        uins.add(headers["x-wechat-uin"])
        assert isinstance(call["body"]["base_info"], dict)
    assert calls[0]["body"]["get_updates_buf"] == ""


def test_each_item_type_reaches_its_handler(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    media = {"encrypt_query_param": "p", "aes_key": "a2V5"}
    account.send(ALICE, [{"type": 1, "text_item": {"text": "t"}, "ref_msg": {"title": "quoted", "svr_id": "9"}}])
    account.send(ALICE, [{"type": 2, "image_item": {"media": media, "aeskey": "00" * 16}}])
    account.send(ALICE, [{"type": 3, "voice_item": {"media": media, "text": "transcript", "playtime": 1500}}])
    account.send(ALICE, [{"type": 4, "file_item": {"media": media, "file_name": "a.pdf", "md5": "m", "len": "42"}}])
    account.send(ALICE, [{"type": 5, "video_item": {"media": media, "video_size": 10, "play_length": 3}}])
    account.send(ALICE, [{"type": 99, "future_item": {"x": 1}}])
    bot = make_bot(Recorder, account.bot_token)
    assert bot.poll_once() == 6
    items = [m.item for m in bot.seen]
    assert [m.kind for m in bot.seen] == ["text", "image", "voice", "file", "video", "unknown"]
    assert isinstance(items[0], TextItem)
    assert items[0].ref is not None
    assert items[0].ref.title == "quoted"
    assert isinstance(items[1], ImageItem)
    assert items[1].media == media
    assert items[1].aeskey == "00" * 16
    assert isinstance(items[2], VoiceItem)
    assert items[2].text == "transcript"
    assert items[2].playtime == 1500
    assert isinstance(items[3], FileItem)
    assert (items[3].file_name, items[3].length) == ("a.pdf", 42)
    assert isinstance(items[4], VideoItem)
    assert items[4].video_size == 10
    assert isinstance(items[5], UnknownItem)
    assert items[5].type == 99
    assert items[5].raw["future_item"] == {"x": 1}
    assert [s["text"] for s in account.sent] == ["heard: transcript"]


def test_a_long_reply_is_split_at_the_limit(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    text = "\n".join(f"line {i} 中文" for i in range(1500))
    account.send_text(ALICE, text)
    bot = make_bot(Echo, account.bot_token)
    bot.poll_once()
    parts = [s["text"] for s in account.sent]
    assert len(parts) >= 4
    assert all(len(p) <= 4000 for p in parts)
    assert "\n".join(parts) == text
    assert len({s["context_token"] for s in account.sent}) == 1


def test_the_cursor_survives_a_restart(ilink: ILinkEmulator, make_bot: Any) -> None:
    storage = MemoryStorage()
    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    account.send_text(ALICE, "b")
    first = make_bot(Echo, account.bot_token, storage=storage, bot_id=account.bot_id)
    assert first.poll_once() == 2
    assert storage.get(first.cursor_key)
    account.send_text(ALICE, "c")
    second = make_bot(Echo, account.bot_token, storage=storage, bot_id=account.bot_id)
    assert second.poll_once() == 1
    assert [s["text"] for s in account.sent] == ["a", "b", "c"]


def test_a_batch_redelivered_after_a_crash_is_not_handled_again(ilink: ILinkEmulator, make_bot: Any) -> None:
    storage = MemoryStorage()
    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    first = make_bot(Echo, account.bot_token, storage=storage, bot_id=account.bot_id)
    first.poll_once()
    storage.delete(first.cursor_key)  # the process died before it could keep the cursor
    account.send_text(ALICE, "b")
    second = make_bot(Echo, account.bot_token, storage=storage, bot_id=account.bot_id)
    assert second.poll_once() == 1
    assert [s["text"] for s in account.sent] == ["a", "b"]


def test_a_duplicate_message_id_is_handled_once(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "once", message_id="42")
    account.send_text(ALICE, "once", message_id="42")
    bot = make_bot(Echo, account.bot_token)
    assert bot.poll_once() == 1
    assert len(account.sent) == 1


def test_session_expiry_raises_out_of_poll_once_and_run(ilink: ILinkEmulator, make_bot: Any, run_bot: Any) -> None:
    account = ilink.add_bot()
    bot = make_bot(Echo, account.bot_token)
    account.expire_session()
    with pytest.raises(ILinkSessionExpired) as info:
        bot.poll_once()
    assert info.value.errcode == -14
    assert account.bot_token not in str(info.value)
    with pytest.raises(ILinkSessionExpired):
        run_bot(bot)


def test_run_until_stop_notifies_start_and_stop(ilink: ILinkEmulator, make_bot: Any, run_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "hi")
    account.send_text(ALICE, "stop")
    bot = make_bot(Echo, account.bot_token)
    run_bot(bot)
    assert [s["text"] for s in account.sent] == ["hi"]
    assert account.notified == ["notifystart", "notifystop"]


def test_network_faults_during_the_long_poll_do_not_stop_the_runner(
    ilink: ILinkEmulator, make_bot: Any, run_bot: Any
) -> None:
    account = ilink.add_bot()
    ilink.inject("ilink/bot/getupdates", drop=True, times=2)
    ilink.inject("ilink/bot/getupdates", status=502, body=b"bad gateway")
    account.send_text(ALICE, "hi")
    account.send_text(ALICE, "stop")
    bot = make_bot(Echo, account.bot_token)
    run_bot(bot)
    assert [s["text"] for s in account.sent] == ["hi"]
    assert len([r for r in ilink.requests if r["path"] == "ilink/bot/getupdates"]) >= 1


def test_a_dropped_long_poll_is_a_transport_error(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    ilink.inject("ilink/bot/getupdates", drop=True)
    bot = make_bot(Echo, account.bot_token)
    with pytest.raises(TransportError):
        bot.poll_once()


@pytest.mark.parametrize(
    "body",
    [b"<html>", b"[1, 2]", b'{"ret": 0, "msgs": {"a": 1}}', b'{"ret": 0, "msgs": [], "get_updates_buf": 7}'],
)
def test_malformed_getupdates_answers_raise_parse_errors(ilink: ILinkEmulator, make_bot: Any, body: bytes) -> None:
    account = ilink.add_bot()
    ilink.inject("ilink/bot/getupdates", body=body)
    bot = make_bot(Echo, account.bot_token)
    with pytest.raises(ParseError):
        bot.poll_once()


def test_the_runner_survives_malformed_answers(ilink: ILinkEmulator, make_bot: Any, run_bot: Any) -> None:
    account = ilink.add_bot()
    ilink.inject("ilink/bot/getupdates", body=b"garbage")
    ilink.inject("ilink/bot/getupdates", body=b'{"ret": -3, "errmsg": "busy"}')
    account.send_text(ALICE, "stop")
    bot = make_bot(Echo, account.bot_token)
    run_bot(bot)
    assert [m.text for m in bot.seen] == ["stop"]


def test_malformed_messages_are_skipped_or_kept_raw(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.push("not a message")
    account.push({"message_id": "5", "from_user_id": ALICE, "item_list": "nope", "context_token": "x"})
    account.push({"message_id": "6", "from_user_id": ALICE, "item_list": [7, {"type": "1", "text_item": "no"}]})
    bot = make_bot(Recorder, account.bot_token)
    assert bot.poll_once() == 2
    assert [m.kind for m in bot.seen] == ["unknown", "text"]
    assert bot.seen[1].text == ""


def test_a_message_without_context_token_gets_no_reply(
    ilink: ILinkEmulator, make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    account = ilink.add_bot()
    account.push({"message_id": "8", "from_user_id": ALICE, "item_list": [{"type": 1, "text_item": {"text": "hi"}}]})
    bot = make_bot(Echo, account.bot_token)
    with caplog.at_level(logging.WARNING, logger="wxkit.ilink"):
        assert bot.poll_once() == 1
    assert account.sent == []
    assert "no context_token" in caplog.text
    with pytest.raises(ConfigError):
        bot.send_text(ALICE, "hi", context_token="")


def test_a_context_token_the_user_was_never_given_is_refused(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    bot = make_bot(Echo, account.bot_token)
    with pytest.raises(ILinkError) as info:
        bot.send_text(ALICE, "hi", context_token="forged")
    assert info.value.errcode == -2


class Failing:
    """A handler that raises, and an on_error that answers."""

    def on_text(self, message: ILinkMessage) -> str:
        raise RuntimeError("boom")

    def on_error(self, message: ILinkMessage, error: Exception) -> str:
        return f"sorry ({type(error).__name__})"


def test_a_failing_handler_goes_to_on_error_and_the_batch_goes_on(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    account.send_text(ALICE, "b")
    bot = make_bot(Failing, account.bot_token)
    assert bot.poll_once() == 2
    assert [s["text"] for s in account.sent] == ["sorry (RuntimeError)"] * 2


class BadReply:
    def on_text(self, message: ILinkMessage) -> object:
        return 42


def test_a_handler_returning_a_wrong_type_is_logged_not_crashed(
    ilink: ILinkEmulator, make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    bot = make_bot(BadReply, account.bot_token)
    with caplog.at_level(logging.ERROR, logger="wxkit.ilink"):
        assert bot.poll_once() == 1
    assert account.sent == []
    assert "ConfigError" in caplog.text


def test_the_bot_token_never_appears_in_reprs_or_logs(
    ilink: ILinkEmulator, make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    bot = make_bot(Echo, account.bot_token)
    with caplog.at_level(logging.DEBUG):
        bot.poll_once()
        account.expire_session()
        with pytest.raises(ILinkSessionExpired) as info:
            bot.poll_once()
    secret = account.bot_token.split(":", 1)[1]
    assert secret not in caplog.text
    assert secret not in repr(bot)
    assert secret not in str(info.value)
    assert secret not in repr(info.value.response)


def test_a_bot_needs_a_token() -> None:
    from wxkit.ilink import ILinkBot

    with pytest.raises(ConfigError):
        ILinkBot("  ")


class SlowTyper:
    """Handlers with the automatic typing indicator on."""

    typing_indicator = True

    def on_text(self, message: ILinkMessage) -> str:
        return "done"


def test_the_typing_indicator_wraps_a_handler(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    account.send_text(ALICE, "b")
    bot = make_bot(SlowTyper, account.bot_token)
    assert bot.poll_once() == 2
    assert account.typing == [(ALICE, 1), (ALICE, 2), (ALICE, 1), (ALICE, 2)]
    assert len([r for r in ilink.requests if r["path"] == "ilink/bot/getconfig"]) == 1  # the ticket is cached
    assert [s["text"] for s in account.sent] == ["done", "done"]


def test_send_typing_by_hand(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    bot = make_bot(Echo, account.bot_token)
    assert bot.send_typing(ALICE) is True
    assert bot.send_typing(ALICE, typing=False) is True
    assert account.typing == [(ALICE, 1), (ALICE, 2)]


def test_a_failing_typing_indicator_does_not_stop_the_reply(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    ilink.inject("ilink/bot/getconfig", status=500, body=b"oops", times=5)
    account.send_text(ALICE, "a")
    bot = make_bot(SlowTyper, account.bot_token)
    assert bot.poll_once() == 1
    assert account.typing == []
    assert [s["text"] for s in account.sent] == ["done"]


class Terminated:
    """A handler that sends this process SIGTERM, as systemd does on stop."""

    def on_text(self, message: ILinkMessage) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="no SIGTERM here")
def test_sigterm_stops_a_run_in_the_main_thread(ilink: ILinkEmulator) -> None:
    from wxkit.ilink import ILinkBot

    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    before = signal.getsignal(signal.SIGTERM)
    bot = type("Bot", (Terminated, ILinkBot), {})(account.bot_token, base_url=ilink.url)
    bot.run()  # returns: SIGTERM called stop()
    assert account.notified == ["notifystart", "notifystop"]
    assert signal.getsignal(signal.SIGTERM) is before
    bot.close()


def test_the_suggested_long_poll_timeout_is_honoured(ilink: ILinkEmulator, make_bot: Any) -> None:
    account = ilink.add_bot()
    account.send_text(ALICE, "a")
    bot = make_bot(Echo, account.bot_token, long_poll_timeout=35.0)
    bot.poll_once()
    assert bot.long_poll_timeout == 1.0  # the emulator suggests 500 ms: kept within 1..120 s


def test_cursor_and_claims_on_redis_survive_a_restart(ilink: ILinkEmulator, make_bot: Any, redis_url: str) -> None:
    import redis

    from wxkit import RedisStorage

    storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=f"wxkit-ilink-{os.getpid()}-{id(ilink)}:")
    account = ilink.add_bot()
    account.send_text(ALICE, "a", message_id="m1")
    first = make_bot(Echo, account.bot_token, storage=storage, bot_id=account.bot_id)
    assert first.poll_once() == 1
    account.send_text(ALICE, "a again", message_id="m1")  # redelivered with the same id
    account.send_text(ALICE, "b", message_id="m2")
    second = make_bot(Echo, account.bot_token, storage=storage, bot_id=account.bot_id)
    assert second.poll_once() == 1
    assert [s["text"] for s in account.sent] == ["a", "b"]
