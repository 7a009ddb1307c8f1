"""Money is an ``int`` of fen (分), never a float.

:func:`check_fen` guards every amount wxkit sends to WeChat Pay;
:func:`yuan_to_fen` converts a ``Decimal`` / ``str`` yuan amount and refuses
sub-fen precision instead of rounding it away.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..errors import AmountError

__all__ = ["check_fen", "fen_to_yuan", "yuan_to_fen"]


def check_fen(amount: object, name: str = "amount", *, allow_zero: bool = False) -> int:
    """Return ``amount`` if it is a positive ``int`` of fen; raise :class:`~wxkit.errors.AmountError` otherwise.

    Floats, bools, strings and ``Decimal`` are refused at the call site (use
    :func:`yuan_to_fen` for yuan). ``allow_zero`` admits 0 (e.g. a refund's
    ``from`` account split).
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise AmountError(
            f"{name} must be an int number of fen (分), not {type(amount).__name__}; use yuan_to_fen() for yuan"
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountError(f"{name} must be {'>= 0' if allow_zero else 'positive'} fen, got {amount}")
    return amount


def yuan_to_fen(yuan: Decimal | str | int, *, allow_zero: bool = False) -> int:
    """Convert yuan (``Decimal("12.34")``, ``"12.34"`` or an ``int``) to fen.

    Refuses floats and bools, text that is not a number, sub-fen precision
    (``Decimal("0.001")``) instead of rounding it away, negative amounts and,
    unless ``allow_zero``, zero: all :class:`~wxkit.errors.AmountError`.
    """
    if isinstance(yuan, (bool, float)) or not isinstance(yuan, (Decimal, str, int)):
        raise AmountError(f"yuan must be a Decimal, str or int, never a {type(yuan).__name__}")
    try:
        value = Decimal(yuan.strip() if isinstance(yuan, str) else yuan)
    except (InvalidOperation, ValueError, TypeError):
        raise AmountError(f"not a yuan amount: {yuan!r}") from None
    if not value.is_finite():
        raise AmountError(f"not a yuan amount: {yuan!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise AmountError(f"yuan must be {'>= 0' if allow_zero else 'positive'}, got {yuan!r}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise AmountError(f"{yuan!r} yuan has sub-fen precision")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    """Convert fen to a ``Decimal`` yuan amount (for display)."""
    check_fen(fen, "fen", allow_zero=True)
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))
