"""JSON from outside, parsed safely: :func:`load_json`.

Every JSON document wxkit reads from elsewhere goes through :func:`load_json`:
API answers (:class:`wxkit.Client`, web OAuth, WeChat Pay v3), the
``/v3/certificates`` answer and its cached copy, WeChat Pay v3 notification
bodies and their decrypted resources, and mini-program ``encryptedData``. It
refuses, always with a :class:`~wxkit.errors.ParseError` and never another
exception:

* a document over ``max_size`` bytes (:data:`MAX_JSON_SIZE` by default);
* bytes that are not UTF-8 (a UTF-8 byte order mark is allowed);
* anything :func:`json.loads` refuses (truncated, HTML, empty ...);
* nesting deeper than ``max_depth`` levels (:data:`MAX_JSON_DEPTH`): no
  WeChat document comes near it, and a deeper one would make Python's
  ``json`` (and any recursive code later handed the result) raise
  :class:`RecursionError` — which is caught here too, whatever its depth.

Callers turn the :class:`~wxkit.errors.ParseError` into the error they
document (``TransportError`` for an API answer, ``PayError`` for a v3
answer, ``DecryptError`` for decrypted data ...). This module imports
nothing but :mod:`wxkit.errors`, so inbound code can use it without an HTTP
client. A test keeps every other ``json.loads`` out of the package.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ParseError

__all__ = ["MAX_JSON_DEPTH", "MAX_JSON_SIZE", "load_json"]

#: The deepest nesting :func:`load_json` accepts (objects and arrays; the outermost one is level 1).
MAX_JSON_DEPTH = 64
#: The largest document :func:`load_json` accepts by default, in bytes (8 MiB).
MAX_JSON_SIZE = 8 * 1024 * 1024


def load_json(
    text: str | bytes | bytearray,
    *,
    what: str = "the document",
    max_size: int | None = MAX_JSON_SIZE,
    max_depth: int = MAX_JSON_DEPTH,
    allow_constants: bool = True,
) -> Any:
    """Parse ``text`` as JSON, or raise :class:`~wxkit.errors.ParseError` saying why.

    ``what`` names the document in the error ("the v3 notification body");
    it must not carry secrets. ``max_size`` bounds the document in bytes
    (characters for a ``str``; ``None``: no bound), ``max_depth`` its nesting.
    ``allow_constants=False`` refuses ``NaN``, ``Infinity`` and ``-Infinity``,
    which Python's ``json`` accepts but JSON does not (WeChat's answers may
    carry them: numbers read from them must cope, see
    :func:`wxkit.bounds.clamp_expires_in`).
    """
    if isinstance(text, (bytes, bytearray)):
        if max_size is not None and len(text) > max_size:
            raise ParseError(f"{what} is larger than {max_size} bytes")
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError(f"{what} is not JSON (not UTF-8 text)") from None
    elif not isinstance(text, str):
        raise ParseError(f"{what} is not text but {type(text).__name__}")
    elif max_size is not None and len(text) > max_size:
        raise ParseError(f"{what} is larger than {max_size} characters")
    try:
        data = json.loads(text) if allow_constants else json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ParseError(f"{what} is nested deeper than {max_depth} levels") from None
    except ValueError:  # JSONDecodeError, and int() refusing a number of more than 4300 digits
        raise ParseError(f"{what} is not JSON") from None
    # Only a document with more brackets than the bound can be too deep: skip the walk otherwise.
    if text.count("[") + text.count("{") > max_depth and _deeper_than(data, max_depth):
        raise ParseError(f"{what} is nested deeper than {max_depth} levels")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether ``data`` nests objects / arrays more than ``limit`` levels deep (iteratively, no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False
