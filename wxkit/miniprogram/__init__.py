"""Mini programs (小程序): the server-API client, typed answers, and ``encryptedData`` decryption.

::

    from wxkit.miniprogram import MiniProgramClient

    client = MiniProgramClient("wx...", "secret")
    session = client.auth.code2session(js_code)      # Session(openid, unionid, session_key)

:class:`MiniProgramClient` (sync, ``requests``) and :class:`AsyncMiniProgramClient`
(``httpx``) are imported on first use, so ``import wxkit.miniprogram`` (for
:func:`decrypt_encrypted_data` or a push application) pulls in no HTTP library.
"""

from __future__ import annotations

import typing

from .crypto import decrypt_encrypted_data
from .models import PhoneInfo, SecurityCheck, Session

if typing.TYPE_CHECKING:
    from ._async.client import AsyncMiniProgramClient
    from .client import MiniProgramClient


def __getattr__(name: str) -> typing.Any:
    # The clients are imported on first use: a push-only mini-program server must not pull in requests.
    if name == "MiniProgramClient":
        from .client import MiniProgramClient

        return MiniProgramClient
    if name == "AsyncMiniProgramClient":
        from ._async.client import AsyncMiniProgramClient

        return AsyncMiniProgramClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AsyncMiniProgramClient",
    "MiniProgramClient",
    "PhoneInfo",
    "SecurityCheck",
    "Session",
    "decrypt_encrypted_data",
]
