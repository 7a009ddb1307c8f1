"""Emulator routes for the ``message`` API group: customer-service messages and mass sends.

Behaviour:

* ``/cgi-bin/message/custom/send`` and ``/custom/typing``: the user must be in
  ``app.followers`` (40003 otherwise; 43004 when ``subscribe`` is 0) and have
  interacted within 48 hours (``app.interactions[openid]``, see
  :meth:`~wxkit.testing.AppState.touch`; 45015 otherwise). Unknown msgtype:
  40008; a missing message object: 47001; more than one ``news`` article:
  45008. Each send is recorded as ``{"kind": "custom", **request_body}``.
* mass sends (``sendall``, ``send``) record ``{"kind": "mass", "msg_id",
  "recipients", **request_body}`` (plus ``msg_data_id`` for ``mpnews``) and
  answer ``msg_id`` / ``msg_data_id``; a ``clientmsgid`` seen within 24 hours
  answers 45065 with the first ``msg_id``; an openid list outside 2-10000
  answers 40130. Recipients are the subscribed followers (``is_to_all``), those
  whose ``tagid_list`` holds ``tag_id``, or the listed openids that are
  followers. Previews record ``{"kind": "mass_preview", ...}``.
* ``mass/get`` answers ``SEND_SUCCESS`` (``DELETE`` once deleted) for known
  ids, 40059 for others; the speed level defaults to 0.

Every call is metered by its API path (:class:`~wxkit.testing.routes.QuotaRouter`):
``app.quota_limits["/cgi-bin/message/custom/send"] = 1`` makes the second send
answer 45009.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import EmulatorRequest, QuotaRouter, WeChatAPIError, calling_app, follower, json_object, ok, require_object

if TYPE_CHECKING:
    from ..emulator import AppState, Emulator

__all__ = ["router"]

router = QuotaRouter()

_WINDOW = 48 * 3600
_CUSTOM_TYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
        "link",  # mini programs' link card (title, description, url, thumb_url)
    }
)
_MASS_TYPES = frozenset({"mpnews", "text", "voice", "image", "mpvideo", "wxcard"})
_SPEEDS = {0: 80, 1: 60, 2: 45, 3: 30, 4: 10}  # level -> 10k messages a minute
_CLIENTMSGID_TTL = 24 * 3600


# -- customer-service messages -------------------------------------------------------------
def _reachable(emu: Emulator, app: AppState, openid: Any) -> str:
    """``openid`` if a subscribed follower who messaged within 48 hours (40003, 43004, 45015 otherwise)."""
    follower(app, openid, subscribed=True)
    at = app.interactions.get(openid)
    if at is None or emu.now() - at > _WINDOW:
        raise WeChatAPIError(45015, "response out of time limit or subscription is canceled")
    return str(openid)


@router.route("POST", "/cgi-bin/message/custom/send")
def custom_send(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Deliver a customer-service message inside the 48-hour window."""
    app, body = calling_app(req), json_object(req)
    msgtype = body.get("msgtype")
    if msgtype not in _CUSTOM_TYPES:
        raise WeChatAPIError(40008, "invalid message type")
    obj = require_object(body.get(msgtype))
    if msgtype == "news" and len(obj.get("articles") or []) > 1:
        raise WeChatAPIError(45008, "article size out of limit")
    _reachable(emu, app, body.get("touser"))
    app.sent.append({"kind": "custom", **body})
    return ok()


@router.route("POST", "/cgi-bin/message/custom/typing")
def custom_typing(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Show or hide the typing indicator (kept in ``app.data["typing"][openid]``)."""
    app, body = calling_app(req), json_object(req)
    command = body.get("command")
    if command not in ("Typing", "CancelTyping"):
        raise WeChatAPIError(45072, "invalid command")
    app.data.setdefault("typing", {})[_reachable(emu, app, body.get("touser"))] = command
    return ok()


# -- mass sends ------------------------------------------------------------------------------
def _mass_object(body: dict[str, Any], *, preview: bool) -> str:
    msgtype = body.get("msgtype")
    if msgtype not in _MASS_TYPES:
        raise WeChatAPIError(40008, "invalid message type")
    require_object(body.get("images" if (msgtype == "image" and not preview) else msgtype))
    return str(msgtype)


def _mass_jobs(app: AppState) -> dict[int, dict[str, Any]]:
    jobs: dict[int, dict[str, Any]] = app.data.setdefault("mass", {})
    return jobs


def _record_mass(emu: Emulator, app: AppState, body: dict[str, Any], recipients: list[str]) -> dict[str, Any]:
    """Submit a mass job (de-duplicated by ``clientmsgid``) and answer like WeChat."""
    msgtype = _mass_object(body, preview=False)
    clientmsgid = body.get("clientmsgid")
    seen: dict[str, tuple[int, float]] = app.data.setdefault("mass_clientmsgids", {})
    if isinstance(clientmsgid, str) and clientmsgid in seen:
        first_id, at = seen[clientmsgid]
        if emu.now() - at < _CLIENTMSGID_TTL:
            return {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": first_id}
    msg_id = emu.next_id()
    answer: dict[str, Any] = {"msg_id": msg_id}
    if msgtype == "mpnews":
        answer["msg_data_id"] = emu.next_id()
    if isinstance(clientmsgid, str):
        seen[clientmsgid] = (msg_id, emu.now())
    _mass_jobs(app)[msg_id] = {"msg_status": "SEND_SUCCESS", "msgtype": msgtype}
    app.sent.append({"kind": "mass", **answer, "recipients": recipients, **body})
    return {"errcode": 0, "errmsg": "send job submission success", **answer}


@router.route("POST", "/cgi-bin/message/mass/sendall")
def mass_sendall(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Broadcast to all subscribed followers or to a tag's followers."""
    app, body = calling_app(req), json_object(req)
    target = require_object(body.get("filter"))
    subscribed = [oid for oid, user in app.followers.items() if user.get("subscribe", 1)]
    if target.get("is_to_all") is True:
        recipients = subscribed
    else:
        tag_id = target.get("tag_id")
        if not isinstance(tag_id, int):
            raise WeChatAPIError(47001, "data format error")
        recipients = [oid for oid in subscribed if tag_id in (app.followers[oid].get("tagid_list") or [])]
    return _record_mass(emu, app, body, recipients)


@router.route("POST", "/cgi-bin/message/mass/send")
def mass_send(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Broadcast to a list of 2 to 10,000 openids."""
    app, body = calling_app(req), json_object(req)
    touser = body.get("touser")
    if not isinstance(touser, list) or not 2 <= len(touser) <= 10000:
        raise WeChatAPIError(40130, "invalid openid list size, at least two openid")
    recipients = [oid for oid in touser if isinstance(oid, str) and oid in app.followers]
    return _record_mass(emu, app, body, recipients)


@router.route("POST", "/cgi-bin/message/mass/preview")
def mass_preview(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Send a preview to one follower (``touser``) or WeChat ID (``towxname``, wins when both)."""
    app, body = calling_app(req), json_object(req)
    _mass_object(body, preview=True)
    towxname = body.get("towxname")
    if not (isinstance(towxname, str) and towxname):
        follower(app, body.get("touser"), subscribed=True)
    msg_id = emu.next_id()
    app.sent.append({"kind": "mass_preview", "msg_id": msg_id, **body})
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def _job(app: AppState, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return _mass_jobs(app)[int(body["msg_id"])]
    except (KeyError, TypeError, ValueError):
        raise WeChatAPIError(40059, "invalid msg id") from None


@router.route("POST", "/cgi-bin/message/mass/delete")
def mass_delete(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Mark a mass job deleted (one article: the job stays ``SEND_SUCCESS``)."""
    app, body = calling_app(req), json_object(req)
    job = _job(app, body)
    idx = body.get("article_idx", 0)
    if not isinstance(idx, int) or idx < 0:
        raise WeChatAPIError(40060, "invalid article idx")
    if idx == 0:
        job["msg_status"] = "DELETE"
    else:
        job.setdefault("deleted_articles", []).append(idx)
    return ok()


@router.route("POST", "/cgi-bin/message/mass/get")
def mass_get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer a mass job's status."""
    app, body = calling_app(req), json_object(req)
    return {"msg_id": int(body["msg_id"]), "msg_status": _job(app, body)["msg_status"]}


@router.route("POST", "/cgi-bin/message/mass/speed/get")
def mass_speed_get(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Answer the speed level (default 0) and its real speed."""
    speed = int(calling_app(req).data.get("mass_speed", 0))
    return {"speed": speed, "realspeed": _SPEEDS[speed]}


@router.route("POST", "/cgi-bin/message/mass/speed/set")
def mass_speed_set(emu: Emulator, req: EmulatorRequest) -> dict[str, Any]:
    """Set the speed level 0-4 (45084 when missing, 45083 when out of range)."""
    app, body = calling_app(req), json_object(req)
    if "speed" not in body:
        raise WeChatAPIError(45084, "No speed message")
    speed = body["speed"]
    if not isinstance(speed, int) or speed not in _SPEEDS:
        raise WeChatAPIError(45083, "the speed out of range")
    app.data["mass_speed"] = speed
    return ok()
