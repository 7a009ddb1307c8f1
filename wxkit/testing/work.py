"""The emulator's WeCom (企业微信) state: corps, their secrets and their access tokens.

::

    with Emulator() as emu:
        corp = emu.add_corp("ww_test_corp")
        secret = corp.add_app(1000002)               # a self-built app (自建应用) and its secret
        contacts = corp.add_secret("contacts")        # the contacts (通讯录) secret
        # GET {emu.work_url}/cgi-bin/gettoken?corpid=ww_test_corp&corpsecret=<secret>

WeCom answers on its own host, ``qyapi.weixin.qq.com``; the emulator serves
its routes on its own listener, :attr:`Emulator.work_url`
(:mod:`wxkit.testing.routes.work_token`). Every secret of a corp has its own
token, as WeCom documents ("每个应用有独立的secret，获取到的access_token只能本应用使用").
Within its validity a token is handed out again by ``gettoken`` (with its
remaining ``expires_in``); once expired, ``gettoken`` issues a new one. A
token-checked WeCom route answers 41001 without a token, 40014 ("invalid
access_token") for an unknown or revoked one and 42001 for an expired one.
:meth:`Emulator.invalidate_work_tokens` revokes tokens at once, as WeCom
may ("可能会出于运营需要，提前使access_token失效").
"""

from __future__ import annotations

from collections import Counter
from secrets import compare_digest, token_urlsafe
from typing import TYPE_CHECKING, Any

import attrs

from .routes import WeChatAPIError

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["CorpState", "corp_for_token", "issue_work_token"]


@attrs.define
class CorpState:
    """One WeCom corp inside the emulator. Route modules keep their data in ``data``.

    ``secrets`` maps a secret's name to the secret: an app's name is its
    agentid as text (:meth:`add_app`), other secrets have the name given to
    :meth:`add_secret` (``"contacts"``, ``"external_contact"`` ...).
    ``agents`` maps agentid -> the name of its secret. ``token_fetches``
    counts the ``gettoken`` calls answered, per secret name; ``tokens`` holds
    each secret's current token. ``sent`` records what the corp's apps sent.
    """

    corpid: str
    secrets: dict[str, str] = attrs.field(factory=dict, repr=False)
    agents: dict[int, str] = attrs.field(factory=dict)
    token_fetches: Counter[str] = attrs.field(factory=Counter)
    tokens: dict[str, str] = attrs.field(factory=dict, repr=False)
    sent: list[dict[str, Any]] = attrs.field(factory=list)
    data: dict[str, Any] = attrs.field(factory=dict)

    def add_secret(self, name: str, secret: str | None = None) -> str:
        """Register the secret ``name`` (a new random one unless given); return the secret.

        Registering ``name`` again replaces its secret (as resetting it in the
        admin console does). One secret belongs to one name: registering a
        secret already used by another name is a ``ValueError``.
        """
        if not name:
            raise ValueError("a secret needs a name")
        if secret is None:
            secret = token_urlsafe(32)
        owner = self.secret_name(secret)
        if owner is not None and owner != name:
            raise ValueError(f"that secret is already registered as {owner!r}")
        self.secrets[name] = secret
        return secret

    def add_app(self, agentid: int, secret: str | None = None) -> str:
        """Register a self-built app ``agentid`` (its secret's name is ``str(agentid)``); return its secret."""
        name = str(agentid)
        secret = self.add_secret(name, secret)
        self.agents[int(agentid)] = name
        return secret

    def secret_name(self, secret: str) -> str | None:
        """The name of ``secret`` (``None`` if the corp has no such secret)."""
        return next(
            (name for name, known in self.secrets.items() if compare_digest(known.encode(), secret.encode())), None
        )


def issue_work_token(emu: Emulator, corp: CorpState, name: str) -> tuple[str, int]:
    """``gettoken`` for the secret ``name``: its current token and the seconds left, or a new one.

    A token still valid is handed out again; an expired or revoked one is
    replaced by a new token valid ``emu.token_lifetime`` seconds. Counts the
    call in ``corp.token_fetches[name]``.
    """
    with emu.lock:
        corp.token_fetches[name] += 1
        now = emu.now()
        current = corp.tokens.get(name)
        entry = emu.work_tokens.get(current) if current is not None else None
        if current is not None and entry is not None and entry[2] > now:
            return current, max(int(entry[2] - now), 1)
        token = f"WTK_{token_urlsafe(24)}"
        emu.work_tokens[token] = (corp.corpid, name, now + emu.token_lifetime)
        corp.tokens[name] = token
        return token, emu.token_lifetime


def corp_for_token(emu: Emulator, token: str) -> tuple[CorpState, str]:
    """The corp and secret name owning a WeCom ``token``: 40014 if unknown or revoked, 42001 if expired."""
    with emu.lock:
        entry = emu.work_tokens.get(token)
        if entry is None:
            raise WeChatAPIError(40014, "invalid access_token")
        corpid, name, expires_at = entry
        if emu.now() >= expires_at:
            raise WeChatAPIError(42001, "access_token expired")
        return emu.corps[corpid], name
