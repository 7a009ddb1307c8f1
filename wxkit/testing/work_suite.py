"""The emulator's WeCom third-party suites (第三方应用): tickets, suite tokens, installs and permanent codes.

::

    with Emulator() as emu:
        suite = emu.add_suite("ww_suite", token="cb-token", aes_key=KEY)   # random secret: suite.secret
        suite.push_suite_ticket(app_or_url)                    # InfoType=suite_ticket to the callback app
        code = suite.install("ww_corp_a", app_or_url)          # the corp installs: create_auth with AuthCode
        suite.agent_ids["ww_corp_a"]                           # the suite app's agentid in that corp

Routes (:mod:`wxkit.testing.routes.work_suite`, on :attr:`Emulator.work_url`):
``get_suite_token`` (a stored ticket, valid 30 minutes of emulator time;
expired or unknown: 40085 "invalid suite_ticket"), ``get_pre_auth_code``,
``get_permanent_code`` (an auth code works once, within 10 minutes; else
40078) and ``get_corp_token`` (an access token of the corp, accepted by every
WeCom route of the emulator, so ``message/send`` records into
``corp.sent``). A refused or expired suite token answers 40082.

Pushes are the instruction callbacks WeCom sends to the suite's callback
URL: encrypted with the suite's ``aes_key``, the receive id being the suite
id. A target is an application object (delivered through ``handle()``) or a
URL (POSTed). Pushes carry the wall time (``time.time``), not emulator time,
since the receiving application checks their timestamps against its own clock.
"""

from __future__ import annotations

import time
from collections import Counter
from secrets import compare_digest, token_urlsafe
from typing import TYPE_CHECKING, Any

import attrs

from .push import PushReply, WeChatPusher
from .routes import WeChatAPIError

if TYPE_CHECKING:
    from ..app import BaseApplication
    from .emulator import Emulator

__all__ = ["SUITE_TICKET_LIFETIME", "SuiteState"]

#: Seconds a suite_ticket is valid (30 minutes).
SUITE_TICKET_LIFETIME = 30 * 60
_AUTH_CODE_LIFETIME = 10 * 60
_PRE_AUTH_CODE_LIFETIME = 20 * 60


@attrs.define
class SuiteState:
    """One third-party suite inside the emulator.

    ``tickets`` / ``tokens`` / ``pre_auth_codes`` map each value to its
    expiry (emulator time); ``auth_codes`` maps an unused auth code to
    ``(corpid, expiry)``; ``permanent_codes`` maps corpid -> permanent code;
    ``agent_ids`` the suite app's agentid in each installing corp;
    ``token_fetches`` counts ``get_suite_token`` and ``get_corp_token`` calls
    (keys ``"suite"`` and each corpid); ``pushes`` the replies to what was pushed.
    """

    suite_id: str
    secret: str = attrs.field(repr=False)
    token: str = attrs.field(repr=False)
    aes_key: str = attrs.field(repr=False)
    emu: Emulator = attrs.field(repr=False)
    tickets: dict[str, float] = attrs.field(factory=dict, repr=False)
    tokens: dict[str, float] = attrs.field(factory=dict, repr=False)
    pre_auth_codes: dict[str, float] = attrs.field(factory=dict, repr=False)
    auth_codes: dict[str, tuple[str, float]] = attrs.field(factory=dict, repr=False)
    permanent_codes: dict[str, str] = attrs.field(factory=dict, repr=False)
    agent_ids: dict[str, int] = attrs.field(factory=dict)
    token_fetches: Counter[str] = attrs.field(factory=Counter)
    pushes: list[PushReply] = attrs.field(factory=list, repr=False)

    # -- the suite's side of WeCom's pushes -------------------------------------------
    def pusher(self) -> WeChatPusher:
        """A pusher signing and encrypting as WeCom does for this suite (receive id: the suite id)."""
        return WeChatPusher(self.token, aes_key=self.aes_key, corp_id=self.suite_id, agent_id=0, clock=time.time)

    def push_info(self, target: BaseApplication | str, info_type: str, **fields: Any) -> PushReply:
        """Push an instruction callback ``InfoType=info_type`` with ``fields`` (XML names) to ``target``."""
        data = {"SuiteId": self.suite_id, "InfoType": info_type, "TimeStamp": int(time.time()), **fields}
        pusher = self.pusher()
        push = pusher.build(data)
        reply = pusher.post(target, push) if isinstance(target, str) else pusher.deliver(target, push)
        self.pushes.append(reply)
        return reply

    def issue_ticket(self) -> str:
        """A new suite_ticket, valid :data:`SUITE_TICKET_LIFETIME` seconds (older ones stay valid until theirs)."""
        ticket = f"ST_{token_urlsafe(24)}"
        with self.emu.lock:
            self.tickets[ticket] = self.emu.now() + SUITE_TICKET_LIFETIME
        return ticket

    def push_suite_ticket(self, target: BaseApplication | str) -> str:
        """Issue a ticket and push it (``InfoType=suite_ticket``) to ``target``; return the ticket."""
        ticket = self.issue_ticket()
        self.push_info(target, "suite_ticket", SuiteTicket=ticket)
        return ticket

    def install(self, corpid: str, target: BaseApplication | str | None = None, *, state: str = "") -> str:
        """``corpid`` installs the suite (the corp is added if new): return the auth code, pushed as create_auth.

        The suite app gets an agentid in the corp (:attr:`agent_ids`). With
        ``target``, ``InfoType=create_auth`` carrying ``AuthCode`` is pushed there.
        """
        corp = self.emu.add_corp(corpid)
        with self.emu.lock:
            if corpid not in self.agent_ids:
                agentid = 1000100 + len(self.agent_ids) + 1
                self.agent_ids[corpid] = agentid
                corp.agents[agentid] = self._secret_name
            code = f"AC_{token_urlsafe(48)}"
            self.auth_codes[code] = (corpid, self.emu.now() + _AUTH_CODE_LIFETIME)
        if target is not None:
            fields: dict[str, Any] = {"AuthCode": code}
            if state:
                fields["State"] = state
            self.push_info(target, "create_auth", **fields)
        return code

    @property
    def _secret_name(self) -> str:
        return f"suite:{self.suite_id}"

    # -- the routes' side ------------------------------------------------------------
    def check_secret(self, secret: str) -> bool:
        """Whether ``secret`` is this suite's."""
        return compare_digest(self.secret.encode(), secret.encode())

    def take_ticket(self, ticket: str) -> None:
        """Accept a ticket still valid, or raise 40085."""
        with self.emu.lock:
            expires = self.tickets.get(ticket)
            if expires is None or self.emu.now() >= expires:
                raise WeChatAPIError(40085, "invalid suite_ticket")

    def issue_token(self) -> tuple[str, int]:
        """A new suite access token (the previous ones keep working until their expiry)."""
        with self.emu.lock:
            self.token_fetches["suite"] += 1
            token = f"SAT_{token_urlsafe(24)}"
            self.tokens[token] = self.emu.now() + self.emu.token_lifetime
            return token, self.emu.token_lifetime

    def check_token(self, token: str) -> None:
        """Accept a valid suite access token, or raise 40082."""
        with self.emu.lock:
            expires = self.tokens.get(token)
            if expires is None or self.emu.now() >= expires:
                raise WeChatAPIError(40082, "invalid suite_access_token")

    def new_pre_auth_code(self) -> str:
        """A pre-auth code valid 20 minutes."""
        code = f"PAC_{token_urlsafe(24)}"
        with self.emu.lock:
            self.pre_auth_codes[code] = self.emu.now() + _PRE_AUTH_CODE_LIFETIME
        return code

    def redeem_auth_code(self, code: str) -> tuple[str, str]:
        """Spend an auth code: ``(corpid, permanent code)`` (a new code each install), or raise 40078."""
        with self.emu.lock:
            entry = self.auth_codes.pop(code, None)
            if entry is None or self.emu.now() >= entry[1]:
                raise WeChatAPIError(40078, "invalid auth_code")
            corpid = entry[0]
            permanent = f"PC_{token_urlsafe(32)}"
            self.permanent_codes[corpid] = permanent
            return corpid, permanent

    def corp_for_code(self, corpid: str, permanent_code: str) -> str:
        """Check a corp's permanent code (40084 if wrong); return the secret name its tokens are issued for."""
        with self.emu.lock:
            known = self.permanent_codes.get(corpid)
            if known is None or not compare_digest(known.encode(), permanent_code.encode()):
                raise WeChatAPIError(40084, "invalid permanent_code")
            self.token_fetches[corpid] += 1
        return self._secret_name
