"""What the sync and async web OAuth clients share: :class:`UserToken` and the constants (see :mod:`wxkit.oauth`)."""

from __future__ import annotations

import re
from typing import Any

import attrs

from .bounds import clamp_expires_in

__all__ = ["DEFAULT_OPEN_URL", "OAUTH_SCOPES", "UserToken"]

#: Where the authorize page lives.
DEFAULT_OPEN_URL = "https://open.weixin.qq.com"
_DEFAULT_BASE_URL = "https://api.weixin.qq.com"
#: The web OAuth scopes of an official account.
OAUTH_SCOPES = ("snsapi_base", "snsapi_userinfo")
_STATE = re.compile(r"[A-Za-z0-9]{0,128}")
#: errcodes of ``/sns/auth`` meaning "this token is not valid for this openid".
_INVALID_TOKEN = frozenset({40001, 40003, 40014, 42001})
#: Fields a user-token answer must carry (a non-empty string each).
_TOKEN_FIELDS = ("access_token", "openid")


@attrs.frozen
class UserToken:
    """A user's web OAuth token, as ``/sns/oauth2/access_token`` or ``/refresh_token`` answer it.

    ``access_token`` and ``refresh_token`` are left out of ``repr``.
    ``scope`` is WeChat's comma-separated string (see :attr:`scopes`);
    ``unionid`` is set only for ``snsapi_userinfo`` on an account bound to an
    Open Platform account; ``is_snapshotuser`` is true for the virtual user of
    WeChat's snapshot-page mode (the openid is not the real user's). ``raw`` is
    the whole answer. ``expires_in`` is in seconds, clamped into 60 s .. 7 days
    (7200 when missing; :func:`wxkit.bounds.clamp_expires_in`).
    """

    access_token: str = attrs.field(repr=False)
    expires_in: int
    refresh_token: str = attrs.field(repr=False)
    openid: str
    scope: str
    unionid: str | None = None
    is_snapshotuser: bool = False
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> UserToken:
        """Build from a decoded token answer (missing fields become empty)."""
        # In [60 s, 7 days], 7200 when missing (wxkit.bounds): never an OverflowError for Infinity.
        expires_in = clamp_expires_in(data.get("expires_in"), source="the web OAuth token endpoint")
        unionid = data.get("unionid")
        return cls(
            access_token=str(data.get("access_token", "")),
            expires_in=expires_in,
            refresh_token=str(data.get("refresh_token", "")),
            openid=str(data.get("openid", "")),
            scope=str(data.get("scope", "")),
            unionid=str(unionid) if unionid else None,
            is_snapshotuser=str(data.get("is_snapshotuser", "0")) == "1",
            raw=dict(data),
        )

    @property
    def scopes(self) -> tuple[str, ...]:
        """The granted scopes, split."""
        return tuple(s for s in self.scope.split(",") if s)
