"""Web sign-in of members (网页授权登录): the authorize URL, ``auth/getuserinfo``, ``auth/getuserdetail``.

A page opened in WeCom redirects to :meth:`AsyncWorkOAuthAPI.authorize_url`;
WeCom sends the member back to ``redirect_uri?code=CODE&state=STATE``. The
code (single use, five minutes) names the member: :meth:`get_user_info`
answers the userid (or, for someone outside the corp, an openid) and, with
the ``snsapi_privateinfo`` scope, a ``user_ticket`` for :meth:`get_user_detail`
(the member's mobile, email, avatar ... as they agreed to share).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ...errors import ConfigError
from ..models import WorkOAuthUser, WorkUserDetail
from ._base import AsyncWorkAPI

__all__ = ["AUTHORIZE_URL", "AsyncWorkOAuthAPI"]

#: Where a WeCom page sends the member to sign in.
AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"

_SCOPES = ("snsapi_base", "snsapi_privateinfo")
_STATE = re.compile(r"^[A-Za-z0-9]{0,128}$")


class AsyncWorkOAuthAPI(AsyncWorkAPI):
    """``client.oauth``: who opened the app's page."""

    def authorize_url(
        self,
        redirect_uri: str,
        *,
        scope: str = "snsapi_base",
        state: str = "",
        agent_id: int | None = None,
        base_url: str = AUTHORIZE_URL,
    ) -> str:
        """The URL to send a member to (``...#wechat_redirect``); no call is made.

        ``scope`` ``snsapi_base`` (silent: the userid) or ``snsapi_privateinfo``
        (asks the member: a ``user_ticket`` for :meth:`get_user_detail`, which
        needs the app, so ``agent_id`` or the client's is then required).
        ``state`` is up to 128 letters and digits. ``base_url`` points at the
        emulator in tests.
        """
        if scope not in _SCOPES:
            raise ConfigError(f"scope must be one of {_SCOPES}, not {scope!r}")
        if not isinstance(state, str) or not _STATE.match(state):
            raise ConfigError("state must be at most 128 letters and digits")
        if not redirect_uri.startswith(("http://", "https://")):
            raise ConfigError("redirect_uri must be an http(s) URL")
        agent = agent_id if agent_id is not None else self._client.agent_id
        if scope == "snsapi_privateinfo" and agent is None:
            raise ConfigError("the snsapi_privateinfo scope needs an agent_id")
        query = (
            f"appid={quote(self._client.corpid, safe='')}&redirect_uri={quote(redirect_uri, safe='')}"
            f"&response_type=code&scope={scope}"
        )
        if state:
            query += f"&state={state}"
        if agent is not None:
            query += f"&agentid={int(agent)}"
        return f"{base_url}?{query}#wechat_redirect"

    async def get_user_info(self, code: str) -> WorkOAuthUser:
        """Who signed in with ``code``: ``GET /cgi-bin/auth/getuserinfo`` (40029 for a bad or used code)."""
        path = "/cgi-bin/auth/getuserinfo"
        if not isinstance(code, str) or not code:
            raise self._refuse(41008, "missing code (checked before sending)", path=path, method="GET")
        answer = await self._get(path, {"code": code})
        return self._model(WorkOAuthUser.from_dict, answer, path=path, method="GET")

    async def get_user_detail(self, user_ticket: str) -> WorkUserDetail:
        """The member's shared details: ``POST /cgi-bin/auth/getuserdetail`` with a ``user_ticket``."""
        path = "/cgi-bin/auth/getuserdetail"
        answer = await self._post(path, {"user_ticket": user_ticket}, idempotent=True)
        return self._model(WorkUserDetail.from_dict, answer, path=path)
