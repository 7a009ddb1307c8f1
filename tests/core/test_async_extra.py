"""The ``wxkit[async]`` extra that the async client's ``ConfigError`` and the docs name exists and brings httpx."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_async_extra_installs_httpx() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extra = project["optional-dependencies"].get("async")
    assert extra, "pyproject.toml has no [async] extra"
    assert any(re.match(r"httpx\b", requirement) for requirement in extra)
    assert "httpx" not in " ".join(project["dependencies"])  # the sync client never needs it
    ahttp = (ROOT / "wxkit" / "core" / "ahttp.py").read_text("utf-8")
    assert "pip install 'wxkit[async]'" in ahttp  # the name the error message gives
