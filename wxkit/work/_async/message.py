"""Send app messages (应用消息): ``message/send``, ``message/recall``, ``message/update_template_card``.

Recipients are userids, department ids and tag ids, each a list (or WeCom's
``|``-joined text; ``touser="@all"`` for everyone the app can see). The answer
is a :class:`~wxkit.work.models.SendResult`: WeCom delivers to the valid
recipients and lists the others (``invaliduser`` ...), so a partial failure
shows as ``result.ok`` false with ``result.invalid_users`` filled, never as a
silent success; every recipient invalid is errcode 81013, raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..models import SendResult
from ._base import AsyncWorkAPI, join_ids

__all__ = ["AsyncMessageAPI", "MESSAGE_TYPES", "Recipients"]

#: The app message types of ``message/send``.
MESSAGE_TYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "file",
        "textcard",
        "news",
        "mpnews",
        "markdown",
        "miniprogram_notice",
        "template_card",
    }
)

#: Userids, department ids or tag ids: a list, or ``|``-joined text.
Recipients = str | int | Iterable[str | int] | None

_SEND = "/cgi-bin/message/send"


class AsyncMessageAPI(AsyncWorkAPI):
    """``client.message``: app messages to users, departments (parties) and tags."""

    async def send(
        self,
        msgtype: str,
        content: Mapping[str, Any],
        *,
        touser: Recipients = None,
        toparty: Recipients = None,
        totag: Recipients = None,
        agent_id: int | None = None,
        safe: bool = False,
        enable_id_trans: bool = False,
        enable_duplicate_check: bool = False,
        duplicate_check_interval: int | None = None,
    ) -> SendResult:
        """Send one message of ``msgtype`` (its body ``content``): ``POST /cgi-bin/message/send``.

        ``agent_id`` defaults to the client's. ``safe`` marks it confidential
        (no forwarding, a watermark); ``enable_duplicate_check`` makes WeCom
        drop the same message sent again within ``duplicate_check_interval``
        seconds (default 1800). No recipient at all is refused before sending
        (40035, as WeCom answers). Never re-sent once it may have reached WeCom.
        """
        if msgtype not in MESSAGE_TYPES:
            raise self._refuse(40008, f"invalid message type {msgtype!r} (checked before sending)", path=_SEND)
        users, parties, tags = join_ids(touser), join_ids(toparty), join_ids(totag)
        if not (users or parties or tags):
            raise self._refuse(40035, "touser, toparty and totag are all empty (checked before sending)", path=_SEND)
        body: dict[str, Any] = {"msgtype": msgtype, "agentid": self._agent(agent_id), msgtype: dict(content)}
        if users:
            body["touser"] = users
        if parties:
            body["toparty"] = parties
        if tags:
            body["totag"] = tags
        if safe:
            body["safe"] = 1
        if enable_id_trans:
            body["enable_id_trans"] = 1
        if enable_duplicate_check:
            body["enable_duplicate_check"] = 1
            if duplicate_check_interval is not None:
                body["duplicate_check_interval"] = int(duplicate_check_interval)
        answer = await self._post(_SEND, body)
        return self._model(SendResult.from_dict, answer, path=_SEND)

    async def send_text(self, content: str, **options: Any) -> SendResult:
        """A text message (``options``: :meth:`send`'s keywords, e.g. ``touser=["bob"]``)."""
        return await self.send("text", {"content": content}, **options)

    async def send_image(self, media_id: str, **options: Any) -> SendResult:
        """An image already uploaded (``client.media.upload("image", ...)``)."""
        return await self.send("image", {"media_id": media_id}, **options)

    async def send_voice(self, media_id: str, **options: Any) -> SendResult:
        """A voice message (an uploaded AMR)."""
        return await self.send("voice", {"media_id": media_id}, **options)

    async def send_video(
        self, media_id: str, *, title: str | None = None, description: str | None = None, **options: Any
    ) -> SendResult:
        """A video message."""
        video: dict[str, Any] = {"media_id": media_id}
        if title is not None:
            video["title"] = title
        if description is not None:
            video["description"] = description
        return await self.send("video", video, **options)

    async def send_file(self, media_id: str, **options: Any) -> SendResult:
        """A file message."""
        return await self.send("file", {"media_id": media_id}, **options)

    async def send_textcard(
        self, title: str, description: str, url: str, *, btntxt: str | None = None, **options: Any
    ) -> SendResult:
        """A text card: a title, a description (some HTML allowed) and a link."""
        card: dict[str, Any] = {"title": title, "description": description, "url": url}
        if btntxt is not None:
            card["btntxt"] = btntxt
        return await self.send("textcard", card, **options)

    async def send_news(self, articles: Sequence[Mapping[str, Any]], **options: Any) -> SendResult:
        """A news message: 1 to 8 articles (``title``, ``description``, ``url``, ``picurl`` ...)."""
        return await self.send("news", {"articles": [dict(a) for a in articles]}, **options)

    async def send_mpnews(self, articles: Sequence[Mapping[str, Any]], **options: Any) -> SendResult:
        """An mpnews message: articles stored by WeCom (``thumb_media_id``, ``content`` ...)."""
        return await self.send("mpnews", {"articles": [dict(a) for a in articles]}, **options)

    async def send_markdown(self, content: str, **options: Any) -> SendResult:
        """A markdown message (WeCom's markdown subset)."""
        return await self.send("markdown", {"content": content}, **options)

    async def send_miniprogram_notice(self, notice: Mapping[str, Any], **options: Any) -> SendResult:
        """A mini-program notice (``appid``, ``page``, ``title``, ``content_item`` ...)."""
        return await self.send("miniprogram_notice", notice, **options)

    async def send_template_card(self, card: Mapping[str, Any], **options: Any) -> SendResult:
        """A template card (``card_type`` ``text_notice`` / ``news_notice`` / ``button_interaction`` ...)."""
        return await self.send("template_card", card, **options)

    async def recall(self, msgid: str) -> None:
        """Recall a message sent within 24 hours: ``POST /cgi-bin/message/recall``."""
        await self._post("/cgi-bin/message/recall", {"msgid": str(msgid)})

    async def update_template_card(
        self,
        response_code: str,
        *,
        userids: Iterable[str] = (),
        partyids: Iterable[int] = (),
        tagids: Iterable[int] = (),
        atall: bool = False,
        replace_name: str | None = None,
        template_card: Mapping[str, Any] | None = None,
        agent_id: int | None = None,
    ) -> SendResult:
        """Update a template card already sent: ``POST /cgi-bin/message/update_template_card``.

        ``response_code`` comes from the send answer or the card's callback;
        either ``replace_name`` (the button's new text) or a whole new
        ``template_card``. The users it could not update are ``invalid_users``.
        """
        path = "/cgi-bin/message/update_template_card"
        if (replace_name is None) == (template_card is None):
            raise self._refuse(40058, "give exactly one of replace_name and template_card", path=path)
        body: dict[str, Any] = {"agentid": self._agent(agent_id), "response_code": response_code}
        if atall:
            body["atall"] = 1
        else:
            body["userids"] = list(userids)
            body["partyids"] = list(partyids)
            body["tagids"] = list(tagids)
        if replace_name is not None:
            body["button"] = {"replace_name": replace_name}
        else:
            body["template_card"] = dict(template_card or {})
        answer = await self._post(path, body)
        return self._model(SendResult.from_dict, answer, path=path)
