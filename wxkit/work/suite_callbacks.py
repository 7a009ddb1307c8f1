"""Typed WeCom third-party suite callbacks: the pushes that carry ``InfoType`` instead of ``MsgType``.

WeCom sends a third-party suite (第三方应用) "instruction callbacks" (指令回调)
to its callback URL: every 10 minutes the ``suite_ticket``, and one push per
install, authorization change, uninstall, contact change or permanent-code
reset. They are encrypted like every WeCom push, with the suite id as the
receive id (``WorkApplication(receive_id=suite_id, ...)``), and answered
``success``. :class:`~wxkit.work.WorkApplication` parses them into these
classes and dispatches them:

=========================  ================================  ===============================
InfoType                   class                             handler
=========================  ================================  ===============================
suite_ticket               :class:`SuiteTicketCallback`      ``on_suite_ticket``
create_auth                :class:`CreateAuthCallback`       ``on_create_auth``
change_auth                :class:`ChangeAuthCallback`       ``on_change_auth``
cancel_auth                :class:`CancelAuthCallback`       ``on_cancel_auth``
change_contact             :class:`SuiteChangeContactCallback`  ``on_suite_change_contact``
reset_permanent_code       :class:`ResetPermanentCodeCallback`  ``on_reset_permanent_code``
(anything else)            :class:`SuiteCallback`            ``on_suite_callback``
=========================  ================================  ===============================

Every class falls back to ``on_suite_callback``, then ``on_default``. A
handler's return value is ignored: WeCom expects ``success``. Before any
handler runs, a ``suite_ticket`` is stored in the application's storage under
:func:`wxkit.core.token.suite_ticket_key` (where :class:`wxkit.work.Suite`
reads it); a storage failure answers 500, so WeCom pushes it again.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import attrs

from .._model import as_int, as_str, wxfield
from ..messages import BaseMessage
from .messages import work_registry

__all__ = [
    "CancelAuthCallback",
    "ChangeAuthCallback",
    "CreateAuthCallback",
    "PermanentCode",
    "ResetPermanentCodeCallback",
    "SUITE_CALLBACK_CLASSES",
    "SuiteCallback",
    "SuiteChangeContactCallback",
    "SuiteTicketCallback",
]


def _secret(xml_name: str) -> Any:
    """A text field read from ``xml_name`` and kept out of the repr (tickets and codes are credentials)."""
    return attrs.field(default="", repr=False, metadata={"wx": (xml_name, as_str)})


@attrs.frozen(kw_only=True)
class SuiteCallback(BaseMessage):
    """A suite instruction callback (``InfoType``); this class takes the InfoTypes wxkit does not know.

    ``suite_id`` (``SuiteId``), ``info_type`` (``InfoType``), ``timestamp``
    (``TimeStamp``); everything else is in ``raw``.
    """

    handler: ClassVar[str] = "on_suite_callback"
    suite_id: str = wxfield("SuiteId")
    info_type: str = wxfield("InfoType")
    timestamp: int = wxfield("TimeStamp", as_int, 0)

    @property
    def dedup_key(self) -> str:
        """Suite, InfoType, timestamp and a digest of the whole push (callbacks carry no MsgId)."""
        digest = hashlib.sha256(repr(sorted((k, str(v)) for k, v in self.raw.items())).encode()).hexdigest()[:16]
        return f"info:{self.suite_id}:{self.info_type}:{self.timestamp}:{digest}"


@attrs.frozen(kw_only=True)
class SuiteTicketCallback(SuiteCallback):
    """``InfoType=suite_ticket``: the ticket the suite access token is made from (pushed every 10 minutes)."""

    wx_type: ClassVar[str] = "suite_ticket"
    handler: ClassVar[str] = "on_suite_ticket"
    #: ``SuiteTicket``: a credential, kept out of the repr.
    suite_ticket: str = _secret("SuiteTicket")


@attrs.frozen(kw_only=True)
class CreateAuthCallback(SuiteCallback):
    """``InfoType=create_auth``: a corp installed the suite; trade ``auth_code`` for the permanent code."""

    wx_type: ClassVar[str] = "create_auth"
    handler: ClassVar[str] = "on_create_auth"
    #: ``AuthCode``: the temporary authorization code (valid 10 minutes, once), kept out of the repr.
    auth_code: str = _secret("AuthCode")
    state: str = wxfield("State")


@attrs.frozen(kw_only=True)
class ChangeAuthCallback(SuiteCallback):
    """``InfoType=change_auth``: the corp ``auth_corp_id`` changed what it authorized."""

    wx_type: ClassVar[str] = "change_auth"
    handler: ClassVar[str] = "on_change_auth"
    auth_corp_id: str = wxfield("AuthCorpId")
    state: str = wxfield("State")


@attrs.frozen(kw_only=True)
class CancelAuthCallback(SuiteCallback):
    """``InfoType=cancel_auth``: the corp ``auth_corp_id`` uninstalled the suite."""

    wx_type: ClassVar[str] = "cancel_auth"
    handler: ClassVar[str] = "on_cancel_auth"
    auth_corp_id: str = wxfield("AuthCorpId")


@attrs.frozen(kw_only=True)
class SuiteChangeContactCallback(SuiteCallback):
    """``InfoType=change_contact``: a contact change in an authorizing corp (``ChangeType`` says which)."""

    wx_type: ClassVar[str] = "change_contact"
    handler: ClassVar[str] = "on_suite_change_contact"
    auth_corp_id: str = wxfield("AuthCorpId")
    change_type: str = wxfield("ChangeType")
    user_id: str = wxfield("UserID")
    open_user_id: str = wxfield("OpenUserID")
    id: str = wxfield("Id")


@attrs.frozen(kw_only=True)
class ResetPermanentCodeCallback(SuiteCallback):
    """``InfoType=reset_permanent_code``: trade the new ``auth_code`` for the corp's new permanent code."""

    wx_type: ClassVar[str] = "reset_permanent_code"
    handler: ClassVar[str] = "on_reset_permanent_code"
    #: ``AuthCode``: kept out of the repr.
    auth_code: str = _secret("AuthCode")


@attrs.frozen(kw_only=True)
class PermanentCode:
    """What ``get_permanent_code`` answered: the corp, its name and the permanent code (kept out of the repr)."""

    corpid: str
    corp_name: str = ""
    permanent_code: str = attrs.field(repr=False)
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


#: Every suite callback class registered in :data:`wxkit.work.work_registry` (by InfoType).
SUITE_CALLBACK_CLASSES: tuple[type[SuiteCallback], ...] = (
    SuiteTicketCallback,
    CreateAuthCallback,
    ChangeAuthCallback,
    CancelAuthCallback,
    SuiteChangeContactCallback,
    ResetPermanentCodeCallback,
)

for _cls in SUITE_CALLBACK_CLASSES:
    work_registry.register_info(_cls)
work_registry.unknown_info = SuiteCallback
