"""The ``customer_service`` API group (``client.customer_service``): messages to a user in a session.

::

    client.customer_service.typing(openid)                              # "typing..." for up to 15 s
    client.customer_service.send_text(openid, "Your order has shipped")
    media_id = client.customer_service.upload_temp_media("card.jpg")["media_id"]
    client.customer_service.send_miniprogram_page(openid, "Order 42", "pages/order/order?id=42", media_id)

A mini program may message a user within 48 hours of the user's last message
or entering the conversation (45015 "response out of time limit" after; 45047
for too many messages in a row). Messages are text, image, link or
miniprogrampage; temporary media are images, kept three days.
"""
# Generated from wxkit/miniprogram/_async/customer_service.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from typing import Any

from ..core.base import DownloadTarget, UploadFile
from ._base import MiniProgramAPI

__all__ = ["CustomerServiceAPI"]


class CustomerServiceAPI(MiniProgramAPI):
    """Customer-service messages (``/cgi-bin/message/custom/*``) and temporary media."""

    def send(self, openid: str, msgtype: str, message: dict[str, Any]) -> dict[str, Any]:
        """Send any message type: ``POST /cgi-bin/message/custom/send`` with ``{msgtype: message}``."""
        body = {"touser": openid, "msgtype": msgtype, msgtype: dict(message)}
        return self._client.post("/cgi-bin/message/custom/send", json=body)

    def send_text(self, openid: str, content: str) -> dict[str, Any]:
        """A text message (links as ``<a href="...">`` and mini-program links as WeChat documents)."""
        return self.send(openid, "text", {"content": content})

    def send_image(self, openid: str, media_id: str) -> dict[str, Any]:
        """An image message, by the ``media_id`` of :meth:`upload_temp_media`."""
        return self.send(openid, "image", {"media_id": media_id})

    def send_link(self, openid: str, title: str, description: str, url: str, thumb_url: str) -> dict[str, Any]:
        """A link card: ``title``, ``description``, the web page ``url`` and an image ``thumb_url``."""
        return self.send(
            openid, "link", {"title": title, "description": description, "url": url, "thumb_url": thumb_url}
        )

    def send_miniprogram_page(self, openid: str, title: str, pagepath: str, thumb_media_id: str) -> dict[str, Any]:
        """A mini-program page card: ``title``, the ``pagepath`` a tap opens, a cover ``thumb_media_id``."""
        return self.send(
            openid, "miniprogrampage", {"title": title, "pagepath": pagepath, "thumb_media_id": thumb_media_id}
        )

    def typing(self, openid: str, *, typing: bool = True) -> dict[str, Any]:
        """Show (or, ``typing=False``, hide) "typing...": ``POST /cgi-bin/message/custom/typing``."""
        body = {"touser": openid, "command": "Typing" if typing else "CancelTyping"}
        return self._client.post("/cgi-bin/message/custom/typing", json=body)

    def upload_temp_media(self, file: UploadFile, *, media_type: str = "image") -> dict[str, Any]:
        """Upload a temporary image: ``POST /cgi-bin/media/upload?type=image``; never re-sent.

        ``file`` is a path, a binary file object or ``(filename, bytes)``.
        Returns ``{"type", "media_id", "created_at"}``; the id lasts three days.
        """
        return self._upload("/cgi-bin/media/upload", file, params={"type": media_type})

    def get_temp_media(self, media_id: str, dest: DownloadTarget) -> dict[str, Any]:
        """Stream a temporary file to ``dest`` (a path or a binary file object): ``GET /cgi-bin/media/get``.

        Returns ``{"size", "content_type", "filename"}``; 40007 for an
        unknown or expired id.
        """
        return self._download("GET", "/cgi-bin/media/get", dest, params={"media_id": media_id})
