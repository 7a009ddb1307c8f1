"""wxkit: a typed, safe-by-default SDK for the WeChat platforms.

The inbound core is importable without ``requests``::

    from wxkit import WxApplication

    class Bot(WxApplication):
        token = "..."

        def on_text(self, msg):
            return msg.content
"""

from __future__ import annotations

import typing

__version__ = "0.1.0.dev0"

# Every name is imported on first use (PEP 562, :mod:`wxkit._lazy`): ``import wxkit.client`` or
# ``import wxkit.pay.v3`` does not build the inbound core's typed classes, and the inbound core never
# pulls in ``requests`` (nor ``httpx`` before an ``AsyncClient`` is made).
if typing.TYPE_CHECKING:
    from .app import BaseApplication, WxApplication, WxResponse
    from .client import AsyncClient, Client
    from .crypto import MessageCrypto, check_signature, sha1_signature
    from .errors import (
        AccessTokenError,
        APIError,
        ConfigError,
        DecryptError,
        DuplicateMessageError,
        InvalidArgumentError,
        ParseError,
        PermissionDeniedError,
        RateLimitError,
        ReplayError,
        SessionError,
        SignatureError,
        StaleTimestampError,
        StorageError,
        SystemBusyError,
        TransportError,
        UserStateError,
        WxError,
    )
    from .events import Event, UnknownEvent
    from .messages import BaseMessage, Message, UnknownMessage
    from .replies import (
        Article,
        ImageReply,
        MusicReply,
        NewsReply,
        Reply,
        SuccessReply,
        TextReply,
        TransferCustomerServiceReply,
        VideoReply,
        VoiceReply,
    )
    from .storage import MemoryStorage, RedisStorage, Storage
else:
    from . import _lazy

    __getattr__, __dir__ = _lazy.attach(
        __name__,
        {
            "app": ("BaseApplication", "WxApplication", "WxResponse"),
            "client": ("AsyncClient", "Client"),
            "crypto": ("MessageCrypto", "check_signature", "sha1_signature"),
            "errors": (
                "APIError",
                "AccessTokenError",
                "ConfigError",
                "DecryptError",
                "DuplicateMessageError",
                "InvalidArgumentError",
                "ParseError",
                "PermissionDeniedError",
                "RateLimitError",
                "ReplayError",
                "SessionError",
                "SignatureError",
                "StaleTimestampError",
                "StorageError",
                "SystemBusyError",
                "TransportError",
                "UserStateError",
                "WxError",
            ),
            "_eventbase": ("Event", "UnknownEvent"),  # wxkit.events' names, without its other classes
            "messages": ("BaseMessage", "Message", "UnknownMessage"),
            "replies": (
                "Article",
                "ImageReply",
                "MusicReply",
                "NewsReply",
                "Reply",
                "SuccessReply",
                "TextReply",
                "TransferCustomerServiceReply",
                "VideoReply",
                "VoiceReply",
            ),
            "storage": ("MemoryStorage", "RedisStorage", "Storage"),
        },
        # what ``import wxkit`` used to load as a side effect: ``wxkit.events.X`` keeps working
        [
            "app",
            "crypto",
            "errors",
            "events",
            "jsoncodec",
            "messages",
            "observe",
            "replies",
            "routing",
            "session",
            "storage",
            "xmlcodec",
        ],
    )

__all__ = [
    "APIError",
    "AccessTokenError",
    "Article",
    "AsyncClient",
    "BaseApplication",
    "BaseMessage",
    "Client",
    "ConfigError",
    "DecryptError",
    "DuplicateMessageError",
    "Event",
    "ImageReply",
    "InvalidArgumentError",
    "MemoryStorage",
    "Message",
    "MessageCrypto",
    "MusicReply",
    "NewsReply",
    "ParseError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedisStorage",
    "ReplayError",
    "Reply",
    "SessionError",
    "SignatureError",
    "StaleTimestampError",
    "Storage",
    "StorageError",
    "SuccessReply",
    "SystemBusyError",
    "TextReply",
    "TransferCustomerServiceReply",
    "TransportError",
    "UnknownEvent",
    "UnknownMessage",
    "UserStateError",
    "VideoReply",
    "VoiceReply",
    "WxApplication",
    "WxError",
    "WxResponse",
    "__version__",
    "check_signature",
    "sha1_signature",
]
