"""The echo bot that ``wxkit demo`` serves.

Run it yourself with any adapter, e.g. the stdlib WSGI server::

    python -c "from wsgiref.simple_server import make_server; \
from wxkit.adapters.wsgi import make_wsgi_app; import echo_bot; \
make_server('127.0.0.1', 8000, make_wsgi_app(echo_bot.EchoBot())).serve_forever()"

Credentials come from WXKIT_TOKEN / WXKIT_APP_ID / WXKIT_AES_KEY, with
harmless demo defaults. Give the bot an API client (``bot.client =
wxkit.Client(appid, secret)``) and it also sends new followers a welcome
template message (template id from WXKIT_WELCOME_TEMPLATE).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from wxkit import WxApplication
from wxkit.events import ClickEvent, SubscribeEvent
from wxkit.messages import TextMessage

if TYPE_CHECKING:
    from wxkit import Client

DEMO_TOKEN = "wxkit-demo-token"
DEMO_APP_ID = "wx0000000000demo"
DEMO_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
DEMO_SECRET = "wxkit-demo-secret"
WELCOME_TEMPLATE_ID = os.environ.get("WXKIT_WELCOME_TEMPLATE", "wxkit-demo-welcome-template")


class EchoBot(WxApplication):
    """Echoes text, welcomes new followers and answers menu clicks."""

    token = os.environ.get("WXKIT_TOKEN", DEMO_TOKEN)
    app_id = os.environ.get("WXKIT_APP_ID", DEMO_APP_ID)
    aes_key = os.environ.get("WXKIT_AES_KEY", DEMO_AES_KEY)
    #: Optional API client: when set, new followers also get a welcome template message.
    client: Client | None = None

    def on_text(self, msg: TextMessage) -> str:
        return f"You said: {msg.content}"

    def on_subscribe(self, event: SubscribeEvent) -> str:
        if self.client is not None:
            self.client.template.send(
                event.from_user_name,
                WELCOME_TEMPLATE_ID,
                {"thing1": {"value": "wxkit demo"}, "thing2": {"value": f"scene {event.scene or '-'}"}},
            )
        if event.is_scan:
            return f"Welcome! You scanned the QR code for scene {event.scene}."
        return "Welcome to the wxkit demo bot!"

    def on_click(self, event: ClickEvent) -> str:
        return f"You clicked the menu button {event.event_key!r}."
