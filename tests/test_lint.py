"""The code stays lint-clean, formatted and `mypy --strict` clean (run in CI with the test extras)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["."]  # code, tests, examples, benchmarks and the Python blocks in the docs


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", *PATHS), ("ruff", "format", "--check", *PATHS), ("mypy",)],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_clean(command: tuple[str, ...]) -> None:
    pytest.importorskip(command[0])
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr
