"""An echo bot in a Flask app, served at ``/wechat``.

Run from the repository root (``pip install flask`` and wxkit, e.g.
``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/flask_bot.py
    # or: flask --app examples/flask_bot.py run --port 8000

and configure ``http://<your host>:8000/wechat`` as the server URL of your
official account.

The bot is ``EchoBot`` of ``examples/echo_bot.py`` (what ``wxkit demo`` serves),
configured from ``WXKIT_TOKEN`` / ``WXKIT_APP_ID`` / ``WXKIT_AES_KEY`` (demo values when unset).
"""

from __future__ import annotations

from echo_bot import EchoBot
from flask import Flask

from wxkit.adapters.flask import make_view

bot = EchoBot()

app = Flask(__name__)
app.add_url_rule("/wechat", view_func=make_view(bot), methods=["GET", "POST"])


if __name__ == "__main__":
    app.run(port=8000)
