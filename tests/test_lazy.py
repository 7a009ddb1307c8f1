"""Lazy loading: package attributes and API groups imported on first use, and what each entry point imports."""

from __future__ import annotations

import copy
import importlib
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wxkit
from wxkit._lazy import group, regex


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


# -- what each entry point imports ---------------------------------------------------------------------
def test_the_client_package_loads_neither_the_inbound_core_nor_the_async_twins() -> None:
    loaded = _loaded_after("import wxkit.client")
    for name in ("wxkit.app", "wxkit.events", "wxkit.messages", "wxkit.crypto", "wxkit.rules", "asyncio", "requests"):
        assert name not in loaded, name
    assert not {m for m in loaded if m.startswith("wxkit.client._async")}
    assert "wxkit.client.template" not in loaded  # API groups: on first access


def test_pay_v3_loads_what_it_is_asked_for() -> None:
    loaded = _loaded_after("import wxkit.pay.v3")
    assert not {m for m in loaded if m.startswith("wxkit.pay.") and m != "wxkit.pay.v3"}
    loaded = _loaded_after("from wxkit.pay.v3 import PayClient")
    for name in (
        "requests",
        "wxkit.pay.models",
        "wxkit.pay.notify",
        "wxkit.pay.v2",
        "wxkit.pay.v3.orders",
        "wxkit.app",
    ):
        assert name not in loaded, name


def test_the_inbound_core_builds_the_event_classes_on_the_first_push() -> None:
    code = (
        "from wxkit import WxApplication\n"
        "from wxkit.testing import WeChatPusher\n"
        "class Bot(WxApplication):\n"
        "    token = 't'\n"
        "    def on_click(self, event): return type(event).__name__ + ':' + event.event_key\n"
        "bot, pusher = Bot(), WeChatPusher('t')\n"
        "assert 'wxkit.events' not in sys.modules and 'requests' not in sys.modules\n"
        "assert pusher.deliver(bot, pusher.event('CLICK', EventKey='K')).content == 'ClickEvent:K'\n"
        "assert 'wxkit.events' in sys.modules\n"
    )
    assert "wxkit.events" in _loaded_after(code)


def test_the_application_registry_is_the_official_one() -> None:
    from wxkit.app import BaseApplication, WxApplication
    from wxkit.events import official_registry

    assert WxApplication.registry is official_registry
    assert WxApplication(token="t").registry is official_registry
    assert BaseApplication.__dict__["registry"] is official_registry  # the placeholder is gone once read


def test_the_inbound_core_defers_what_a_push_may_never_need() -> None:
    """Cold start: the concrete message and reply classes, pycryptodome (with cffi) and the regexes wait."""
    code = (
        "from wxkit import WxApplication\n"
        "import wxkit.xmlcodec, wxkit.session\n"
        "for p in (wxkit.xmlcodec._ENVELOPE_BYTES, wxkit.xmlcodec._FLAT_ITEM, wxkit.session._NAME):\n"
        "    assert 'fullmatch' not in vars(p) and 'findall' not in vars(p), p  # not compiled yet\n"
    )
    loaded = _loaded_after(code)
    for name in ("wxkit._messagetypes", "wxkit.replies", "wxkit.events", "wxkit.jsoncodec", "Crypto", "cffi"):
        assert name not in loaded, name
    # a safe-mode application loads pycryptodome when it is built, not at its first push
    loaded = _loaded_after(
        "from wxkit import WxApplication\n"
        "WxApplication(token='t', app_id='wx1', aes_key='abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')\n"
    )
    assert "Crypto.Cipher.AES" in loaded


def test_the_message_types_load_on_first_use() -> None:
    code = (
        "import wxkit.messages as m\n"
        "assert 'wxkit._messagetypes' not in sys.modules\n"
        "assert m.TextMessage.__name__ == 'TextMessage' and m.TextMessage in m.MESSAGE_CLASSES\n"
        "assert issubclass(m.LocationMessage, m.Coordinates) and issubclass(m.LinkMessage, m.Message)\n"
        "assert {'TextMessage', 'VoiceMessage'} <= set(dir(m))\n"
        "from wxkit.messages import *\n"
        "from wxkit.replies import Reply, TextReply\n"
        "import wxkit\n"
        "assert wxkit.Reply is Reply and TextReply('x').render('u', 'a', 1).startswith('<xml>')\n"
    )
    assert "wxkit._messagetypes" in _loaded_after(code)


def test_public_import_paths_keep_working() -> None:
    code = (
        "import wxkit\n"
        "assert wxkit.events.SubscribeEvent is wxkit.events.official_registry.events['subscribe']\n"
        "assert wxkit.Event is wxkit.events.Event and wxkit.UnknownEvent is wxkit.events.UnknownEvent\n"
        "from wxkit.client import AsyncClient\n"
        "assert wxkit.AsyncClient is AsyncClient\n"
        "import wxkit.pay\n"
        "assert wxkit.pay.v2.sign and wxkit.pay.Transaction is wxkit.pay.models.Transaction\n"
        "from wxkit.pay.v3 import PayClient, Signer, rsa_sign\n"
        "from wxkit import *\n"
    )
    _loaded_after(code)


def test_moved_classes_keep_their_public_module_for_pickles() -> None:
    """Pickles name wxkit.messages / wxkit.replies (stable), not the private modules the classes live in."""
    import pickle

    from wxkit.messages import TextMessage
    from wxkit.replies import Reply, TextReply

    message = TextMessage.from_dict(
        {"ToUserName": "gh", "FromUserName": "o", "CreateTime": "1", "MsgType": "text", "Content": "hi", "MsgId": "9"}
    )
    data = pickle.dumps(message)
    assert b"wxkit.messages" in data
    assert b"_messagetypes" not in data
    assert pickle.loads(data) == message
    assert (TextMessage.__module__, Reply.__module__) == ("wxkit.messages", "wxkit.replies")
    assert pickle.loads(pickle.dumps(TextReply("x"))) == TextReply("x")


def test_every_top_level_name_resolves() -> None:
    for name in wxkit.__all__:
        assert getattr(wxkit, name) is not None
    assert set(wxkit.__all__) <= set(dir(wxkit))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        wxkit.Nope  # type: ignore[attr-defined]  # noqa: B018 - the access is the test


# -- attach --------------------------------------------------------------------------------------------
@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A package ``lazypkg`` whose ``answer`` lives in ``lazypkg.deep`` (which counts its imports)."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        "from wxkit._lazy import attach\n"
        "loads = []\n"
        "__getattr__, __dir__ = attach(__name__, {'deep': ('answer',)}, ['deep'])\n"
    )
    (root / "deep.py").write_text("import lazypkg\nlazypkg.loads.append(1)\nanswer = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("lazypkg")
    for name in ("lazypkg", "lazypkg.deep"):
        sys.modules.pop(name, None)


def test_attach_imports_on_first_use_and_keeps_the_value(package: Any) -> None:
    assert "lazypkg.deep" not in sys.modules
    assert "answer" in dir(package)
    assert package.answer == 42
    assert package.answer == 42
    assert package.loads == [1]
    assert package.__dict__["answer"] == 42  # kept: later reads are plain attribute reads
    assert package.deep.answer == 42  # a listed submodule
    with pytest.raises(AttributeError, match="module 'lazypkg' has no attribute 'other'"):
        package.other  # noqa: B018 - the access is the test


def test_attach_on_a_module_takes_names_from_a_module_beside_it(package: Any) -> None:
    root = Path(package.__file__).parent
    (root / "mod.py").write_text(
        "from wxkit._lazy import attach\n__getattr__, __dir__ = attach(__name__, {'._beside': ('thing',)})\n"
    )
    (root / "_beside.py").write_text("thing = 'here'\n")
    try:
        mod = importlib.import_module("lazypkg.mod")
        assert "lazypkg._beside" not in sys.modules
        assert "thing" in dir(mod)
        assert mod.thing == "here"
        assert mod.__dict__["thing"] == "here"  # kept on the module itself, not on the package
        assert "thing" not in vars(package)
    finally:
        for name in ("lazypkg.mod", "lazypkg._beside"):
            sys.modules.pop(name, None)


# -- regex ---------------------------------------------------------------------------------------------
def test_regex_compiles_on_first_use_and_keeps_the_method() -> None:
    pattern = regex(r"a(b+)", re.IGNORECASE)
    assert vars(pattern)["_args"] == (r"a(b+)", re.IGNORECASE)
    assert not any(name in vars(pattern) for name in ("match", "fullmatch", "sub"))  # nothing compiled yet
    assert "a(b+)" in repr(pattern)
    found = pattern.fullmatch("ABB")
    assert found is not None
    assert found.group(1) == "BB"
    assert "fullmatch" in vars(pattern)  # later reads are plain attribute reads
    assert pattern.fullmatch("ac") is None
    assert pattern.sub("-", "xaby") == "x-y"
    assert pattern.pattern == "a(b+)"
    assert pattern.flags & re.IGNORECASE
    data = regex(rb"<(\w+)>")
    assert data.findall(b"<a><bc>") == [b"a", b"bc"]


def test_regex_rebinds_its_modules_global_to_the_compiled_pattern() -> None:
    """The module's functions read the real pattern after the first use: no stand-in on a hot path."""
    module: dict[str, Any] = {"regex": regex}
    exec("PATTERN = regex(r'x+')\ndef use(text):\n    return PATTERN.fullmatch(text)", module)
    stand_in = module["PATTERN"]
    assert not isinstance(stand_in, re.Pattern)
    assert module["use"]("xxx") is not None
    assert isinstance(module["PATTERN"], re.Pattern)  # rebound in the module's globals
    assert module["PATTERN"].pattern == "x+"
    assert stand_in.fullmatch("xy") is None  # a reference kept elsewhere still works
    from wxkit import xmlcodec

    xmlcodec.parse_xml("<xml><A>1</A></xml>")
    assert isinstance(xmlcodec._FLAT_ITEM, re.Pattern)  # the inbound core's patterns, after one push


def test_regex_is_not_mistaken_for_other_protocols() -> None:
    pattern = regex("x")
    with pytest.raises(AttributeError):
        pattern.__fspath__  # noqa: B018 - a dunder probe must not compile and forward
    assert copy.copy(pattern).match("x") is not None


# -- group ---------------------------------------------------------------------------------------------
class _Group:
    made = 0

    def __init__(self, client: Any) -> None:
        type(self).made += 1
        self.client = client


class _Client:
    things: group[_Group] = group("tests.test_lazy", "_Group")


def test_a_group_is_made_on_first_access_once() -> None:
    _Group.made = 0
    client = _Client()
    assert "things" not in vars(client)
    things = client.things
    assert isinstance(things, _Group)
    assert things.client is client
    assert client.things is things
    assert _Group.made == 1
    assert isinstance(_Client.things, group)  # on the class: the descriptor
    client.things = "stub"  # a test may replace a group
    assert client.things == "stub"


def test_threads_racing_on_the_first_access_share_one_group() -> None:
    client = _Client()
    barrier = threading.Barrier(8)
    seen: list[_Group] = []

    def grab() -> None:
        barrier.wait()
        seen.append(client.things)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8
    assert all(g is seen[0] for g in seen)


def test_client_groups_are_typed_and_made_on_first_access() -> None:
    from wxkit import Client
    from wxkit.client.template import TemplateAPI

    client = Client("wx0000000000000001", "secret")
    assert "template" not in vars(client)
    assert type(client.template) is TemplateAPI
    assert client.template is client.template
    assert client.template._client is client
