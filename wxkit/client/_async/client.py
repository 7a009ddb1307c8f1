"""The official-account API client, written once here (the async source) with its sync twin generated from it.

::

    from wxkit import AsyncClient, Client

    client = Client("wx...", "secret")
    msgid = client.template.send(openid, template_id, {"thing1": {"value": "hi"}})

    async with AsyncClient("wx...", "secret") as aclient:
        msgid = await aclient.template.send(openid, template_id, {"thing1": {"value": "hi"}})

API groups are attributes named after WeChat's doc groups (``client.user``,
``client.tag``, ``client.menu`` ...); ``client.get(path)`` / ``client.post(path)``
reach any endpoint not wrapped yet. Every call adds the access token and
follows the rules of :class:`~wxkit.core.client.BaseClient`.
"""

from __future__ import annotations

import asyncio  # unasync: import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..._async.oauth import AsyncOAuth  # unasync: from ...oauth import OAuth
from ..._lazy import group
from ...core._async.client import AsyncBaseClient
from ...core._async.token import AsyncTokenManager, AsyncTokenProvider, TokenSource
from ...core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DOWNLOAD_SIZE, DEFAULT_TIMEOUT, Timeout
from ...storage import MemoryStorage, Storage

if TYPE_CHECKING:
    import httpx  # unasync: import requests

    from .autoreply import AsyncAutoReplyAPI
    from .draft import AsyncDraftAPI
    from .freepublish import AsyncFreePublishAPI
    from .jssdk import AsyncJSSDKAPI
    from .kf import AsyncKfAPI
    from .material import AsyncMaterialAPI
    from .media import AsyncMediaAPI
    from .menu import AsyncMenuAPI
    from .message import AsyncMessageAPI
    from .misc import AsyncMiscAPI
    from .qrcode import AsyncQRCodeAPI
    from .subscribe import AsyncSubscribeAPI
    from .tag import AsyncTagAPI
    from .template import AsyncTemplateAPI
    from .user import AsyncUserAPI

    _Session = httpx.AsyncClient  # unasync: _Session = requests.Session

_Sleep = Callable[[float], Awaitable[None]]  # unasync: _Sleep = Callable[[float], None]

__all__ = ["AsyncClient", "DEFAULT_BASE_URL"]

#: The official accounts' API origin.
DEFAULT_BASE_URL = "https://api.weixin.qq.com"


class AsyncClient(AsyncBaseClient):
    """An official account's API client.

    ``storage`` holds the access token (default: a private
    :class:`~wxkit.storage.MemoryStorage`; use a ``RedisStorage`` to share
    it between processes, and between sync and async clients). ``token_mode``
    is ``"stable"`` (default, ``/cgi-bin/stable_token``) or ``"classic"``
    (``/cgi-bin/token``). ``token_source`` is a callable returning the token
    when a central service owns it (an ``async def`` one works on the async
    client); ``tokens`` a token provider of yours instead (the open platform's
    :meth:`wxkit.open.Component.client` passes an authorizer's, see
    :class:`~wxkit.core.token.TokenProvider`). ``timeout`` is ``(connect, read)`` seconds or one number;
    ``max_retries`` bounds re-sends where they are safe. ``deadline`` bounds
    one call as a whole, re-sends and body included (default: the worst case
    of the timeouts and retries). ``max_body_size`` bounds a JSON answer and
    ``max_download_size`` a file read into memory, in decoded bytes.
    ``session`` is a ``requests.Session`` (sync) or an ``httpx.AsyncClient``
    (async) of yours. The async client needs the ``wxkit[async]`` extra
    (httpx) and belongs to one event loop, as an ``httpx.AsyncClient`` does.
    """

    # The API groups (one line each): a group's module is imported, and the group made, on first access.
    message: group[AsyncMessageAPI] = group(".message", "AsyncMessageAPI")
    template: group[AsyncTemplateAPI] = group(".template", "AsyncTemplateAPI")
    subscribe: group[AsyncSubscribeAPI] = group(".subscribe", "AsyncSubscribeAPI")
    user: group[AsyncUserAPI] = group(".user", "AsyncUserAPI")
    tag: group[AsyncTagAPI] = group(".tag", "AsyncTagAPI")
    menu: group[AsyncMenuAPI] = group(".menu", "AsyncMenuAPI")
    media: group[AsyncMediaAPI] = group(".media", "AsyncMediaAPI")
    material: group[AsyncMaterialAPI] = group(".material", "AsyncMaterialAPI")
    draft: group[AsyncDraftAPI] = group(".draft", "AsyncDraftAPI")
    freepublish: group[AsyncFreePublishAPI] = group(".freepublish", "AsyncFreePublishAPI")
    qrcode: group[AsyncQRCodeAPI] = group(".qrcode", "AsyncQRCodeAPI")
    jssdk: group[AsyncJSSDKAPI] = group(".jssdk", "AsyncJSSDKAPI")
    kf: group[AsyncKfAPI] = group(".kf", "AsyncKfAPI")
    misc: group[AsyncMiscAPI] = group(".misc", "AsyncMiscAPI")
    autoreply: group[AsyncAutoReplyAPI] = group(".autoreply", "AsyncAutoReplyAPI")

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
        """Attach what is not an API group (the groups are the class attributes above, made on first use)."""
        self.oauth = AsyncOAuth(self.appid, self._secret, http=self.http)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r})"  # never the secret or a token
