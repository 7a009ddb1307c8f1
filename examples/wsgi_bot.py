"""An echo bot served by the standard library's WSGI server - no framework needed.

Run from the repository root (with wxkit installed, e.g. ``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/wsgi_bot.py [PORT]

and configure ``http://<your host>:PORT/`` (default port 8000) as the server
URL of your official account. wsgiref is fine for trying things out; in
production, serve ``application`` with gunicorn / uWSGI instead::

    gunicorn --chdir examples wsgi_bot:application

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
import sys
from wsgiref.simple_server import make_server

from wxkit import WxApplication
from wxkit.adapters.wsgi import make_wsgi_app
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
application = make_wsgi_app(bot)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    with make_server("", port, application) as server:
        print(f"serving {bot!r} on http://0.0.0.0:{port}/ (Ctrl+C to stop)")
        server.serve_forever()
