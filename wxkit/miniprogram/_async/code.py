"""The ``code`` API group (``client.code``): mini-program code management by a third-party platform (代码管理).

::

    client = component.miniprogram_client("wx_shop_mini")    # on the authorizer's token
    client.code.commit(template_id=12, ext_json={"extAppid": "wx_shop_mini"}, user_version="1.0.3", user_desc="fix")
    pages = client.code.get_page()
    auditid = client.code.submit_audit(item_list=[{"address": pages[0], "tag": "shop"}])
    if client.code.get_auditstatus(auditid)["status"] == 0:    # 0 passed, 1 refused, 2 auditing, 3 withdrawn, 4 delayed
        client.code.release()

WeChat answers these only to a third-party platform acting for an
authorizer (the client from :meth:`wxkit.open.Component.miniprogram_client`).
Errcodes come through as :class:`~wxkit.errors.APIError`: 85086 (submit
before commit), 85009 (an audit already running), 85052 (already
released), 85019 (nothing to release) ...
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ._base import AsyncMiniProgramAPI

__all__ = ["AsyncCodeAPI", "DOMAIN_ACTIONS"]

#: ``modify_domain`` actions.
DOMAIN_ACTIONS = ("add", "delete", "set", "get")


class AsyncCodeAPI(AsyncMiniProgramAPI):
    """Commit, pages and categories, audit, release and rollback, server domains."""

    async def commit(
        self, *, template_id: int | str, ext_json: Mapping[str, Any] | str, user_version: str, user_desc: str
    ) -> None:
        """Upload the code of a template of the platform's code library (``POST /wxa/commit``).

        ``ext_json`` (a mapping is JSON-encoded, as WeChat wants a string)
        configures the template for this mini program.
        """
        ext = ext_json if isinstance(ext_json, str) else json.dumps(dict(ext_json), ensure_ascii=False)
        body = {"template_id": template_id, "ext_json": ext, "user_version": user_version, "user_desc": user_desc}
        await self._post("/wxa/commit", body)

    async def get_page(self) -> list[str]:
        """The pages of the committed code (``GET /wxa/get_page``)."""
        answer = await self._get("/wxa/get_page")
        return [str(page) for page in self._field(answer, "page_list", list, path="/wxa/get_page", method="GET")]

    async def get_category(self) -> list[dict[str, Any]]:
        """The categories the mini program may be audited under (``GET /wxa/get_category``)."""
        answer = await self._get("/wxa/get_category")
        categories = answer.get("category_list")
        return [c for c in categories if isinstance(c, dict)] if isinstance(categories, list) else []

    async def submit_audit(self, *, item_list: Sequence[Mapping[str, Any]] | None = None, **fields: Any) -> int:
        """Submit the committed code for audit (``POST /wxa/submit_audit``); return the ``auditid``.

        ``item_list`` (pages with their tags and categories) and any other
        documented field (``version_desc``, ``feedback_info``, ``ugc_declare``
        ...) are sent as given.
        """
        body: dict[str, Any] = dict(fields)
        if item_list is not None:
            body["item_list"] = [dict(item) for item in item_list]
        answer = await self._post("/wxa/submit_audit", body)
        return self._field(answer, "auditid", int, path="/wxa/submit_audit")

    async def get_auditstatus(self, auditid: int) -> dict[str, Any]:
        """An audit's ``status`` (0 passed, 1 refused, 2 auditing ...) and ``reason`` (``/wxa/get_auditstatus``)."""
        return await self._post("/wxa/get_auditstatus", {"auditid": auditid})

    async def get_latest_auditstatus(self) -> dict[str, Any]:
        """The latest audit's ``auditid``, ``status`` and ``reason`` (``GET /wxa/get_latest_auditstatus``)."""
        return await self._get("/wxa/get_latest_auditstatus")

    async def undo_audit(self) -> None:
        """Withdraw the running audit (``GET /wxa/undocodeaudit``)."""
        await self._get("/wxa/undocodeaudit")

    async def release(self) -> None:
        """Release the code that passed audit (``POST /wxa/release``)."""
        await self._post("/wxa/release", {})

    async def rollback(self) -> None:
        """Roll the released code back to the previous release (``GET /wxa/revertcoderelease``)."""
        await self._get("/wxa/revertcoderelease")

    async def modify_domain(self, action: str = "get", **domains: Sequence[str]) -> dict[str, Any]:
        """Add, delete, set or get the server domains (``POST /wxa/modify_domain``).

        ``domains``: ``requestdomain``, ``wsrequestdomain``, ``uploaddomain``,
        ``downloaddomain`` (and ``udpdomain`` / ``tcpdomain``), each a list of
        ``https://`` / ``wss://`` origins; the answer lists the domains now set.
        """
        if action not in DOMAIN_ACTIONS:
            raise ValueError(f"action must be one of {DOMAIN_ACTIONS}, not {action!r}")
        body: dict[str, Any] = {"action": action, **{k: list(v) for k, v in domains.items()}}
        return await self._post("/wxa/modify_domain", body)
