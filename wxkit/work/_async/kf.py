"""微信客服 (kf): accounts, servicers, reading customer messages (``sync_msg``) and answering them.

::

    kfid = client.kf.add_account("Support", media_id)     # the avatar: an image of media.upload
    client.kf.add_servicers(kfid, ["alice"])
    # on the kf_msg_or_event callback (WorkKfMsgOrEvent: .token, .open_kfid):
    for msg in client.kf.sync_msg(event.open_kfid, token=event.token):
        if msg.msgtype == "text":
            client.kf.send_text(kfid, msg.external_userid, f"you said {msg.content}")

The callback only says "there are new messages"; ``sync_msg`` reads them
page after page (``next_cursor`` / ``has_more``) and keeps the cursor of each
account in the client's ``storage`` under ``wxkit:work_kf_cursor:<corpid>:<open_kfid>``
(:func:`kf_cursor_key`): a page's cursor is saved once every message of the
page has been handed out, so a restarted process (sharing a RedisStorage)
goes on where the last one stopped. A consumer that stops in the middle of a
page (an exception, a ``break``) is handed that page again next time:
delivery is at least once, and ``msgid`` tells a repeat apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar

from ...storage import MemoryStorage
from ..models import KfAccount, KfMessage, KfServicer, KfServicerResult
from ._base import AsyncWorkAPI

__all__ = ["AsyncKfAPI", "kf_cursor_key"]

_T = TypeVar("_T")


def kf_cursor_key(corpid: str, open_kfid: str) -> str:
    """The storage key of the ``sync_msg`` cursor of the account ``open_kfid``."""
    return f"wxkit:work_kf_cursor:{corpid}:{open_kfid}"


class AsyncKfAPI(AsyncWorkAPI):
    """``client.kf``: 微信客服 accounts, servicers and messages (the app must be allowed to call the kf API)."""

    # -- accounts ---------------------------------------------------------------
    async def add_account(self, name: str, media_id: str) -> str:
        """Add an account: ``POST /cgi-bin/kf/account/add``; return its ``open_kfid`` (avatar: an image media_id)."""
        path = "/cgi-bin/kf/account/add"
        answer = await self._post(path, {"name": name, "media_id": media_id})
        return self._field(answer, "open_kfid", str, path=path)

    async def delete_account(self, open_kfid: str) -> None:
        """Delete an account: ``POST /cgi-bin/kf/account/del`` (95000 for an unknown ``open_kfid``)."""
        await self._post("/cgi-bin/kf/account/del", {"open_kfid": open_kfid})

    async def update_account(self, open_kfid: str, *, name: str | None = None, media_id: str | None = None) -> None:
        """Rename an account or change its avatar: ``POST /cgi-bin/kf/account/update``."""
        body: dict[str, Any] = {"open_kfid": open_kfid}
        if name is not None:
            body["name"] = name
        if media_id is not None:
            body["media_id"] = media_id
        await self._post("/cgi-bin/kf/account/update", body)

    async def list_accounts(self, *, offset: int = 0, limit: int = 100) -> list[KfAccount]:
        """One page of accounts: ``POST /cgi-bin/kf/account/list`` (``limit`` 1..100)."""
        path = "/cgi-bin/kf/account/list"
        answer = await self._post(path, {"offset": offset, "limit": limit})
        return self._models(KfAccount.from_dict, answer.get("account_list"), path=path)

    async def add_contact_way(self, open_kfid: str, *, scene: str = "") -> str:
        """The account's chat link (客服链接): ``POST /cgi-bin/kf/add_contact_way``; ``scene`` comes back in events."""
        path = "/cgi-bin/kf/add_contact_way"
        body: dict[str, Any] = {"open_kfid": open_kfid}
        if scene:
            body["scene"] = scene
        answer = await self._post(path, body)
        return self._field(answer, "url", str, path=path)

    # -- servicers --------------------------------------------------------------
    async def add_servicers(self, open_kfid: str, userids: Iterable[str]) -> KfServicerResult:
        """Add servicers (接待人员): ``POST /cgi-bin/kf/servicer/add``; the refused members are listed."""
        return await self._servicers("/cgi-bin/kf/servicer/add", open_kfid, userids)

    async def delete_servicers(self, open_kfid: str, userids: Iterable[str]) -> KfServicerResult:
        """Remove servicers: ``POST /cgi-bin/kf/servicer/del``; the refused members are listed."""
        return await self._servicers("/cgi-bin/kf/servicer/del", open_kfid, userids)

    async def list_servicers(self, open_kfid: str) -> list[KfServicer]:
        """An account's servicers: ``GET /cgi-bin/kf/servicer/list``."""
        path = "/cgi-bin/kf/servicer/list"
        answer = await self._get(path, {"open_kfid": open_kfid})
        return self._models(KfServicer.from_dict, answer.get("servicer_list"), path=path, method="GET")

    async def _servicers(self, path: str, open_kfid: str, userids: Iterable[str]) -> KfServicerResult:
        users = [userids] if isinstance(userids, str) else list(userids)
        if not users:
            raise self._refuse(40035, "userids is empty (checked before sending)", path=path)
        answer = await self._post(path, {"open_kfid": open_kfid, "userid_list": users})
        return self._model(KfServicerResult.from_dict, answer, path=path)

    # -- messages ---------------------------------------------------------------
    async def sync_msg(
        self,
        open_kfid: str,
        *,
        token: str | None = None,
        limit: int = 1000,
        voice_format: int = 0,
        cursor: str | None = None,
    ) -> AsyncIterator[KfMessage]:
        """Every message not read yet, page after page of ``POST /cgi-bin/kf/sync_msg`` (``async for`` when async).

        ``token`` is the ``Token`` of the ``kf_msg_or_event`` callback (valid
        10 minutes; without it WeCom limits the call strictly). The cursor is
        read from and saved to ``storage`` (:func:`kf_cursor_key`) unless
        ``cursor`` is given, which reads from that cursor and saves nothing.
        """
        path = "/cgi-bin/kf/sync_msg"
        if not open_kfid:
            raise self._refuse(95000, "open_kfid is empty (checked before sending)", path=path)
        if not 1 <= limit <= 1000:
            raise self._refuse(40035, "limit must be 1..1000 (checked before sending)", path=path)
        key = kf_cursor_key(self._client.corpid, open_kfid)
        keep = cursor is None
        current = await self._io(self._client.storage.get, key) if keep else cursor
        while True:
            body: dict[str, Any] = {"open_kfid": open_kfid, "limit": limit, "voice_format": voice_format}
            if current:
                body["cursor"] = current
            if token:
                body["token"] = token
            answer = await self._post(path, body)
            messages = self._models(KfMessage.from_dict, answer.get("msg_list"), path=path)
            for message in messages:
                yield message
            following = answer.get("next_cursor")
            if isinstance(following, str) and following and following != current:
                current = following
                if keep:
                    await self._io(self._client.storage.set, key, current)
            if not answer.get("has_more"):
                return

    async def send_msg(
        self, open_kfid: str, touser: str, msgtype: str, content: dict[str, Any], *, msgid: str | None = None
    ) -> str:
        """Answer a customer: ``POST /cgi-bin/kf/send_msg``; ``content`` is the ``msgtype`` object. Return the msgid.

        WeCom allows 5 messages per customer message, within 48 hours of it
        (95001 / 95002 otherwise).
        """
        path = "/cgi-bin/kf/send_msg"
        body: dict[str, Any] = {"touser": touser, "open_kfid": open_kfid, "msgtype": msgtype, msgtype: content}
        if msgid:
            body["msgid"] = msgid
        answer = await self._post(path, body)
        return self._field(answer, "msgid", str, path=path)

    async def send_text(self, open_kfid: str, touser: str, content: str, *, msgid: str | None = None) -> str:
        """A text answer (:meth:`send_msg` with ``msgtype="text"``)."""
        return await self.send_msg(open_kfid, touser, "text", {"content": content}, msgid=msgid)

    async def send_msg_on_event(
        self, code: str, msgtype: str, content: dict[str, Any], *, msgid: str | None = None
    ) -> str:
        """Answer an event (a welcome on ``enter_session``): ``POST /cgi-bin/kf/send_msg_on_event``.

        ``code`` is the event's ``welcome_code`` (:attr:`KfMessage.welcome_code`),
        usable once within 20 seconds. Return the msgid.
        """
        path = "/cgi-bin/kf/send_msg_on_event"
        body: dict[str, Any] = {"code": code, "msgtype": msgtype, msgtype: content}
        if msgid:
            body["msgid"] = msgid
        answer = await self._post(path, body)
        return self._field(answer, "msgid", str, path=path)

    async def _io(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Call the storage: in a thread on the async side unless it is a MemoryStorage."""
        if isinstance(self._client.storage, MemoryStorage):
            return fn(*args)
        return await asyncio.to_thread(fn, *args)  # unasync: return fn(*args)
