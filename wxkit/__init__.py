"""wxkit: a typed, safe-by-default SDK for the WeChat platforms.

The inbound core is importable without ``requests``::

    from wxkit import WxApplication

    class Bot(WxApplication):
        token = "..."

        def on_text(self, msg):
            return msg.content
"""

import typing

from .app import BaseApplication, WxApplication, WxResponse
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

__version__ = "0.1.0.dev0"

if typing.TYPE_CHECKING:
    from .client import AsyncClient, Client


def __getattr__(name: str) -> typing.Any:
    # wxkit.Client / AsyncClient are imported on first use: the inbound core must not pull in requests
    # (and nothing imports httpx before an AsyncClient is made).
    if name == "Client":
        from .client import Client

        return Client
    if name == "AsyncClient":
        from .client import AsyncClient

        return AsyncClient
    raise AttributeError(f"module 'wxkit' has no attribute {name!r}")


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
