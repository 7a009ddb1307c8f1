"""Signatures and WXBizMsgCrypt-compatible message crypto: round trips and every tampering."""

from __future__ import annotations

import base64
import sys
import threading

import pytest
from Crypto.Cipher import AES
from hypothesis import given
from hypothesis import strategies as st

from wxkit.crypto import MessageCrypto, check_signature, pkcs7_pad, pkcs7_unpad, sha1_signature
from wxkit.errors import ConfigError, DecryptError, SignatureError

TOKEN = "tok"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx49f0ab532d5d035a"
KEY = base64.b64decode(AES_KEY + "=")


def raw_encrypt(plain: bytes) -> str:
    """AES-256-CBC with WeChat's key/IV over already-padded bytes (to craft bad payloads)."""
    return base64.b64encode(AES.new(KEY, AES.MODE_CBC, KEY[:16]).encrypt(plain)).decode()


def payload(message: bytes, receive_id: bytes = APP_ID.encode(), length: int | None = None) -> bytes:
    n = len(message) if length is None else length
    return b"R" * 16 + n.to_bytes(4, "big") + message + receive_id


@pytest.fixture
def crypto() -> MessageCrypto:
    return MessageCrypto(TOKEN, AES_KEY, APP_ID)


def test_signature_is_sorted_sha1() -> None:
    assert sha1_signature("b", "a", "c") == sha1_signature("c", "b", "a")
    check_signature(sha1_signature("x", "y"), "y", "x")


@pytest.mark.parametrize("bad", [None, "", "0" * 40, "f" * 39, "not-hex-at-all", "é" * 40])
def test_bad_signatures_are_refused(bad: str | None) -> None:
    with pytest.raises(SignatureError):
        check_signature(bad, "x", "y")


def test_round_trip(crypto: MessageCrypto) -> None:
    enc = crypto.encrypt("<xml>hi</xml>")
    assert crypto.decrypt(enc) == "<xml>hi</xml>"
    # a fresh random prefix each time
    assert crypto.encrypt("same") != crypto.encrypt("same")


@given(st.text())
def test_round_trip_any_text(text: str) -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be sent by anyone
        return
    assert crypto.decrypt(crypto.encrypt(text)) == text


@pytest.mark.parametrize("text", ["", "]]>", "\x00", "emoji 😀🎉", "a" * 5000, "<![CDATA[x]]>"])
def test_round_trip_edge_cases(crypto: MessageCrypto, text: str) -> None:
    assert crypto.decrypt(crypto.encrypt(text)) == text


@given(st.binary(max_size=300))
def test_round_trip_any_bytes(data: bytes) -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
    assert crypto.decrypt_bytes(crypto.encrypt_bytes(data)) == data


def test_encrypt_reply_envelope_is_signed(crypto: MessageCrypto) -> None:
    xml = crypto.encrypt_reply("<xml/>", timestamp="123", nonce="abc")
    enc = xml.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    sig = xml.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    crypto.check_signature(sig, "123", "abc", enc)
    assert crypto.decrypt(enc) == "<xml/>"


@pytest.mark.parametrize(
    ("plain", "reason"),
    [
        (payload(b"hello") + bytes([0]) * 21, "padding"),  # pad byte 0
        (payload(b"hello") + bytes([33]) * 21, "padding"),  # pad byte > 32
        (payload(b"hello") + bytes(range(1, 22)), "padding"),  # inconsistent pad
        (pkcs7_pad(payload(b"hello", length=10_000)), "length"),  # length field beyond the data
        (pkcs7_pad(payload(b"hello", length=2**32 - 1)), "length"),
        (pkcs7_pad(b"short"), "short"),  # fewer than 20 bytes
        (pkcs7_pad(payload(b"hello", receive_id=b"wx_someone_else")), "receive id"),
        (pkcs7_pad(payload(b"hello", receive_id=b"")), "receive id"),
        (pkcs7_pad(payload(b"\xff\xfe bad utf-8")), "UTF-8"),
    ],
)
def test_tampered_payloads_are_decrypt_errors(crypto: MessageCrypto, plain: bytes, reason: str) -> None:
    assert len(plain) % 32 == 0
    with pytest.raises(DecryptError, match=reason):
        crypto.decrypt(raw_encrypt(plain))


def test_flipped_ciphertext_bit_never_escapes_as_another_error(crypto: MessageCrypto) -> None:
    enc = base64.b64decode(crypto.encrypt("<xml><A>1</A></xml>"))
    for i in range(len(enc)):
        tampered = bytearray(enc)
        tampered[i] ^= 0x01
        try:
            crypto.decrypt(base64.b64encode(bytes(tampered)).decode())
        except DecryptError:
            continue
        # A flip in an early block only garbles the random prefix: still a valid payload.


@pytest.mark.parametrize(
    "bad",
    ["", "!!!not base64!!!", "QUJD", base64.b64encode(b"x" * 17).decode(), base64.b64encode(b"x" * 15).decode()],
)
def test_non_base64_and_wrong_length_ciphertext(crypto: MessageCrypto, bad: str) -> None:
    with pytest.raises(DecryptError):
        crypto.decrypt(bad)


def test_wrong_key_is_a_decrypt_error(crypto: MessageCrypto) -> None:
    other = MessageCrypto(TOKEN, "A" * 43, APP_ID)
    with pytest.raises(DecryptError):
        other.decrypt(crypto.encrypt("hello world"))


def test_empty_receive_id_skips_the_check() -> None:
    sender = MessageCrypto(TOKEN, AES_KEY, "suite123")
    receiver = MessageCrypto(TOKEN, AES_KEY, "")
    assert receiver.decrypt(sender.encrypt("x")) == "x"


@pytest.mark.parametrize("key", ["", "short", "A" * 42, "A" * 44, "!" * 43, "é" * 43, None, 123])
def test_bad_aes_key_is_a_config_error_at_construction(key: object) -> None:
    with pytest.raises(ConfigError, match="EncodingAESKey"):
        MessageCrypto(TOKEN, key, APP_ID)  # type: ignore[arg-type]


def test_missing_token_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        MessageCrypto("", AES_KEY, APP_ID)


def test_repr_hides_key_and_token(crypto: MessageCrypto) -> None:
    assert AES_KEY not in repr(crypto)
    assert TOKEN not in repr(crypto)


def test_pkcs7() -> None:
    assert len(pkcs7_pad(b"")) == 32
    assert pkcs7_unpad(pkcs7_pad(b"abc")) == b"abc"
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"")
    with pytest.raises(DecryptError):
        pkcs7_unpad(b"a" * 15)


def test_encrypt_rejects_bad_prefix(crypto: MessageCrypto) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        crypto.encrypt("x", random_prefix=b"short")


# -- the long-lived CBC encryptor: byte for byte a fresh AES.new(...) per message --------------------
def fresh_encrypt(data: bytes, prefix: bytes, receive_id: str = APP_ID) -> str:
    """WXBizMsgCrypt's encryption as written: a new CBC cipher with the IV for every message."""
    plain = pkcs7_pad(prefix + len(data).to_bytes(4, "big") + data + receive_id.encode())
    return base64.b64encode(AES.new(KEY, AES.MODE_CBC, KEY[:16]).encrypt(plain)).decode()


@given(
    st.lists(
        st.tuples(
            st.binary(max_size=200), st.binary(min_size=16, max_size=16), st.sampled_from(["", APP_ID, "wwcorp"])
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_long_lived_encryptor_matches_a_fresh_cipher_per_message(messages: list[tuple[bytes, bytes, str]]) -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)  # one object: its cipher chains on from message to message
    for data, prefix, receive_id in messages:
        assert crypto.encrypt_bytes(data, random_prefix=prefix, receive_id=receive_id) == fresh_encrypt(
            data, prefix, receive_id
        )


def test_the_encryptor_matches_under_concurrent_threads() -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
    prefix = bytes(range(16))
    failures: list[int] = []

    def work(worker: int) -> None:
        for i in range(300):
            data = f"worker {worker} message {i}".encode() * (i % 7 + 1)
            if crypto.encrypt_bytes(data, random_prefix=prefix) != fresh_encrypt(data, prefix):
                failures.append(i)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert failures == []


def test_encrypt_reply_draws_its_nonce_and_prefix_fresh(crypto: MessageCrypto) -> None:
    first, second = crypto.encrypt_reply("<xml/>", timestamp="1"), crypto.encrypt_reply("<xml/>", timestamp="1")
    nonces = [x.split("<Nonce><![CDATA[")[1].split("]]>")[0] for x in (first, second)]
    assert nonces[0] != nonces[1]
    assert all(len(n) == 16 and int(n, 16) >= 0 for n in nonces)
    for xml, nonce in zip((first, second), nonces, strict=True):
        enc = xml.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        crypto.check_signature(xml.split("<MsgSignature><![CDATA[")[1].split("]]>")[0], "1", nonce, enc)
        assert crypto.decrypt(enc) == "<xml/>"
