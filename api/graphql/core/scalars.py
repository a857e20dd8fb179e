"""Scalars shared by every domain's types."""

from __future__ import annotations

from decimal import Decimal as _Decimal

import graphene


class Decimal(graphene.Decimal):
    """An exact decimal number, sent as a string ("0.015"): never a float.

    Output is normalised (no exponent, no trailing zeros), as REST prints it.
    """

    @staticmethod
    def serialize(dec: _Decimal | int | str) -> str:
        if isinstance(dec, float | bool):
            raise TypeError(f"money must not be a {type(dec).__name__}: {dec!r}")
        value = dec if isinstance(dec, _Decimal) else _Decimal(dec)
        return f"{value.normalize():f}"
