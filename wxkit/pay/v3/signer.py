"""Request signing for WeChat Pay v3: the ``Authorization`` header.

The signed message is ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` over
exactly the bytes sent (serialize the JSON once, sign those bytes, send them).
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable

from ...errors import ConfigError
from . import _backend
from .crypto import KeyLike, load_private_key

__all__ = ["AUTH_SCHEMA", "Signer", "build_message"]

#: The v3 authorization scheme.
AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"


def build_message(*parts: str | bytes) -> bytes:
    """Join the parts of a v3 signature message, each followed by ``\\n``."""
    out = bytearray()
    for part in parts:
        out += part.encode("utf-8") if isinstance(part, str) else part
        out += b"\n"
    return bytes(out)


class Signer:
    """Signs v3 requests as merchant ``mchid`` with the API certificate ``serial_no``'s private key.

    ``clock`` (seconds) and ``nonce`` are injectable for tests and vectors.
    The key is loaded once and kept in the crypto backend's native form; it
    never appears in ``repr``.
    """

    def __init__(
        self,
        mchid: str,
        serial_no: str,
        private_key: KeyLike,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_hex(16).upper(),
    ) -> None:
        if not mchid or not serial_no:
            raise ConfigError("mchid and serial_no are required")
        self.mchid = str(mchid)
        self.serial_no = str(serial_no)
        self._key = load_private_key(private_key)
        backend = _backend.current()
        self._native = (backend, backend.private(self._key))  # follows set_crypto_backend()
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"Signer(mchid={self.mchid!r}, serial_no={self.serial_no!r})"

    def sign(self, message: str | bytes) -> str:
        """SHA256withRSA signature of ``message``, base64."""
        data = message.encode("utf-8") if isinstance(message, str) else message
        backend, native = self._native
        if backend is not _backend.current():
            backend = _backend.current()
            native = backend.private(self._key)
            self._native = (backend, native)
        return base64.b64encode(native.sign(data)).decode("ascii")

    def authorization(
        self,
        method: str,
        canonical_url: str,
        body: str | bytes = b"",
        *,
        timestamp: str | None = None,
        nonce_str: str | None = None,
    ) -> str:
        """The ``Authorization`` header value for a request; ``canonical_url`` is ``/path?query``."""
        ts = timestamp or str(int(self._clock()))
        nonce = nonce_str or self._nonce()
        signature = self.sign(build_message(method.upper(), canonical_url, ts, nonce, body))
        return (
            f'{AUTH_SCHEMA} mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{ts}",serial_no="{self.serial_no}"'
        )

    def sign_fields(self, *fields: str) -> str:
        """Sign client-side payment parameters, each followed by ``\\n``.

        For example ``appId, timeStamp, nonceStr, package`` for ``wx.requestPayment``.
        """
        return self.sign(build_message(*fields))
