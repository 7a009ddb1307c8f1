"""The iLink protocol helpers: headers, answer checks, text splitting, message parsing."""

from __future__ import annotations

import base64

import pytest

from wxkit.errors import ParseError
from wxkit.ilink import ILinkError, ILinkSessionExpired, split_text
from wxkit.ilink.protocol import check_answer, client_version, ilink_headers
from wxkit.ilink.types import parse_message


def test_client_version_packs_major_minor_patch() -> None:
    assert client_version("1.0.11") == 0x0001000B
    assert client_version("2.4.9") == (2 << 16) | (4 << 8) | 9
    assert client_version("x") == 0


def test_headers_carry_the_token_only_when_given_and_a_fresh_uin() -> None:
    with_token = ilink_headers("tok")
    assert with_token["Authorization"] == "Bearer tok"
    assert with_token["AuthorizationType"] == "ilink_bot_token"
    assert "Authorization" not in ilink_headers(None)
    uins = {ilink_headers(None)["X-WECHAT-UIN"] for _ in range(20)}
    assert len(uins) > 1
    assert all(0 <= int(base64.b64decode(u)) < 2**32 for u in uins)


def test_check_answer() -> None:
    assert check_answer({"ret": 0}, endpoint="e", url="u") == {"ret": 0}
    with pytest.raises(ILinkSessionExpired):
        check_answer({"ret": -14}, endpoint="e", url="u")
    with pytest.raises(ILinkSessionExpired):
        check_answer({"ret": 0, "errcode": -14}, endpoint="e", url="u")
    with pytest.raises(ILinkError) as info:
        check_answer({"ret": "-3", "errmsg": 5}, endpoint="e", url="u")
    assert info.value.errcode == -3
    assert info.value.errmsg == ""
    with pytest.raises(ParseError):
        check_answer([1], endpoint="e", url="u")


def test_split_text_keeps_short_text_whole() -> None:
    assert split_text("hi") == ["hi"]
    assert split_text("") == []
    with pytest.raises(ValueError):
        split_text("x", 10)


def test_split_text_respects_the_limit_and_whole_characters() -> None:
    text = "中文😀" * 3000
    parts = split_text(text, 4000)
    assert all(len(p) <= 4000 for p in parts)
    assert "".join(parts) == text
    assert all(p.encode("utf-8").decode("utf-8") == p for p in parts)


def test_split_text_reopens_a_cut_code_block() -> None:
    code = "```python\n" + "\n".join(f"x = {i}" for i in range(300)) + "\n```\nafter"
    parts = split_text(code, 200)
    assert all(len(p) <= 200 for p in parts)
    for part in parts:
        fences = [line for line in part.split("\n") if line.startswith("```")]
        assert len(fences) % 2 == 0, part  # every chunk opens and closes its blocks
    assert parts[1].startswith("```python\n")
    assert parts[-1].endswith("after")


def test_split_text_does_not_end_a_chunk_on_an_opening_fence() -> None:
    text = "a" * 50 + "\n```python\n" + "\n".join(f"x={i}" for i in range(40)) + "\n```\nend"
    parts = split_text(text, 64)
    assert parts[0] == "a" * 50
    assert all(not p.endswith("```python") and "```python\n```" not in p for p in parts)


def test_split_text_keeps_blank_lines_at_a_cut() -> None:
    text = ("word " * 10 + "\n\n") * 40
    parts = split_text(text, 100)
    assert "\n".join(parts) == text


def test_parse_message_tolerates_junk() -> None:
    message = parse_message({"message_id": 12345678901234567890, "item_list": [{"type": None}], "create_time_ms": "x"})
    assert message.message_id == "12345678901234567890"
    assert message.create_time_ms == 0
    assert message.kind == "unknown"
    assert message.text == ""
    assert parse_message({}).item is None
