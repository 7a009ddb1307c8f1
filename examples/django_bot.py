"""An echo bot in a single-file Django project, served at ``/wechat``.

Run from the repository root (``pip install django`` and wxkit, e.g.
``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/django_bot.py runserver 8000

and configure ``http://<your host>:8000/wechat`` as the server URL of your
official account. Any other ``manage.py`` command works too
(``python examples/django_bot.py check``).

The bot is ``EchoBot`` of ``examples/echo_bot.py`` (what ``wxkit demo`` serves),
configured from ``WXKIT_TOKEN`` / ``WXKIT_APP_ID`` / ``WXKIT_AES_KEY`` (demo values when unset).

``DJANGO_ALLOWED_HOSTS``: comma-separated host names to serve (default
``localhost,127.0.0.1``); add the public host name WeChat calls.
"""

from __future__ import annotations

import os
import secrets
import sys

from django.conf import settings
from django.core.management import execute_from_command_line
from django.urls import path
from echo_bot import EchoBot

from wxkit.adapters.django import make_view

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(32),  # nothing here is signed: sessions and auth are not used
    ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],  # the wxkit view is CSRF-exempt
)

bot = EchoBot()

urlpatterns = [path("wechat", make_view(bot))]


if __name__ == "__main__":
    execute_from_command_line(sys.argv)
