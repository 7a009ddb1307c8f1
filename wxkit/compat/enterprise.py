"""The old SDK's ``wechat.enterprise``: a WeCom :class:`WxApplication` in its shape.

Change ``from wechat.enterprise import ...`` to ``from wxkit.compat.enterprise import ...``
and the old code runs on :class:`wxkit.work.WorkApplication`. See ``docs/migrating.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..app import _UNSET
from ..errors import ConfigError
from ..work.app import WorkApplication
from ._app import CompatHooks, placeholder_aes_key, placeholder_secret
from .models import (
    WxArticle,
    WxEmptyResponse,
    WxImage,
    WxImageResponse,
    WxLink,
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
    "WxNewsResponse",
    "WxRequest",
    "WxResponse",
    "WxTextResponse",
    "WxVideo",
    "WxVideoResponse",
    "WxVoice",
    "WxVoiceResponse",
]


class WxApplication(CompatHooks, WorkApplication):
    """The old SDK's WeCom (企业号) application, on :class:`wxkit.work.WorkApplication`.

    Configure with the old class attributes ``SECRET_TOKEN``, ``CORP_ID`` and
    ``ENCODING_AES_KEY`` (WeCom always encrypts), or give them to
    ``process(params, xml, token=..., corp_id=..., aes_key=...)`` only. The URL
    check decrypts ``echostr``. Handlers and hooks work as in
    :class:`wxkit.compat.official.WxApplication`; the request is ``self.req``.
    """

    SECRET_TOKEN: ClassVar[str | None] = None
    CORP_ID: ClassVar[str | None] = None
    ENCODING_AES_KEY: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        token: str | None = None,
        corp_id: str | None = None,
        aes_key: str | None = None,
        receive_id: str | None = _UNSET,
        **kwargs: Any,
    ) -> None:
        token = token or self.token or self.SECRET_TOKEN
        corp_id = corp_id or self.corp_id or self.CORP_ID
        aes_key = aes_key or self.aes_key or self.ENCODING_AES_KEY
        given = {"token": token, "corp_id": corp_id, "aes_key": aes_key}
        self._missing = tuple(name for name, value in given.items() if not value)
        self._receive_id_is_corp_id = receive_id is _UNSET and type(self).receive_id is None
        super().__init__(
            token=token or placeholder_secret(),
            corp_id=corp_id or placeholder_secret(),
            aes_key=aes_key or placeholder_aes_key(),
            receive_id=receive_id,
            **kwargs,
        )
        self._overrides: dict[tuple[str | None, str | None, str | None], WxApplication] = {}
        self._compat_init()

    def _require(self, token: str | None, corp_id: str | None, aes_key: str | None) -> None:
        given = {"token": token, "corp_id": corp_id, "aes_key": aes_key}
        missing = [name for name in self._missing if not given[name]]
        if missing:
            names = " / ".join(missing)
            raise ConfigError(
                f"{type(self).__name__}: no {names}; set SECRET_TOKEN / CORP_ID / ENCODING_AES_KEY "
                "or pass them to process()"
            )

    def process(
        self,
        params: Mapping[str, Any] | None,
        xml: str | bytes | None = None,
        token: str | None = None,
        corp_id: str | None = None,
        aes_key: str | None = None,
    ) -> str:
        """Handle one request, as the old SDK's enterprise ``process``.

        ``token`` / ``corp_id`` / ``aes_key`` override the configured ones for
        this call; those not configured are required here (a
        :class:`~wxkit.errors.ConfigError` otherwise). An empty ``xml`` is the
        URL check, as in the old SDK.
        """
        self._require(token, corp_id, aes_key)
        if token or corp_id or aes_key:
            return self._with_credentials(token, corp_id, aes_key).process(params, xml or None)
        return super().process(params, xml or None)

    def verify_url(self, params: Mapping[str, Any] | None) -> str:
        """Answer WeCom's URL check; needs the credentials configured (or given to ``process``)."""
        self._require(None, None, None)
        return super().verify_url(params)

    def _with_credentials(self, token: str | None, corp_id: str | None, aes_key: str | None) -> WxApplication:
        key = (token, corp_id, aes_key)
        app = self._overrides.get(key)
        if app is None:
            app = type(self).__new__(type(self))
            app.__dict__.update(self.__dict__)
            corp_id = corp_id or self.corp_id
            WorkApplication.__init__(
                app,
                token=token or self.token,
                corp_id=corp_id,
                aes_key=aes_key or self.aes_key,
                receive_id=corp_id if self._receive_id_is_corp_id else self.receive_id,
                storage=self.storage,
                timestamp_window=self.timestamp_window,
                dedup_ttl=self.dedup_ttl,
                max_body_size=self.max_body_size,
                clock=self._clock,
            )
            app._missing = ()
            app._overrides = {}
            if len(self._overrides) > 256:
                self._overrides.clear()
            self._overrides[key] = app
        app.handlers = self.handlers
        app.event_handlers = self.event_handlers
        return app
