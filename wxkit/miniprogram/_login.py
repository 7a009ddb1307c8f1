"""What ``Login`` and ``AsyncLogin`` share (:mod:`wxkit.miniprogram.login`): results and the sans-IO checks.

The two flows differ only in how they call the client and the storage; the
typed results (:class:`LoginResult`, :class:`UserData`), the stored value's
format, the ``rawData`` signature and the ``encryptedData`` checks live here,
once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import attrs

from ..errors import DecryptError, ParseError, SignatureError
from ..jsoncodec import load_json
from .crypto import decrypt_encrypted_data
from .models import Watermark

__all__ = [
    "FUTURE_SKEW",
    "Keys",
    "LoginResult",
    "UserData",
    "check_openid",
    "dump_keys",
    "load_keys",
    "open_data",
    "raw_signature",
    "storage_key",
    "verify_raw_data",
]

#: How far in the future a watermark timestamp may be (clock skew) when ``max_age`` is set.
FUTURE_SKEW = 300


@attrs.frozen
class LoginResult:
    """Who logged in: ``openid`` and ``unionid`` (``None`` unless WeChat sent one). Never the session key."""

    openid: str
    unionid: str | None = None


@attrs.frozen
class UserData:
    """Decrypted user data (``wx.getUserInfo``, ``wx.getWeRunData`` ...): the JSON ``data`` and its ``watermark``.

    ``watermark.appid`` has been checked against the mini program's appid;
    ``watermark.timestamp`` is when WeChat made the data (Unix seconds).
    ``data`` (the whole decrypted object, watermark included) is personal
    data: it is left out of the repr.
    """

    data: dict[str, Any] = attrs.field(repr=False)
    watermark: Watermark

    def __getitem__(self, key: str) -> Any:
        """``info["nickName"]``: a field of :attr:`data`."""
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A field of :attr:`data`, or ``default``."""
        return self.data.get(key, default)


@attrs.frozen
class Keys:
    """The stored keys of one user: the current ``session_key`` and the one before it (or ``""``). No repr of either."""

    current: str = attrs.field(repr=False)
    previous: str = attrs.field(default="", repr=False)


def check_openid(openid: object) -> str:
    """``openid`` if it can name a storage key (non-empty printable ASCII, no spaces or colons), else ValueError."""
    if not isinstance(openid, str) or not openid or len(openid) > 128 or not openid.isascii():
        raise ValueError("openid must be a non-empty ASCII str of at most 128 characters")
    if not openid.isprintable() or " " in openid or ":" in openid:
        raise ValueError("openid must not hold spaces, colons or control characters")
    return openid


def storage_key(appid: str, openid: str) -> str:
    """Where the keys of ``openid`` are stored: ``wxkit:miniprogram:session:<appid>:<openid>``."""
    return f"wxkit:miniprogram:session:{appid}:{openid}"


def dump_keys(keys: Keys) -> str:
    """The stored value: one JSON object, written in one ``set`` (the current and previous key together)."""
    return json.dumps({"k": keys.current, "p": keys.previous})


def load_keys(value: str | None) -> Keys | None:
    """The keys a stored value holds, or None (nothing stored, or a value that is not ours)."""
    if value is None:
        return None
    try:
        stored = load_json(value, what="a stored session")
    except ParseError:
        return None
    if not isinstance(stored, dict) or not isinstance(stored.get("k"), str) or not stored["k"]:
        return None
    previous = stored.get("p")
    return Keys(stored["k"], previous if isinstance(previous, str) else "")


def raw_signature(raw_data: str, session_key: str) -> str:
    """``sha1(rawData + session_key)`` in hex: how ``wx.getUserInfo`` signs ``rawData``."""
    return hashlib.sha1((raw_data + session_key).encode("utf-8")).hexdigest()  # noqa: S324 - WeChat's scheme


def _same(expected: str, given: bytes) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given)


def verify_raw_data(keys: Keys | None, raw_data: object, signature: object) -> None:
    """Check ``signature`` over ``raw_data`` with ``keys`` in constant time; a :class:`SignatureError` says why not."""
    if not isinstance(raw_data, str) or not isinstance(signature, str):
        raise SignatureError("rawData and signature must be text")
    if keys is None:
        raise SignatureError("no session_key is stored for this openid: log the user in first (login(js_code))")
    given = signature.strip().lower().encode("ascii", "replace")
    if _same(raw_signature(raw_data, keys.current), given):
        return
    if keys.previous and _same(raw_signature(raw_data, keys.previous), given):
        raise SignatureError(
            "rawData was signed with the user's previous session_key: they logged in again since it was "
            "fetched; get it again"
        )
    raise SignatureError("the rawData signature does not match the user's session_key")


def _watermark(data: dict[str, Any], appid: str) -> Watermark:
    raw = data.get("watermark")
    if not isinstance(raw, dict):
        raise DecryptError("the decrypted data has no watermark")
    try:
        watermark = Watermark.from_dict(raw)
    except ParseError as exc:
        raise DecryptError(f"the decrypted data's watermark is malformed: {exc}") from None
    if not hmac.compare_digest(watermark.appid.encode("utf-8"), appid.encode("utf-8")):
        raise DecryptError("the watermark appid is not this mini program's (the data was made for another app)")
    return watermark


def _opens_with(session_key: str, iv: object, encrypted_data: object, appid: str) -> bool:
    try:
        _watermark(decrypt_encrypted_data(session_key, iv, encrypted_data), appid)  # type: ignore[arg-type]
    except DecryptError:
        return False
    return True


def open_data(
    keys: Keys | None, encrypted_data: object, iv: object, *, appid: str, max_age: float | None, now: float
) -> UserData:
    """Decrypt ``encrypted_data`` with ``keys``; check the watermark's appid (and age); raise :class:`DecryptError`."""
    if keys is None:
        raise DecryptError("no session_key is stored for this openid: log the user in first (login(js_code))")
    if not isinstance(encrypted_data, str) or not isinstance(iv, str):
        raise DecryptError("encryptedData and iv must be text")
    try:
        data = decrypt_encrypted_data(keys.current, iv, encrypted_data)
    except DecryptError as exc:
        if keys.previous and _opens_with(keys.previous, iv, encrypted_data, appid):
            raise DecryptError(
                "encryptedData was encrypted with the user's previous session_key: they logged in again "
                "since it was fetched; get it again"
            ) from None
        raise DecryptError(f"encryptedData does not decrypt with the user's session_key: {exc}") from None
    watermark = _watermark(data, appid)
    if max_age is not None:
        age = now - watermark.timestamp
        if watermark.timestamp <= 0 or age > max_age:
            raise DecryptError(f"the data's watermark is older than max_age ({max_age:g} seconds)")
        if age < -FUTURE_SKEW:
            raise DecryptError("the data's watermark timestamp is in the future")
    return UserData(data, watermark)
