"""Customer contact (客户联系): customers, contact ways, customer groups, customer tags, mass messages.

::

    for userid in client.external_contact.get_follow_user_list():
        for detail in client.external_contact.iter_by_user([userid]):
            print(detail.contact.name, [f.remark for f in detail.follow_users])
    way = client.external_contact.add_contact_way(1, 2, users=["alice"], state="shop")   # way.qr_code

Use the secret of 客户联系 (or of an app given the customer-contact right).
On WeCom 40096 is an external_userid it does not know and 84061 a customer
who is no contact of the corp; the cursor pages (``batch/get_by_user``,
``groupchat/list``, ``list_contact_way``, the mass-message results) take
``next_cursor`` until it comes back empty.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

from ...errors import ParseError
from ..models import (
    ContactWay,
    CorpTagGroup,
    ExternalContactDetail,
    GroupChat,
    GroupMsgSend,
    MsgTemplateResult,
)
from ._base import AsyncWorkAPI

__all__ = ["AsyncExternalContactAPI"]

_PREFIX = "/cgi-bin/externalcontact"


def _ids(values: str | Iterable[str]) -> list[str]:
    return [values] if isinstance(values, str) else list(values)


def _id_of(name: str) -> Callable[[Any], str]:
    """A builder taking ``entry[name]`` (a non-empty text) from a list entry; a ParseError otherwise."""

    def build(entry: Any) -> str:
        value = entry.get(name) if isinstance(entry, Mapping) else None
        if not isinstance(value, str) or not value:
            raise ParseError(f"a list entry without {name}")
        return value

    return build


class AsyncExternalContactAPI(AsyncWorkAPI):
    """``client.external_contact``: 客户联系 (customers of the corp's members)."""

    # -- customers ----------------------------------------------------------------
    async def get_follow_user_list(self) -> list[str]:
        """The members allowed to use customer contact: ``GET .../get_follow_user_list``."""
        path = f"{_PREFIX}/get_follow_user_list"
        answer = await self._get(path)
        return self._models(str, answer.get("follow_user"), path=path, method="GET")

    async def list_contacts(self, userid: str) -> list[str]:
        """The external_userids of a member's customers: ``GET .../list``."""
        path = f"{_PREFIX}/list"
        answer = await self._get(path, {"userid": userid})
        return self._models(str, answer.get("external_userid"), path=path, method="GET")

    async def get(self, external_userid: str) -> ExternalContactDetail:
        """A customer and every member following them: ``GET .../get`` (its ``follow_user`` pages joined)."""
        path = f"{_PREFIX}/get"
        params: dict[str, Any] = {"external_userid": external_userid}
        answer = await self._get(path, params)
        detail = self._model(ExternalContactDetail.from_dict, answer, path=path, method="GET")
        follows = list(detail.follow_users)
        cursor = answer.get("next_cursor")
        seen = set()
        while isinstance(cursor, str) and cursor and cursor not in seen:
            seen.add(cursor)
            answer = await self._get(path, {**params, "cursor": cursor})
            follows.extend(self._model(ExternalContactDetail.from_dict, answer, path=path, method="GET").follow_users)
            cursor = answer.get("next_cursor")
        return ExternalContactDetail(contact=detail.contact, follow_users=tuple(follows), raw=detail.raw)

    async def batch_get_by_user(
        self, userids: str | Iterable[str], *, cursor: str = "", limit: int = 100
    ) -> tuple[list[ExternalContactDetail], str]:
        """One page of the customers of ``userids``: ``POST .../batch/get_by_user``; ``(details, next_cursor)``."""
        path = f"{_PREFIX}/batch/get_by_user"
        users = _ids(userids)
        if not users:
            raise self._refuse(40035, "userids is empty (checked before sending)", path=path)
        if not 1 <= limit <= 100:
            raise self._refuse(40035, "limit must be 1..100 (checked before sending)", path=path)
        body: dict[str, Any] = {"userid_list": users, "limit": limit}
        if cursor:
            body["cursor"] = cursor
        answer = await self._post(path, body)
        details = self._models(ExternalContactDetail.from_dict, answer.get("external_contact_list"), path=path)
        following = answer.get("next_cursor")
        return details, following if isinstance(following, str) else ""

    async def iter_by_user(
        self, userids: str | Iterable[str], *, limit: int = 100
    ) -> AsyncIterator[ExternalContactDetail]:
        """Every customer of ``userids`` (one entry per member following them), page after page."""
        users = _ids(userids)
        cursor = ""
        while True:
            details, cursor = await self.batch_get_by_user(users, cursor=cursor, limit=limit)
            for detail in details:
                yield detail
            if not cursor:
                return

    async def remark(
        self,
        userid: str,
        external_userid: str,
        *,
        remark: str | None = None,
        description: str | None = None,
        remark_company: str | None = None,
        remark_mobiles: Sequence[str] | None = None,
        remark_pic_mediaid: str | None = None,
    ) -> None:
        """Set a member's remark on a customer: ``POST .../remark`` (only the fields given change)."""
        body: dict[str, Any] = {"userid": userid, "external_userid": external_userid}
        for name, value in (
            ("remark", remark),
            ("description", description),
            ("remark_company", remark_company),
            ("remark_pic_mediaid", remark_pic_mediaid),
        ):
            if value is not None:
                body[name] = value
        if remark_mobiles is not None:
            body["remark_mobiles"] = list(remark_mobiles)
        await self._post(f"{_PREFIX}/remark", body)

    # -- contact ways ---------------------------------------------------------------
    async def add_contact_way(
        self,
        type: int,
        scene: int,
        *,
        users: Iterable[str] = (),
        parties: Iterable[int] = (),
        state: str | None = None,
        remark: str | None = None,
        skip_verify: bool = True,
        **fields: Any,
    ) -> ContactWay:
        """Add a contact way (联系我): ``POST .../add_contact_way``; the answer has ``config_id`` and ``qr_code``.

        ``type`` 1 one member, 2 several; ``scene`` 1 in a mini program, 2 a
        QR code; ``fields`` are further WeCom fields (``style``,
        ``is_temp``, ``expires_in`` ...).
        """
        path = f"{_PREFIX}/add_contact_way"
        body: dict[str, Any] = {"type": type, "scene": scene, "skip_verify": skip_verify, **fields}
        body.update(self._way_fields(users, parties, state, remark))
        if not (body.get("user") or body.get("party")):
            raise self._refuse(40035, "a contact way needs users or parties (checked before sending)", path=path)
        answer = await self._post(path, body)
        return self._model(ContactWay.from_dict, {**body, **answer}, path=path)

    async def get_contact_way(self, config_id: str) -> ContactWay:
        """A contact way: ``POST .../get_contact_way``."""
        path = f"{_PREFIX}/get_contact_way"
        answer = await self._post(path, {"config_id": config_id})
        return self._model(ContactWay.from_dict, answer.get("contact_way"), path=path)

    async def list_contact_ways(
        self, *, start_time: int | None = None, end_time: int | None = None, cursor: str = "", limit: int = 100
    ) -> tuple[list[str], str]:
        """One page of config_ids: ``POST .../list_contact_way``; ``(config_ids, next_cursor)``."""
        path = f"{_PREFIX}/list_contact_way"
        body: dict[str, Any] = {"limit": limit}
        if start_time is not None:
            body["start_time"] = start_time
        if end_time is not None:
            body["end_time"] = end_time
        if cursor:
            body["cursor"] = cursor
        answer = await self._post(path, body)
        ways = answer.get("contact_way")
        ids = self._models(_id_of("config_id"), ways, path=path)
        following = answer.get("next_cursor")
        return ids, following if isinstance(following, str) else ""

    async def update_contact_way(
        self,
        config_id: str,
        *,
        users: Iterable[str] | None = None,
        parties: Iterable[int] | None = None,
        state: str | None = None,
        remark: str | None = None,
        **fields: Any,
    ) -> None:
        """Change a contact way: ``POST .../update_contact_way`` (only the fields given change)."""
        body: dict[str, Any] = {"config_id": config_id, **fields}
        body.update(self._way_fields((), (), state, remark))
        if users is not None:
            body["user"] = list(users)
        if parties is not None:
            body["party"] = list(parties)
        await self._post(f"{_PREFIX}/update_contact_way", body)

    async def delete_contact_way(self, config_id: str) -> None:
        """Delete a contact way: ``POST .../del_contact_way``."""
        await self._post(f"{_PREFIX}/del_contact_way", {"config_id": config_id})

    @staticmethod
    def _way_fields(
        users: Iterable[str], parties: Iterable[int], state: str | None, remark: str | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if users:
            out["user"] = list(users)
        if parties:
            out["party"] = list(parties)
        if state is not None:
            out["state"] = state
        if remark is not None:
            out["remark"] = remark
        return out

    # -- customer groups --------------------------------------------------------------
    async def list_group_chats(
        self, *, status_filter: int = 0, owners: Iterable[str] = (), cursor: str = "", limit: int = 100
    ) -> tuple[list[str], str]:
        """One page of customer group chat ids: ``POST .../groupchat/list``; ``(chat_ids, next_cursor)``."""
        path = f"{_PREFIX}/groupchat/list"
        if not 1 <= limit <= 1000:
            raise self._refuse(40035, "limit must be 1..1000 (checked before sending)", path=path)
        body: dict[str, Any] = {"status_filter": status_filter, "limit": limit}
        owner_list = list(owners)
        if owner_list:
            body["owner_filter"] = {"userid_list": owner_list}
        if cursor:
            body["cursor"] = cursor
        answer = await self._post(path, body)
        chats = answer.get("group_chat_list")
        ids = self._models(_id_of("chat_id"), chats, path=path)
        following = answer.get("next_cursor")
        return ids, following if isinstance(following, str) else ""

    async def iter_group_chats(
        self, *, status_filter: int = 0, owners: Iterable[str] = (), limit: int = 100
    ) -> AsyncIterator[str]:
        """Every customer group chat id, page after page of ``groupchat/list``."""
        owner_list = list(owners)
        cursor = ""
        while True:
            ids, cursor = await self.list_group_chats(
                status_filter=status_filter, owners=owner_list, cursor=cursor, limit=limit
            )
            for chat_id in ids:
                yield chat_id
            if not cursor:
                return

    async def get_group_chat(self, chat_id: str, *, need_name: bool = False) -> GroupChat:
        """A customer group chat: ``POST .../groupchat/get`` (``need_name``: the members' names too)."""
        path = f"{_PREFIX}/groupchat/get"
        answer = await self._post(path, {"chat_id": chat_id, "need_name": int(need_name)})
        return self._model(GroupChat.from_dict, answer.get("group_chat"), path=path)

    # -- customer tags ------------------------------------------------------------------
    async def get_corp_tags(self, *, tag_ids: Iterable[str] = (), group_ids: Iterable[str] = ()) -> list[CorpTagGroup]:
        """The corp's customer tags, by group: ``POST .../get_corp_tag_list`` (all, or the ids given)."""
        path = f"{_PREFIX}/get_corp_tag_list"
        body: dict[str, Any] = {}
        if tag_ids:
            body["tag_id"] = list(tag_ids)
        if group_ids:
            body["group_id"] = list(group_ids)
        answer = await self._post(path, body)
        return self._models(CorpTagGroup.from_dict, answer.get("tag_group"), path=path)

    async def add_corp_tag(
        self,
        tags: Iterable[str | Mapping[str, Any]],
        *,
        group_id: str | None = None,
        group_name: str | None = None,
        order: int | None = None,
    ) -> CorpTagGroup:
        """Add tags to a group (``group_id``) or a new group (``group_name``): ``POST .../add_corp_tag``."""
        path = f"{_PREFIX}/add_corp_tag"
        items = [{"name": t} if isinstance(t, str) else dict(t) for t in tags]
        if not items:
            raise self._refuse(40035, "no tags to add (checked before sending)", path=path)
        body: dict[str, Any] = {"tag": items}
        if group_id is not None:
            body["group_id"] = group_id
        if group_name is not None:
            body["group_name"] = group_name
        if order is not None:
            body["order"] = order
        answer = await self._post(path, body)
        return self._model(CorpTagGroup.from_dict, answer.get("tag_group"), path=path)

    async def edit_corp_tag(self, tag_or_group_id: str, *, name: str | None = None, order: int | None = None) -> None:
        """Rename or reorder a tag or a tag group: ``POST .../edit_corp_tag``."""
        body: dict[str, Any] = {"id": tag_or_group_id}
        if name is not None:
            body["name"] = name
        if order is not None:
            body["order"] = order
        await self._post(f"{_PREFIX}/edit_corp_tag", body)

    async def delete_corp_tag(self, *, tag_ids: Iterable[str] = (), group_ids: Iterable[str] = ()) -> None:
        """Delete tags and whole tag groups: ``POST .../del_corp_tag``."""
        path = f"{_PREFIX}/del_corp_tag"
        body = {"tag_id": list(tag_ids), "group_id": list(group_ids)}
        if not (body["tag_id"] or body["group_id"]):
            raise self._refuse(40035, "tag_ids and group_ids are both empty (checked before sending)", path=path)
        await self._post(path, body)

    async def mark_tag(
        self, userid: str, external_userid: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        """Tag or untag a customer, as seen by the member ``userid``: ``POST .../mark_tag``."""
        path = f"{_PREFIX}/mark_tag"
        body: dict[str, Any] = {
            "userid": userid,
            "external_userid": external_userid,
            "add_tag": list(add),
            "remove_tag": list(remove),
        }
        if not (body["add_tag"] or body["remove_tag"]):
            raise self._refuse(40035, "add and remove are both empty (checked before sending)", path=path)
        await self._post(path, body)

    # -- messages ---------------------------------------------------------------------------
    async def send_welcome_msg(
        self, welcome_code: str, *, text: str | None = None, attachments: Iterable[Mapping[str, Any]] = ()
    ) -> None:
        """Welcome a new customer: ``POST .../send_welcome_msg`` (the ``WelcomeCode`` of the add event, 20 s)."""
        path = f"{_PREFIX}/send_welcome_msg"
        body: dict[str, Any] = {"welcome_code": welcome_code}
        if text is not None:
            body["text"] = {"content": text}
        items = [dict(a) for a in attachments]
        if items:
            body["attachments"] = items
        if text is None and not items:
            raise self._refuse(41041, "a welcome message needs text or attachments (checked before sending)", path=path)
        await self._post(path, body)

    async def add_msg_template(
        self,
        *,
        external_userids: Iterable[str] = (),
        sender: str | None = None,
        text: str | None = None,
        attachments: Iterable[Mapping[str, Any]] = (),
        chat_type: str = "single",
        **fields: Any,
    ) -> MsgTemplateResult:
        """A mass message (群发) for members to send: ``POST .../add_msg_template``.

        ``chat_type`` ``"single"`` (to customers) or ``"group"`` (to
        customer groups); ``fields`` are further WeCom fields
        (``allow_select``, ``chat_id_list``, ``tag_filter`` ...).
        """
        path = f"{_PREFIX}/add_msg_template"
        body: dict[str, Any] = {"chat_type": chat_type, **fields}
        customers = list(external_userids)
        if customers:
            body["external_userid"] = customers
        if sender is not None:
            body["sender"] = sender
        if text is not None:
            body["text"] = {"content": text}
        items = [dict(a) for a in attachments]
        if items:
            body["attachments"] = items
        if text is None and not items:
            raise self._refuse(41041, "a mass message needs text or attachments (checked before sending)", path=path)
        answer = await self._post(path, body)
        return self._model(MsgTemplateResult.from_dict, answer, path=path)

    async def get_groupmsg_task(
        self, msgid: str, *, cursor: str = "", limit: int = 500
    ) -> tuple[list[GroupMsgSend], str]:
        """Which members sent a mass message: ``POST .../get_groupmsg_task``; ``(rows, next_cursor)``."""
        path = f"{_PREFIX}/get_groupmsg_task"
        body: dict[str, Any] = {"msgid": msgid, "limit": limit}
        if cursor:
            body["cursor"] = cursor
        answer = await self._post(path, body)
        following = answer.get("next_cursor")
        rows = self._models(GroupMsgSend.from_dict, answer.get("task_list"), path=path)
        return rows, following if isinstance(following, str) else ""

    async def get_groupmsg_send_result(
        self, msgid: str, userid: str, *, cursor: str = "", limit: int = 500
    ) -> tuple[list[GroupMsgSend], str]:
        """Which customers a member's mass message reached: ``POST .../get_groupmsg_send_result``."""
        path = f"{_PREFIX}/get_groupmsg_send_result"
        body: dict[str, Any] = {"msgid": msgid, "userid": userid, "limit": limit}
        if cursor:
            body["cursor"] = cursor
        answer = await self._post(path, body)
        following = answer.get("next_cursor")
        rows = self._models(GroupMsgSend.from_dict, answer.get("send_list"), path=path)
        return rows, following if isinstance(following, str) else ""
