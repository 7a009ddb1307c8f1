"""Property tests: nothing a client sends makes handle() raise or answer 5xx."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wxkit import WxApplication
from wxkit.crypto import MessageCrypto, sha1_signature
from wxkit.work import WorkApplication

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
_params = st.dictionaries(_param_names, st.one_of(st.text(max_size=50), st.lists(st.text(max_size=10), max_size=3)))
_methods = st.sampled_from(["GET", "POST", "PUT", "get", "", "DELETE"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_methods, _params, st.one_of(st.none(), st.binary(max_size=500), st.text(max_size=500)))
def test_random_requests_never_raise_or_5xx(method: str, params: dict, body: bytes | str | None) -> None:  # type: ignore[type-arg]
    for app in (BOT, WORK):
        response = app.handle(method, params, body)
        assert 200 <= response.status < 500
        assert isinstance(response.body, str)


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
