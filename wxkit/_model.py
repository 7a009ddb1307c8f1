"""The machinery behind wxkit's typed inbound objects (internal).

A typed object is an ``attrs`` frozen, slotted class whose fields are declared
with :func:`wxfield`, naming the WeChat XML element they come from and how to
convert it. :meth:`WxObject.from_dict` builds one from a parsed XML dict;
the conversion plan is computed once per class.

Start-up cost: ``attrs`` compiles the methods it writes, once per class, and
wxkit defines dozens of such classes. Typed objects and replies are therefore
decorated with ``repr=False, eq=False`` and inherit ``__repr__``, ``__eq__``
and ``__hash__`` from :class:`AttrsValue`, written once here and behaving as
the ones ``attrs`` would generate: only ``__init__`` is compiled per class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from .errors import ParseError

__all__ = ["AttrsValue", "WxObject", "as_float", "as_int", "as_str", "nested", "nested_list", "wxfield"]

T = TypeVar("T", bound="WxObject")
Converter = Callable[[str, Any], Any]


def as_str(name: str, value: Any) -> str:
    """Convert an XML text value; nested elements where text is expected are an error."""
    if isinstance(value, str):
        return value
    raise ParseError(f"<{name}> must be text")


def as_int(name: str, value: Any) -> int:
    """Convert an XML text value to ``int``; an empty value is 0."""
    if isinstance(value, str):
        v = value.strip()
        if not v:
            return 0
        try:
            return int(v)
        except ValueError:
            pass
    raise ParseError(f"<{name}> must be an integer")


def as_float(name: str, value: Any) -> float:
    """Convert an XML text value to ``float``; an empty value is 0.0."""
    if isinstance(value, str):
        v = value.strip()
        if not v:
            return 0.0
        try:
            return float(v)
        except ValueError:
            pass
    raise ParseError(f"<{name}> must be a number")


def nested(cls: type[WxObject]) -> Converter:
    """Converter for a nested element parsed into ``cls`` (``""`` -> ``None``)."""

    def convert(name: str, value: Any) -> Any:
        if isinstance(value, dict):
            return cls.from_dict(value)
        if isinstance(value, str) and not value.strip():
            return None
        raise ParseError(f"<{name}> must contain elements")

    return convert


def nested_list(cls: type[WxObject], item: str = "item") -> Converter:
    """Converter for ``<Name><item>..</item><item>..</item></Name>`` into a tuple of ``cls``.

    ``item`` is the name of the repeated child; a missing or empty list is ``()``.
    """

    def convert(name: str, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return ()
        if not isinstance(value, dict):
            raise ParseError(f"<{name}> must contain <{item}> elements")
        items = value.get(item, [])
        if isinstance(items, str) and not items.strip():
            return ()
        if not isinstance(items, list):
            items = [items]
        out = []
        for it in items:
            if not isinstance(it, dict):
                raise ParseError(f"<{name}><{item}> must contain elements")
            out.append(cls.from_dict(it))
        return tuple(out)

    return convert


_MISSING = object()


def wxfield(xml_name: str, convert: Converter = as_str, default: Any = "") -> Any:
    """Declare a field read from the XML element ``xml_name``.

    A missing element takes ``default``; a present one goes through ``convert``.
    """
    return attrs.field(default=default, metadata={"wx": (xml_name, convert)})


#: (compared fields, hashed fields) as (name, eq_key or None) pairs, and shown fields as (name, repr) pairs.
_Plan = tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]]


class AttrsValue:
    """``__repr__``, ``__eq__`` and ``__hash__`` for frozen ``attrs`` classes declared ``repr=False, eq=False``.

    They follow the field options as ``attrs``' own would: ``repr=False`` / a
    ``repr`` callable, ``eq=False`` / ``eq_key``, ``hash``; equal only to an
    instance of the very same class. Written once for every class instead of
    compiled per class at import (see the module docstring).
    """

    __slots__ = ()

    @classmethod
    def _attrs_plan(cls) -> _Plan:
        """(eq fields and keys, hash fields, repr fields and their repr) of the class; cached per class."""
        plan: _Plan | None = cls.__dict__.get("_attrs_plan_cache")
        if plan is None:
            fields = attrs.fields(cls)  # type: ignore[arg-type]  # subclasses are attrs classes
            eq = tuple((f.name, f.eq_key) for f in fields if f.eq)
            hashed = tuple((f.name, f.eq_key) for f in fields if (f.eq if f.hash is None else f.hash))
            shown = tuple((f.name, f.repr if callable(f.repr) else repr) for f in fields if f.repr)
            plan = (eq, hashed, shown)
            type.__setattr__(cls, "_attrs_plan_cache", plan)
        return plan

    def _values(self, fields: tuple[tuple[str, Any], ...]) -> tuple[Any, ...]:
        return tuple(getattr(self, n) if key is None else key(getattr(self, n)) for n, key in fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        fields = self._attrs_plan()[0]
        return self._values(fields) == other._values(fields)

    def __hash__(self) -> int:
        return hash((self.__class__, *self._values(self._attrs_plan()[1])))

    def __repr__(self) -> str:
        name = self.__class__.__qualname__.rsplit(">.", 1)[-1]
        shown = ", ".join(f"{n}={show(getattr(self, n, _MISSING))}" for n, show in self._attrs_plan()[2])
        return f"{name}({shown})"


class WxObject(AttrsValue):
    """Base of typed objects built from WeChat XML dicts."""

    __slots__ = ()

    @classmethod
    def _wx_spec(cls) -> tuple[dict[str, tuple[str, Converter]], bool]:
        """XML name -> (attribute, converter), and whether the class keeps ``raw``; cached per class."""
        spec = cls.__dict__.get("_wx_spec_cache")
        if spec is None:
            fields = attrs.fields(cls)  # type: ignore[arg-type]  # subclasses are attrs classes
            by_xml = {f.metadata["wx"][0]: (f.name, f.metadata["wx"][1]) for f in fields if "wx" in f.metadata}
            spec = (by_xml, any(f.name == "raw" for f in fields))
            type.__setattr__(cls, "_wx_spec_cache", spec)
        return spec

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Build the object from a parsed XML dict; bad values raise :class:`ParseError`.

        Elements without a declared field are ignored here (they stay in ``raw``).
        """
        build = cls.__dict__.get("_wx_builder", _UNBUILT)
        if build is _UNBUILT:
            build = _make_builder(cls)
            type.__setattr__(cls, "_wx_builder", build)
        if build is not None:
            try:
                return build(data)  # type: ignore[no-any-return]  # builds a cls
            except Exception:  # noqa: BLE001, S110 - raised again below, as the field-by-field path raises it
                pass
        return cls._from_dict_fields(data)

    @classmethod
    def _from_dict_fields(cls: type[T], data: dict[str, Any]) -> T:
        """:meth:`from_dict` element by element, through the class's ``__init__``."""
        by_xml, keeps_raw = cls._wx_spec()
        kwargs: dict[str, Any] = {"raw": data} if keeps_raw else {}
        lookup = by_xml.get
        for xml_name, value in data.items():
            spec = lookup(xml_name)
            if spec is not None:
                attr, convert = spec
                if convert is as_str and value.__class__ is str:
                    kwargs[attr] = value
                else:
                    kwargs[attr] = convert(xml_name, value)
        return cls(**kwargs)


_UNBUILT: Any = object()


def _make_builder(cls: type[WxObject]) -> Callable[[dict[str, Any]], Any] | None:
    """A function building ``cls`` from a parsed XML dict, generated once per class; None if it cannot be.

    It reads each declared element with one ``dict.get`` and sets the slots
    directly (what the attrs ``__init__`` of a frozen class does, without the
    keyword arguments), so it is built only for classes whose ``__init__``
    does nothing else: no validators, converters, factories (but ``raw``),
    ``init=False`` fields, ``__attrs_pre_init__`` / ``__attrs_post_init__`` or
    ``__init__`` of its own, and no element read by two fields. Same object as the field-by-field path
    (tests/test_model.py checks every registered class with Hypothesis); when
    it raises, :meth:`WxObject.from_dict` runs that path to raise its error.
    """
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if (
        "__attrs_attrs__" not in cls.__dict__  # a plain subclass of an attrs class
        or code is None
        or not code.co_filename.startswith("<attrs generated")  # an __init__ of its own
        or hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
    ):
        return None
    namespace: dict[str, Any] = {"cls": cls, "new": object.__new__, "setattr": object.__setattr__, "M": _MISSING}
    lines = ["def build(data):", "    self = new(cls)", "    put = setattr.__get__(self)"]
    seen: set[str] = set()
    for i, field in enumerate(attrs.fields(cls)):  # type: ignore[arg-type]  # subclasses are attrs classes
        if field.validator is not None or field.converter is not None or not field.init:
            return None
        spec = field.metadata.get("wx")
        if spec is None:
            if field.name == "raw":
                lines.append("    put('raw', data)")
                continue
            if isinstance(field.default, attrs.Factory) or field.default is attrs.NOTHING:  # type: ignore[arg-type]
                return None
            namespace[f"d{i}"] = field.default
            lines.append(f"    put({field.name!r}, d{i})")
            continue
        xml_name, convert = spec
        if xml_name in seen or isinstance(field.default, attrs.Factory) or field.default is attrs.NOTHING:  # type: ignore[arg-type]
            return None
        seen.add(xml_name)
        namespace[f"c{i}"] = convert
        namespace[f"d{i}"] = field.default
        lines.append(f"    v = data.get({xml_name!r}, M)")
        if convert is as_str:
            value = f"d{i} if v is M else v if v.__class__ is str else c{i}({xml_name!r}, v)"
        else:
            value = f"d{i} if v is M else c{i}({xml_name!r}, v)"
        lines.append(f"    put({field.name!r}, {value})")
    lines.append("    return self")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the class's own field list, no outside text
    return namespace["build"]  # type: ignore[no-any-return]
