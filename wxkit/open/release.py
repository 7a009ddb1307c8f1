"""The open platform's full-network release check (全网发布接入检测), answered for an ``open_platform`` application.

Before a third-party platform may be published to every account, WeChat
authorizes one of its dedicated test accounts to the platform (pushing
``authorized`` with a ``query_auth_code`` to the authorization event URL)
and sends test messages to the message URL as that account
(``/$APPID$`` = the test appid), encrypted as every push:

* the text ``TESTCOMPONENT_MSG_TYPE_TEXT``: answer a text reply
  ``TESTCOMPONENT_MSG_TYPE_TEXT_callback`` at once;
* the text ``QUERY_AUTH_CODE:<query_auth_code>``: answer an empty body at
  once (:class:`~wxkit.replies.EmptyReply`, as the check asks), then trade
  the code with ``api_query_auth`` (61009, a code
  the platform's ``on_authorized`` traded already, is passed over: the
  refresh token it stored serves) and send the customer-service text
  ``<query_auth_code>_from_api`` to the sender through the account's
  authorizer token;
* an event (older versions of the documentation): answer the text
  ``<Event>from_callback``.

A :class:`wxkit.WxApplication` with ``open_platform`` and ``release_check``
set (and its ``component``) does all of it for :data:`RELEASE_TEST_APPIDS`
only, before its own routes and handlers (``pre_process`` still runs
first); other messages of the test accounts reach the handlers as usual.
The follow-up send runs as :meth:`~wxkit.WxApplication.reply_later`'s work
does (a thread of ``reply_executor``, or a task on the async path with an
``AsyncComponent``); a failure is logged on ``wxkit.app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._eventbase import Event
from ..messages import TextMessage
from ..replies import EmptyReply

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..app import BaseApplication, HandlerResult
    from ..messages import BaseMessage

__all__ = [
    "AUTH_CODE_PREFIX",
    "RELEASE_TEST_APPIDS",
    "RELEASE_TEST_MINIPROGRAMS",
    "RELEASE_TEST_OFFICIAL_ACCOUNTS",
    "TEXT_PROBE",
    "release_check_handler",
]

#: The dedicated test official accounts (appid -> Username), five groups (WeChat picks one at random).
RELEASE_TEST_OFFICIAL_ACCOUNTS = {
    "wx570bc396a51b8ff8": "gh_3c884a361561",
    "wx9252c5e0bb1836fc": "gh_c0f28a78b318",
    "wx8e1097c5bc82cde9": "gh_3f222ed8d140",
    "wx14550af28c71a144": "gh_26128078e9ab",
    "wxa35b9c23cfe664eb": "gh_2b3713f184a6",
}
#: The dedicated test mini programs (appid -> Username), five groups.
RELEASE_TEST_MINIPROGRAMS = {
    "wxd101a85aa106f53e": "gh_8dad206e9538",
    "wxc39235c15087f6f3": "gh_905ae9d01059",
    "wx7720d01d4b2a4500": "gh_393666f1fdf4",
    "wx05d483572dcd5d8b": "gh_39abb5d4e1b7",
    "wx5910277cae6fd970": "gh_7818dcb60240",
}
#: Every test account's appid: only their pushes are answered by the release check.
RELEASE_TEST_APPIDS = frozenset(RELEASE_TEST_OFFICIAL_ACCOUNTS) | frozenset(RELEASE_TEST_MINIPROGRAMS)
#: The text answered ``TEXT_PROBE + "_callback"`` at once.
TEXT_PROBE = "TESTCOMPONENT_MSG_TYPE_TEXT"
#: The prefix of the text carrying the query_auth_code, answered later through the customer-service API.
AUTH_CODE_PREFIX = "QUERY_AUTH_CODE:"


def release_check_handler(app: BaseApplication, message: BaseMessage) -> Callable[[Any], HandlerResult] | None:
    """The handler answering ``message`` if it is one of the release check's tests, else None.

    Only for pushes to :data:`RELEASE_TEST_APPIDS` (``message.authorizer_appid``).
    """
    if message.authorizer_appid not in RELEASE_TEST_APPIDS:
        return None
    if isinstance(message, TextMessage):
        if message.content == TEXT_PROBE:
            return lambda msg: TEXT_PROBE + "_callback"
        if message.content.startswith(AUTH_CODE_PREFIX) and len(message.content) > len(AUTH_CODE_PREFIX):
            return lambda msg: _answer_later(app, msg)
        return None
    if isinstance(message, Event):
        event = message.raw.get("Event")
        if isinstance(event, str) and event:
            return lambda msg: f"{event}from_callback"
    return None


def _answer_later(app: BaseApplication, message: TextMessage) -> HandlerResult:
    """Answer nothing now; trade the code and send ``<code>_from_api`` as a customer-service text."""
    from .. import _flow, _later
    from ..errors import APIError, ConfigError

    component = app.component
    if component is None:
        raise ConfigError("release_check needs the application's component (Component.application() sets it)")
    code = message.content[len(AUTH_CODE_PREFIX) :].strip()
    appid = message.authorizer_appid
    clients: dict[str, Any] = app.__dict__.setdefault("_release_clients", {})  # one client per test account
    client = clients.get(appid)
    if client is None:
        client = clients.setdefault(appid, component.client(appid))
    answer = f"{code}_from_api"
    if _flow.is_async_callable(component.query_auth):

        async def work_async() -> str:
            try:
                await component.query_auth(code)
            except APIError as exc:
                _spent(exc)
            return answer

        _later.submit(client, getattr(app, "reply_executor", None), message.from_user_name, work_async, ())
    else:

        def work() -> str:
            try:
                component.query_auth(code)
            except APIError as exc:
                _spent(exc)
            return answer

        _later.submit(client, getattr(app, "reply_executor", None), message.from_user_name, work, ())
    return EmptyReply()  # "回复空串": the documented empty body


def _spent(exc: Exception) -> None:
    """A code already traded (61009: the platform's ``on_authorized`` did it): the stored refresh token serves."""
    if getattr(exc, "errcode", None) != 61009:
        raise exc
