"""wxkit.core.redact: one list of secret parameters, and every redactor follows it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from wxkit.core import redact
from wxkit.core.redact import RedactSecretsFilter, redact_text, redact_url, register_secret_params
from wxkit.errors import ConfigError

#: The names issue 7 listed as leaking, plus the official account's own: all must be in the one list.
NAMED = (
    "access_token",
    "secret",
    "code",
    "refresh_token",
    "corpsecret",
    "key",
    "js_code",
    "session_key",
    "component_verify_ticket",
    "authorizer_refresh_token",
    "pre_auth_code",
)
VALUE = "V4LUE-0f-the-s3cret"


@pytest.fixture
def restore_params() -> Iterator[None]:
    """Undo :func:`register_secret_params` after the test (the list is process-wide)."""
    saved = redact.SECRET_PARAMS
    yield
    redact.SECRET_PARAMS = saved
    redact._compile()


def _record(msg: object, args: object) -> logging.LogRecord:
    return logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1, msg, args, None)  # type: ignore[arg-type]


def _filtered(record: logging.LogRecord) -> str:
    assert RedactSecretsFilter().filter(record) is True  # masks, never drops
    return f"{record.getMessage()} {record.msg!r} {record.args!r}"


def test_every_named_secret_is_in_the_one_list() -> None:
    assert set(NAMED) <= redact.SECRET_PARAMS


@pytest.mark.parametrize("name", sorted(redact.SECRET_PARAMS))
def test_redact_url_masks_every_secret_param(name: str) -> None:
    own_query = redact_url(f"https://api.weixin.qq.com/cgi-bin/x?openid=o_1&{name}={VALUE}&lang=en")
    assert VALUE not in own_query
    assert f"{name}=***" in own_query
    assert "openid=o_1" in own_query
    assert own_query.endswith("lang=en")
    appended = redact_url("https://api.weixin.qq.com/cgi-bin/x", {name: VALUE, "openid": "o_1"})
    assert VALUE not in appended
    assert appended == "https://api.weixin.qq.com/cgi-bin/x?openid=o_1"


@pytest.mark.parametrize("name", sorted(redact.SECRET_PARAMS))
def test_redact_text_masks_every_secret_param(name: str) -> None:
    line = f'http://127.0.0.1:80 "GET /cgi-bin/x?{name}={VALUE}&a=1 HTTP/1.1" 200 12'
    assert redact_text(line) == f'http://127.0.0.1:80 "GET /cgi-bin/x?{name}=***&a=1 HTTP/1.1" 200 12'
    assert VALUE not in redact_text(f"'{name}={VALUE}'")  # a repr: stops at the quote


@pytest.mark.parametrize("name", sorted(redact.SECRET_PARAMS))
def test_the_log_filter_masks_every_secret_param(name: str) -> None:
    url = f"/cgi-bin/x?{name}={VALUE}"
    in_msg = _filtered(_record(f"GET {url}", None))
    as_str = _filtered(_record("%s %s", ("GET", url)))
    as_url = _filtered(_record("%s %s", ("GET", httpx.URL(f"http://127.0.0.1{url}"))))  # httpx logs URL objects
    as_bytes = _filtered(_record("%s %r", ("GET", url.encode())))
    as_mapping = _filtered(_record("%(method)s %(url)s", {"method": "GET", "url": url}))
    for text in (in_msg, as_str, as_url, as_bytes, as_mapping):
        assert VALUE not in text
        assert f"{name}=***" in text


def test_redact_url_never_crashes_on_a_value_that_is_not_text() -> None:
    # A lone surrogate cannot be encoded: the transport refuses the call with a TransportError, and the URL
    # naming it in that error must still be built (it raised UnicodeEncodeError out of Client.get).
    assert redact_url("https://x/p", {"a": "\ud800", "secret": "\ud800"}) == "https://x/p?a=%5Cud800"


def test_lookalike_names_are_left_alone() -> None:
    text = "errcode=40001&qrcode=q1&event_key=k1&monkey=m1&ticketing=t1&secretary=s1"
    assert redact_text(text) == text
    assert redact_url(f"https://x/p?{text}") == f"https://x/p?{text}"


def test_the_filter_leaves_other_records_and_values_alone() -> None:
    record = _record("%s %d %s", ("GET", 200, None))
    assert RedactSecretsFilter().filter(record)
    assert record.args == ("GET", 200, None)
    url = httpx.URL("http://127.0.0.1/cgi-bin/x?openid=o_1")
    record = _record("%s", (url,))
    RedactSecretsFilter().filter(record)
    assert record.args == (url,)  # nothing to mask: the object is kept as it is


class _BadStr:
    def __str__(self) -> str:
        raise RuntimeError("no text")


def test_the_filter_never_raises() -> None:
    bad = _BadStr()
    record = _record("%s", (bad,))
    assert RedactSecretsFilter().filter(record)
    assert record.args == (bad,)


def test_the_filter_is_on_every_http_logger() -> None:
    for name in (
        "urllib3.connectionpool",
        "urllib3.connection",
        "urllib3.util.retry",
        "urllib3.poolmanager",
        "httpx",
        "httpcore.http11",
        "httpcore.connection",
    ):
        assert name in redact.HTTP_LOGGERS
        assert any(isinstance(f, RedactSecretsFilter) for f in logging.getLogger(name).filters), name


@pytest.mark.usefixtures("restore_params")
def test_register_secret_params_extends_all_three() -> None:
    name = "wxkit_test_robot_key"
    url = f"https://x/p?{name}={VALUE}&a=1"
    assert VALUE in redact_url(url)
    assert VALUE in redact_text(url)
    assert VALUE in _filtered(_record("%s", (url,)))
    register_secret_params(name, "wxkit.test[odd]")  # regex characters are names, not patterns
    assert name in redact.SECRET_PARAMS
    assert "wxkit.test[odd]" in redact.SECRET_PARAMS
    assert VALUE not in redact_url(url)
    assert VALUE not in redact_url("https://x/p", {name: VALUE})
    assert VALUE not in redact_text(url)
    assert VALUE not in _filtered(_record("%s", (url,)))
    assert VALUE not in _filtered(_record(url, None))
    assert redact_text("wxkitXtest[odd]=1") == "wxkitXtest[odd]=1"  # the dot is not "any character"
    assert redact_text(f"wxkit.test[odd]={VALUE}") == "wxkit.test[odd]=***"
    # the filters installed at import (on urllib3's loggers) follow the new list too
    logger_filter = next(f for f in logging.getLogger("urllib3.connectionpool").filters)
    record = _record("%s", (url,))
    logger_filter.filter(record)
    assert VALUE not in record.getMessage()


@pytest.mark.usefixtures("restore_params")
@pytest.mark.parametrize("bad", ["", "a=b", "a&b", "a b", "a?", 7, None])
def test_register_secret_params_refuses_names_that_are_not_names(bad: object) -> None:
    before = redact.SECRET_PARAMS
    with pytest.raises(ConfigError):
        register_secret_params(bad)  # type: ignore[arg-type]
    assert before == redact.SECRET_PARAMS
    assert redact_text("x=1 =2") == "x=1 =2"
