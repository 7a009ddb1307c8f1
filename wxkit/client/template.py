"""The ``template`` API group (``client.template``): template messages (模板消息).

Template messages reach followers at any time, unlike customer-service
messages. ``data`` maps each template field to its value object, e.g.
``{"keyword1": {"value": "Chocolate"}, "keyword2": {"value": "39.80"}}``::

    msgid = client.template.send("o_user", "TEMPLATE_ID", {"thing1": {"value": "hi"}})
"""
# Generated from wxkit/client/_async/template.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.base import BaseAPI

__all__ = ["TemplateAPI"]


class TemplateAPI(BaseAPI):
    """Send template messages and manage the account's templates and industries."""

    def send(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        *,
        url: str | None = None,
        miniprogram: Mapping[str, str] | None = None,
        client_msg_id: str | None = None,
    ) -> int:
        """Send a template message; return its ``msgid``.

        ``POST /cgi-bin/message/template/send``. ``url`` is the page opened on
        tap; ``miniprogram`` (``{"appid": ..., "pagepath": ...}``) opens a
        linked mini program instead (and wins over ``url``). ``client_msg_id``
        de-duplicates: the same openid and id send one message only.
        """
        path = "/cgi-bin/message/template/send"
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": dict(data)}
        if url is not None:
            payload["url"] = url
        if miniprogram is not None:
            payload["miniprogram"] = dict(miniprogram)
        if client_msg_id is not None:
            payload["client_msg_id"] = client_msg_id
        return self._field(self._post(path, json=payload), "msgid", int, path=path)

    def list(self) -> dict[str, Any]:
        """The account's templates: ``{"template_list": [{"template_id", "title", "content", ...}]}``.

        ``GET /cgi-bin/template/get_all_private_template``.
        """
        return self._get("/cgi-bin/template/get_all_private_template")

    def delete(self, template_id: str) -> dict[str, Any]:
        """Delete a template from the account. ``POST /cgi-bin/template/del_private_template``."""
        return self._post("/cgi-bin/template/del_private_template", json={"template_id": template_id})

    def get_industry(self) -> dict[str, Any]:
        """The account's industries: ``primary_industry`` and ``secondary_industry``.

        Each is ``{"first_class": ..., "second_class": ...}``.
        ``GET /cgi-bin/template/get_industry``.
        """
        return self._get("/cgi-bin/template/get_industry")

    def set_industry(self, industry_id1: int | str, industry_id2: int | str) -> dict[str, Any]:
        """Set the account's two industries by WeChat's industry codes (1-41; once a month).

        ``POST /cgi-bin/template/api_set_industry``. Templates of the former
        industries are deleted.
        """
        payload = {"industry_id1": str(industry_id1), "industry_id2": str(industry_id2)}
        return self._post("/cgi-bin/template/api_set_industry", json=payload)

    def add(self, template_id_short: str, keyword_name_list: Sequence[str] | None = None) -> str:
        """Add a template from the library; return its ``template_id``.

        ``POST /cgi-bin/template/api_add_template``. ``template_id_short`` is
        the library number (``TM00015``, or digits for a category template);
        category templates need ``keyword_name_list``, the chosen keywords in
        order (40246 if missing or unknown).
        """
        path = "/cgi-bin/template/api_add_template"
        payload: dict[str, Any] = {"template_id_short": template_id_short}
        if keyword_name_list is not None:
            payload["keyword_name_list"] = [str(k) for k in keyword_name_list]
        return self._field(self._post(path, json=payload), "template_id", str, path=path)
