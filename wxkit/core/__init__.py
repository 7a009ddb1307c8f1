"""The client core every platform shares: HTTP (sync and async), tokens, the API-group base, redaction.

A platform client (official account, mini program, WeCom, the open
platform's authorizers) is a small class on this core: a base URL, a token
provider and its API groups. Endpoints are written once, as ``async def`` in
``_async`` packages; the sync twins are generated from them
(:mod:`wxkit._unasync`). See docs/sync-async.md.

* :mod:`wxkit.core.http` / :mod:`wxkit.core.ahttp`: the transports
  (``requests`` / ``httpx``) with the same rules;
* :mod:`wxkit.core.http_rules`: what both share (timeouts, bounds, errcodes);
* :mod:`wxkit.core.redact`: the one list of secret parameters;
* :mod:`wxkit.core.cache`, :mod:`wxkit.core.token`: cached credentials and
  the token providers; :mod:`wxkit.core.base`: ``BaseAPI``;
  :mod:`wxkit.core.client`: ``BaseClient`` (``get`` / ``post`` with the token
  rules).
"""

__all__: list[str] = []
