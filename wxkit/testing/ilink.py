"""An iLink Bot API platform on its own loopback origin (``ilinkai.weixin.qq.com``'s role), for tests and demos.

::

    from wxkit.testing.ilink import ILinkEmulator
    from wxkit.ilink import ILinkBot

    with ILinkEmulator() as emu:
        account = emu.add_bot()                        # a logged-in bot (or log in by QR: emu.scan / emu.confirm)
        account.send_text("alice@im.wechat", "hi")     # "alice" writes to the bot
        bot = EchoBot(account.bot_token, base_url=emu.url)
        bot.poll_once()                                # returns as soon as a message is waiting
        assert account.sent[-1]["text"] == "hi"

It checks what iLink checks: the protocol's headers (``AuthorizationType:
ilink_bot_token``, ``Authorization: Bearer <bot_token>``, a base64
``X-WECHAT-UIN``, ``iLink-App-Id``, ``iLink-App-ClientVersion``) and a
``base_info`` in every body, and that a reply carries a ``context_token`` the
recipient's messages were given. ``getupdates`` holds the request up to
``hold`` seconds and returns as soon as a user sends something; the cursor
(``get_updates_buf``) is the index of the next message. Session expiry
(``account.expire_session()``) answers ``-14``; :meth:`ILinkEmulator.inject`
drops connections or answers a raw body, once per call.

The login's every state can be produced on demand: :meth:`ILinkEmulator.scan`,
:meth:`~ILinkEmulator.confirm`, :meth:`~ILinkEmulator.expire`,
:meth:`~ILinkEmulator.require_verify_code` (``need_verifycode``, and
``verify_code_blocked`` after too many wrong numbers),
:meth:`~ILinkEmulator.redirect` (``scaned_but_redirect``: the code is then
served only on a second origin, :attr:`ILinkEmulator.redirect_url`, as iLink
moves a login to another IDC) and :meth:`~ILinkEmulator.set_status` for any
other (``binded_redirect`` ...). Uploads check what ``getuploadurl`` declared
(sizes, MD5, and for images and videos the thumbnail's ``thumb_rawsize`` /
``thumb_rawfilemd5`` / ``thumb_filesize`` unless ``no_need_thumb``); typing
calls are recorded in ``account.typing`` (:meth:`ILinkAccount.wait_typing`).
The main :class:`wxkit.testing.Emulator` offers the same platform as
``emu.ilink`` on its own origin ``emu.ilink_url``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from ..ilink.media import decrypt, encrypt, padded_size

__all__ = ["ILinkAccount", "ILinkEmulator", "ILinkQRCode", "run_demo"]

#: What the emulator answers for a reply whose context token the recipient was never given.
BAD_CONTEXT_TOKEN = -2


@attrs.define
class ILinkQRCode:
    """A login QR code: its ``status`` (``wait``, ``scaned``, ``confirmed`` ...), ``account`` once confirmed."""

    qrcode: str
    status: str = "wait"
    reported: str = ""
    account: ILinkAccount | None = None
    #: The number the phone shows while the status is ``need_verifycode``.
    verify_code: str = ""
    #: Wrong numbers accepted before ``verify_code_blocked`` (None: no limit); wrong numbers so far.
    max_attempts: int | None = None
    attempts: int = 0
    #: Moved to the redirect origin (:meth:`ILinkEmulator.redirect`); whether the main origin said so yet.
    redirected: bool = False
    redirect_told: bool = False


@attrs.define(eq=False)
class ILinkAccount:
    """A logged-in bot: its token (``bot_token``), ids, the messages users sent it and what it ``sent``."""

    emulator: ILinkEmulator = attrs.field(repr=False)
    bot_token: str = attrs.field(repr=False)
    bot_id: str
    user_id: str
    #: Every message users sent, in order (``getupdates`` serves them from the cursor on).
    inbox: list[dict[str, Any]] = attrs.field(factory=list, repr=False)
    #: What the bot sent: dicts with ``to``, ``text`` (text items joined), ``context_token``, ``client_id``, ``msg``.
    sent: list[dict[str, Any]] = attrs.field(factory=list, repr=False)
    #: user id -> the context tokens issued with that user's messages.
    context_tokens: dict[str, set[str]] = attrs.field(factory=dict, repr=False)
    expired: bool = False
    notified: list[str] = attrs.field(factory=list, repr=False)
    #: ``sendtyping`` calls: ``(user id, status)`` (1 typing, 2 cancel).
    typing: list[tuple[str, int]] = attrs.field(factory=list, repr=False)
    #: user id -> the typing ticket ``getconfig`` gave for that user.
    typing_tickets: dict[str, str] = attrs.field(factory=dict, repr=False)

    def send(self, from_user: str, items: list[dict[str, Any]], *, message_id: str | None = None) -> dict[str, Any]:
        """A user sends ``items`` to the bot; return the ``WeixinMessage`` queued (a fresh context token included)."""
        emu = self.emulator
        token = secrets.token_urlsafe(12)
        msg = {
            "seq": len(self.inbox) + 1,
            "message_id": message_id or str(next(emu._ids)),
            "from_user_id": from_user,
            "to_user_id": self.bot_id,
            "create_time_ms": 1_767_225_600_000 + len(self.inbox),
            "message_type": 1,
            "message_state": 2,
            "item_list": items,
            "context_token": token,
        }
        self.push(msg)
        with emu._cond:
            self.context_tokens.setdefault(from_user, set()).add(token)
        return msg

    def push(self, raw: Any) -> None:
        """Queue ``raw`` as is (any JSON value: for malformed-message tests) and wake the long-poll."""
        with self.emulator._cond:
            self.inbox.append(raw)
            self.emulator._cond.notify_all()

    def send_media(
        self,
        from_user: str,
        data: bytes,
        kind: str,
        *,
        file_name: str = "file.bin",
        message_id: str | None = None,
        thumbnail: bytes | None = None,
    ) -> dict[str, Any]:
        """A user sends an ``"image"``, ``"voice"``, ``"file"`` or ``"video"``: ``data`` goes on the CDN encrypted.

        An image or video may carry a ``thumbnail`` (``thumb_media``, same key, its own CDN file).
        """
        key = secrets.token_bytes(16)
        param = self.emulator.store_cdn(encrypt(data, key))
        media = {"encrypt_query_param": param, "encrypt_type": 1}
        md5 = hashlib.md5(data).hexdigest()  # noqa: S324 - the protocol's checksum
        if kind == "image":  # images carry the hex key too (the preferred form); the media key is base64 of bytes
            media["aes_key"] = base64.b64encode(key).decode("ascii")
            item: dict[str, Any] = {"type": 2, "image_item": {"media": media, "aeskey": key.hex()}}
        else:
            media["aes_key"] = base64.b64encode(key.hex().encode("ascii")).decode("ascii")
            if kind == "voice":
                item = {"type": 3, "voice_item": {"media": media, "playtime": 1000}}
            elif kind == "file":
                item = {
                    "type": 4,
                    "file_item": {"media": media, "file_name": file_name, "md5": md5, "len": str(len(data))},
                }
            elif kind == "video":
                item = {"type": 5, "video_item": {"media": media, "video_size": len(data), "video_md5": md5}}
            else:
                raise ValueError(f"kind must be image, voice, file or video, not {kind!r}")
        if thumbnail is not None and kind in ("image", "video"):
            thumb_cipher = encrypt(thumbnail, key)
            thumb = {"encrypt_query_param": self.emulator.store_cdn(thumb_cipher), "encrypt_type": 1}
            thumb["aes_key"] = media["aes_key"]
            body = item["image_item" if kind == "image" else "video_item"]
            body.update(thumb_media=thumb, thumb_size=len(thumb_cipher))
        return self.send(from_user, [item], message_id=message_id)

    def send_text(self, from_user: str, text: str, *, message_id: str | None = None) -> dict[str, Any]:
        """A user sends a text message."""
        return self.send(from_user, [{"type": 1, "text_item": {"text": text}}], message_id=message_id)

    def wait_typing(self, count: int = 1, *, status: int = 1, timeout: float = 10.0) -> list[tuple[str, int]]:
        """Wait until ``count`` ``sendtyping`` calls with ``status`` arrived (for a test holding a slow handler).

        Return :attr:`typing` then; raise ``TimeoutError`` after ``timeout`` seconds (a safety net, not a check).
        """
        with self.emulator._cond:
            if not self.emulator._cond.wait_for(
                lambda: sum(1 for _, s in self.typing if s == status) >= count, timeout=timeout
            ):
                raise TimeoutError(f"fewer than {count} sendtyping calls with status {status} arrived")
            return list(self.typing)

    def expire_session(self) -> None:
        """From now on every call with this bot's token answers ``-14`` (session expired)."""
        with self.emulator._cond:
            self.expired = True
            self.emulator._cond.notify_all()


@attrs.define
class _Fault:
    path: str
    drop: bool
    body: bytes | None
    status: int
    times: int


class ILinkEmulator:
    """The iLink platform on a loopback port; see the module docstring. ``hold``: the long-poll's seconds."""

    def __init__(self, *, hold: float = 2.0) -> None:
        self.hold = hold
        self._cond = threading.Condition(threading.RLock())
        self.accounts: dict[str, ILinkAccount] = {}
        self.qrcodes: dict[str, ILinkQRCode] = {}
        #: Every request: dicts with ``path``, ``query``, ``headers``, ``body`` (the decoded JSON or None), ``origin``.
        self.requests: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._ids = itertools.count(7_000_000_000_000_000_001)
        self._server: ThreadingHTTPServer | None = None
        #: The second origin a login is moved to by :meth:`redirect` (another IDC's role).
        self._redirect_server: ThreadingHTTPServer | None = None
        self._stopping = False
        #: The CDN's files: download parameter -> ciphertext.
        self.cdn_files: dict[str, bytes] = {}
        #: Pending uploads: upload parameter -> what ``getuploadurl`` was told.
        self._uploads: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"<ILinkEmulator {self.url if self._server else '(stopped)'} bots={len(self.accounts)}>"

    # -- lifecycle -------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> ILinkEmulator:
        """Serve on ``host:port`` (0: a free port) in a background thread; return self."""
        if self._server is None:
            servers: list[ThreadingHTTPServer] = []
            try:
                for origin, bind_port in (("main", port), ("redirect", 0)):
                    server = ThreadingHTTPServer((host, bind_port), _Handler)
                    server.daemon_threads = True
                    server.emulator = self  # type: ignore[attr-defined]  # the handler finds its emulator here
                    server.origin = origin  # type: ignore[attr-defined]  # which origin a request came to
                    servers.append(server)
            except OSError:
                for server in servers:
                    server.server_close()
                raise
            self._server, self._redirect_server = servers
            self._stopping = False
            for server in servers:
                threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"wxkit-ilink-emulator-{server.origin}",  # type: ignore[attr-defined]
                    daemon=True,
                ).start()
        return self

    def stop(self) -> None:
        """Stop serving (held long-polls return at once)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for server in (self._redirect_server, self._server):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._server = self._redirect_server = None

    def __enter__(self) -> ILinkEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def cdn_url(self) -> str:
        """The CDN's base URL (give bots ``cdn_base_url=emu.cdn_url``)."""
        return f"{self.url}/c2c"

    def store_cdn(self, ciphertext: bytes) -> str:
        """Keep ``ciphertext`` on the CDN; return its download parameter."""
        param = "dl-" + secrets.token_urlsafe(12)
        with self._cond:
            self.cdn_files[param] = ciphertext
        return param

    def cdn(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Serve the CDN: ``(status, headers, body)``."""
        param = query.get("encrypted_query_param", "")
        if path == "c2c/download" and method == "GET":
            with self._cond:
                data = self.cdn_files.get(param)
            return (200, {}, data) if data is not None else (404, {"x-error-message": "no such file"}, b"")
        if path == "c2c/upload" and method == "POST":
            with self._cond:
                pending = self._uploads.pop(param, None)
            if pending is None or query.get("filekey") != pending["filekey"]:
                return 400, {"x-error-message": "unknown upload parameter"}, b""
            if len(body) != pending["filesize"]:
                return 400, {"x-error-message": "filesize mismatch"}, b""
            try:
                plain = decrypt(body, bytes.fromhex(pending["aeskey"]))
            except Exception:  # noqa: BLE001 - any failure is the uploader's
                return 400, {"x-error-message": "does not decrypt with aeskey"}, b""
            if len(plain) != pending["rawsize"] or hashlib.md5(plain).hexdigest() != pending["rawfilemd5"]:  # noqa: S324
                return 400, {"x-error-message": "rawsize or rawfilemd5 mismatch"}, b""
            return 200, {"x-encrypted-param": self.store_cdn(body)}, b""
        return 404, {"x-error-message": "no such CDN path"}, b""

    def _get_upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = {
            k: body.get(k)
            for k in ("filekey", "media_type", "to_user_id", "rawsize", "rawfilemd5", "filesize", "aeskey")
        }
        if not all(isinstance(fields[k], str) and fields[k] for k in ("filekey", "to_user_id", "rawfilemd5", "aeskey")):
            return {"ret": -1, "errmsg": "filekey, to_user_id, rawfilemd5 and aeskey are required"}
        if fields["media_type"] not in (1, 2, 3, 4) or not isinstance(fields["rawsize"], int):
            return {"ret": -1, "errmsg": "media_type must be 1..4 and rawsize an integer"}
        if fields["filesize"] != padded_size(fields["rawsize"]) or len(str(fields["aeskey"])) != 32:
            return {"ret": -1, "errmsg": "filesize must be the padded size and aeskey 32 hex digits"}
        thumb: dict[str, Any] | None = None
        if fields["media_type"] in (1, 2) and body.get("no_need_thumb") is not True:
            # Images and videos declare their thumbnail unless no_need_thumb (iLink's default is false).
            size, md5, cipher_size = body.get("thumb_rawsize"), body.get("thumb_rawfilemd5"), body.get("thumb_filesize")
            if not isinstance(size, int) or isinstance(size, bool) or size <= 0 or not isinstance(md5, str) or not md5:
                return {"ret": -1, "errmsg": "thumb_rawsize and thumb_rawfilemd5 are required unless no_need_thumb"}
            if cipher_size != padded_size(size):
                return {"ret": -1, "errmsg": "thumb_filesize must be the padded size of thumb_rawsize"}
            thumb = {**fields, "rawsize": size, "rawfilemd5": md5, "filesize": cipher_size, "thumb": True}
        param = "up-" + secrets.token_urlsafe(12)
        answer: dict[str, Any] = {"ret": 0, "upload_param": param}
        with self._cond:
            self._uploads[param] = fields
            if thumb is not None:
                answer["thumb_upload_param"] = "upthumb-" + secrets.token_urlsafe(12)
                self._uploads[answer["thumb_upload_param"]] = thumb
        return answer

    @property
    def url(self) -> str:
        """The base URL to give bots and logins as ``base_url``."""
        if self._server is None:
            raise RuntimeError("the iLink emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def redirect_host(self) -> str:
        """``host:port`` of the second origin, as ``scaned_but_redirect`` names it in ``redirect_host``."""
        if self._redirect_server is None:
            raise RuntimeError("the iLink emulator is not started")
        host, port = self._redirect_server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def redirect_url(self) -> str:
        """The base URL of the second origin (where :meth:`redirect` moves a login)."""
        return f"http://{self.redirect_host}"

    # -- accounts and login ------------------------------------------------------------
    def add_bot(self, bot_id: str = "", user_id: str = "owner@im.wechat") -> ILinkAccount:
        """A bot already logged in (as after a confirmed QR login)."""
        with self._cond:
            bot_id = bot_id or f"bot{len(self.accounts) + 1}@im.bot"
            account = ILinkAccount(self, f"{bot_id}:{secrets.token_hex(16)}", bot_id, user_id)
            self.accounts[account.bot_token] = account
            return account

    @property
    def last_qrcode(self) -> ILinkQRCode:
        """The QR code handed out last."""
        with self._cond:
            return list(self.qrcodes.values())[-1]

    def set_status(self, qrcode: str, status: str) -> ILinkQRCode:
        """Make the next status poll of ``qrcode`` answer ``status`` (any string: ``binded_redirect`` ...)."""
        with self._cond:
            code = self.qrcodes[qrcode]
            code.status = status
            self._cond.notify_all()
            return code

    _set_status = set_status

    def redirect(self, qrcode: str) -> None:
        """The owner scanned, and iLink moves the login to another IDC (``scaned_but_redirect``).

        From now on the main origin answers ``scaned_but_redirect`` with
        ``redirect_host`` (:attr:`redirect_host`) for this code, and only the
        redirect origin (:attr:`redirect_url`) reports its real status
        (``scaned``, then whatever the test sets).
        """
        with self._cond:
            self.qrcodes[qrcode].redirected = True
        self.set_status(qrcode, "scaned")

    def scan(self, qrcode: str) -> None:
        """The account owner scans the code (status ``scaned``)."""
        self._set_status(qrcode, "scaned")

    def confirm(self, qrcode: str, *, bot_id: str = "", user_id: str = "owner@im.wechat") -> ILinkAccount:
        """The owner confirms: a bot account is made and the next status poll answers ``confirmed`` with it."""
        with self._cond:
            account = self.add_bot(bot_id, user_id)
            self._set_status(qrcode, "confirmed").account = account
            return account

    def require_verify_code(self, qrcode: str, code: str, *, max_attempts: int | None = None) -> None:
        """The login asks for the number shown on the phone (``need_verifycode``) until a poll carries ``code``.

        After ``max_attempts`` wrong numbers the code answers ``verify_code_blocked`` (None: no limit).
        """
        with self._cond:
            self.qrcodes[qrcode].verify_code = code
            self.qrcodes[qrcode].max_attempts = max_attempts
        self._set_status(qrcode, "need_verifycode")

    def expire(self, qrcode: str) -> None:
        """The code expires (status ``expired``)."""
        self._set_status(qrcode, "expired")

    def wait_for_qrcode(self, timeout: float = 10.0) -> ILinkQRCode:
        """The first QR code handed out, waiting up to ``timeout`` seconds for one (for a test driving a login)."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self.qrcodes), timeout=timeout):
                raise TimeoutError("no iLink QR code was requested")
            return next(iter(self.qrcodes.values()))

    def inject(
        self, path: str, *, drop: bool = False, body: bytes | None = None, status: int = 200, times: int = 1
    ) -> None:
        """The next ``times`` calls of ``path`` (``"ilink/bot/getupdates"`` ...) are dropped, or answered ``body``."""
        with self._cond:
            self._faults.append(_Fault(path.strip("/"), drop, body, status, times))

    def _take_fault(self, path: str) -> _Fault | None:
        with self._cond:
            for fault in self._faults:
                if fault.path == path and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    # -- serving -----------------------------------------------------------------------
    def answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any, *, origin: str = "main"
    ) -> tuple[int, Any]:
        """Serve one request: ``(HTTP status, JSON answer)``; ``origin`` is ``"main"`` or ``"redirect"``."""
        with self._cond:
            self.requests.append({"path": path, "query": query, "headers": headers, "body": body, "origin": origin})
        if path == "ilink/bot/get_bot_qrcode":
            qrcode = secrets.token_hex(8)
            with self._cond:
                self.qrcodes[qrcode] = ILinkQRCode(qrcode)
                self._cond.notify_all()
            return 200, {"qrcode": qrcode, "qrcode_img_content": f"https://liteapp.weixin.qq.com/q/{qrcode}"}
        if path == "ilink/bot/get_qrcode_status":
            return 200, self._qr_status(query.get("qrcode", ""), query.get("verify_code", ""), origin)
        problem = _check_headers(headers, body)
        if problem:
            return 401, {"ret": -1, "errmsg": problem}
        token = headers.get("authorization", "")[len("Bearer ") :]
        with self._cond:
            account = self.accounts.get(token)
        if account is None or account.expired:
            return 200, {"ret": -14, "errcode": -14, "errmsg": "session timeout"}
        if path == "ilink/bot/getupdates":
            return 200, self._get_updates(account, body.get("get_updates_buf"))
        if path == "ilink/bot/sendmessage":
            return 200, self._send_message(account, body.get("msg"))
        if path == "ilink/bot/getuploadurl":
            return 200, self._get_upload_url(body)
        if path == "ilink/bot/getconfig":
            user = body.get("ilink_user_id")
            if not isinstance(user, str) or not user:
                return 200, {"ret": -1, "errmsg": "ilink_user_id is required"}
            with self._cond:
                ticket = account.typing_tickets.setdefault(user, secrets.token_urlsafe(9))
            return 200, {"ret": 0, "typing_ticket": ticket}
        if path == "ilink/bot/sendtyping":
            user, status = body.get("ilink_user_id"), body.get("status")
            with self._cond:
                if not user or body.get("typing_ticket") != account.typing_tickets.get(user):
                    return 200, {"ret": -1, "errmsg": "invalid typing_ticket"}
                if status not in (1, 2):
                    return 200, {"ret": -1, "errmsg": "status must be 1 or 2"}
                account.typing.append((user, status))
                self._cond.notify_all()
            return 200, {"ret": 0}
        if path in ("ilink/bot/msg/notifystart", "ilink/bot/msg/notifystop"):
            with self._cond:
                account.notified.append(path.rsplit("/", 1)[-1])
            return 200, {"ret": 0}
        return 404, {"ret": -1, "errmsg": f"no such endpoint: {path}"}

    def _qr_status(self, qrcode: str, verify_code: str = "", origin: str = "main") -> dict[str, Any]:
        with self._cond:
            code = self.qrcodes.get(qrcode)
            if code is None:
                return {"status": "expired"}
            if code.redirected and origin == "main":
                # Moved to the other IDC: this origin only says where (at once the first time, then after a hold).
                if code.redirect_told and not self._stopping:
                    self._cond.wait_for(lambda: self._stopping, timeout=self.hold)
                code.redirect_told = True
                return {"status": "scaned_but_redirect", "redirect_host": self.redirect_host}
            if code.status == "need_verifycode" and verify_code:
                if verify_code != code.verify_code:
                    code.attempts += 1
                    code.reported = ""  # a wrong number: ask again at once
                    if code.max_attempts is not None and code.attempts >= code.max_attempts:
                        code.status = code.reported = "verify_code_blocked"
                        return {"status": "verify_code_blocked"}
                    return {"status": "need_verifycode"}
                code.status = "scaned"
            if code.status == code.reported and not self._stopping:
                self._cond.wait_for(lambda: code.status != code.reported or self._stopping, timeout=self.hold)
            code.reported = code.status
            answer: dict[str, Any] = {"status": code.status}
            if code.status == "confirmed" and code.account is not None:
                answer.update(
                    bot_token=code.account.bot_token,
                    ilink_bot_id=code.account.bot_id,
                    ilink_user_id=code.account.user_id,
                    baseurl=self.url,
                )
            return answer

    def _get_updates(self, account: ILinkAccount, buf: Any) -> dict[str, Any]:
        start = _cursor_index(buf)
        with self._cond:
            self._cond.wait_for(
                lambda: len(account.inbox) > start or account.expired or self._stopping, timeout=self.hold
            )
            if account.expired:
                return {"ret": -14, "errcode": -14, "errmsg": "session timeout"}
            msgs = account.inbox[start:]
            end = len(account.inbox)
        return {
            "ret": 0,
            "msgs": msgs,
            "get_updates_buf": base64.b64encode(f"wxemu:{end}".encode()).decode("ascii"),
            "longpolling_timeout_ms": int(self.hold * 1000),
        }

    def _send_message(self, account: ILinkAccount, msg: Any) -> dict[str, Any]:
        if not isinstance(msg, dict) or not msg.get("to_user_id"):
            return {"ret": -1, "errmsg": "msg.to_user_id is required"}
        to, token = msg["to_user_id"], msg.get("context_token")
        with self._cond:
            if token not in account.context_tokens.get(to, set()):
                return {"ret": BAD_CONTEXT_TOKEN, "errmsg": "invalid context_token"}
            items = msg.get("item_list") or []
            for item in items:
                kind = item.get("type") if isinstance(item, dict) else None
                body_key = (
                    {2: "image_item", 4: "file_item", 5: "video_item"}.get(kind) if isinstance(kind, int) else None
                )
                if body_key is not None:
                    media_body = item.get(body_key) or {}
                    media = media_body.get("media") or {}
                    if media.get("encrypt_query_param") not in self.cdn_files:
                        return {"ret": -1, "errmsg": "media not on the CDN"}
                    thumb = media_body.get("thumb_media")
                    if thumb is not None:
                        thumb_param = thumb.get("encrypt_query_param") if isinstance(thumb, dict) else None
                        stored = self.cdn_files.get(thumb_param) if isinstance(thumb_param, str) else None
                        if stored is None:
                            return {"ret": -1, "errmsg": "thumb_media not on the CDN"}
                        if media_body.get("thumb_size") != len(stored):
                            return {"ret": -1, "errmsg": "thumb_size is not the thumbnail's cipher size"}
            text = "".join(
                i.get("text_item", {}).get("text", "") for i in items if isinstance(i, dict) and i.get("type") == 1
            )
            account.sent.append(
                {"to": to, "text": text, "context_token": token, "client_id": msg.get("client_id"), "msg": msg}
            )
        return {"ret": 0, "message_id": str(next(self._ids))}


def _cursor_index(buf: Any) -> int:
    if not isinstance(buf, str) or not buf:
        return 0
    try:
        text = base64.b64decode(buf, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return 0
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "wxemu" and number.isdigit() else 0


def _check_headers(headers: dict[str, str], body: Any) -> str:
    """What is wrong with a bot request's headers or body ("" when nothing)."""
    if headers.get("authorizationtype") != "ilink_bot_token":
        return "AuthorizationType must be ilink_bot_token"
    if not headers.get("authorization", "").startswith("Bearer "):
        return "Authorization: Bearer <bot_token> is required"
    try:
        uin = base64.b64decode(headers.get("x-wechat-uin", ""), validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        uin = ""
    if not uin.isdigit() or int(uin) >= 2**32:
        return "X-WECHAT-UIN must be a base64 decimal uint32"
    if not headers.get("ilink-app-id") or not headers.get("ilink-app-clientversion", "").isdigit():
        return "iLink-App-Id and iLink-App-ClientVersion are required"
    if not isinstance(body, dict) or not isinstance(body.get("base_info"), dict):
        return "base_info is required"
    return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read :attr:`ILinkEmulator.requests` instead."""

    def _serve(self) -> None:
        emulator: ILinkEmulator = self.server.emulator  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        path = parts.path.strip("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fault = emulator._take_fault(path)
        if path.startswith("c2c/") and fault is None:
            status, extra, payload = emulator.cdn(self.command, path, query, raw)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if fault is not None and fault.drop:
            self.close_connection = True
            return
        if fault is not None and fault.body is not None:
            self._write(fault.status, fault.body)
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        origin = getattr(self.server, "origin", "main")
        status, answer = emulator.answer(self.command, path, query, headers, body, origin=origin)
        self._write(status, json.dumps(answer, ensure_ascii=False).encode("utf-8"))

    def _write(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


def run_demo(echo: Callable[[str], None] = print) -> bool:
    """``wxkit demo ilink``: an echo bot on the emulator end to end (QR login, messages, replies); True if it worked."""
    from ..ilink import ILinkBot, ILinkLogin, ILinkMessage

    class EchoBot(ILinkBot):
        def on_text(self, message: ILinkMessage) -> str:
            return f"echo: {message.text}"

        def on_voice(self, message: ILinkMessage) -> str:
            return f"you said: {message.text}"

    with ILinkEmulator(hold=0.5) as emu:
        echo(f"wxkit demo: iLink emulator at {emu.url}")
        login = ILinkLogin(emu.url)

        def on_qrcode(code: Any) -> None:
            echo(f"wxkit demo: QR code {code.url} (scanned and confirmed by the emulator)")
            emu.scan(code.qrcode)

        def on_status(status: Any) -> None:
            echo(f"wxkit demo: login status {status.status}")
            if status.status == "scaned":
                emu.confirm(emu.last_qrcode.qrcode, bot_id="demo@im.bot", user_id="owner@im.wechat")

        credentials = login.wait(on_qrcode, on_status=on_status)
        login.close()
        echo(f"wxkit demo: logged in as {credentials.bot_id}")
        account = emu.accounts[credentials.bot_token]
        account.send_text("alice@im.wechat", "hello")
        account.send("alice@im.wechat", [{"type": 3, "voice_item": {"text": "what time is it", "playtime": 1200}}])
        with EchoBot.from_credentials(credentials) as bot:
            handled = 0
            while handled < 2:
                handled += bot.poll_once()
        for sent in account.sent:
            echo(f"wxkit demo: bot -> {sent['to']}: {sent['text']}")
        return [s["text"] for s in account.sent] == ["echo: hello", "you said: what time is it"]
