"""Every exception wxkit raises.

All of them derive from :class:`WxError`, so ``except wxkit.WxError`` catches
anything the SDK raises on purpose. The tree::

    WxError
    ├── ConfigError            bad configuration, raised at construction
    ├── SignatureError         a signature / msg_signature that does not match
    ├── DecryptError           ciphertext that does not decrypt to a valid payload
    ├── ParseError             a body that is not a well-formed WeChat XML push
    └── ReplayError            a push outside the replay window or seen before
        ├── StaleTimestampError    timestamp too old or too far in the future
        └── DuplicateMessageError  the same push (MsgId / event key) handled already

Messages never contain secrets (tokens, AES keys, app secrets) nor the content
of user messages.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecryptError",
    "DuplicateMessageError",
    "ParseError",
    "ReplayError",
    "SignatureError",
    "StaleTimestampError",
    "WxError",
]


class WxError(Exception):
    """Base class of every exception raised by wxkit."""


class ConfigError(WxError, ValueError):
    """A configuration value is missing or malformed (raised at construction)."""


class SignatureError(WxError):
    """A request signature (``signature`` or ``msg_signature``) is missing or wrong."""


class DecryptError(WxError):
    """An encrypted payload could not be decrypted or failed an integrity check.

    Covers bad base64, wrong ciphertext length, bad PKCS#7 padding, a length
    field that does not fit the data, invalid UTF-8 and a wrong receive id.
    """


class ParseError(WxError):
    """A body is not a well-formed WeChat XML push (or is too large / unsafe)."""


class ReplayError(WxError):
    """A push was refused by the replay guard."""


class StaleTimestampError(ReplayError):
    """The push's timestamp is outside the configured window (or not a number)."""


class DuplicateMessageError(ReplayError):
    """The same push was already handled (WeChat retries unanswered pushes).

    ``key`` is the de-duplication key (MsgId, or FromUserName/CreateTime/Event).
    """

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key
