"""The ``subscribe`` API group (``client.subscribe``): subscribe messages (订阅消息) and their template library.

::

    client.subscribe.send(
        openid, template_id, {"thing1": {"value": "Order 42"}, "amount2": {"value": "9.90元"}},
        page="pages/order/order?id=42", miniprogram_state="formal", lang="zh_CN",
    )

A user accepts a template in the mini program (``wx.requestSubscribeMessage``);
each acceptance allows one message (43101 "user refuse to accept the msg"
otherwise). ``miniprogram_state`` is which version a tap opens
(``developer``, ``trial``, ``formal``), ``lang`` the language shown
(``zh_CN``, ``en_US``, ``zh_HK``, ``zh_TW``). The template library calls
(``/wxaapi/newtmpl/*``) pick and manage the mini program's templates.
"""
# Generated from wxkit/miniprogram/_async/subscribe.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._base import MiniProgramAPI

__all__ = ["LANGS", "MINIPROGRAM_STATES", "SubscribeAPI"]

#: What ``miniprogram_state`` may be.
MINIPROGRAM_STATES = ("developer", "trial", "formal")
#: What ``lang`` may be.
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")


class SubscribeAPI(MiniProgramAPI):
    """Subscribe messages and the template library."""

    def send(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        *,
        page: str | None = None,
        miniprogram_state: str | None = None,
        lang: str | None = None,
    ) -> dict[str, Any]:
        """Send a subscribe message the user accepted: ``POST /cgi-bin/message/subscribe/send``.

        ``data`` maps each template field to ``{"value": ...}``; ``page`` is
        the page a tap opens (with its query). 40003 for a bad openid, 40037
        for a bad template id, 43101 when the user has no acceptance left,
        47003 for data the template refuses.
        """
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": dict(data)}
        if page is not None:
            body["page"] = page
        if miniprogram_state is not None:
            if miniprogram_state not in MINIPROGRAM_STATES:
                raise ValueError(f"miniprogram_state must be one of {MINIPROGRAM_STATES}, not {miniprogram_state!r}")
            body["miniprogram_state"] = miniprogram_state
        if lang is not None:
            if lang not in LANGS:
                raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
            body["lang"] = lang
        return self._client.post("/cgi-bin/message/subscribe/send", json=body)

    # -- the template library (/wxaapi/newtmpl) ----------------------------------------------
    def get_category(self) -> dict[str, Any]:
        """The categories of the mini program: ``GET /wxaapi/newtmpl/getcategory`` (``data``: ``id``, ``name``)."""
        return self._client.get("/wxaapi/newtmpl/getcategory")

    def get_pub_template_titles(self, ids: Sequence[int | str], *, start: int = 0, limit: int = 30) -> dict[str, Any]:
        """Public templates of categories ``ids``: ``GET /wxaapi/newtmpl/getpubtemplatetitles``.

        ``limit`` at most 30; returns ``count`` and ``data`` (``tid``,
        ``title``, ``type``, ``categoryId``).
        """
        params = {"ids": ",".join(str(i) for i in ids), "start": str(start), "limit": str(limit)}
        return self._client.get("/wxaapi/newtmpl/getpubtemplatetitles", params=params)

    def get_pub_template_keywords(self, tid: int | str) -> dict[str, Any]:
        """The keywords of a public template: ``GET /wxaapi/newtmpl/getpubtemplatekeywords``.

        Returns ``count`` and ``data`` (``kid``, ``name``, ``example``, ``rule``).
        """
        return self._client.get("/wxaapi/newtmpl/getpubtemplatekeywords", params={"tid": str(tid)})

    def add_template(self, tid: int | str, kid_list: Sequence[int], scene_desc: str | None = None) -> str:
        """Pick a public template with 2-5 of its keywords: ``POST /wxaapi/newtmpl/addtemplate``; the ``priTmplId``.

        ``scene_desc`` (at most 15 characters) describes where it is used.
        """
        body: dict[str, Any] = {"tid": str(tid), "kidList": list(kid_list)}
        if scene_desc is not None:
            body["sceneDesc"] = scene_desc
        path = "/wxaapi/newtmpl/addtemplate"
        return self._field(self._client.post(path, json=body), "priTmplId", str, path=path)

    def delete_template(self, pri_tmpl_id: str) -> dict[str, Any]:
        """Delete one of the mini program's templates: ``POST /wxaapi/newtmpl/deltemplate``."""
        return self._client.post("/wxaapi/newtmpl/deltemplate", json={"priTmplId": pri_tmpl_id})

    def list_templates(self) -> dict[str, Any]:
        """The mini program's templates: ``GET /wxaapi/newtmpl/gettemplate``.

        Returns ``data`` (``priTmplId``, ``title``, ``content``, ``example``, ``type``).
        """
        return self._client.get("/wxaapi/newtmpl/gettemplate")
