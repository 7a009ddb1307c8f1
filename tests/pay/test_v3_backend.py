"""The WeChat Pay crypto backends (wxkit/pay/v3/_backend.py): selection, agreement, keys converted once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from Crypto.PublicKey import RSA

from wxkit.errors import ConfigError
from wxkit.pay.v3 import (
    Signer,
    Verifier,
    _backend,
    aead_decrypt,
    aead_encrypt,
    available_crypto_backends,
    crypto,
    crypto_backend,
    oaep_decrypt,
    oaep_encrypt,
    rsa_sign,
    rsa_verify,
    set_crypto_backend,
)
from wxkit.pay.v3.signer import build_message
from wxkit.testing.pay import platform_key

ROOT = Path(__file__).resolve().parents[2]
APIV3_KEY = "0123456789abcdef0123456789abcdef"
KEY_ID = "PUB_KEY_ID_0114232134912410000000000000000001"
NOW = 1_700_000_000

needs_both = pytest.mark.skipif(
    "cryptography" not in available_crypto_backends(), reason="the cryptography backend is not installed"
)


@pytest.fixture(scope="module")
def key() -> RSA.RsaKey:
    return platform_key(100)


@pytest.fixture
def restore_backend() -> Iterator[None]:
    previous = crypto_backend()
    yield
    set_crypto_backend(previous)


def _on(name: str, fn: Any, *args: Any) -> Any:
    previous = set_crypto_backend(name)
    try:
        return fn(*args)
    finally:
        set_crypto_backend(previous)


# -- selection ----------------------------------------------------------------------------------


def test_names_and_switching(restore_backend: None) -> None:
    available = available_crypto_backends()
    assert available[-1] == "pycryptodome"  # always there; the fastest first
    assert crypto_backend() in available
    previous = crypto_backend()
    assert set_crypto_backend("pycryptodome") == previous
    assert crypto_backend() == "pycryptodome"
    assert set_crypto_backend(" AUTO ") == "pycryptodome"
    assert crypto_backend() == available[0]


@pytest.mark.parametrize("name", ["openssl", "", "pycryptodomex"])
def test_an_unknown_backend_is_a_configuration_error(name: str, restore_backend: None) -> None:
    before = crypto_backend()
    with pytest.raises(ConfigError, match="unknown WeChat Pay crypto backend"):
        set_crypto_backend(name)
    assert crypto_backend() == before


def test_the_environment_variable() -> None:
    assert _backend.CRYPTO_BACKEND_ENV == "WXKIT_PAY_CRYPTO"
    assert _backend.from_environment({}).name == available_crypto_backends()[0]
    assert _backend.from_environment({"WXKIT_PAY_CRYPTO": ""}).name == available_crypto_backends()[0]
    assert _backend.from_environment({"WXKIT_PAY_CRYPTO": "pycryptodome"}).name == "pycryptodome"
    with pytest.raises(ConfigError, match="unknown"):
        _backend.from_environment({"WXKIT_PAY_CRYPTO": "fast"})


def test_without_cryptography_auto_falls_back_and_asking_for_it_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(_backend._BACKENDS, "cryptography", raising=False)
    monkeypatch.setitem(_backend._UNAVAILABLE, "cryptography", "No module named 'cryptography'")
    assert available_crypto_backends() == ("pycryptodome",)
    assert _backend.from_environment({}).name == "pycryptodome"
    with pytest.raises(ConfigError, match=r"wxkit\[fast\]"):
        _backend.from_environment({"WXKIT_PAY_CRYPTO": "cryptography"})


def test_a_fresh_process_without_cryptography_uses_pycryptodome() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["cryptography"] = None  # as if not installed
        from wxkit.errors import ConfigError
        from wxkit.pay.v3 import _backend, crypto_backend, rsa_sign, rsa_verify, available_crypto_backends
        from wxkit.testing.pay import platform_key
        assert crypto_backend() == "pycryptodome", crypto_backend()
        assert available_crypto_backends() == ("pycryptodome",)
        key = platform_key(0)
        assert rsa_verify(key, "m", rsa_sign(key, "m"))
        try:
            _backend.from_environment({"WXKIT_PAY_CRYPTO": "cryptography"})
        except ConfigError as exc:
            print("refused:", exc)
        """
    )
    env = {**os.environ, "WXKIT_PAY_CRYPTO": "auto"}
    run = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "refused:" in run.stdout
    assert "wxkit[fast]" in run.stdout


# -- the two backends agree -----------------------------------------------------------------------


@needs_both
def test_signatures_are_identical_and_cross_verify(key: RSA.RsaKey) -> None:
    message = build_message(
        "POST", "/v3/pay/transactions/jsapi", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "{}"
    )
    by = {name: _on(name, rsa_sign, key, message) for name in ("cryptography", "pycryptodome")}
    assert by["cryptography"] == by["pycryptodome"]  # PKCS#1 v1.5 is deterministic
    for name in ("cryptography", "pycryptodome"):
        assert _on(name, rsa_verify, key.public_key(), message, by["pycryptodome"])
        assert not _on(name, rsa_verify, key.public_key(), message + b"x", by["pycryptodome"])


@needs_both
@pytest.mark.parametrize("nonce", ["5K8264ILTKCH", "n", "1234567", "x" * 128, "y" * 200, "中文随机串"])
def test_aead_is_identical_on_both_for_any_nonce(nonce: str) -> None:
    """OpenSSL refuses GCM nonces under 8 or over 128 bytes; those take pycryptodome, with the same result."""
    plain = '{"out_trade_no":"1217752501201407033233368018"}'
    sealed = {
        name: _on(name, aead_encrypt, APIV3_KEY, nonce, "transaction", plain) for name in available_crypto_backends()
    }
    assert len(set(sealed.values())) == 1
    for name in available_crypto_backends():
        assert _on(name, aead_decrypt, APIV3_KEY, nonce, "transaction", sealed["pycryptodome"]) == plain.encode()


@needs_both
def test_oaep_crosses_backends(key: RSA.RsaKey) -> None:
    for enc in ("cryptography", "pycryptodome"):
        ciphertext = _on(enc, oaep_encrypt, key.public_key(), "张三")
        for dec in ("cryptography", "pycryptodome"):
            assert _on(dec, oaep_decrypt, key, ciphertext) == "张三"


@pytest.mark.usefixtures("pay_crypto_backend")
def test_oaep_plaintext_too_long_is_a_configuration_error(key: RSA.RsaKey) -> None:
    assert oaep_decrypt(key, oaep_encrypt(key.public_key(), "x" * 214)) == "x" * 214  # the most a 2048-bit key takes
    with pytest.raises(ConfigError, match="at most 214"):
        oaep_encrypt(key.public_key(), "x" * 215)


@needs_both
def test_a_key_openssl_refuses_is_a_configuration_error(key: RSA.RsaKey, restore_backend: None) -> None:
    bad = RSA.construct((key.n, 1), consistency_check=False)  # e = 1
    set_crypto_backend("cryptography")
    with pytest.raises(ConfigError, match="not a valid RSA key"):
        rsa_verify(bad, "m", rsa_sign(key, "m"))


# -- keys loaded once, kept native ---------------------------------------------------------------


class _Counting:
    """Counts the backend's key conversions."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.private = self.public = 0
        backend = _backend.current()
        new_private, new_public = backend._new_private, backend._new_public

        def count_private(key: RSA.RsaKey) -> Any:
            self.private += 1
            return new_private(key)

        def count_public(key: RSA.RsaKey) -> Any:
            self.public += 1
            return new_public(key)

        monkeypatch.setattr(backend, "_new_private", count_private)
        monkeypatch.setattr(backend, "_new_public", count_public)
        # Start from empty caches so that earlier tests do not hide a conversion.
        monkeypatch.setattr(backend, "_private", {})
        monkeypatch.setattr(backend, "_public", {})


@pytest.mark.usefixtures("pay_crypto_backend")
def test_signer_and_verifier_convert_their_keys_once(key: RSA.RsaKey, monkeypatch: pytest.MonkeyPatch) -> None:
    count = _Counting(monkeypatch)
    signer = Signer("1900000001", "MSERIAL", key.export_key("PEM", pkcs=8).decode(), clock=lambda: float(NOW))
    verifier = Verifier(public_key=key.public_key().export_key("PEM"), public_key_id=KEY_ID, clock=lambda: float(NOW))
    assert (count.private, count.public) == (1, 1)
    for i in range(3):
        body = f'{{"n":{i}}}'.encode()
        headers = {
            "Wechatpay-Timestamp": str(NOW),
            "Wechatpay-Nonce": f"N{i}",
            "Wechatpay-Serial": KEY_ID,
            "Wechatpay-Signature": signer.sign(build_message(str(NOW), f"N{i}", body)),
        }
        verifier.verify(headers, body)
        signer.authorization("GET", "/v3/certificates")
    assert (count.private, count.public) == (1, 1)


@pytest.mark.usefixtures("pay_crypto_backend")
def test_pem_given_per_call_is_parsed_once(key: RSA.RsaKey, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    count = _Counting(monkeypatch)
    monkeypatch.setattr(crypto, "_PARSED", {})
    imports = []
    real_import = RSA.import_key

    def counting_import(*args: Any, **kwargs: Any) -> RSA.RsaKey:
        imports.append(1)
        return real_import(*args, **kwargs)

    monkeypatch.setattr(RSA, "import_key", counting_import)
    private_pem = key.export_key("PEM", pkcs=8).decode()
    public_path = tmp_path / "pub_key.pem"
    public_path.write_bytes(key.public_key().export_key("PEM"))
    for _ in range(3):
        signature = rsa_sign(private_pem, "m")
        assert rsa_verify(public_path, "m", signature)
        assert oaep_decrypt(private_pem, oaep_encrypt(str(public_path), "m")) == "m"
    assert len(imports) == 2  # the private PEM and the public key file, once each
    assert (count.private, count.public) == (1, 1)


@needs_both
def test_signer_and_verifier_follow_a_backend_switch(key: RSA.RsaKey, restore_backend: None) -> None:
    set_crypto_backend("pycryptodome")
    signer = Signer("1900000001", "MSERIAL", key, clock=lambda: float(NOW), nonce=lambda: "N")
    verifier = Verifier(public_key=key, public_key_id=KEY_ID, clock=lambda: float(NOW))
    before = signer.authorization("POST", "/v3/refund/domestic/refunds", b"{}")
    set_crypto_backend("cryptography")
    assert signer.authorization("POST", "/v3/refund/domestic/refunds", b"{}") == before
    assert signer._native[0].name == "cryptography"
    body = b"{}"
    headers = {
        "Wechatpay-Timestamp": str(NOW),
        "Wechatpay-Nonce": "N",
        "Wechatpay-Serial": KEY_ID,
        "Wechatpay-Signature": signer.sign(build_message(str(NOW), "N", body)),
    }
    verifier.verify(headers, body)
    assert {entry[1].name for entry in verifier._natives.values()} >= {"cryptography"}


@pytest.mark.usefixtures("pay_crypto_backend")
def test_no_repr_shows_key_material(key: RSA.RsaKey) -> None:
    backend = _backend.current()
    texts = [repr(backend), repr(backend.private(key)), repr(backend.public(key)), str(backend.private(key))]
    for text in texts:
        assert str(key.n)[:12] not in text
        assert str(key.d)[:12] not in text
        assert "PRIVATE" not in text
    assert backend.name in repr(backend)
