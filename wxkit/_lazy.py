"""Lazy attributes, so that importing a package does not import all of it (internal).

:func:`attach` gives a package lazy attributes (PEP 562); :class:`group` is a
client attribute holding an API group, imported and made on first access.

A package ``__init__`` lists its public names twice: as imports under
``TYPE_CHECKING`` (what type checkers and readers see) and, for run time, as a
mapping handed to :func:`attach`::

    if TYPE_CHECKING:
        from .models import Refund, Transaction
    else:
        __getattr__, __dir__ = attach(__name__, {"models": ("Refund", "Transaction")})

The first access to ``package.Refund`` imports ``package.models`` and keeps
the value in the package's namespace; later accesses are plain attribute
reads. Hidden from type checkers, the ``__getattr__`` cannot turn a misspelt
name into ``Any``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar, cast, overload

__all__ = ["attach", "group", "regex"]

_G = TypeVar("_G")


def _import(name: str) -> Any:
    """The module ``name``, imported by the ``import`` statement's machinery (``python -X importtime`` shows it)."""
    __import__(name)
    return sys.modules[name]


def attach(
    package: str, exports: Mapping[str, Iterable[str]], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a submodule to the names it provides.

    ``submodules`` are submodules that importing the package used to load as a
    side effect, so that ``import package`` then ``package.sub.name`` keeps working.
    ``package`` may also be a plain module: a submodule name with a leading dot
    (``"._messagetypes"``) is a module beside it, as in :class:`group`.
    """
    parent = package.rpartition(".")[0]
    home = {
        name: parent + module if module.startswith(".") else f"{package}.{module}"
        for module, names in exports.items()
        for name in names
    }
    subs = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is not None:
            value = getattr(_import(module), name)
        elif name in subs:
            value = _import(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)  # the next access is a plain attribute read
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *home})

    return __getattr__, __dir__


class group(Generic[_G]):
    """A client attribute holding one of its API groups, made (and its module imported) on first access.

    ``module`` is absolute, or relative (``".template"``) to the module defining the client class; ``name``
    the group's class there; the group is ``name(client)``. Typed by the
    annotation, so ``client.template`` is a ``TemplateAPI`` for type checkers::

        if TYPE_CHECKING:
            from .template import TemplateAPI

        class Client(BaseClient):
            template: group[TemplateAPI] = group(".template", "TemplateAPI")

    The group is kept in the instance's ``__dict__``: later accesses are plain
    attribute reads, and assigning the attribute replaces the group (tests).
    Two threads racing on the first access get the same group object.
    """

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name
        self._attr = name

    def __set_name__(self, owner: type, attr: str) -> None:
        self._attr = attr
        if self._module.startswith("."):  # ".template" beside the module defining the client class
            self._module = owner.__module__.rpartition(".")[0] + self._module

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> group[_G]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _G: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> group[_G] | _G:
        if obj is None:
            return self
        cls = getattr(_import(self._module), self._name)
        made: _G = obj.__dict__.setdefault(self._attr, cls(obj))
        return made

    def __repr__(self) -> str:
        return f"<API group {self._name} from {self._module}>"


@overload
def regex(pattern: str, flags: int = 0) -> re.Pattern[str]: ...
@overload
def regex(pattern: bytes, flags: int = 0) -> re.Pattern[bytes]: ...
def regex(pattern: str | bytes, flags: int = 0) -> re.Pattern[str] | re.Pattern[bytes]:
    """``re.compile(pattern, flags)``, compiled on first use instead of at import.

    A module-level pattern costs its compilation at import, whether or not the
    program ever uses it (the inbound core's patterns cost more than a third of
    its own start-up). The object returned stands in for the pattern: the first
    read of one of its methods (``match``, ``fullmatch``, ``search``, ``sub``,
    ``findall`` ...) compiles it and keeps that bound method on the object, so
    later reads are plain attribute reads. Use it for patterns used through
    their methods only (not ``isinstance(p, re.Pattern)``).
    """
    home = sys._getframe(1).f_globals  # the module whose global the stand-in becomes (see _Regex)
    return cast("re.Pattern[str] | re.Pattern[bytes]", _Regex(pattern, flags, home))


class _Regex:
    """What :func:`regex` returns: compiles its pattern on the first attribute read.

    The module that made it (its globals, read from the caller's frame) then
    has every global name bound to this stand-in rebound to the compiled
    pattern: the functions of that module read the real pattern from then on,
    with no stand-in in the way of a hot path.
    """

    def __init__(self, pattern: str | bytes, flags: int, home: dict[str, Any] | None = None) -> None:
        self._args: tuple[Any, int] = (pattern, flags)  # str or bytes: re.compile's AnyStr, per pattern
        self._home = home

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_home":  # copy / pickle probes: not the pattern's
            raise AttributeError(name)
        compiled = re.compile(*self._args)
        home = self.__dict__.pop("_home", None)
        if home is not None:
            for key, value in list(home.items()):
                if value is self:
                    home[key] = compiled
        value = getattr(compiled, name)
        setattr(self, name, value)  # references kept elsewhere find it in the instance's __dict__
        return value

    def __repr__(self) -> str:
        return f"regex({self._args[0]!r}, {self._args[1]})"
