"""Property tests: nothing a client sends makes handle() raise or answer 5xx."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxkit import WxApplication
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.work import WorkApplication
from wxkit.xmlcodec import parse_xml

TOKEN = "fuzz-token"
APP_ID = "wxfuzz0000000001"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
NOW = 1_700_000_000


class Bot(WxApplication):
    def on_text(self, msg):  # type: ignore[no-untyped-def]
        return msg.content

    def on_default(self, msg):  # type: ignore[no-untyped-def]
        return "ok"


BOT = Bot(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW)
PLAIN_BOT = Bot(token=TOKEN, clock=lambda: NOW)
WORK = WorkApplication(token=TOKEN, corp_id="wwfuzz", aes_key=AES_KEY, clock=lambda: NOW)
CRYPTO = MessageCrypto(TOKEN, AES_KEY, APP_ID)

_param_names = st.sampled_from(
    ["signature", "msg_signature", "timestamp", "nonce", "echostr", "encrypt_type", "openid", "x"]
)
#: Text that often holds a lone surrogate ("\ud800": a str can hold it, UTF-8 cannot encode it).
_text = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=50)
_params = st.dictionaries(_param_names, st.one_of(_text, st.lists(_text, max_size=3)))
_methods = st.sampled_from(["GET", "POST", "PUT", "get", "", "DELETE"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_methods, _params, st.one_of(st.none(), st.binary(max_size=500), st.text(max_size=500), _text))
def test_random_requests_never_raise_or_5xx(method: str, params: dict, body: bytes | str | None) -> None:  # type: ignore[type-arg]
    for app in (BOT, PLAIN_BOT, WORK):
        response = app.handle(method, params, body)
        assert 200 <= response.status < 500
        assert isinstance(response.body, str)
        response.body.encode("utf-8")  # what every adapter does with it


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_text, _text, st.one_of(st.none(), _text))
def test_signed_url_checks_and_pushes_with_any_text_never_raise_or_5xx(
    nonce: str, echostr: str, body: str | None
) -> None:
    """Correctly signed requests whose nonce, echostr or body hold any text, lone surrogates included."""
    ts = str(NOW)
    params = {"signature": sha1_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echostr}
    for app in (PLAIN_BOT, BOT):
        response = app.handle("GET" if body is None else "POST", params, body)
        assert 200 <= response.status < 500
        response.body.encode("utf-8")


_xmlish = st.lists(
    st.sampled_from(
        [
            "<xml>",
            "</xml>",
            "<MsgType>",
            "</MsgType>",
            "text",
            "event",
            "<Event>",
            "</Event>",
            "<Content>",
            "</Content>",
            "<![CDATA[",
            "]]>",
            "&amp;",
            "&x;",
            "<CreateTime>",
            "</CreateTime>",
            "123",
            "<a>",
            "</a>",
            "<MsgId>",
            "</MsgId>",
            "\x00",
            "é",
            " ",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_xmlish)
def test_signed_xml_soup_never_raises_or_5xx(xml: str) -> None:
    """Correctly signed plaintext and safe-mode pushes with arbitrary XML-ish bodies."""
    ts, nonce = str(NOW), "n"
    plain_params = {"signature": sha1_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    assert PLAIN_BOT.handle("POST", plain_params, xml).status in (200, 400)
    assert BOT.handle("POST", plain_params, xml).status == 403  # no plaintext downgrade
    enc = CRYPTO.encrypt(xml)
    safe_params = {**plain_params, "encrypt_type": "aes", "msg_signature": sha1_signature(TOKEN, ts, nonce, enc)}
    body = f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    assert BOT.handle("POST", safe_params, body).status in (200, 400)


# -- handle_async answers exactly what handle answers --------------------------------------------
class PlainBot(WxApplication):
    """Plain handlers covering every answer: a reply, "success", a raising handler, a bad result type."""

    def on_text(self, msg):  # type: ignore[no-untyped-def]
        if "boom" in msg.content:
            raise RuntimeError("handler failed")
        if "bad" in msg.content:
            return 42  # not a reply: goes to on_error
        return msg.content

    def on_subscribe(self, event):  # type: ignore[no-untyped-def]
        return None


class PlainWork(WorkApplication):
    def on_text(self, msg):  # type: ignore[no-untyped-def]
        return f"work {msg.content}"


WORK_CRYPTO = MessageCrypto(TOKEN, AES_KEY, "wwfuzz")


def _apps(handlers_block: bool) -> list[tuple[str, object]]:
    """Fresh applications (their own replay storage): (kind, app) for the safe, plain and WeCom flavours."""
    apps = [
        ("safe", PlainBot(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, clock=lambda: NOW)),
        ("plain", PlainBot(token=TOKEN, clock=lambda: NOW)),
        ("work", PlainWork(token=TOKEN, corp_id="wwfuzz", aes_key=AES_KEY, clock=lambda: NOW)),
    ]
    for _, app in apps:
        app.handlers_block = handlers_block  # type: ignore[attr-defined]
    return apps


def _push_xml(kind: str, content: str, msg_id: int) -> str:
    head = f"<xml><ToUserName>gh_a</ToUserName><FromUserName>o_u</FromUserName><CreateTime>{NOW}</CreateTime>"
    if kind == "text":
        return f"{head}<MsgType>text</MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    if kind == "subscribe":
        return f"{head}<MsgType>event</MsgType><Event>subscribe</Event></xml>"
    return f"{head}<MsgType>{kind}</MsgType><MsgId>{msg_id}</MsgId></xml>"


@st.composite
def _signed_push(draw: st.DrawFn) -> tuple[str, dict[str, str], str]:
    """A push signed for one flavour (sometimes stale or wrongly signed): ``(method, params, body)``."""
    xml = _push_xml(
        draw(st.sampled_from(["text", "subscribe", "hologram"])),
        draw(st.sampled_from(["hi", "boom", "bad", "]]>", "é"]) | st.text(max_size=20)),
        draw(st.integers(1, 4)),  # a small range: repeated pushes are WeChat's retries
    )
    ts = str(NOW - draw(st.sampled_from([0, 0, 0, 1000])))
    nonce = draw(st.sampled_from(["n", "m"]))
    mode = draw(st.sampled_from(["plain", "safe", "work", "forged"]))
    if mode in ("plain", "forged"):
        secret = TOKEN if mode == "plain" else "not-the-token"
        return "POST", {"signature": sha1_signature(secret, ts, nonce), "timestamp": ts, "nonce": nonce}, xml
    crypto = CRYPTO if mode == "safe" else WORK_CRYPTO
    enc = crypto.encrypt(xml)
    params = {"timestamp": ts, "nonce": nonce, "msg_signature": sha1_signature(TOKEN, ts, nonce, enc)}
    if mode == "safe":
        params["encrypt_type"] = "aes"
    return "POST", params, f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"


_random_request = st.tuples(_methods, _params, st.one_of(st.none(), st.binary(max_size=200), _text, _xmlish))


def _normalized(kind: str, response: object) -> tuple[int, str, str]:
    """Status, content type and body, a safe-mode reply decrypted (its nonce and signature are random)."""
    status, body, content_type = response.status, response.body, response.content_type  # type: ignore[attr-defined]
    if status == 200 and "<Encrypt>" in body:
        body = (WORK_CRYPTO if kind == "work" else CRYPTO).decrypt(parse_xml(body)["Encrypt"])
    return status, content_type, body


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_signed_push(), _signed_push(), _random_request), min_size=1, max_size=5), st.booleans())
def test_handle_async_answers_what_handle_answers(requests: list, handlers_block: bool) -> None:  # type: ignore[type-arg]
    """Same status, content type and (decrypted) body, request after request (the replay guard's state too)."""
    sync_apps, async_apps = _apps(handlers_block), _apps(handlers_block)

    async def answers() -> list[tuple[int, str, str]]:
        return [
            _normalized(kind, await app.handle_async(*request))  # type: ignore[attr-defined]
            for request in requests
            for kind, app in async_apps
        ]

    expected = [_normalized(kind, app.handle(*request)) for request in requests for kind, app in sync_apps]  # type: ignore[attr-defined]
    assert asyncio.run(answers()) == expected


# -- the sync direct path answers what the flow answers ---------------------------------------------
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_signed_push(), _signed_push(), _random_request), min_size=1, max_size=5))
def test_the_sync_direct_path_answers_what_the_flow_answers(requests: list) -> None:  # type: ignore[type-arg]
    """handle() runs plain calls (_push_direct) unless observers are registered (the flow, run_sync)."""
    direct, flowed = _apps(True), _apps(True)
    records: list[object] = []
    for _, app in flowed:
        app.add_observer(records.append)  # type: ignore[attr-defined]
    expected = [_normalized(kind, app.handle(*request)) for request in requests for kind, app in flowed]  # type: ignore[attr-defined]
    assert [_normalized(kind, app.handle(*request)) for request in requests for kind, app in direct] == expected  # type: ignore[attr-defined]
    if any(
        method.upper() == "POST" and status == 200
        for (method, _, _), (status, _, _) in zip(requests, expected[::3], strict=True)
    ):
        assert records  # the observed apps really ran the flow


def test_an_empty_encrypt_is_a_400_in_either_type() -> None:
    ts, nonce = str(NOW), "n"
    params = {
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sha1_signature(TOKEN, ts, nonce, ""),
    }
    for body in ("<xml><Encrypt><![CDATA[]]></Encrypt></xml>", b"<xml><Encrypt><![CDATA[]]></Encrypt></xml>"):
        response = BOT.handle("POST", params, body)
        assert (response.status, response.body) == (400, "missing <Encrypt> in a safe-mode push")
