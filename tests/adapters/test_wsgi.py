"""The WSGI adapter, called directly with wsgiref's test environ (and PEP 3333 validation)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlencode
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wxkit.adapters.wsgi import _query_params, make_wsgi_app

from .conftest import AdapterContract


def call(app, method, params=None, body=None, **environ):
    """Call a WSGI app; return (status line, headers dict, body bytes)."""
    env = {"REQUEST_METHOD": method, "QUERY_STRING": urlencode(params or {})}
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        env["wsgi.input"] = io.BytesIO(data)
        env["CONTENT_LENGTH"] = str(len(data))
    env.update(environ)
    setup_testing_defaults(env)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    result = app(env, start_response)
    try:
        payload = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    assert started["headers"]["Content-Length"] == str(len(payload))
    return started["status"], started["headers"], payload


@pytest.fixture
def send(bot, work_bot, pushes):
    def send(method, params=None, body=None, path="/wechat"):
        app = work_bot if path == "/work" else bot
        status, headers, payload = call(validator(make_wsgi_app(app)), method, params, body)
        return pushes.result(int(status.split()[0]), headers.get("Content-Type"), payload.decode())

    return send


class TestContract(AdapterContract):
    """The checks every adapter passes (see ``conftest.py``)."""

    def test_wrong_signature_is_403(self, send, pushes):
        super().test_wrong_signature_is_403(send, pushes)
        params = pushes.url_check()
        params["signature"] = "bad"
        assert send("GET", params).status == 403


def test_put_is_405(send, bot, pushes):
    status, headers, _ = call(make_wsgi_app(bot), "PUT", pushes.signed(), "<xml/>")
    assert status.startswith("405 ")
    assert headers["Allow"] == "GET, POST"


# -- WSGI-specific body handling ------------------------------------------


class _Unreadable(io.RawIOBase):
    def read(self, size=-1):
        raise AssertionError("the body must not be read")


def test_declared_length_over_limit_is_413_without_reading(bot, pushes):
    env = {"wsgi.input": _Unreadable(), "CONTENT_LENGTH": "999999999"}
    status, _, _ = call(make_wsgi_app(bot), "POST", pushes.signed(), **env)
    assert status.startswith("413 ")


@pytest.mark.parametrize("length", ["abc", "-5", "1_0", "12 34", "²"])
def test_bad_content_length_is_400(bot, pushes, length):
    params, body = pushes.plain()
    status, _, _ = call(make_wsgi_app(bot), "POST", params, body, CONTENT_LENGTH=length)
    assert status.startswith("400 ")


class _Chunked(io.RawIOBase):
    """An endless chunked body that counts what is read."""

    def __init__(self):
        self.consumed = 0

    def read(self, size=-1):
        assert size > 0, "read() without a size is not PEP 3333"
        self.consumed += size
        return b"x" * size


def test_chunked_body_read_only_up_to_limit(bot, pushes):
    stream = _Chunked()
    env = {"wsgi.input": stream, "wsgi.input_terminated": True, "CONTENT_LENGTH": ""}
    status, _, _ = call(make_wsgi_app(bot), "POST", pushes.signed(), **env)
    assert status.startswith("413 ")
    assert stream.consumed == bot.max_body_size + 1


def test_chunked_body_within_limit(send, bot, pushes):
    params, body = pushes.plain("chunked")
    env = {"wsgi.input": io.BytesIO(body.encode()), "wsgi.input_terminated": True, "CONTENT_LENGTH": ""}
    status, _, payload = call(make_wsgi_app(bot), "POST", params, **env)
    assert status.startswith("200 ")
    assert b"echo: chunked" in payload


def test_no_content_length_without_input_terminated_is_an_empty_body(bot, pushes):
    status, _, _ = call(make_wsgi_app(bot), "POST", pushes.signed(), **{"wsgi.input": _Unreadable()})
    assert status.startswith("400 ")  # empty body


def test_through_werkzeug_test_client(bot, pushes):
    werkzeug_test = pytest.importorskip("werkzeug.test")
    client = werkzeug_test.Client(make_wsgi_app(bot))
    params, body = pushes.plain("via werkzeug")
    response = client.post("/any/path", query_string=params, data=body)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    pushes.assert_echo(
        pushes.text_reply(pushes.result(200, response.content_type, response.get_data(as_text=True))),
        "echo: via werkzeug",
    )


# -- the query string fast path --------------------------------------------------------------------------
def _parse_qs_utf8(query):
    """What the adapter did before its fast path, for every query: transcode, then ``parse_qs``."""
    return parse_qs(query.encode("latin-1", "replace").decode("utf-8", "replace"), keep_blank_values=True)


@given(st.text(alphabet=st.sampled_from("ab=&%+;2F0 \x7f\xe9\xff"), max_size=40))
def test_query_params_equals_parse_qs(query):
    assert _query_params(query) == _parse_qs_utf8(query)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "signature=abc&timestamp=1&nonce=2&openid=o&encrypt_type=aes&msg_signature=def",
        "a=1&a=2&&b&c=&=d",
        "a=%E4%BD%A0&b=x+y",
        "echostr=\xe4\xbd\xa0",  # UTF-8 bytes as a PEP 3333 latin-1 native string
        "a=b=c",
    ],
)
def test_query_params_examples(query):
    assert _query_params(query) == _parse_qs_utf8(query)


class _Trickle(io.RawIOBase):
    """A request body arriving a few bytes per read (short reads, as a socket may give)."""

    def __init__(self, data, step=7):
        self.data, self.step = data, step

    def readable(self):
        return True

    def read(self, size=-1):
        chunk, self.data = self.data[: min(size, self.step)], self.data[min(size, self.step) :]
        return chunk


def test_declared_body_read_through_short_reads(bot, pushes):
    params, body = pushes.plain("trickled")
    data = body.encode()
    env = {"wsgi.input": _Trickle(data), "CONTENT_LENGTH": str(len(data))}
    status, _, payload = call(make_wsgi_app(bot), "POST", params, **env)
    assert status.startswith("200 ")
    assert b"echo: trickled" in payload
