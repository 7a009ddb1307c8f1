"""The old SDK's ``wechat.official``: an official-account :class:`WxApplication` in its shape.

Change ``from wechat.official import ...`` to ``from wxkit.compat.official import ...``
(or ``from wxkit.compat import ...``) and the old code runs on wxkit's inbound core:
signatures checked in constant time, strict AES, the replay guard, safe XML.
See ``docs/migrating.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .. import app as _app
from ..errors import ConfigError
from ._app import CompatHooks, placeholder_secret
from .models import (
    WxArticle,
    WxEmptyResponse,
    WxImage,
    WxImageResponse,
    WxLink,
    WxMusic,
    WxMusicResponse,
    WxNewsResponse,
    WxRequest,
    WxResponse,
    WxTextResponse,
    WxVideo,
    WxVideoResponse,
    WxVoice,
    WxVoiceResponse,
)

__all__ = [
    "WxApplication",
    "WxArticle",
    "WxEmptyResponse",
    "WxImage",
    "WxImageResponse",
    "WxLink",
    "WxMusic",
    "WxMusicResponse",
    "WxNewsResponse",
    "WxRequest",
    "WxResponse",
    "WxTextResponse",
    "WxVideo",
    "WxVideoResponse",
    "WxVoice",
    "WxVoiceResponse",
]


class WxApplication(CompatHooks, _app.WxApplication):
    """The old SDK's official-account application, on :class:`wxkit.WxApplication`.

    Configure with the old class attributes - ``SECRET_TOKEN``, ``APP_ID`` (or
    ``WECHAT_APPID``), ``ENCODING_AES_KEY``, ``UNSUPPORT_TXT``, ``WELCOME_TXT``;
    ``WECHAT_APPSECRET`` is accepted and unused (the inbound side needs no
    secret) - or give ``token`` / ``app_id`` / ``aes_key`` to
    ``process(params, xml, token=..., app_id=..., aes_key=...)`` only.

    Handlers (``on_text(self, req)``, ``handlers`` / ``event_handlers``
    entries) receive a :class:`~wxkit.compat.models.WxRequest` (``req.Content``,
    ``req.FromUserName``) and return the old responses, wxkit replies, a
    ``str`` or ``None``. ``pre_process(self)`` / ``post_process(self, rsp)``
    keep their old signatures; the request is ``self.wxreq``. Everything else
    is :class:`wxkit.WxApplication`: ``process`` raises typed errors where
    the old SDK returned error text, ``handle`` answers 4xx, and the adapters
    in ``wxkit.adapters`` serve it.

    Compat applications share one in-process replay-guard storage unless
    given ``storage=``, so building one per request (as the old examples do)
    still suppresses WeChat's retries within a process.
    """

    WECHAT_APPID: ClassVar[str | None] = None
    WECHAT_APPSECRET: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        token = token or self.token or self.SECRET_TOKEN
        self._token_missing = not token
        app_id = app_id or self.app_id or self.APP_ID or self.WECHAT_APPID
        super().__init__(token=token or placeholder_secret(), app_id=app_id, aes_key=aes_key, **kwargs)
        self._compat_init()

    def _require_token(self, token: str | None) -> None:
        if self._token_missing and not token:
            raise ConfigError(
                f"{type(self).__name__}: no token; set SECRET_TOKEN (or token=) or pass token= to process()"
            )

    def process(
        self,
        params: Mapping[str, Any] | None,
        xml: str | bytes | None = None,
        token: str | None = None,
        app_id: str | None = None,
        aes_key: str | None = None,
        *,
        authorizer_appid: str | None = None,
    ) -> str:
        """Handle one request, as the old SDK's ``process`` (see :meth:`wxkit.WxApplication.process`).

        An empty ``xml`` (``b""``: the body of the GET a Django or Flask view
        passes on) is the URL check, as in the old SDK. Without a configured
        token, ``token=`` is required here: a :class:`~wxkit.errors.ConfigError`
        otherwise.
        """
        self._require_token(token)
        return super().process(params, xml or None, token, app_id, aes_key, authorizer_appid=authorizer_appid)

    def verify_url(self, params: Mapping[str, Any] | None) -> str:
        """Answer WeChat's URL check; needs a configured token (or ``process(..., token=...)``)."""
        self._require_token(None)
        return super().verify_url(params)

    def _with_credentials(self, token: str | None, app_id: str | None, aes_key: str | None) -> _app.WxApplication:
        app = super()._with_credentials(token, app_id, aes_key)
        assert isinstance(app, WxApplication)
        app._token_missing = False  # process() checked that a token is configured or given
        # handlers assigned on this instance since the copy was made reach the copy too
        app.handlers = self.handlers
        app.event_handlers = self.event_handlers
        return app
