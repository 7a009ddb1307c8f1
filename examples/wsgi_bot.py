"""An echo bot served by the standard library's WSGI server - no framework needed.

Run from the repository root (with wxkit installed, e.g. ``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/wsgi_bot.py [PORT]

and configure ``http://<your host>:PORT/`` (default port 8000) as the server
URL of your official account. wsgiref is fine for trying things out; in
production, serve ``application`` with gunicorn / uWSGI instead::

    gunicorn --chdir examples wsgi_bot:application

The bot is ``EchoBot`` of ``examples/echo_bot.py`` (what ``wxkit demo`` serves),
configured from ``WXKIT_TOKEN`` / ``WXKIT_APP_ID`` / ``WXKIT_AES_KEY`` (demo values when unset).
"""

from __future__ import annotations

import sys
from wsgiref.simple_server import make_server

from echo_bot import EchoBot

from wxkit.adapters.wsgi import make_wsgi_app

bot = EchoBot()
application = make_wsgi_app(bot)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    with make_server("", port, application) as server:
        print(f"serving {bot!r} on http://0.0.0.0:{port}/ (Ctrl+C to stop)")
        server.serve_forever()
