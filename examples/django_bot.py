"""An echo bot in a single-file Django project, served at ``/wechat``.

Run from the repository root (``pip install django`` and wxkit, e.g.
``pip install -e .``)::

    WXKIT_TOKEN=my-token python examples/django_bot.py runserver 8000

and configure ``http://<your host>:8000/wechat`` as the server URL of your
official account. Any other ``manage.py`` command works too
(``python examples/django_bot.py check``).

Environment variables:

``WXKIT_TOKEN``
    the callback token (default ``wxkit-example-token``).
``WXKIT_APP_ID``
    the account's app id (needed with ``WXKIT_AES_KEY``).
``WXKIT_AES_KEY``
    the EncodingAESKey; set it for safe / compatible mode, leave it unset for
    plaintext mode.
``DJANGO_ALLOWED_HOSTS``
    comma-separated host names to serve (default ``localhost,127.0.0.1``);
    add the public host name WeChat calls.
"""

from __future__ import annotations

import os
import secrets
import sys

from django.conf import settings
from django.core.management import execute_from_command_line
from django.urls import path

from wxkit import WxApplication
from wxkit.adapters.django import make_view
from wxkit.events import SubscribeEvent
from wxkit.messages import TextMessage

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(32),  # nothing here is signed: sessions and auth are not used
    ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],  # the wxkit view is CSRF-exempt
)


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

urlpatterns = [path("wechat", make_view(bot))]


if __name__ == "__main__":
    execute_from_command_line(sys.argv)
