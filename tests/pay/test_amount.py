"""Money is an int of fen: check_fen, yuan_to_fen, fen_to_yuan."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest

from wxkit.errors import AmountError, WxError
from wxkit.pay.amount import check_fen, fen_to_yuan, yuan_to_fen


class Price(IntEnum):
    COFFEE = 1800


@pytest.mark.parametrize("amount", [1, 100, 2_147_483_647, Price.COFFEE])
def test_check_fen_accepts_positive_ints(amount: int) -> None:
    assert check_fen(amount) == amount


@pytest.mark.parametrize(
    ("amount", "match"),
    [
        (1.0, "not float"),
        (0.01, "not float"),
        (True, "not bool"),
        (False, "not bool"),
        ("100", "not str"),
        (Decimal("1"), "not Decimal"),
        (None, "not NoneType"),
        (-1, "positive"),
        (0, "positive"),
    ],
)
def test_check_fen_refuses(amount: Any, match: str) -> None:
    with pytest.raises(AmountError, match=match) as info:
        check_fen(amount, "total")
    assert str(info.value).startswith("total ")
    assert isinstance(info.value, WxError)
    assert isinstance(info.value, ValueError)


def test_check_fen_allow_zero() -> None:
    assert check_fen(0, "from.amount", allow_zero=True) == 0
    with pytest.raises(AmountError, match=">= 0"):
        check_fen(-5, allow_zero=True)


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        (Decimal("12.34"), 1234),
        (Decimal("0.01"), 1),
        (Decimal("12.340"), 1234),
        ("12.34", 1234),
        (" 0.5 ", 50),
        ("1e2", 10000),
        (3, 300),
    ],
)
def test_yuan_to_fen(yuan: Any, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize(
    ("yuan", "match"),
    [
        (Decimal("0.001"), "sub-fen"),
        ("12.345", "sub-fen"),
        (12.34, "never a float"),
        (True, "never a bool"),
        (None, "never a NoneType"),
        (b"1", "never a bytes"),
        ("twelve", "not a yuan amount"),
        ("", "not a yuan amount"),
        ("NaN", "not a yuan amount"),
        ("Infinity", "not a yuan amount"),
        ("-1", "positive"),
        (Decimal("-0.01"), "positive"),
        (0, "positive"),
        ("0.00", "positive"),
    ],
)
def test_yuan_to_fen_refuses(yuan: Any, match: str) -> None:
    with pytest.raises(AmountError, match=match):
        yuan_to_fen(yuan)


def test_yuan_to_fen_allow_zero() -> None:
    assert yuan_to_fen("0", allow_zero=True) == 0
    with pytest.raises(AmountError):
        yuan_to_fen("-0.01", allow_zero=True)


@pytest.mark.parametrize(("fen", "yuan"), [(0, "0.00"), (1, "0.01"), (1234, "12.34"), (100, "1.00")])
def test_fen_to_yuan(fen: int, yuan: str) -> None:
    assert fen_to_yuan(fen) == Decimal(yuan)
    assert str(fen_to_yuan(fen)) == yuan
    assert yuan_to_fen(fen_to_yuan(fen), allow_zero=True) == fen


@pytest.mark.parametrize("fen", [-1, 1.5, "100", True, Decimal("1")])
def test_fen_to_yuan_refuses(fen: Any) -> None:
    with pytest.raises(AmountError):
        fen_to_yuan(fen)
