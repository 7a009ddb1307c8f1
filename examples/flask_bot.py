"""An echo bot in a Flask app, served at ``/wechat``.

Run from the repository root (``pip install flask`` and wxkit, e.g.
``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/flask_bot.py
    # or: flask --app examples/flask_bot.py run --port 8000

and configure ``http://<your host>:8000/wechat`` as the server URL of your
official account.

Environment variables:

``WXKIT_TOKEN``
    the callback token (default ``wxkit-example-token``).
``WXKIT_APP_ID``
    the account's app id (needed with ``WXKIT_AES_KEY``).
``WXKIT_AES_KEY``
    the EncodingAESKey; set it for safe / compatible mode, leave it unset for
    plaintext mode.
"""

from __future__ import annotations

import os

from flask import Flask

from wxkit import WxApplication
from wxkit.adapters.flask import make_view
from wxkit.events import SubscribeEvent
from wxkit.messages import TextMessage


class EchoBot(WxApplication):
    """Echo text messages back; welcome new followers."""

    def on_text(self, message: TextMessage) -> str:
        return message.content

    def on_subscribe(self, message: SubscribeEvent) -> str:
        return "Welcome! Send me anything and I will echo it back."


bot = EchoBot(
    token=os.environ.get("WXKIT_TOKEN", "wxkit-example-token"),
    app_id=os.environ.get("WXKIT_APP_ID") or None,
    aes_key=os.environ.get("WXKIT_AES_KEY") or None,
)

app = Flask(__name__)
app.add_url_rule("/wechat", view_func=make_view(bot), methods=["GET", "POST"])


if __name__ == "__main__":
    app.run(port=8000)
