"""The API half of the emulator: a local WeChat platform on a loopback port.

::

    from wxkit.testing import Emulator

    with Emulator() as emu:                      # started on 127.0.0.1, a free port
        app = emu.add_app("wx_test", "secret")
        app.add_follower("o_user_1", nickname="Ann")
        client = emu.client("wx_test")          # a wxkit.Client pointed at the emulator
        client.template.send("o_user_1", "TEMPLATE_ID", {"thing1": {"value": "hi"}})
        assert app.sent[-1]["kind"] == "template"

It is a stdlib threaded HTTP server (HTTP/1.1 keep-alive) serving WeChat's
endpoints from in-memory state, with a controllable clock (:meth:`Emulator.advance`),
fault injection (:meth:`Emulator.inject`: HTTP 5xx, delays, dropped
connections, errcodes) and counters (``app.token_fetches``). Routes live in
:mod:`wxkit.testing.routes`, one module per API group. From the command line:
``wxkit emulator --port 8000``.

WeChat's platforms answer on different hosts, and so does the emulator:
:attr:`Emulator.url` plays ``api.weixin.qq.com`` (official accounts, mini
programs, the open platform, and WeChat Pay's routes) and
:attr:`Emulator.work_url` plays ``qyapi.weixin.qq.com`` (WeCom: corps from
:meth:`Emulator.add_corp`, see :mod:`wxkit.testing.work`). Each serves only
its own routes: a path of the other site answers HTTP 404, as WeChat answers
a path it does not serve. :attr:`Emulator.ilink` is the iLink Bot API
platform (personal-account bots, ``ilinkai.weixin.qq.com``'s role) on a third
origin, :attr:`Emulator.ilink_url`, started on first use (see
:mod:`wxkit.testing.ilink`).

:meth:`Emulator.start_tls` adds an HTTPS listener on the same state (see
:func:`wxkit.testing.x509.make_tls_files` for test certificates) that can
require a client certificate, as WeChat Pay v2's ``/secapi`` endpoints do;
routes see the verified peer certificate as ``request.client_cert``.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import logging
import os
import re
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import attrs

from .routes import SITES, EmulatorRequest, EmulatorResponse, Route, RouteHandler, WeChatAPIError

if TYPE_CHECKING:
    from ..client import Client
    from .ilink import ILinkEmulator
    from .open import ComponentState
    from .pay import MerchantState
    from .work import CorpState
    from .work_robot import RobotState
    from .work_suite import SuiteState

__all__ = ["AppState", "Emulator", "Fault", "ROUTE_MODULES", "TOKEN_OVERLAP"]

logger = logging.getLogger("wxkit.testing.emulator")
#: How often each listener's loop checks for stop(), in seconds.
_POLL_INTERVAL = 0.05

#: The route modules the emulator serves (``wxkit.testing.routes.<name>``).
ROUTE_MODULES = (
    "token",
    "message",
    "template",
    "subscribe",
    "user",
    "tag",
    "menu",
    "media",
    "qrcode",
    "oauth",
    "jssdk",
    "kf",
    "misc",
    "autoreply",
    "pay_certificates",
    "pay_v3_orders",
    "pay_v3_funds",
    "pay_v2",
    "component",
    "work_token",
    "work_robot",
    "work_suite",
    "work_user",
    "work_department",
    "work_tag",
    "work_message",
    "work_appchat",
    "work_media",
    "work_batch",
    "work_oauth",
    "work_jssdk",
    "work_kf",
    "work_external_contact",
    "work_approval",
    "miniprogram_auth",
    "miniprogram_phone",
    "miniprogram_wxacode",
    "miniprogram_links",
    "miniprogram_code",
    "miniprogram_subscribe",
    "miniprogram_security",
    "miniprogram_shipping",
    "miniprogram_analysis",
    "miniprogram_risk",
)


#: Seconds an access token keeps working after a newer one of its kind replaced it: WeChat
#: "guarantees that within 5 minutes both the new and the old access_token work".
TOKEN_OVERLAP = 300


@attrs.define
class AppState:
    """One app's state inside the emulator. Route modules keep their data in ``data``.

    ``followers`` maps openid -> user info dict (the whole profile: the routes
    answer only what WeChat answers, see :mod:`wxkit.testing.routes.user`); ``sent`` records every message
    the app sent (dicts with a ``kind`` key); ``token_fetches`` counts token
    issues (classic and stable); ``interactions`` maps openid -> the emulator
    time of the user's last message (the 48-hour customer-service window).
    """

    appid: str
    secret: str
    followers: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    sent: list[dict[str, Any]] = attrs.field(factory=list)
    interactions: dict[str, float] = attrs.field(factory=dict)
    data: dict[str, Any] = attrs.field(factory=dict)
    token_fetches: int = 0
    classic_token: str | None = None
    stable_token: str | None = None
    #: The current token issued through the open platform (``api_authorizer_token``), for authorizers.
    authorizer_token: str | None = None
    quota: Counter[str] = attrs.field(factory=Counter)
    quota_limits: dict[str, int] = attrs.field(factory=dict)

    def add_follower(self, openid: str, **info: Any) -> dict[str, Any]:
        """Add a subscribed user (``info`` overrides the default profile fields)."""
        user = {
            "subscribe": 1,
            "openid": openid,
            "language": "zh_CN",
            "subscribe_time": 1_700_000_000,
            "unionid": "",
            "remark": "",
            "groupid": 0,
            "tagid_list": [],
            "subscribe_scene": "ADD_SCENE_QR_CODE",
            "qr_scene": 0,
            "qr_scene_str": "",
        }
        user.update(info)
        self.followers[openid] = user
        return user

    def touch(self, openid: str, at: float) -> None:
        """Record that ``openid`` messaged the account at ``at`` (opens the 48-hour window)."""
        self.interactions[openid] = at


@attrs.define
class Fault:
    """An injected fault: matches ``path`` (and ``method``), fires ``times`` times.

    Exactly one of: ``status`` (answer that HTTP status), ``errcode`` (answer
    that WeChat errcode), ``drop`` (close the connection without answering);
    ``delay`` seconds are slept first (alone: a slow but normal answer).
    ``site`` limits it to one listener (``"api"`` or ``"qyapi"``; ``None``: both).
    """

    path: str
    method: str | None = None
    status: int | None = None
    errcode: int | None = None
    errmsg: str = "system error"
    delay: float = 0.0
    drop: bool = False
    times: int = 1
    fired: int = 0
    site: str | None = None


class Emulator:
    """A local WeChat API platform for tests and demos; see the module docstring.

    ``token_lifetime`` is the ``expires_in`` of issued tokens (7200 s);
    ``token_overlap`` how long a replaced token keeps working
    (:data:`TOKEN_OVERLAP`, 300 s; see :meth:`issue_token`).
    ``clock`` gives the base wall time (default ``time.time``);
    :meth:`advance` moves the emulator's time forward.
    """

    def __init__(
        self,
        *,
        token_lifetime: int = 7200,
        token_overlap: int = TOKEN_OVERLAP,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_lifetime = token_lifetime
        self.token_overlap = token_overlap
        self._clock = clock
        self._offset = 0.0
        self.lock = threading.RLock()
        self.apps: dict[str, AppState] = {}
        #: WeChat Pay merchants by mchid (see :meth:`add_merchant`).
        self.merchants: dict[str, MerchantState] = {}
        #: token -> (appid, expires_at); a replaced token's expires_at is the end of its overlap.
        self.tokens: dict[str, tuple[str, float]] = {}
        #: replaced token -> the expiry it had before (to answer 40001 "not latest", not 42001, after the overlap).
        self._replaced: dict[str, float] = {}
        self.faults: list[Fault] = []
        #: WeCom corps by corpid (see :meth:`add_corp`).
        self.corps: dict[str, CorpState] = {}
        #: WeCom token -> (corpid, secret name, expires_at).
        self.work_tokens: dict[str, tuple[str, str, float]] = {}
        #: WeCom group robots by webhook key (see :meth:`add_robot`).
        self.robots: dict[str, RobotState] = {}
        #: WeCom third-party suites by suite id (see :meth:`add_suite`).
        self.suites: dict[str, SuiteState] = {}
        #: Open-platform third-party platforms by component appid (see :meth:`add_component`).
        self.components: dict[str, ComponentState] = {}
        #: component_access_token -> (component appid, expires_at, replaced by a newer one).
        self.component_tokens: dict[str, tuple[str, float, bool]] = {}
        #: Every request served: (method, path, appid or None); for WeCom routes, the corpid.
        self.requests: list[tuple[str, str, str | None]] = []
        #: The routes of the ``api`` site; :attr:`_site_routes` has every site's.
        self._routes: dict[tuple[str, str], Route] = {}
        self._site_routes: dict[str, dict[tuple[str, str], Route]] = {site: {} for site in SITES}
        self._site_routes["api"] = self._routes
        for name in ROUTE_MODULES:
            module = importlib.import_module(f"{__package__}.routes.{name}")
            for route in module.router.routes:
                self._site_routes[route.site][(route.method, route.path)] = route
        self._ids = itertools.count(1000)
        self._server: ThreadingHTTPServer | None = None
        self._work_server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tls_server: ThreadingHTTPServer | None = None
        self._ilink: ILinkEmulator | None = None

    def __repr__(self) -> str:
        return f"<Emulator {self.url if self._server else '(stopped)'} apps={sorted(self.apps)}>"

    # -- lifecycle ---------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, *, work_port: int = 0) -> Emulator:
        """Serve on ``host:port`` (0: a free port) in background threads; return self.

        The WeCom site (:attr:`work_url`) listens on ``host:work_port`` (0: a free port).
        """
        if self._server is not None:
            return self
        server = _Server((host, port), _Handler)
        server.emulator = self
        try:
            work_server = _Server((host, work_port), _Handler)
        except OSError:
            server.server_close()
            raise
        work_server.emulator = self
        work_server.site = "qyapi"
        self._server = server
        self._work_server = work_server
        # A short poll interval: stop() waits up to one interval per listener (the default 0.5 s made every
        # start/stop cycle cost a second).
        poll = {"poll_interval": _POLL_INTERVAL}
        self._thread = threading.Thread(target=server.serve_forever, kwargs=poll, name="wxkit-emulator", daemon=True)
        self._thread.start()
        threading.Thread(target=work_server.serve_forever, kwargs=poll, name="wxkit-emulator-work", daemon=True).start()
        return self

    def start_tls(
        self,
        ca_file: str | os.PathLike[str],
        cert_file: str | os.PathLike[str],
        key_file: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        require_client_cert: bool = True,
    ) -> Emulator:
        """Also serve HTTPS on ``host:port`` (0: a free port), on the same state; return self.

        ``cert_file`` / ``key_file`` are the server's certificate and key (its
        subjectAltName must name ``host`` for clients to verify it);
        ``ca_file`` is the CA whose client certificates are accepted. With
        ``require_client_cert`` (the default) a handshake without a client
        certificate fails; otherwise one is optional. A client certificate
        that does not verify against ``ca_file`` always fails the handshake.
        Routes see the verified certificate as ``request.client_cert``.
        :attr:`tls_url` is the base URL. Starts the plain listener too if needed.
        """
        self.start()
        if self._tls_server is not None:
            return self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.fspath(cert_file), os.fspath(key_file))
        context.load_verify_locations(os.fspath(ca_file))
        context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
        server = _Server((host, port), _Handler, bind_and_activate=False)
        try:
            server.server_bind()
            server.server_activate()
        except OSError:
            server.server_close()
            raise
        # The handshake happens in the connection's own thread (_Handler.setup), not in accept().
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.emulator = self
        self._tls_server = server
        poll = {"poll_interval": _POLL_INTERVAL}
        threading.Thread(target=server.serve_forever, kwargs=poll, name="wxkit-emulator-tls", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving (every listener, the iLink platform's included)."""
        if self._ilink is not None:
            self._ilink.stop()
            self._ilink = None
        if self._tls_server is not None:
            self._tls_server.shutdown()
            self._tls_server.server_close()
            self._tls_server = None
        if self._work_server is not None:
            self._work_server.shutdown()
            self._work_server.server_close()
            self._work_server = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give clients as ``base_url``."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def work_url(self) -> str:
        """The base URL of the WeCom site (``qyapi.weixin.qq.com``'s role) to give WeCom clients."""
        if self._work_server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._work_server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def ilink(self) -> ILinkEmulator:
        """The iLink Bot API platform (``ilinkai.weixin.qq.com``'s role), started on first use on its own origin.

        It is a :class:`~wxkit.testing.ilink.ILinkEmulator` (accounts, QR
        logins, the long-poll, the CDN) listening on the same host as
        :attr:`url`; :meth:`stop` stops it too. Its state is its own: iLink
        shares no accounts or tokens with the other platforms.
        """
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        with self.lock:
            if self._ilink is None:
                from .ilink import ILinkEmulator

                self._ilink = ILinkEmulator().start(host=str(self._server.server_address[0]))
            return self._ilink

    @property
    def ilink_url(self) -> str:
        """The base URL of the iLink platform (:attr:`ilink`) to give iLink bots and logins as ``base_url``."""
        return self.ilink.url

    @property
    def tls_url(self) -> str:
        """The HTTPS base URL of the :meth:`start_tls` listener."""
        if self._tls_server is None:
            raise RuntimeError("the emulator's TLS listener is not started (start_tls)")
        host, port = self._tls_server.server_address[:2]
        return f"https://{host!s}:{port}"

    def serve_forever(self, host: str = "127.0.0.1", port: int = 8000, *, work_port: int = 0) -> None:
        """Serve in the foreground until interrupted (``wxkit emulator``)."""
        self.start(host, port, work_port=work_port)
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    # -- state ---------------------------------------------------------------------
    def add_app(self, appid: str = "wx_emulated_app", secret: str = "emulated-secret") -> AppState:  # noqa: S107
        """Register an app (official account) the emulator will issue tokens to."""
        with self.lock:
            app = self.apps.get(appid)
            if app is None:
                app = AppState(appid, secret)
                self.apps[appid] = app
            return app

    def add_corp(self, corpid: str = "ww_emulated_corp") -> CorpState:
        """Register a WeCom corp (served on :attr:`work_url`); add its apps and secrets on the state returned.

        Adding a corpid that is already registered returns its state. See :mod:`wxkit.testing.work`.
        """
        from .work import CorpState

        with self.lock:
            corp = self.corps.get(corpid)
            if corp is None:
                corp = CorpState(corpid)
                self.corps[corpid] = corp
            return corp

    def corp(self, corpid: str) -> CorpState:
        """The state of a registered WeCom corp."""
        return self.corps[corpid]

    def add_robot(self, key: str | None = None) -> RobotState:
        """Register a WeCom group robot (a random webhook key unless given); see :mod:`wxkit.testing.work_robot`."""
        from .work_robot import RobotState

        with self.lock:
            robot = self.robots.get(key) if key is not None else None
            if robot is None:
                robot = RobotState.new(key)
                self.robots[robot.key] = robot
            return robot

    def add_suite(
        self,
        suite_id: str = "ww_emulated_suite",
        secret: str | None = None,
        *,
        token: str = "suite-callback-token",  # noqa: S107 - a test suite's callback token
        aes_key: str | None = None,
    ) -> SuiteState:
        """Register a WeCom third-party suite (random secret and AES key unless given).

        See :mod:`wxkit.testing.work_suite`.

        Adding a suite id that is already registered returns its state.
        """
        from .work_suite import SuiteState

        with self.lock:
            suite = self.suites.get(suite_id)
            if suite is None:
                key = aes_key or secrets.token_hex(32)[:43]
                suite = SuiteState(suite_id, secret or secrets.token_urlsafe(24), token, key, self)
                self.suites[suite_id] = suite
            return suite

    def invalidate_work_tokens(self, corpid: str, name: str | None = None) -> None:
        """Revoke the WeCom tokens of ``corpid`` (of its secret ``name`` only, if given): they answer 40014."""
        with self.lock:
            corp = self.corps[corpid]
            for token in [t for t, (c, n, _) in self.work_tokens.items() if c == corpid and name in (None, n)]:
                del self.work_tokens[token]
            for secret_name in [n for n in corp.tokens if name in (None, n)]:
                del corp.tokens[secret_name]

    def add_component(
        self,
        appid: str = "wx_emulated_component",
        secret: str = "emulated-component-secret",  # noqa: S107 - a test platform's secret
        *,
        token: str | None = None,
        aes_key: str | None = None,
    ) -> ComponentState:
        """Register an open-platform third-party platform; see :mod:`wxkit.testing.open`.

        ``token`` / ``aes_key`` are its message check token and encryption key
        (needed to push events to it). Adding an appid that is already
        registered returns its state (with ``token`` / ``aes_key`` updated if given).
        """
        from .open import ComponentState

        with self.lock:
            component = self.components.get(appid)
            if component is None:
                component = ComponentState(appid, secret, self)
                self.components[appid] = component
            if token is not None:
                component.push_token = token
            if aes_key is not None:
                component.aes_key = aes_key
            return component

    def component(self, appid: str) -> ComponentState:
        """The state of a registered third-party platform."""
        return self.components[appid]

    def authorize(
        self, component_appid: str, authorizer_appid: str, target: Any = None, *, pre_auth_code: str | None = None
    ) -> str:
        """``authorizer_appid`` authorizes the platform on its authorization page: the authorization code.

        See :meth:`wxkit.testing.open.ComponentState.authorize` (``target``
        receives the ``authorized`` push).
        """
        return self.components[component_appid].authorize(authorizer_appid, target, pre_auth_code=pre_auth_code)

    def add_merchant(
        self,
        mchid: str,
        *,
        serial_no: str,
        public_key: Any,
        apiv3_key: str,
        appid: str | None = None,
        mode: str = "certificate",
        v2_key: str | None = None,
    ) -> MerchantState:
        """Register a WeChat Pay merchant (see :mod:`wxkit.testing.pay`).

        ``serial_no`` / ``public_key``: the merchant's API certificate, to check
        requests; ``apiv3_key``; ``mode``: ``certificate``, ``public_key`` or ``both``.
        """
        from .pay import add_merchant

        with self.lock:
            return add_merchant(
                self,
                mchid,
                serial_no=serial_no,
                public_key=public_key,
                apiv3_key=apiv3_key,
                appid=appid,
                mode=mode,
                v2_key=v2_key,
            )

    def deliver_payment(
        self, merchant: MerchantState | str, out_trade_no: str, *, times: int = 1, tamper: str | None = None
    ) -> list[int]:
        """Complete a v3 order and POST its payment notification ``times`` times (:mod:`wxkit.testing.pay_notify`)."""
        from .pay_notify import deliver_payment

        state = self.merchants[merchant] if isinstance(merchant, str) else merchant
        return deliver_payment(self, state, out_trade_no, times=times, tamper=tamper)

    def deliver_refund(
        self, merchant: MerchantState | str, out_refund_no: str, *, times: int = 1, tamper: str | None = None
    ) -> list[int]:
        """Finish a v3 refund and POST its refund notification ``times`` times (:mod:`wxkit.testing.pay_notify`)."""
        from .pay_notify import deliver_refund

        state = self.merchants[merchant] if isinstance(merchant, str) else merchant
        return deliver_refund(self, state, out_refund_no, times=times, tamper=tamper)

    def app(self, appid: str) -> AppState:
        """The state of a registered app."""
        return self.apps[appid]

    # -- mini programs (the user's side; see wxkit.testing.miniprogram) --------------------------
    def miniprogram_login(self, appid: str, openid: str, *, unionid: str | None = None, rotate_key: bool = True) -> str:
        """The user ``openid`` runs ``wx.login()`` in the mini program ``appid``: a one-time, 5-minute ``js_code``.

        Each login gives a returning user a new ``session_key`` unless
        ``rotate_key=False``; ``unionid`` is answered by ``code2session``.
        See :mod:`wxkit.testing.miniprogram`.
        """
        from .miniprogram import login

        return login(self, self.apps[appid], openid, unionid=unionid, rotate_key=rotate_key)

    def miniprogram_phone_code(
        self, appid: str, phone_number: str, *, country_code: str = "86", openid: str | None = None
    ) -> str:
        """The user allows ``getPhoneNumber`` for ``phone_number``: a one-time, 5-minute code for ``appid``."""
        from .miniprogram import phone_code

        return phone_code(self, self.apps[appid], phone_number, country_code=country_code, openid=openid)

    def miniprogram_session_key(self, appid: str, openid: str) -> str:
        """The current ``session_key`` of the mini-program user ``openid`` (registered if new)."""
        from .miniprogram import user

        with self.lock:
            return str(user(self.apps[appid], openid)["session_key"])

    def client(self, appid: str | None = None, secret: str | None = None, **kwargs: Any) -> Client:
        """A :class:`wxkit.Client` for ``appid`` pointed at this emulator (the app is added if new)."""
        from ..client import Client

        if appid is None:
            appid = next(iter(self.apps), "wx_emulated_app")
        app = self.apps.get(appid) or self.add_app(appid, secret or "emulated-secret")
        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("backoff", 0.0)
        return Client(appid, secret or app.secret, **kwargs)

    def now(self) -> float:
        """The emulator's wall time (the clock plus everything :meth:`advance` added)."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's time forward (expires tokens, closes 48-hour windows...).

        Timers on the emulator's clock fire as it passes them, after the move:
        a component's ``component_verify_ticket`` pushes
        (:meth:`~wxkit.testing.open.ComponentState.start_ticket_timer`).
        """
        with self.lock:
            self._offset += seconds
            components = list(self.components.values())
        for component in components:  # outside the lock: a push may call back into the emulator
            component.run_due_pushes()

    def reset_clock(self) -> None:
        """Undo every :meth:`advance`: the emulator's time is the clock's again."""
        with self.lock:
            self._offset = 0.0

    def next_id(self) -> int:
        """A fresh numeric id (msgid, media ids...)."""
        return next(self._ids)

    def _match_pattern(self, request: EmulatorRequest) -> Route | None:
        """Routes whose path has ``{name}`` segments, e.g. ``/v3/pay/transactions/id/{transaction_id}``."""
        parts = request.path.split("/")
        for (method, path), route in self._site_routes.get(request.site, {}).items():
            if method != request.method or "{" not in path:
                continue
            pattern = path.split("/")
            if len(pattern) != len(parts):
                continue
            params: dict[str, str] = {}
            for want, got in zip(pattern, parts, strict=True):
                if want.startswith("{") and want.endswith("}"):
                    if not got:
                        break
                    params[want[1:-1]] = urllib.parse.unquote(got)
                elif want != got:
                    break
            else:
                request.path_params = params
                return route
        return None

    def add_route(self, method: str, path: str, handler: RouteHandler, *, auth: bool = True, site: str = "api") -> None:
        """Serve ``handler(emulator, request)`` at ``METHOD path`` on ``site`` (for endpoints the emulator lacks).

        ``site`` is ``"api"`` (:attr:`url`) or ``"qyapi"`` (:attr:`work_url`, WeCom tokens).
        """
        if site not in SITES:
            raise ValueError(f"site must be one of {sorted(SITES)}, not {site!r}")
        with self.lock:
            self._site_routes[site][(method.upper(), path)] = Route(method.upper(), path, handler, auth, site)

    # -- tokens ----------------------------------------------------------------------
    def issue_token(self, app: AppState, kind: str, *, kill_previous: bool = False) -> str:
        """Issue a ``classic``, ``stable`` or ``authorizer`` token, replacing the app's previous one of that kind.

        As WeChat documents it, the previous token keeps working for
        :attr:`token_overlap` seconds of emulator time (or until its own
        expiry, if sooner) and is then refused with 40001 ("not latest").
        ``kill_previous=True`` refuses it at once, as a stable-token
        ``force_refresh`` does.
        """
        with self.lock:
            if kind not in ("classic", "stable", "authorizer"):
                raise ValueError(f"unknown token kind {kind!r}")
            token = f"{kind[:1].upper()}TK_{secrets.token_urlsafe(24)}"
            previous = getattr(app, f"{kind}_token")
            now = self.now()
            entry = self.tokens.get(previous) if previous is not None else None
            if previous is not None and entry is not None:
                if kill_previous:
                    del self.tokens[previous]
                    self._replaced.pop(previous, None)
                else:
                    appid, expires_at = entry
                    self.tokens[previous] = (appid, min(expires_at, now + self.token_overlap))
                    self._replaced[previous] = expires_at
            self.tokens[token] = (app.appid, now + self.token_lifetime)
            setattr(app, f"{kind}_token", token)
            app.token_fetches += 1
            return token

    def invalidate_tokens(self, appid: str) -> None:
        """Make every token of ``appid`` invalid at once, overlapping ones too (the next call answers 40001)."""
        with self.lock:
            app = self.apps[appid]
            for token in [t for t, (a, _) in self.tokens.items() if a == appid]:
                del self.tokens[token]
                self._replaced.pop(token, None)
            app.classic_token = app.stable_token = app.authorizer_token = None

    def app_for_token(self, token: str) -> AppState:
        """The app owning ``token``: 40001 if unknown, killed, or replaced and past its overlap; 42001 if expired."""
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None:
                raise WeChatAPIError(40001, "invalid credential, access_token is invalid or not latest")
            appid, expires_at = entry
            if self.now() >= expires_at:
                if expires_at < self._replaced.get(token, expires_at):
                    raise WeChatAPIError(40001, "invalid credential, access_token is invalid or not latest")
                raise WeChatAPIError(42001, "access_token expired")
            return self.apps[appid]

    # -- faults ----------------------------------------------------------------------
    def inject(
        self,
        path: str,
        *,
        method: str | None = None,
        status: int | None = None,
        errcode: int | None = None,
        errmsg: str = "system error",
        delay: float = 0.0,
        drop: bool = False,
        times: int = 1,
        site: str | None = None,
    ) -> Fault:
        """Make the next ``times`` requests to ``path`` fail (or be slow); return the :class:`Fault`.

        ``site`` (``"api"`` or ``"qyapi"``) limits it to one listener; by default it fires on either.
        """
        fault = Fault(path, method.upper() if method else None, status, errcode, errmsg, delay, drop, times, site=site)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self.lock:
            self.faults.clear()

    def _take_fault(self, method: str, path: str, site: str = "api") -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.path == path
                    and (fault.method is None or fault.method == method)
                    and (fault.site is None or fault.site == site)
                ):
                    fault.fired += 1
                    if fault.fired >= fault.times:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- dispatch --------------------------------------------------------------------
    def dispatch(self, request: EmulatorRequest) -> EmulatorResponse:
        """Answer one request (used by the HTTP handler; callable directly in unit tests)."""
        routes = self._site_routes.get(request.site, {})
        route = routes.get((request.method, request.path))
        if route is None:
            route = self._match_pattern(request)
        appid: str | None = None
        try:
            if route is None:
                if any(path == request.path for _, path in routes):
                    return _json_response({"errcode": 43002, "errmsg": "require POST method"})
                # A path this site does not serve (another site's too): HTTP 404, as WeChat's hosts answer.
                return _json_response({"errcode": 404, "errmsg": "unknown api (wxkit emulator)"}, status=404)
            if route.auth:
                token = request.query.get("access_token", "")
                if not token:
                    raise WeChatAPIError(41001, "access_token missing")
                if route.site == "qyapi":
                    from .work import corp_for_token

                    request.corp, request.secret_name = corp_for_token(self, token)
                    appid = request.corp.corpid
                else:
                    request.app = self.app_for_token(token)
                    appid = request.app.appid
            result = route.handler(self, request)
        except WeChatAPIError as exc:
            result = {"errcode": exc.errcode, "errmsg": exc.errmsg}
        finally:
            with self.lock:
                self.requests.append((request.method, request.path, appid))
        if isinstance(result, EmulatorResponse):
            return result
        return _json_response(result)


def _json_response(data: Any, status: int = 200) -> EmulatorResponse:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return EmulatorResponse(status, body, "application/json; encoding=utf-8")


#: A ``Host`` header fit to put in a URL: a name or IPv4 address, or a bracketed IPv6 one, and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connections when many clients (an async client's pool) open at once.
    request_queue_size = 1024
    emulator: Emulator
    #: Which site this listener plays (``"api"``, or ``"qyapi"`` for WeCom).
    site: str = "api"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or dropped the connection is expected in fault tests.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # Never the query string: it carries access tokens and secrets.
        logger.debug("%s %s %s", self.command, urlsplit(self.path).path, args[1] if len(args) > 1 else "")

    def _serve(self) -> None:
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        fault = emulator._take_fault(self.command, parts.path, self.server.site)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.status is not None:
                self._send(EmulatorResponse(fault.status, b"<html>emulated failure</html>", "text/html"))
                return
            if fault.errcode is not None:
                self._send(_json_response({"errcode": fault.errcode, "errmsg": fault.errmsg}))
                return
        request = EmulatorRequest(
            self.command,
            parts.path,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            {k.lower(): v for k, v in self.headers.items()},
            body,
            target=self.path,
            client_cert=self._client_cert(),
            origin=self._origin(),
            site=self.server.site,
        )
        try:
            response = emulator.dispatch(request)
        except Exception:
            logger.exception("emulator route failed")
            response = EmulatorResponse(500, b"emulator error", "text/plain")
        self._send(response)

    def _origin(self) -> str:
        """``scheme://host[:port]`` as the client addressed this listener (see ``EmulatorRequest.origin``)."""
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        host = self.headers.get("Host", "")
        if not _HOST.fullmatch(host):
            address, port = self.server.server_address[:2]
            host = f"{address!s}:{port}"
        return f"{scheme}://{host}"

    def _client_cert(self) -> dict[str, str] | None:
        """The verified client certificate of a TLS connection: ``common_name``, ``serial_no``, ``issuer``."""
        if not isinstance(self.connection, ssl.SSLSocket):
            return None
        cert = self.connection.getpeercert()
        if not cert:
            return None

        def common_name(name: Any) -> str:
            return next((value for rdn in name for key, value in rdn if key == "commonName"), "")

        return {
            "common_name": common_name(cert.get("subject", ())),
            "serial_no": str(cert.get("serialNumber", "")),
            "issuer": common_name(cert.get("issuer", ())),
        }

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)  # a peer that connects and never shakes hands
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()
        # Headers and body leave in one segment without waiting for the peer's delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, response: EmulatorResponse) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        # end_headers() would flush the headers alone; queue the body behind them instead.
        buffer: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]  # set by send_response
        buffer.append(b"\r\n")
        if self.command != "HEAD":
            buffer.append(response.body)
        self.flush_headers()

    do_GET = _serve
    do_POST = _serve
