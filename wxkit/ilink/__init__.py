"""Personal-account bots on WeChat's iLink Bot API (the ClawBot channel): QR login, long-poll, replies.

::

    from wxkit.ilink import ILinkBot, ILinkLogin

    credentials = ILinkLogin(storage=storage).wait(lambda code: print(code.url))

    class Echo(ILinkBot):
        def on_text(self, message):
            return message.text

    Echo.from_credentials(credentials, storage=storage).run()

``ILinkBot`` / ``ILinkLogin`` are sync (``requests``); ``AsyncILinkBot`` /
``AsyncILinkLogin`` are their asyncio twins (``httpx``), generated from one
source. See docs/ilink.md.
"""

from __future__ import annotations

from ._async.bot import AsyncILinkBot
from ._async.login import AsyncILinkLogin
from .bot import ILinkBot
from .errors import SESSION_EXPIRED, ILinkError, ILinkSessionExpired
from .login import ILinkLogin
from .protocol import DEFAULT_BASE_URL, DEFAULT_TEXT_LIMIT, split_text
from .types import (
    FileItem,
    ILinkCredentials,
    ILinkFileReply,
    ILinkImageReply,
    ILinkMessage,
    ILinkReply,
    ILinkTextReply,
    ILinkVideoReply,
    ImageItem,
    QRCode,
    QRStatus,
    RefMessage,
    TextItem,
    UnknownItem,
    VideoItem,
    VoiceItem,
)

__all__ = [
    "AsyncILinkBot",
    "AsyncILinkLogin",
    "DEFAULT_BASE_URL",
    "DEFAULT_TEXT_LIMIT",
    "FileItem",
    "ILinkBot",
    "ILinkCredentials",
    "ILinkError",
    "ILinkFileReply",
    "ILinkImageReply",
    "ILinkLogin",
    "ILinkMessage",
    "ILinkReply",
    "ILinkSessionExpired",
    "ILinkTextReply",
    "ILinkVideoReply",
    "ImageItem",
    "QRCode",
    "QRStatus",
    "RefMessage",
    "SESSION_EXPIRED",
    "TextItem",
    "UnknownItem",
    "VideoItem",
    "VoiceItem",
    "split_text",
]
