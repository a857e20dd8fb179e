"""Serializer fields shared by the REST adapters."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.core.ids import MAX_ID
from exchange.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, format_money


class DecimalString(serializers.DecimalField):
    """Money out as a plain decimal string without trailing zeros ("0.015", "60000")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return format_money(value if isinstance(value, Decimal) else Decimal(str(value)))


@extend_schema_field(OpenApiTypes.STR)
class MoneyString(serializers.Field):
    """Money in: a decimal string ("0.015"), passed to the action as sent.

    Not parsed here: the action's money rules refuse a JSON number (which
    CharField would have turned into "1e-07") with the field's own code
    (INVALID_PRICE, INVALID_QUANTITY, INVALID_AMOUNT...), as GraphQL does.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", not kwargs["required"])
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class AsciiIntegerField(serializers.IntegerField):
    """An integer in: a JSON integer or ASCII digits. DRF's own runs ``int()``, which
    takes ``"١٠"``, ``"1_0"``, ``" 5"`` and (through its decimal stripping) ``"10.0"``."""

    TEXT = re.compile(r"-?[0-9]{1,19}")

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and self.TEXT.fullmatch(data))
        ):
            self.fail("invalid")
        value: int = super().to_internal_value(data)
        return value


MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z, the last instant a datetime holds


class EpochMsField(AsciiIntegerField):
    """A time as milliseconds since the epoch (UTC)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_MS)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class IdField(AsciiIntegerField):
    """A database id: a positive 64-bit integer."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class LimitField(AsciiIntegerField):
    """A list size. Parsed here; its range is the selector's rule, whose INVALID_LIMIT
    is the same code GraphQL answers for the same list."""

    def __init__(self, *, default: int, maximum: int, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", f"1..{maximum} (default {default}).")
        super().__init__(default=default, **kwargs)


class Page(serializers.Serializer):
    """Base of cursor pages: ``next_cursor`` is null on the last page."""

    next_cursor = serializers.CharField(allow_null=True)


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """A page serializer ``{"results": [item...], "next_cursor"}`` named for OpenAPI."""
    return type(name, (Page,), {"results": item(many=True)})


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def ms_to_datetime(value: int | None) -> dt.datetime | None:
    """Exact (no float): milliseconds since the epoch as an aware UTC datetime."""
    return None if value is None else EPOCH + dt.timedelta(milliseconds=value)
