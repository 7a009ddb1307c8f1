"""The ``menu`` API group (``client.menu``): the custom menu and conditional (personalised) menus.

::

    client.menu.create([
        {"type": "click", "name": "Today", "key": "TODAY"},
        {"name": "More", "sub_button": [{"type": "view", "name": "Site", "url": "https://example.com"}]},
    ])
    menuid = client.menu.add_conditional([...], {"tag_id": "100"})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...core._async.base import AsyncBaseAPI

__all__ = ["AsyncMenuAPI"]


class AsyncMenuAPI(AsyncBaseAPI):
    """WeChat's custom menus: 1-3 top-level buttons, each with up to 5 sub-buttons."""

    async def create(self, buttons: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """Create (replace) the default menu: ``POST /cgi-bin/menu/create``.

        ``buttons`` are WeChat's button dicts (``type``, ``name``, ``key`` /
        ``url`` / ``media_id`` / ``article_id``..., or ``sub_button``).
        """
        return await self._post("/cgi-bin/menu/create", {"button": [dict(b) for b in buttons]})

    async def get(self) -> dict[str, Any]:
        """The menus set through the API: ``GET /cgi-bin/menu/get``.

        Returns ``{"menu": {"button": [...], "menuid": ...}}`` plus
        ``"conditionalmenu"`` when conditional menus exist. Without a menu
        WeChat answers 46003 (an :class:`~wxkit.errors.APIError`).
        """
        return await self._get("/cgi-bin/menu/get")

    async def delete(self) -> dict[str, Any]:
        """Delete the default menu and every conditional menu: ``GET /cgi-bin/menu/delete``."""
        return await self._get("/cgi-bin/menu/delete")

    async def get_current_selfmenu_info(self) -> dict[str, Any]:
        """The menu in force however it was set (API or web console): ``GET /cgi-bin/get_current_selfmenu_info``.

        Returns ``{"is_menu_open": 0 | 1, "selfmenu_info": {"button": [...]}}``
        (sub-buttons under ``sub_button.list``).
        """
        return await self._get("/cgi-bin/get_current_selfmenu_info")

    async def add_conditional(self, buttons: Iterable[Mapping[str, Any]], matchrule: Mapping[str, Any]) -> str:
        """Add a conditional menu: ``POST /cgi-bin/menu/addconditional``; returns its ``menuid``.

        ``matchrule`` needs at least one of ``tag_id`` or
        ``client_platform_type``; privacy fields (sex, region, language) are
        refused by WeChat (65320). A default menu must exist first (65303).
        """
        body = {"button": [dict(b) for b in buttons], "matchrule": dict(matchrule)}
        return str((await self._post("/cgi-bin/menu/addconditional", body))["menuid"])

    async def delete_conditional(self, menuid: str | int) -> dict[str, Any]:
        """Delete one conditional menu: ``POST /cgi-bin/menu/delconditional``."""
        return await self._post("/cgi-bin/menu/delconditional", {"menuid": str(menuid)})

    async def try_match(self, user_id: str) -> dict[str, Any]:
        """The menu a user (openid or WeChat ID) would see: ``POST /cgi-bin/menu/trymatch``.

        Returns ``{"button": [...]}``: the newest matching conditional menu, else the default one.
        """
        return await self._post("/cgi-bin/menu/trymatch", {"user_id": user_id}, idempotent=True)
