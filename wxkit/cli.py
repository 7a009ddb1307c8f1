"""The ``wxkit`` command.

``wxkit demo``
    serve the echo bot from ``examples/`` on a loopback port (stdlib wsgiref),
    push a text message, a subscribe event and a menu click in safe mode as
    WeChat would, print each decrypted reply, and exit 0.
``wxkit demo miniprogram``
    log a simulated mini-program user in through the emulator with
    :class:`wxkit.miniprogram.Login` (code2session, ``rawData``,
    ``encryptedData``, phone number, a stale ``encryptedData`` refused) and
    push a JSON safe-mode event to a :class:`wxkit.miniprogram.MiniProgramApplication`,
    printing each step; exit 0.
``wxkit push URL --token T [--app-id A --aes-key K | --corp-id C --aes-key K] (--text S | --event E | --click KEY)``
    push one message or event to any running bot and print its reply.
``wxkit demo ilink``
    log a personal-account echo bot in on the iLink emulator
    (:mod:`wxkit.testing.ilink`), send it a text and a voice message, print
    its replies; exit 0.
``wxkit ilink login --out FILE [--base-url URL]``
    log an iLink bot in by QR code (see :mod:`wxkit.ilink.cli`) and write
    its credentials to FILE with mode 0600.
``wxkit decrypt --aes-key K --receive-id ID [--token T --timestamp TS --nonce N --msg-signature SIG] DATA``
    decrypt an ``Encrypt`` value (or a whole encrypted XML body), checking
    the signature when one is given.
``wxkit emulator [--port 8000] [--app-id A --secret S] [--follower OPENID ...]``
    serve the local WeChat API emulator (``wxkit.testing.Emulator``) in the
    foreground, for trying a :class:`wxkit.Client` by hand.
``wxkit sign --token T --timestamp TS --nonce N [DATA]``
    print the SHA1 signature WeChat would send (``msg_signature`` with DATA).
``wxkit pay sign --key K [--sign-type MD5|HMAC-SHA256] NAME=VALUE ...``
    print the WeChat Pay v2 ``sign`` of the parameters (``--key`` defaults to
    ``$WXKIT_PAY_KEY``, which keeps the key out of the shell history).
``wxkit --version``
    print ``wxkit <version>``.

Exit status: 0 on success, 1 when ``push`` gets a non-200 answer or ``demo``
fails, 2 on a user error (a bad option value, URL, port or key, a busy port,
missing or inconsistent options, a wxkit error, a network error) with one
line ``wxkit COMMAND: problem`` on stderr and never a traceback (mistakes
argparse itself catches print the usage line too), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib
import importlib.metadata
import importlib.util
import math
import os
import sys
import threading
import urllib.error
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .crypto import MessageCrypto, sha1_signature
from .errors import ParseError, WxError
from .xmlcodec import parse_xml

__all__ = ["main"]


#: The longest ``wxkit push --timeout`` (a day; far longer ones overflow the socket layer).
_MAX_TIMEOUT = 86400


class _UserError(Exception):
    """A user error: :func:`main` prints ``wxkit COMMAND: <message>`` on one line and returns 2."""


def _version() -> str:
    """The installed distribution's version, else ``wxkit.__version__``, else ``"unknown"``."""
    try:
        return importlib.metadata.version("wxkit")
    except importlib.metadata.PackageNotFoundError:
        pass
    version = getattr(importlib.import_module("wxkit"), "__version__", None)
    return str(version) if version else "unknown"


def _check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise _UserError(f"--port {port} is out of range (0-65535; 0 picks a free port)")


def _listen_error(host: str, port: int, exc: OSError) -> _UserError:
    return _UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _check_url(url: str) -> None:
    """Refuse anything ``urllib`` would choke on, before the push is built."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise _UserError(f"the URL contains whitespace or control characters: {url!r}")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError as exc:
        raise _UserError(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _UserError(f"not an http:// or https:// URL: {url!r}")
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        raise _UserError(f"not a valid host name: {parts.hostname!r}") from None


def _one_line(text: object) -> str:
    """``text`` on one line, control characters escaped (error texts may come from a server)."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in " ".join(str(text).split()))


def _network_reason(exc: Exception) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror
        return str(reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _load_demo_module() -> ModuleType:
    try:  # installed wheel: examples/echo_bot.py is shipped as wxkit/_demo/echo_bot.py
        return importlib.import_module("wxkit._demo.echo_bot")
    except ImportError:
        pass
    candidates = [
        Path(__file__).resolve().parent.parent / "examples" / "echo_bot.py",
        Path.cwd() / "examples" / "echo_bot.py",
    ]
    for path in candidates:
        if path.is_file():
            spec = importlib.util.spec_from_file_location("wxkit_demo_echo_bot", path)
            if spec is None or spec.loader is None:  # pragma: no cover - spec of a .py file
                continue
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise SystemExit("wxkit demo: examples/echo_bot.py not found")


def _demo(args: argparse.Namespace) -> int:
    if args.which == "miniprogram":
        return _demo_miniprogram()
    if args.which == "ilink":
        from .testing.ilink import run_demo

        ok = run_demo()
        print("wxkit demo: done" if ok else "wxkit demo: FAILED")
        return 0 if ok else 1
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from .adapters.wsgi import make_wsgi_app
    from .testing import Emulator, WeChatPusher
    from .testing.routes.template import add_template

    _check_port(args.port)
    module = _load_demo_module()
    bot = module.EchoBot()

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    # Bind first: a busy port fails before anything is started or printed.
    try:
        server = make_server("127.0.0.1", args.port, make_wsgi_app(bot), handler_class=QuietHandler)
    except OSError as exc:
        raise _listen_error("127.0.0.1", args.port, exc) from None
    url = f"http://127.0.0.1:{server.server_port}/wechat"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    emulator = Emulator()
    ok = True
    try:
        # The API side: the emulator plays WeChat's HTTP API, the bot gets a Client pointed at it.
        emulator.start()
        api_app = emulator.add_app(bot.app_id, module.DEMO_SECRET)
        api_app.add_follower("o_demo_user", nickname="Demo User")
        add_template(api_app, module.WELCOME_TEMPLATE_ID, title="Welcome", content="{{thing1.DATA}} {{thing2.DATA}}")
        bot.client = emulator.client(bot.app_id, module.DEMO_SECRET)
        print(f"wxkit demo: echo bot ({type(bot).__name__}, safe mode) serving at {url}")
        print(f"wxkit demo: WeChat API emulator at {emulator.url}")
        pusher = WeChatPusher(bot.token, app_id=bot.app_id, aes_key=bot.aes_key, openid="o_demo_user")
        steps = [
            ("text message 'Hello, wxkit!'", pusher.text("Hello, wxkit!")),
            ("subscribe event (QR scene 42)", pusher.subscribe("42")),
            ("menu click 'V1001_TODAY_MUSIC'", pusher.click("V1001_TODAY_MUSIC")),
        ]
        params, echostr = pusher.url_check()
        answered = bot.handle("GET", params, None).body == echostr
        print(f"-> URL check (GET echostr): bot answered the echostr: {answered}")
        for label, push in steps:
            reply = pusher.post(url, push)
            print(f"-> WeChat pushes {label} (encrypted, {len(push.body)} bytes)")
            if reply.status != 200 or not reply.encrypted:
                ok = False
                print(f"<- unexpected answer: HTTP {reply.status} {reply.body[:200]!r}")
                continue
            print(f"<- bot replied ({reply.msg_type}, decrypted, signature verified): {reply.content}")
        sent = [m for m in api_app.sent if m.get("kind") == "template"]
        for message in sent:
            values = ", ".join(f"{k}={v.get('value')!r}" for k, v in message.get("data", {}).items())
            print(f"<- emulator received a template message to {message.get('touser')}: {values}")
        if not sent:
            ok = False
            print("<- the emulator received no template message")
    finally:
        server.shutdown()
        server.server_close()
        emulator.stop()
    print("wxkit demo: done" if ok else "wxkit demo: FAILED")
    return 0 if ok else 1


def _demo_miniprogram() -> int:
    import json

    from .miniprogram import Login, MiniProgramApplication, MiniProgramClient
    from .miniprogram._login import raw_signature
    from .testing import Emulator
    from .testing.miniprogram import encrypt_user_data
    from .testing.miniprogram_push import MiniProgramPusher

    appid, secret, openid = "wx_demo_miniprogram", "demo-secret", "o_demo_user"
    ok = True
    with Emulator() as emulator:
        app = emulator.add_app(appid, secret)
        print(f"wxkit demo: mini program {appid} on the WeChat API emulator at {emulator.url}")
        with MiniProgramClient(appid, secret, base_url=emulator.url, backoff=0.0) as client:
            login = Login(client)  # session keys in a MemoryStorage here; a RedisStorage in production
            code = emulator.miniprogram_login(appid, openid, unionid="o_demo_union")
            print(f"-> the user opens the mini program; wx.login() gives a one-time code ({code[:6]}...)")
            user = login.login(code)
            print(f"<- code2session: openid={user.openid} unionid={user.unionid}; the session_key stays server-side")
            profile = {"nickName": "Demo User", "gender": 1, "city": "Guangzhou"}
            raw_data = json.dumps(profile, ensure_ascii=False)
            signature = raw_signature(raw_data, emulator.miniprogram_session_key(appid, openid))
            login.check_raw_data(user.openid, raw_data, signature)
            print("-> wx.getUserInfo: rawData and its signature (sha1 over rawData + session_key)")
            print("<- signature checked with the stored session_key")
            encrypted, iv = encrypt_user_data(emulator, app, openid, profile)
            info = login.decrypt(user.openid, encrypted, iv)
            print(f"-> encryptedData ({len(encrypted)} characters of base64) and iv")
            print(f"<- decrypted: nickName={info['nickName']!r}, watermark appid {info.watermark.appid} checked")
            phone_code = emulator.miniprogram_phone_code(appid, "13800138000", openid=openid)
            phone = client.phone.get_phone_number(phone_code, openid=user.openid)
            print(f"-> the getPhoneNumber button gives a code; <- phone number {phone.pure_phone_number[:3]}****")
            login.login(emulator.miniprogram_login(appid, openid))  # a new session_key
            try:
                login.decrypt(user.openid, encrypted, iv)
            except WxError as exc:
                print(f"-> the user logs in again, then sends the old encryptedData; <- refused: {exc}")
            else:
                ok = False
                print("<- the old encryptedData was accepted after a new login")
    token, aes_key = "demo-token", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"

    class Push(MiniProgramApplication):
        def on_user_enter_tempsession(self, event: Any) -> None:
            print(f"   on_user_enter_tempsession: {event.from_user_name}, session-from {event.session_from!r}")

    pusher = MiniProgramPusher(token, app_id=appid, aes_key=aes_key, data_format="json", mode="safe", openid=openid)
    push = pusher.user_enter_tempsession("demo-button")
    print(f"-> WeChat pushes user_enter_tempsession (JSON, safe mode, {len(push.body)} bytes)")
    reply = pusher.deliver(Push(token=token, app_id=appid, aes_key=aes_key), push)
    print(f"<- answered {reply.body!r} (HTTP {reply.status})")
    ok = ok and reply.is_success
    print("wxkit demo: done" if ok else "wxkit demo: FAILED")
    return 0 if ok else 1


def _push(args: argparse.Namespace) -> int:
    from .testing import WeChatPusher

    _check_url(args.url)
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= _MAX_TIMEOUT):
        raise _UserError(
            f"--timeout must be a number of seconds above 0 and up to {_MAX_TIMEOUT}, not {args.timeout:g}"
        )
    if args.app_id and args.corp_id:
        raise _UserError("give --app-id (official account) or --corp-id (WeCom), not both")
    if args.aes_key and not (args.app_id or args.corp_id):
        raise _UserError("--aes-key needs --app-id (official account) or --corp-id (WeCom)")
    if args.corp_id and not args.aes_key:
        raise _UserError("--corp-id needs --aes-key (WeCom always encrypts)")
    if args.agent_id is not None and not args.corp_id:
        raise _UserError("--agent-id needs --corp-id (only WeCom pushes carry an AgentID)")
    pusher = WeChatPusher(
        args.token,
        app_id=args.app_id,
        aes_key=args.aes_key,
        corp_id=args.corp_id,
        agent_id=args.agent_id,
        openid=args.openid,
    )
    if args.text is not None:
        push = pusher.text(args.text)
    elif args.click is not None:
        push = pusher.click(args.click)
    else:
        push = pusher.event(args.event)
    try:
        reply = pusher.post(args.url, push, timeout=args.timeout)
    except WxError:
        raise  # an invalid reply: main() names the error class
    except (OSError, http.client.HTTPException, ValueError, OverflowError) as exc:
        raise _UserError(f"cannot push to {args.url}: {_network_reason(exc)}") from None
    print(f"HTTP {reply.status}")
    print(reply.xml or reply.body)
    return 0 if reply.status == 200 else 1


def _emulator(args: argparse.Namespace) -> int:
    from .testing import Emulator

    _check_port(args.port)
    emulator = Emulator()
    app = emulator.add_app(args.app_id, args.secret)
    for openid in args.follower or []:
        app.add_follower(openid)
    # Bind first: the banner is printed only once the port is ours.
    try:
        emulator.start(args.host, args.port)
    except OSError as exc:
        raise _listen_error(args.host, args.port, exc) from None
    try:
        url = emulator.url  # the bound port, also when --port 0 picked one
        print(f"wxkit emulator: serving WeChat's API at {url} (Ctrl-C to stop)")
        print(f"  app: appid={app.appid} secret={app.secret}  followers: {len(app.followers)}")
        print(f"  use: Client({app.appid!r}, {app.secret!r}, base_url={url!r})")
        print(f"  WeCom (qyapi.weixin.qq.com's role): {emulator.work_url}")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            emulator.serve_forever(args.host, args.port)  # already listening: this only waits
    finally:
        emulator.stop()
    return 0


def _decrypt(args: argparse.Namespace) -> int:
    check = {"--token": args.token, "--timestamp": args.timestamp, "--nonce": args.nonce}
    if args.msg_signature is not None:
        missing = [name for name, value in check.items() if not value]
        if missing:
            raise _UserError(f"--msg-signature needs --token, --timestamp and --nonce; missing: {', '.join(missing)}")
    elif any(value is not None for value in check.values()):
        given = ", ".join(name for name, value in check.items() if value is not None)
        raise _UserError(f"{given}: used only to check a signature, give --msg-signature too")
    crypto = MessageCrypto(args.token or "-", args.aes_key, args.receive_id)
    data = args.data.strip()
    if data.startswith("<"):
        fields = parse_xml(data)
        if not isinstance(fields.get("Encrypt"), str) or not fields["Encrypt"]:
            raise ParseError("the XML body has no Encrypt element")
        data = fields["Encrypt"]
    if args.msg_signature:
        crypto.check_signature(args.msg_signature, args.timestamp or "", args.nonce or "", data)
        print("msg_signature: OK", file=sys.stderr)
    print(crypto.decrypt(data))
    return 0


def _sign(args: argparse.Namespace) -> int:
    parts = [args.token, args.timestamp, args.nonce]
    if args.data is not None:
        parts.append(args.data)
    print(sha1_signature(*parts))
    return 0


def _pay_sign(args: argparse.Namespace) -> int:
    from .pay.v2 import sign as pay_sign

    key = args.key or os.environ.get("WXKIT_PAY_KEY", "")
    if not key:
        raise _UserError("give --key or set WXKIT_PAY_KEY")
    if not args.params:
        raise _UserError("give the parameters to sign as NAME=VALUE ...")
    params: dict[str, str] = {}
    for pair in args.params:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise _UserError(f"expected NAME=VALUE, got {pair!r}")
        if name in params:
            raise _UserError(f"{name} is given twice")
        params[name] = value
    print(pay_sign(params, key, args.sign_type))
    return 0


def _ilink_login(args: argparse.Namespace) -> int:
    from .ilink.cli import login_command

    login_command(args.out, base_url=args.base_url)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the ``wxkit`` argument parser."""
    parser = argparse.ArgumentParser(prog="wxkit", description="wxkit: WeChat SDK tools")
    parser.add_argument("--version", action="version", version=f"wxkit {_version()}", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="the command to run")

    demo = sub.add_parser("demo", help="run the echo bot and push messages to it end to end")
    demo.add_argument(
        "which",
        nargs="?",
        choices=["bot", "miniprogram", "ilink"],
        default="bot",
        help="bot (default): the official-account echo bot; miniprogram: a mini-program login and push; "
        "ilink: a personal-account (iLink) echo bot on the iLink emulator",
    )
    demo.add_argument("--port", type=int, default=0, help="port to serve the bot on (default: a free one)")
    demo.set_defaults(func=_demo, name="demo")

    push = sub.add_parser("push", help="push a message or event to a running bot")
    push.add_argument("url", help="the bot's callback URL (http:// or https://)")
    push.add_argument("--token", required=True, help="the bot's Token, which signs the push")
    push.add_argument("--app-id", help="the official account's AppID (safe mode, with --aes-key)")
    push.add_argument("--aes-key", help="the EncodingAESKey: encrypt the push (needs --app-id or --corp-id)")
    push.add_argument("--corp-id", help="push as WeCom to this corp id (always encrypted, needs --aes-key)")
    push.add_argument("--agent-id", type=int, help="the WeCom AgentID (needs --corp-id; default: 1)")
    push.add_argument("--openid", default="o_test_user", help="the sender (default: o_test_user)")
    push.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the reply (default: 10)")
    what = push.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="push a text message with this content")
    what.add_argument("--event", help="push an event of this Event value, e.g. subscribe")
    what.add_argument("--click", metavar="KEY", help="push a menu click event with this EventKey")
    push.set_defaults(func=_push, name="push")

    emu = sub.add_parser("emulator", help="serve the local WeChat API emulator")
    emu.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    emu.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0: a free one)")
    emu.add_argument("--app-id", default="wx_emulated_app", help="the emulated app's AppID (default: wx_emulated_app)")
    emu.add_argument("--secret", default="emulated-secret", help="the emulated app's secret (default: emulated-secret)")
    emu.add_argument("--follower", action="append", metavar="OPENID", help="add a follower (repeatable)")
    emu.set_defaults(func=_emulator, name="emulator")

    dec = sub.add_parser("decrypt", help="decrypt an Encrypt value or encrypted XML body")
    dec.add_argument("data", help="an Encrypt value, or a whole encrypted XML body")
    dec.add_argument("--aes-key", required=True, help="the EncodingAESKey (43 characters)")
    dec.add_argument("--receive-id", default="", help="appid / corpid to check (empty: no check)")
    dec.add_argument("--token", help="the Token (to check --msg-signature)")
    dec.add_argument("--timestamp", help="the push's timestamp (to check --msg-signature)")
    dec.add_argument("--nonce", help="the push's nonce (to check --msg-signature)")
    dec.add_argument("--msg-signature", help="check this msg_signature first (needs --token, --timestamp, --nonce)")
    dec.set_defaults(func=_decrypt, name="decrypt")

    sign = sub.add_parser("sign", help="compute a callback signature")
    sign.add_argument("data", nargs="?", help="an Encrypt or echostr value: print its msg_signature")
    sign.add_argument("--token", required=True, help="the bot's Token")
    sign.add_argument("--timestamp", required=True, help="the timestamp query parameter")
    sign.add_argument("--nonce", required=True, help="the nonce query parameter")
    sign.set_defaults(func=_sign, name="sign")

    ilink = sub.add_parser("ilink", help="personal-account bots (iLink) tools")
    ilink_sub = ilink.add_subparsers(dest="ilink_command", required=True, metavar="COMMAND", help="the ilink command")
    ilink_login = ilink_sub.add_parser("login", help="log a bot in by QR code and write its credentials (0600)")
    ilink_login.add_argument("--out", required=True, help="the credentials file to write (JSON, mode 0600)")
    ilink_login.add_argument("--base-url", default="https://ilinkai.weixin.qq.com", help="iLink's API origin")
    ilink_login.set_defaults(func=_ilink_login, name="ilink login")

    pay = sub.add_parser("pay", help="WeChat Pay tools")
    pay_sub = pay.add_subparsers(dest="pay_command", required=True, metavar="COMMAND", help="the pay command to run")
    pay_sign = pay_sub.add_parser("sign", help="compute a WeChat Pay v2 sign (MD5 or HMAC-SHA256)")
    pay_sign.add_argument("params", nargs="*", metavar="NAME=VALUE", help="a request parameter (repeatable)")
    pay_sign.add_argument("--key", help="the merchant API key (default: $WXKIT_PAY_KEY)")
    pay_sign.add_argument(
        "--sign-type", choices=["MD5", "HMAC-SHA256"], default="MD5", help="the sign_type (default: MD5)"
    )
    pay_sign.set_defaults(func=_pay_sign, name="pay sign")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``wxkit`` command; return the exit status.

    ``argv`` defaults to ``sys.argv[1:]``. Usage mistakes argparse catches
    raise ``SystemExit(2)`` (``--help`` and ``--version``: ``SystemExit(0)``);
    every other user error returns 2 after one line on stderr.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    for position, arg in enumerate(args_list, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes from the shell; never echo it back (it may be a key)
            print(f"wxkit: argument {position} is not valid UTF-8", file=sys.stderr)
            return 2
    args = build_parser().parse_args(args_list)
    name = args.name
    try:
        return int(args.func(args))
    except _UserError as exc:
        print(f"wxkit {name}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except WxError as exc:
        print(f"wxkit {name}: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"wxkit {name}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"wxkit {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
