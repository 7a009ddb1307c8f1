"""The emulator's open-platform state: third-party platforms (components) and the accounts that authorized them.

::

    with Emulator() as emu:
        component = emu.add_component("wx_component", "component-secret")
        ticket = component.issue_verify_ticket()          # what WeChat pushes every 10 minutes
        shop = component.add_authorizer("wx_shop")          # an account that authorized the platform
        shop.refresh_token                                  # its authorizer_refresh_token

Routes: :mod:`wxkit.testing.routes.component` (on :attr:`Emulator.url`, as on
``api.weixin.qq.com``). The semantics:

* ``component_verify_ticket``: :meth:`ComponentState.issue_verify_ticket`
  makes a new one, valid 12 hours (older ones stay valid until their own
  expiry). Delivering it to the platform's push URL is the push half's job;
  a test stores it where the platform's handler would.
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

from secrets import compare_digest, token_urlsafe
from typing import TYPE_CHECKING, Any

import attrs

from .routes import EmulatorRequest, WeChatAPIError

if TYPE_CHECKING:
    from .emulator import AppState, Emulator

__all__ = [
    "AuthorizerState",
    "ComponentState",
    "VERIFY_TICKET_LIFETIME",
    "calling_component",
    "check_verify_ticket",
    "issue_component_token",
    "new_refresh_token",
]

#: Seconds a ``component_verify_ticket`` is valid (12 hours).
VERIFY_TICKET_LIFETIME = 12 * 3600


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
