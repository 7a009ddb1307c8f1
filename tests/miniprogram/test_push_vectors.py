"""WeChat's own mini-program push samples (tests/vectors/miniprogram_push.json), in both formats and all three modes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from Crypto.Cipher import AES

from wxkit import ParseError
from wxkit.crypto import MessageCrypto
from wxkit.miniprogram import messages as mp_messages
from wxkit.miniprogram.app import MiniProgramApplication, _seal_json
from wxkit.miniprogram.messages import MiniProgramUnknownEvent
from wxkit.replies import TransferCustomerServiceReply
from wxkit.testing.miniprogram_push import MODES, MiniProgramPusher
from wxkit.xmlcodec import parse_xml

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "miniprogram_push.json").read_text("utf-8")
)
CRYPTO = VECTORS["crypto"]
MESSAGES: dict[str, dict[str, Any]] = VECTORS["messages"]
TOKEN = "vector-token"
APP_ID = "wx_vector_app"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
NOW = 1_700_000_000.0
HANDLERS = sorted({v["handler"] for v in MESSAGES.values()})


def _recorder(name: str) -> Any:
    def handler(self: Any, msg: Any) -> None:
        self.seen.append((name, msg))

    return handler


class Recorder(MiniProgramApplication):
    """Records (handler name, message) for every push."""

    token = TOKEN
    app_id = APP_ID

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(clock=lambda: NOW, **kwargs)
        self.seen: list[tuple[str, Any]] = []

    locals().update({name: _recorder(name) for name in HANDLERS})


def _cases() -> list[tuple[str, str, str]]:
    return [(name, fmt, mode) for name, v in MESSAGES.items() for fmt in ("xml", "json") if fmt in v for mode in MODES]


@pytest.mark.parametrize(("name", "data_format", "mode"), _cases())
def test_every_documented_sample_parses_into_its_class_in_every_mode(name: str, data_format: str, mode: str) -> None:
    vector = MESSAGES[name]
    app = Recorder(aes_key=AES_KEY if mode != "plaintext" else None)
    keys = {"app_id": APP_ID, "aes_key": AES_KEY} if mode != "plaintext" else {}
    pusher = MiniProgramPusher(TOKEN, data_format=data_format, mode=mode, clock=lambda: NOW, **keys)
    reply = pusher.deliver(app, pusher.wrap(vector[data_format]))
    assert reply.is_success
    ((handler, msg),) = app.seen
    assert handler == vector["handler"]
    assert type(msg) is getattr(mp_messages, vector["class"])
    assert msg.data_format == data_format
    fields = vector.get("fields") or vector[f"fields_{data_format}"]
    for attr, expected in fields.items():
        assert getattr(msg, attr) == expected, attr
    if "items_xml" in vector:
        items = [{k: getattr(item, k) for k in vector[f"items_{data_format}"][0]} for item in msg.items]
        assert items == vector[f"items_{data_format}"]
    if "result" in vector:
        assert {"suggest": msg.result.suggest, "label": msg.result.label} == vector["result"]
        assert [{k: getattr(d, k) for k in vector["details"][0]} for d in msg.details] == vector["details"]


@pytest.mark.parametrize("name", [n for n, v in MESSAGES.items() if "json_as_documented" in v])
def test_a_sample_printed_with_a_trailing_comma_is_refused_not_guessed(name: str) -> None:
    pusher = MiniProgramPusher(TOKEN, clock=lambda: NOW)
    push = pusher.wrap(MESSAGES[name]["json_as_documented"], fields={})
    app = Recorder()
    with pytest.raises(ParseError, match="not JSON"):
        app.process(push.params, push.body)
    assert app.handle("POST", push.params, push.body).status == 400


# -- the worked example of the message-push page (Token AAAAA, JSON format) ---------------------
def _app(now: str, **kwargs: Any) -> Any:
    class Demo(MiniProgramApplication):
        seen: list[Any]

        def on_unknown(self, msg: Any) -> None:
            self.seen.append(msg)

    app = Demo(token=CRYPTO["token"], clock=lambda: float(now), **kwargs)
    app.seen = []
    return app


def test_url_check_sample() -> None:
    check = CRYPTO["url_check"]
    response = _app(check["query"]["timestamp"]).handle("GET", check["query"], None)
    assert (response.status, response.body) == (200, check["answer"])


def test_plaintext_push_sample() -> None:
    sample = CRYPTO["plaintext_push"]
    app = _app(sample["query"]["timestamp"])
    assert app.handle("POST", sample["query"], sample["body"].encode()).body == "success"
    (msg,) = app.seen
    assert isinstance(msg, MiniProgramUnknownEvent)
    assert msg.data_format == "json"
    assert {k: msg.raw[k] for k in sample["expected"]} == sample["expected"]


def test_safe_mode_push_sample() -> None:
    sample = CRYPTO["safe_push"]
    app = _app(sample["query"]["timestamp"], app_id=CRYPTO["appid"], aes_key=CRYPTO["encoding_aes_key"])
    assert app.handle("POST", sample["query"], sample["body"]).body == "success"
    (msg,) = app.seen
    assert (msg.event, msg.raw["debug_str"], msg.create_time) == ("debug_demo", "hello world", 1714112445)
    crypto = MessageCrypto(CRYPTO["token"], CRYPTO["encoding_aes_key"], CRYPTO["appid"])
    encrypted = json.loads(sample["body"])["Encrypt"]
    assert crypto.decrypt(encrypted) == sample["plaintext"]
    key = base64.b64decode(CRYPTO["encoding_aes_key"] + "=")
    full = AES.new(key, AES.MODE_CBC, key[:16]).decrypt(base64.b64decode(encrypted))
    assert full[:16].decode() == sample["random"]
    assert int.from_bytes(full[16:20], "big") == len(sample["plaintext"]) == 167


def test_safe_mode_sample_with_a_wrong_msg_signature_is_403() -> None:
    sample = CRYPTO["safe_push"]
    app = _app(sample["query"]["timestamp"], app_id=CRYPTO["appid"], aes_key=CRYPTO["encoding_aes_key"])
    query = {**sample["query"], "msg_signature": sample["query"]["signature"]}  # the docs: not `signature`
    assert app.handle("POST", query, sample["body"]).status == 403


def test_encrypted_reply_sample() -> None:
    sample = CRYPTO["encrypted_reply"]
    crypto = MessageCrypto(CRYPTO["token"], CRYPTO["encoding_aes_key"], CRYPTO["appid"])
    sealed = _seal_json(
        crypto,
        sample["plaintext"],
        timestamp=sample["timestamp"],
        nonce=sample["nonce"],
        random_prefix=sample["random"].encode(),
    )
    assert json.loads(sealed) == json.loads(sample["body"])
    assert json.loads(sealed)["MsgSignature"] == sample["msg_signature"]
    pusher = MiniProgramPusher(
        CRYPTO["token"], app_id=CRYPTO["appid"], aes_key=CRYPTO["encoding_aes_key"], data_format="json"
    )
    reply = pusher.read_reply(200, sample["body"])
    assert (reply.encrypted, reply.xml, reply.data) == (True, sample["plaintext"], {"demo_resp": "good luck"})


def test_transfer_reply_sample() -> None:
    sample = VECTORS["transfer_customer_service_reply"]
    fields = sample["fields"]
    documented = parse_xml(sample["xml"])
    ours = parse_xml(TransferCustomerServiceReply().render(fields["ToUserName"], fields["FromUserName"], 1399197672))
    assert documented == ours == fields
