"""Web OAuth (网页授权): user access tokens, not the app's access token."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client.http import HTTPClient

__all__ = ["OAuth"]


class OAuth:
    """Web OAuth for one app."""

    def __init__(self, appid: str, secret: str | None, *, http: HTTPClient | None = None) -> None:
        self.appid = appid
        self._secret = secret
        self.http = http
