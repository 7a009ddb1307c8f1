"""The ``wxkit`` command.

``wxkit demo``
    serve the echo bot from ``examples/`` on a loopback port (stdlib wsgiref),
    push a text message, a subscribe event and a menu click in safe mode as
    WeChat would, print each decrypted reply, and exit 0.
``wxkit push URL --token T [--app-id A --aes-key K | --corp-id C --aes-key K] (--text S | --event E | --click KEY)``
    push one message or event to any running bot and print its reply.
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
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .crypto import MessageCrypto, sha1_signature
from .errors import WxError
from .xmlcodec import parse_xml

__all__ = ["main"]


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
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from .adapters.wsgi import make_wsgi_app
    from .testing import Emulator, WeChatPusher
    from .testing.routes.template import add_template

    module = _load_demo_module()
    bot = module.EchoBot()
    # The API side: the emulator plays WeChat's HTTP API, the bot gets a Client pointed at it.
    emulator = Emulator().start()
    api_app = emulator.add_app(bot.app_id, module.DEMO_SECRET)
    api_app.add_follower("o_demo_user", nickname="Demo User")
    add_template(api_app, module.WELCOME_TEMPLATE_ID, title="Welcome", content="{{thing1.DATA}} {{thing2.DATA}}")
    bot.client = emulator.client(bot.app_id, module.DEMO_SECRET)

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", args.port, make_wsgi_app(bot), handler_class=QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}/wechat"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"wxkit demo: echo bot ({type(bot).__name__}, safe mode) serving at {url}")
    print(f"wxkit demo: WeChat API emulator at {emulator.url}")
    pusher = WeChatPusher(bot.token, app_id=bot.app_id, aes_key=bot.aes_key, openid="o_demo_user")
    steps = [
        ("text message 'Hello, wxkit!'", pusher.text("Hello, wxkit!")),
        ("subscribe event (QR scene 42)", pusher.subscribe("42")),
        ("menu click 'V1001_TODAY_MUSIC'", pusher.click("V1001_TODAY_MUSIC")),
    ]
    ok = True
    try:
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


def _push(args: argparse.Namespace) -> int:
    from .testing import WeChatPusher

    if args.aes_key and not (args.app_id or args.corp_id):
        print("wxkit push: --aes-key needs --app-id (official account) or --corp-id (WeCom)", file=sys.stderr)
        return 2
    if args.corp_id and not args.aes_key:
        print("wxkit push: --corp-id needs --aes-key (WeCom always encrypts)", file=sys.stderr)
        return 2
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
    reply = pusher.post(args.url, push, timeout=args.timeout)
    print(f"HTTP {reply.status}")
    print(reply.xml or reply.body)
    return 0 if reply.status == 200 else 1


def _emulator(args: argparse.Namespace) -> int:
    from .testing import Emulator

    emulator = Emulator()
    app = emulator.add_app(args.app_id, args.secret)
    for openid in args.follower or []:
        app.add_follower(openid)
    print(f"wxkit emulator: serving WeChat's API at http://{args.host}:{args.port} (Ctrl-C to stop)")
    print(f"  app: appid={app.appid} secret={app.secret}  followers: {len(app.followers)}")
    print(f"  use: Client({app.appid!r}, {app.secret!r}, base_url='http://{args.host}:{args.port}')")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever(args.host, args.port)
    return 0


def _decrypt(args: argparse.Namespace) -> int:
    crypto = MessageCrypto(args.token or "-", args.aes_key, args.receive_id)
    data = args.data.strip()
    if data.startswith("<"):
        data = str(parse_xml(data).get("Encrypt", ""))
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
        print("wxkit pay sign: give --key or set WXKIT_PAY_KEY", file=sys.stderr)
        return 2
    params: dict[str, str] = {}
    for pair in args.params:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            print(f"wxkit pay sign: expected NAME=VALUE, got {pair!r}", file=sys.stderr)
            return 2
        params[name] = value
    print(pay_sign(params, key, args.sign_type))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the ``wxkit`` argument parser."""
    parser = argparse.ArgumentParser(prog="wxkit", description="wxkit: WeChat SDK tools")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the echo bot and push messages to it end to end")
    demo.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    demo.set_defaults(func=_demo)

    push = sub.add_parser("push", help="push a message or event to a running bot")
    push.add_argument("url")
    push.add_argument("--token", required=True)
    push.add_argument("--app-id")
    push.add_argument("--aes-key")
    push.add_argument("--corp-id", help="push as WeCom (always encrypted)")
    push.add_argument("--agent-id", type=int)
    push.add_argument("--openid", default="o_test_user")
    push.add_argument("--timeout", type=float, default=10.0)
    what = push.add_mutually_exclusive_group(required=True)
    what.add_argument("--text")
    what.add_argument("--event", help="an Event value, e.g. subscribe")
    what.add_argument("--click", metavar="KEY")
    push.set_defaults(func=_push)

    emu = sub.add_parser("emulator", help="serve the local WeChat API emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8000)
    emu.add_argument("--app-id", default="wx_emulated_app")
    emu.add_argument("--secret", default="emulated-secret")
    emu.add_argument("--follower", action="append", metavar="OPENID", help="add a follower (repeatable)")
    emu.set_defaults(func=_emulator)

    dec = sub.add_parser("decrypt", help="decrypt an Encrypt value or encrypted XML body")
    dec.add_argument("data")
    dec.add_argument("--aes-key", required=True)
    dec.add_argument("--receive-id", default="", help="appid / corpid to check (empty: no check)")
    dec.add_argument("--token")
    dec.add_argument("--timestamp")
    dec.add_argument("--nonce")
    dec.add_argument("--msg-signature")
    dec.set_defaults(func=_decrypt)

    sign = sub.add_parser("sign", help="compute a callback signature")
    sign.add_argument("data", nargs="?")
    sign.add_argument("--token", required=True)
    sign.add_argument("--timestamp", required=True)
    sign.add_argument("--nonce", required=True)
    sign.set_defaults(func=_sign)

    pay = sub.add_parser("pay", help="WeChat Pay tools")
    pay_sub = pay.add_subparsers(dest="pay_command", required=True)
    pay_sign = pay_sub.add_parser("sign", help="compute a WeChat Pay v2 sign (MD5 or HMAC-SHA256)")
    pay_sign.add_argument("params", nargs="*", metavar="NAME=VALUE")
    pay_sign.add_argument("--key", help="the merchant API key (default: $WXKIT_PAY_KEY)")
    pay_sign.add_argument("--sign-type", choices=["MD5", "HMAC-SHA256"], default="MD5")
    pay_sign.set_defaults(func=_pay_sign)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``wxkit`` command; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except WxError as exc:
        print(f"wxkit {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"wxkit {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
