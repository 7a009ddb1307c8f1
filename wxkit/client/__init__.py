"""The official-account HTTP API client: :class:`Client`.

::

    from wxkit import Client

    client = Client("wx...", "secret")
    client.template.send(openid, template_id, data={"thing1": {"value": "hi"}})
    client.get("/cgi-bin/get_api_domain_ip")          # any endpoint not wrapped yet

API groups are attributes named after WeChat's doc groups (``client.user``,
``client.tag``, ``client.menu`` ...). Every call adds the access token,
follows the HTTP rules of :mod:`wxkit.client.http`, and on a token error
(40001 / 40014 / 42001) drops the token only if it is still the one that
failed, fetches again and retries the call once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ..errors import TOKEN_ERRCODES, AccessTokenError, APIError, SystemBusyError, TransportError
from ..oauth import OAuth
from ..storage import MemoryStorage, Storage
from .autoreply import AutoReplyAPI
from .draft import DraftAPI
from .freepublish import FreePublishAPI
from .http import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DOWNLOAD_SIZE, DEFAULT_TIMEOUT, HTTPClient, Timeout, redact_url
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
from .token import TokenManager
from .user import UserAPI

__all__ = ["Client"]

DEFAULT_BASE_URL = "https://api.weixin.qq.com"


class Client:
    """An official account's API client.

    ``storage`` holds the access token (default: a private
    :class:`~wxkit.storage.MemoryStorage`; use a ``RedisStorage`` to share
    it between processes). ``token_mode`` is ``"stable"`` (default,
    ``/cgi-bin/stable_token``) or ``"classic"`` (``/cgi-bin/token``).
    ``token_source`` is a callable returning the token when a central service
    owns it. ``timeout`` is ``(connect, read)`` seconds or one number;
    ``max_retries`` bounds re-sends where they are safe. ``deadline`` bounds
    one call as a whole, re-sends and body included (default: the worst
    case of the timeouts and retries). ``max_body_size`` bounds a JSON
    answer and ``max_download_size`` a file read into memory, in decoded
    bytes (see :mod:`wxkit.client.http`).
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
        session: requests.Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.2,
        token_source: Callable[[], str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.http = HTTPClient(
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
        self.tokens = TokenManager(self.http, appid, secret, self.storage, mode=token_mode, token_source=token_source)
        self._mount()

    def _mount(self) -> None:
        """Attach the API groups (one line each)."""
        self.message = MessageAPI(self)
        self.template = TemplateAPI(self)
        self.subscribe = SubscribeAPI(self)
        self.user = UserAPI(self)
        self.tag = TagAPI(self)
        self.menu = MenuAPI(self)
        self.media = MediaAPI(self)
        self.material = MaterialAPI(self)
        self.draft = DraftAPI(self)
        self.freepublish = FreePublishAPI(self)
        self.qrcode = QRCodeAPI(self)
        self.jssdk = JSSDKAPI(self)
        self.kf = KfAPI(self)
        self.misc = MiscAPI(self)
        self.autoreply = AutoReplyAPI(self)
        self.oauth = OAuth(self.appid, self._secret, http=self.http)

    def __repr__(self) -> str:
        return f"Client(appid={self.appid!r})"  # never the secret or a token

    @property
    def access_token(self) -> str:
        """The current access token (fetched if needed)."""
        return self.tokens.get()

    # -- the raw escape hatch ---------------------------------------------------
    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: Timeout | None = None,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """``GET`` any API path with the token, retries and error handling; return the JSON."""
        return self.request("GET", path, params=params, timeout=timeout, with_token=with_token)

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        data: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool = False,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """``POST`` any API path (JSON, or multipart ``files``); return the JSON.

        A POST is never re-sent once it may have reached WeChat, unless
        ``idempotent=True`` (reads such as batch-get).
        """
        return self.request(
            "POST",
            path,
            params=params,
            json=json,
            files=files,
            data=data,
            timeout=timeout,
            idempotent=idempotent,
            with_token=with_token,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """Call an API path and return its decoded JSON (see :meth:`get` / :meth:`post`)."""
        response, decoded = self.send(
            method,
            path,
            params=params,
            json=json,
            files=files,
            data=data,
            timeout=timeout,
            idempotent=idempotent,
            with_token=with_token,
        )
        if decoded is None:
            safe_url = redact_url(self.http.url(path), params)
            ctype = response.headers.get("Content-Type", "")
            response.close()
            raise TransportError(f"{method} {safe_url} answered {ctype!r}, not JSON", method=method, url=safe_url)
        return decoded

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
        with_token: bool = True,
        stream: bool = False,
    ) -> tuple[requests.Response, dict[str, Any] | None]:
        """Send a call with the token rules; return ``(response, decoded JSON or None)``.

        A JSON body is decoded and checked for errcodes; a body of another type
        (a media download) is returned undecoded, streamed if ``stream``.
        """
        method = method.upper()
        read = (method == "GET") if idempotent is None else idempotent
        busy_retries = self.http.max_retries if read else 0
        token: str | None = self.tokens.get() if with_token else None
        refreshed = False
        safe_url = redact_url(self.http.url(path), params)
        if files is not None and with_token:
            # A token refresh re-sends the call: read file objects once so the retry carries the same bytes.
            files = _buffer_files(files)
        while True:
            query = dict(params or {})
            if token is not None:
                query["access_token"] = token
            response = self.http.send(
                method,
                path,
                params=query,
                json_body=json,
                data=data,
                files=files,
                timeout=timeout,
                idempotent=read,
                stream=stream,
            )
            if not _is_json(response):
                return response, None
            try:
                return response, self.http.decode(response, method=method, safe_url=safe_url)
            except APIError as exc:
                if exc.errcode in TOKEN_ERRCODES and token is not None:
                    if refreshed:
                        raise AccessTokenError(
                            exc.errcode, exc.errmsg, method=method, url=safe_url, response=exc.response
                        ) from None
                    token = self.tokens.refresh(token)
                    refreshed = True
                    continue
                if isinstance(exc, SystemBusyError) and busy_retries > 0:
                    busy_retries -= 1
                    self.http.pause(1)
                    continue
                raise


def _buffer_files(files: Any) -> Any:
    """Replace file objects in a requests ``files`` mapping by their bytes (read once)."""
    if not isinstance(files, Mapping):
        return files
    out: dict[str, Any] = {}
    for name, value in files.items():
        if isinstance(value, tuple) and len(value) >= 2 and hasattr(value[1], "read"):
            out[name] = (value[0], value[1].read(), *value[2:])
        elif hasattr(value, "read"):
            out[name] = (getattr(value, "name", name), value.read())
        else:
            out[name] = value
    return out


def _is_json(response: requests.Response) -> bool:
    """Whether a response carries JSON (WeChat labels it application/json, text/plain or nothing)."""
    ctype = response.headers.get("Content-Type", "").lower()
    return not ctype or "json" in ctype or ctype.startswith("text/")
