"""The HTTP layer under :class:`wxkit.Client`: one session, timeouts, safe retries, errcodes.

Rules (see docs/client.md):

* one :class:`requests.Session` per client, keep-alive, a default
  ``(connect, read)`` timeout on every call, overridable per client and per call;
* a request is prepared once (JSON encoded once, UTF-8, no ASCII escaping) and
  re-sent only where that cannot duplicate an effect: connect failures before
  anything was sent (any method), and for idempotent calls (GETs, token fetches,
  reads marked ``idempotent=True``) timeouts, dropped connections, HTTP 5xx and
  errcode -1 "system busy";
* network failures are :class:`~wxkit.errors.TransportError`, non-zero errcodes
  :class:`~wxkit.errors.APIError` subclasses; URLs in errors and logs have
  ``access_token`` and ``secret`` removed.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
import requests.adapters
import urllib3.exceptions

from ..errors import TransportError, api_error

__all__ = [
    "DEFAULT_TIMEOUT",
    "HTTPClient",
    "RedactSecretsFilter",
    "Timeout",
    "check_errcode",
    "dump_json",
    "redact_url",
]

logger = logging.getLogger("wxkit.client")

#: ``(connect, read)`` seconds, or one number for both.
Timeout = float | tuple[float, float]
#: The default timeout: 3.05 s to connect, 10 s to read.
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
_SECRET_PARAMS = frozenset(
    {"access_token", "secret", "component_access_token", "suite_access_token", "code", "refresh_token"}
)


_SECRET_IN_TEXT = re.compile(r"\b(" + "|".join(sorted(_SECRET_PARAMS)) + r")=[^&\s\"']*")


class RedactSecretsFilter(logging.Filter):
    """A logging filter that masks ``access_token=...`` / ``secret=...`` in log records.

    wxkit installs it on urllib3's connection-pool logger, whose DEBUG lines
    carry full request URLs (WeChat puts tokens and, for ``/cgi-bin/token``,
    the app secret in the query string).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and arguments; always keep the record."""
        if isinstance(record.msg, str):
            record.msg = _SECRET_IN_TEXT.sub(r"\1=***", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_SECRET_IN_TEXT.sub(r"\1=***", a) if isinstance(a, str) else a for a in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(RedactSecretsFilter())


def dump_json(payload: Any) -> bytes:
    """Encode ``payload`` once as compact UTF-8 JSON without ASCII escaping (WeChat wants real UTF-8)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def redact_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """Return ``url`` with ``params`` appended minus secrets (``access_token``, ``secret``)."""
    safe = {k: v for k, v in (params or {}).items() if k not in _SECRET_PARAMS and v is not None}
    return f"{url}?{urlencode(safe)}" if safe else url


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the failure happened before any byte of the request left this machine."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = exc.args[0]
        reason = getattr(reason, "reason", reason)  # urllib3 MaxRetryError wraps the cause
        return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))
    return False


class HTTPClient:
    """Sends requests to one base URL with wxkit's timeout, retry and error rules.

    ``session`` may be supplied (its adapters are kept); otherwise one is made
    with a keep-alive pool. ``sleep`` is injectable for tests.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        # Proxy / CA settings from the environment, resolved once per origin (requests would
        # redo it on every call), then passed to every send.
        self._env: dict[str, dict[str, Any]] = {}
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"HTTPClient(base_url={self.base_url!r})"

    def pause(self, attempt: int) -> None:
        """Sleep the backoff before re-send number ``attempt`` (1-based, exponential)."""
        self._sleep(self.backoff * 2 ** (attempt - 1))

    def url(self, path: str) -> str:
        """Absolute URL of an API path (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request (re-sent only where safe) and return the response.

        ``json_body`` is encoded once with :func:`dump_json`. ``idempotent``
        defaults to ``True`` for GET and ``False`` otherwise. Raises
        :class:`~wxkit.errors.TransportError` on network failures and HTTP 5xx.
        """
        method = method.upper()
        url = self.url(path)
        hdrs = dict(headers or {})
        if json_body is not None:
            data = dump_json(json_body)
            hdrs.setdefault("Content-Type", "application/json; charset=utf-8")
        request = requests.Request(method, url, params=dict(params or {}), data=data, files=files, headers=hdrs)
        prepared = self.session.prepare_request(request)
        safe_url = redact_url(url, params)
        origin = url.split("/", 3)[2] if "://" in url else url
        env = self._env.get(origin)
        if env is None:
            # A session's own CA bundle (or False) wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE,
            # which requests would otherwise let override it; True leaves the environment's say.
            verify = None if self.session.verify is True else self.session.verify
            settings = self.session.merge_environment_settings(url, {}, None, verify, None)
            env = {k: v for k, v in dict(settings).items() if k != "stream"}
            self._env[origin] = env
        retry_all = (method == "GET") if idempotent is None else idempotent
        wait = timeout if timeout is not None else self.timeout
        attempt = 0
        while True:
            try:
                response = self.session.send(prepared, timeout=wait, stream=stream, allow_redirects=False, **env)
            except requests.RequestException as exc:
                never_sent = _never_sent(exc)
                if (never_sent or retry_all) and attempt < self.max_retries:
                    attempt += 1
                    logger.info("retrying %s %s after %s", method, safe_url, type(exc).__name__)
                    self.pause(attempt)
                    continue
                kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
                raise TransportError(
                    f"{method} {safe_url} {kind}: {type(exc).__name__}", method=method, url=safe_url
                ) from None
            if response.status_code >= 500:
                if retry_all and attempt < self.max_retries:
                    response.close()
                    attempt += 1
                    logger.info("retrying %s %s after HTTP %s", method, safe_url, response.status_code)
                    self.pause(attempt)
                    continue
                raise TransportError(
                    f"{method} {safe_url} answered HTTP {response.status_code}", method=method, url=safe_url
                )
            return response

    def decode(self, response: requests.Response, *, method: str, safe_url: str) -> dict[str, Any]:
        """Decode a JSON body and raise the :class:`~wxkit.errors.APIError` for a non-zero errcode."""
        try:
            data = json.loads(response.content)
        except ValueError:
            raise TransportError(
                f"{method} {safe_url} answered HTTP {response.status_code} with a body that is not JSON",
                method=method,
                url=safe_url,
            ) from None
        if not isinstance(data, dict):
            raise TransportError(
                f"{method} {safe_url} answered JSON that is not an object", method=method, url=safe_url
            )
        check_errcode(data, method=method, url=safe_url)
        return data


def check_errcode(data: dict[str, Any], *, method: str, url: str) -> None:
    """Raise the :class:`~wxkit.errors.APIError` subclass for a non-zero ``errcode`` in ``data``."""
    errcode = data.get("errcode")
    if errcode in (None, 0, "0"):
        return
    try:
        code = int(errcode)
    except (TypeError, ValueError):
        code = -2
    if code == 0:
        return
    raise api_error(code, str(data.get("errmsg", "")), method=method, url=url, response=data)
