"""Amounts in the admin's lists, shown with their asset's precision.

Money columns are NUMERIC with 18 decimals, so Django prints
``64950.010000000000000000``; an operator reads ``64,950.01000000`` (USDT has 8).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import reduce
from typing import Any

from django.contrib import admin


def format_amount(value: Decimal | None, precision: int) -> str:
    """Rounded to the asset's precision (never to fewer digits), thousands grouped."""
    if value is None:
        return "-"
    return f"{value.quantize(Decimal(1).scaleb(-precision)):,f}"


def amount_column(
    field: str, asset: str, *, description: str | None = None
) -> Callable[[Any], str]:
    """A ``list_display`` entry: ``field`` formatted by the precision of the asset at the
    dotted path ``asset`` (``"asset"``, ``"market.quote"``), sortable by the field."""

    def show(obj: Any) -> str:
        precision = reduce(getattr, asset.split("."), obj).precision
        return format_amount(getattr(obj, field), precision)

    show.__name__ = field
    return admin.display(description=description or field.replace("_", " "), ordering=field)(show)
