"""The WeCom group robot (消息推送, formerly 群机器人), written once: ``AsyncGroupRobot`` here, ``GroupRobot`` generated.

::

    from wxkit.work import GroupRobot

    robot = GroupRobot("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...")   # or just the key
    robot.text("deploy done", mentioned_list=["zhangsan"], mention_all=False)
    robot.markdown("**build** <font color=\"info\">green</font>")
    robot.image(open("chart.png", "rb").read())        # base64 + md5 computed here; 2 MB at most
    robot.file("report.pdf")                             # uploaded through the robot's upload_media first

A robot posts to one group chat through its webhook ``key``: no access
token, no secret but the key itself, which is one (anyone holding it posts to
the group). The key travels in the query (``key`` is in
:data:`wxkit.core.redact.SECRET_PARAMS`), so it never appears in logs, reprs
or errors. WeCom allows 20 messages a minute per robot and answers more with
errcode 45009 (or 130101): a :class:`~wxkit.errors.RateLimitError`. With
``rate_limit=True`` the robot instead waits (``sleep``) until a message may
go, counting what it sent itself in the last 60 seconds (``clock``); other
processes posting through the same key are not counted.
"""

from __future__ import annotations

import asyncio  # unasync: import threading
import base64
import collections
import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ...core._async.base import UploadFile, _open_upload
from ...core._loops import LoopLock
from ...core.http_rules import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT, Timeout
from ...core.redact import redact_url
from ...errors import ConfigError, InvalidArgumentError, TransportError

if TYPE_CHECKING:
    import httpx  # unasync: import requests
    from typing_extensions import Self

    from ...core.ahttp import AsyncHTTPClient

    _Session = httpx.AsyncClient  # unasync: _Session = requests.Session

_Sleep = Callable[[float], Awaitable[None]]  # unasync: _Sleep = Callable[[float], None]

__all__ = ["AsyncGroupRobot", "DEFAULT_ROBOT_BASE_URL", "ROBOT_IMAGE_MAX_SIZE", "ROBOT_RATE_LIMIT"]

#: WeCom's API origin, where robot webhooks live.
DEFAULT_ROBOT_BASE_URL = "https://qyapi.weixin.qq.com"
#: The largest image a robot sends: 2 MB, counted on the image bytes before base64.
ROBOT_IMAGE_MAX_SIZE = 2 * 1024 * 1024
#: Messages a robot may send per minute (WeCom: "每个机器人发送的消息不能超过20条/分钟").
ROBOT_RATE_LIMIT = 20
_SEND = "/cgi-bin/webhook/send"
_UPLOAD = "/cgi-bin/webhook/upload_media"


def _parse_webhook(webhook_key_or_url: str) -> tuple[str, str | None]:
    """``(key, origin or None)`` from a bare key or a webhook URL."""
    if not webhook_key_or_url or not isinstance(webhook_key_or_url, str):
        raise ConfigError("a group robot needs its webhook key (or webhook URL)")
    if "://" not in webhook_key_or_url:
        if any(c in webhook_key_or_url for c in "/?&= "):
            raise ConfigError("the webhook key is malformed: give the key or the whole webhook URL")
        return webhook_key_or_url, None
    parts = urlsplit(webhook_key_or_url)
    keys = parse_qs(parts.query).get("key", [])
    if len(keys) != 1 or not keys[0] or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("the webhook URL has no key=... (expected .../cgi-bin/webhook/send?key=...)")
    return keys[0], f"{parts.scheme}://{parts.netloc}"


class AsyncGroupRobot:
    """A WeCom group robot: ``text``, ``markdown``, ``markdown_v2``, ``image``, ``news``, ``file``, ``voice`` ...

    ... and ``template_card``; :meth:`send` posts any body as is.

    ``webhook_key_or_url`` is the key or the whole webhook URL (whose origin
    is then the ``base_url`` unless one is given). Every method returns
    WeCom's answer; an errcode raises the :class:`~wxkit.errors.APIError`
    subclass for it (45009 / 130101: :class:`~wxkit.errors.RateLimitError`).
    ``rate_limit=True`` waits instead of exceeding 20 messages a minute.
    ``timeout``, ``max_retries``, ``backoff``, ``deadline``, ``session``:
    as for :class:`wxkit.Client` (a message is never re-sent once it may
    have reached WeCom). The async robot needs the ``wxkit[async]`` extra.
    """

    def __init__(
        self,
        webhook_key_or_url: str,
        *,
        base_url: str | None = None,
        rate_limit: bool = False,
        timeout: Timeout = DEFAULT_TIMEOUT,
        session: _Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.2,
        sleep: _Sleep = asyncio.sleep,  # unasync: sleep: _Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        from ...core.ahttp import AsyncHTTPClient  # httpx only when an async robot is made

        key, origin = _parse_webhook(webhook_key_or_url)
        self._key = key
        self.base_url = (base_url or origin or DEFAULT_ROBOT_BASE_URL).rstrip("/")
        self.http: AsyncHTTPClient = AsyncHTTPClient(
            self.base_url,
            session=session,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            sleep=sleep,
            deadline=deadline,
            max_body_size=max_body_size,
        )
        #: Whether to wait rather than exceed :data:`ROBOT_RATE_LIMIT` messages a minute.
        self.rate_limit = rate_limit
        self._sleep = sleep
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()
        self._lock = LoopLock()  # unasync: self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"  # never the key

    async def aclose(self) -> None:
        """Close the connection pool (a session passed in by the caller is left open)."""
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- messages ------------------------------------------------------------------
    async def text(
        self,
        content: str,
        *,
        mentioned_list: Sequence[str] = (),
        mentioned_mobile_list: Sequence[str] = (),
        mention_all: bool = False,
    ) -> dict[str, Any]:
        """A text message (2048 bytes at most), @-mentioning userids, mobile numbers, or everyone (``@all``)."""
        body: dict[str, Any] = {"content": content}
        users = _names("mentioned_list", mentioned_list)
        if mention_all and "@all" not in users:
            users.append("@all")
        if users:
            body["mentioned_list"] = users
        mobiles = _names("mentioned_mobile_list", mentioned_mobile_list)
        if mobiles:
            body["mentioned_mobile_list"] = mobiles
        return await self.send({"msgtype": "text", "text": body})

    async def markdown(self, content: str) -> dict[str, Any]:
        """A markdown message (WeCom's subset; ``<@userid>`` mentions; 4096 bytes at most)."""
        return await self.send({"msgtype": "markdown", "markdown": {"content": content}})

    async def markdown_v2(self, content: str) -> dict[str, Any]:
        """A ``markdown_v2`` message (tables, lists, code blocks; no ``<font>`` colours; 4096 bytes at most)."""
        return await self.send({"msgtype": "markdown_v2", "markdown_v2": {"content": content}})

    async def image(self, image: bytes | str | os.PathLike[str] | IO[bytes]) -> dict[str, Any]:
        """An image (JPG or PNG bytes, a path or a binary file): base64 and md5 are computed here.

        An image over :data:`ROBOT_IMAGE_MAX_SIZE` (2 MB, before base64) is an
        :class:`~wxkit.errors.InvalidArgumentError` (40009) raised before anything is sent.
        """
        data = _read_image(image)
        if len(data) > ROBOT_IMAGE_MAX_SIZE:
            url = self._safe_url(_SEND)
            raise InvalidArgumentError(
                40009,
                f"the image is over the robot's {ROBOT_IMAGE_MAX_SIZE}-byte (2 MB) limit, counted before base64",
                method="POST",
                url=url,
            )
        if not data:
            raise ValueError("the image is empty")
        encoded = base64.b64encode(data).decode("ascii")
        return await self.send(
            {"msgtype": "image", "image": {"base64": encoded, "md5": hashlib.md5(data).hexdigest()}}  # noqa: S324 - WeCom's checksum
        )

    async def news(self, articles: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """A news message: 1 to 8 articles (``title``, ``description``, ``url``, ``picurl``)."""
        items = [dict(a) for a in articles]
        if not 1 <= len(items) <= 8:
            raise ValueError(f"a news message has 1 to 8 articles, not {len(items)}")
        return await self.send({"msgtype": "news", "news": {"articles": items}})

    async def file(self, file: UploadFile | None = None, *, media_id: str | None = None) -> dict[str, Any]:
        """A file: an uploaded ``media_id``, or a file uploaded first (:meth:`upload_media`, 20 MB at most)."""
        return await self._media_message("file", file, media_id)

    async def voice(self, file: UploadFile | None = None, *, media_id: str | None = None) -> dict[str, Any]:
        """A voice message (AMR, 2 MB, 60 s at most): a ``media_id``, or a file uploaded first."""
        return await self._media_message("voice", file, media_id)

    async def template_card(self, card: Mapping[str, Any]) -> dict[str, Any]:
        """A template card (``card_type`` ``text_notice`` or ``news_notice`` and its fields, as WeCom documents)."""
        if not isinstance(card, Mapping) or not card.get("card_type"):
            raise ValueError("a template card needs its card_type")
        return await self.send({"msgtype": "template_card", "template_card": dict(card)})

    async def upload_media(self, file: UploadFile, *, type: str = "file") -> str:
        """Upload a file (``type`` ``"file"`` or ``"voice"``) for :meth:`file` / :meth:`voice`; return its ``media_id``.

        A media id is valid 3 days and only for this robot. Never re-sent.
        """
        if type not in ("file", "voice"):
            raise ValueError(f"type must be 'file' or 'voice', not {type!r}")
        params = {"key": self._key, "type": type}
        with _open_upload(file, default_name=f"media.{'amr' if type == 'voice' else 'bin'}") as part:
            answer = await self._call(_UPLOAD, params=params, files={"media": part})
        media_id = answer.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            url = self._safe_url(_UPLOAD)
            raise TransportError(f"POST {url} answered without a media_id", method="POST", url=url)
        return media_id

    async def send(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """Send any message body (``{"msgtype": ..., ...}``) as is; the raw escape hatch."""
        if not isinstance(message, Mapping) or not message.get("msgtype"):
            raise ValueError("a robot message needs its msgtype")
        if self.rate_limit:
            await self._wait_turn()
        return await self._call(_SEND, params={"key": self._key}, json_body=dict(message))

    # -- internals -----------------------------------------------------------------
    async def _media_message(self, kind: str, file: UploadFile | None, media_id: str | None) -> dict[str, Any]:
        if (file is None) == (media_id is None):
            raise ValueError("give exactly one of a file or media_id=")
        if media_id is None:
            assert file is not None
            media_id = await self.upload_media(file, type=kind)
        return await self.send({"msgtype": kind, kind: {"media_id": media_id}})

    async def _wait_turn(self) -> None:
        """Wait until fewer than :data:`ROBOT_RATE_LIMIT` messages went in the last 60 seconds; count this one."""
        async with self._lock:  # unasync: with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - 60.0:
                    self._sent.popleft()
                if len(self._sent) < ROBOT_RATE_LIMIT:
                    self._sent.append(now)
                    return
                await self._sleep(self._sent[0] + 60.0 - now)

    def _safe_url(self, path: str) -> str:
        return redact_url(self.http.url(path), {"key": self._key})

    async def _call(
        self, path: str, *, params: dict[str, Any], json_body: Any = None, files: Any = None
    ) -> dict[str, Any]:
        response = await self.http.send("POST", path, params=params, json_body=json_body, files=files, idempotent=False)
        return await self.http.decode(response, method="POST", safe_url=self._safe_url(path))


def _names(what: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{what} is a list of strings, not one string")
    out = list(values)
    if not all(isinstance(v, str) and v for v in out):
        raise ValueError(f"{what} holds non-empty strings only")
    return out


def _read_image(image: bytes | str | os.PathLike[str] | IO[bytes]) -> bytes:
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as handle:
            return handle.read(ROBOT_IMAGE_MAX_SIZE + 1)  # enough to tell "over the limit"
    if hasattr(image, "read"):
        data = image.read(ROBOT_IMAGE_MAX_SIZE + 1)
        if not isinstance(data, bytes):
            raise TypeError("the image file must be opened in binary mode")
        return data
    raise TypeError(f"cannot send a {type(image).__name__} as an image: give bytes, a path or a binary file")
