"""The WeCom group robot (GroupRobot / AsyncGroupRobot) against the emulator's webhooks, sync and async."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from wxkit.errors import ConfigError, InvalidArgumentError, RateLimitError, api_error
from wxkit.testing import Emulator
from wxkit.testing.work_robot import RobotState
from wxkit.work import AsyncGroupRobot, GroupRobot
from wxkit.work.robot import ROBOT_IMAGE_MAX_SIZE

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def robot_state(wechat_emulator: Emulator) -> Iterator[RobotState]:
    state = wechat_emulator.add_robot()
    yield state
    wechat_emulator.reset_clock()


@pytest.fixture
def make_robot(wechat_emulator: Emulator, work_kind: str, async_loop: Any, sync_view: Any) -> Iterator[Any]:
    """``make_robot(key_or_url, **kwargs)``: a GroupRobot, or an AsyncGroupRobot seen through SyncView."""
    made: list[Any] = []

    def make(key_or_url: str, **kwargs: Any) -> Any:
        if "://" not in key_or_url:
            kwargs.setdefault("base_url", wechat_emulator.work_url)
        kwargs.setdefault("backoff", 0.0)
        if work_kind == "sync":
            robot = GroupRobot(key_or_url, **kwargs)
        else:
            kwargs.setdefault("sleep", _no_sleep)

            async def build() -> AsyncGroupRobot:
                return AsyncGroupRobot(key_or_url, **kwargs)

            robot = sync_view(async_loop.run(build()))
        made.append(robot)
        return robot

    yield make
    for robot in made:
        robot.close()


def test_text_with_mentions_markdown_news_and_card(make_robot: Any, robot_state: RobotState) -> None:
    robot = make_robot(robot_state.key)
    assert robot.text("deploy done", mentioned_list=["zhangsan"], mentioned_mobile_list=["13800001111"])["errcode"] == 0
    robot.text("everyone", mention_all=True)
    robot.markdown("**bold** <@zhangsan>")
    robot.markdown_v2("| a | b |\n|---|---|\n| 1 | 2 |")
    robot.news([{"title": "t", "url": "https://example.com", "picurl": "https://example.com/p.png"}])
    robot.template_card({"card_type": "text_notice", "main_title": {"title": "hi"}})
    got = robot_state.received
    assert got[0] == {
        "msgtype": "text",
        "text": {"content": "deploy done", "mentioned_list": ["zhangsan"], "mentioned_mobile_list": ["13800001111"]},
    }
    assert got[1]["text"]["mentioned_list"] == ["@all"]
    assert [m["msgtype"] for m in got] == ["text", "text", "markdown", "markdown_v2", "news", "template_card"]
    assert got[3]["markdown_v2"]["content"].startswith("| a |")


def test_webhook_url_gives_key_and_origin(make_robot: Any, robot_state: RobotState, wechat_emulator: Emulator) -> None:
    robot = make_robot(f"{wechat_emulator.work_url}/cgi-bin/webhook/send?key={robot_state.key}")
    robot.text("via url")
    assert robot_state.received[-1]["text"]["content"] == "via url"
    assert robot_state.key not in repr(robot)


def test_image_base64_and_md5_computed(make_robot: Any, robot_state: RobotState) -> None:
    robot = make_robot(robot_state.key)
    robot.image(PNG)
    robot.image(io.BytesIO(PNG))
    for sent in robot_state.received:
        assert base64.b64decode(sent["image"]["base64"]) == PNG
        assert sent["image"]["md5"] == hashlib.md5(PNG).hexdigest()


def test_image_over_2mb_refused_before_sending(
    make_robot: Any, robot_state: RobotState, wechat_emulator: Emulator, tmp_path: Any
) -> None:
    robot = make_robot(robot_state.key)
    before = len(wechat_emulator.requests)
    with pytest.raises(InvalidArgumentError) as info:
        robot.image(b"\xff" * (ROBOT_IMAGE_MAX_SIZE + 1))
    assert info.value.errcode == 40009
    assert "2 MB" in str(info.value)
    assert robot_state.key not in str(info.value)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x00" * (ROBOT_IMAGE_MAX_SIZE + 10))
    with pytest.raises(InvalidArgumentError):
        robot.image(big)
    assert len(wechat_emulator.requests) == before  # nothing reached WeCom
    robot.image(b"\x01" * ROBOT_IMAGE_MAX_SIZE)  # exactly 2 MB goes
    assert len(robot_state.received) == 1


def test_file_and_voice_uploaded_through_the_robot(make_robot: Any, robot_state: RobotState, tmp_path: Any) -> None:
    robot = make_robot(robot_state.key)
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 report")
    robot.file(report)
    robot.voice(("hello.amr", b"#!AMR\n" + b"\x00" * 32))
    media_id = robot.upload_media(("notes.txt", b"some notes"), type="file")
    robot.file(media_id=media_id)
    kinds = [(m["msgtype"], robot_state.media[m[m["msgtype"]]["media_id"]][:2]) for m in robot_state.received]
    assert kinds == [
        ("file", ("file", "report.pdf")),
        ("voice", ("voice", "hello.amr")),
        ("file", ("file", "notes.txt")),
    ]
    with pytest.raises(ValueError):
        robot.file()


@pytest.mark.parametrize("errcode", [45009, 130101])
def test_rate_limit_raises_typed_error(
    make_robot: Any, robot_state: RobotState, wechat_emulator: Emulator, errcode: int
) -> None:
    robot_state.limit_errcode = errcode
    robot = make_robot(robot_state.key)
    for i in range(20):
        robot.text(f"m{i}")
    with pytest.raises(RateLimitError) as info:
        robot.text("one too many")
    assert info.value.errcode == errcode
    assert robot_state.key not in str(info.value)
    assert robot_state.key not in info.value.url
    assert len(robot_state.received) == 20
    assert robot_state.refused == 1
    wechat_emulator.advance(61)  # a minute later WeCom takes messages again
    robot.text("next minute")
    assert robot_state.received[-1]["text"]["content"] == "next minute"


def test_rate_limiter_waits_instead(
    make_robot: Any, robot_state: RobotState, wechat_emulator: Emulator, work_kind: str
) -> None:
    now = [1000.0]
    waits: list[float] = []

    def advance(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds
        wechat_emulator.advance(seconds)

    if work_kind == "sync":
        sleep: Any = advance
    else:

        async def sleep(seconds: float) -> None:
            advance(seconds)

    robot = make_robot(robot_state.key, rate_limit=True, clock=lambda: now[0], sleep=sleep)
    for i in range(45):
        robot.text(f"m{i}")
    assert len(robot_state.received) == 45
    assert robot_state.refused == 0
    assert len(waits) == 2
    assert all(w == pytest.approx(60.0) for w in waits)


def test_errcodes_130101_and_45009_are_rate_limits() -> None:
    assert isinstance(api_error(130101, "freq"), RateLimitError)
    assert isinstance(api_error(45009, "freq"), RateLimitError)


def test_unknown_key_and_bad_input(make_robot: Any, caplog: pytest.LogCaptureFixture) -> None:
    robot = make_robot("ffffffff-0000-0000-0000-000000000000")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as info:
        robot.text("hi")
    assert getattr(info.value, "errcode", None) == 93000
    assert "ffffffff-0000" not in str(info.value)
    assert "ffffffff-0000" not in caplog.text
    with pytest.raises(ValueError):
        robot.news([])
    with pytest.raises(TypeError):
        robot.text("x", mentioned_list="zhangsan")
    with pytest.raises(ValueError):
        robot.template_card({})


@pytest.mark.parametrize("bad", ["", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "a key/with?junk"])
def test_bad_webhook_is_config_error(bad: str) -> None:
    with pytest.raises(ConfigError):
        GroupRobot(bad)
