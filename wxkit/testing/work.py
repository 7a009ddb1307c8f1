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

import time
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
    each secret's current token. ``sent`` records what the corp's apps sent
    (``message/send``, ``appchat/send``: dicts with ``kind``, ``agentid``,
    ``msgtype``, the recipients reached and the body). The contacts
    (``users``, ``departments``, ``tags``), ``appchats``, ``media`` and
    ``jobs`` are what the WeCom routes read and write; :meth:`add_user` and
    :meth:`add_department` seed them. The 微信客服 state (``kf_*``) is seeded
    by :meth:`kf_add_account`; :meth:`kf_enqueue` and :meth:`kf_enter_session`
    play a WeChat customer writing (what ``kf/sync_msg`` then reads). The
    customer-contact state is seeded by :meth:`add_external_contact`,
    :meth:`add_group_chat` and :meth:`external_welcome_code`; approvals by
    :meth:`add_approval_template`.
    """

    corpid: str
    secrets: dict[str, str] = attrs.field(factory=dict, repr=False)
    agents: dict[int, str] = attrs.field(factory=dict)
    token_fetches: Counter[str] = attrs.field(factory=Counter)
    tokens: dict[str, str] = attrs.field(factory=dict, repr=False)
    sent: list[dict[str, Any]] = attrs.field(factory=list)
    data: dict[str, Any] = attrs.field(factory=dict)
    #: Contacts (:mod:`wxkit.testing.routes.work_user` ...): userid -> member object as ``user/get`` answers it.
    users: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Department id -> department object; the root department 1 always exists.
    departments: dict[int, dict[str, Any]] = attrs.field(
        default=attrs.Factory(lambda self: {1: {"id": 1, "name": self.corpid, "parentid": 0, "order": 0}}, True)
    )
    #: Tag id -> ``{"tagid", "tagname", "userlist": [userid ...], "partylist": [id ...]}``.
    tags: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    #: Group chats created by apps: chatid -> ``{"chatid", "name", "owner", "userlist", "chat_type"}``.
    appchats: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Temporary media: media_id -> (filename, content, content type, media type).
    media: dict[str, tuple[str, bytes, str, str]] = attrs.field(factory=dict, repr=False)
    #: Asynchronous jobs (``batch/*``, ``media/upload_by_url``): jobid -> the answer of their result call.
    jobs: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: 微信客服 accounts (:mod:`wxkit.testing.routes.work_kf`):
    #: open_kfid -> ``{"open_kfid", "name", "media_id", "servicers"}``.
    kf_accounts: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: What ``kf/sync_msg`` reads, per open_kfid, oldest first (:meth:`kf_enqueue`, :meth:`kf_enter_session`).
    kf_messages: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict)
    #: Callback tokens handed out with ``kf_msg_or_event`` (what ``sync_msg``'s ``token`` must be).
    kf_tokens: set[str] = attrs.field(factory=set, repr=False)
    #: ``(open_kfid, external_userid)`` -> how many more ``kf/send_msg`` calls WeCom allows (5 per customer message).
    kf_quota: dict[tuple[str, str], int] = attrs.field(factory=dict)
    #: Unused ``welcome_code`` of ``enter_session`` events -> ``(open_kfid, external_userid)``.
    kf_welcome_codes: dict[str, tuple[str, str]] = attrs.field(factory=dict, repr=False)
    #: Customers (:mod:`wxkit.testing.routes.work_external_contact`): external_userid ->
    #: ``{"external_contact": {...}, "follow_user": [{"userid", "remark", "tags", ...}]}``.
    external_contacts: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Contact ways (联系我): config_id -> the ``contact_way`` object.
    contact_ways: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Customer group chats: chat_id -> the ``group_chat`` object (plus ``status``).
    group_chats: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Customer tag groups: group_id -> the ``tag_group`` object (its ``tag`` list inside).
    corp_tag_groups: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Unused ``WelcomeCode`` of ``add_external_contact`` events -> ``(userid, external_userid)``.
    external_welcome_codes: dict[str, tuple[str, str]] = attrs.field(factory=dict, repr=False)
    #: Mass messages (``add_msg_template``): msgid -> ``{"sender", "reached", "body"}``.
    msg_templates: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Approval templates (:mod:`wxkit.testing.routes.work_approval`): template_id -> ``gettemplatedetail``'s answer.
    approval_templates: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: Approvals applied: sp_no -> ``getapprovaldetail``'s ``info``.
    approvals: dict[str, dict[str, Any]] = attrs.field(factory=dict)

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

    def add_user(
        self, userid: str, name: str | None = None, *, department: tuple[int, ...] = (1,), **fields: Any
    ) -> dict[str, Any]:
        """Add a member (as ``user/create`` would) to departments ``department``; return its member object."""
        user = {"userid": userid, "name": name or userid, "department": list(department), "status": 1, **fields}
        self.users[userid] = user
        return user

    def add_department(self, dept_id: int, name: str, parentid: int = 1, *, order: int = 0) -> dict[str, Any]:
        """Add a department (as ``department/create`` would); return its object."""
        dept = {"id": dept_id, "name": name, "parentid": parentid, "order": order}
        self.departments[dept_id] = dept
        return dept

    def add_external_contact(
        self, external_userid: str, name: str, *, followers: tuple[str, ...] = ("alice",), **fields: Any
    ) -> dict[str, Any]:
        """Add a customer (a WeChat user, ``type`` 1) whom the members ``followers`` added; return its record."""
        contact = {"external_userid": external_userid, "name": name, "type": 1, "gender": 0, **fields}
        follows = [
            {"userid": u, "remark": "", "description": "", "createtime": int(time.time()), "tags": [], "add_way": 1}
            for u in followers
        ]
        record = {"external_contact": contact, "follow_user": follows}
        self.external_contacts[external_userid] = record
        return record

    def add_group_chat(
        self, chat_id: str, owner: str, members: tuple[str, ...] = (), *, name: str = "", status: int = 0
    ) -> dict[str, Any]:
        """Add a customer group chat owned by the member ``owner``; ``members`` are userids or external_userids."""
        member_list = [
            {"userid": m, "type": 2 if m in self.external_contacts else 1, "join_time": int(time.time())}
            for m in (owner, *members)
        ]
        chat = {
            "chat_id": chat_id,
            "name": name,
            "owner": owner,
            "create_time": int(time.time()),
            "notice": "",
            "member_list": member_list,
            "admin_list": [],
            "status": status,
        }
        self.group_chats[chat_id] = chat
        return chat

    def external_welcome_code(self, userid: str, external_userid: str) -> str:
        """A customer just added the member ``userid``: the ``WelcomeCode`` of that event (usable once)."""
        code = f"WELCOME_{token_urlsafe(12)}"
        self.external_welcome_codes[code] = (userid, external_userid)
        return code

    def add_approval_template(
        self, template_id: str, name: str, controls: tuple[tuple[str, str, bool], ...] = (("Text", "Text-1", True),)
    ) -> str:
        """Add an approval template; ``controls`` are ``(control type, id, required)``; return its id."""
        self.approval_templates[template_id] = {
            "template_names": [{"text": name, "lang": "zh_CN"}],
            "template_content": {
                "controls": [
                    {
                        "property": {
                            "control": kind,
                            "id": cid,
                            "title": [{"text": cid, "lang": "zh_CN"}],
                            "require": int(req),
                        }
                    }
                    for kind, cid, req in controls
                ]
            },
        }
        return template_id

    def kf_add_account(self, name: str, open_kfid: str | None = None, *, media_id: str = "") -> str:
        """Add a 微信客服 account (as ``kf/account/add`` would); return its ``open_kfid``."""
        kfid = open_kfid or f"wk{token_urlsafe(12)}"
        self.kf_accounts[kfid] = {"open_kfid": kfid, "name": name, "media_id": media_id, "servicers": []}
        self.kf_messages.setdefault(kfid, [])
        return kfid

    def kf_enqueue(
        self,
        open_kfid: str,
        external_userid: str,
        content: str | None = None,
        *,
        msgtype: str = "text",
        payload: dict[str, Any] | None = None,
    ) -> str:
        """A WeChat customer writes to ``open_kfid``; return the ``Token`` of the ``kf_msg_or_event`` callback.

        The message (``content`` as a text message, or ``payload`` as the
        ``msgtype`` object) is queued for ``kf/sync_msg``, and the account may
        send the customer 5 messages (``kf/send_msg``).
        """
        body = payload if payload is not None else {"content": content or ""}
        self._kf_queue(open_kfid, {"external_userid": external_userid, "origin": 3, "msgtype": msgtype, msgtype: body})
        self.kf_quota[(open_kfid, external_userid)] = 5
        return self._kf_token()

    def kf_enter_session(self, open_kfid: str, external_userid: str, *, scene: str = "") -> tuple[str, str]:
        """A customer opens the chat: queue an ``enter_session`` event; return ``(callback token, welcome_code)``."""
        code = f"WC_{token_urlsafe(12)}"
        event = {
            "event_type": "enter_session",
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "scene": scene,
            "welcome_code": code,
        }
        self._kf_queue(open_kfid, {"origin": 4, "msgtype": "event", "event": event})
        self.kf_welcome_codes[code] = (open_kfid, external_userid)
        return self._kf_token(), code

    def _kf_queue(self, open_kfid: str, message: dict[str, Any]) -> None:
        if open_kfid not in self.kf_accounts:
            raise ValueError(f"no kf account {open_kfid!r}: add it with kf_add_account()")
        queue = self.kf_messages.setdefault(open_kfid, [])
        queue.append(
            {"msgid": f"kfmsg_{token_urlsafe(9)}", "open_kfid": open_kfid, "send_time": int(time.time()), **message}
        )

    def _kf_token(self) -> str:
        token = f"ENC{token_urlsafe(24)}"
        self.kf_tokens.add(token)
        return token

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
