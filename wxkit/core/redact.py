"""Secret redaction, one list for every platform: URLs in errors and logs, and the HTTP libraries' DEBUG lines.

WeChat puts credentials in query strings: access tokens, the app secret on
``/cgi-bin/token``, WeCom's ``corpsecret``, a group robot's webhook ``key``,
a mini program's ``js_code`` ... :data:`SECRET_PARAMS` names them all, and
:func:`register_secret_params` lets a platform module add its own, so that
:func:`redact_url`, :func:`redact_text` and :class:`RedactSecretsFilter`
(installed on every logger of :data:`HTTP_LOGGERS`: urllib3's, httpx's and
httpcore's, whose DEBUG lines carry full request URLs) always agree. Every
wxkit path that shows a URL goes through them: the sync and async transports,
the token providers, web OAuth, the API groups' errors. Nothing here imports
an HTTP library.

:data:`SECRET_PARAMS` is replaced (not mutated) by
:func:`register_secret_params`: read it as ``wxkit.core.redact.SECRET_PARAMS``,
not through a ``from ... import`` copy taken before a platform registered its
names.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ..errors import ConfigError

__all__ = [
    "HTTP_LOGGERS",
    "RedactSecretsFilter",
    "SECRET_PARAMS",
    "redact_text",
    "redact_url",
    "register_secret_params",
]

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
_NAME = re.compile(r"[^=&?#\s\"']+")
_pattern = re.compile("")  # set by _compile()


def _compile() -> None:
    global _pattern
    names = "|".join(re.escape(n) for n in sorted(SECRET_PARAMS, key=len, reverse=True))
    _pattern = re.compile(r"(?<![A-Za-z0-9_])(" + names + r")=[^&\s\"']*")


_compile()


def register_secret_params(*names: str) -> None:
    """Add query-parameter names whose values are secrets (a platform module calls this once at import).

    From then on :func:`redact_url`, :func:`redact_text` and every
    :class:`RedactSecretsFilter` mask them too. A name must be a non-empty
    ``str`` without ``=``, ``&``, ``?`` or whitespace (else ``ConfigError``).
    """
    global SECRET_PARAMS
    for name in names:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"a secret parameter name must be a non-empty query name, not {name!r}")
    with _lock:
        SECRET_PARAMS = SECRET_PARAMS | frozenset(names)
        _compile()


def redact_text(text: str) -> str:
    """``text`` with the value of every ``name=value`` pair of a secret parameter replaced by ``***``."""
    return _pattern.sub(r"\1=***", text)


def redact_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """``url`` (secrets in its own query masked) with ``params`` appended minus secrets: the URL errors show."""
    safe = {k: v for k, v in (params or {}).items() if k not in SECRET_PARAMS and v is not None}
    url = redact_text(url) if "?" in url else url
    if not safe:
        return url
    # For display only: a value that is not valid text (a lone surrogate) is shown escaped, never a crash.
    return f"{url}{'&' if '?' in url else '?'}{urlencode(safe, errors='backslashreplace')}"


class RedactSecretsFilter(logging.Filter):
    """A logging filter that masks secret query parameters (:data:`SECRET_PARAMS`) in log records.

    wxkit installs it on every logger of :data:`HTTP_LOGGERS` (urllib3's,
    httpx's and httpcore's, whose lines carry full request URLs). It never
    drops a record, and never raises.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and arguments (a tuple or a mapping); always keep the record."""
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        else:
            record.msg = _redact_obj(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_obj(a) for a in record.args)
        elif isinstance(record.args, Mapping):  # logger.debug("%(url)s", {"url": ...})
            record.args = {k: _redact_obj(v) for k, v in record.args.items()}
        return True


def _redact_obj(value: Any) -> Any:
    """``value``, or its redacted text when its text carries a secret (httpx logs ``URL`` objects, urllib3 bytes)."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, str):
        return redact_text(value)
    try:
        text = value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)
    except Exception:  # noqa: BLE001 - an object whose str() fails: logging reports it as it would have
        return value
    redacted = redact_text(text)
    return redacted if redacted != text else value


#: The loggers whose records carry request URLs: urllib3's (request lines, retries, header-parsing
#: warnings, redirects) and httpx's / httpcore's. A logger's filter sees only the records logged on that
#: very logger, not its children's, so each one is named.
HTTP_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

for _name in HTTP_LOGGERS:
    logging.getLogger(_name).addFilter(RedactSecretsFilter())
