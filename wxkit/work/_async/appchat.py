"""Group chats created by an app (群聊会话): ``appchat/create``, ``update``, ``get``, ``send``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..models import AppChat
from ._base import AsyncWorkAPI
from .message import MESSAGE_TYPES

__all__ = ["AsyncAppChatAPI"]


class AsyncAppChatAPI(AsyncWorkAPI):
    """``client.appchat``: the group chats an app creates and posts to."""

    async def create(
        self,
        userlist: Iterable[str],
        *,
        name: str | None = None,
        owner: str | None = None,
        chatid: str | None = None,
    ) -> str:
        """Create a group chat of 2 to 2000 members: ``POST /cgi-bin/appchat/create``; return its chatid."""
        path = "/cgi-bin/appchat/create"
        body: dict[str, Any] = {"userlist": list(userlist)}
        if name is not None:
            body["name"] = name
        if owner is not None:
            body["owner"] = owner
        if chatid is not None:
            body["chatid"] = chatid
        answer = await self._post(path, body)
        return self._field(answer, "chatid", str, path=path)

    async def update(
        self,
        chatid: str,
        *,
        name: str | None = None,
        owner: str | None = None,
        add_user_list: Iterable[str] = (),
        del_user_list: Iterable[str] = (),
    ) -> None:
        """Rename, change the owner, add or remove members: ``POST /cgi-bin/appchat/update``."""
        body: dict[str, Any] = {"chatid": chatid}
        if name is not None:
            body["name"] = name
        if owner is not None:
            body["owner"] = owner
        adds, dels = list(add_user_list), list(del_user_list)
        if adds:
            body["add_user_list"] = adds
        if dels:
            body["del_user_list"] = dels
        await self._post("/cgi-bin/appchat/update", body)

    async def get(self, chatid: str) -> AppChat:
        """A group chat's name, owner and members: ``GET /cgi-bin/appchat/get``."""
        path = "/cgi-bin/appchat/get"
        answer = await self._get(path, {"chatid": chatid})
        return self._model(AppChat.from_dict, answer.get("chat_info"), path=path, method="GET")

    async def send(self, chatid: str, msgtype: str, content: Mapping[str, Any], *, safe: bool = False) -> None:
        """Post a message of ``msgtype`` to a group chat: ``POST /cgi-bin/appchat/send``."""
        path = "/cgi-bin/appchat/send"
        if msgtype not in MESSAGE_TYPES:
            raise self._refuse(40008, f"invalid message type {msgtype!r} (checked before sending)", path=path)
        body: dict[str, Any] = {"chatid": chatid, "msgtype": msgtype, msgtype: dict(content)}
        if safe:
            body["safe"] = 1
        await self._post(path, body)

    async def send_text(self, chatid: str, content: str, *, safe: bool = False) -> None:
        """Post a text message to a group chat."""
        await self.send(chatid, "text", {"content": content}, safe=safe)
