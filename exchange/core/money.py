"""Decimal helpers shared by every money path. Never float."""

from __future__ import annotations

import re
from decimal import Context, Decimal

# NUMERIC(36, 18): enough for 18 decimal places (ETH wei) and 10^18 whole units.
MONEY_MAX_DIGITS = 36
MONEY_DECIMAL_PLACES = 18
# Amounts must stay below this to fit the column; larger input is refused as invalid.
MONEY_LIMIT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)
# Wide enough that no exact operation on NUMERIC(36, 18) values is rounded.
MONEY_CONTEXT = Context(prec=80)
# The one grammar of money text on every surface: Binance's
# ``^([0-9]{1,20})(\.[0-9]{1,20})?$``. ASCII digits only (``str.isdigit`` and ``Decimal``
# also take Arabic-Indic and full-width digits), no sign, exponent, underscore, space or
# special value; at most 20 + 1 + 20 characters, so parsing is bounded whatever is sent.
MONEY_TEXT = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")


def parse_decimal(value: object) -> Decimal | None:
    """Parse a client-supplied amount; None unless it is a plain decimal string (or a Decimal).

    Strings must match ``MONEY_TEXT`` exactly (docs/adr/0016-strict-input-boundary.md):
    ``Decimal()`` alone would take ``1E+1``, ``1_000``, ``" 5"``, ``"١٠٠٠"`` and ``sNaN``,
    each a way to send a number the client's own checks never saw. Numbers are refused:
    a float's binary value is not what the client meant, and a JSON number (int or float)
    is refused alike so every API answers it with the field's own code. A Decimal comes
    from our own code, not from a client, and only has to be finite.
    """
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and MONEY_TEXT.fullmatch(value):
        return Decimal(value)
    return None


def format_money(value: Decimal) -> str:
    """Money out: plain decimal, no exponent, no trailing zeros, and zero is "0" (never "-0").

    Every API prints money with this, so REST and GraphQL show the same text.
    """
    text = f"{value.normalize():f}"
    return "0" if text == "-0" else text


def decimal_places(value: Decimal) -> int:
    """Number of significant decimal places (trailing zeros ignored)."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def is_multiple_of(value: Decimal, step: Decimal) -> bool:
    # The context's own method: order entry calls this per order, and switching the
    # thread's context (``localcontext``) cost more than the remainder.
    return step > 0 and MONEY_CONTEXT.remainder(value, step) == 0


def exact_units(value: Decimal, unit: Decimal) -> int:
    """``value / unit`` as an int; ValueError unless it divides exactly."""
    units = MONEY_CONTEXT.divide(value, unit)
    if units != units.to_integral_value(context=MONEY_CONTEXT):
        raise ValueError(f"{value} is not a multiple of {unit}")
    return int(units)
