"""The public surface: __all__ sorted and complete, documented, and a light import."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import wxkit

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[ModuleType]:
    mods = [wxkit]
    for info in pkgutil.walk_packages(wxkit.__path__, "wxkit."):
        if info.name in ("wxkit.__main__",):
            continue
        mods.append(importlib.import_module(info.name))
    return mods


MODULES = _modules()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_is_sorted_and_resolves(module: ModuleType) -> None:
    if module.__name__.rsplit(".", 1)[-1].startswith("_"):
        return
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__"
    assert list(names) == sorted(names), f"{module.__name__}.__all__ is not sorted"
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name), f"{module.__name__}.__all__ names missing {name}"


def test_top_level_all_is_complete() -> None:
    """Every public class/function defined in a wxkit module and re-exported at top level is listed."""
    exported = set(wxkit.__all__)
    public_here = {n for n, v in vars(wxkit).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public_here - {"annotations"} <= exported


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_public_names_have_docstrings(module: ModuleType) -> None:
    assert module.__doc__, f"{module.__name__} has no module docstring"
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"


def test_every_public_name_is_in_the_docs() -> None:
    docs = "\n".join(p.read_text("utf-8") for p in (ROOT / "docs").glob("*.md"))
    # The docs' words, once: a name (all word characters) is in this set exactly when rf"\b{name}\b" matches
    # the docs (one regex search per name over all the docs took seconds).
    words = set(re.findall(r"\w+", docs))
    missing = [
        f"{m.__name__}.{name}"
        for m in MODULES
        if not m.__name__.rsplit(".", 1)[-1].startswith("_")
        for name in getattr(m, "__all__", [])
        if name != "__version__" and not (name in words if re.fullmatch(r"\w+", name) else _mentioned(name, docs))
    ]
    assert not missing, f"not documented in docs/: {missing}"


def _mentioned(name: str, docs: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", docs) is not None


def test_inbound_core_does_not_import_requests() -> None:
    code = (
        "import sys, wxkit\n"
        "from wxkit.testing import WeChatPusher\n"
        "from wxkit.work import WorkApplication\n"
        "class B(wxkit.WxApplication):\n"
        "    token = 't'\n"
        "    def on_text(self, m): return m.content\n"
        "p = WeChatPusher('t')\n"
        "assert p.deliver(B(), p.text('hi')).content == 'hi'\n"
        "print('requests' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_py_typed_marker_ships() -> None:
    assert (ROOT / "wxkit" / "py.typed").is_file()
