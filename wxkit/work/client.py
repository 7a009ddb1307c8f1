"""The WeCom (企业微信) API client, written once: ``WorkClient`` here, ``WorkClient`` generated.

::

    from wxkit.work import WorkClient

    client = WorkClient("ww...", "app-secret", agent_id=1000002)
    result = client.message.send_text("hello", touser=["bob", "eve"])
    if not result.ok:                    # a partial send: some recipients were invalid
        print(result.invalid_users)
    user = client.user.get("bob")        # WorkUser(userid="bob", name=..., department=(1,), ...)

One access token per ``(corpid, secret)``: every self-built app has its own
secret, and so do contacts (通讯录) and external contacts; make one client per
secret (``gettoken`` on ``qyapi.weixin.qq.com``, cached in ``storage`` under
``wxkit:work_token:<corpid>:<digest of the secret>``). On WeCom 40001 means a
wrong secret (an :class:`~wxkit.errors.AccessTokenError` from ``gettoken``,
never retried); 40014 / 42001 drop the token (if still current) and retry once.
API groups are attributes named after WeCom's doc groups (``message``,
``appchat``, ``user``, ``department``, ``tag``, ``batch``, ``media``, ``oauth``, ``jssdk``, ``kf``,
``external_contact``, ``approval``);
``client.get(path)`` / ``client.post(path)`` reach any endpoint not wrapped.
"""
# Generated from wxkit/work/_async/client.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..core.client import BaseClient
from ..core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DOWNLOAD_SIZE, DEFAULT_TIMEOUT, Timeout
from ..core.token import TokenSource, WorkTokenManager
from ..errors import WORK_TOKEN_ERRCODES, ConfigError
from ..storage import MemoryStorage, Storage
from .appchat import AppChatAPI
from .approval import ApprovalAPI
from .batch import BatchAPI
from .department import DepartmentAPI
from .external_contact import ExternalContactAPI
from .jssdk import WorkJSSDKAPI
from .kf import KfAPI
from .media import MediaAPI
from .message import MessageAPI
from .oauth import WorkOAuthAPI
from .tag import TagAPI
from .user import UserAPI

if TYPE_CHECKING:
    import requests

    _Session = requests.Session

_Sleep = Callable[[float], None]

__all__ = ["DEFAULT_WORK_BASE_URL", "WorkClient"]

#: WeCom's API origin.
DEFAULT_WORK_BASE_URL = "https://qyapi.weixin.qq.com"


class WorkClient(BaseClient):
    """A WeCom API client for one ``(corpid, secret)``.

    ``agent_id`` is the app (应用) whose secret this is: the default of every
    call that names an app (``message.send`` ...). The other options are
    :class:`wxkit.Client`'s: ``storage`` (default: a private
    :class:`~wxkit.storage.MemoryStorage`; a ``RedisStorage`` shares the token
    between processes and with the async twin), ``token_source`` (a callable
    returning the token when a central service owns it), ``timeout``,
    ``max_retries``, ``backoff``, ``deadline``, ``max_body_size``,
    ``max_download_size``, ``session`` and ``base_url`` (the emulator's
    :attr:`~wxkit.testing.Emulator.work_url` in tests).
    """

    token_errcodes = WORK_TOKEN_ERRCODES

    def __init__(
        self,
        corpid: str,
        secret: str | None = None,
        *,
        agent_id: int | None = None,
        storage: Storage | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        base_url: str = DEFAULT_WORK_BASE_URL,
        session: _Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.2,
        token_source: TokenSource | None = None,
        sleep: _Sleep = time.sleep,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE,
    ) -> None:
        from ..core.http import HTTPClient  # httpx only when an async client is made

        if not corpid or not isinstance(corpid, str):
            raise ConfigError("a WeCom corpid is required")
        if agent_id is not None and (isinstance(agent_id, bool) or not isinstance(agent_id, int)):
            raise ConfigError("agent_id must be an integer (the app's AgentId)")
        self.appid = corpid
        self.corpid = corpid
        self.agent_id = agent_id
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
        tokens = WorkTokenManager(http, corpid, secret, store, token_source=token_source)
        super().__init__(http, tokens, store)
        self.tokens: WorkTokenManager = tokens
        self._mount()

    def _mount(self) -> None:
        """Attach the API groups (one line each)."""
        self.message = MessageAPI(self)
        self.appchat = AppChatAPI(self)
        self.user = UserAPI(self)
        self.department = DepartmentAPI(self)
        self.tag = TagAPI(self)
        self.batch = BatchAPI(self)
        self.media = MediaAPI(self)
        self.oauth = WorkOAuthAPI(self)
        self.jssdk = WorkJSSDKAPI(self)
        self.kf = KfAPI(self)
        self.external_contact = ExternalContactAPI(self)
        self.approval = ApprovalAPI(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(corpid={self.corpid!r}, agent_id={self.agent_id!r})"  # never the secret
