"""WeCom (企业微信) callback application: :class:`WorkApplication`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .. import _flow
from ..app import _UNSET, BaseApplication, HandlerResult, _param
from ..core.token import SUITE_TICKET_TTL, suite_ticket_key
from ..crypto import MessageCrypto
from ..errors import ConfigError, ParseError, StorageError
from ..messages import BaseMessage, TypeRegistry
from .messages import work_registry
from .suite_callbacks import SuiteCallback, SuiteTicketCallback

__all__ = ["WorkApplication"]


class WorkApplication(BaseApplication):
    """A WeCom self-built app (or third-party suite) callback application.

    Configure ``token``, ``corp_id`` and ``aes_key`` as class attributes or
    constructor keywords. WeCom always encrypts, so ``aes_key`` is required.
    ``receive_id`` defaults to ``corp_id``; set it to a suite id for
    third-party suite callbacks, or to ``""`` to skip the receive-id check.
    The URL check verifies ``msg_signature`` over ``echostr``, decrypts it and
    answers the plaintext. Handlers, hooks and the replay guard work as in
    :class:`wxkit.WxApplication`; every message has ``agent_id``.

    Third-party suite instruction callbacks (``InfoType`` instead of
    ``MsgType``: ``suite_ticket``, ``create_auth``, ``change_auth``,
    ``cancel_auth``, ``change_contact``, ``reset_permanent_code``) parse into
    :mod:`wxkit.work.suite_callbacks` classes and go to ``on_suite_ticket``,
    ``on_create_auth`` ...; they are always answered ``success``. A
    ``suite_ticket`` is stored in :attr:`storage` under
    :func:`wxkit.core.token.suite_ticket_key` (valid 30 minutes) before its
    handler runs, where :class:`wxkit.work.Suite` reads it; a storage failure
    answers 500 so that WeCom pushes it again.
    """

    registry: ClassVar[TypeRegistry] = work_registry
    corp_id: str | None = None
    aes_key: str | None = None
    receive_id: str | None = None

    def __init__(
        self,
        *,
        token: str | None = None,
        corp_id: str | None = None,
        aes_key: str | None = None,
        receive_id: str | None = _UNSET,
        **kwargs: Any,
    ) -> None:
        super().__init__(token=token, **kwargs)
        self.corp_id = corp_id or self.corp_id
        self.aes_key = aes_key or self.aes_key
        if receive_id is not _UNSET:
            self.receive_id = receive_id
        if self.receive_id is None:
            if not self.corp_id:
                raise ConfigError("WorkApplication: corp_id (or receive_id) is required")
            self.receive_id = self.corp_id
        if not self.aes_key:
            raise ConfigError("WorkApplication: aes_key is required (WeCom always encrypts)")
        assert self.token is not None
        self._crypto = MessageCrypto(self.token, self.aes_key, self.receive_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} corp_id={self.corp_id!r}>"

    def verify_url(self, params: Mapping[str, Any] | None) -> str:
        """Verify ``msg_signature`` over ``echostr`` and return the decrypted echostr."""
        echostr = _param(params, "echostr")
        if not echostr:
            raise ParseError("missing echostr")
        timestamp = _param(params, "timestamp")
        plain = self._crypto.verify_url(_param(params, "msg_signature"), timestamp, _param(params, "nonce"), echostr)
        self.check_timestamp(timestamp)
        return plain

    def _crypto_for_request(self, params: Mapping[str, Any] | None) -> MessageCrypto:
        return self._crypto

    def render(self, message: BaseMessage, reply: HandlerResult) -> str:
        """Render a handler's reply; a suite instruction callback is always answered ``success``."""
        if isinstance(message, SuiteCallback):
            return "success"
        return super().render(message, reply)

    def _dispatch_flow(self, message: BaseMessage) -> _flow.Flow[HandlerResult]:
        if isinstance(message, SuiteTicketCallback):  # stored before any user code: never lost to a handler bug
            yield (_flow.STORE, self._store_suite_ticket, (message,))
        return (yield from super()._dispatch_flow(message))

    def _store_suite_ticket(self, message: SuiteTicketCallback) -> None:
        if not message.suite_id or not message.suite_ticket:
            raise ParseError("a suite_ticket callback without SuiteId or SuiteTicket")
        key = suite_ticket_key(message.suite_id)
        assert self.storage is not None  # set in __init__
        try:
            self.storage.set(key, message.suite_ticket, SUITE_TICKET_TTL)
        except Exception as exc:
            raise StorageError(f"the storage failed storing the suite_ticket ({type(exc).__name__})", key=key) from exc
