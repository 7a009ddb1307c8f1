"""Generate wxkit's sync client code from its async source (the way httpcore uses ``unasync``).

Every endpoint is written by hand once, as ``async def`` in a ``_async``
package; this module rewrites each such file into its sync twin:
``async def`` -> ``def``, ``await x`` -> ``x``, ``async with`` / ``async for``
-> ``with`` / ``for``, relative imports one level shorter (the source sits in
``pkg/_async/``, its twin in ``pkg/``), and the names in :data:`SUBS` (``AsyncBaseAPI`` ->
``BaseAPI``, ``aclose`` -> ``close`` ...). A line may also carry its sync form
explicitly: ``code  # unasync: replacement`` is written as ``replacement``
(same indentation) in the sync file.

The generated files start with a header naming their source and must not be
edited by hand: ``python -m wxkit._unasync`` rewrites them, and
``python -m wxkit._unasync --check`` (run by the test suite) fails when one is
stale. Only the standard library is used; nothing imports this at run time.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["PAIRS", "SUBS", "generate", "main", "unasync_text"]

ROOT = Path(__file__).resolve().parent

#: (async source directory, sync output directory), relative to the ``wxkit`` package.
PAIRS: tuple[tuple[str, str], ...] = (("client/_async", "client"),)

#: Whole-word renames applied to every line (after the ``async``/``await`` rewrite).
SUBS: tuple[tuple[str, str], ...] = (
    ("AsyncBaseAPI", "BaseAPI"),
    ("AsyncClient", "Client"),
    ("AsyncHTTPClient", "HTTPClient"),
    ("AsyncTokenManager", "TokenManager"),
    ("AsyncOAuth", "OAuth"),
    ("AsyncIterator", "Iterator"),
    ("AsyncIterable", "Iterable"),
    ("AsyncResponse", "Response"),
    ("aclose", "close"),
    ("__aenter__", "__enter__"),
    ("__aexit__", "__exit__"),
    ("asleep", "sleep"),
)

_HEADER = "# Generated from {source} by `python -m wxkit._unasync`: edit that file, not this one.\n"
_MARK = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*# unasync: (?P<sync>.*)$")
_ASYNC_RE = re.compile(r"\basync (def|with|for)\b")
_AWAIT_RE = re.compile(r"\bawait ")
_SUB_RES = tuple((re.compile(rf"\b{re.escape(old)}\b"), new) for old, new in SUBS)
#: ``from ..x import`` in ``pkg/_async/`` is ``from .x import`` in ``pkg/``: one level up less.
_UP_IMPORT = re.compile(r"^(\s*from )\.(\.+)", re.MULTILINE)


def unasync_line(line: str) -> str:
    """The sync form of one line of async source."""
    marked = _MARK.match(line.rstrip("\n"))
    if marked:
        return f"{marked['indent']}{marked['sync']}\n" if marked["sync"].strip() else ""
    out = _ASYNC_RE.sub(r"\1", line)
    out = _AWAIT_RE.sub("", out)
    for pattern, new in _SUB_RES:
        out = pattern.sub(new, out)
    return out


def unasync_text(text: str, source: str) -> str:
    """The sync module generated from the async module ``text`` (read from ``source``)."""
    lines = text.splitlines(keepends=True)
    body = "".join(unasync_line(line) for line in lines)
    body = _UP_IMPORT.sub(r"\1\2", body)
    if body.startswith('"""'):
        end = body.index('"""', 3) + 3
        end = body.index("\n", end) + 1
        return body[:end] + _HEADER.format(source=source) + body[end:]
    return _HEADER.format(source=source) + body


def generate(*, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, only compare) every sync twin; return the files that were stale."""
    stale: list[Path] = []
    for src_dir, out_dir in PAIRS:
        for source in sorted((ROOT / src_dir).glob("*.py")):
            if source.name == "__init__.py":
                continue
            target = ROOT / out_dir / source.name
            rel = source.relative_to(ROOT.parent).as_posix()
            wanted = unasync_text(source.read_text("utf-8"), rel)
            current = target.read_text("utf-8") if target.is_file() else None
            if current != wanted:
                stale.append(target)
                if not check:
                    target.write_text(wanted, "utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    """``python -m wxkit._unasync [--check]``: regenerate the sync twins (or report the stale ones, exit 1)."""
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    stale = generate(check=check)
    for path in stale:
        print(f"{'stale' if check else 'wrote'}: {path.relative_to(ROOT.parent)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
