"""The mini-program API client, written once: ``AsyncMiniProgramClient`` here, ``MiniProgramClient`` generated.

::

    from wxkit.miniprogram import AsyncMiniProgramClient, MiniProgramClient

    client = MiniProgramClient("wx...", "secret")
    session = client.auth.code2session(js_code)          # Session(openid, unionid, session_key)
    phone = client.phone.get_phone_number(phone_code)    # PhoneInfo(phone_number, ...)

    async with AsyncMiniProgramClient("wx...", "secret") as aclient:
        session = await aclient.auth.code2session(js_code)

A mini program's access token is the same ``appid`` + ``secret`` token as an
official account's (``wxkit:access_token:<appid>`` in the storage, the
stable-token endpoint by default), with the same storage, timeout, retry and
error rules as :class:`wxkit.Client`. API groups are attributes named after
WeChat's doc groups (``client.auth``, ``client.phone``, ``client.wxacode``,
``client.links``, ``client.subscribe``, ``client.security``,
``client.customer_service``, ``client.shipping``, ``client.analysis``,
``client.risk``, and ``client.code`` for a third-party platform); ``client.get(path)`` / ``client.post(path)`` reach any
endpoint not wrapped yet.
"""

from __future__ import annotations

import asyncio  # unasync: import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ...core._async.client import AsyncBaseClient
from ...core._async.token import AsyncTokenManager, AsyncTokenProvider, TokenSource
from ...core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DOWNLOAD_SIZE, DEFAULT_TIMEOUT, Timeout
from ...storage import MemoryStorage, Storage
from .analysis import AsyncAnalysisAPI
from .auth import AsyncAuthAPI
from .code import AsyncCodeAPI
from .customer_service import AsyncCustomerServiceAPI
from .links import AsyncLinksAPI
from .phone import AsyncPhoneAPI
from .risk import AsyncRiskAPI
from .security import AsyncSecurityAPI
from .shipping import AsyncShippingAPI
from .subscribe import AsyncSubscribeAPI
from .wxacode import AsyncWxaCodeAPI

if TYPE_CHECKING:
    import httpx  # unasync: import requests

    _Session = httpx.AsyncClient  # unasync: _Session = requests.Session

_Sleep = Callable[[float], Awaitable[None]]  # unasync: _Sleep = Callable[[float], None]

__all__ = ["AsyncMiniProgramClient", "DEFAULT_BASE_URL"]

#: The mini programs' API origin (the official accounts' too).
DEFAULT_BASE_URL = "https://api.weixin.qq.com"


class AsyncMiniProgramClient(AsyncBaseClient):
    """A mini program's API client.

    The options are :class:`wxkit.Client`'s: ``storage`` holds the access
    token (default: a private :class:`~wxkit.storage.MemoryStorage`; a
    ``RedisStorage`` shares it between processes, and with an official-account
    or async client of the same appid); ``token_mode`` ``"stable"`` (default)
    or ``"classic"``; ``token_source`` a callable returning the token when a
    central service owns it; ``tokens`` a token provider of yours instead (the
    open platform's :meth:`wxkit.open.Component.miniprogram_client` passes an
    authorizer's); ``timeout``, ``max_retries``, ``backoff``,
    ``deadline``, ``max_body_size``, ``max_download_size`` (bounds the
    ``wxacode`` images too); ``session`` a ``requests.Session`` (sync) or an
    ``httpx.AsyncClient`` (async) of yours; ``base_url`` the API origin (the
    emulator's URL in tests). The async client needs the ``wxkit[async]``
    extra (httpx) and belongs to one event loop.
    """

    def __init__(
        self,
        appid: str,
        secret: str | None = None,
        *,
        storage: Storage | None = None,
        token_mode: str = "stable",  # noqa: S107 - a mode name, not a password
        timeout: Timeout = DEFAULT_TIMEOUT,
        base_url: str = DEFAULT_BASE_URL,
        session: _Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.2,
        token_source: TokenSource | None = None,
        sleep: _Sleep = asyncio.sleep,  # unasync: sleep: _Sleep = time.sleep,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE,
        tokens: AsyncTokenProvider | None = None,
    ) -> None:
        from ...core.ahttp import AsyncHTTPClient  # httpx only when an async client is made

        self.appid = appid
        self._secret = secret
        store: Storage = storage if storage is not None else MemoryStorage()
        http = AsyncHTTPClient(
            base_url,
            session=session,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            sleep=sleep,
            deadline=deadline,
            max_body_size=max_body_size,
            max_download_size=max_download_size,
        )
        if tokens is None:
            tokens = AsyncTokenManager(http, appid, secret, store, mode=token_mode, token_source=token_source)
        super().__init__(http, tokens, store)
        self.tokens: AsyncTokenProvider = tokens
        self._mount()

    def _mount(self) -> None:
        """Attach the API groups (one line each)."""
        self.auth = AsyncAuthAPI(self)
        self.phone = AsyncPhoneAPI(self)
        self.wxacode = AsyncWxaCodeAPI(self)
        self.links = AsyncLinksAPI(self)
        self.subscribe = AsyncSubscribeAPI(self)
        self.security = AsyncSecurityAPI(self)
        self.customer_service = AsyncCustomerServiceAPI(self)
        self.shipping = AsyncShippingAPI(self)
        self.analysis = AsyncAnalysisAPI(self)
        self.risk = AsyncRiskAPI(self)
        self.code = AsyncCodeAPI(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r})"  # never the secret or a token
