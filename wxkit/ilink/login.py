"""iLink's QR login: get a bot QR code, poll its status, keep the credentials in the storage.

:class:`ILinkLogin` (this source; the sync ``ILinkLogin`` is generated
from it). The status goes ``wait`` -> ``scaned`` (sic, on the wire) ->
``confirmed``; ``expired`` (and ``verify_code_blocked``) get a new code, up to
``max_refreshes`` times; ``scaned_but_redirect`` moves the polling to the
``redirect_host`` it names; ``need_verifycode`` asks ``verify_code()`` for the
number shown on the phone; ``binded_redirect`` (the account is already bound)
raises :class:`~wxkit.ilink.ILinkError`.
"""
# Generated from wxkit/ilink/_async/login.py by `python -m wxkit._unasync`: edit that file, not this one.

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ParseError, TransportError
from ..jsoncodec import load_json
from ..storage import MemoryStorage, Storage
from .errors import ILinkError
from .protocol import BOT_TYPE, DEFAULT_BASE_URL, ilink_headers
from .types import ILinkCredentials, QRCode, QRStatus

if TYPE_CHECKING:
    from ..core.http import HTTPClient

__all__ = ["ILinkLogin"]

logger = logging.getLogger("wxkit.ilink")

_Sleep = Callable[[float], None]

#: Seconds the server may hold a ``get_qrcode_status`` long-poll.
QR_POLL_TIMEOUT = 35.0
#: Seconds a failed status poll (network error) waits before it reads as ``wait``: the reference client's pause,
#: so that a network that is down is not polled back to back (up to ``max_polls`` times).
POLL_FAILURE_DELAY = 1.0
#: What a ``redirect_host`` may be: a host name or address, with an optional port (1-65535; no path, no user info).
_HOST = re.compile(r"\A[A-Za-z0-9.-]{1,253}(?::(?P<port>[0-9]{1,5}))?\Z")


def _s(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


class ILinkLogin:
    """Log a bot in by QR code and keep its credentials in ``storage`` under ``name``.

    ``base_url`` is iLink's host (the emulator's in tests). The credentials
    land under the storage key ``wxkit:ilink:credentials:<name>``;
    :meth:`load` reads them back.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        storage: Storage | None = None,
        name: str = "default",
        http: HTTPClient | None = None,
        sleep: _Sleep = time.sleep,
    ) -> None:
        self._sleep = sleep
        if http is None:
            from ..core.http import HTTPClient

            http = HTTPClient(base_url, max_retries=1)
        self.http = http
        self.base_url = http.base_url
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.name = name
        self._inline = isinstance(self.storage, MemoryStorage)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, name={self.name!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _store(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call the storage: in a thread on the async side unless it is a MemoryStorage (it never blocks)."""
        if self._inline:
            return fn(*args)
        return fn(*args)

    def _redirect_base(self, host: str) -> str:
        """The polling base URL for a ``scaned_but_redirect`` host ("" if it is not a plain host[:port]).

        The scheme is the one of ``base_url``: ``https`` on iLink, as the
        reference client uses; plain ``http`` only when ``base_url`` is (the emulator).
        """
        matched = _HOST.match(host)
        if not matched or not 0 < int(matched.group("port") or 443) < 65536:
            logger.warning("iLink login: ignoring a malformed redirect_host; polling the current host")
            return ""
        scheme = "http" if self.base_url.startswith("http://") else "https"
        return f"{scheme}://{host}"

    @property
    def storage_key(self) -> str:
        """Where the credentials are kept in the storage."""
        return f"wxkit:ilink:credentials:{self.name}"

    def _json(self, method: str, path: str, *, body: Any = None, timeout: float = 15.0) -> dict[str, Any]:
        url = self.http.url(path.split("?", 1)[0])
        headers = ilink_headers(None)
        response = self.http.send(
            method, path, json_body=body, headers=headers, timeout=(5.0, timeout), idempotent=method == "GET"
        )
        raw = self.http.read(response, method=method, url=url)
        if response.status_code >= 400:
            raise TransportError(f"{method} {url} answered HTTP {response.status_code}", method=method, url=url)
        try:
            data = load_json(raw, what="iLink's login answer", max_size=None)
        except ParseError:
            raise ParseError(f"iLink's {url} answer is not JSON") from None
        if not isinstance(data, dict):
            raise ParseError(f"iLink's {url} answer is not a JSON object")
        return data

    def get_qrcode(self) -> QRCode:
        """A new login QR code (``get_bot_qrcode``): show ``url`` to the account owner, poll ``qrcode``."""
        data = self._json("POST", f"ilink/bot/get_bot_qrcode?bot_type={BOT_TYPE}", body={"local_token_list": []})
        qrcode, url = _s(data, "qrcode"), _s(data, "qrcode_img_content")
        if not qrcode:
            raise ILinkError(-1, "get_bot_qrcode answered without a qrcode", method="POST", url=self.base_url)
        return QRCode(qrcode=qrcode, url=url)

    def poll_status(self, qrcode: str, *, verify_code: str = "", base_url: str = "") -> QRStatus:
        """One ``get_qrcode_status`` long-poll (a client-side timeout reads as ``wait``)."""
        from urllib.parse import quote

        path = f"ilink/bot/get_qrcode_status?qrcode={quote(qrcode, safe='')}"
        if verify_code:
            path += f"&verify_code={quote(verify_code, safe='')}"
        if base_url:
            path = f"{base_url.rstrip('/')}/{path}"
        try:
            data = self._json("GET", path, timeout=QR_POLL_TIMEOUT)
        except TransportError as exc:
            logger.info("iLink QR status poll failed (%s): still waiting", exc)
            self._sleep(POLL_FAILURE_DELAY)  # a failure answers at once: never poll back to back
            return QRStatus(status="wait")
        return QRStatus(
            status=_s(data, "status") or "wait",
            bot_token=_s(data, "bot_token"),
            bot_id=_s(data, "ilink_bot_id"),
            user_id=_s(data, "ilink_user_id"),
            base_url=_s(data, "baseurl"),
            redirect_host=_s(data, "redirect_host"),
        )

    def wait(
        self,
        on_qrcode: Callable[[QRCode], None] | None = None,
        *,
        verify_code: Callable[[], str] | None = None,
        on_status: Callable[[QRStatus], None] | None = None,
        max_refreshes: int = 3,
        max_polls: int = 1000,
    ) -> ILinkCredentials:
        """Run the whole login: show a code (``on_qrcode``), poll until confirmed, store and return the credentials.

        ``on_qrcode`` is called with each code (the first and every refresh;
        default: log its URL). ``on_status`` sees every status answered.
        Raises :class:`~wxkit.ilink.ILinkError` when the codes keep expiring,
        the account is already bound, or a verify code is needed without
        ``verify_code``.
        """
        show = on_qrcode or (lambda code: logger.warning("scan this iLink login QR code: %s", code.url))
        code = self.get_qrcode()
        show(code)
        refreshes = 0
        poll_base = ""
        pending_code = ""
        for _ in range(max_polls):
            status = self.poll_status(code.qrcode, verify_code=pending_code, base_url=poll_base)
            if on_status is not None:
                on_status(status)
            if status.status == "confirmed":
                if not status.bot_token or not status.bot_id:
                    raise ILinkError(-1, "the login was confirmed without a bot token or bot id", url=self.base_url)
                credentials = ILinkCredentials(
                    bot_token=status.bot_token,
                    bot_id=status.bot_id,
                    user_id=status.user_id,
                    base_url=status.base_url or self.base_url,
                )
                self.save(credentials)
                return credentials
            if status.status == "scaned":
                pending_code = ""
            elif status.status == "scaned_but_redirect" and status.redirect_host:
                poll_base = self._redirect_base(status.redirect_host) or poll_base
            elif status.status == "need_verifycode":
                if verify_code is None:
                    raise ILinkError(-1, "the login needs the number shown on the phone (pass verify_code=)")
                pending_code = verify_code()
            elif status.status in ("expired", "verify_code_blocked"):
                refreshes += 1
                if refreshes > max_refreshes:
                    raise ILinkError(-1, f"the login QR code expired {refreshes} times: giving up")
                pending_code = ""
                code = self.get_qrcode()
                show(code)
            elif status.status == "binded_redirect":
                raise ILinkError(-1, "this WeChat account is already bound to this bot")
        raise ILinkError(-1, f"the login was not confirmed after {max_polls} polls")

    def save(self, credentials: ILinkCredentials) -> None:
        """Keep ``credentials`` in the storage (no TTL: iLink says when they expire, with ``-14``)."""
        self._store(self.storage.set, self.storage_key, json.dumps(credentials.to_dict()))

    def load(self) -> ILinkCredentials | None:
        """The credentials kept by the last confirmed login, or None."""
        raw = self._store(self.storage.get, self.storage_key)
        if raw is None:
            return None
        try:
            return ILinkCredentials.from_dict(load_json(raw, what="the stored iLink credentials"))
        except (ValueError, ParseError):
            raise ConfigError("the stored iLink credentials are not valid JSON: log in again") from None
