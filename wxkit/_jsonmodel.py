"""Reading typed answers out of WeChat's JSON (internal).

The readers (:func:`mapping`, :func:`text`, :func:`integer`, :func:`items`,
:func:`texts`, :func:`integers`, :func:`split_ids`) turn one JSON value into a
Python value or raise :class:`~wxkit.errors.ParseError` naming the field.

:class:`JsonModel` is the base of ``attrs`` answer classes whose fields read
the JSON member of the same name (or the one named by ``json_name``):
``from_dict`` derives each field's reader from its annotation once per class
(``str``, ``int``, ``bool``, ``tuple[str, ...]``, ``tuple[int, ...]``; a field
named ``raw`` keeps the whole object). A field without a default is required
unless its metadata says ``optional``. Classes with fields of another shape
override ``from_dict`` and pass those fields to :meth:`JsonModel._build`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar, cast

import attrs

from .errors import ParseError

__all__ = [
    "JsonModel",
    "OPTIONAL",
    "integer",
    "integers",
    "items",
    "json_name",
    "mapping",
    "split_ids",
    "text",
    "texts",
]

M = TypeVar("M", bound="JsonModel")
Reader = Callable[[Mapping[str, Any]], Any]

#: Field metadata: a field without a default that may still be missing (read as ``""`` / ``0``).
OPTIONAL: Mapping[str, Any] = {"optional": True}


def json_name(name: str, *, ids: bool = False) -> Mapping[str, Any]:
    """Field metadata: read the JSON member ``name``; ``ids=True`` reads WeCom's ``|``-joined id lists."""
    return {"json": name, "ids": ids}


def mapping(data: Any, what: str) -> Mapping[str, Any]:
    """``data`` when it is a JSON object, else a ParseError saying ``what`` must be one."""
    if not isinstance(data, Mapping):
        raise ParseError(f"{what} must be an object")
    return data


def text(data: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """Member ``name`` as text (numbers are written out); missing or empty is ``""`` unless required."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ParseError(f"{name} is missing")
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ParseError(f"{name} must be text")


def integer(data: Mapping[str, Any], name: str, default: int = 0, *, required: bool = False) -> int:
    """Member ``name`` as an int (decimal text accepted); missing or empty is ``default`` unless required."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ParseError(f"{name} is missing")
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value) <= 20:
        digits = value.strip()
        digits = digits[1:] if digits.startswith("-") else digits
        if digits.isascii() and digits.isdigit():  # not "--1" or "²", which int() refuses
            return int(value)
    raise ParseError(f"{name} must be an integer")


def items(data: Mapping[str, Any], name: str) -> list[Any]:
    """Member ``name`` as a list; missing or empty is ``[]``."""
    value = data.get(name)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise ParseError(f"{name} must be a list")
    return value


def texts(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """Member ``name`` as a tuple of ids (text or numbers, written out)."""
    out = []
    for item in items(data, name):
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ParseError(f"{name} must be a list of ids")
        out.append(str(item))
    return tuple(out)


def integers(data: Mapping[str, Any], name: str) -> tuple[int, ...]:
    """Member ``name`` as a tuple of ints."""
    out = []
    for item in items(data, name):
        if isinstance(item, bool) or not isinstance(item, int):
            raise ParseError(f"{name} must be a list of integers")
        out.append(item)
    return tuple(out)


def split_ids(value: Any, name: str = "ids") -> tuple[str, ...]:
    """WeCom's ``|``-joined id list (``"bob|eve"``) as a tuple; a JSON list is taken as is; empty -> ``()``."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.split("|") if part)
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return tuple(str(v) for v in value)
    raise ParseError(f"{name} must be |-joined text")


def _reader(field: attrs.Attribute[Any]) -> Reader | None:
    """How to read ``field`` from its annotation; None for shapes the class reads itself."""
    key = field.metadata.get("json", field.name)
    required = field.default is attrs.NOTHING and not field.metadata.get("optional", False)
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    if field.name == "raw":
        return dict
    if field.metadata.get("ids"):
        return lambda d: split_ids(d.get(key), key)
    if kind == "str":
        return lambda d: text(d, key, required=required)
    if kind == "int":
        number = 0 if field.default is attrs.NOTHING else cast(int, field.default)
        return lambda d: integer(d, key, number, required=required)
    if kind == "bool":
        default = False if field.default is attrs.NOTHING else field.default
        return lambda d: bool(d.get(key, default))
    if kind == "tuple[str, ...]":
        return lambda d: texts(d, key)
    if kind == "tuple[int, ...]":
        return lambda d: integers(d, key)
    return None


def _must_be_given(cls: type, name: str) -> Reader:
    def missing(d: Mapping[str, Any]) -> Any:
        raise TypeError(f"{cls.__name__}.{name} has no JSON reader: from_dict must give it to _build()")

    return missing


class JsonModel:
    """Base of typed JSON answers: ``from_dict`` reads each field from the member of the same name.

    Subclasses are ``attrs`` classes; ``_what`` names the object in errors
    (``"a member must be an object"``).
    """

    __slots__ = ()
    _what: ClassVar[str] = "the answer"
    _plans: ClassVar[dict[type, tuple[tuple[str, Reader], ...]]] = {}

    @classmethod
    def from_dict(cls: type[M], data: Any) -> M:
        """Build from WeChat's JSON object; a value of the wrong type is a :class:`~wxkit.errors.ParseError`."""
        return cls._build(mapping(data, cls._what))

    @classmethod
    def _build(cls: type[M], d: Mapping[str, Any], **given: Any) -> M:
        """Read every field not in ``given`` from ``d`` (fields of other shapes must be given)."""
        plan = JsonModel._plans.get(cls)
        if plan is None:
            steps = []
            for field in attrs.fields(cls):  # type: ignore[arg-type]
                reader = _reader(field)
                steps.append((field.name, reader if reader is not None else _must_be_given(cls, field.name)))
            plan = JsonModel._plans[cls] = tuple(steps)
        values = {name: read(d) for name, read in plan if name not in given}
        values.update(given)
        return cls(**values)
