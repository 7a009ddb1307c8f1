"""The official-account API clients: :class:`Client` (sync, ``requests``) and :class:`AsyncClient` (``httpx``).

::

    from wxkit import Client

    client = Client("wx...", "secret")
    client.template.send(openid, template_id, data={"thing1": {"value": "hi"}})
    client.get("/cgi-bin/get_api_domain_ip")          # any endpoint not wrapped yet

API groups are attributes named after WeChat's doc groups (``client.user``,
``client.tag``, ``client.menu`` ...). Every call adds the access token,
follows the HTTP rules of :mod:`wxkit.core.http`, and on a token error
(40001 / 40014 / 42001) drops the token only if it is still the one that
failed, fetches again and retries the call once.

Each endpoint is written once, as ``async def`` in ``wxkit/client/_async/``;
the sync modules beside it are generated (:mod:`wxkit._unasync`). Importing
this package never imports httpx (the async client imports it when made),
nor the async twins and ``asyncio``: ``AsyncClient`` loads them on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .client import DEFAULT_BASE_URL, Client

if TYPE_CHECKING:
    from ._async.client import AsyncClient
else:  # the async twins (and asyncio) load on first use of AsyncClient: a sync program never pays for them
    from .. import _lazy

    __getattr__, __dir__ = _lazy.attach(__name__, {"_async.client": ("AsyncClient",)})

__all__ = ["AsyncClient", "Client", "DEFAULT_BASE_URL"]
