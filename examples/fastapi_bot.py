"""An echo bot mounted in a FastAPI app at ``/wechat/`` (Starlette if FastAPI is not installed).

Run from the repository root (``pip install fastapi uvicorn`` - or just
``starlette uvicorn`` - and wxkit, e.g. ``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/fastapi_bot.py
    # or: uvicorn --app-dir examples fastapi_bot:app --port 8000

and configure ``http://<your host>:8000/wechat/`` - with the trailing slash:
a mount answers ``/wechat`` with a redirect, which WeChat does not follow -
as the server URL of your official account. The bot's handlers run in a
worker thread, so they may block.

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

from wxkit import WxApplication
from wxkit.adapters.asgi import make_asgi_app
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

try:
    from fastapi import FastAPI
except ImportError:
    # FastAPI is built on Starlette, and mounting works the same way there.
    from starlette.applications import Starlette
    from starlette.routing import Mount

    app = Starlette(routes=[Mount("/wechat", app=make_asgi_app(bot))])
else:
    app = FastAPI()
    app.mount("/wechat", make_asgi_app(bot))


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, port=8000)
