"""The open platform (开放平台 / 第三方平台): serve many official accounts and mini programs as a third party.

:class:`Component` (sync, ``requests``) and :class:`AsyncComponent`
(``httpx``) are imported on first use, so ``from wxkit.open import
VerifyTicketEvent`` pulls in no HTTP library. See ``docs/open-platform.md``.
"""

import importlib
import typing

from .events import (
    COMPONENT_EVENT_CLASSES,
    AuthorizedEvent,
    ComponentEvent,
    FastRegisterEvent,
    UnauthorizedEvent,
    UpdateAuthorizedEvent,
    VerifyTicketEvent,
    parse_component_event,
)

#: Names imported on first use (they need an HTTP library), and their modules.
_LAZY = {
    "Component": ".component",
    "AsyncComponent": "._async.component",
    "AuthorizationInfo": ".component",
}

if typing.TYPE_CHECKING:
    from ._async.component import AsyncComponent
    from .component import AuthorizationInfo, Component


def __getattr__(name: str) -> typing.Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AsyncComponent",
    "AuthorizationInfo",
    "AuthorizedEvent",
    "COMPONENT_EVENT_CLASSES",
    "Component",
    "ComponentEvent",
    "FastRegisterEvent",
    "UnauthorizedEvent",
    "UpdateAuthorizedEvent",
    "VerifyTicketEvent",
    "parse_component_event",
]
