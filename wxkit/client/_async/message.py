"""The ``message`` API group (``client.message``): customer-service messages and mass sends.

Customer-service messages (``POST /cgi-bin/message/custom/send``) reach one user
who interacted with the account in the last 48 hours (sent a message, clicked a
menu, followed, scanned a code); outside that window WeChat answers 45015
(:class:`~wxkit.errors.UserStateError`). Mass sends (``/cgi-bin/message/mass/*``)
broadcast to every follower, a tag, or a list of 2 to 10,000 openids.

::

    client.message.send_text("o_user", "Your order has shipped")
    client.message.mass_send_by_tag("mpnews", "MEDIA_ID", tag_id=2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ...core._async.base import AsyncBaseAPI

__all__ = ["AsyncMessageAPI", "MassContent", "MassType"]

#: The message types a mass send (and its preview) carries.
MassType = Literal["mpnews", "text", "voice", "image", "mpvideo", "wxcard"]
#: A mass message's content: a str shorthand (text content, card id, or media
#: id) or the full object WeChat expects under the ``msgtype`` key.
MassContent = str | Mapping[str, Any]

_CUSTOM_SEND = "/cgi-bin/message/custom/send"


def _mass_object(msgtype: str, content: MassContent, *, preview: bool) -> tuple[str, dict[str, Any]]:
    """Return ``(key, object)`` for a mass message.

    A str is expanded: ``text`` -> ``{"content": s}``, ``wxcard`` ->
    ``{"card_id": s}``, ``image`` -> ``{"media_ids": [s]}`` (``{"media_id": s}``
    in a preview), other types -> ``{"media_id": s}``. Mass image sends put the
    object under ``images``, previews under ``image``.
    """
    key = "images" if (msgtype == "image" and not preview) else msgtype
    if isinstance(content, Mapping):
        return key, dict(content)
    if msgtype == "text":
        return key, {"content": content}
    if msgtype == "wxcard":
        return key, {"card_id": content}
    if key == "images":
        return key, {"media_ids": [content]}
    return key, {"media_id": content}


def _options(**fields: Any) -> dict[str, Any]:
    """The optional fields that were given (``None`` means "leave out")."""
    return {k: v for k, v in fields.items() if v is not None}


class AsyncMessageAPI(AsyncBaseAPI):
    """Customer-service messages, the typing indicator and mass sends.

    Every ``send_*`` method posts to ``/cgi-bin/message/custom/send`` and
    returns WeChat's JSON answer (``{"errcode": 0, "errmsg": "ok"}``);
    ``kf_account`` sends as that customer-service account
    (``customservice.kf_account``).
    """

    # -- customer-service messages -------------------------------------------------
    async def send(
        self, openid: str, msgtype: str, body: Mapping[str, Any], *, kf_account: str | None = None
    ) -> dict[str, Any]:
        """Send a customer-service message of any ``msgtype`` with its ``body`` object.

        ``POST /cgi-bin/message/custom/send``. The typed ``send_*`` methods
        build ``body`` for you; use this one for types wxkit does not wrap.
        """
        payload: dict[str, Any] = {"touser": openid, "msgtype": msgtype, msgtype: dict(body)}
        if kf_account is not None:
            payload["customservice"] = {"kf_account": kf_account}
        return await self._post(_CUSTOM_SEND, json=payload)

    async def send_text(self, openid: str, content: str, *, kf_account: str | None = None) -> dict[str, Any]:
        """Send a text message. ``POST /cgi-bin/message/custom/send`` (``msgtype=text``).

        ``content`` may hold ``<a href=...>`` links, including mini-program
        links (``data-miniprogram-appid`` / ``data-miniprogram-path``).
        """
        return await self.send(openid, "text", {"content": content}, kf_account=kf_account)

    async def send_image(self, openid: str, media_id: str, *, kf_account: str | None = None) -> dict[str, Any]:
        """Send an image by media id. ``POST /cgi-bin/message/custom/send`` (``msgtype=image``)."""
        return await self.send(openid, "image", {"media_id": media_id}, kf_account=kf_account)

    async def send_voice(self, openid: str, media_id: str, *, kf_account: str | None = None) -> dict[str, Any]:
        """Send a voice message by media id. ``POST /cgi-bin/message/custom/send`` (``msgtype=voice``)."""
        return await self.send(openid, "voice", {"media_id": media_id}, kf_account=kf_account)

    async def send_video(
        self,
        openid: str,
        media_id: str,
        *,
        thumb_media_id: str | None = None,
        title: str | None = None,
        description: str | None = None,
        kf_account: str | None = None,
    ) -> dict[str, Any]:
        """Send a video. ``POST /cgi-bin/message/custom/send`` (``msgtype=video``)."""
        body = {"media_id": media_id, **_options(thumb_media_id=thumb_media_id, title=title, description=description)}
        return await self.send(openid, "video", body, kf_account=kf_account)

    async def send_music(
        self,
        openid: str,
        music_url: str,
        hq_music_url: str,
        thumb_media_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        kf_account: str | None = None,
    ) -> dict[str, Any]:
        """Send a music message. ``POST /cgi-bin/message/custom/send`` (``msgtype=music``).

        ``hq_music_url`` is played on Wi-Fi; ``thumb_media_id`` is the cover.
        """
        body = {
            "musicurl": music_url,
            "hqmusicurl": hq_music_url,
            "thumb_media_id": thumb_media_id,
            **_options(title=title, description=description),
        }
        return await self.send(openid, "music", body, kf_account=kf_account)

    async def send_news(
        self, openid: str, articles: Sequence[Mapping[str, Any]], *, kf_account: str | None = None
    ) -> dict[str, Any]:
        """Send a link card (opens an external URL). ``POST /cgi-bin/message/custom/send`` (``msgtype=news``).

        Each article is ``{"title", "description", "url", "picurl"}``; WeChat
        takes one article (45008 for more).
        """
        return await self.send(openid, "news", {"articles": [dict(a) for a in articles]}, kf_account=kf_account)

    async def send_mpnews(self, openid: str, media_id: str, *, kf_account: str | None = None) -> dict[str, Any]:
        """Send an article by material media id. ``POST /cgi-bin/message/custom/send`` (``msgtype=mpnews``)."""
        return await self.send(openid, "mpnews", {"media_id": media_id}, kf_account=kf_account)

    async def send_mpnewsarticle(
        self, openid: str, article_id: str, *, kf_account: str | None = None
    ) -> dict[str, Any]:
        """Send a published article by its ``article_id`` (from the ``freepublish`` group).

        ``POST /cgi-bin/message/custom/send`` (``msgtype=mpnewsarticle``).
        """
        return await self.send(openid, "mpnewsarticle", {"article_id": article_id}, kf_account=kf_account)

    async def send_msgmenu(
        self,
        openid: str,
        items: Mapping[str, str],
        *,
        head_content: str = "",
        tail_content: str = "",
        kf_account: str | None = None,
    ) -> dict[str, Any]:
        """Send a menu message: ``items`` maps each choice's id to its text.

        ``POST /cgi-bin/message/custom/send`` (``msgtype=msgmenu``). A tap comes
        back as a text message whose ``bizmsgmenuid`` is the choice's id.
        """
        body = {
            "head_content": head_content,
            "list": [{"id": key, "content": text} for key, text in items.items()],
            "tail_content": tail_content,
        }
        return await self.send(openid, "msgmenu", body, kf_account=kf_account)

    async def send_miniprogrampage(
        self,
        openid: str,
        title: str,
        appid: str,
        pagepath: str,
        thumb_media_id: str,
        *,
        kf_account: str | None = None,
    ) -> dict[str, Any]:
        """Send a mini-program card (the mini program must be linked to the account).

        ``POST /cgi-bin/message/custom/send`` (``msgtype=miniprogrampage``).
        """
        body = {"title": title, "appid": appid, "pagepath": pagepath, "thumb_media_id": thumb_media_id}
        return await self.send(openid, "miniprogrampage", body, kf_account=kf_account)

    async def send_wxcard(self, openid: str, card_id: str, *, kf_account: str | None = None) -> dict[str, Any]:
        """Send a card or coupon. ``POST /cgi-bin/message/custom/send`` (``msgtype=wxcard``)."""
        return await self.send(openid, "wxcard", {"card_id": card_id}, kf_account=kf_account)

    async def typing(self, openid: str, *, command: Literal["Typing", "CancelTyping"] = "Typing") -> dict[str, Any]:
        """Show (``"Typing"``) or hide (``"CancelTyping"``) the "typing..." indicator to a user.

        ``POST /cgi-bin/message/custom/typing``.
        """
        return await self._post("/cgi-bin/message/custom/typing", json={"touser": openid, "command": command})

    # -- mass sends ------------------------------------------------------------------
    async def mass_send_by_tag(
        self,
        msgtype: MassType,
        content: MassContent,
        *,
        tag_id: int | None = None,
        send_ignore_reprint: bool | None = None,
        clientmsgid: str | None = None,
    ) -> dict[str, Any]:
        """Broadcast to every follower, or to the followers with ``tag_id``.

        ``POST /cgi-bin/message/mass/sendall``. ``content`` is a str shorthand
        (see :data:`MassContent`) or the full object. ``send_ignore_reprint``
        goes on when an article is judged a reprint; ``clientmsgid`` makes the
        call safe to repeat (WeChat answers 45065 for a clientmsgid it saw in
        the last 24 hours). Returns the answer with ``msg_id`` (and
        ``msg_data_id`` for ``mpnews``).
        """
        target: dict[str, Any] = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
        return await self._mass(
            "/cgi-bin/message/mass/sendall", {"filter": target}, msgtype, content, send_ignore_reprint, clientmsgid
        )

    async def mass_send_by_openids(
        self,
        openids: Sequence[str],
        msgtype: MassType,
        content: MassContent,
        *,
        send_ignore_reprint: bool | None = None,
        clientmsgid: str | None = None,
    ) -> dict[str, Any]:
        """Broadcast to a list of 2 to 10,000 openids (fewer or more: errcode 40130).

        ``POST /cgi-bin/message/mass/send``; options and answer as in
        :meth:`mass_send_by_tag`.
        """
        target = {"touser": list(openids)}
        return await self._mass(
            "/cgi-bin/message/mass/send", target, msgtype, content, send_ignore_reprint, clientmsgid
        )

    async def _mass(
        self,
        path: str,
        target: dict[str, Any],
        msgtype: str,
        content: MassContent,
        send_ignore_reprint: bool | None,
        clientmsgid: str | None,
    ) -> dict[str, Any]:
        key, obj = _mass_object(msgtype, content, preview=False)
        payload: dict[str, Any] = {**target, "msgtype": msgtype, key: obj}
        if send_ignore_reprint is not None:
            payload["send_ignore_reprint"] = int(send_ignore_reprint)
        if clientmsgid is not None:
            payload["clientmsgid"] = clientmsgid
        return await self._post(path, json=payload)

    async def mass_preview(
        self,
        msgtype: MassType,
        content: MassContent,
        *,
        touser: str | None = None,
        towxname: str | None = None,
    ) -> dict[str, Any]:
        """Send a mass message to one user to check how it looks.

        ``POST /cgi-bin/message/mass/preview``. Give exactly one of ``touser``
        (an openid) or ``towxname`` (a WeChat ID, limited to 100 calls a day).
        """
        if (touser is None) == (towxname is None):
            raise ValueError("give exactly one of touser or towxname")
        key, obj = _mass_object(msgtype, content, preview=True)
        payload: dict[str, Any] = {**_options(touser=touser, towxname=towxname), "msgtype": msgtype, key: obj}
        return await self._post("/cgi-bin/message/mass/preview", json=payload)

    async def mass_delete(self, msg_id: int, *, article_idx: int | None = None) -> dict[str, Any]:
        """Delete a sent mass message (articles and videos only).

        ``POST /cgi-bin/message/mass/delete``. ``article_idx`` (1-based)
        deletes one article of a multi-article message; omitted or 0 deletes
        them all.
        """
        return await self._post(
            "/cgi-bin/message/mass/delete", json={"msg_id": msg_id, **_options(article_idx=article_idx)}
        )

    async def mass_status(self, msg_id: int) -> dict[str, Any]:
        """A mass message's ``msg_status``: ``SEND_SUCCESS``, ``SENDING``, ``SEND_FAIL`` or ``DELETE``.

        ``POST /cgi-bin/message/mass/get`` (a read, re-sent on failure).
        """
        return await self._post("/cgi-bin/message/mass/get", json={"msg_id": msg_id}, idempotent=True)

    async def get_mass_speed(self) -> dict[str, Any]:
        """The mass-send speed: ``speed`` (level 0-4) and ``realspeed`` (10k messages a minute).

        ``POST /cgi-bin/message/mass/speed/get`` (a read, re-sent on failure).
        """
        return await self._post("/cgi-bin/message/mass/speed/get", json={}, idempotent=True)

    async def set_mass_speed(self, speed: int) -> dict[str, Any]:
        """Set the mass-send speed level: 0 = 800k, 1 = 600k, 2 = 450k, 3 = 300k, 4 = 100k a minute.

        ``POST /cgi-bin/message/mass/speed/set``; a level outside 0-4 answers 45083.
        """
        return await self._post("/cgi-bin/message/mass/speed/set", json={"speed": speed})
