"""The iLink bot: long-poll ``getupdates``, typed messages, handlers, replies that echo ``context_token``.

:class:`ILinkBot` (this source; the sync ``ILinkBot`` is generated from
it) receives a personal WeChat account's messages through iLink's long-poll
``getupdates``, dispatches each to ``on_text`` / ``on_image`` / ``on_voice`` /
``on_file`` / ``on_video`` / ``on_unknown`` (with ``pre_process`` /
``post_process`` / ``on_error`` as on :class:`~wxkit.WxApplication`) and sends
what a handler returns back to the sender with the message's ``context_token``.

Replay safety: the cursor (``get_updates_buf``) is kept in the storage after
each batch, so a restart resumes where the last batch ended, and each
``message_id`` is claimed in the storage (:func:`wxkit.storage.claim`) before
its handler runs, so a message delivered twice is handled once.
"""
# Generated from wxkit/ilink/_async/bot.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import contextlib
import hashlib
import inspect
import logging
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..bounds import Deadline
from ..errors import ConfigError, ParseError, StorageError, TransportError
from ..jsoncodec import load_json
from ..storage import MemoryStorage, Storage, claim
from .errors import ILinkError, ILinkSessionExpired
from .keepalive import TYPING_DELAY, TYPING_KEEPALIVE, TypingKeepAlive, _check_timing
from .media import (
    DEFAULT_CDN_BASE_URL,
    MEDIA_FILE,
    MEDIA_IMAGE,
    MEDIA_VIDEO,
    ECBDecryptor,
    UploadedMedia,
    decrypt,
    encrypt,
    media_ref,
    padded_size,
    parse_aes_key,
)
from .protocol import (
    DEFAULT_BASE_URL,
    DEFAULT_TEXT_LIMIT,
    MESSAGE_STATE_FINISH,
    MESSAGE_TYPE_BOT,
    base_info,
    check_answer,
    ilink_headers,
    split_text,
)
from .types import (
    ILinkCredentials,
    ILinkFileReply,
    ILinkImageReply,
    ILinkMessage,
    ILinkTextReply,
    ILinkVideoReply,
    ImageItem,
    Item,
    parse_message,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..core.http import HTTPClient

__all__ = ["ILinkBot"]

logger = logging.getLogger("wxkit.ilink")

_Sleep = Callable[[float], None]


def _as_bytes(value: Any, what: str) -> bytes:
    """``value`` as bytes; anything else is a ConfigError (``bytes(123)`` would be 123 zero bytes)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise ConfigError(f"{what} must be bytes, not {type(value).__name__}")


#: A thumbnail: its bytes, or the path of a file holding them.
_Thumbnail = bytes | str | os.PathLike[str]
#: How long a handled message id is remembered (iLink redelivers within minutes; a week is ample).
DEDUPE_TTL = 7 * 24 * 3600.0
#: Bounds of the server-suggested long-poll timeout, in seconds.
_MIN_POLL, _MAX_POLL = 1.0, 120.0
#: Seconds added to the long-poll timeout for the answer to arrive.
_POLL_MARGIN = 10.0
#: How long a user's typing ticket (``getconfig``) is reused, in seconds (the reference client: up to a day).
TYPING_TICKET_TTL = 12 * 3600.0


def _resolve(value: Any) -> Any:
    """A handler's result, awaited when it is awaitable (async bots accept ``def`` handlers)."""
    if inspect.isawaitable(value):
        raise ConfigError("ILinkBot handlers must not be async def: use AsyncILinkBot")
    return value


class ILinkBot:
    """A personal-account bot on iLink; subclass it and define ``on_text`` etc. (see the module docstring).

    ``bot_token`` comes from the QR login (:class:`~wxkit.ilink.ILinkLogin`);
    it is a secret: it travels only in the ``Authorization`` header and never
    appears in a repr, log line or error. ``storage`` keeps the cursor and the
    handled message ids (a :class:`~wxkit.storage.MemoryStorage` by default:
    give a ``RedisStorage`` or any shared storage to survive restarts).
    ``bot_id`` names the bot in the storage keys (default: derived from the
    token). ``text_limit`` is where long replies are split. ``backoff`` is the
    first pause of :meth:`run` after a failed poll (doubling up to 60 s).
    """

    #: Show "typing..." to the sender from the moment a handler starts (``sendtyping`` start, then cancel).
    typing_indicator: bool = False
    #: While a handler runs longer than :attr:`typing_delay`, send ``sendtyping`` start every this many
    #: seconds (the reference client's 5 s), then cancel when it returns; None: no automatic keep-alive.
    #: Not a positive number: ConfigError when the bot is made.
    typing_keepalive: float | None = TYPING_KEEPALIVE
    #: Seconds a handler runs before the keep-alive's first start (with :attr:`typing_indicator`, the start
    #: is sent at once and the keep-alive repeats it every :attr:`typing_keepalive` seconds).
    typing_delay: float = TYPING_DELAY

    def __init__(
        self,
        bot_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        storage: Storage | None = None,
        bot_id: str = "",
        http: HTTPClient | None = None,
        long_poll_timeout: float = 35.0,
        text_limit: int = DEFAULT_TEXT_LIMIT,
        backoff: float = 2.0,
        cdn_base_url: str = DEFAULT_CDN_BASE_URL,
        sleep: _Sleep = time.sleep,
    ) -> None:
        if not isinstance(bot_token, str) or not bot_token.strip():
            raise ConfigError("bot_token is required (log in by QR code first: wxkit ilink login)")
        if self.typing_keepalive is not None:
            _check_timing(self.typing_delay, self.typing_keepalive)  # ConfigError now, not on every message
        if http is None:
            from ..core.http import HTTPClient

            http = HTTPClient(base_url, max_retries=1)
        self.http = http
        self._token = bot_token.strip()
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.bot_id = bot_id
        account = bot_id or hashlib.sha256(self._token.encode("utf-8")).hexdigest()[:16]
        self._prefix = f"wxkit:ilink:{account}:"
        self.long_poll_timeout = long_poll_timeout
        self.text_limit = text_limit
        self.backoff = backoff
        self._sleep = sleep
        self._inline = isinstance(self.storage, MemoryStorage)
        self._stopping = threading.Event()
        self._tickets: dict[str, tuple[str, float]] = {}
        self.cdn_base_url = cdn_base_url.rstrip("/")

    @classmethod
    def from_credentials(cls, credentials: ILinkCredentials, **kwargs: Any) -> Self:
        """A bot for the credentials of a confirmed login (its base URL and bot id included)."""
        kwargs.setdefault("base_url", credentials.base_url or DEFAULT_BASE_URL)
        kwargs.setdefault("bot_id", credentials.bot_id)
        return cls(credentials.bot_token, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.http.base_url!r}, bot_id={self.bot_id!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the wire ----------------------------------------------------------------
    def _store(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the storage: in a thread on the async side unless it is a MemoryStorage."""
        if self._inline:
            return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    def call(self, endpoint: str, body: dict[str, Any], *, read_timeout: float = 15.0) -> dict[str, Any]:
        """POST ``body`` (plus ``base_info``) to an iLink endpoint with the protocol's headers; return the answer.

        Raises :class:`~wxkit.errors.TransportError` (network, HTTP status),
        :class:`~wxkit.errors.ParseError` (not a JSON object),
        :class:`~wxkit.ilink.ILinkSessionExpired` (``-14``) or
        :class:`~wxkit.ilink.ILinkError` (another non-zero ``ret`` / ``errcode``).
        """
        url = self.http.url(endpoint)
        timeout = (5.0, read_timeout)
        response = self.http.send(
            "POST",
            endpoint,
            json_body={**body, "base_info": base_info()},
            headers=ilink_headers(self._token),
            timeout=timeout,
            idempotent=False,
            deadline=Deadline(read_timeout + 10.0),
        )
        raw = self.http.read(response, method="POST", url=url)
        if response.status_code >= 400:
            raise TransportError(f"POST {url} answered HTTP {response.status_code}", method="POST", url=url)
        try:
            data = load_json(raw, what=f"iLink's {endpoint} answer", max_size=None)
        except ParseError:
            raise ParseError(f"iLink's {endpoint} answer is not JSON") from None
        return check_answer(data, endpoint=endpoint, url=url)

    # -- sending -------------------------------------------------------------------
    def send_text(self, to: str, text: str, *, context_token: str) -> list[str]:
        """Send ``text`` to user ``to`` (split at ``text_limit``); return the ``client_id`` of each part.

        ``context_token`` is the one of the message being answered: iLink
        requires it on every reply, so an empty one raises
        :class:`~wxkit.errors.ConfigError` before anything is sent.
        """
        if not to:
            raise ConfigError("send_text needs the recipient's user id")
        if not context_token:
            raise ConfigError("send_text needs the context_token of the message being answered")
        sent: list[str] = []
        for part in split_text(text, self.text_limit):
            client_id = f"wxkit-{secrets.token_hex(8)}"
            msg = {
                "from_user_id": "",
                "to_user_id": to,
                "client_id": client_id,
                "message_type": MESSAGE_TYPE_BOT,
                "message_state": MESSAGE_STATE_FINISH,
                "item_list": [{"type": 1, "text_item": {"text": part}}],
                "context_token": context_token,
            }
            self.call("ilink/bot/sendmessage", {"msg": msg})
            sent.append(client_id)
        return sent

    # -- media ---------------------------------------------------------------------------
    def upload(self, to: str, data: bytes, *, media_type: int, thumbnail: bytes | None = None) -> UploadedMedia:
        """Encrypt ``data`` under a fresh key and upload it to the CDN for user ``to``.

        ``getuploadurl`` gives the URL; the CDN answers the download parameter
        in ``x-encrypted-param``. A 5xx or a network error is retried (3 tries
        in all; the same ciphertext to the same URL); a 4xx raises
        :class:`~wxkit.errors.TransportError` at once. With ``thumbnail``
        (images and videos only) the request also declares the thumbnail's raw
        size, raw MD5 and cipher size (``thumb_rawsize`` / ``thumb_rawfilemd5``
        / ``thumb_filesize``) and the thumbnail, encrypted under the same key,
        goes to the ``thumb_upload_param`` URL; it is :attr:`UploadedMedia.thumb`.
        """
        data = _as_bytes(data, "the media")
        thumb_data = None if thumbnail is None else _as_bytes(thumbnail, "thumbnail")
        if thumb_data is not None:
            if media_type not in (MEDIA_IMAGE, MEDIA_VIDEO):
                raise ConfigError("only images and videos carry a thumbnail")
            if not thumb_data:
                raise ConfigError("the thumbnail is empty")
        key = secrets.token_bytes(16)
        filekey = secrets.token_hex(16)
        cipher = encrypt(data, key)
        md5 = hashlib.md5(data).hexdigest()  # noqa: S324 - the protocol's checksum, not a security use
        request: dict[str, Any] = {
            "filekey": filekey,
            "media_type": media_type,
            "to_user_id": to,
            "rawsize": len(data),
            "rawfilemd5": md5,
            "filesize": padded_size(len(data)),
            "no_need_thumb": thumb_data is None,
            "aeskey": key.hex(),
        }
        thumb_md5 = ""
        if thumb_data is not None:
            thumb_md5 = hashlib.md5(thumb_data).hexdigest()  # noqa: S324 - the protocol's checksum
            request["thumb_rawsize"] = len(thumb_data)
            request["thumb_rawfilemd5"] = thumb_md5
            request["thumb_filesize"] = padded_size(len(thumb_data))
        answer = self.call("ilink/bot/getuploadurl", request)
        endpoint_url = self.http.url("ilink/bot/getuploadurl")
        full_url = answer.get("upload_full_url")
        param = answer.get("upload_param")
        if isinstance(full_url, str) and full_url.strip():
            url = full_url.strip()
        elif isinstance(param, str) and param:
            url = self._cdn_upload_url(param, filekey)
        else:
            raise ILinkError(-1, "getuploadurl answered no upload URL", method="POST", url=endpoint_url)
        thumb_url = ""
        if thumb_data is not None:
            thumb_param = answer.get("thumb_upload_param")
            if not isinstance(thumb_param, str) or not thumb_param:
                raise ILinkError(
                    -1, "getuploadurl answered no thumb_upload_param for the thumbnail", method="POST", url=endpoint_url
                )
            thumb_url = self._cdn_upload_url(thumb_param, filekey)
        download_param = self._put_cdn(url, cipher)
        thumb: UploadedMedia | None = None
        if thumb_data is not None:
            thumb_cipher = encrypt(thumb_data, key)
            thumb_param = self._put_cdn(thumb_url, thumb_cipher)
            thumb = UploadedMedia(thumb_param, key.hex(), len(thumb_data), len(thumb_cipher), thumb_md5)
        return UploadedMedia(download_param, key.hex(), len(data), len(cipher), md5, thumb)

    def _cdn_upload_url(self, param: str, filekey: str) -> str:
        return f"{self.cdn_base_url}/upload?encrypted_query_param={quote(param, safe='')}&filekey={filekey}"

    def _put_cdn(self, url: str, cipher: bytes) -> str:
        """POST ``cipher`` to a CDN upload URL (5xx and network errors retried); return ``x-encrypted-param``."""
        safe_url = url.split("?", 1)[0]
        failure: TransportError | None = None
        for attempt in range(3):
            if attempt:
                self._sleep(self.backoff * attempt)
            try:
                response = self.http.send(
                    "POST",
                    url,
                    data=cipher,
                    headers={"Content-Type": "application/octet-stream"},
                    timeout=(5.0, 60.0),
                    idempotent=False,
                )
            except TransportError as exc:
                failure = exc
                continue
            if 400 <= response.status_code < 500:
                reason = response.headers.get("x-error-message", "")[:200]
                raise TransportError(
                    f"POST {safe_url} answered HTTP {response.status_code} {reason}".rstrip(),
                    method="POST",
                    url=safe_url,
                )
            download_param = response.headers.get("x-encrypted-param", "")
            if response.status_code == 200 and download_param:
                return str(download_param)
            failure = TransportError(
                f"POST {safe_url} answered HTTP {response.status_code} without x-encrypted-param",
                method="POST",
                url=safe_url,
            )
        assert failure is not None
        raise failure

    def _send_item(self, to: str, item: dict[str, Any], context_token: str) -> str:
        if not to:
            raise ConfigError("sending needs the recipient's user id")
        if not context_token:
            raise ConfigError("sending needs the context_token of the message being answered")
        client_id = f"wxkit-{secrets.token_hex(8)}"
        msg = {
            "from_user_id": "",
            "to_user_id": to,
            "client_id": client_id,
            "message_type": MESSAGE_TYPE_BOT,
            "message_state": MESSAGE_STATE_FINISH,
            "item_list": [item],
            "context_token": context_token,
        }
        self.call("ilink/bot/sendmessage", {"msg": msg})
        return client_id

    def _read_thumbnail(self, thumbnail: _Thumbnail | None) -> bytes | None:
        """A thumbnail's bytes (a path is read, in a thread on the async side); ConfigError if unreadable."""
        if thumbnail is None or isinstance(thumbnail, (bytes, bytearray, memoryview)):
            return None if thumbnail is None else bytes(thumbnail)
        if not isinstance(thumbnail, (str, os.PathLike)):
            raise ConfigError(f"thumbnail must be bytes or a path, not {type(thumbnail).__name__}")
        path = Path(thumbnail)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the thumbnail {os.fspath(path)}: {type(exc).__name__}") from None

    @staticmethod
    def _thumb_fields(uploaded: UploadedMedia) -> dict[str, Any]:
        """``thumb_media`` and ``thumb_size`` (its cipher size) of an outgoing image or video, if it has a thumb."""
        if uploaded.thumb is None:
            return {}
        return {"thumb_media": media_ref(uploaded.thumb), "thumb_size": uploaded.thumb.cipher_size}

    def send_image(self, to: str, data: bytes, *, context_token: str, thumbnail: _Thumbnail | None = None) -> str:
        """Upload an image (encrypted) and send it; return the message's ``client_id``.

        ``thumbnail`` (bytes or a file path) is uploaded beside it and sent as
        ``thumb_media``; by default there is none, as with the reference
        client (``no_need_thumb``: WeChat shows the image itself).
        """
        if not context_token:
            raise ConfigError("send_image needs the context_token of the message being answered")
        thumb = self._read_thumbnail(thumbnail)
        uploaded = self.upload(to, data, media_type=MEDIA_IMAGE, thumbnail=thumb)
        body = {"media": media_ref(uploaded), "mid_size": uploaded.cipher_size, **self._thumb_fields(uploaded)}
        return self._send_item(to, {"type": 2, "image_item": body}, context_token)

    def send_file(self, to: str, data: bytes, *, file_name: str, context_token: str) -> str:
        """Upload a file (encrypted) and send it under ``file_name``; return the message's ``client_id``."""
        if not context_token:
            raise ConfigError("send_file needs the context_token of the message being answered")
        uploaded = self.upload(to, data, media_type=MEDIA_FILE)
        item = {
            "type": 4,
            "file_item": {"media": media_ref(uploaded), "file_name": file_name, "len": str(uploaded.raw_size)},
        }
        return self._send_item(to, item, context_token)

    def send_video(self, to: str, data: bytes, *, context_token: str, thumbnail: _Thumbnail | None = None) -> str:
        """Upload a video (encrypted) and send it; return the message's ``client_id``.

        ``thumbnail`` (an image's bytes or a file path: the cover) is uploaded
        beside it and sent as ``thumb_media``; by default there is none, as
        with the reference client (``no_need_thumb``).
        """
        if not context_token:
            raise ConfigError("send_video needs the context_token of the message being answered")
        thumb = self._read_thumbnail(thumbnail)
        uploaded = self.upload(to, data, media_type=MEDIA_VIDEO, thumbnail=thumb)
        body = {"media": media_ref(uploaded), "video_size": uploaded.cipher_size, **self._thumb_fields(uploaded)}
        return self._send_item(to, {"type": 5, "video_item": body}, context_token)

    def _media_source(self, item: Item, thumbnail: bool = False) -> tuple[str, bytes]:
        media = getattr(item, "thumb_media" if thumbnail else "media", None)
        if not isinstance(media, dict) or not media:
            what = "thumbnail" if thumbnail else "media"
            raise ConfigError(f"{type(item).__name__} carries no {what} to download")
        key_text = media.get("aes_key") if thumbnail else None
        if not key_text:
            key_text = item.aeskey if isinstance(item, ImageItem) and item.aeskey else media.get("aes_key")
        key = parse_aes_key(key_text if isinstance(key_text, str) else "")
        full_url = media.get("full_url")
        if isinstance(full_url, str) and full_url:
            return full_url, key
        param = media.get("encrypt_query_param")
        if not isinstance(param, str) or not param:
            raise ConfigError("the media has neither full_url nor encrypt_query_param")
        return f"{self.cdn_base_url}/download?encrypted_query_param={quote(param, safe='')}", key

    def download(self, item: Item, *, thumbnail: bool = False) -> bytes:
        """Download and decrypt an item's media (bounded by the client's ``max_download_size``).

        ``thumbnail=True``: the thumbnail of an image or video (``thumb_media``)
        instead. Raises :class:`~wxkit.errors.DecryptError` on a wrong key,
        length or padding, :class:`~wxkit.errors.TransportError` on a CDN error.
        """
        url, key = self._media_source(item, thumbnail)
        safe_url = url.split("?", 1)[0]
        response = self.http.send("GET", url, timeout=(5.0, 60.0), max_size=self.http.max_download_size)
        if response.status_code != 200:
            self.http.close_response(response)
            raise TransportError(f"GET {safe_url} answered HTTP {response.status_code}", method="GET", url=safe_url)
        body = self.http.read(response, max_size=self.http.max_download_size, method="GET", url=safe_url)
        return decrypt(body, key)

    def download_to(self, item: Item, path: str | os.PathLike[str], *, thumbnail: bool = False) -> int:
        """Stream an item's media (or, with ``thumbnail=True``, its thumbnail) to ``path``, decrypting on the way.

        Return the bytes written. On any error the partial file is removed.
        """
        url, key = self._media_source(item, thumbnail)
        safe_url = url.split("?", 1)[0]
        response = self.http.send("GET", url, timeout=(5.0, 60.0), stream=True)
        if response.status_code != 200:
            self.http.close_response(response)
            raise TransportError(f"GET {safe_url} answered HTTP {response.status_code}", method="GET", url=safe_url)
        decryptor = ECBDecryptor(key)
        written = 0
        try:
            with open(path, "wb") as out:
                for chunk in self.http.iter_body(response, max_size=None, method="GET", url=safe_url):
                    plain = decryptor.feed(chunk)
                    out.write(plain)
                    written += len(plain)
                tail = decryptor.finish()
                out.write(tail)
                written += len(tail)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(path)
            raise
        return written

    def reply(self, message: ILinkMessage, reply: Any) -> None:
        """Send a handler's result to the sender of ``message``.

        None: nothing; a str or :class:`~wxkit.ilink.ILinkTextReply`: text; an
        :class:`~wxkit.ilink.ILinkImageReply` / ``ILinkFileReply`` /
        ``ILinkVideoReply``: that media. A message without a ``context_token``
        gets no reply (logged).
        """
        if reply is None:
            return
        if isinstance(reply, str):
            reply = ILinkTextReply(reply)
        if not isinstance(reply, (ILinkTextReply, ILinkImageReply, ILinkFileReply, ILinkVideoReply)):
            raise ConfigError(f"an iLink handler returned {type(reply).__name__}: return a str, a reply object or None")
        if isinstance(reply, ILinkTextReply) and not reply.text:
            return
        if not message.context_token:
            logger.warning("iLink message %s has no context_token: its reply is not sent", message.message_id)
            return
        to, token = message.from_user_id, message.context_token
        if isinstance(reply, ILinkTextReply):
            self.send_text(to, reply.text, context_token=token)
        elif isinstance(reply, ILinkImageReply):
            self.send_image(to, reply.data, context_token=token, thumbnail=reply.thumbnail)
        elif isinstance(reply, ILinkFileReply):
            self.send_file(to, reply.data, file_name=reply.file_name, context_token=token)
        else:
            self.send_video(to, reply.data, context_token=token, thumbnail=reply.thumbnail)

    def typing_ticket(self, user_id: str, *, context_token: str = "") -> str:
        """The typing ticket for ``user_id`` (``getconfig``), cached per user; "" when iLink gives none."""
        cached = self._tickets.get(user_id)
        if cached is not None and cached[1] > monotonic():
            return cached[0]
        body: dict[str, Any] = {"ilink_user_id": user_id}
        if context_token:
            body["context_token"] = context_token
        data = self.call("ilink/bot/getconfig", body, read_timeout=10.0)
        ticket = data.get("typing_ticket")
        ticket = ticket if isinstance(ticket, str) else ""
        if len(self._tickets) > 10_000:  # bounded: drop the oldest
            self._tickets.pop(next(iter(self._tickets)))
        self._tickets[user_id] = (ticket, monotonic() + TYPING_TICKET_TTL)
        return ticket

    def send_typing(self, user_id: str, *, context_token: str = "", typing: bool = True) -> bool:
        """Show (``typing=True``) or cancel "typing..." for ``user_id``; False when iLink gave no typing ticket."""
        ticket = self.typing_ticket(user_id, context_token=context_token)
        if not ticket:
            return False
        body = {"ilink_user_id": user_id, "typing_ticket": ticket, "status": 1 if typing else 2}
        self.call("ilink/bot/sendtyping", body, read_timeout=10.0)
        return True

    def _typing(self, message: ILinkMessage, typing: bool) -> bool:
        """The automatic indicator around a handler: True if sent; failures are logged, never raised."""
        try:
            return self.send_typing(message.from_user_id, context_token=message.context_token, typing=typing)
        except ILinkSessionExpired:
            raise
        except (TransportError, ParseError, ILinkError) as exc:
            logger.info("iLink typing indicator failed: %s", type(exc).__name__)
            return False

    def _run_handler(self, message: ILinkMessage) -> Any:
        """Run the message's handler with the automatic "typing..." around it (:attr:`typing_keepalive`)."""
        handler = self._handler(message)
        interval = self.typing_keepalive
        if not message.from_user_id or (interval is None and not self.typing_indicator):
            return _resolve(handler(message))
        started = self._typing(message, True) if self.typing_indicator else False
        if interval is None:
            try:
                return _resolve(handler(message))
            finally:
                if started:
                    self._typing(message, False)
        keepalive = TypingKeepAlive(
            lambda: self._typing(message, True), delay=interval if started else self.typing_delay, interval=interval
        )
        try:
            with keepalive:
                return _resolve(handler(message))
        finally:
            if started or keepalive.sent:
                self._typing(message, False)

    def notify_start(self) -> None:
        """Tell iLink this bot starts receiving (``msg/notifystart``)."""
        self.call("ilink/bot/msg/notifystart", {}, read_timeout=10.0)

    def notify_stop(self) -> None:
        """Tell iLink this bot stops receiving (``msg/notifystop``)."""
        self.call("ilink/bot/msg/notifystop", {}, read_timeout=10.0)

    # -- handlers (override) -------------------------------------------------------
    def pre_process(self, message: ILinkMessage) -> Any:
        """Run before the handler; return a reply to answer with it and skip the handler."""
        return None

    def post_process(self, message: ILinkMessage, reply: Any) -> Any:
        """Run after the handler with its result; return the reply to send."""
        return reply

    def on_error(self, message: ILinkMessage, error: Exception) -> Any:
        """Called when a handler (or its reply) raises; the default logs it and sends nothing."""
        logger.error("iLink handler failed on message %s: %s", message.message_id, type(error).__name__)
        return None

    def on_unknown(self, message: ILinkMessage) -> Any:
        """A message of a type without its own handler (the raw items are in ``message.items``)."""
        return None

    def _handler(self, message: ILinkMessage) -> Callable[[ILinkMessage], Any]:
        handler = getattr(self, f"on_{message.kind}", None)
        return handler if callable(handler) else self.on_unknown

    def dispatch(self, message: ILinkMessage) -> None:
        """Run the handler chain on one message and send its reply (errors go to :meth:`on_error`)."""
        try:
            reply = _resolve(self.pre_process(message))
            if reply is None:
                reply = self._run_handler(message)
            reply = _resolve(self.post_process(message, reply))
            self.reply(message, reply)
        except ILinkSessionExpired:
            raise
        except Exception as exc:  # noqa: BLE001 - a handler's failure must not stop the runner
            try:
                fallback = _resolve(self.on_error(message, exc))
                self.reply(message, fallback)
            except ILinkSessionExpired:
                raise
            except Exception as again:  # noqa: BLE001 - on_error itself failed: logged, runner goes on
                logger.error("iLink on_error failed on message %s: %s", message.message_id, type(again).__name__)

    # -- receiving -------------------------------------------------------------------
    @property
    def cursor_key(self) -> str:
        """The storage key of the ``get_updates_buf`` cursor."""
        return self._prefix + "cursor"

    def poll_once(self) -> int:
        """Handle one ``getupdates`` batch; return how many messages were handled.

        The cursor is stored after the batch; a message id already claimed is
        skipped. Raises :class:`~wxkit.ilink.ILinkSessionExpired` when the
        session is over, and the transport / parse / API errors of :meth:`call`.
        """
        cursor = self._store(self.storage.get, self.cursor_key) or ""
        data = self.call(
            "ilink/bot/getupdates", {"get_updates_buf": cursor}, read_timeout=self.long_poll_timeout + _POLL_MARGIN
        )
        msgs = data.get("msgs")
        new_cursor = data.get("get_updates_buf")
        if msgs is None:
            msgs = []
        if not isinstance(msgs, list):
            raise ParseError("iLink's getupdates answer has a msgs that is not a list")
        if new_cursor is not None and not isinstance(new_cursor, str):
            raise ParseError("iLink's getupdates answer has a get_updates_buf that is not a string")
        suggested = data.get("longpolling_timeout_ms")
        if isinstance(suggested, (int, float)) and not isinstance(suggested, bool) and suggested > 0:
            self.long_poll_timeout = min(max(suggested / 1000.0, _MIN_POLL), _MAX_POLL)
        handled = 0
        for raw in msgs:
            if not isinstance(raw, dict):
                logger.warning("iLink getupdates carried a message that is not an object: skipped")
                continue
            message = parse_message(raw)
            if message.message_id:
                key = self._prefix + "msg:" + message.message_id
                won = self._store(claim, self.storage, key, secrets.token_hex(8), DEDUPE_TTL)
                if not won:
                    logger.info("iLink message %s was already handled: skipped", message.message_id)
                    continue
            else:
                logger.warning("iLink message without a message_id: handled without duplicate protection")
            self.dispatch(message)
            handled += 1
        if new_cursor:
            self._store(self.storage.set, self.cursor_key, new_cursor)
        return handled

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current long-poll (callable from a handler or another thread)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called since the last run started."""
        return self._stopping.is_set()

    def run(self) -> None:
        """Poll until :meth:`stop`; back off on network / answer errors; raise ``ILinkSessionExpired``.

        ``notifystart`` is sent first and ``notifystop`` on the way out (their
        failures are logged, not raised). Run in the main thread, SIGTERM
        calls :meth:`stop` (the previous handler is restored on return);
        Ctrl-C raises ``KeyboardInterrupt`` after ``notifystop``.
        """
        self._stopping.clear()
        previous = self._catch_sigterm()
        try:
            self._run_loop()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _catch_sigterm(self) -> Any:
        """In the main thread, make SIGTERM call :meth:`stop`; return the handler to restore (None: untouched)."""
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
            return None
        return signal.signal(signal.SIGTERM, lambda signum, frame: self.stop())

    def _run_loop(self) -> None:
        try:
            self.notify_start()
        except ILinkSessionExpired:
            raise
        except (TransportError, ParseError, ILinkError) as exc:
            logger.warning("iLink notifystart failed: %s", exc)
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    self.poll_once()
                    failures = 0
                except ILinkSessionExpired:
                    raise
                except (TransportError, ParseError, ILinkError, StorageError) as exc:
                    failures += 1
                    delay = min(self.backoff * 2 ** min(failures - 1, 10), 60.0)
                    logger.warning("iLink getupdates failed (%s); retrying in %.1f s", exc, delay)
                    self._sleep(delay)
        finally:
            try:
                self.notify_stop()
            except (TransportError, ParseError, ILinkError) as exc:
                logger.warning("iLink notifystop failed: %s", exc)
