"""Typed open-platform authorization events: the pushes a third-party platform's event URL receives.

WeChat POSTs them to the platform's "authorization event URL" (授权事件接收
URL), always encrypted (safe mode, receive id = the component appid, the
envelope carrying ``<AppId>`` where message pushes carry ``<ToUserName>``);
the platform answers ``success``. :class:`wxkit.open.Component` verifies,
decrypts and parses them into these classes and calls its ``on_*`` handlers:

===========================  ===============================  =============================
InfoType                     class                            handler
===========================  ===============================  =============================
component_verify_ticket      :class:`VerifyTicketEvent`       ``on_component_verify_ticket``
authorized                   :class:`AuthorizedEvent`         ``on_authorized``
updateauthorized             :class:`UpdateAuthorizedEvent`   ``on_updateauthorized``
unauthorized                 :class:`UnauthorizedEvent`       ``on_unauthorized``
notify_third_fasteregister   :class:`FastRegisterEvent`       ``on_fast_register``
(anything else)              :class:`ComponentEvent`          ``on_unknown``
===========================  ===============================  =============================

Every class falls back to ``on_default``. Every event keeps the whole push
in ``raw`` (new InfoTypes and fields never break a platform).
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from .._model import WxObject, as_int, as_str, wxfield

__all__ = [
    "AuthorizedEvent",
    "COMPONENT_EVENT_CLASSES",
    "ComponentEvent",
    "FastRegisterEvent",
    "UnauthorizedEvent",
    "UpdateAuthorizedEvent",
    "VerifyTicketEvent",
    "parse_component_event",
]


def _secret(xml_name: str) -> Any:
    """A text field kept out of the repr (tickets and authorization codes are credentials)."""
    return attrs.field(default="", repr=False, metadata={"wx": (xml_name, as_str)})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ComponentEvent(WxObject):
    """An authorization event (``InfoType``); this class takes the InfoTypes wxkit does not know.

    ``app_id`` (``AppId``: the component appid), ``create_time``
    (``CreateTime``), ``info_type`` (``InfoType``); the whole push is in ``raw``.
    """

    info: ClassVar[str] = ""
    handler: ClassVar[str] = "on_unknown"
    app_id: str = wxfield("AppId")
    create_time: int = wxfield("CreateTime", as_int, 0)
    info_type: str = wxfield("InfoType")
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class VerifyTicketEvent(ComponentEvent):
    """``component_verify_ticket``: pushed every 10 minutes; the component access token is made from it."""

    info: ClassVar[str] = "component_verify_ticket"
    handler: ClassVar[str] = "on_component_verify_ticket"
    #: ``ComponentVerifyTicket``: kept out of the repr.
    ticket: str = _secret("ComponentVerifyTicket")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AuthorizedEvent(ComponentEvent):
    """``authorized``: ``authorizer_appid`` authorized the platform; trade ``authorization_code`` with ``query_auth``.

    ``authorization_code_expired_time`` (``AuthorizationCodeExpiredTime``) is
    a Unix time; ``pre_auth_code`` the pre-auth code the authorization page used.
    """

    info: ClassVar[str] = "authorized"
    handler: ClassVar[str] = "on_authorized"
    authorizer_appid: str = wxfield("AuthorizerAppid")
    #: ``AuthorizationCode``: kept out of the repr.
    authorization_code: str = _secret("AuthorizationCode")
    authorization_code_expired_time: int = wxfield("AuthorizationCodeExpiredTime", as_int, 0)
    pre_auth_code: str = _secret("PreAuthCode")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UpdateAuthorizedEvent(AuthorizedEvent):
    """``updateauthorized``: ``authorizer_appid`` changed what it authorized (fields as :class:`AuthorizedEvent`)."""

    info: ClassVar[str] = "updateauthorized"
    handler: ClassVar[str] = "on_updateauthorized"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UnauthorizedEvent(ComponentEvent):
    """``unauthorized``: ``authorizer_appid`` withdrew the authorization; its stored tokens are dropped."""

    info: ClassVar[str] = "unauthorized"
    handler: ClassVar[str] = "on_unauthorized"
    authorizer_appid: str = wxfield("AuthorizerAppid")


def _as_dict(name: str, value: Any) -> dict[str, Any]:
    """A nested element as a dict (an empty or text one as ``{}``)."""
    return dict(value) if isinstance(value, dict) else {}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class FastRegisterEvent(ComponentEvent):
    """``notify_third_fasteregister``: the result of registering a mini program for a company (快速注册).

    ``appid`` (the new mini program's, on success), ``status`` (0 success,
    else WeChat's error code), ``msg``, ``auth_code`` (kept out of the repr:
    trade it with ``query_auth``) and ``company`` (``<info>``: the company
    details sent, a dict).
    """

    info: ClassVar[str] = "notify_third_fasteregister"
    handler: ClassVar[str] = "on_fast_register"
    appid: str = wxfield("appid")
    status: int = wxfield("status", as_int, 0)
    msg: str = wxfield("msg")
    auth_code: str = _secret("auth_code")
    company: dict[str, Any] = attrs.field(factory=dict, repr=False, metadata={"wx": ("info", _as_dict)})


#: InfoType -> event class.
COMPONENT_EVENT_CLASSES: dict[str, type[ComponentEvent]] = {
    cls.info: cls
    for cls in (VerifyTicketEvent, AuthorizedEvent, UpdateAuthorizedEvent, UnauthorizedEvent, FastRegisterEvent)
}


def parse_component_event(data: dict[str, Any]) -> ComponentEvent:
    """The typed event for a decrypted push's fields (an unknown ``InfoType`` gives a :class:`ComponentEvent`)."""
    cls = COMPONENT_EVENT_CLASSES.get(str(data.get("InfoType", "")), ComponentEvent)
    return cls.from_dict(data)
