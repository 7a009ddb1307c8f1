"""Run code written for the old ``wechat`` SDK (jeffkit's wechat-python-sdk) on wxkit.

Change only the import line:

=====================================  ==========================================
old                                    wxkit
=====================================  ==========================================
``from wechat.official import ...``    ``from wxkit.compat import ...`` (or ``wxkit.compat.official``)
``from wechat.enterprise import ...``  ``from wxkit.compat.enterprise import ...``
``from wechat.models import ...``      ``from wxkit.compat.models import ...``
=====================================  ==========================================

This package exports the official-account names: :class:`WxApplication` (the
old application on :class:`wxkit.WxApplication`), :class:`WxRequest` (what
handlers receive: ``req.Content``, ``req.FromUserName``) and the old
responses and media records. The CamelCase names exist only here; wxkit's own
messages stay snake_case. See ``docs/migrating.md``, which also shows the
move from this module to native wxkit.
"""

from __future__ import annotations

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
from .official import WxApplication

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
