"""The JSON answer machinery behind wxkit.work.models (and the mini-program models' readers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import pytest

from wxkit._jsonmodel import OPTIONAL, JsonModel, json_name
from wxkit.errors import ParseError
from wxkit.work.models import ContactWay, DeptUser, SendResult, TagMembersResult


@attrs.frozen
class Sample(JsonModel):
    _what: ClassVar[str] = "a sample"

    ident: str
    maybe: str = attrs.field(metadata=OPTIONAL)
    count: int = 7
    flag: bool = True
    names: tuple[str, ...] = ()
    numbers: tuple[int, ...] = attrs.field(default=(), metadata=json_name("nums"))
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class Odd(JsonModel):
    ident: str
    shape: tuple[Mapping[str, Any], ...] = ()


def test_fields_are_read_by_their_annotation() -> None:
    s = Sample.from_dict({"ident": 5, "count": "12", "flag": 0, "names": ["a", 2], "nums": [1, 2], "extra": 1})
    assert s == Sample(ident="5", count=12, flag=False, names=("a", "2"), numbers=(1, 2), maybe="")
    assert s.raw["extra"] == 1


def test_defaults_apply_to_missing_members() -> None:
    s = Sample.from_dict({"ident": "x"})
    assert (s.count, s.flag, s.names, s.numbers, s.maybe) == (7, True, (), (), "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a sample must be an object"),
        ({}, "ident is missing"),
        ({"ident": "x", "count": "many"}, "count must be an integer"),
        ({"ident": "x", "names": "a"}, "names must be a list"),
        ({"ident": "x", "nums": ["1"]}, "nums must be a list of integers"),
        ({"ident": {"a": 1}}, "ident must be text"),
    ],
)
def test_wrong_types_are_parse_errors(data: Any, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        Sample.from_dict(data)


def test_a_field_without_a_reader_must_be_given() -> None:
    with pytest.raises(TypeError, match=r"Odd\.shape has no JSON reader"):
        Odd.from_dict({"ident": "x"})
    assert Odd._build({"ident": "x"}, shape=({"a": 1},)).shape == ({"a": 1},)


def test_wecom_renames_and_id_lists() -> None:
    r = SendResult.from_dict({"invaliduser": "bob|eve", "invalidtag": [1], "unlicenseduser": ""})
    assert (r.msgid, r.invalid_users, r.invalid_tags, r.unlicensed_users, r.ok) == (
        "",
        ("bob", "eve"),
        ("1",),
        (),
        False,
    )
    t = TagMembersResult.from_dict({"invalidlist": "a|b", "invalidparty": [3]})
    assert (t.invalid_users, t.invalid_parties) == (("a", "b"), (3,))
    w = ContactWay.from_dict({"config_id": "c", "user": ["u"], "party": [2]})
    assert (w.users, w.parties, w.skip_verify) == (("u",), (2,), True)
    assert DeptUser.from_dict({"userid": "u"}).department == 0


@pytest.mark.parametrize("value", ["²", "1²", "--1", "-", "٣", "+1", "1_000", " - 1"])
def test_integer_text_that_int_refuses_is_a_parse_error(value: str) -> None:
    """Text ``isdigit`` accepts but ``int`` refuses (or reads as other digits) is a ParseError, not ValueError."""
    with pytest.raises(ParseError, match="count must be an integer"):
        Sample.from_dict({"ident": "a", "count": value})


def test_integer_text_still_reads_signed_decimal() -> None:
    assert [Sample.from_dict({"ident": "a", "count": v}).count for v in ("-12", " 7 ", "0")] == [-12, 7, 0]
