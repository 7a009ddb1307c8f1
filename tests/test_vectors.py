"""Every public vector under "messages" in tests/vectors/vectors.json (a copy of shared/vectors), by kind."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from wxkit import SignatureError, WxApplication
from wxkit.crypto import MessageCrypto, check_signature, sha1_signature
from wxkit.miniprogram import decrypt_encrypted_data
from wxkit.pay import v2
from wxkit.work import WorkApplication
from wxkit.xmlcodec import parse_xml

VECTORS_PATH = Path(__file__).resolve().parent / "vectors" / "vectors.json"
MESSAGES: dict[str, dict[str, Any]] = json.loads(VECTORS_PATH.read_text("utf-8"))["messages"]


def check_callback_signature(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    if e["valid"]:
        assert sha1_signature(i["token"], i["timestamp"], i["nonce"]) == e["signature"]
        check_signature(e["signature"], i["token"], i["timestamp"], i["nonce"])
        bot = WxApplication(token=i["token"], timestamp_window=None)
        params = {"signature": e["signature"], "timestamp": i["timestamp"], "nonce": i["nonce"], "echostr": "ok"}
        assert bot.process(params) == "ok"
    else:
        with pytest.raises(SignatureError):
            check_signature(i["signature"], i["token"], i["timestamp"], i["nonce"])
        bot = WxApplication(token=i["token"], timestamp_window=None)
        params = {"signature": i["signature"], "timestamp": i["timestamp"], "nonce": i["nonce"], "echostr": "ok"}
        assert bot.handle("GET", params, None).status == 403


def check_wecom_verify_url(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    crypto = MessageCrypto(i["token"], i["encoding_aes_key"], i["receive_id"])
    assert crypto.verify_url(i["msg_signature"], i["timestamp"], i["nonce"], i["echostr"]) == e["plaintext"]
    app = WorkApplication(
        token=i["token"], corp_id=i["receive_id"], aes_key=i["encoding_aes_key"], timestamp_window=None
    )
    params = {k: i[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")}
    assert app.handle("GET", params, None).body == e["plaintext"]


def check_wecom_decrypt(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    crypto = MessageCrypto(i["token"], i["encoding_aes_key"], i["receive_id"])
    envelope = parse_xml(i["xml"])
    assert envelope["Encrypt"] == i["encrypt"]
    crypto.check_signature(i["msg_signature"], i["timestamp"], i["nonce"], i["encrypt"])
    plaintext = crypto.decrypt(i["encrypt"])
    assert plaintext == e["plaintext"]
    fields = parse_xml(plaintext)
    for name, value in e["asserted_fields"].items():
        assert fields[name] == value

    seen = []

    class App(WorkApplication):
        def on_text(self, msg: Any) -> None:
            seen.append(msg)

    app = App(token=i["token"], corp_id=i["receive_id"], aes_key=i["encoding_aes_key"], timestamp_window=None)
    params = {"msg_signature": i["msg_signature"], "timestamp": i["timestamp"], "nonce": i["nonce"]}
    assert app.process(params, i["xml"]) == "success"
    assert seen[0].content == e["asserted_fields"]["Content"]
    assert seen[0].from_user_name == e["asserted_fields"]["FromUserName"]
    assert seen[0].agent_id == 1


def check_wecom_encrypt(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    crypto = MessageCrypto(i["token"], i["encoding_aes_key"], i["receive_id"])
    prefix = i["random_prefix"].encode()
    assert crypto.encrypt(i["plaintext"], random_prefix=prefix) == e["encrypt"]
    assert crypto.signature(i["timestamp"], i["nonce"], e["encrypt"]) == e["msg_signature"]
    xml = crypto.encrypt_reply(i["plaintext"], timestamp=i["timestamp"], nonce=i["nonce"], random_prefix=prefix)
    assert xml == e["xml"]
    assert crypto.decrypt(e["encrypt"]) == i["plaintext"]


def check_wxa(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    data = decrypt_encrypted_data(i["session_key"], i["iv"], i["encrypted_data"], appid=i["appid"])
    assert data == e["json"]
    assert data["watermark"]["appid"] == e["asserted_fields"]["watermark.appid"]


def check_pay_v2_md5(v: dict[str, Any]) -> None:
    i, e = v["inputs"], v["expected"]
    assert v2.string_to_sign(i["params"], i["api_key"]) == e["string_to_sign"]
    assert v2.sign(i["params"], i["api_key"]) == e["sign"]
    assert v2.verify({**i["params"], "sign": e["sign"]}, i["api_key"])


CHECKS = {
    "callback_url_signature_sha1": check_callback_signature,
    "wecom_verify_url": check_wecom_verify_url,
    "wecom_decrypt_message": check_wecom_decrypt,
    "wecom_encrypt_message": check_wecom_encrypt,
    "miniprogram_encrypted_data": check_wxa,
    "pay_v2_sign_md5": check_pay_v2_md5,
}


def test_every_message_vector_kind_has_a_check() -> None:
    assert {v["kind"] for v in MESSAGES.values()} <= set(CHECKS)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_message_vector(name: str) -> None:
    vector = MESSAGES[name]
    CHECKS[vector["kind"]](vector)


#: The upstream vectors file, named by the environment (``WXKIT_SHARED_VECTORS=/path/to/vectors.json``): the
#: repository never reads a path outside itself on its own, so a fresh clone runs without any shared folder.
SHARED_COPY = os.environ.get("WXKIT_SHARED_VECTORS", "")


@pytest.mark.skipif(not SHARED_COPY, reason="WXKIT_SHARED_VECTORS names no upstream vectors file")
def test_the_vectors_match_the_shared_copy() -> None:
    """The repository's copy of the public vectors is current (checked when the upstream file is named)."""
    assert json.loads(VECTORS_PATH.read_text("utf-8")) == json.loads(Path(SHARED_COPY).read_text("utf-8"))


def test_no_test_reads_outside_the_repository() -> None:
    here = Path(__file__).resolve()
    needle = '"shared" / ' + '"vectors"'
    offenders = [p.name for p in here.parent.rglob("*.py") if p != here and needle in p.read_text("utf-8")]
    assert not offenders
