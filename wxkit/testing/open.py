"""The emulator's open-platform state: third-party platforms (components) and the accounts that authorized them.

::

    with Emulator() as emu:
        component = emu.add_component("wx_component", "component-secret", token="t", aes_key=KEY)
        component.push_verify_ticket(platform)              # what WeChat pushes every 10 minutes
        code = component.authorize("wx_shop", platform)     # the admin "clicks"; ``authorized`` is pushed
        shop = component.authorizers["wx_shop"]             # its AuthorizerState (refresh_token, app)
        component.unauthorize("wx_shop", platform)          # tokens revoked, ``unauthorized`` pushed

Routes: :mod:`wxkit.testing.routes.component` (on :attr:`Emulator.url`, as on
``api.weixin.qq.com``). The semantics:

* ``component_verify_ticket``: :meth:`ComponentState.issue_verify_ticket`
  makes a new one, valid 12 hours (older ones stay valid until their own
  expiry). :meth:`ComponentState.push_verify_ticket` issues one and pushes
  it to the platform's authorization event URL (an object with ``handle()``,
  e.g. a :class:`wxkit.open.Component`, or a URL), encrypted with the
  platform's ``token`` / ``aes_key`` (receive id: the component appid); pushes
  carry the wall time, as the receiver checks their timestamps.
* ``api_create_preauthcode``: a pre-auth code valid 1800 s.
  :meth:`ComponentState.authorize` is the authorization page: it spends a
  pre-auth code (when given), registers the authorizer and returns an
  authorization code valid 3600 s, pushing ``authorized`` (or
  ``updateauthorized``). ``api_query_auth`` spends it once: 61009 for an
  unknown or spent code, 61010 for an expired one.
* :meth:`ComponentState.unauthorize` revokes the account's authorizer tokens
  (40001) and refresh token (61003) and pushes ``unauthorized``.
* ``component_access_token``: every fetch issues a new one; the previous one
  keeps working ``emu.token_overlap`` seconds (then 40001), as classic
  access tokens do; an expired one answers 42001.
* ``authorizer_access_token``: every ``api_authorizer_token`` call issues a
  new one (the previous one overlaps the same way); it is an ordinary access
  token of the authorizer's :class:`~wxkit.testing.AppState`, so the
  official-account routes accept it. The refresh token stays the same unless
  ``authorizer.rotate_refresh_token`` is set: then every call hands back a
  new one and the previous one answers 61023 at once.
"""

from __future__ import annotations

import time
from secrets import compare_digest, token_urlsafe
from typing import TYPE_CHECKING, Any

import attrs

from ..crypto import MessageCrypto, random_nonce, sha1_signature
from ..xmlcodec import render_xml
from .push import Push, PushReply, WeChatPusher
from .routes import EmulatorRequest, WeChatAPIError

if TYPE_CHECKING:
    from .emulator import AppState, Emulator

__all__ = [
    "AUTH_CODE_LIFETIME",
    "AuthorizerState",
    "ComponentState",
    "MAX_TICKETS_PER_ADVANCE",
    "PRE_AUTH_CODE_LIFETIME",
    "ReleaseCheckResult",
    "TICKET_PUSH_INTERVAL",
    "VERIFY_TICKET_LIFETIME",
    "calling_component",
    "check_verify_ticket",
    "issue_component_token",
    "new_refresh_token",
]

#: Seconds a ``component_verify_ticket`` is valid (12 hours).
VERIFY_TICKET_LIFETIME = 12 * 3600
#: Seconds a pre-auth code is valid (``api_create_preauthcode`` answers ``expires_in`` 1800).
PRE_AUTH_CODE_LIFETIME = 1800
#: Seconds between two ``component_verify_ticket`` pushes (WeChat: every 10 minutes).
TICKET_PUSH_INTERVAL = 600.0
#: The most tickets one :meth:`Emulator.advance` pushes (an advance of days pushes the last few only).
MAX_TICKETS_PER_ADVANCE = 6
#: Seconds an authorization code is valid (the ``authorized`` push's AuthorizationCodeExpiredTime: one hour).
AUTH_CODE_LIFETIME = 3600


@attrs.define
class AuthorizerState:
    """An account (official account or mini program) that authorized a third-party platform.

    ``app`` is its :class:`~wxkit.testing.AppState` (followers, sent
    messages ... as for any app); ``refresh_token`` its current
    ``authorizer_refresh_token``; ``token_fetches`` counts the
    ``api_authorizer_token`` calls answered for it.
    """

    appid: str
    component_appid: str
    refresh_token: str = attrs.field(repr=False)
    app: AppState = attrs.field(repr=False)
    rotate_refresh_token: bool = False
    token_fetches: int = 0
    #: Every authorizer access token issued to the account (revoked when it unauthorizes).
    issued: list[str] = attrs.field(factory=list, repr=False)


@attrs.define
class ComponentState:
    """A third-party platform (第三方平台) inside the emulator. Route modules keep their data in ``data``.

    ``verify_tickets`` maps every ticket issued to its expiry (emulator time);
    ``token_fetches`` counts the ``component_access_token`` issued;
    ``authorizers`` maps authorizer appid -> :class:`AuthorizerState`.
    """

    appid: str
    secret: str = attrs.field(repr=False)
    emulator: Emulator = attrs.field(repr=False, eq=False)
    verify_tickets: dict[str, float] = attrs.field(factory=dict, repr=False)
    token: str | None = attrs.field(default=None, repr=False)
    token_fetches: int = 0
    authorizers: dict[str, AuthorizerState] = attrs.field(factory=dict)
    data: dict[str, Any] = attrs.field(factory=dict)
    #: The platform's message check token and encryption key (for pushes to its event URL).
    push_token: str | None = attrs.field(default=None, repr=False)
    aes_key: str | None = attrs.field(default=None, repr=False)
    #: Pre-auth code -> expiry; unused authorization code -> (authorizer appid, expiry).
    pre_auth_codes: dict[str, float] = attrs.field(factory=dict, repr=False)
    auth_codes: dict[str, tuple[str, float]] = attrs.field(factory=dict, repr=False)
    #: The platform's answers to what was pushed to it.
    pushes: list[PushReply] = attrs.field(factory=list, repr=False)
    #: Where the authorization page (the ``componentloginpage`` / ``bindcomponent`` routes) pushes
    #: ``authorized``: the platform's authorization event URL or a ``handle()`` object (None: no push).
    event_target: Any = attrs.field(default=None, repr=False, eq=False)
    #: The account the authorization page authorizes when the request names none (``emu_authorizer_appid``).
    next_authorizer: str | None = None
    #: The ticket timer (:meth:`start_ticket_timer`): ``(target, interval)``, and when its next push is due.
    ticket_timer: tuple[Any, float] | None = attrs.field(default=None, repr=False, eq=False)
    ticket_due: float | None = attrs.field(default=None, repr=False, eq=False)

    # -- pushes to the message URL (/$APPID$) -----------------------------------------
    def user_name(self, authorizer_appid: str) -> str:
        """The account's original id (``gh_...``): its pushes' ``ToUserName`` (the documented one for test accounts)."""
        from ..open.release import RELEASE_TEST_MINIPROGRAMS, RELEASE_TEST_OFFICIAL_ACCOUNTS

        known = RELEASE_TEST_OFFICIAL_ACCOUNTS.get(authorizer_appid) or RELEASE_TEST_MINIPROGRAMS.get(authorizer_appid)
        return known or f"gh_{authorizer_appid[-8:]}"

    def pusher(self, authorizer_appid: str, *, openid: str = "o_test_user") -> WeChatPusher:
        """A :class:`WeChatPusher` for ``authorizer_appid``'s pushes, encrypted with the platform's key.

        The receive id is the component appid; ``ToUserName`` the account's :meth:`user_name`.
        """
        if not self.push_token or not self.aes_key:
            raise ValueError("pushes need the platform's token and aes_key: add_component(..., token=, aes_key=)")
        return WeChatPusher(
            self.push_token,
            app_id=self.appid,
            aes_key=self.aes_key,
            openid=openid,
            account=self.user_name(authorizer_appid),
        )

    def push_message(self, target: Any, authorizer_appid: str, push: Push) -> PushReply:
        """Deliver a push built by :meth:`pusher` to the message URL.

        ``target``: a URL holding ``$APPID$`` (as the console writes it), or an ``open_platform`` application.
        """
        pusher = self.pusher(authorizer_appid)
        if isinstance(target, str):
            return pusher.post(target.replace("$APPID$", authorizer_appid), push)
        response = target.handle("POST", push.params, push.body, authorizer_appid=authorizer_appid)
        return pusher.read_reply(response.status, response.body)

    def run_release_check(
        self,
        target: Any,
        event_target: Any = None,
        *,
        appid: str = "wx570bc396a51b8ff8",
        openid: str = "o_release_check",
        wait: float = 10.0,
    ) -> ReleaseCheckResult:
        """Play the full-network release check (全网发布) against the platform; see :mod:`wxkit.open.release`.

        Pushes a ticket (to ``event_target``, default :attr:`event_target`,
        when set), authorizes the test account ``appid`` (``authorized``
        pushed there), then sends its three test pushes to ``target`` (the
        message URL with ``$APPID$``, or an ``open_platform`` application)
        and checks the answers; the customer-service text is awaited up to
        ``wait`` seconds in the account's ``sent`` list.
        """
        events = event_target if event_target is not None else self.event_target
        failures: list[str] = []
        if events is not None:
            ticket = self.push_info(events, "component_verify_ticket", ComponentVerifyTicket=self.issue_verify_ticket())
            if not ticket.is_success:
                failures.append(f"component_verify_ticket answered {ticket.status} {ticket.body!r}, not success")
        code = self.authorize(appid, events)
        app = self.authorizers[appid].app
        emu = self.emulator
        with emu.lock:
            app.add_follower(openid)
            app.touch(openid, emu.now())
        pusher = self.pusher(appid, openid=openid)
        from ..open.release import AUTH_CODE_PREFIX, TEXT_PROBE

        reply = self.push_message(target, appid, pusher.text(TEXT_PROBE))
        if reply.content != TEXT_PROBE + "_callback":
            failures.append(f"{TEXT_PROBE} answered {reply.status} {reply.content or reply.body!r}")
        reply = self.push_message(target, appid, pusher.text(AUTH_CODE_PREFIX + code))
        if reply.status != 200 or reply.body != "":  # the page asks for an empty string (回复空串)
            failures.append(f"QUERY_AUTH_CODE answered {reply.status} {reply.body!r}, not an empty string")
        expected = f"{code}_from_api"

        def sent() -> bool:
            with emu.lock:
                return any(
                    m.get("kind") == "custom" and m.get("touser") == openid and m.get("text") == {"content": expected}
                    for m in app.sent
                )

        deadline = time.monotonic() + wait
        while not sent() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not sent():
            failures.append("no customer-service text <query_auth_code>_from_api was sent")
        reply = self.push_message(target, appid, pusher.event("LOCATION", Latitude="23.1", Longitude="113.3"))
        if reply.content != "LOCATIONfrom_callback":
            failures.append(f"the LOCATION event answered {reply.status} {reply.content or reply.body!r}")
        return ReleaseCheckResult(appid, tuple(failures))

    def issue_verify_ticket(self) -> str:
        """A new ``component_verify_ticket``, valid :data:`VERIFY_TICKET_LIFETIME` seconds of emulator time."""
        emu = self.emulator
        with emu.lock:
            ticket = f"ticket@@@{token_urlsafe(32)}"
            self.verify_tickets[ticket] = emu.now() + VERIFY_TICKET_LIFETIME
            return ticket

    def add_authorizer(self, appid: str, *, refresh_token: str | None = None) -> AuthorizerState:
        """Record that the account ``appid`` authorized this platform (registering its app if new)."""
        emu = self.emulator
        with emu.lock:
            state = self.authorizers.get(appid)
            if state is None:
                app = emu.apps.get(appid) or emu.add_app(appid, token_urlsafe(24))
                state = AuthorizerState(appid, self.appid, refresh_token or _refresh_token(), app)
                self.authorizers[appid] = state
            elif refresh_token is not None:
                state.refresh_token = refresh_token
            return state

    # -- pushes to the platform's authorization event URL ---------------------------
    def build_push(self, info_type: str, **fields: Any) -> Push:
        """An authorization event as WeChat sends it: encrypted, ``<AppId>`` in the envelope, ``msg_signature``."""
        if not self.push_token or not self.aes_key:
            raise ValueError("pushes need the platform's token and aes_key: add_component(..., token=, aes_key=)")
        data = {"AppId": self.appid, "CreateTime": int(time.time()), "InfoType": info_type, **fields}
        crypto = MessageCrypto(self.push_token, self.aes_key, self.appid)
        xml = render_xml(data)
        timestamp, nonce = str(int(time.time())), random_nonce()
        enc = crypto.encrypt(xml)
        params = {
            "signature": sha1_signature(self.push_token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": crypto.signature(timestamp, nonce, enc),
        }
        return Push(params, render_xml({"AppId": self.appid, "Encrypt": enc}), xml, data)

    def push_info(self, target: Any, info_type: str, **fields: Any) -> PushReply:
        """Push ``InfoType=info_type`` with ``fields`` (XML names) to ``target`` (a ``handle()`` object or a URL)."""
        push = self.build_push(info_type, **fields)
        pusher = WeChatPusher(self.push_token or "", app_id=self.appid, aes_key=self.aes_key)
        if isinstance(target, str):
            reply = pusher.post(target, push)
        else:
            response = target.handle("POST", push.params, push.body)
            reply = pusher.read_reply(response.status, response.body)
        self.pushes.append(reply)
        return reply

    def push_verify_ticket(self, target: Any) -> str:
        """Issue a ``component_verify_ticket`` and push it to ``target`` (WeChat does it every 10 minutes)."""
        ticket = self.issue_verify_ticket()
        self.push_info(target, "component_verify_ticket", ComponentVerifyTicket=ticket)
        return ticket

    # -- the ticket timer, on the emulator's clock --------------------------------------
    def start_ticket_timer(
        self, target: Any = None, *, interval: float = TICKET_PUSH_INTERVAL, push_now: bool = True
    ) -> None:
        """Push a ``component_verify_ticket`` to ``target`` every ``interval`` seconds of the emulator's time.

        The timer runs on the emulator's clock, which the test moves:
        :meth:`Emulator.advance` pushes one ticket for every interval it passes
        (at most :data:`MAX_TICKETS_PER_ADVANCE` at a time; the ticket WeChat
        pushed last is the one that counts). ``target`` defaults to
        :attr:`event_target`; ``push_now`` pushes the first ticket at once, as
        WeChat does within ten minutes of the platform's setup.
        """
        target = target if target is not None else self.event_target
        if target is None:
            raise ValueError("the ticket timer needs a target: pass one or set component.event_target")
        if not interval > 0:
            raise ValueError("interval must be positive")
        with self.emulator.lock:
            self.ticket_timer = (target, float(interval))
            self.ticket_due = self.emulator.now() + (0.0 if push_now else interval)
        self.run_due_pushes()

    def stop_ticket_timer(self) -> None:
        """Stop pushing tickets (:meth:`start_ticket_timer`)."""
        with self.emulator.lock:
            self.ticket_timer = None
            self.ticket_due = None

    def run_due_pushes(self) -> int:
        """Push the tickets the timer owes by the emulator's time now; return how many were pushed."""
        pushed = 0
        while pushed < MAX_TICKETS_PER_ADVANCE:
            with self.emulator.lock:
                timer, due = self.ticket_timer, self.ticket_due
                if timer is None or due is None or due > self.emulator.now():
                    break
                self.ticket_due = due + timer[1]
            self.push_verify_ticket(timer[0])
            pushed += 1
        with self.emulator.lock:  # past the cap: the next push is the next interval from now
            if self.ticket_timer is not None and self.ticket_due is not None:
                now = self.emulator.now()
                if self.ticket_due <= now:
                    self.ticket_due = now + self.ticket_timer[1]
        return pushed

    # -- the authorization page ------------------------------------------------------
    def new_pre_auth_code(self) -> str:
        """A pre-auth code valid :data:`PRE_AUTH_CODE_LIFETIME` seconds."""
        code = f"preauthcode@@@{token_urlsafe(32)}"
        with self.emulator.lock:
            self.pre_auth_codes[code] = self.emulator.now() + PRE_AUTH_CODE_LIFETIME
        return code

    def authorize(self, authorizer_appid: str, target: Any = None, *, pre_auth_code: str | None = None) -> str:
        """The admin of ``authorizer_appid`` "clicks" authorize on the platform's page: return the auth code.

        ``pre_auth_code`` (from ``api_create_preauthcode``) is checked and
        spent when given (an unknown or expired one is a ``ValueError``, as
        the page refuses it). The account is registered as an authorizer (a
        new refresh token); with ``target``, ``authorized`` is pushed there
        (``updateauthorized`` when the account had authorized before). The
        code works once, within :data:`AUTH_CODE_LIFETIME` seconds.
        """
        emu = self.emulator
        with emu.lock:
            if pre_auth_code is not None:
                expires = self.pre_auth_codes.pop(pre_auth_code, None)
                if expires is None or emu.now() >= expires:
                    raise ValueError("the authorization page refused the pre_auth_code (unknown, spent or expired)")
            again = authorizer_appid in self.authorizers
            code = f"queryauthcode@@@{token_urlsafe(32)}"
            expires_at = emu.now() + AUTH_CODE_LIFETIME
            self.auth_codes[code] = (authorizer_appid, expires_at)
        self.add_authorizer(authorizer_appid)
        if target is not None:
            self.push_info(
                target,
                "updateauthorized" if again else "authorized",
                AuthorizerAppid=authorizer_appid,
                AuthorizationCode=code,
                AuthorizationCodeExpiredTime=int(expires_at),  # on the emulator's clock, as the code's expiry
                PreAuthCode=pre_auth_code or "",
            )
        return code

    def redeem_auth_code(self, code: str) -> AuthorizerState:
        """Spend an authorization code: 61009 if unknown or spent, 61010 if expired."""
        emu = self.emulator
        with emu.lock:
            entry = self.auth_codes.pop(code, None) if isinstance(code, str) else None
            if entry is None:
                raise WeChatAPIError(61009, "code is invalid")
            appid, expires = entry
            if emu.now() >= expires:
                raise WeChatAPIError(61010, "code is expired")
            state = self.authorizers.get(appid)
            if state is None:  # unauthorized between the page and the exchange
                raise WeChatAPIError(61009, "code is invalid")
            return state

    def unauthorize(self, authorizer_appid: str, target: Any = None) -> None:
        """``authorizer_appid`` withdraws the authorization: its tokens stop working; ``unauthorized`` is pushed.

        From then on its refresh token answers 61003 and its authorizer
        access tokens 40001.
        """
        emu = self.emulator
        with emu.lock:
            state = self.authorizers.pop(authorizer_appid, None)
            if state is not None:
                for token in state.issued:
                    emu.tokens.pop(token, None)
                if state.app.authorizer_token in state.issued:
                    state.app.authorizer_token = None
        if target is not None:
            self.push_info(target, "unauthorized", AuthorizerAppid=authorizer_appid)


@attrs.frozen
class ReleaseCheckResult:
    """What :meth:`ComponentState.run_release_check` found: ``failures`` empty when every test passed."""

    appid: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether every test passed."""
        return not self.failures


def _refresh_token() -> str:
    return f"refreshtoken@@@{token_urlsafe(32)}"


def new_refresh_token(authorizer: AuthorizerState) -> str:
    """Give ``authorizer`` a new refresh token (the previous one answers 61023 from now on); return it."""
    authorizer.refresh_token = _refresh_token()
    return authorizer.refresh_token


def issue_component_token(emu: Emulator, component: ComponentState) -> str:
    """A new ``component_access_token``; the previous one works ``emu.token_overlap`` seconds more."""
    with emu.lock:
        now = emu.now()
        previous = component.token
        entry = emu.component_tokens.get(previous) if previous is not None else None
        if previous is not None and entry is not None:
            appid, expires_at, _ = entry
            emu.component_tokens[previous] = (appid, min(expires_at, now + emu.token_overlap), True)
        token = f"CTK_{token_urlsafe(24)}"
        emu.component_tokens[token] = (component.appid, now + emu.token_lifetime, False)
        component.token = token
        component.token_fetches += 1
        return token


def calling_component(emu: Emulator, req: EmulatorRequest) -> ComponentState:
    """The platform whose ``component_access_token`` (or ``access_token``) the request carries.

    41001 without one; 40001 for an unknown one or a replaced one past its
    overlap; 42001 for an expired one.
    """
    token = req.query.get("component_access_token") or req.query.get("access_token") or ""
    if not token:
        raise WeChatAPIError(41001, "access_token missing")
    with emu.lock:
        entry = emu.component_tokens.get(token)
        if entry is None:
            raise WeChatAPIError(40001, "invalid credential, access_token is invalid or not latest")
        appid, expires_at, replaced = entry
        if emu.now() >= expires_at:
            if replaced:
                raise WeChatAPIError(40001, "invalid credential, access_token is invalid or not latest")
            raise WeChatAPIError(42001, "access_token expired")
        return emu.components[appid]


def check_verify_ticket(emu: Emulator, component: ComponentState, ticket: Any) -> None:
    """61006 for a ticket the platform was never issued, 61005 for an expired one."""
    with emu.lock:
        expires_at = next(
            (
                at
                for known, at in component.verify_tickets.items()
                if isinstance(ticket, str) and compare_digest(known.encode(), ticket.encode())
            ),
            None,
        )
        if expires_at is None:
            raise WeChatAPIError(61006, "component ticket is invalid")
        if emu.now() >= expires_at:
            raise WeChatAPIError(61005, "component ticket is expired")
