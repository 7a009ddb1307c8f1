"""A third-party platform serving two official accounts, run end to end against the emulator.

    python examples/open_platform.py

WeChat's side (the ticket push, the authorization page, the accounts, the
release check) is the emulator; the platform's side is what a real deployment
runs, with a ``RedisStorage`` when several processes serve it: the
authorization event URL (``Platform``) and one message URL for every account
(``Bot`` at ``/wx/<appid>``, the console's ``/wx/$APPID$``).
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from wxkit import WxApplication
from wxkit.adapters.wsgi import make_wsgi_app
from wxkit.messages import TextMessage
from wxkit.open import AuthorizedEvent, Component, UnauthorizedEvent
from wxkit.storage import MemoryStorage
from wxkit.testing import Emulator
from wxkit.testing.routes.template import add_template

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class Platform(Component):
    """The authorization event URL's handlers."""

    def on_authorized(self, event: AuthorizedEvent) -> None:
        info = self.query_auth(event.authorization_code)  # the refresh token is stored
        print(f"{info.authorizer_appid} authorized permission sets {info.func_info}")

    def on_unauthorized(self, event: UnauthorizedEvent) -> None:
        print(f"{event.authorizer_appid} withdrew the authorization")


class Bot(WxApplication):
    """The message URL of every authorized account."""

    def on_text(self, msg: TextMessage) -> str:
        return f"{msg.authorizer_appid} heard: {msg.content}"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    with Emulator() as emu:
        wechat = emu.add_component("wx_platform", "platform-secret", token="event-token", aes_key=AES_KEY)
        platform = Platform("wx_platform", "platform-secret", "event-token", AES_KEY, MemoryStorage(), base_url=emu.url)

        wechat.push_verify_ticket(platform)  # WeChat does this every 10 minutes
        for appid in ("wx_shop", "wx_cafe"):
            page = platform.authorization_url(platform.get_pre_auth_code(), "https://example.com/authorized")
            print("authorization page:", page.split("?")[0])
            wechat.authorize(appid, platform)  # the account's admin authorizes; "authorized" is pushed
            emu.apps[appid].add_follower("o_fan")
            add_template(emu.apps[appid], "TPL_SHIPPED")

        for appid in ("wx_shop", "wx_cafe"):
            with platform.client(appid) as client:  # a wxkit.Client on the account's authorizer token
                msgid = client.template.send("o_fan", "TPL_SHIPPED", {"keyword1": {"value": appid}})
                print(f"sent template message {msgid} as {appid}")

        bot = platform.application(Bot, release_check=True)  # every account's messages, one application
        server = make_server("127.0.0.1", 0, make_wsgi_app(bot), handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        message_url = f"http://127.0.0.1:{server.server_port}/wx/$APPID$"  # as configured in the console
        for appid in ("wx_shop", "wx_cafe"):
            reply = wechat.push_message(message_url, appid, wechat.pusher(appid).text("hello"))
            print(f"{appid} answered: {reply.content}")

        wechat.event_target = platform
        result = wechat.run_release_check(message_url)  # 全网发布: WeChat's automated check
        print("release check:", "passed" if result.passed else result.failures)

        server.shutdown()
        server.server_close()
        wechat.unauthorize("wx_cafe", platform)
        platform.close()


if __name__ == "__main__":
    main()
