"""WeChat Pay v2 signatures (MD5 and HMAC-SHA256), importable in scripts.

The string to sign is ``k1=v1&k2=v2...&key=API_KEY`` over the parameters
sorted by name, skipping empty values and ``sign`` itself; the signature is
the upper-case hex MD5 of it, or its HMAC-SHA256 keyed with the API key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

__all__ = ["SIGN_TYPES", "sign", "string_to_sign", "verify"]

#: The sign types WeChat Pay v2 accepts.
SIGN_TYPES = ("MD5", "HMAC-SHA256")


def string_to_sign(params: Mapping[str, Any], key: str) -> str:
    """Return the exact string WeChat Pay v2 signs for ``params``."""
    pairs = [f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v is not None and v != ""]
    return "&".join(pairs) + f"&key={key}"


def sign(params: Mapping[str, Any], key: str, sign_type: str = "MD5") -> str:
    """Sign ``params`` with the merchant API ``key``; ``sign_type`` is ``MD5`` or ``HMAC-SHA256``."""
    data = string_to_sign(params, key).encode("utf-8")
    if sign_type == "MD5":
        return hashlib.md5(data).hexdigest().upper()  # noqa: S324 - WeChat Pay v2's documented algorithm
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown sign_type {sign_type!r}; expected one of {SIGN_TYPES}")


def verify(params: Mapping[str, Any], key: str, sign_type: str | None = None) -> bool:
    """Check ``params["sign"]`` in constant time.

    ``sign_type`` defaults to the ``sign_type`` parameter, else MD5.
    """
    given = params.get("sign")
    if not isinstance(given, str) or not given:
        return False
    chosen = sign_type or str(params.get("sign_type") or "MD5")
    if chosen not in SIGN_TYPES:
        return False
    # Compare bytes: compare_digest refuses non-ASCII str (a forged sign must give False, not TypeError).
    return hmac.compare_digest(sign(params, key, chosen).encode(), given.upper().encode("utf-8", "replace"))
