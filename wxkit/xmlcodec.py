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

from ._lazy import regex
from .errors import ParseError

__all__ = ["DEFAULT_MAX_BODY_SIZE", "cdata", "parse_xml", "render_xml"]

#: Default limit for a push body: WeChat pushes are a few kilobytes at most.
DEFAULT_MAX_BODY_SIZE = 1024 * 1024
_MAX_DEPTH = 16

# The module's patterns compile on first use (wxkit._lazy.regex): not at import, a cold-start cost.
# Characters that XML 1.0 cannot carry at all (C0 controls except tab/LF/CR,
# lone surrogates, U+FFFE/U+FFFF).
_ILLEGAL_XML = regex("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Refused(Exception):
    pass


def _refuse_doctype(*_: Any) -> None:
    raise _Refused("DOCTYPE declarations are not allowed")


def _refuse_entity(*_: Any) -> None:
    raise _Refused("entity declarations are not allowed")


def _refuse_external(*_: Any) -> int:
    raise _Refused("external entities are not allowed")


# The flat-document fast path. Almost every push is a flat <xml> of elements
# holding text or one CDATA section; for those one C-speed regex pass gives
# the same dict as expat at a fraction of the cost. Anything outside that
# subset (a prolog, attributes, nesting, entities, repeated names, CR,
# characters XML forbids, "]" in plain text, bad UTF-8) falls through to
# expat. tests/test_xmlcodec.py checks with Hypothesis that both paths agree.
#: What no element text on the fast path may hold: C0 controls but tab and LF (CR too: expat
#: would normalise it), and U+FFFE / U+FFFF, which XML 1.0 cannot carry.
_NOT_TEXT = r"\x00-\x08\x0b-\x1f\ufffe\uffff"
#: One element, with the whitespace before it: (whole match, name, CDATA text, plain text).
_FLAT_ITEM = regex(
    r"([ \t\n]*<(?P<n>[A-Za-z_][A-Za-z0-9_.-]*)>"
    r"(?:<!\[CDATA\[([^\]" + _NOT_TEXT + r"]*(?:\](?!\]>)[^\]" + _NOT_TEXT + r"]*)*)\]\]>"
    r"|([^<&\]" + _NOT_TEXT + r"]*))</(?P=n)>)",
    re.ASCII,
)
_WS = " \t\n"


def _parse_flat(data: bytes) -> dict[str, Any] | None:
    """Parse a flat ``<xml>`` document, or return None to defer to expat.

    One ``findall`` over the text between ``<xml>`` and ``</xml>``: the
    elements it finds must cover that text exactly (their lengths add up to
    it), so nothing between them was skipped.
    """
    if data[:5] != b"<xml>":
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    body = text.rstrip(_WS)
    if not body.endswith("</xml>"):
        return None
    inner = body[:-6].rstrip(_WS)
    out: dict[str, Any] = {}
    covered = 5
    for whole, name, cdata_text, plain in _FLAT_ITEM.findall(inner, 5):
        if name in out:  # repeated: expat makes a list
            return None
        out[name] = cdata_text or plain
        covered += len(whole)
    if covered != len(inner):
        return None
    return out


#: The safe-mode envelope as WeChat sends it: ``<xml>``, an optional ``<ToUserName>`` and
#: ``<AgentID>`` (WeCom), then ``<Encrypt>``, each in CDATA or bare, values from a small
#: alphabet (so no entity, CDATA end or forbidden character can hide in them).
_ENV_VALUE = r"(?:<!\[CDATA\[[A-Za-z0-9_@.-]*\]\]>|[A-Za-z0-9_@.-]*)"
_ENVELOPE = (
    r"<xml>[ \t\n]*"
    r"(?:<ToUserName>" + _ENV_VALUE + r"</ToUserName>[ \t\n]*)?"
    r"(?:<AgentID>" + _ENV_VALUE + r"</AgentID>[ \t\n]*)?"
    r"<Encrypt>(?:<!\[CDATA\[([A-Za-z0-9+/=]*)\]\]>|([A-Za-z0-9+/=]*))</Encrypt>[ \t\n]*</xml>[ \t\n]*"
)
_ENVELOPE_STR = regex(_ENVELOPE, re.ASCII)
_ENVELOPE_BYTES = regex(_ENVELOPE.encode("ascii"))


def _scan_envelope(body: str | bytes) -> str | None:
    """The ``Encrypt`` text of a safe-mode envelope in WeChat's exact shape, else None.

    One regex pass, no dict. None means "not that shape": parse the body with
    :func:`parse_xml` then (it may still be a valid envelope, or a
    :class:`~wxkit.errors.ParseError`). Whenever this returns a value,
    ``parse_xml(body)["Encrypt"]`` is that value (tests/test_xmlcodec.py
    checks it with Hypothesis).
    """
    if body.__class__ is bytes:
        found = _ENVELOPE_BYTES.fullmatch(body)
        if found is None:
            return None
        raw = found.group(1)  # in CDATA, else bare: exactly one of the two groups took part
        return (found.group(2) if raw is None else raw).decode("ascii")
    if body.__class__ is str:
        match = _ENVELOPE_STR.fullmatch(body)
        if match is None:
            return None
        text = match.group(1)
        return match.group(2) if text is None else text
    return None


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


_NAME = regex(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


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
