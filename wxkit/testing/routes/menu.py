"""Emulator routes for the ``menu`` API group: the custom menu and conditional menus.

State in ``app.data["menu"]``: ``default`` (``{"button": [...], "menuid": id}``
or ``None``) and ``conditional`` (a list, oldest first, of ``{"button",
"matchrule", "menuid"}``).

Buttons are checked as WeChat documents them: 1-3 top-level buttons (40016),
1-5 sub-buttons (40023), no third level (40022), a known ``type`` (40017 /
40024), a name of at most 16 bytes, 60 for sub-buttons (40018 / 40025), a
``key`` of 1-128 bytes for click-like types (40019 / 40026), a ``url`` of
1-1024 bytes for ``view`` and ``miniprogram`` (40020 / 40027), plus
``appid`` + ``pagepath`` for ``miniprogram`` and ``media_id`` /
``article_id`` for their types (40097). ``get`` without a menu answers 46003.

Conditional menus need a default menu (65303) and a non-empty ``matchrule``
(65304) without privacy fields (``sex``, ``country``, ``province``, ``city``,
``language``: 65320). ``trymatch`` walks them newest first: ``tag_id``
matches a follower whose last tag is that id, ``client_platform_type`` a
follower dict's ``client_platform_type``; no match gives the default menu.
An unknown user answers 65302, an unknown menuid 65301.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, ok, require_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

KEY_TYPES = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
URL_TYPES = frozenset({"view", "miniprogram"})
MEDIA_TYPES = frozenset({"media_id", "view_limited"})
ARTICLE_TYPES = frozenset({"article_id", "article_view_limited"})
BUTTON_TYPES = KEY_TYPES | URL_TYPES | MEDIA_TYPES | ARTICLE_TYPES
PRIVATE_RULES = frozenset({"sex", "country", "province", "city", "language"})
RULE_FIELDS = frozenset({"tag_id", "group_id", "client_platform_type"}) | PRIVATE_RULES

#: check -> (errmsg suffix, top-level errcode, sub-button errcode)
_CODES = {
    "size": ("size", 40016, 40023),
    "type": ("type", 40017, 40024),
    "name": ("name size", 40018, 40025),
    "key": ("key size", 40019, 40026),
    "url": ("url size", 40020, 40027),
}
_NAME_BYTES = (16, 60)

router = QuotaRouter()


def _state(app: AppState) -> dict[str, Any]:
    state: dict[str, Any] = app.data.setdefault("menu", {})
    state.setdefault("default", None)
    state.setdefault("conditional", [])
    return state


def _fail(check: str, level: int) -> WeChatAPIError:
    suffix, *codes = _CODES[check]
    return WeChatAPIError(codes[level], f"invalid {('button', 'sub button')[level]} {suffix}")


def _size(value: Any, low: int, high: int) -> bool:
    return isinstance(value, str) and low <= len(value.encode("utf-8")) <= high


def _button(raw: Any, level: int) -> dict[str, Any]:
    button = dict(require_object(raw))
    if not _size(button.get("name"), 1, _NAME_BYTES[level]):
        raise _fail("name", level)
    subs = button.get("sub_button")
    if subs:
        if level == 1:
            raise WeChatAPIError(40022, "invalid sub_menu level")
        if not isinstance(subs, list) or len(subs) > 5:
            raise _fail("size", 1)
        button.pop("type", None)
        button["sub_button"] = [_button(sub, 1) for sub in subs]
        return button
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise _fail("type", level)
    if kind in KEY_TYPES and not _size(button.get("key"), 1, 128):
        raise _fail("key", level)
    if kind in URL_TYPES and not _size(button.get("url"), 1, 1024):
        raise _fail("url", level)
    needed: tuple[str, ...] = {"miniprogram": ("appid", "pagepath")}.get(kind, ())
    needed += ("media_id",) if kind in MEDIA_TYPES else ("article_id",) if kind in ARTICLE_TYPES else ()
    if any(not button.get(field) for field in needed):
        raise WeChatAPIError(40097, f"invalid args: {kind} needs {', '.join(needed)}")
    button["sub_button"] = []
    return button


def _buttons(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 3:
        raise _fail("size", 0)
    return [_button(button, 0) for button in raw]


def _rule_matches(rule: dict[str, Any], user: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "tag_id": lambda want: bool(user.get("tagid_list")) and str(user["tagid_list"][-1]) == str(want),
        "group_id": lambda want: str(user.get("groupid", "")) == str(want),
        "client_platform_type": lambda want: str(user.get("client_platform_type", "")) == str(want),
    }
    wanted = {name: value for name, value in rule.items() if value not in (None, "") and name in checks}
    return bool(wanted) and all(checks[name](value) for name, value in wanted.items())


@router.route("POST", "/cgi-bin/menu/create")
def create(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Create (replace) the default menu."""
    buttons = _buttons(req.field("button"))
    _state(calling_app(req))["default"] = {"button": buttons, "menuid": emu.next_id()}
    return ok()


@router.route("GET", "/cgi-bin/menu/get")
def get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The default menu and the conditional menus (46003 without a menu)."""
    state = _state(calling_app(req))
    if state["default"] is None:
        raise WeChatAPIError(46003, "menu no exist")
    body: dict[str, Any] = {"menu": state["default"]}
    if state["conditional"]:
        body["conditionalmenu"] = state["conditional"]
    return body


@router.route("GET", "/cgi-bin/menu/delete")
def delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete the default menu and every conditional menu."""
    state = _state(calling_app(req))
    state["default"], state["conditional"] = None, []
    return ok()


@router.route("GET", "/cgi-bin/get_current_selfmenu_info")
def selfmenu_info(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The menu in force, in the ``selfmenu_info`` shape (sub-buttons under ``list``)."""
    default = _state(calling_app(req))["default"]
    if default is None:
        return {"is_menu_open": 0, "selfmenu_info": {"button": []}}
    buttons = []
    for button in default["button"]:
        shown = {k: v for k, v in button.items() if k != "sub_button"}
        if button["sub_button"]:
            shown["sub_button"] = {
                "list": [{k: v for k, v in s.items() if k != "sub_button"} for s in button["sub_button"]]
            }
        buttons.append(shown)
    return {"is_menu_open": 1, "selfmenu_info": {"button": buttons}}


@router.route("POST", "/cgi-bin/menu/addconditional")
def add_conditional(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add a conditional menu; answers its ``menuid`` (a string)."""
    state = _state(calling_app(req))
    if state["default"] is None:
        raise WeChatAPIError(65303, "there is no selfmenu, please create selfmenu first")
    rule = req.field("matchrule")
    if not isinstance(rule, dict) or not any(rule.get(name) not in (None, "") for name in RULE_FIELDS):
        raise WeChatAPIError(65304, "match rule empty")
    if any(rule.get(name) not in (None, "") for name in PRIVATE_RULES):
        raise WeChatAPIError(65320, "matchrule contains private info, not supported")
    buttons = _buttons(req.field("button"))
    menuid = str(emu.next_id())
    state["conditional"].append({"button": buttons, "matchrule": dict(rule), "menuid": menuid})
    return {"menuid": menuid}


@router.route("POST", "/cgi-bin/menu/delconditional")
def delete_conditional(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete one conditional menu by menuid."""
    state = _state(calling_app(req))
    menuid = str(req.field("menuid", ""))
    kept = [menu for menu in state["conditional"] if menu["menuid"] != menuid]
    if len(kept) == len(state["conditional"]):
        raise WeChatAPIError(65301, "no such menuid")
    state["conditional"] = kept
    return ok()


@router.route("POST", "/cgi-bin/menu/trymatch")
def try_match(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """The buttons ``user_id`` (an openid, or a follower's ``wechat_id``) would see."""
    app = calling_app(req)
    user_id = req.field("user_id")
    user = app.followers.get(user_id) if isinstance(user_id, str) else None
    if user is None:
        user = next((u for u in app.followers.values() if user_id and u.get("wechat_id") == user_id), None)
    if user is None:
        raise WeChatAPIError(65302, "no such user")
    state = _state(app)
    if state["default"] is None:
        raise WeChatAPIError(46003, "menu no exist")
    for menu in reversed(state["conditional"]):
        if _rule_matches(menu["matchrule"], user):
            return {"button": menu["button"]}
    return {"button": state["default"]["button"]}
