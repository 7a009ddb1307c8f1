"""Mini-program ``encryptedData`` decryption.

WeChat encrypts user data returned by ``wx.getUserInfo``, ``getPhoneNumber``
(old flow), ``wx.getWeRunData`` and friends with AES-128-CBC: key =
base64(session_key), IV = base64(iv), PKCS#7 padding; the plaintext is JSON
whose ``watermark.appid`` must be your appid.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from Crypto.Cipher import AES

from ..crypto import pkcs7_unpad
from ..errors import DecryptError, ParseError
from ..jsoncodec import load_json

__all__ = ["decrypt_encrypted_data"]


def _b64(name: str, value: str, size: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise DecryptError(f"{name} is not valid base64") from exc
    if size is not None and len(raw) != size:
        raise DecryptError(f"{name} must decode to {size} bytes")
    return raw


def decrypt_encrypted_data(session_key: str, iv: str, encrypted_data: str, appid: str | None = None) -> dict[str, Any]:
    """Decrypt a mini program's ``encryptedData`` into a dict.

    With ``appid`` given, ``watermark.appid`` must match it. Every failure
    (bad base64, wrong sizes, bad padding, not JSON, wrong appid) is a
    :class:`~wxkit.errors.DecryptError`.
    """
    key = _b64("session_key", session_key, 16)
    iv_bytes = _b64("iv", iv, 16)
    data = _b64("encrypted_data", encrypted_data)
    if not data or len(data) % 16:
        raise DecryptError("encrypted_data length is not a multiple of the AES block")
    plain = pkcs7_unpad(AES.new(key, AES.MODE_CBC, iv_bytes).decrypt(data), 16)
    try:
        result = load_json(plain, what="the decrypted data")  # UTF-8, bounded size and depth
    except ParseError as exc:
        raise DecryptError(str(exc)) from None
    if not isinstance(result, dict):
        raise DecryptError("decrypted data is not a JSON object")
    if appid is not None:
        watermark = result.get("watermark")
        if not isinstance(watermark, dict) or watermark.get("appid") != appid:
            raise DecryptError("watermark appid does not match")
    return result
