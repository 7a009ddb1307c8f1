"""Emulator routes for the ``template`` API group: template messages (模板消息).

State: ``app.data["templates"]`` maps template_id -> template dict (the
fields of ``get_all_private_template``); seed it with :func:`add_template` or
through ``api_add_template``. ``app.data["industry"]`` holds the two industry
codes (default 1 and 2).

Behaviour of ``/cgi-bin/message/template/send``: an unknown template answers
40037 "invalid template_id", an openid that is not a follower 40003, a
follower who left (``subscribe`` 0) 43004, ``data`` that is not an object
47001; every call is metered by its API path (45009 once
``app.quota_limits["/cgi-bin/message/template/send"]`` is reached). A send is recorded as
``{"kind": "template", "msgid": ..., **request_body}``; the same openid and
``client_msg_id`` within 10 minutes answers the first msgid and sends nothing.
Changing the industries deletes the templates. A numeric (category) short id
without ``keyword_name_list`` answers 40246.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

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

__all__ = ["INDUSTRIES", "add_template", "router"]

router = QuotaRouter()

#: WeChat's template-message industry codes: code -> (first class, second class).
INDUSTRIES: dict[int, tuple[str, str]] = {
    1: ("IT科技", "互联网|电子商务"),
    2: ("IT科技", "IT软件与服务"),
    3: ("IT科技", "IT硬件与设备"),
    4: ("IT科技", "电子技术"),
    5: ("IT科技", "通信与运营商"),
    6: ("IT科技", "网络游戏"),
    7: ("金融业", "银行"),
    8: ("金融业", "基金|理财|信托"),
    9: ("金融业", "保险"),
    10: ("餐饮", "餐饮"),
    11: ("酒店旅游", "酒店"),
    12: ("酒店旅游", "旅游"),
    13: ("运输与仓储", "快递"),
    14: ("运输与仓储", "物流"),
    15: ("运输与仓储", "仓储"),
    16: ("教育", "培训"),
    17: ("教育", "院校"),
    18: ("政府与公共事业", "学术科研"),
    19: ("政府与公共事业", "交警"),
    20: ("政府与公共事业", "博物馆"),
    21: ("政府与公共事业", "公共事业|非盈利机构"),
    22: ("医药护理", "医药医疗"),
    23: ("医药护理", "护理美容"),
    24: ("医药护理", "保健与卫生"),
    25: ("交通工具", "汽车相关"),
    26: ("交通工具", "摩托车相关"),
    27: ("交通工具", "火车相关"),
    28: ("交通工具", "飞机相关"),
    29: ("房地产", "建筑"),
    30: ("房地产", "物业"),
    31: ("消费品", "消费品"),
    32: ("商业服务", "法律"),
    33: ("商业服务", "会展"),
    34: ("商业服务", "中介服务"),
    35: ("商业服务", "认证"),
    36: ("商业服务", "审计"),
    37: ("文体娱乐", "传媒"),
    38: ("文体娱乐", "体育"),
    39: ("文体娱乐", "娱乐休闲"),
    40: ("印刷", "印刷"),
    41: ("其它", "其它"),
}
_DEFAULT_INDUSTRY = (1, 2)
_DEDUP_TTL = 600


def _templates(app: AppState) -> dict[str, dict[str, Any]]:
    templates: dict[str, dict[str, Any]] = app.data.setdefault("templates", {})
    return templates


def add_template(
    app: AppState,
    template_id: str | None = None,
    *,
    title: str = "订单发货提醒",
    content: str = "订单号:{{keyword1.DATA}}\n物流公司:{{keyword2.DATA}}\n",
    example: str = "",
) -> dict[str, Any]:
    """Give ``app`` a template (a random 43-character id unless ``template_id``); return it.

    The template belongs to the app's primary industry, as WeChat lists it.
    """
    first_class, second_class = INDUSTRIES[app.data.get("industry", _DEFAULT_INDUSTRY)[0]]
    template = {
        "template_id": template_id or secrets.token_urlsafe(32),
        "title": title,
        "primary_industry": first_class,
        "deputy_industry": second_class,
        "content": content,
        "example": example,
    }
    _templates(app)[template["template_id"]] = template
    return template


@router.route("POST", "/cgi-bin/message/template/send")
def send(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Send a template message to a subscribed follower; answer its msgid."""
    app, body = calling_app(req), json_object(req)
    if as_text(body.get("template_id")) not in _templates(app):
        raise WeChatAPIError(40037, "invalid template_id")
    openid = body.get("touser")
    follower(app, openid, subscribed=True)
    require_object(body.get("data"))
    dedup: dict[tuple[str, str], tuple[int, float]] = app.data.setdefault("template_client_msg_ids", {})
    key = (str(openid), str(body.get("client_msg_id")))
    if "client_msg_id" in body and key in dedup and emu.now() - dedup[key][1] < _DEDUP_TTL:
        return ok(msgid=dedup[key][0])
    msgid = emu.next_id()
    if "client_msg_id" in body:
        dedup[key] = (msgid, emu.now())
    app.sent.append({"kind": "template", "msgid": msgid, **body})
    return ok(msgid=msgid)


@router.route("GET", "/cgi-bin/template/get_all_private_template")
def get_all_private_template(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """List the app's templates."""
    return {"template_list": list(_templates(calling_app(req)).values())}


@router.route("POST", "/cgi-bin/template/del_private_template")
def del_private_template(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Delete a template (40037 if unknown)."""
    if _templates(calling_app(req)).pop(as_text(req.field("template_id")), None) is None:
        raise WeChatAPIError(40037, "invalid template_id")
    return ok()


@router.route("GET", "/cgi-bin/template/get_industry")
def get_industry(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer the app's two industries."""
    codes = calling_app(req).data.get("industry", _DEFAULT_INDUSTRY)
    primary, secondary = ({"first_class": INDUSTRIES[code][0], "second_class": INDUSTRIES[code][1]} for code in codes)
    return {"primary_industry": primary, "secondary_industry": secondary}


@router.route("POST", "/cgi-bin/template/api_set_industry")
def api_set_industry(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Set the two industries (40035 for a code outside 1-41); a change deletes the templates."""
    app, body = calling_app(req), json_object(req)
    try:
        codes = (int(body["industry_id1"]), int(body["industry_id2"]))
    except (KeyError, TypeError, ValueError):
        raise WeChatAPIError(40035, "invalid args") from None
    if not all(code in INDUSTRIES for code in codes):
        raise WeChatAPIError(40035, "invalid args")
    if codes != tuple(app.data.get("industry", _DEFAULT_INDUSTRY)):
        _templates(app).clear()
    app.data["industry"] = codes
    return ok()


@router.route("POST", "/cgi-bin/template/api_add_template")
def api_add_template(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Add a library template; category (numeric) ids need ``keyword_name_list``."""
    app, body = calling_app(req), json_object(req)
    short = body.get("template_id_short")
    if not isinstance(short, str) or not short:
        raise WeChatAPIError(40037, "invalid template_id")
    keywords = body.get("keyword_name_list") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise WeChatAPIError(40246, "keyword name invalid")
    if short.isdigit() and not keywords:
        raise WeChatAPIError(40246, "keyword name invalid")
    content = "".join(f"{name}:{{{{keyword{i}.DATA}}}}\n" for i, name in enumerate(keywords, 1))
    template = add_template(app, title=f"模板 {short}", content=content or "{{first.DATA}}\n{{remark.DATA}}")
    return ok(template_id=template["template_id"])
