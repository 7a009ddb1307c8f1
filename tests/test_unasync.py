"""The sync client code is generated from the async source, and both are fully typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wxkit import _unasync

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_sync_code_is_current() -> None:
    """Edit a file under ``_async/`` and forget ``python -m wxkit._unasync``: this fails."""
    stale = _unasync.generate(check=True)
    assert not stale, f"stale generated files (run python -m wxkit._unasync): {[str(p) for p in stale]}"


def test_every_generated_file_says_so_and_names_its_source() -> None:
    for src_dir, out_dir in _unasync.PAIRS:
        for source in (_unasync.ROOT / src_dir).glob("*.py"):
            if source.name == "__init__.py":
                continue
            text = (_unasync.ROOT / out_dir / source.name).read_text("utf-8")
            assert f"Generated from {source.relative_to(ROOT).as_posix()}" in text


def test_line_rules() -> None:
    line = _unasync.unasync_line
    assert line("    async def send(self) -> int:\n") == "    def send(self) -> int:\n"
    assert line("        return await self._post(path)\n") == "        return self._post(path)\n"
    assert line("        async with self._lock:\n") == "        with self._lock:\n"
    assert line("    async for x in aiter_body(r):\n") == "    for x in iter_body(r):\n"
    assert line("class AsyncTagAPI(AsyncBaseAPI):\n") == "class TagAPI(BaseAPI):\n"
    assert line("        await self.http.aclose()\n") == "        self.http.close()\n"
    assert line("import asyncio  # unasync: import threading\n") == "import threading\n"
    assert line("    # unasync-sync:     return self.tokens.get()\n") == "        return self.tokens.get()\n"
    assert line("from ...core._async.base import AsyncBaseAPI\n") == "from ...core.base import BaseAPI\n"
    assert line("    Asynchronous = 1\n") == "    Asynchronous = 1\n"  # only Async + a capital letter is a prefix


def test_text_rules_shorten_relative_imports_and_dedupe() -> None:
    source = '"""Doc."""\n\nfrom collections.abc import AsyncIterator, Iterator\nfrom ..x import AsyncY\n'
    text = _unasync.unasync_text(source + '\n__all__ = ["AsyncZ", "B"]\n', "wxkit/p/_async/m.py")
    assert "from collections.abc import Iterator\n" in text
    assert "from .x import Y\n" in text
    assert '__all__ = ["B", "Z"]' in text
    assert text.startswith('"""Doc."""\n# Generated from wxkit/p/_async/m.py')


def test_both_clients_are_fully_typed() -> None:
    """``mypy --strict`` over a file using both clients: ``int`` from ``send``, awaited or not."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            str(ROOT / "tests" / "typing" / "clients_typed.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
