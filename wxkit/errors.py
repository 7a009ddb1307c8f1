"""Every exception wxkit raises.

All of them derive from :class:`WxError`, so ``except wxkit.WxError`` catches
anything the SDK raises on purpose. The tree::

    WxError
    ├── ConfigError            bad configuration, raised at construction
    │   └── RuleError              an auto-reply rule that cannot work (wxkit.rules)
    ├── SignatureError         a signature / msg_signature that does not match
    ├── DecryptError           ciphertext that does not decrypt to a valid payload
    ├── ParseError             a body that is not a well-formed WeChat XML push
    ├── ReplayError            a push outside the replay window or seen before
    │   ├── StaleTimestampError    timestamp too old or too far in the future
    │   └── DuplicateMessageError  the same push (MsgId / event key) handled already
    ├── TransportError         the HTTP exchange failed: connect error, timeout,
    │                          dropped connection, HTTP 5xx, a body that is not JSON
    ├── StorageError           the storage (Redis, a database) failed, or wxkit cannot
    │                          tell whether a write of its own was applied
    ├── SessionError           a session (wxkit.session) that cannot be stored: not JSON,
    │                          or session() called outside a push
    ├── PayError               WeChat Pay refused a request (v3 code/message, v2 return/err codes)
    ├── AmountError            a money amount that is not a positive int of fen
    └── APIError               WeChat answered a non-zero errcode (.errcode, .errmsg, .method, .url)
        ├── AccessTokenError       the access token is invalid / expired / cannot be fetched
        ├── RateLimitError         frequency or quota limits (45009, 45011, ...)
        ├── InvalidArgumentError   a bad openid, template id, media id, JSON field ...
        ├── UserStateError         user not subscribed, blocked, or outside the 48-hour window
        ├── PermissionDeniedError  the account lacks the API permission or IP whitelist
        └── SystemBusyError        errcode -1, "system busy" (retried for reads)

Messages never contain secrets (tokens, AES keys, app secrets) nor the content
of user messages; URLs in errors have every secret parameter (tokens, secrets,
codes, tickets: ``wxkit.core.redact.SECRET_PARAMS``) removed.
"""

from __future__ import annotations

__all__ = [
    "APIError",
    "AccessTokenError",
    "AmountError",
    "ConfigError",
    "DecryptError",
    "DuplicateMessageError",
    "InvalidArgumentError",
    "ParseError",
    "PayError",
    "PermissionDeniedError",
    "RateLimitError",
    "ReplayError",
    "RuleError",
    "SessionError",
    "SignatureError",
    "StaleTimestampError",
    "StorageError",
    "SystemBusyError",
    "TransportError",
    "UserStateError",
    "WxError",
    "api_error",
]


class WxError(Exception):
    """Base class of every exception raised by wxkit."""


class ConfigError(WxError, ValueError):
    """A configuration value is missing or malformed (raised at construction)."""


class RuleError(ConfigError):
    """An auto-reply rule (:mod:`wxkit.rules`) is malformed: unknown match or reply type, bad regex, no reply...

    ``index`` is the rule's position in the list (``None`` when the list
    itself is wrong) and ``rule_name`` its ``name``; the message says which
    field is wrong and why.
    """

    def __init__(self, message: str, *, index: int | None = None, rule_name: str = "") -> None:
        super().__init__(message)
        self.index = index
        self.rule_name = rule_name


class SignatureError(WxError):
    """A request signature (``signature`` or ``msg_signature``) is missing or wrong."""


class DecryptError(WxError):
    """An encrypted payload could not be decrypted or failed an integrity check.

    Covers bad base64, wrong ciphertext length, bad PKCS#7 padding, a length
    field that does not fit the data, invalid UTF-8 and a wrong receive id.
    """


class ParseError(WxError):
    """A body is not a well-formed WeChat XML push (or is too large / unsafe)."""


class ReplayError(WxError):
    """A push was refused by the replay guard."""


class StaleTimestampError(ReplayError):
    """The push's timestamp is outside the configured window (or not a number)."""


class DuplicateMessageError(ReplayError):
    """The same push was already handled (WeChat retries unanswered pushes).

    The applications no longer raise it: WeChat's retry is answered with the
    original's reply, or ``"success"``. It is the ``error`` of a ``duplicate``
    :class:`~wxkit.observe.PushRecord`, and stays for code that catches or
    raises it. ``key`` is the de-duplication key (MsgId, or
    FromUserName/CreateTime/Event).
    """

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


class TransportError(WxError):
    """The HTTP exchange with WeChat failed (connect error, timeout, dropped connection, 5xx, not JSON).

    ``method`` and ``url`` (secrets removed) say which call failed.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class SessionError(WxError):
    """A conversation session (:mod:`wxkit.session`) that cannot work.

    Raised when a handler leaves a value JSON cannot store as it is in its
    session (a ``datetime``, a ``tuple``, an ``int`` key, ``nan``...: the
    message names where it is, never its value), when ``session()`` is called
    outside a push, or for a push without a sender. Raised while a push is
    dispatched, it is handled as a failing handler (logged, ``on_error``).
    """


class StorageError(WxError):
    """The storage failed (Redis down, a timeout), or wxkit cannot tell what it holds.

    Raised by :func:`wxkit.storage.claim` (behind the replay guard, the token
    lock and the pay-notification claim) when the storage fails so that wxkit
    cannot tell whether its own claim was stored, and by the token and ticket
    cache when it cannot read the storage. ``key`` is the storage key (keys
    never hold secrets); the storage's own exception is the ``__cause__``.
    Inbound ``handle()`` answers it with 500, so WeChat retries.
    """

    def __init__(self, message: str, *, key: str = "") -> None:
        super().__init__(message)
        self.key = key


class APIError(WxError):
    """WeChat answered a non-zero ``errcode``.

    Attributes: ``errcode`` (int), ``errmsg`` (str), ``method`` and ``url``
    (the request's, with every secret parameter removed), and
    ``response`` (the decoded JSON body).
    """

    def __init__(
        self,
        errcode: int,
        errmsg: str,
        *,
        method: str = "",
        url: str = "",
        response: dict[str, object] | None = None,
    ) -> None:
        where = f" ({method} {url})" if (method or url) else ""
        super().__init__(f"errcode {errcode}: {errmsg}{where}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.method = method
        self.url = url
        self.response = response or {}


class AccessTokenError(APIError):
    """The access token is refused or cannot be fetched.

    Invalid or expired (40001, 40014, 42001; WeCom's suite and provider
    tokens: 40082) even after one refresh, or a bad appid / secret when
    fetching it (40013, 40125); on the open platform, a component verify
    ticket that is expired or invalid (61005, 61006) or an authorizer refresh
    token that is invalid (61023).
    """


class RateLimitError(APIError):
    """A frequency or quota limit was hit (45009 daily quota, 45011 per-minute, 45047, WeCom robots' 130101 ...)."""


class InvalidArgumentError(APIError):
    """A request argument was refused.

    A bad openid (40003), template id (40037), media id (40007), JSON (47001),
    file type or size (40005, 40006, 40009-40012), missing or empty media
    (41005, 41006, 44001), empty articles or text (44003, 44004), menu buttons
    (40015-40027), a content field over its limit (45001-45008), a mass-send
    openid list, msg id or article index (40130, 40059, 40060); WeCom: an
    unknown userid (60111), a send whose every recipient is invalid (81013) ...
    """


class UserStateError(APIError):
    """The user cannot receive this.

    Not subscribed (43004), blocked (43019), outside the 48-hour
    customer-service window (45015), or has not accepted (or refused) the
    subscription message (43101).
    """


class PermissionDeniedError(APIError):
    """The account lacks the API permission or the caller is not whitelisted.

    48001, 48004, 50001, 50002; IP not whitelisted: 40164, 61004; WeCom: a
    secret without rights on those contacts (60011), another app's token (301002).
    """


class SystemBusyError(APIError):
    """``errcode -1``: WeChat's "system busy", worth retrying later."""


_FAMILIES: dict[int, type[APIError]] = {
    -1: SystemBusyError,
    40001: AccessTokenError,
    40014: AccessTokenError,
    42001: AccessTokenError,
    40013: AccessTokenError,
    40125: AccessTokenError,
    40082: AccessTokenError,  # WeCom: invalid suite_access_token or provider_access_token
    61005: AccessTokenError,  # open platform: component ticket is expired
    61006: AccessTokenError,  # open platform: component ticket is invalid
    61023: AccessTokenError,  # open platform: authorizer refresh_token is invalid
    40002: InvalidArgumentError,
    40003: InvalidArgumentError,
    40004: InvalidArgumentError,
    40005: InvalidArgumentError,  # file type (extension) the media type does not allow
    40006: InvalidArgumentError,  # file size
    40007: InvalidArgumentError,
    40008: InvalidArgumentError,
    40009: InvalidArgumentError,  # image size
    40010: InvalidArgumentError,  # voice size
    40011: InvalidArgumentError,  # video size
    40012: InvalidArgumentError,  # thumb size
    **dict.fromkeys(range(40015, 40028), InvalidArgumentError),  # menu: button count, type, name, key, url ...
    40031: InvalidArgumentError,  # openid list
    40032: InvalidArgumentError,  # openid list size
    40033: InvalidArgumentError,  # \uxxxx characters in the request
    40035: InvalidArgumentError,  # invalid args
    40037: InvalidArgumentError,
    40038: InvalidArgumentError,  # request format
    40039: InvalidArgumentError,  # URL length
    40048: InvalidArgumentError,  # invalid url
    40050: InvalidArgumentError,
    40051: InvalidArgumentError,  # group (tag) name
    40053: InvalidArgumentError,
    40059: InvalidArgumentError,  # mass send: invalid msg id
    40060: InvalidArgumentError,  # mass send: article_idx
    40097: InvalidArgumentError,
    40117: InvalidArgumentError,  # group (tag) name
    40118: InvalidArgumentError,  # media_id size
    40119: InvalidArgumentError,  # button type
    40120: InvalidArgumentError,  # sub-button type
    40121: InvalidArgumentError,  # media_id type
    40130: InvalidArgumentError,  # mass send: openid list outside 2-10000
    40132: InvalidArgumentError,  # WeChat ID
    40137: InvalidArgumentError,  # image format
    41005: InvalidArgumentError,  # media data missing
    41006: InvalidArgumentError,  # media_id missing
    41009: InvalidArgumentError,  # openid missing
    44001: InvalidArgumentError,  # empty media data
    44002: InvalidArgumentError,
    44003: InvalidArgumentError,  # empty news (articles)
    44004: InvalidArgumentError,  # empty text content
    **dict.fromkeys(range(45001, 45009), InvalidArgumentError),  # media, content, title, description, url ... too long
    47001: InvalidArgumentError,
    40029: InvalidArgumentError,  # web OAuth: invalid (or expired) code
    40030: InvalidArgumentError,  # web OAuth: invalid refresh_token
    40163: InvalidArgumentError,  # web OAuth: code been used
    41008: InvalidArgumentError,  # web OAuth: missing code
    42002: InvalidArgumentError,  # web OAuth: refresh_token expired
    42003: InvalidArgumentError,  # web OAuth: code expired
    45009: RateLimitError,
    130101: RateLimitError,  # WeCom group robot: over 20 messages a minute (also answered as 45009)
    45011: RateLimitError,
    45047: RateLimitError,
    45033: RateLimitError,
    43004: UserStateError,
    43019: UserStateError,
    43101: UserStateError,  # the user refused (has not accepted) the subscription message
    45015: UserStateError,
    48001: PermissionDeniedError,
    48004: PermissionDeniedError,
    50001: PermissionDeniedError,
    50002: PermissionDeniedError,
    40164: PermissionDeniedError,
    61004: PermissionDeniedError,
    60011: PermissionDeniedError,  # WeCom: the secret may not touch these contacts / parties / agent
    301002: PermissionDeniedError,  # WeCom: the token is another app's (agentid)
    60111: InvalidArgumentError,  # WeCom: userid not found
    81013: InvalidArgumentError,  # WeCom: every user, party and tag of a send invalid
}

#: errcodes meaning "the access token used is not valid": drop it and retry once.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
#: The same for WeCom (``qyapi.weixin.qq.com``): 40014 invalid access_token, 42001 access_token
#: expired, 40082 invalid suite/provider token. Not 40001: on WeCom it means a wrong corpsecret
#: (answered by ``gettoken``), which a refetch cannot cure.
WORK_TOKEN_ERRCODES = frozenset({40014, 42001, 40082})


def api_error(
    errcode: int, errmsg: str, *, method: str = "", url: str = "", response: dict[str, object] | None = None
) -> APIError:
    """Return the :class:`APIError` subclass for ``errcode`` (plain :class:`APIError` if unknown)."""
    cls = _FAMILIES.get(errcode, APIError)
    return cls(errcode, errmsg, method=method, url=url, response=response)


class PayError(WxError):
    """WeChat Pay refused a request or a response could not be trusted.

    v3: ``code`` and ``message`` from WeChat's error body, ``status`` the HTTP
    status, ``detail`` the optional ``detail`` object. v2: ``code`` is
    ``return_code`` / ``err_code`` and ``message`` ``return_msg`` /
    ``err_code_des``. Never carries keys or signatures.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 0,
        method: str = "",
        url: str = "",
        detail: object = None,
    ) -> None:
        where = f" ({method} {url})" if (method or url) else ""
        super().__init__(f"{code}: {message}{where}")
        self.code = code
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail


class AmountError(WxError, ValueError):
    """An amount that is not a positive whole number of fen (floats, bools, strings, sub-fen yuan)."""
