"""The official-account API client, written once here (the async source) with its sync twin generated from it.

::

    from wxkit import Client, Client

    client = Client("wx...", "secret")
    msgid = client.template.send(openid, template_id, {"thing1": {"value": "hi"}})

    with Client("wx...", "secret") as aclient:
        msgid = aclient.template.send(openid, template_id, {"thing1": {"value": "hi"}})

API groups are attributes named after WeChat's doc groups (``client.user``,
``client.tag``, ``client.menu`` ...); ``client.get(path)`` / ``client.post(path)``
reach any endpoint not wrapped yet. Every call adds the access token and
follows the rules of :class:`~wxkit.core.client.BaseClient`.
"""
# Generated from wxkit/client/_async/client.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._lazy import group
from ..core.client import BaseClient
from ..core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DOWNLOAD_SIZE, DEFAULT_TIMEOUT, Timeout
from ..core.token import TokenManager, TokenProvider, TokenSource
from ..oauth import OAuth
from ..storage import MemoryStorage, Storage

if TYPE_CHECKING:
    import requests

    from .autoreply import AutoReplyAPI
    from .draft import DraftAPI
    from .freepublish import FreePublishAPI
    from .jssdk import JSSDKAPI
    from .kf import KfAPI
    from .material import MaterialAPI
    from .media import MediaAPI
    from .menu import MenuAPI
    from .message import MessageAPI
    from .misc import MiscAPI
    from .qrcode import QRCodeAPI
    from .subscribe import SubscribeAPI
    from .tag import TagAPI
    from .template import TemplateAPI
    from .user import UserAPI

    _Session = requests.Session

_Sleep = Callable[[float], None]

__all__ = ["Client", "DEFAULT_BASE_URL"]

#: The official accounts' API origin.
DEFAULT_BASE_URL = "https://api.weixin.qq.com"


class Client(BaseClient):
    """An official account's API client.

    ``storage`` holds the access token (default: a private
    :class:`~wxkit.storage.MemoryStorage`; use a ``RedisStorage`` to share
    it between processes, and between sync and async clients). ``token_mode``
    is ``"stable"`` (default, ``/cgi-bin/stable_token``) or ``"classic"``
    (``/cgi-bin/token``). ``token_source`` is a callable returning the token
    when a central service owns it (an ``def`` one works on the async
    client); ``tokens`` a token provider of yours instead (the open platform's
    :meth:`wxkit.open.Component.client` passes an authorizer's, see
    :class:`~wxkit.core.token.TokenProvider`). ``timeout`` is ``(connect, read)`` seconds or one number;
    ``max_retries`` bounds re-sends where they are safe. ``deadline`` bounds
    one call as a whole, re-sends and body included (default: the worst case
    of the timeouts and retries). ``max_body_size`` bounds a JSON answer and
    ``max_download_size`` a file read into memory, in decoded bytes.
    ``session`` is a ``requests.Session`` (sync) or an ``httpx.Client``
    (async) of yours. The async client needs the ``wxkit[async]`` extra
    (httpx) and belongs to one event loop, as an ``httpx.Client`` does.
    """

    # The API groups (one line each): a group's module is imported, and the group made, on first access.
    message: group[MessageAPI] = group(".message", "MessageAPI")
    template: group[TemplateAPI] = group(".template", "TemplateAPI")
    subscribe: group[SubscribeAPI] = group(".subscribe", "SubscribeAPI")
    user: group[UserAPI] = group(".user", "UserAPI")
    tag: group[TagAPI] = group(".tag", "TagAPI")
    menu: group[MenuAPI] = group(".menu", "MenuAPI")
    media: group[MediaAPI] = group(".media", "MediaAPI")
    material: group[MaterialAPI] = group(".material", "MaterialAPI")
    draft: group[DraftAPI] = group(".draft", "DraftAPI")
    freepublish: group[FreePublishAPI] = group(".freepublish", "FreePublishAPI")
    qrcode: group[QRCodeAPI] = group(".qrcode", "QRCodeAPI")
    jssdk: group[JSSDKAPI] = group(".jssdk", "JSSDKAPI")
    kf: group[KfAPI] = group(".kf", "KfAPI")
    misc: group[MiscAPI] = group(".misc", "MiscAPI")
    autoreply: group[AutoReplyAPI] = group(".autoreply", "AutoReplyAPI")

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
        sleep: _Sleep = time.sleep,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE,
        tokens: TokenProvider | None = None,
    ) -> None:
        from ..core.http import HTTPClient  # httpx only when an async client is made

        self.appid = appid
        self._secret = secret
        store: Storage = storage if storage is not None else MemoryStorage()
        http = HTTPClient(
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
            tokens = TokenManager(http, appid, secret, store, mode=token_mode, token_source=token_source)
        super().__init__(http, tokens, store)
        self.tokens: TokenProvider = tokens
        self._mount()

    def _mount(self) -> None:
        """Attach what is not an API group (the groups are the class attributes above, made on first use)."""
        self.oauth = OAuth(self.appid, self._secret, http=self.http)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r})"  # never the secret or a token
