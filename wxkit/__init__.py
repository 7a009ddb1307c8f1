"""wxkit: a typed, safe-by-default SDK for the WeChat platforms.

The inbound core is importable without ``requests``::

    from wxkit import WxApplication

    class Bot(WxApplication):
        token = "..."

        def on_text(self, msg):
            return msg.content
"""

from .app import BaseApplication, WxApplication, WxResponse
from .crypto import MessageCrypto, check_signature, sha1_signature
from .errors import (
    ConfigError,
    DecryptError,
    DuplicateMessageError,
    ParseError,
    ReplayError,
    SignatureError,
    StaleTimestampError,
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
from .storage import MemoryStorage, Storage

__version__ = "0.1.0.dev0"

__all__ = [
    "Article",
    "BaseApplication",
    "BaseMessage",
    "ConfigError",
    "DecryptError",
    "DuplicateMessageError",
    "Event",
    "ImageReply",
    "MemoryStorage",
    "Message",
    "MessageCrypto",
    "MusicReply",
    "NewsReply",
    "ParseError",
    "ReplayError",
    "Reply",
    "SignatureError",
    "StaleTimestampError",
    "Storage",
    "SuccessReply",
    "TextReply",
    "TransferCustomerServiceReply",
    "UnknownEvent",
    "UnknownMessage",
    "VideoReply",
    "VoiceReply",
    "WxApplication",
    "WxError",
    "WxResponse",
    "__version__",
    "check_signature",
    "sha1_signature",
]
