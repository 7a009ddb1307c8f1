"""The ``kf`` API group (``client.kf``): customer-service accounts and sessions.

::

    client.kf.add("alice@gh_account", "Alice")
    client.kf.invite_worker("alice@gh_account", "alice_wx")
    client.kf.create_session("alice@gh_account", "o_user_1")

Messages sent "as" an account go through ``client.message`` (``kf_account``).
"""
# Generated from wxkit/client/_async/kf.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import os
from typing import IO, Any

from ..core.base import BaseAPI

__all__ = ["KfAPI"]


class KfAPI(BaseAPI):
    """WeChat's customer service: accounts (``prefix@wechat_id``), invitations, avatars and sessions."""

    def list(self) -> dict[str, Any]:
        """Every account: ``GET /cgi-bin/customservice/getkflist``; returns ``{"kf_list": [...]}``."""
        return self._get("/cgi-bin/customservice/getkflist")

    def online_list(self) -> dict[str, Any]:
        """Accounts online now: ``GET /cgi-bin/customservice/getonlinekflist``; returns ``{"kf_online_list": ...}``."""
        return self._get("/cgi-bin/customservice/getonlinekflist")

    def add(self, kf_account: str, nickname: str) -> dict[str, Any]:
        """Add an account ``prefix@wechat_id`` (nickname up to 16 characters): ``POST /customservice/kfaccount/add``."""
        return self._post("/customservice/kfaccount/add", {"kf_account": kf_account, "nickname": nickname})

    def update(self, kf_account: str, nickname: str) -> dict[str, Any]:
        """Change an account's nickname: ``POST /customservice/kfaccount/update``."""
        return self._post("/customservice/kfaccount/update", {"kf_account": kf_account, "nickname": nickname})

    def delete(self, kf_account: str) -> dict[str, Any]:
        """Delete an account: ``POST /customservice/kfaccount/del`` (JSON body, as WeChat's current docs say)."""
        return self._post("/customservice/kfaccount/del", {"kf_account": kf_account})

    def invite_worker(self, kf_account: str, invite_wx: str) -> dict[str, Any]:
        """Invite a WeChat ID to work behind an account: ``POST /customservice/kfaccount/inviteworker``."""
        return self._post("/customservice/kfaccount/inviteworker", {"kf_account": kf_account, "invite_wx": invite_wx})

    def upload_avatar(
        self,
        kf_account: str,
        file: bytes | str | os.PathLike[str] | IO[bytes],
        *,
        filename: str = "avatar.jpg",
    ) -> dict[str, Any]:
        """Set an account's avatar (a JPEG, 640x640 advised): ``POST /customservice/kfaccount/uploadheadimg``.

        ``file`` is the image bytes, a path, or a binary file object; it is
        sent once (never re-sent) as the multipart ``media`` part, named
        ``filename`` unless it is a path or a named file.
        """
        upload = (filename, file) if isinstance(file, bytes) else file
        params = {"kf_account": kf_account}
        return self._upload("/customservice/kfaccount/uploadheadimg", upload, params=params, default_name=filename)

    def create_session(self, kf_account: str, openid: str) -> dict[str, Any]:
        """Hand a follower to an online account: ``POST /customservice/kfsession/create``."""
        return self._post("/customservice/kfsession/create", {"kf_account": kf_account, "openid": openid})

    def close_session(self, kf_account: str, openid: str) -> dict[str, Any]:
        """End a follower's session: ``POST /customservice/kfsession/close``."""
        return self._post("/customservice/kfsession/close", {"kf_account": kf_account, "openid": openid})

    def get_session(self, openid: str) -> dict[str, Any]:
        """Who serves a follower: ``GET /customservice/kfsession/getsession``.

        Returns ``{"kf_account", "createtime"}``; ``kf_account`` is empty
        when nobody does.
        """
        return self._get("/customservice/kfsession/getsession", {"openid": openid})

    def list_sessions(self, kf_account: str) -> dict[str, Any]:
        """An account's sessions: ``GET /customservice/kfsession/getsessionlist``; returns ``{"sessionlist": ...}``."""
        return self._get("/customservice/kfsession/getsessionlist", {"kf_account": kf_account})

    def waiting_sessions(self) -> dict[str, Any]:
        """Followers waiting for service: ``GET /customservice/kfsession/getwaitcase``.

        Returns ``{"count", "waitcaselist": [{"openid", "latest_time"}]}``
        (at most 100 listed, oldest first).
        """
        return self._get("/customservice/kfsession/getwaitcase")
