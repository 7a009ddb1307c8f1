"""Mini programs (小程序): the server-API client, typed answers, message push, the login flow, ``encryptedData``.

::

    from wxkit.miniprogram import MiniProgramClient

    client = MiniProgramClient("wx...", "secret")
    session = client.auth.code2session(js_code)      # Session(openid, unionid, session_key)

:class:`MiniProgramClient` (sync, ``requests``) and :class:`AsyncMiniProgramClient`
(``httpx``) are imported on first use, so ``import wxkit.miniprogram`` (for
:func:`decrypt_encrypted_data` or a push application) pulls in no HTTP library.
:class:`MiniProgramApplication` serves message push (JSON or XML; see
:mod:`wxkit.miniprogram.app`); :class:`Login` / :class:`AsyncLogin` run the
login flow with the ``session_key`` kept server-side (:mod:`wxkit.miniprogram.login`).
"""

from __future__ import annotations

import typing

from ._login import LoginResult, UserData
from .app import MiniProgramApplication, PassiveReplyError
from .crypto import decrypt_encrypted_data
from .login import Login
from .models import PhoneInfo, SecurityCheck, Session

if typing.TYPE_CHECKING:
    from ._async.client import AsyncMiniProgramClient
    from ._async.login import AsyncLogin
    from .client import MiniProgramClient


def __getattr__(name: str) -> typing.Any:
    # The clients are imported on first use: a push-only mini-program server must not pull in requests.
    if name == "MiniProgramClient":
        from .client import MiniProgramClient

        return MiniProgramClient
    if name == "AsyncMiniProgramClient":
        from ._async.client import AsyncMiniProgramClient

        return AsyncMiniProgramClient
    if name == "AsyncLogin":  # on first use too: it imports asyncio
        from ._async.login import AsyncLogin

        return AsyncLogin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AsyncLogin",
    "AsyncMiniProgramClient",
    "Login",
    "LoginResult",
    "MiniProgramApplication",
    "MiniProgramClient",
    "PassiveReplyError",
    "PhoneInfo",
    "SecurityCheck",
    "Session",
    "UserData",
    "decrypt_encrypted_data",
]
