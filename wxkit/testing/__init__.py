"""A local WeChat platform for tests and demos.

The push half (this issue): :class:`WeChatPusher` builds the signed (and
encrypted) pushes WeChat sends, delivers them to an app object or a URL, and
verifies and decrypts the reply into a :class:`PushReply`.
"""

from .push import Push, PushReply, WeChatPusher

__all__ = ["Push", "PushReply", "WeChatPusher"]
