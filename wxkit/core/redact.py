"""Secret redaction, one list for every platform: URLs in errors and logs, and the HTTP libraries' DEBUG lines.

WeChat puts credentials in query strings: access tokens, the app secret on
``/cgi-bin/token``, WeCom's ``corpsecret``, a group robot's webhook ``key``,
a mini program's ``js_code`` ... :data:`SECRET_PARAMS` names them all, and
:func:`register_secret_params` lets a platform module add its own, so that
:func:`redact_url`, :func:`redact_text` and :class:`RedactSecretsFilter`
(installed on urllib3's and httpx's loggers, whose DEBUG lines carry full
request URLs) always agree. Nothing here imports an HTTP library.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

__all__ = ["RedactSecretsFilter", "SECRET_PARAMS", "redact_text", "redact_url", "register_secret_params"]

#: Query / form parameter names whose values are secrets (read-only view; extend with :func:`register_secret_params`).
SECRET_PARAMS: frozenset[str] = frozenset(
    {
        "access_token",
        "secret",
        "appsecret",
        "corpsecret",
        "provider_secret",
        "suite_secret",
        "component_appsecret",
        "component_access_token",
        "suite_access_token",
        "provider_access_token",
        "authorizer_access_token",
        "authorizer_refresh_token",
        "component_verify_ticket",
        "suite_ticket",
        "pre_auth_code",
        "auth_code",
        "permanent_code",
        "code",
        "js_code",
        "session_key",
        "refresh_token",
        "key",
        "ticket",
        "bot_token",
    }
)
_lock = threading.Lock()
_pattern = re.compile("")  # set by _compile()


def _compile() -> None:
    global _pattern
    names = "|".join(sorted(SECRET_PARAMS, key=len, reverse=True))
    _pattern = re.compile(r"(?<![A-Za-z0-9_])(" + names + r")=[^&\s\"']*")


_compile()


def register_secret_params(*names: str) -> None:
    """Add query-parameter names whose values are secrets (a platform module calls this once at import)."""
    global SECRET_PARAMS
    with _lock:
        SECRET_PARAMS = SECRET_PARAMS | frozenset(names)
        _compile()


def redact_text(text: str) -> str:
    """``text`` with the value of every ``name=value`` pair of a secret parameter replaced by ``***``."""
    return _pattern.sub(r"\1=***", text)


def redact_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """``url`` (secrets in its own query masked) with ``params`` appended minus secrets."""
    safe = {k: v for k, v in (params or {}).items() if k not in SECRET_PARAMS and v is not None}
    url = redact_text(url) if "?" in url else url
    if not safe:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(safe)}"


class RedactSecretsFilter(logging.Filter):
    """A logging filter that masks secret query parameters (:data:`SECRET_PARAMS`) in log records.

    wxkit installs it on urllib3's connection-pool logger and on httpx's and
    httpcore's loggers, whose DEBUG lines carry full request URLs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and arguments; always keep the record."""
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_text(a) if isinstance(a, str) else _redact_obj(a) for a in record.args)
        return True


def _redact_obj(value: Any) -> Any:
    """Httpx logs ``URL`` objects; turn anything whose text carries a secret into redacted text."""
    if isinstance(value, (int, float, bytes)) or value is None:
        return value
    text = str(value)
    redacted = redact_text(text)
    return redacted if redacted != text else value


for _name in ("urllib3.connectionpool", "httpx", "httpcore", "httpcore.http11", "httpcore.connection"):
    logging.getLogger(_name).addFilter(RedactSecretsFilter())
