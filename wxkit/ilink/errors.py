"""The errors of :mod:`wxkit.ilink`: an iLink answer with a non-zero ``ret`` / ``errcode``.

::

    WxError
     └── APIError
          └── ILinkError               (ret / errcode != 0; .errcode, .errmsg, .url)
               └── ILinkSessionExpired (-14: the bot token is no longer valid, log in again)
"""

from __future__ import annotations

from ..errors import APIError

__all__ = ["ILinkError", "ILinkSessionExpired", "SESSION_EXPIRED"]

#: The ``ret`` / ``errcode`` iLink answers when the bot token has expired or been replaced.
SESSION_EXPIRED = -14


class ILinkError(APIError):
    """iLink answered a non-zero ``ret`` or ``errcode`` (``errcode`` holds it; the bot token is never in it)."""


class ILinkSessionExpired(ILinkError):
    """iLink answered ``-14``: the bot's session is over; log in again by QR code (``wxkit ilink login``)."""
