"""Emulator routes for the ``subscribe`` API group: subscription notifications and one-time messages.

State, per app:

* ``app.data["subscribe_templates"]``: priTmplId -> private template (the
  fields of ``gettemplate``), added through ``addtemplate`` from
  :data:`PUBLIC_TEMPLATES` (category :data:`CATEGORIES`) or seeded with
  :func:`add_template`;
* ``app.data["subscribe_grants"]``: (openid, priTmplId) -> notifications the
  user accepted and not yet received (``None``: unlimited), given with
  :func:`accept_subscription` (the user's tap on the subscribe pop-up);
* ``app.data["subscribe_once"]``: (openid, template_id, scene) one-time
  authorizations, given with :func:`confirm_one_time` (the user's tap on the
  page of ``client.subscribe.one_time_url``).

Behaviour: an unknown template answers 40037, an openid that is not a
follower 40003, a user without an acceptance or authorization 43101 ("user
refuse to accept the msg"), ``data`` without a field the template shows 47003;
``addtemplate`` answers 200014 for an unknown ``tid``, 200020 for a
``kidList`` that is not 2-5 of its keywords, 200021 for a ``sceneDesc`` over
15 characters; ``getpubtemplatetitles`` 200016-200019 for a bad ``start``,
``limit`` or ``ids``. Sends are recorded as ``{"kind": "subscribe", ...}`` and
``{"kind": "subscribe_once", ...}`` (the request body). Every call is metered
by its API path (``app.quota_limits["/cgi-bin/message/subscribe/bizsend"]``).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from . import (
    EmulatorRequest,
    QuotaRouter,
    WeChatAPIError,
    as_text,
    calling_app,
    follower,
    json_object,
    ok,
    require_object,
)

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["CATEGORIES", "PUBLIC_TEMPLATES", "accept_subscription", "add_template", "confirm_one_time", "router"]

router = QuotaRouter()

#: The categories every emulated account has (``getcategory``).
CATEGORIES: list[dict[str, Any]] = [{"id": 616, "name": "公交"}]

#: The emulator's public template library: tid -> title, type (2 one-time,
#: 3 long-term), category and keywords.
PUBLIC_TEMPLATES: dict[int, dict[str, Any]] = {
    99: {
        "tid": 99,
        "title": "付款成功通知",
        "type": 2,
        "categoryId": "616",
        "keywords": [
            {"kid": 1, "name": "物品名称", "example": "名称", "rule": "thing"},
            {"kid": 2, "name": "付款金额", "example": "100元", "rule": "amount"},
            {"kid": 3, "name": "付款时间", "example": "2019年10月1日 15:01", "rule": "time"},
        ],
    },
    401: {
        "tid": 401,
        "title": "线路变更通知",
        "type": 3,
        "categoryId": "616",
        "keywords": [
            {"kid": 1, "name": "线路名称", "example": "1路", "rule": "thing"},
            {"kid": 2, "name": "变更日期", "example": "2019年10月1日", "rule": "date"},
            {"kid": 3, "name": "变更说明", "example": "临时绕行", "rule": "thing"},
        ],
    },
}

_REFUSED = (43101, "user refuse to accept the msg")
_FIELD = re.compile(r"\{\{(\w+)\.DATA\}\}")


def _templates(app: AppState) -> dict[str, dict[str, Any]]:
    templates: dict[str, dict[str, Any]] = app.data.setdefault("subscribe_templates", {})
    return templates


def _grants(app: AppState) -> dict[tuple[str, str], int | None]:
    grants: dict[tuple[str, str], int | None] = app.data.setdefault("subscribe_grants", {})
    return grants


def _once(app: AppState) -> set[tuple[str, str, str]]:
    once: set[tuple[str, str, str]] = app.data.setdefault("subscribe_once", set())
    return once


# -- test helpers ------------------------------------------------------------------------------
def add_template(
    app: AppState,
    pri_tmpl_id: str | None = None,
    *,
    title: str = "付款成功通知",
    content: str = "物品名称:{{thing1.DATA}}\n付款金额:{{amount2.DATA}}\n",
    example: str = "",
    type: int = 2,
) -> dict[str, Any]:
    """Give ``app`` a private template (type 2 one-time, 3 long-term); return it."""
    template_id = pri_tmpl_id or secrets.token_urlsafe(32)
    template: dict[str, Any] = {
        "priTmplId": template_id,
        "title": title,
        "content": content,
        "example": example,
        "type": type,
    }
    _templates(app)[template_id] = template
    return template


def accept_subscription(app: AppState, openid: str, template_id: str, *, times: int | None = 1) -> None:
    """Record that ``openid`` accepted ``template_id`` ``times`` times (``None``: long-term, unlimited)."""
    grants = _grants(app)
    key = (openid, template_id)
    current = grants.get(key, 0)
    grants[key] = None if (times is None or current is None) else current + times


def confirm_one_time(app: AppState, url: str, openid: str, *, accept: bool = True) -> str:
    """Play the user's answer on a one-time subscribe page; return where WeChat redirects.

    ``url`` is what ``client.subscribe.one_time_url`` built. Accepting lets
    the app send one message to ``openid`` for that template and scene; the
    redirect carries ``openid`` (on accept), ``template_id``, ``action``
    (``confirm`` / ``cancel``), ``scene`` and ``reserved``. A URL that is not
    a valid confirm page for ``app`` raises ``ValueError``.
    """
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if (parts.netloc, parts.path) != ("mp.weixin.qq.com", "/mp/subscribemsg") or parts.fragment != "wechat_redirect":
        raise ValueError("not a one-time subscribe confirm URL")
    if query.get("action") != "get_confirm" or query.get("appid") != app.appid:
        raise ValueError("the URL is not a get_confirm page of this app")
    scene, template_id, redirect = query.get("scene", ""), query.get("template_id"), query.get("redirect_url")
    if not (scene.isdigit() and int(scene) <= 10000) or not template_id or not redirect:
        raise ValueError("the URL needs scene (0-10000), template_id and redirect_url")
    answer = {"openid": openid} if accept else {}
    answer |= {"template_id": template_id, "action": "confirm" if accept else "cancel", "scene": scene}
    if "reserved" in query:
        answer["reserved"] = query["reserved"]
    if accept:
        _once(app).add((openid, template_id, scene))
    return f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(answer)}"


# -- routes ----------------------------------------------------------------------------------------
def _check_data(template: dict[str, Any], value: Any) -> None:
    data = require_object(value)
    for name in _FIELD.findall(template.get("content", "")):
        item = data.get(name)
        if not isinstance(item, dict) or "value" not in item:
            raise WeChatAPIError(47003, f"argument invalid! data.{name}.value invalid")


@router.route("POST", "/cgi-bin/message/subscribe/bizsend")
def bizsend(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Send an accepted subscription notification (one acceptance each, unless long-term)."""
    app, body = calling_app(req), json_object(req)
    template = _templates(app).get(as_text(body.get("template_id")))
    if template is None:
        raise WeChatAPIError(40037, "invalid template_id")
    openid = as_text(body.get("touser"))
    follower(app, openid)
    _check_data(template, body.get("data"))
    grants, key = _grants(app), (openid, template["priTmplId"])
    left = grants.get(key, 0)
    if left is not None and left <= 0:
        raise WeChatAPIError(*_REFUSED)
    if left is not None:
        grants[key] = left - 1
    app.sent.append({"kind": "subscribe", **body})
    return ok()


@router.route("POST", "/cgi-bin/message/template/subscribe")
def template_subscribe(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Send the one message a user authorized for a template and scene."""
    app, body = calling_app(req), json_object(req)
    template_id, scene = as_text(body.get("template_id")), str(body.get("scene", ""))
    if not template_id:
        raise WeChatAPIError(40037, "invalid template_id")
    if not (scene.isdigit() and int(scene) <= 10000) or not isinstance(body.get("title"), str):
        raise WeChatAPIError(47001, "data format error")
    require_object(body.get("data"))
    openid = body.get("touser")
    follower(app, openid)
    key = (str(openid), template_id, scene)
    if key not in _once(app):
        raise WeChatAPIError(*_REFUSED)
    _once(app).discard(key)
    app.sent.append({"kind": "subscribe_once", **body})
    return ok()


def _add_template_fields(req: EmulatorRequest) -> tuple[Any, list[Any], Any]:
    """``(tid, kidList, sceneDesc)`` from a form body (``kidList`` repeated) or a JSON one."""
    if req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        pairs = parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        form = dict(pairs)
        kids: list[Any] = [value for name, value in pairs if name == "kidList" or name.startswith("kidList[")]
        return form.get("tid"), kids, form.get("sceneDesc")
    body = json_object(req)
    listed = body.get("kidList")
    return body.get("tid"), listed if isinstance(listed, list) else [], body.get("sceneDesc")


@router.route("POST", "/wxaapi/newtmpl/addtemplate")
def addtemplate(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add a public template with 2-5 of its keywords to the app's private templates."""
    app = calling_app(req)
    tid, kids, scene_desc = _add_template_fields(req)
    public = PUBLIC_TEMPLATES.get(int(tid)) if str(tid).isdigit() else None
    if public is None:
        raise WeChatAPIError(200014, "tid does not exist" if tid else "missing parameter tid")
    by_kid = {kw["kid"]: kw for kw in public["keywords"]}
    chosen = [by_kid.get(int(kid)) if str(kid).isdigit() else None for kid in kids]
    if not 2 <= len(chosen) <= 5 or None in chosen or len(set(map(str, kids))) != len(kids):
        raise WeChatAPIError(200020, "invalid keywords")
    if not isinstance(scene_desc, str) or len(scene_desc) > 15:
        raise WeChatAPIError(200021, "invalid sceneDesc")
    keywords = [kw for kw in chosen if kw is not None]
    template = add_template(
        app,
        title=public["title"],
        content="".join(f"{kw['name']}:{{{{{kw['rule']}{kw['kid']}.DATA}}}}\n" for kw in keywords),
        example="".join(f"{kw['name']}:{kw['example']}\n" for kw in keywords),
        type=public["type"],
    )
    return ok(priTmplId=template["priTmplId"])


@router.route("POST", "/wxaapi/newtmpl/deltemplate")
def deltemplate(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete a private template (40037 if unknown)."""
    if _templates(calling_app(req)).pop(as_text(req.field("priTmplId")), None) is None:
        raise WeChatAPIError(40037, "invalid template_id")
    return ok()


@router.route("GET", "/wxaapi/newtmpl/getcategory")
def getcategory(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer :data:`CATEGORIES`."""
    return ok(data=CATEGORIES)


@router.route("GET", "/wxaapi/newtmpl/getpubtemplatekeywords")
def getpubtemplatekeywords(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer a public template's keywords (200014 for an unknown tid)."""
    tid = req.query.get("tid", "")
    public = PUBLIC_TEMPLATES.get(int(tid)) if tid.isdigit() else None
    if public is None:
        raise WeChatAPIError(200014, "tid does not exist")
    return ok(count=len(public["keywords"]), data=public["keywords"])


@router.route("GET", "/wxaapi/newtmpl/getpubtemplatetitles")
def getpubtemplatetitles(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer a page of the public templates in the ``ids`` categories."""
    q = req.query
    ids = [part.strip().strip('"') for part in q.get("ids", "").split(",") if part.strip().strip('"')]
    if not ids:
        raise WeChatAPIError(200018, "missing ids")
    if not all(part.isdigit() for part in ids):
        raise WeChatAPIError(200019, "invalid ids")
    start, limit = q.get("start", ""), q.get("limit", "")
    if not start.isdigit():
        raise WeChatAPIError(200016, "invalid start")
    if not limit.isdigit() or not 1 <= int(limit) <= 30:
        raise WeChatAPIError(200017, "invalid limit")
    titles = [
        {k: v for k, v in public.items() if k != "keywords"}
        for public in PUBLIC_TEMPLATES.values()
        if public["categoryId"] in ids
    ]
    return ok(count=len(titles), data=titles[int(start) : int(start) + int(limit)])


@router.route("GET", "/wxaapi/newtmpl/gettemplate")
def gettemplate(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer the app's private templates."""
    return ok(data=list(_templates(calling_app(req)).values()))
