"""WeCom third-party suites (第三方应用), written once: ``AsyncSuite`` here, ``Suite`` generated.

::

    from wxkit.work import Suite, WorkApplication

    suite = Suite("ww_suite", "suite-secret", "callback-token", "callback-aes-key", storage=redis_storage)

    class Callbacks(WorkApplication):                   # the suite's instruction callback URL
        def on_create_auth(self, info):                 # a corp installed the suite
            suite.get_permanent_code(info.auth_code)    # stored: the corp is served from now on

    callbacks = Callbacks(**suite.callback_options())   # token, aes_key, receive_id=suite id, storage

    url = suite.install_url(suite.get_pre_auth_code(), "https://example.com/installed")
    client = suite.corp_client("ww_customer_corp", agent_id=1000005)
    client.message.send_text("hello", touser=["zhangsan"])

The suite access token is made from the ``suite_ticket`` WeCom pushes every
10 minutes (the :class:`~wxkit.work.WorkApplication` given
:meth:`Suite.callback_options` stores it in the shared storage);
``get_permanent_code`` stores each corp's permanent code; ``corp_client``
returns a ``WorkClient`` whose token comes from that code
(``/cgi-bin/service/get_corp_token``). One process serves many corps: every
corp has its own token provider and storage key, so tokens are never mixed.
"""

from __future__ import annotations

import asyncio  # unasync: import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ...core._async.token import AsyncCorpTokenManager, AsyncSuiteTokenManager, suite_permanent_code_key
from ...core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, Timeout
from ...core.redact import redact_url
from ...errors import WORK_TOKEN_ERRCODES, APIError, ConfigError, StorageError, TransportError
from ...storage import MemoryStorage, Storage
from ..suite_callbacks import PermanentCode
from .client import AsyncWorkClient

if TYPE_CHECKING:
    import httpx  # unasync: import requests
    from typing_extensions import Self

    from ...core.ahttp import AsyncHTTPClient

    _Session = httpx.AsyncClient  # unasync: _Session = requests.Session

_Sleep = Callable[[float], Awaitable[None]]  # unasync: _Sleep = Callable[[float], None]

__all__ = ["AsyncSuite", "DEFAULT_INSTALL_URL"]

#: WeCom's page where an admin installs a suite from a pre-auth code.
DEFAULT_INSTALL_URL = "https://open.work.weixin.qq.com/3rdapp/install"
_DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"


class AsyncSuite:
    """A WeCom third-party suite: its token, the install flow and a client per installing corp.

    ``token`` and ``aes_key`` are the suite's callback settings (used by
    :meth:`callback_options`); ``storage`` holds the ticket, the suite token,
    every corp's permanent code and token (a ``RedisStorage`` when several
    processes serve the suite). ``base_url`` is WeCom's origin (the
    emulator's ``work_url`` in tests); the other options are
    :class:`wxkit.Client`'s.
    """

    def __init__(
        self,
        suite_id: str,
        suite_secret: str,
        token: str | None = None,
        aes_key: str | None = None,
        storage: Storage | None = None,
        *,
        base_url: str = _DEFAULT_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        session: _Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.2,
        sleep: _Sleep = asyncio.sleep,  # unasync: sleep: _Sleep = time.sleep,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        from ...core.ahttp import AsyncHTTPClient  # httpx only when an async suite is made

        if not suite_id or not isinstance(suite_id, str):
            raise ConfigError("a suite_id is required")
        if not suite_secret or not isinstance(suite_secret, str):
            raise ConfigError("a suite_secret is required")
        self.suite_id = suite_id
        self._token = token
        self._aes_key = aes_key
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.base_url = base_url
        self._client_options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "backoff": backoff,
            "sleep": sleep,
            "deadline": deadline,
            "max_body_size": max_body_size,
        }
        self.http: AsyncHTTPClient = AsyncHTTPClient(base_url, session=session, **self._client_options)
        #: The suite access token's provider.
        self.tokens = AsyncSuiteTokenManager(self.http, suite_id, suite_secret, self.storage)
        self._corp_tokens: dict[str, AsyncCorpTokenManager] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(suite_id={self.suite_id!r})"  # never the secret, token, key or codes

    async def aclose(self) -> None:
        """Close the suite's connection pool (clients from :meth:`corp_client` have their own)."""
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def callback_options(self) -> dict[str, Any]:
        """Keywords for the suite's :class:`~wxkit.work.WorkApplication`: token, aes_key, receive_id, storage."""
        if not self._token or not self._aes_key:
            raise ConfigError("callback_options() needs the suite's callback token and aes_key")
        return {"token": self._token, "aes_key": self._aes_key, "receive_id": self.suite_id, "storage": self.storage}

    # -- the suite token -------------------------------------------------------------
    async def set_suite_ticket(self, ticket: str) -> None:
        """Store a ``suite_ticket`` (the callback application does it for every ticket WeCom pushes)."""
        await self.tokens.set_suite_ticket(ticket)

    async def get_suite_access_token(self) -> str:
        """The suite access token (made from the stored ticket when needed)."""
        return await self.tokens.get()

    async def _call(self, method: str, path: str, json_body: Any = None) -> dict[str, Any]:
        """Call a ``/cgi-bin/service/`` endpoint with the suite token; a refused token is replaced once."""
        token = await self.tokens.get()
        retried = False
        while True:
            params = {"suite_access_token": token}
            safe_url = redact_url(self.http.url(path), params)
            response = await self.http.send(method, path, params=params, json_body=json_body, idempotent=False)
            try:
                return await self.http.decode(response, method=method, safe_url=safe_url)
            except APIError as exc:
                if exc.errcode in WORK_TOKEN_ERRCODES and not retried:
                    retried = True
                    token = await self.tokens.refresh(token)
                    continue
                raise

    # -- installation ------------------------------------------------------------------
    async def get_pre_auth_code(self) -> str:
        """A pre-auth code (valid 20 minutes) for :meth:`install_url`."""
        path = "/cgi-bin/service/get_pre_auth_code"
        answer = await self._call("GET", path)
        code = answer.get("pre_auth_code")
        if not isinstance(code, str) or not code:
            url = self.http.url(path)
            raise TransportError(f"GET {url} answered without a pre_auth_code", method="GET", url=url)
        return code

    def install_url(
        self, pre_auth_code: str, redirect_uri: str, state: str = "", *, base_url: str = DEFAULT_INSTALL_URL
    ) -> str:
        """The page where a corp's admin installs the suite.

        WeCom then redirects the admin to ``redirect_uri`` with ``auth_code``
        (and ``state``); the ``create_auth`` callback carries the same code.
        """
        if not pre_auth_code or not redirect_uri:
            raise ValueError("install_url needs a pre_auth_code and a redirect_uri")
        query = {"suite_id": self.suite_id, "pre_auth_code": pre_auth_code, "redirect_uri": redirect_uri}
        if state:
            query["state"] = state
        return f"{base_url}?{urlencode(query)}"

    async def get_permanent_code(self, auth_code: str) -> PermanentCode:
        """Trade an install's ``auth_code`` for the corp's permanent code, and store it (no expiry).

        The code is stored before this returns (a storage failure is a
        :class:`~wxkit.errors.StorageError`: an auth code works once, so the
        error says so); from then on :meth:`corp_client` serves the corp.
        """
        if not auth_code or not isinstance(auth_code, str):
            raise ValueError("an auth_code is required")
        path = "/cgi-bin/service/get_permanent_code"
        answer = await self._call("POST", path, {"auth_code": auth_code})
        corp = answer.get("auth_corp_info")
        corpid = corp.get("corpid") if isinstance(corp, dict) else None
        code = answer.get("permanent_code")
        if not isinstance(corpid, str) or not corpid or not isinstance(code, str) or not code:
            url = self.http.url(path)
            raise TransportError(f"POST {url} answered without permanent_code and corpid", method="POST", url=url)
        await self._store_permanent_code(corpid, code)
        corp_name = corp.get("corp_name", "") if isinstance(corp, dict) else ""
        return PermanentCode(corpid=corpid, corp_name=str(corp_name or ""), permanent_code=code, raw=answer)

    async def set_permanent_code(self, corpid: str, permanent_code: str) -> None:
        """Store a corp's permanent code (one kept elsewhere, or from ``reset_permanent_code``)."""
        if not corpid or not permanent_code:
            raise ValueError("a corpid and a permanent_code are required")
        await self._store_permanent_code(corpid, permanent_code)

    async def _store_permanent_code(self, corpid: str, code: str) -> None:
        key = suite_permanent_code_key(self.suite_id, corpid)
        try:
            await self.tokens.shared._io(self.storage.set, key, code)
        except Exception as exc:
            raise StorageError(
                f"the storage failed storing the permanent code of {corpid} ({type(exc).__name__});"
                " the auth code is spent: the corp must authorize again",
                key=key,
            ) from exc

    # -- serving a corp -------------------------------------------------------------------
    def corp_tokens(self, corpid: str) -> AsyncCorpTokenManager:
        """The token provider of ``corpid`` (one per corp, made once)."""
        tokens = self._corp_tokens.get(corpid)
        if tokens is None:
            tokens = self._corp_tokens.setdefault(
                corpid, AsyncCorpTokenManager(self.http, self.tokens, corpid, self.storage)
            )
        return tokens

    async def corp_token(self, corpid: str) -> str:
        """The access token of ``corpid`` (made from its stored permanent code when needed)."""
        return await self.corp_tokens(corpid).get()

    def corp_client(self, corpid: str, *, agent_id: int | None = None, **options: Any) -> AsyncWorkClient:
        """A ``WorkClient`` for ``corpid`` whose token comes from the permanent code (``get_corp_token``).

        ``agent_id`` is the suite app's agent id in that corp (from the
        permanent code's ``auth_info``); ``options`` go to the client
        (``timeout``, ``session`` ...). The client shares this suite's storage,
        so its token is the one :meth:`corp_token` gives.
        """
        options.setdefault("base_url", self.base_url)
        client = AsyncWorkClient(corpid, agent_id=agent_id, storage=self.storage, token_source=_never_called, **options)
        # The corp's provider (a WorkTokenManager made from the permanent code) replaces the placeholder.
        client.tokens = AsyncCorpTokenManager(client.http, self.tokens, corpid, self.storage)
        return client


def _never_called() -> str:
    raise ConfigError("placeholder token source of a suite's corp client")  # pragma: no cover - replaced at once
