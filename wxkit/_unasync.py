"""Generate wxkit's sync client code from its async source (the way httpcore uses ``unasync``).

Every endpoint is written by hand once, as ``async def`` in a ``_async``
package; this module rewrites each such file into its sync twin:
``async def`` -> ``def``, ``await x`` -> ``x``, ``async with`` / ``async for``
-> ``with`` / ``for``, relative imports one level shorter (the source sits in
``pkg/_async/``, its twin in ``pkg/``), and the names in :data:`SUBS` (``AsyncBaseAPI`` ->
``BaseAPI``, ``aclose`` -> ``close`` ...). A line may also carry its sync form
explicitly: ``code  # unasync: replacement`` is written as ``replacement``
(same indentation) in the sync file, and a comment line
``# unasync-sync: code`` is code of the sync file only.

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
PAIRS: tuple[tuple[str, str], ...] = (
    ("core/_async", "core"),
    ("client/_async", "client"),
    ("miniprogram/_async", "miniprogram"),
    ("work/_async", "work"),
    ("ilink/_async", "ilink"),
    ("open/_async", "open"),
    ("_async", "."),
)

#: Whole-word renames applied to every line (after the ``async``/``await`` rewrite); besides these, every
#: ``AsyncName`` (``Async`` then a capital) loses its ``Async``.
SUBS: tuple[tuple[str, str], ...] = (
    ("ahttp", "http"),
    ("aclose", "close"),
    ("aclose_response", "close_response"),
    ("aiter_body", "iter_body"),
    ("__aenter__", "__enter__"),
    ("__aexit__", "__exit__"),
    ("StopAsyncIteration", "StopIteration"),
    ("anext", "next"),
)

_HEADER = "# Generated from {source} by `python -m wxkit._unasync`: edit that file, not this one.\n"
_MARK = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*# unasync: (?P<sync>.*)$")
_SYNC_ONLY = re.compile(r"^(?P<indent>\s*)# unasync-sync:(?: (?P<code>.*))?$")
_ASYNC_RE = re.compile(r"\basync (def|with|for)\b")
_AWAIT_RE = re.compile(r"\bawait ")
_SUB_RES = ((re.compile(r"\bAsync(?=[A-Z])"), ""), *((re.compile(rf"\b{re.escape(old)}\b"), new) for old, new in SUBS))
#: ``from ..x import`` in ``pkg/_async/`` is ``from .x import`` in ``pkg/``: one level up less.
_UP_IMPORT = re.compile(r"^(\s*from )\.(\.+)", re.MULTILINE)


def unasync_line(line: str) -> str:
    """The sync form of one line of async source."""
    sync_only = _SYNC_ONLY.match(line.rstrip("\n"))
    if sync_only:
        return f"{sync_only['indent']}{sync_only['code']}\n" if sync_only["code"] else "\n"
    marked = _MARK.match(line.rstrip("\n"))
    if marked:
        return f"{marked['indent']}{marked['sync']}\n" if marked["sync"].strip() else ""
    out = _ASYNC_RE.sub(r"\1", line).replace("._async.", ".")
    out = _AWAIT_RE.sub("", out)
    for pattern, new in _SUB_RES:
        out = pattern.sub(new, out)
    return out


_IMPORT = re.compile(r"^(?P<head>from [\w.]+ import )(?:\((?P<many>[^)]*)\)|(?P<one>[^\n(#]+))", re.MULTILINE)


def _dedupe_import(match: re.Match[str]) -> str:
    """``from x import AsyncIterator, Iterator`` renamed is ``from x import Iterator, Iterator``: keep one."""
    names = (match["many"] if match["many"] is not None else match["one"]).replace("\n", " ").split(",")
    kept = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    return f"{match['head']}{', '.join(kept)}" if match["one"] is not None else f"{match['head']}({', '.join(kept)})"


_ALL = re.compile(r"^__all__ = \[(?P<names>[^\]]*)\]", re.MULTILINE)


def _sort_all(match: re.Match[str]) -> str:
    """``__all__`` sorted again: ``AsyncMediaAPI`` renamed ``MediaAPI`` moves."""
    names = sorted(n.strip() for n in match["names"].split(",") if n.strip())
    return f"__all__ = [{', '.join(names)}]"


def unasync_text(text: str, source: str) -> str:
    """The sync module generated from the async module ``text`` (read from ``source``)."""
    lines = text.splitlines(keepends=True)
    body = "".join(unasync_line(line) for line in lines)
    body = _UP_IMPORT.sub(r"\1\2", body)
    body = _IMPORT.sub(_dedupe_import, body)
    body = _ALL.sub(_sort_all, body)
    if body.startswith('"""'):
        end = body.index('"""', 3) + 3
        end = body.index("\n", end) + 1
        return body[:end] + _HEADER.format(source=source) + body[end:]
    return _HEADER.format(source=source) + body


def _ruff_format(text: str, target: Path) -> str:
    """``text`` with its imports sorted and formatted as ruff does (renames and dropped ``await`` move things)."""
    import subprocess

    for command in (["check", "--select", "I,F401", "--fix", "--quiet", "--exit-zero"], ["format"]):
        done = subprocess.run(  # noqa: S603 - our own interpreter running ruff on our own text
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(target), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT.parent,
        )
        if done.returncode != 0:
            raise SystemExit(f"ruff {command[0]} failed on {target}: {done.stderr.strip()}")
        text = done.stdout
    return text


def generate(*, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, only compare) every sync twin; return the files that were stale."""
    stale: list[Path] = []
    for src_dir, out_dir in PAIRS:
        for source in sorted((ROOT / src_dir).glob("*.py")):
            if source.name == "__init__.py":
                continue
            target = ROOT / out_dir / source.name
            rel = source.relative_to(ROOT.parent).as_posix()
            wanted = _ruff_format(unasync_text(source.read_text("utf-8"), rel), target)
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
