"""Emulator routes for the ``autoreply`` API group: the console's auto-reply rules.

Endpoint: ``GET /cgi-bin/get_current_autoreply_info``. The console settings
live in ``app.data["autoreply"]`` as WeChat answers them; seed them with
:func:`set_autoreply`. An app that has set nothing answers both switches off
and no rules.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, calling_app

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router", "set_autoreply"]

router = QuotaRouter()


def _state(app: AppState) -> dict[str, Any]:
    state: dict[str, Any] = app.data.setdefault("autoreply", {})
    state.setdefault("is_add_friend_reply_open", 0)
    state.setdefault("is_autoreply_open", 0)
    return state


def set_autoreply(
    app: AppState,
    *,
    add_friend: dict[str, Any] | None = None,
    default: dict[str, Any] | None = None,
    keywords: list[dict[str, Any]] | None = None,
) -> None:
    """Seed the console's rules: the follow reply, the default reply and the keyword rules.

    ``add_friend`` / ``default`` are ``{"type", "content"}`` (setting one
    switches it on); ``keywords`` are WeChat's ``keyword_autoreply_info.list``
    items (``rule_name``, ``create_time``, ``reply_mode``,
    ``keyword_list_info``, ``reply_list_info``).
    """
    state = _state(app)
    if add_friend is not None:
        state["is_add_friend_reply_open"] = 1
        state["add_friend_autoreply_info"] = dict(add_friend)
    if default is not None:
        state["is_autoreply_open"] = 1
        state["message_default_autoreply_info"] = dict(default)
    if keywords is not None:
        state["keyword_autoreply_info"] = {"list": copy.deepcopy(keywords)}


@router.route("GET", "/cgi-bin/get_current_autoreply_info")
def current(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The console's auto-reply settings, as stored."""
    return copy.deepcopy(_state(calling_app(req)))
