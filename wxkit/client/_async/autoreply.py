"""The ``autoreply`` API group (``client.autoreply``): the account's own console auto-reply rules.

::

    info = client.autoreply.get_current()          # WeChat's answer, as is
    rules = client.autoreply.export_rules()        # the same, as wxkit.rules rules
    store_rules(storage, rules)                    # served by AutoReply.from_storage()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core._async.base import AsyncBaseAPI

__all__ = ["AsyncAutoReplyAPI"]


class AsyncAutoReplyAPI(AsyncBaseAPI):
    """The auto-reply rules set in the official-account console (公众平台 → 自动回复)."""

    async def get_current(self) -> dict[str, Any]:
        """The console's rules in force: ``GET /cgi-bin/get_current_autoreply_info``.

        Returns ``{"is_add_friend_reply_open", "is_autoreply_open",
        "add_friend_autoreply_info", "message_default_autoreply_info",
        "keyword_autoreply_info": {"list": [{"rule_name", "create_time",
        "reply_mode", "keyword_list_info", "reply_list_info"}, ...]}}``. Only the
        console's rules are reported, never those a server (like this one)
        answers with.
        """
        return await self._get("/cgi-bin/get_current_autoreply_info")

    async def export_rules(self, *, media: Callable[[str, str], str] | None = None) -> list[dict[str, Any]]:
        """The console's rules as :mod:`wxkit.rules` rules (:func:`~wxkit.rules.import_console_rules`).

        ``media(kind, media_id) -> media_id`` swaps the temporary media ids
        WeChat answers (valid three days) for permanent ones.
        """
        from ...rules import import_console_rules  # the inbound rules engine only when rules are exported

        return import_console_rules(await self.get_current(), media=media)
