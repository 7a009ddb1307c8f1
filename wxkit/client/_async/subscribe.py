"""The ``subscribe`` API group (``client.subscribe``): subscription notifications (订阅通知).

Two kinds of user opt-in:

* subscription notifications (``newtmpl``): the account picks templates from
  WeChat's public library (:meth:`SubscribeAPI.add_template`), a user accepts
  them in a pop-up, then :meth:`SubscribeAPI.send` delivers one notification
  per acceptance (long-term templates: many);
* one-time subscribe messages (一次性订阅消息): the user opens
  :meth:`SubscribeAPI.one_time_url`, confirms, and the account may send one
  message for that ``scene`` with :meth:`SubscribeAPI.send_one_time`.

A user who has not accepted answers 43101 ("user refuse to accept the msg").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from ...core._async.base import AsyncBaseAPI

__all__ = ["AsyncSubscribeAPI", "SUBSCRIBE_CONFIRM_URL"]

#: The page where a user confirms a one-time subscribe message.
SUBSCRIBE_CONFIRM_URL = "https://mp.weixin.qq.com/mp/subscribemsg"


class AsyncSubscribeAPI(AsyncBaseAPI):
    """Subscription notifications, their templates, and one-time subscribe messages."""

    # -- subscription notifications (newtmpl) ------------------------------------------
    async def send(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        *,
        page: str | None = None,
        miniprogram: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send a subscription notification the user accepted.

        ``POST /cgi-bin/message/subscribe/bizsend``. ``data`` maps each field
        to ``{"value": ...}`` (``{"thing1": {"value": "Order 42"}}``); ``page``
        is a web page opened on tap, ``miniprogram`` (``{"appid": ...,
        "pagepath": ...}``) a linked mini program.
        """
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": dict(data)}
        if page is not None:
            payload["page"] = page
        if miniprogram is not None:
            payload["miniprogram"] = dict(miniprogram)
        return await self._post("/cgi-bin/message/subscribe/bizsend", json=payload)

    async def add_template(self, tid: int | str, kid_list: Sequence[int], scene_desc: str) -> str:
        """Pick a public template with 2-5 of its keywords; return the private ``priTmplId``.

        ``POST /wxaapi/newtmpl/addtemplate``. ``tid`` comes from
        :meth:`get_pub_template_titles`, ``kid_list`` from
        :meth:`get_pub_template_keywords` (in the order to show), and
        ``scene_desc`` (15 characters at most) says when it is sent. Sent as a
        form (``tid=..&kidList=..&kidList=..&sceneDesc=..``), the encoding this
        endpoint documents for servers; it rejects JSON in practice.
        """
        path = "/wxaapi/newtmpl/addtemplate"
        form = [("tid", str(tid)), *(("kidList", str(kid)) for kid in kid_list), ("sceneDesc", scene_desc)]
        return self._field(await self._post(path, data=form), "priTmplId", str, path=path)

    async def delete_template(self, pri_tmpl_id: str) -> dict[str, Any]:
        """Delete a private template. ``POST /wxaapi/newtmpl/deltemplate``."""
        return await self._post("/wxaapi/newtmpl/deltemplate", json={"priTmplId": pri_tmpl_id})

    async def get_category(self) -> dict[str, Any]:
        """The account's categories: ``{"data": [{"id": 616, "name": ...}]}``.

        ``GET /wxaapi/newtmpl/getcategory``.
        """
        return await self._get("/wxaapi/newtmpl/getcategory")

    async def get_pub_template_keywords(self, tid: int | str) -> dict[str, Any]:
        """The keywords of a public template: ``{"data": [{"kid", "name", "example", "rule"}]}``.

        ``GET /wxaapi/newtmpl/getpubtemplatekeywords``.
        """
        return await self._get("/wxaapi/newtmpl/getpubtemplatekeywords", params={"tid": str(tid)})

    async def get_pub_template_titles(
        self, ids: Sequence[int | str], *, start: int = 0, limit: int = 30
    ) -> dict[str, Any]:
        """Public templates of the category ``ids``, a page at a time (``limit`` 30 at most).

        ``GET /wxaapi/newtmpl/getpubtemplatetitles``. Returns ``count`` (the
        total) and ``data`` (``[{"tid", "title", "type", "categoryId"}]``;
        ``type`` 2 is one-time, 3 long-term).
        """
        params = {"ids": ",".join(str(i) for i in ids), "start": start, "limit": limit}
        return await self._get("/wxaapi/newtmpl/getpubtemplatetitles", params=params)

    async def list_templates(self) -> dict[str, Any]:
        """The account's private templates: ``{"data": [{"priTmplId", "title", "content", "example", "type"}]}``.

        ``GET /wxaapi/newtmpl/gettemplate``.
        """
        return await self._get("/wxaapi/newtmpl/gettemplate")

    # -- one-time subscribe messages -----------------------------------------------------
    def one_time_url(self, redirect_url: str, scene: int, template_id: str, reserved: str | None = None) -> str:
        """The page where a user authorizes one message for ``scene`` (0-10000); no request is made.

        Opens ``https://mp.weixin.qq.com/mp/subscribemsg?action=get_confirm&...#wechat_redirect``;
        WeChat then redirects to ``redirect_url`` (a registered business domain)
        with ``openid``, ``template_id``, ``action`` (``confirm`` or
        ``cancel``), ``scene`` and ``reserved``. ``reserved`` (up to 128
        bytes) comes back unchanged: use it against CSRF.
        """
        if not 0 <= scene <= 10000:
            raise ValueError("scene must be between 0 and 10000")
        if reserved is not None and len(reserved.encode("utf-8")) > 128:
            raise ValueError("reserved must be at most 128 bytes")
        query = {
            "action": "get_confirm",
            "appid": self._client.appid,
            "scene": scene,
            "template_id": template_id,
            "redirect_url": redirect_url,
        }
        if reserved is not None:
            query["reserved"] = reserved
        return f"{SUBSCRIBE_CONFIRM_URL}?{urlencode(query)}#wechat_redirect"

    async def send_one_time(
        self,
        openid: str,
        template_id: str,
        scene: int,
        title: str,
        data: Mapping[str, Any],
        *,
        url: str | None = None,
        miniprogram: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send the one message a user authorized for ``scene`` through :meth:`one_time_url`.

        ``POST /cgi-bin/message/template/subscribe``. ``title`` has 15
        characters at most; ``data`` is ``{"content": {"value": ..., "color": ...}}``.
        """
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "scene": str(scene),
            "title": title,
            "data": dict(data),
        }
        if url is not None:
            payload["url"] = url
        if miniprogram is not None:
            payload["miniprogram"] = dict(miniprogram)
        return await self._post("/cgi-bin/message/template/subscribe", json=payload)
