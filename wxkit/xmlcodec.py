"""Safe XML <-> dict for WeChat pushes and replies.

:func:`parse_xml` turns a WeChat push into a plain ``dict``: child elements
become keys, text becomes ``str`` (``""`` when empty), nested elements become
``dict`` and repeated elements become ``list``. It refuses anything WeChat
never sends and attackers love: DOCTYPE declarations, entity declarations
(billion laughs, XXE), undefined entities, very deep nesting and bodies over
a size limit. Attributes are ignored. Every failure is a
:class:`~wxkit.errors.ParseError`.

:func:`cdata` and :func:`render_xml` build XML so that user text can never
close a CDATA section and inject elements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.parsers import expat

from .errors import ParseError

__all__ = ["DEFAULT_MAX_BODY_SIZE", "cdata", "parse_xml", "render_xml"]

#: Default limit for a push body: WeChat pushes are a few kilobytes at most.
DEFAULT_MAX_BODY_SIZE = 1024 * 1024
_MAX_DEPTH = 16

# Characters that XML 1.0 cannot carry at all (C0 controls except tab/LF/CR,
# lone surrogates, U+FFFE/U+FFFF).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Refused(Exception):
    pass


def _refuse_doctype(*_: Any) -> None:
    raise _Refused("DOCTYPE declarations are not allowed")


def _refuse_entity(*_: Any) -> None:
    raise _Refused("entity declarations are not allowed")


def _refuse_external(*_: Any) -> int:
    raise _Refused("external entities are not allowed")


# The flat-document fast path. Almost every push is a flat <xml> of elements
# holding text or one CDATA section; for those two C-speed regex passes give
# the same dict as expat at a fraction of the cost. Anything outside that
# subset (a prolog, attributes, nesting, entities, repeated names, CR,
# characters XML forbids, "]" in plain text, bad UTF-8) falls through to
# expat. tests/test_xmlcodec.py checks with Hypothesis that both paths agree.
_C0_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32)]) + b"\r"
_FLAT_ITEM = (
    r"[ \t\n]*<(?P<n>[A-Za-z_][A-Za-z0-9_.-]*)>"
    r"(?:<!\[CDATA\[([^\]]*(?:\](?!\]>)[^\]]*)*)\]\]>|([^<&\]]*))</(?P=n)>"
)
_FLAT_DOC = re.compile(r"<xml>(?:" + _FLAT_ITEM + r")*[ \t\n]*</xml>[ \t\n]*\Z", re.ASCII)
_FLAT_ITEMS = re.compile(_FLAT_ITEM, re.ASCII)


def _parse_flat(data: bytes) -> dict[str, Any] | None:
    """Parse a flat ``<xml>`` document, or return None to defer to expat."""
    if data[:5] != b"<xml>" or len(data.translate(None, _C0_BYTES)) != len(data):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.isascii() and ("\ufffe" in text or "\uffff" in text):
        return None
    if _FLAT_DOC.match(text) is None:
        return None
    items = _FLAT_ITEMS.findall(text, 5)
    out: dict[str, Any] = {name: cdata_text or plain for name, cdata_text, plain in items}
    if len(out) != len(items):
        return None
    return out


def parse_xml(body: str | bytes, *, max_size: int | None = DEFAULT_MAX_BODY_SIZE, root: str = "xml") -> dict[str, Any]:
    """Parse a WeChat XML document into a dict; raise :class:`ParseError` on bad input.

    ``max_size`` bounds the body in bytes (``None`` disables the bound);
    ``root`` is the required name of the document element.
    """
    if isinstance(body, str):
        data = body.encode("utf-8", "surrogatepass")
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
    else:
        raise ParseError(f"body must be str or bytes, not {type(body).__name__}")
    if max_size is not None and len(data) > max_size:
        raise ParseError(f"body of {len(data)} bytes exceeds the {max_size}-byte limit")
    if root == "xml":
        flat = _parse_flat(data)
        if flat is not None:
            return flat
    return _parse_expat(data, root)


def _parse_expat(data: bytes, root: str) -> dict[str, Any]:
    """The general parser: expat with DTDs, entities and deep nesting refused."""
    if not data.strip():
        raise ParseError("empty body")

    # stack entries: [dict_of_children, text_parts]
    stack: list[tuple[dict[str, Any], list[str]]] = []
    names: list[str] = []
    result: list[dict[str, Any]] = []

    def start(name: str, _attrs: Any) -> None:
        if len(stack) >= _MAX_DEPTH:
            raise _Refused("XML nested too deeply")
        if not stack and name != root:
            raise _Refused(f"root element must be <{root}>, got <{name}>")
        stack.append(({}, []))
        names.append(name)

    def end(name: str) -> None:
        children, text = stack.pop()
        names.pop()
        value: Any = children if children else "".join(text)
        if not stack:
            result.append(children)
            return
        parent = stack[-1][0]
        if name in parent:
            prev = parent[name]
            if isinstance(prev, list):
                prev.append(value)
            else:
                parent[name] = [prev, value]
        else:
            parent[name] = value

    def chars(data: str) -> None:
        if stack:
            stack[-1][1].append(data)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise ParseError(str(exc)) from None
    except expat.ExpatError as exc:
        raise ParseError(f"malformed XML: {expat.ErrorString(exc.code)}") from None
    except (ValueError, RecursionError) as exc:  # pragma: no cover - defensive
        raise ParseError(f"malformed XML: {exc}") from None
    if not result:  # pragma: no cover - expat reports a missing root itself
        raise ParseError("no root element")
    return result[0]


def cdata(text: str) -> str:
    """Wrap ``text`` in CDATA so that no content can close the section early.

    ``]]>`` is split across two CDATA sections and characters XML 1.0 cannot
    carry (NUL and other C0 controls) are dropped.
    """
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    if "]]>" in text:
        text = text.replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{text}]]>"


def _render_value(parts: list[str], name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        parts.append(f"<{name}>")
        for k, v in value.items():
            _render_value(parts, k, v)
        parts.append(f"</{name}>")
    elif isinstance(value, (list, tuple)):
        for item in value:
            _render_value(parts, name, item)
    elif isinstance(value, bool):
        parts.append(f"<{name}>{int(value)}</{name}>")
    elif isinstance(value, int):
        parts.append(f"<{name}>{value}</{name}>")
    elif value is None:
        parts.append(f"<{name}></{name}>")
    else:
        parts.append(f"<{name}>{cdata(str(value))}</{name}>")


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def render_xml(data: Mapping[str, Any], root: str = "xml") -> str:
    """Render a dict as WeChat-style XML: ints bare, text in CDATA, lists repeated.

    Keys must be valid XML names (raises :class:`ValueError` otherwise).
    """
    for key in _iter_keys(data):
        if not _NAME.match(key):
            raise ValueError(f"invalid XML element name: {key!r}")
    parts: list[str] = []
    _render_value(parts, root, data)
    return "".join(parts)


def _iter_keys(value: Any) -> list[str]:
    keys: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            keys.append(str(k))
            keys.extend(_iter_keys(v))
    elif isinstance(value, (list, tuple)):
        for item in value:
            keys.extend(_iter_keys(item))
    return keys
