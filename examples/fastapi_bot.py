"""An echo bot mounted in a FastAPI app at ``/wechat/`` (Starlette if FastAPI is not installed).

Run from the repository root (``pip install fastapi uvicorn`` - or just
``starlette uvicorn`` - and wxkit, e.g. ``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/fastapi_bot.py
    # or: uvicorn --app-dir examples fastapi_bot:app --port 8000

and configure ``http://<your host>:8000/wechat/`` - with the trailing slash:
a mount answers ``/wechat`` with a redirect, which WeChat does not follow -
as the server URL of your official account. ``make_asgi_app`` calls the
bot's ``handle_async``: ``async def`` handlers are awaited on the event loop,
and plain ones (like ``EchoBot``'s) run in a worker thread, so they may block.

The bot is ``EchoBot`` of ``examples/echo_bot.py`` (what ``wxkit demo`` serves),
configured from ``WXKIT_TOKEN`` / ``WXKIT_APP_ID`` / ``WXKIT_AES_KEY`` (demo values when unset).
"""

from __future__ import annotations

from echo_bot import EchoBot

from wxkit.adapters.asgi import make_asgi_app

bot = EchoBot()

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
