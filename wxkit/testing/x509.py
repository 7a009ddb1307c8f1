"""Minimal X.509 certificates for the emulator: WeChat Pay platform keys and a test TLS setup.

pycryptodome reads certificates but cannot write them; this module DER-encodes
the few fields a client needs (serial, validity, subject, issuer, public key)
and signs them with SHA256withRSA. :func:`make_certificate` makes a
self-signed certificate (a v3 platform certificate) or, given an issuer key,
one signed by a CA, with the extensions OpenSSL needs to verify a chain and a
host name (basicConstraints, keyUsage, key identifiers, subjectAltName).
:func:`make_tls_files` writes a CA, a server certificate and a merchant
client certificate for :meth:`wxkit.testing.Emulator.start_tls`. It is test
infrastructure, not a CA.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
from collections.abc import Sequence

import attrs
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15
from Crypto.Util.asn1 import DerInteger, DerNull, DerObjectId

__all__ = ["TLSFiles", "make_certificate", "make_tls_files"]

_SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
_COMMON_NAME = "2.5.4.3"
_SUBJECT_KEY_ID = "2.5.29.14"
_KEY_USAGE = "2.5.29.15"
_SUBJECT_ALT_NAME = "2.5.29.17"
_BASIC_CONSTRAINTS = "2.5.29.19"
_AUTHORITY_KEY_ID = "2.5.29.35"
#: keyUsage BIT STRINGs: keyCertSign + cRLSign (a CA); digitalSignature + keyEncipherment (a TLS peer).
_CA_USAGE = b"\x01\x06"
_PEER_USAGE = b"\x05\xa0"


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _name(common_name: str) -> bytes:
    attr = _seq(DerObjectId(_COMMON_NAME).encode(), _tlv(0x0C, common_name.encode("utf-8")))
    return _seq(_tlv(0x31, attr))


def _time(when: dt.datetime) -> bytes:
    return _tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode("ascii"))


def _key_id(key: RSA.RsaKey) -> bytes:
    """A key identifier: SHA-1 of the public key's DER (any stable id works; issuer and subject must agree)."""
    return hashlib.sha1(key.public_key().export_key("DER")).digest()  # noqa: S324 - an identifier, not security


def _extension(oid: str, value: bytes, *, critical: bool = False) -> bytes:
    flag = _tlv(0x01, b"\xff") if critical else b""
    return _seq(DerObjectId(oid).encode(), flag, _tlv(0x04, value))


def _extensions(
    key: RSA.RsaKey,
    issuer_key: RSA.RsaKey | None,
    *,
    ca: bool,
    ip_addresses: Sequence[str],
    dns_names: Sequence[str],
) -> bytes:
    items = [
        _extension(_BASIC_CONSTRAINTS, _seq(_tlv(0x01, b"\xff")) if ca else _seq(), critical=True),
        _extension(_KEY_USAGE, _tlv(0x03, _CA_USAGE if ca else _PEER_USAGE), critical=True),
        _extension(_SUBJECT_KEY_ID, _tlv(0x04, _key_id(key))),
    ]
    if issuer_key is not None:
        items.append(_extension(_AUTHORITY_KEY_ID, _seq(_tlv(0x80, _key_id(issuer_key)))))
    names = [_tlv(0x82, name.encode("ascii")) for name in dns_names]
    names += [_tlv(0x87, ipaddress.ip_address(ip).packed) for ip in ip_addresses]
    if names:
        items.append(_extension(_SUBJECT_ALT_NAME, _seq(*names)))
    return _tlv(0xA3, _seq(*items))


def make_certificate(
    key: RSA.RsaKey,
    serial_hex: str,
    *,
    common_name: str = "Tenpay.com Root CA (wxkit emulator)",
    not_before: dt.datetime,
    not_after: dt.datetime,
    issuer_name: str | None = None,
    issuer_key: RSA.RsaKey | None = None,
    ca: bool = False,
    ip_addresses: Sequence[str] = (),
    dns_names: Sequence[str] = (),
) -> str:
    """A PEM certificate for ``key``'s public half with serial ``serial_hex``.

    Without ``issuer_key`` it is self-signed by ``key`` and, unless one of
    ``ca``, ``ip_addresses`` or ``dns_names`` is given, carries no extensions
    (a v3 platform certificate). With ``issuer_key`` (and ``issuer_name``, the
    issuer's common name) it is signed by that CA. ``ca=True`` marks a CA
    (basicConstraints ``CA:TRUE``, critical; keyUsage ``keyCertSign``);
    ``ip_addresses`` / ``dns_names`` go into the subjectAltName, which OpenSSL
    checks the host name against.
    """
    if (issuer_key is None) != (issuer_name is None):
        raise ValueError("issuer_name and issuer_key go together")
    algorithm = _seq(DerObjectId(_SHA256_WITH_RSA).encode(), DerNull().encode())
    signer = issuer_key if issuer_key is not None else key
    extended = issuer_key is not None or ca or bool(ip_addresses) or bool(dns_names)
    extensions = (
        _extensions(key, issuer_key, ca=ca, ip_addresses=ip_addresses, dns_names=dns_names) if extended else b""
    )
    tbs = _seq(
        _tlv(0xA0, DerInteger(2).encode()),
        DerInteger(int(serial_hex, 16)).encode(),
        algorithm,
        _name(issuer_name if issuer_name is not None else common_name),
        _seq(_time(not_before), _time(not_after)),
        _name(common_name),
        key.public_key().export_key("DER"),
        extensions,
    )
    signature = pkcs1_15.new(signer).sign(SHA256.new(tbs))
    der = _seq(tbs, algorithm, _tlv(0x03, b"\x00" + signature))
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@attrs.frozen
class TLSFiles:
    """The PEM files :func:`make_tls_files` wrote: a CA, a server and a merchant client certificate."""

    #: The CA certificate: the emulator trusts client certificates it issued; clients trust the server with it.
    ca_cert: str
    #: The server certificate (subjectAltName: the host) and its private key, for :meth:`Emulator.start_tls`.
    server_cert: str
    server_key: str
    #: The merchant's client certificate (common name: the mchid) and its key: ``PayClientV2(cert=, cert_key=)``.
    client_cert: str
    client_key: str


def make_tls_files(
    directory: str | os.PathLike[str],
    mchid: str,
    *,
    host: str = "127.0.0.1",
    ca_name: str = "wxkit emulator test CA",
    keys: Sequence[RSA.RsaKey] | None = None,
    not_before: dt.datetime | None = None,
    days: int = 365,
) -> TLSFiles:
    """Write a CA, a server certificate for ``host`` and a client certificate for ``mchid`` into ``directory``.

    ``host`` is an IP address or a DNS name (the server certificate's
    subjectAltName). ``keys`` are the CA's, the server's and the client's RSA
    keys (default: the cached ``wxkit.testing.pay.platform_key(200)``, ``(201)``
    and ``(202)``; pass others for a second, unrelated CA). The client
    certificate's common name is ``mchid``, as on WeChat Pay's merchant API
    certificates. Files are named ``ca.pem``, ``server_cert.pem``,
    ``server_key.pem``, ``apiclient_cert.pem`` and ``apiclient_key.pem``.
    """
    if keys is None:
        from .pay import platform_key

        keys = (platform_key(200), platform_key(201), platform_key(202))
    ca_key, server_key, client_key = keys
    start = not_before or dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=1)
    end = start + dt.timedelta(days=days)
    try:
        ip_addresses, dns_names = [str(ipaddress.ip_address(host))], []
    except ValueError:
        ip_addresses, dns_names = [], [host]
    serial = os.urandom(8).hex()
    ca_pem = make_certificate(ca_key, "1" + serial, common_name=ca_name, not_before=start, not_after=end, ca=True)
    server_pem = make_certificate(
        server_key,
        "2" + serial,
        common_name=host,
        not_before=start,
        not_after=end,
        issuer_name=ca_name,
        issuer_key=ca_key,
        ip_addresses=ip_addresses,
        dns_names=dns_names,
    )
    client_pem = make_certificate(
        client_key,
        "3" + serial,
        common_name=mchid,
        not_before=start,
        not_after=end,
        issuer_name=ca_name,
        issuer_key=ca_key,
    )
    folder = os.fspath(directory)
    os.makedirs(folder, exist_ok=True)
    contents = {
        "ca.pem": ca_pem,
        "server_cert.pem": server_pem,
        "server_key.pem": server_key.export_key("PEM", pkcs=8).decode("ascii"),
        "apiclient_cert.pem": client_pem,
        "apiclient_key.pem": client_key.export_key("PEM", pkcs=8).decode("ascii"),
    }
    paths = {}
    for name, text in contents.items():
        path = os.path.join(folder, name)
        with open(path, "w", encoding="ascii") as handle:
            handle.write(text)
        paths[name] = path
    return TLSFiles(
        paths["ca.pem"],
        paths["server_cert.pem"],
        paths["server_key.pem"],
        paths["apiclient_cert.pem"],
        paths["apiclient_key.pem"],
    )
