"""The open platform's third-party platform (第三方平台), written once: ``AsyncComponent`` here, ``Component`` generated.

::

    from wxkit.open import Component

    class Platform(Component):
        def on_authorized(self, event):                  # an account authorized the platform
            self.query_auth(event.authorization_code)     # its refresh token is stored

    platform = Platform("wx_component", "component-secret", "event-token", "event-aes-key", storage=redis_storage)
    response = platform.handle(request.method, request.GET, request.body)   # the authorization event URL

    url = platform.authorization_url(platform.get_pre_auth_code(), "https://example.com/authorized")
    client = platform.client("wx_authorizer")            # a wxkit.Client acting for that account
    client.template.send(openid, template_id, data)

The authorization event URL receives, always encrypted (receive id: the
component appid), the pushes listed in :mod:`wxkit.open.events`: the
``component_verify_ticket`` is stored (under
:func:`wxkit.core.token.component_verify_ticket_key`) before any handler
runs, an ``unauthorized`` account's refresh token and cached token are
dropped, and every push is answered ``success``. The component access token
is made from the stored ticket; ``query_auth`` stores each authorizer's
refresh token; :meth:`AsyncComponent.client` and
:meth:`AsyncComponent.miniprogram_client` return the official-account and
mini-program clients whose token is the authorizer's (``api_authorizer_token``),
one token provider and storage key per account, so tokens are never mixed.
"""

from __future__ import annotations

import asyncio  # unasync: import time
import hashlib
import inspect
import logging
import time as _time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import attrs

from ...app import WxApplication, WxResponse
from ...core._async.token import (
    AsyncAuthorizerTokenManager,
    AsyncComponentTokenManager,
    authorizer_refresh_token_key,
)
from ...core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, Timeout
from ...core.redact import redact_url
from ...crypto import MessageCrypto
from ...errors import (
    TOKEN_ERRCODES,
    APIError,
    ConfigError,
    ParseError,
    SignatureError,
    StaleTimestampError,
    StorageError,
    TransportError,
    WxError,
)
from ...storage import MemoryStorage, Storage
from ...xmlcodec import parse_xml
from ..events import ComponentEvent, UnauthorizedEvent, VerifyTicketEvent, parse_component_event

if TYPE_CHECKING:
    import httpx  # unasync: import requests
    from typing_extensions import Self

    from ...client import AsyncClient
    from ...core.ahttp import AsyncHTTPClient
    from ...miniprogram import AsyncMiniProgramClient

    _Session = httpx.AsyncClient  # unasync: _Session = requests.Session

_Sleep = Callable[[float], Awaitable[None]]  # unasync: _Sleep = Callable[[float], None]
_App = TypeVar("_App", bound=WxApplication)

__all__ = ["AsyncComponent", "AuthorizationInfo", "LOGIN_PAGE_URL", "MOBILE_AUTH_URL"]

logger = logging.getLogger("wxkit.open")

#: The PC authorization page (an admin scans a QR code there).
LOGIN_PAGE_URL = "https://mp.weixin.qq.com/cgi-bin/componentloginpage"
#: The mobile authorization page (opened inside WeChat).
MOBILE_AUTH_URL = "https://open.weixin.qq.com/wxaopen/safe/bindcomponent"
_DEFAULT_BASE_URL = "https://api.weixin.qq.com"


@attrs.frozen
class AuthorizationInfo:
    """What ``api_query_auth`` answers: the authorizer and the permission sets (``func_info`` ids) it granted.

    The refresh token is stored, never kept here; ``raw`` is WeChat's
    ``authorization_info`` with the tokens removed.
    """

    authorizer_appid: str
    func_info: tuple[int, ...]
    raw: dict[str, Any] = attrs.field(repr=False)


def _func_ids(info: Mapping[str, Any]) -> tuple[int, ...]:
    ids: list[int] = []
    for item in info.get("func_info") or ():
        category = item.get("funcscope_category") if isinstance(item, dict) else None
        value = category.get("id") if isinstance(category, dict) else None
        if isinstance(value, int):
            ids.append(value)
    return tuple(ids)


class AsyncComponent:
    """A third-party platform: its authorization events, its token, the authorization flow and authorizer clients.

    ``token`` and ``aes_key`` are the platform's message check token and
    message encryption key (both needed to receive events); ``storage``
    holds the ticket, the component token and every authorizer's refresh
    token and token (a ``RedisStorage`` when several processes serve the
    platform). ``timestamp_window`` bounds a push's age in seconds (None:
    no check); ``replay_ttl`` how long a handled push is remembered.
    ``base_url`` is WeChat's API origin (the emulator's ``url`` in
    tests); the other options are :class:`wxkit.Client`'s. Subclass and
    define ``on_component_verify_ticket``, ``on_authorized``,
    ``on_updateauthorized``, ``on_unauthorized``, ``on_unknown`` or
    ``on_default`` (on ``AsyncComponent`` they may be ``async def``); their
    return values are ignored.
    """

    timestamp_window: float | None = 300.0
    #: Seconds a handled push is remembered, so WeChat's retries of it do not run its handler again.
    replay_ttl: float = 600.0

    def __init__(
        self,
        component_appid: str,
        component_secret: str,
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
        clock: Callable[[], float] = _time.time,
    ) -> None:
        from ...core.ahttp import AsyncHTTPClient  # httpx only when an async component is made

        if not component_appid or not isinstance(component_appid, str):
            raise ConfigError("a component_appid is required")
        if not component_secret or not isinstance(component_secret, str):
            raise ConfigError("a component_secret is required")
        self.component_appid = component_appid
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.base_url = base_url
        self.max_body_size = max_body_size
        self._clock = clock
        #: The message crypto of the authorization event URL (None without token and aes_key).
        self.crypto = MessageCrypto(token, aes_key, component_appid) if token and aes_key else None
        self._message_key = (token, aes_key)  # for application(): the message URL uses the same pair
        self._client_options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "backoff": backoff,
            "sleep": sleep,
            "deadline": deadline,
            "max_body_size": max_body_size,
        }
        self.http: AsyncHTTPClient = AsyncHTTPClient(base_url, session=session, **self._client_options)
        #: The component access token's provider.
        self.tokens = AsyncComponentTokenManager(self.http, component_appid, component_secret, self.storage)
        self._authorizer_tokens: dict[str, AsyncAuthorizerTokenManager] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(component_appid={self.component_appid!r})"  # never a secret or token

    async def aclose(self) -> None:
        """Close the platform's connection pool (clients from :meth:`client` have their own)."""
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the authorization event URL -------------------------------------------------
    def parse(self, params: Mapping[str, Any] | None, body: str | bytes) -> ComponentEvent:
        """Verify (signature, timestamp), decrypt (receive id: the component appid) and type one push.

        Bad input raises :class:`~wxkit.errors.SignatureError`,
        :class:`~wxkit.errors.StaleTimestampError`,
        :class:`~wxkit.errors.DecryptError` or
        :class:`~wxkit.errors.ParseError`.
        """
        if self.crypto is None:
            raise ConfigError("receiving authorization events needs the platform's token and aes_key")
        query = params or {}

        def param(name: str) -> str:
            value = query.get(name, "")
            if isinstance(value, (list, tuple)):
                value = value[0] if value else ""
            return value if isinstance(value, str) else ""

        envelope = parse_xml(body, max_size=self.max_body_size)
        encrypted = envelope.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise ParseError("an authorization event must be encrypted (<Encrypt> missing)")
        timestamp, nonce = param("timestamp"), param("nonce")
        self.crypto.check_signature(param("msg_signature") or None, timestamp, nonce, encrypted)
        self._check_timestamp(timestamp)
        data = parse_xml(self.crypto.decrypt(encrypted), max_size=self.max_body_size)
        app_id = data.get("AppId")
        if app_id != self.component_appid:
            raise SignatureError("the event is for another platform (AppId does not match)")
        if not isinstance(data.get("InfoType"), str):
            raise ParseError("an authorization event without <InfoType>")
        return parse_component_event(data)

    def _check_timestamp(self, timestamp: str) -> None:
        window = self.timestamp_window
        if window is None:
            return
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise StaleTimestampError("timestamp is not a number of seconds")
        if abs(self._clock() - int(timestamp)) > window:
            raise StaleTimestampError(f"timestamp outside the {window:g}-second window")

    async def process(self, params: Mapping[str, Any] | None, body: str | bytes) -> str:
        """Handle one push and return ``"success"``; bad input raises a :class:`~wxkit.errors.WxError`.

        A ``component_verify_ticket`` is stored and an ``unauthorized``
        account's tokens are dropped before any handler runs (a storage
        failure is a :class:`~wxkit.errors.StorageError`: :meth:`handle`
        answers 500, so WeChat pushes again). A push already handled (WeChat
        retries one it got no answer to in time) is answered without calling
        the handler again; one whose handler raised is handled again.
        """
        event = self.parse(params, body)
        if await self._accept(event):
            await self._dispatch_once(event)
        return "success"

    async def handle(self, method: str, params: Mapping[str, Any] | None, body: str | bytes | None) -> WxResponse:
        """The authorization event URL for any framework: 200 ``success``; 403 bad signature, 400 bad input.

        A storage failure answers 500 (WeChat pushes again); a method other
        than POST 405. An exception raised by a handler is not an answer: it
        propagates (the framework answers 500 and WeChat pushes again).
        """
        if method.upper() != "POST":
            return WxResponse(405, "authorization events are POSTed")
        try:
            event = self.parse(params, body if body is not None else b"")
            fresh = await self._accept(event)
        except SignatureError as exc:
            logger.warning("rejected authorization event: %s", exc)
            return WxResponse(403, str(exc))
        except StorageError as exc:
            logger.error("authorization event not handled, the storage failed: %s", exc)
            return WxResponse(500, "storage unavailable; retry later")
        except WxError as exc:
            logger.warning("rejected authorization event: %s: %s", type(exc).__name__, exc)
            return WxResponse(400, str(exc))
        if fresh:
            await self._dispatch_once(event)
        return WxResponse(200, "success")

    @staticmethod
    def event_key(event: ComponentEvent) -> str:
        """The replay-guard key of an event: platform, InfoType, time and a digest of the whole push."""
        digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in event.raw.items())).encode()).hexdigest()[:32]
        return f"wxkit:component_event:{event.app_id}:{event.info_type}:{event.create_time}:{digest}"

    async def _accept(self, event: ComponentEvent) -> bool:
        """Store what the event carries, then claim it for handling (False: a push already handled)."""
        if isinstance(event, VerifyTicketEvent):
            if not event.ticket:
                raise ParseError("a component_verify_ticket push without <ComponentVerifyTicket>")
            await self.tokens.set_verify_ticket(event.ticket)
        elif isinstance(event, UnauthorizedEvent) and event.authorizer_appid:
            await self.forget_authorizer(event.authorizer_appid)
        key = self.event_key(event)
        claimed = await self.tokens._storage(
            "claiming an authorization event", key, self.storage.add, key, "1", self.replay_ttl
        )
        return bool(claimed)

    async def _dispatch_once(self, event: ComponentEvent) -> None:
        """Dispatch a claimed event; if its handler raises, release the claim so WeChat's retry runs it again."""
        try:
            await self.dispatch(event)
        except BaseException:
            key = self.event_key(event)
            try:
                await self.tokens._storage("releasing an authorization event", key, self.storage.delete, key)
            except StorageError:
                logger.exception("could not release the claim of a failed authorization event")
            raise

    async def dispatch(self, event: ComponentEvent) -> None:
        """Call the event's ``on_*`` handler (else ``on_default``), if defined."""
        handler = getattr(self, event.handler, None) or getattr(self, "on_default", None)
        if handler is None:
            return
        result = handler(event)
        if inspect.isawaitable(result):
            # unasync-sync: if inspect.iscoroutine(result):
            # unasync-sync:     result.close()
            await result  # unasync: raise ConfigError(f"{event.handler} is async: use AsyncComponent")

    # -- the message URL ---------------------------------------------------------------
    def application(self, app_class: type[_App] = WxApplication, /, **options: Any) -> _App:  # type: ignore[assignment]  # the default is the bound itself
        """An ``open_platform`` :class:`wxkit.WxApplication` serving every authorizer's messages (``/$APPID$``).

        ``app_class(**options)`` made with this platform's message token and
        key, the component appid as receive id, its storage (the replay
        guard is shared by every process serving the platform) and the
        platform as ``component`` (the release check uses it); ``options``
        override any of them (``release_check=True``, ``storage=`` ...).
        """
        token, aes_key = self._message_key
        if not token or not aes_key:
            raise ConfigError("the message URL needs the platform's token and aes_key")
        for name, value in (
            ("token", token),
            ("aes_key", aes_key),
            ("app_id", self.component_appid),
            ("storage", self.storage),
            ("component", self),
            ("open_platform", True),
        ):
            options.setdefault(name, value)
        return app_class(**options)

    # -- the component token -----------------------------------------------------------
    async def set_verify_ticket(self, ticket: str) -> None:
        """Store a ``component_verify_ticket`` (what :meth:`process` does with every one pushed)."""
        await self.tokens.set_verify_ticket(ticket)

    async def get_component_access_token(self) -> str:
        """The component access token (made from the stored ticket when needed)."""
        return await self.tokens.get()

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to a ``/cgi-bin/component/`` endpoint with the component token; a refused token is replaced once."""
        token = await self.tokens.get()
        retried = False
        while True:
            params = {"component_access_token": token}
            safe_url = redact_url(self.http.url(path), params)
            response = await self.http.send("POST", path, params=params, json_body=body, idempotent=False)
            try:
                return await self.http.decode(response, method="POST", safe_url=safe_url)
            except APIError as exc:
                if exc.errcode in TOKEN_ERRCODES and not retried:
                    retried = True
                    token = await self.tokens.refresh(token)
                    continue
                raise

    def _missing(self, path: str, what: str) -> TransportError:
        url = self.http.url(path)
        return TransportError(f"POST {url} answered without {what}", method="POST", url=url)

    # -- the authorization flow ----------------------------------------------------------
    async def get_pre_auth_code(self) -> str:
        """A pre-auth code (``api_create_preauthcode``, valid 30 minutes) for the authorization URLs."""
        path = "/cgi-bin/component/api_create_preauthcode"
        answer = await self._call(path, {"component_appid": self.component_appid})
        code = answer.get("pre_auth_code")
        if not isinstance(code, str) or not code:
            raise self._missing(path, "a pre_auth_code")
        return code

    def _auth_query(
        self, pre_auth_code: str, redirect_uri: str, auth_type: int | None, biz_appid: str | None
    ) -> dict[str, str]:
        if not pre_auth_code or not redirect_uri:
            raise ValueError("an authorization URL needs a pre_auth_code and a redirect_uri")
        query = {"component_appid": self.component_appid, "pre_auth_code": pre_auth_code, "redirect_uri": redirect_uri}
        if auth_type is not None:
            query["auth_type"] = str(auth_type)
        if biz_appid:
            query["biz_appid"] = biz_appid
        return query

    def authorization_url(
        self,
        pre_auth_code: str,
        redirect_uri: str,
        *,
        auth_type: int | None = None,
        biz_appid: str | None = None,
        base_url: str = LOGIN_PAGE_URL,
    ) -> str:
        """The PC authorization page (``componentloginpage``): an admin scans it and authorizes.

        ``auth_type``: 1 official accounts only, 2 mini programs only, 3 both
        (WeChat's default), 4-6 the other documented sets; ``biz_appid`` limits
        it to one account. WeChat then redirects to ``redirect_uri`` with
        ``auth_code`` and ``expires_in``, and pushes ``authorized``.
        """
        return f"{base_url}?{urlencode(self._auth_query(pre_auth_code, redirect_uri, auth_type, biz_appid))}"

    def mobile_authorization_url(
        self,
        pre_auth_code: str,
        redirect_uri: str,
        *,
        auth_type: int | None = None,
        biz_appid: str | None = None,
        base_url: str = MOBILE_AUTH_URL,
    ) -> str:
        """The mobile authorization page (``bindcomponent``, opened in WeChat); options as :meth:`authorization_url`."""
        query = {"action": "bindcomponent", "no_scan": "1"}
        query.update(self._auth_query(pre_auth_code, redirect_uri, auth_type, biz_appid))
        return f"{base_url}?{urlencode(query)}#wechat_redirect"

    async def query_auth(self, authorization_code: str) -> AuthorizationInfo:
        """Trade an authorization code for the authorizer's tokens (``api_query_auth``); its refresh token is stored.

        The refresh token is stored before this returns (a storage failure is
        a :class:`~wxkit.errors.StorageError`; the code works once, so the
        account would have to authorize again). WeChat answers 61009 for an
        invalid or spent code and 61010 for an expired one.
        """
        if not authorization_code or not isinstance(authorization_code, str):
            raise ValueError("an authorization_code is required")
        path = "/cgi-bin/component/api_query_auth"
        body = {"component_appid": self.component_appid, "authorization_code": authorization_code}
        answer = await self._call(path, body)
        info = answer.get("authorization_info")
        if not isinstance(info, dict):
            raise self._missing(path, "authorization_info")
        appid, refresh = info.get("authorizer_appid"), info.get("authorizer_refresh_token")
        if not isinstance(appid, str) or not appid or not isinstance(refresh, str) or not refresh:
            raise self._missing(path, "authorizer_appid and authorizer_refresh_token")
        tokens = self.authorizer_tokens(appid)
        try:
            await tokens.set_refresh_token(refresh)
        except StorageError as exc:
            raise StorageError(
                f"the storage failed storing the refresh token of {appid}; the authorization code is spent:"
                " the account must authorize again",
                key=tokens.refresh_key,
            ) from exc
        await tokens.shared._io(self.storage.delete, tokens.key)  # a token cached from a former authorization
        kept = {k: v for k, v in info.items() if k not in ("authorizer_access_token", "authorizer_refresh_token")}
        return AuthorizationInfo(authorizer_appid=appid, func_info=_func_ids(info), raw=kept)

    async def get_authorizer_info(self, authorizer_appid: str) -> dict[str, Any]:
        """An authorizer's profile and grants (``api_get_authorizer_info``).

        The answer holds ``authorizer_info`` and ``authorization_info``.

        The refresh token WeChat includes is removed from the answer.
        """
        body = {"component_appid": self.component_appid, "authorizer_appid": authorizer_appid}
        answer = await self._call("/cgi-bin/component/api_get_authorizer_info", body)
        info = answer.get("authorization_info")
        if isinstance(info, dict):
            info.pop("authorizer_refresh_token", None)
        return answer

    async def get_authorizer_option(self, authorizer_appid: str, option_name: str) -> str:
        """An authorizer's option (``api_get_authorizer_option``).

        ``option_name``: ``location_report``, ``voice_recognize`` or ``customer_service``.
        """
        path = "/cgi-bin/component/api_get_authorizer_option"
        body = {
            "component_appid": self.component_appid,
            "authorizer_appid": authorizer_appid,
            "option_name": option_name,
        }
        answer = await self._call(path, body)
        return str(answer.get("option_value", ""))

    async def set_authorizer_option(self, authorizer_appid: str, option_name: str, option_value: str) -> None:
        """Set an authorizer's option (``api_set_authorizer_option``)."""
        body = {
            "component_appid": self.component_appid,
            "authorizer_appid": authorizer_appid,
            "option_name": option_name,
            "option_value": option_value,
        }
        await self._call("/cgi-bin/component/api_set_authorizer_option", body)

    async def list_authorizers(self, *, count: int = 500) -> AsyncIterator[dict[str, Any]]:
        """Every account that authorized the platform (``api_get_authorizer_list``), page by page.

        Yields ``{"authorizer_appid", "auth_time", ...}`` dicts (``count``
        per request, at most 500); the refresh token WeChat includes is not
        yielded (:meth:`set_refresh_token` stores one if needed).
        """
        if not 1 <= count <= 500:
            raise ValueError("count must be between 1 and 500")
        path = "/cgi-bin/component/api_get_authorizer_list"
        offset = 0
        while True:
            body = {"component_appid": self.component_appid, "offset": offset, "count": count}
            answer = await self._call(path, body)
            items = answer.get("list")
            if not isinstance(items, list):
                raise self._missing(path, "a list")
            for item in items:
                if isinstance(item, dict):
                    yield {k: v for k, v in item.items() if k != "refresh_token"}
            offset += len(items)
            total = answer.get("total_count")
            if not items or not isinstance(total, int) or offset >= total:
                return

    async def _sns(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GET an ``/sns/`` endpoint on behalf of an authorizer with the component token (replaced once if refused)."""
        token = await self.tokens.get()
        retried = False
        while True:
            query = {**params, "component_appid": self.component_appid, "component_access_token": token}
            safe_url = redact_url(self.http.url(path), query)
            response = await self.http.send("GET", path, params=query, idempotent=False)
            try:
                return await self.http.decode(response, method="GET", safe_url=safe_url)
            except APIError as exc:
                if exc.errcode in TOKEN_ERRCODES and not retried:
                    retried = True
                    token = await self.tokens.refresh(token)
                    continue
                raise

    async def jscode2session(self, authorizer_appid: str, js_code: str) -> dict[str, Any]:
        """Mini-program login on behalf of an authorizer (``/sns/component/jscode2session``).

        Returns ``openid``, ``session_key`` (a secret: keep it server-side)
        and ``unionid`` when the user has one.
        """
        if not authorizer_appid or not js_code:
            raise ValueError("jscode2session needs the authorizer_appid and a js_code")
        params = {"appid": authorizer_appid, "js_code": js_code, "grant_type": "authorization_code"}
        return await self._sns("/sns/component/jscode2session", params)

    async def oauth_access_token(self, authorizer_appid: str, code: str) -> dict[str, Any]:
        """Web OAuth on behalf of an official account (``/sns/oauth2/component/access_token``).

        Trades the ``code`` the user's redirect carried for ``access_token``,
        ``refresh_token``, ``openid`` and ``scope`` (the user's tokens).
        """
        if not authorizer_appid or not code:
            raise ValueError("oauth_access_token needs the authorizer_appid and a code")
        params = {"appid": authorizer_appid, "code": code, "grant_type": "authorization_code"}
        return await self._sns("/sns/oauth2/component/access_token", params)

    # -- acting for authorizers --------------------------------------------------------
    async def set_refresh_token(self, authorizer_appid: str, refresh_token: str) -> None:
        """Store an authorizer's refresh token (one kept elsewhere, e.g. migrated from another system)."""
        await self.authorizer_tokens(authorizer_appid).set_refresh_token(refresh_token)

    async def forget_authorizer(self, authorizer_appid: str) -> None:
        """Drop an authorizer's refresh token and cached token (done for every ``unauthorized`` push).

        Its clients then raise :class:`~wxkit.errors.AccessTokenError` (no
        refresh token stored) until it authorizes again.
        """
        tokens = self.authorizer_tokens(authorizer_appid)
        for key in (authorizer_refresh_token_key(self.component_appid, authorizer_appid), tokens.key):
            await tokens._storage("dropping the tokens of an unauthorized account", key, self.storage.delete, key)

    def authorizer_tokens(self, authorizer_appid: str) -> AsyncAuthorizerTokenManager:
        """The token provider of ``authorizer_appid`` (one per account, made once)."""
        tokens = self._authorizer_tokens.get(authorizer_appid)
        if tokens is None:
            tokens = self._authorizer_tokens.setdefault(
                authorizer_appid, AsyncAuthorizerTokenManager(self.http, self.tokens, authorizer_appid, self.storage)
            )
        return tokens

    async def authorizer_token(self, authorizer_appid: str) -> str:
        """The ``authorizer_access_token`` of ``authorizer_appid`` (made from its refresh token when needed)."""
        return await self.authorizer_tokens(authorizer_appid).get()

    def client(self, authorizer_appid: str, **options: Any) -> AsyncClient:
        """A :class:`wxkit.Client` acting for the official account ``authorizer_appid``.

        Its token is the authorizer's (:meth:`authorizer_tokens`), shared
        through this platform's storage; ``options`` go to the client
        (``timeout``, ``session`` ...; ``base_url`` defaults to this platform's).
        """
        from ...client import AsyncClient  # the public constructor, imported on first use

        options.setdefault("base_url", self.base_url)
        tokens = self.authorizer_tokens(authorizer_appid)
        return AsyncClient(authorizer_appid, storage=self.storage, tokens=tokens, **options)

    def miniprogram_client(self, authorizer_appid: str, **options: Any) -> AsyncMiniProgramClient:
        """A :class:`wxkit.miniprogram.MiniProgramClient` acting for the mini program ``authorizer_appid``.

        As :meth:`client`: the authorizer's token, this platform's storage.
        """
        from ...miniprogram import AsyncMiniProgramClient  # the public constructor, imported on first use

        options.setdefault("base_url", self.base_url)
        tokens = self.authorizer_tokens(authorizer_appid)
        return AsyncMiniProgramClient(authorizer_appid, storage=self.storage, tokens=tokens, **options)
