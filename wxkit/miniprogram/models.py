"""Typed answers of the mini-program server API: Session, PhoneInfo, SecurityCheck ...

Each is an ``attrs`` frozen, slotted class with snake_case fields mapped from
WeChat's names (``purePhoneNumber`` -> ``pure_phone_number``) and ``raw``, the
answer it was built from (new WeChat fields never get lost). ``from_dict``
builds one from WeChat's JSON; a value of the wrong type (an openid that is not
text, a watermark that is not an object) is a :class:`~wxkit.errors.ParseError`,
which the API groups report as a broken exchange
(:class:`~wxkit.errors.TransportError`) naming the call.

Secrets stay out of reprs: :class:`Session` shows neither its ``session_key``
nor ``raw``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from .._jsonmodel import integer as _int
from .._jsonmodel import mapping as _mapping
from .._jsonmodel import text as _text
from ..errors import ParseError

__all__ = [
    "EncryptKey",
    "PhoneInfo",
    "SecurityCheck",
    "SecurityDetail",
    "Session",
    "Watermark",
    "format_date",
    "parse_date",
]


def format_date(value: dt.date | str) -> str:
    """A date as the ``yyyymmdd`` text the datacube and other APIs take (``date(2024, 3, 1)`` -> ``"20240301"``).

    A ``datetime`` is refused (its day depends on a time zone: pass
    ``wxkit.pay.dates.china_date(...)`` or a ``date``); text must already be
    ``yyyymmdd``. Anything else raises ``ValueError``.
    """
    if isinstance(value, dt.datetime):
        raise ValueError("give a date, not a datetime (whose day depends on the time zone)")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    if isinstance(value, str):
        return parse_date(value).strftime("%Y%m%d")
    raise ValueError(f"a date must be a datetime.date or 'yyyymmdd' text, not {type(value).__name__}")


def parse_date(value: str) -> dt.date:
    """``"20240301"`` -> ``date(2024, 3, 1)``; anything else raises ``ValueError``."""
    if not (isinstance(value, str) and len(value) == 8 and value.isascii() and value.isdigit()):
        raise ValueError(f"a date must be 'yyyymmdd' text, not {value!r}")
    return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))


@attrs.frozen
class Session:
    """What ``code2session`` answers: the user's ``openid``, ``unionid`` and the ``session_key``.

    ``unionid`` is ``None`` unless WeChat sends one (the mini program is
    bound to an open-platform account the user has a UnionID in).
    ``session_key`` decrypts the user's ``encryptedData`` and must stay on the
    server: it is left out of the repr (and so is ``raw``, which holds it).
    """

    openid: str
    session_key: str = attrs.field(repr=False)
    unionid: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session:
        """Build from a ``jscode2session`` answer (``openid`` and ``session_key`` required)."""
        data = _mapping(data, "a session")
        return cls(
            openid=_text(data, "openid", required=True),
            session_key=_text(data, "session_key", required=True),
            unionid=_text(data, "unionid") or None,
            raw=dict(data),
        )


@attrs.frozen
class Watermark:
    """The ``watermark`` WeChat puts in user data: the ``appid`` it was made for and a Unix ``timestamp``."""

    appid: str
    timestamp: int = 0

    @classmethod
    def from_dict(cls, data: Any) -> Watermark:
        """Build from a ``watermark`` object (anything else is a ParseError)."""
        data = _mapping(data, "watermark")
        return cls(appid=_text(data, "appid", required=True), timestamp=_int(data, "timestamp"))


@attrs.frozen
class PhoneInfo:
    """A user's phone number from ``getuserphonenumber``.

    ``phone_number`` carries the country code for numbers outside mainland
    China (``phoneNumber``); ``pure_phone_number`` is without it;
    ``country_code`` is text (``"86"``; WeChat's sample sends a number, the
    field table a string). ``watermark.appid`` has been checked against the
    client's appid by :meth:`~wxkit.miniprogram.phone.PhoneAPI.get_phone_number`.
    """

    phone_number: str
    pure_phone_number: str
    country_code: str
    watermark: Watermark
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhoneInfo:
        """Build from the ``phone_info`` object of the answer."""
        data = _mapping(data, "phone_info")
        return cls(
            phone_number=_text(data, "phoneNumber", required=True),
            pure_phone_number=_text(data, "purePhoneNumber"),
            country_code=_text(data, "countryCode"),
            watermark=Watermark.from_dict(data.get("watermark")),
            raw=dict(data),
        )


@attrs.frozen
class EncryptKey:
    """One user encryption key from ``getuserencryptkey`` (``key_info_list``): the key, its iv and version.

    ``expire_in`` is seconds from ``create_time`` (Unix seconds). The key is
    left out of the repr.
    """

    encrypt_key: str = attrs.field(repr=False)
    iv: str = attrs.field(repr=False)
    version: int = 0
    expire_in: int = 0
    create_time: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EncryptKey:
        """Build from one item of ``key_info_list``."""
        data = _mapping(data, "a key_info_list item")
        return cls(
            encrypt_key=_text(data, "encrypt_key", required=True),
            iv=_text(data, "iv", required=True),
            version=_int(data, "version"),
            expire_in=_int(data, "expire_in"),
            create_time=_int(data, "create_time"),
        )


@attrs.frozen
class SecurityDetail:
    """One strategy's finding in a content-security answer (``detail`` items).

    ``strategy`` is ``"content_model"`` or ``"keyword"``; ``errcode`` is that
    strategy's own result (0: it ran); ``suggest`` is ``"risky"``,
    ``"pass"`` or ``"review"``; ``label`` the category (100 normal, 10001
    ads, 20001 politics, 20002 porn, 20003 abuse, 20006 crime, 20008 fraud,
    20012 vulgar, 20013 copyright, 21000 other); ``prob`` (0-100) from the
    model, ``level`` and ``keyword`` from keyword lists.
    """

    strategy: str = ""
    errcode: int = 0
    suggest: str = ""
    label: int = 0
    prob: int | None = None
    level: int | None = None
    keyword: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SecurityDetail:
        """Build from one ``detail`` item."""
        data = _mapping(data, "a detail item")
        return cls(
            strategy=_text(data, "strategy"),
            errcode=_int(data, "errcode"),
            suggest=_text(data, "suggest"),
            label=_int(data, "label"),
            prob=_int(data, "prob") if data.get("prob") is not None else None,
            level=_int(data, "level") if data.get("level") is not None else None,
            keyword=_text(data, "keyword"),
        )


@attrs.frozen
class SecurityCheck:
    """The verdict of ``msg_sec_check`` (v2): ``suggest`` and ``label``, with each strategy's ``details``.

    ``suggest`` is ``"pass"``, ``"review"`` or ``"risky"``; :attr:`passed` is
    ``suggest == "pass"``. ``label`` is the category (see
    :class:`SecurityDetail`). ``trace_id`` identifies the check.
    """

    suggest: str
    label: int
    trace_id: str = ""
    details: tuple[SecurityDetail, ...] = ()
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def passed(self) -> bool:
        """Whether WeChat suggests letting the content through (``suggest == "pass"``)."""
        return self.suggest == "pass"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SecurityCheck:
        """Build from a ``msg_sec_check`` v2 answer (its ``result`` object is required)."""
        data = _mapping(data, "a msg_sec_check answer")
        result = _mapping(data.get("result"), "result")
        details = data.get("detail") or []
        if not isinstance(details, list):
            raise ParseError("detail must be a list")
        return cls(
            suggest=_text(result, "suggest", required=True),
            label=_int(result, "label"),
            trace_id=_text(data, "trace_id"),
            details=tuple(SecurityDetail.from_dict(item) for item in details),
            raw=dict(data),
        )
