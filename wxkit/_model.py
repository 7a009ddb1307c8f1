"""The machinery behind wxkit's typed inbound objects (internal).

A typed object is an ``attrs`` frozen, slotted class whose fields are declared
with :func:`wxfield`, naming the WeChat XML element they come from and how to
convert it. :meth:`WxObject.from_dict` builds one from a parsed XML dict;
the conversion plan is computed once per class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from .errors import ParseError

__all__ = ["WxObject", "as_float", "as_int", "as_str", "nested", "nested_list", "wxfield"]

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


class WxObject:
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
