"""How the balance's figures are rounded.

Shares, rates and ratios are ``Decimal`` fractions rounded to six places (0.333333 for a
third); money is ``Decimal`` rounded to the cent, in the programme's currency.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SIX_PLACES = Decimal("0.000001")
CENTS = Decimal("0.01")
ZERO = Decimal("0")


def ratio(numerator, denominator) -> Decimal | None:
    """numerator / denominator rounded to six places; None when the denominator is 0."""
    numerator, denominator = as_decimal(numerator), as_decimal(denominator)
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def share(numerator, denominator) -> Decimal:
    """Like ``ratio`` but 0 when there is nothing to share."""
    return ratio(numerator, denominator) or ZERO.quantize(SIX_PLACES)


def as_decimal(value) -> Decimal:
    """SQLite hands raw-SQL sums back as floats; PostgreSQL as Decimal."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def money(value) -> Decimal:
    return as_decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)
