"""The typed-object machinery: ``AttrsValue``'s shared dunders behave as the ones ``attrs`` generates."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxkit._model import AttrsValue
from wxkit.events import EVENT_CLASSES, MassSendJobFinishEvent, SubscribeEvent, UnknownEvent
from wxkit.messages import MESSAGE_CLASSES, ShortVideoMessage, UnknownMessage, VideoMessage
from wxkit.pay.models import ProfitSharing, Refund, Transaction, Transfer
from wxkit.replies import Article, NewsReply, SuccessReply, TextReply, VideoReply

CLASSES: list[type[Any]] = [*EVENT_CLASSES, *MESSAGE_CLASSES, UnknownEvent, UnknownMessage]


def _twin(cls: type[Any]) -> type[Any]:
    """The same fields in a class whose ``__repr__`` / ``__eq__`` / ``__hash__`` attrs generates."""
    these = {
        f.name: attrs.field(default=f.default, repr=f.repr, eq=f.eq, hash=f.hash, kw_only=f.kw_only)
        for f in attrs.fields(cls)
    }
    return attrs.make_class(cls.__name__, these, frozen=True)


def _values(cls: type[Any], seed: str) -> dict[str, Any]:
    """Keyword arguments for ``cls``: text fields set from ``seed``, the others left at their defaults."""
    return {f.name: f"{seed}-{f.name}" for f in attrs.fields(cls) if f.default == ""}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_typed_objects_compare_hash_and_show_as_attrs_would(cls: type[Any]) -> None:
    twin = _twin(cls)
    one, same, other = cls(**_values(cls, "a")), cls(**_values(cls, "a"), raw={"x": "1"}), cls(**_values(cls, "b"))
    assert repr(one) == repr(twin(**_values(cls, "a")))
    assert one == same  # raw is not compared
    assert hash(one) == hash(same)
    assert not one != same  # noqa: SIM202 - __ne__ is under test
    assert (one == other) == (twin(**_values(cls, "a")) == twin(**_values(cls, "b")))
    assert pickle.loads(pickle.dumps(one)) == one
    assert copy.deepcopy(one) == one
    assert attrs.evolve(one, raw={}) == one


def test_equal_fields_of_another_class_are_not_equal() -> None:
    video, short = VideoMessage(media_id="m"), ShortVideoMessage(media_id="m")
    assert video != short
    assert not video == short  # noqa: SIM201 - __eq__ is under test
    assert VideoMessage(media_id="m") in {video}
    assert short not in {video}


def test_nested_objects_and_replies() -> None:
    event = MassSendJobFinishEvent(msg_id="1", total_count=3)
    assert repr(event).startswith("MassSendJobFinishEvent(to_user_name='', ")
    assert "raw" not in repr(event)
    assert repr(SubscribeEvent(event_key="qrscene_1")).endswith("event='', event_key='qrscene_1', ticket='')")
    news = NewsReply([Article("t", url="u")])
    assert repr(news) == "NewsReply(articles=(Article(title='t', description='', pic_url='', url='u'),))"
    assert news == NewsReply([Article("t", url="u")])
    assert hash(news) == hash(NewsReply([Article("t", url="u")]))
    assert TextReply("a") != TextReply("b")
    assert SuccessReply() == SuccessReply()
    assert repr(SuccessReply()) == "SuccessReply()"
    assert VideoReply("m") == VideoReply("m", "", "")


@pytest.mark.parametrize("cls", [Transaction, Refund, Transfer, ProfitSharing], ids=lambda c: c.__name__)
def test_pay_models(cls: type[Any]) -> None:
    twin = _twin(cls)
    kwargs = {f.name: "x" for f in attrs.fields(cls) if f.default is attrs.NOTHING}
    assert repr(cls(**kwargs)) == repr(twin(**kwargs))
    assert cls(**kwargs) == cls(**kwargs, raw={"a": 1})
    assert hash(cls(**kwargs)) == hash(cls(**kwargs, raw={"a": 1}))


@attrs.frozen(repr=False, eq=False)
class _Options(AttrsValue):
    name: str
    secret: str = attrs.field(default="", repr=lambda _: "***")
    tag: str = attrs.field(default="", eq=str.lower)
    note: str = attrs.field(default="", eq=False)
    counted: str = attrs.field(default="", hash=False)


@attrs.frozen
class _Generated:
    name: str
    secret: str = attrs.field(default="", repr=lambda _: "***")
    tag: str = attrs.field(default="", eq=str.lower)
    note: str = attrs.field(default="", eq=False)
    counted: str = attrs.field(default="", hash=False)


def test_field_options_are_followed() -> None:
    ours = _Options("n", "s3cret", "Tag", "a", "c")
    assert repr(ours) == repr(_Generated("n", "s3cret", "Tag", "a", "c")).replace("_Generated", "_Options")
    assert "s3cret" not in repr(ours)
    assert ours == _Options("n", "s3cret", "TAG", "b", "c")  # tag: compared case-insensitively; note: not at all
    assert ours != _Options("n", "s3cret", "Tag", "a", "d")
    assert hash(ours) == hash(_Options("n", "s3cret", "Tag", "a", "other"))  # counted: compared, not hashed
    assert hash(ours) == hash(_Options("n", "s3cret", "TAG", "b", "c"))  # equal objects hash alike
    assert (ours == _Options("m")) == (_Generated("n", "s3cret", "Tag", "a", "c") == _Generated("m"))


# -- the per-class builder behind from_dict: the same object (or error) as the field-by-field path ----
def _all_typed_classes() -> list[type[Any]]:
    import wxkit.miniprogram.messages
    import wxkit.work.messages  # noqa: F401
    from wxkit._model import WxObject

    found: list[type[Any]] = []
    pending: list[type[Any]] = [WxObject]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if "__attrs_attrs__" in sub.__dict__ and sub not in found:
                found.append(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


TYPED = _all_typed_classes()
_xml_values = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " 12 ", "123", "1.5", "x", "-0"]),
    st.dictionaries(st.sampled_from(["item", "A", "Count"]), st.text(max_size=4), max_size=2),
    st.lists(st.text(max_size=3), max_size=2),
)


def _outcome(build: Any, data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", build(data)
    except Exception as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("cls", TYPED, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_from_dict_builds_what_the_field_by_field_path_builds(cls: type[Any], data: st.DataObject) -> None:
    names = [f.metadata["wx"][0] for f in attrs.fields(cls) if "wx" in f.metadata] + ["Unknown", "MsgType"]
    parsed = data.draw(st.dictionaries(st.sampled_from(names), _xml_values, max_size=len(names)))
    from wxkit._model import WxObject

    base_from_dict = WxObject.__dict__["from_dict"].__func__  # not a subclass's override (which shapes the dict first)
    fast = _outcome(lambda d: base_from_dict(cls, d), parsed)
    slow = _outcome(cls._from_dict_fields, parsed)
    assert fast == slow
    if fast[0] == "ok":
        assert all(getattr(fast[1], f.name) == getattr(slow[1], f.name) for f in attrs.fields(cls))


def test_most_typed_classes_get_a_builder() -> None:
    from wxkit._model import _make_builder

    built = [cls for cls in TYPED if _make_builder(cls) is not None]
    assert len(built) >= len(TYPED) * 3 // 4
    assert _make_builder(MESSAGE_CLASSES[0]) is not None  # TextMessage: every push's class


def test_a_class_with_its_own_init_or_post_init_keeps_the_field_by_field_path() -> None:
    from wxkit._model import _make_builder, wxfield

    @attrs.frozen(kw_only=True)
    class Checked(UnknownMessage):
        code: str = wxfield("Code")

        def __attrs_post_init__(self) -> None:
            if self.code == "bad":
                raise ValueError("bad code")

    assert _make_builder(Checked) is None
    with pytest.raises(ValueError, match="bad code"):
        Checked.from_dict({"Code": "bad"})
