"""Web OAuth (网页授权): a page learns who the WeChat user is.

These are *user* tokens, not the app's access token::

    oauth = OAuth("wx...", "secret")                     # or client.oauth
    url = oauth.authorize_url("https://example.com/me", scope="snsapi_userinfo", state="x1")
    # ... WeChat redirects the browser to https://example.com/me?code=CODE&state=x1
    token = oauth.fetch_token(code)                      # a UserToken: openid, scope, ...
    profile = oauth.userinfo(token.access_token, token.openid)

Endpoints (``https://api.weixin.qq.com``): ``GET /sns/oauth2/access_token``,
``GET /sns/oauth2/refresh_token``, ``GET /sns/userinfo``, ``GET /sns/auth``;
the authorize page is on ``https://open.weixin.qq.com``. A code is good for
one exchange within five minutes: a reused code answers 40163, an unknown or
expired one 40029 (both :class:`~wxkit.errors.InvalidArgumentError`). A token
answer lacking ``openid`` or ``access_token`` (or with an empty one) is refused
with :class:`~wxkit.errors.APIError` errcode -2, never turned into a user with
no openid. The app secret, codes and tokens never appear in errors or reprs.
"""
# Generated from wxkit/_async/oauth.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .core.redact import redact_url
from .errors import APIError, ConfigError
from .oauth_token import (
    _DEFAULT_BASE_URL,
    _INVALID_TOKEN,
    _STATE,
    _TOKEN_FIELDS,
    DEFAULT_OPEN_URL,
    OAUTH_SCOPES,
    UserToken,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from .core.http import HTTPClient

__all__ = ["DEFAULT_OPEN_URL", "OAUTH_SCOPES", "OAuth", "UserToken"]


class OAuth:
    """Web OAuth for one official account (written once here; the sync ``OAuth`` is generated).

    ``http`` is the :class:`~wxkit.core.http.HTTPClient` to use (the
    :class:`~wxkit.Client` passes its own); without it one is made for
    ``base_url``. ``open_url`` is where :meth:`authorize_url` points (the
    emulator serves both: pass its ``url`` as both). Used as a context
    manager, or closed explicitly, it closes the connection pool it made; a
    given ``http`` (a client's) is its owner's to close.
    """

    def __init__(
        self,
        appid: str,
        secret: str | None,
        *,
        http: HTTPClient | None = None,
        base_url: str = _DEFAULT_BASE_URL,
        open_url: str = DEFAULT_OPEN_URL,
    ) -> None:
        self._own_http = http is None
        if http is None:
            from .core.http import HTTPClient  # requests (httpx) only when OAuth is used

            http = HTTPClient(base_url)
        self.appid = appid
        self._secret = secret
        self.http = http
        self.open_url = open_url.rstrip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r})"  # never the secret

    def close(self) -> None:
        """Close the connection pool this OAuth made (an ``http`` given to it, e.g. a client's, is left open)."""
        if self._own_http:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def authorize_url(
        self, redirect_uri: str, scope: str = "snsapi_base", state: str = "", *, force_popup: bool = False
    ) -> str:
        """The page to send the browser to: ``/connect/oauth2/authorize?...#wechat_redirect``.

        ``scope`` is ``snsapi_base`` (silent, openid only) or
        ``snsapi_userinfo`` (asks the user; allows :meth:`userinfo`).
        ``state`` (letters and digits, at most 128) comes back unchanged with
        the code; use it against CSRF. ``force_popup`` adds ``forcePopup=true``
        (always ask the user). ``redirect_uri`` is URL-encoded here.
        """
        if scope not in OAUTH_SCOPES:
            raise ConfigError(f"scope must be one of {OAUTH_SCOPES}, not {scope!r}")
        if not _STATE.fullmatch(state):
            raise ConfigError("state must be at most 128 letters and digits")
        params = [
            ("appid", self.appid),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", scope),
            ("state", state),
        ]
        if force_popup:
            params.append(("forcePopup", "true"))
        return f"{self.open_url}/connect/oauth2/authorize?{urlencode(params, quote_via=quote)}#wechat_redirect"

    def fetch_token(self, code: str) -> UserToken:
        """Exchange the ``code`` WeChat added to the redirect: ``GET /sns/oauth2/access_token``.

        Never re-sent once it may have reached WeChat (a code is single-use).
        Errors: 40029 (unknown or expired code), 40163 (code used already);
        an answer without a non-empty ``openid`` or ``access_token`` is
        :class:`~wxkit.errors.APIError` with errcode -2.
        """
        if not self._secret:
            raise ConfigError("web OAuth needs the app secret to exchange a code")
        params = {"appid": self.appid, "secret": self._secret, "code": code, "grant_type": "authorization_code"}
        path = "/sns/oauth2/access_token"
        return UserToken.from_response(self._require(path, self._call(path, params, idempotent=False), _TOKEN_FIELDS))

    def refresh(self, refresh_token: str) -> UserToken:
        """A fresh user token from a ``refresh_token`` (valid 30 days): ``GET /sns/oauth2/refresh_token``.

        Errors: 40030 (invalid refresh_token), 42002 (expired); an answer
        without ``openid`` or ``access_token``: errcode -2, as :meth:`fetch_token`.
        """
        params = {"appid": self.appid, "grant_type": "refresh_token", "refresh_token": refresh_token}
        path = "/sns/oauth2/refresh_token"
        return UserToken.from_response(self._require(path, self._call(path, params), _TOKEN_FIELDS))

    def userinfo(self, access_token: str, openid: str, *, lang: str = "zh_CN") -> dict[str, Any]:
        """The user's profile: ``GET /sns/userinfo`` (``lang``: ``zh_CN``, ``zh_TW`` or ``en``).

        Returns WeChat's dict (``openid``, ``nickname``, ``sex``, ``province``,
        ``city``, ``country``, ``headimgurl``, ``privilege``, ``unionid`` when
        bound); since 2021-10-20 ``sex`` is 0 and the region empty. Needs a ``snsapi_userinfo`` token, else 48001
        (:class:`~wxkit.errors.PermissionDeniedError`); an answer without
        ``openid`` is :class:`~wxkit.errors.APIError` with errcode -2.
        """
        params = {"access_token": access_token, "openid": openid, "lang": lang}
        return self._require("/sns/userinfo", self._call("/sns/userinfo", params), ("openid",))

    def check(self, access_token: str, openid: str) -> bool:
        """Whether a user token is still valid for ``openid``: ``GET /sns/auth``.

        False for an invalid or expired token or a mismatched openid (40001,
        40003, 40014, 42001); other errors raise.
        """
        try:
            self._call("/sns/auth", {"access_token": access_token, "openid": openid})
        except APIError as exc:
            if exc.errcode in _INVALID_TOKEN:
                return False
            raise
        return True

    # -- internals ------------------------------------------------------------
    def _require(self, path: str, data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        """``data``, unless a field the caller relies on is missing or empty: then ``APIError(-2)``.

        An openid of ``""`` would otherwise be stored as the user and send a
        login view back to WeChat forever. The answer itself (it may hold a
        token) is not carried in the error.
        """
        for name in names:
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                raise APIError(-2, f"{path} answered without {name}", method="GET", url=self.http.url(path))
        return data

    def _call(self, path: str, params: dict[str, Any], *, idempotent: bool = True) -> dict[str, Any]:
        safe_url = redact_url(self.http.url(path), params)
        response = self.http.send("GET", path, params=params, idempotent=idempotent)
        try:
            return self.http.decode(response, method="GET", safe_url=safe_url)
        finally:
            self.http.close_response(response)
